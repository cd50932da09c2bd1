"""Training loop for stacked runs (:mod:`scalinglab.validate.models`).

Stopping rule (one of, per run):

* ``stop="loss"`` (default): stop a run at the end of the first epoch whose
  mean mini-batch cross-entropy is below ``loss_tol`` (the network interpolates
  its training set), or at ``max_epochs`` (then ``converged = False``).
* ``stop="val"``: early stopping on a *fresh* validation set (RHM data are
  free, so no training data are held out): keep the parameters of the epoch
  with the lowest validation error, stop after ``patience`` epochs without
  improvement or when the training loss is below ``loss_tol``.

The test error is measured once per run, on fresh test data, with the
parameters at the stopping point. Runs that stopped keep training in the
stack with their loss masked out, but their result is frozen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from scalinglab.validate.protocol import resolve_device  # noqa: F401  (the one device check)

__all__ = ["TrainConfig", "train_stacked", "resolve_device"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and stopping settings.

    Attributes
    ----------
    lr : float
        Adam learning rate.
    batch_size : int
        Mini-batch size per run (capped at the training-set size).
    max_epochs : int
        Hard limit on epochs.
    max_steps : int
        Hard limit on optimiser steps (protects large P on a CPU).
    loss_tol : float
        Training cross-entropy below which a run has converged.
    stop : str
        ``"loss"`` or ``"val"`` (see module docstring).
    patience : int
        Epochs without validation improvement before stopping (``stop="val"``).
    weight_decay : float
        Adam (L2) weight decay.
    """

    lr: float = field(default=3e-3, metadata={"gt": 0})
    batch_size: int = field(default=128, metadata={"ge": 1})
    max_epochs: int = field(default=300, metadata={"ge": 1})
    max_steps: int = field(default=20000, metadata={"ge": 1})
    loss_tol: float = field(default=1e-2, metadata={"gt": 0})
    stop: str = field(default="loss", metadata={"choices": ("loss", "val")})
    patience: int = field(default=20, metadata={"ge": 1})
    weight_decay: float = field(default=0.0, metadata={"ge": 0})

    def __post_init__(self):
        if self.stop not in ("loss", "val"):
            raise ValueError(f"stop must be 'loss' or 'val', got {self.stop!r}")
        if not (self.lr > 0 and self.batch_size >= 1 and self.max_epochs >= 1 and self.loss_tol > 0):
            raise ValueError("lr, batch_size, max_epochs and loss_tol must be positive")
        if not (self.max_steps >= 1 and self.patience >= 1 and self.weight_decay >= 0):
            raise ValueError("max_steps and patience must be >= 1 and weight_decay >= 0")


def cpu_threads():
    """Torch CPU threads for training: ``SCALINGLAB_TORCH_THREADS`` or 1.

    The networks here are small; on a shared CPU, torch's intra-op threads
    spin against other processes and one thread was measured 20x faster than
    two (2 cores, load ~5).
    """
    import os

    return max(1, int(os.environ.get("SCALINGLAB_TORCH_THREADS", "1")))


@torch.no_grad()
def _predict(model, x, chunk=4096):
    out = []
    for i in range(0, x.shape[1], chunk):
        out.append(model(x[:, i:i + chunk]).argmax(-1))
    return torch.cat(out, dim=1)


def _per_run_ce(logits, y):
    R, B, C = logits.shape
    return torch.nn.functional.cross_entropy(logits.reshape(R * B, C), y.reshape(-1), reduction="none").view(R, B).mean(1)


def train_stacked(model, x_train, y_train, x_test, y_test, cfg=TrainConfig(), x_val=None, y_val=None, seeds=None):
    """Train the R stacked runs of ``model`` and measure their test error.

    Parameters
    ----------
    model : a stacked model
        ``forward((R, B, v, d)) -> (R, B, n_c)``.
    x_train : torch.Tensor, (R, P, v, d)
    y_train : torch.Tensor, (R, P) int64
    x_test : torch.Tensor, (R, n_test, v, d)
    y_test : torch.Tensor, (R, n_test)
    cfg : TrainConfig
    x_val, y_val : torch.Tensor, optional
        Fresh validation data, needed when ``cfg.stop == "val"``.
    seeds : sequence of int, optional
        Seed of each run's mini-batch order (default ``0 .. R-1``); run r's
        order does not depend on the other runs, so a run trained alone or in
        a stack sees the same batches.

    Returns
    -------
    dict
        ``test_err`` (R,), ``test_correct`` (R, n_test) bool, ``train_loss`` (R,)
        at the stop, ``epochs`` (R,), ``converged`` (R,) bool, ``steps``,
        ``wall_s``; all numpy.
    """
    R, P = y_train.shape
    if x_train.shape[:2] != (R, P) or x_test.shape[:2] != y_test.shape or x_test.shape[0] != R:
        raise ValueError("x_train/y_train/x_test/y_test shapes disagree")
    if cfg.stop == "val" and (x_val is None or y_val is None):
        raise ValueError("stop='val' needs x_val and y_val")
    dev = x_train.device
    old_threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(cpu_threads())
    try:
        return _train(model, x_train, y_train, x_test, y_test, cfg, x_val, y_val, seeds, R, P, dev)
    finally:
        torch.set_num_threads(old_threads)


def _train(model, x_train, y_train, x_test, y_test, cfg, x_val, y_val, seeds, R, P, dev):
    seeds = list(range(R)) if seeds is None else [int(x) for x in seeds]
    if len(seeds) != R:
        raise ValueError(f"need one batch-order seed per run ({R}), got {len(seeds)}")
    gens = [torch.Generator(device="cpu").manual_seed(s_) for s_ in seeds]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    bs = min(cfg.batch_size, P)
    n_batches = max(1, P // bs)
    active = torch.ones(R, dtype=torch.bool, device=dev)
    result_correct = torch.zeros(R, x_test.shape[1], dtype=torch.bool, device=dev)
    train_loss = np.full(R, np.nan)
    epochs = np.zeros(R, dtype=np.int64)
    converged = np.zeros(R, dtype=bool)
    best_val = np.full(R, np.inf)
    since_best = np.zeros(R, dtype=np.int64)
    best_state = [p.detach().clone() for p in model.parameters()] if cfg.stop == "val" else None
    ar = torch.arange(R, device=dev)[:, None]
    steps = 0
    t0 = time.perf_counter()

    def finish(runs, use_best):
        if use_best:
            cur = [p.detach().clone() for p in model.parameters()]
            with torch.no_grad():
                for p, b in zip(model.parameters(), best_state):
                    p[runs] = b[runs]
        pred = _predict(model, x_test)
        result_correct[runs] = (pred == y_test)[runs]
        if use_best:
            with torch.no_grad():
                for p, c in zip(model.parameters(), cur):
                    p.copy_(c)
        active[runs] = False

    for epoch in range(1, cfg.max_epochs + 1):
        perm = torch.stack([torch.randperm(P, generator=g_) for g_ in gens]).to(dev)
        tot = torch.zeros(R, device=dev)
        for b in range(n_batches):
            idx = perm[:, b * bs:(b + 1) * bs]
            loss_r = _per_run_ce(model(x_train[ar, idx]), y_train[ar, idx])
            opt.zero_grad(set_to_none=True)
            (loss_r * active).sum().backward()
            opt.step()
            tot += loss_r.detach()
            steps += 1
        mean_loss = (tot / n_batches).cpu().numpy()
        act = active.cpu().numpy()
        epochs[act] = epoch
        train_loss[act] = mean_loss[act]
        done = act & (mean_loss < cfg.loss_tol)
        converged |= done
        if cfg.stop == "val":
            val_err = (_predict(model, x_val) != y_val).float().mean(1).cpu().numpy()
            improved = act & (val_err < best_val)
            best_val[improved] = val_err[improved]
            since_best[improved] = 0
            since_best[act & ~improved] += 1
            if improved.any():
                with torch.no_grad():
                    sel = torch.as_tensor(np.flatnonzero(improved), device=dev)
                    for p, bst in zip(model.parameters(), best_state):
                        bst[sel] = p[sel]
            done = done | (act & (since_best >= cfg.patience))
        out_of_budget = epoch == cfg.max_epochs or steps >= cfg.max_steps
        if out_of_budget:
            done = act.copy()
        if done.any():
            finish(torch.as_tensor(np.flatnonzero(done), device=dev), use_best=cfg.stop == "val")
        if not active.any():
            break
    correct = result_correct.cpu().numpy()
    return {"test_err": 1.0 - correct.mean(1), "test_correct": correct, "train_loss": train_loss,
            "epochs": epochs, "converged": converged, "steps": steps, "wall_s": time.perf_counter() - t0}
