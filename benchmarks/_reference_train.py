"""Today's (pre-issue-9) stacked training path, kept callable for the benchmark only.

A frozen copy of ``scalinglab.validate.models`` (CNN/FCN/perceptron on one-hot
``(R, B, v, d)`` floats), of ``scalinglab.validate.train.train_stacked`` (CPU
``randperm`` per run and epoch, the batch gathered from one-hot floats,
per-tensor Adam, finished runs masked but still computed) and of the former
``run_block`` data path (one-hot built on the host, then copied to the device)
as they were at commit 97d7eb2. Not part of the package; do not import it from
scalinglab.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from scalinglab.validate.train import TrainConfig, cpu_threads

__all__ = ["build_stacked", "train_stacked", "onehot", "MODELS"]


def onehot(x, v):
    """One-hot float32 array of shape ``(n, v, d)`` from symbols ``(n, d)`` (host, numpy)."""
    x = np.asarray(x)
    out = np.zeros((x.shape[0], v, x.shape[1]), dtype=np.float32)
    np.put_along_axis(out, x[:, None, :].astype(np.int64), 1.0, axis=1)
    return out


def _param(R, *shape, scale=1.0, zero=False, generator=None):
    if zero:
        return nn.Parameter(torch.zeros(R, *shape))
    return nn.Parameter(torch.randn(R, *shape, generator=generator) * scale)


class _Stacked(nn.Module):
    """Base class: ``forward(x)`` maps ``(R, B, v, d)`` to logits ``(R, B, n_c)``."""

    def __init__(self, R):
        super().__init__()
        if R < 1:
            raise ValueError(f"number of stacked runs R must be >= 1, got {R}")
        self.R = int(R)

    def _build_layers(self, fans, h, n_c, generator=None):
        """Hidden layers with the given fan-ins (width h, 1/sqrt(fan) init, zero bias)
        and a read-out ``(h, n_c)`` with 1/h scale, created in that order."""
        self.w = nn.ParameterList()
        self.b = nn.ParameterList()
        for fan in fans:
            self.w.append(_param(self.R, fan, h, scale=fan**-0.5, generator=generator))
            self.b.append(_param(self.R, 1, h, zero=True))
        self.readout = _param(self.R, h, n_c, scale=1.0 / h, generator=generator)

    def _check(self, x):
        if x.dim() != 4 or x.shape[0] != self.R or x.shape[2] != self.v or x.shape[3] != self.d:
            raise ValueError(f"input must have shape (R={self.R}, B, v={self.v}, d={self.d}), got {tuple(x.shape)}")


class CNN(_Stacked):
    """L-layer CNN with filter size = stride = s (see module docstring).

    Parameters
    ----------
    v, d, s, n_c : int
        Vocabulary, input length ``s**L``, tuple size, classes.
    h : int
        Width (channels) of every hidden layer.
    R : int
        Number of stacked runs.
    generator : torch.Generator, optional
        For reproducible initialisation.
    """

    def __init__(self, v, d, s, n_c, h=64, R=1, generator=None):
        super().__init__(R)
        L = round(math.log(d, s)) if s > 1 else d
        if s < 2 or s**L != d:
            raise ValueError(f"CNN needs d = s**L with s >= 2, got d={d}, s={s}")
        self.v, self.d, self.s, self.L, self.h, self.n_c = v, d, s, L, h, n_c
        self._build_layers([v * s] + [h * s] * (L - 1), h, n_c, generator)

    def forward(self, x):
        self._check(x)
        R, B, v, d = x.shape
        # (R, B, v, d) -> (R, B, d/s, s*v): patch j holds positions s*j..s*j+s-1
        z = x.transpose(2, 3).reshape(R, B, d // self.s, self.s * v)
        for w, b in zip(self.w, self.b):
            n_pos = z.shape[2]
            z = torch.baddbmm(b, z.reshape(R, B * n_pos, -1), w).relu()
            z = z.reshape(R, B, n_pos // self.s, self.s * self.h) if n_pos > 1 else z.reshape(R, B, self.h)
        return torch.bmm(z, self.readout)


class FCN(_Stacked):
    """Fully connected net: ``depth`` hidden ReLU layers of width h, linear read-out."""

    def __init__(self, v, d, n_c, h=128, depth=2, R=1, generator=None):
        super().__init__(R)
        if depth < 1:
            raise ValueError("FCN depth must be >= 1")
        self.v, self.d, self.h, self.n_c = v, d, h, n_c
        self._build_layers([v * d] + [h] * (depth - 1), h, n_c, generator)

    def forward(self, x):
        self._check(x)
        R, B = x.shape[:2]
        z = x.reshape(R, B, -1)
        for w, b in zip(self.w, self.b):
            z = torch.baddbmm(b, z, w).relu()
        return torch.bmm(z, self.readout)


class PatchPerceptron(_Stacked):
    """One linear map per patch (s one-hot symbols -> n_c logits), logits summed.

    Patch j covers input positions ``s*j .. s*j + s - 1``; there are
    ``K = d / s`` patches, each with its own ``(s*v, n_c)`` weights and bias.
    """

    def __init__(self, v, d, s, n_c, R=1, generator=None):
        super().__init__(R)
        if d % s:
            raise ValueError(f"input length d={d} is not a multiple of s={s}")
        self.v, self.d, self.s, self.n_c, self.K = v, d, s, n_c, d // s
        fan = s * v
        self.w = _param(R, self.K, fan, n_c, scale=fan**-0.5, generator=generator)
        self.bias = _param(R, 1, n_c, zero=True)

    def forward(self, x):
        self._check(x)
        R, B, v, d = x.shape
        z = x.transpose(2, 3).reshape(R, B, self.K, self.s * v)
        return torch.einsum("rbkf,rkfc->rbc", z, self.w) + self.bias

MODELS = {"cnn": CNN, "fcn": FCN, "perceptron": PatchPerceptron}


def build_model(kind, spec, R=1, h=64, depth=None, seed=0):
    """Build a stacked model of ``kind`` ('cnn', 'fcn', 'perceptron') for an RHMSpec.

    ``depth`` is the FCN's number of hidden layers (default: ``spec.L``).
    """
    g = torch.Generator().manual_seed(int(seed))
    d = spec.input_size
    if kind == "cnn":
        return CNN(spec.v, d, spec.s, spec.n_c, h=h, R=R, generator=g)
    if kind == "fcn":
        return FCN(spec.v, d, spec.n_c, h=h, depth=depth or spec.L, R=R, generator=g)
    if kind == "perceptron":
        return PatchPerceptron(spec.v, d, spec.s, spec.n_c, R=R, generator=g)
    raise ValueError(f"unknown model {kind!r}; choose from {sorted(MODELS)}")


def build_stacked(kind, spec, seeds, h=64, depth=None):
    """A stack of ``len(seeds)`` runs, run r initialised exactly as
    ``build_model(kind, spec, R=1, seed=seeds[r])`` (independent of the stack)."""
    seeds = [int(x) for x in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    stack = build_model(kind, spec, R=len(seeds), h=h, depth=depth, seed=seeds[0])
    with torch.no_grad():
        for r, sd in enumerate(seeds):
            single = build_model(kind, spec, R=1, h=h, depth=depth, seed=sd)
            for p, q in zip(stack.parameters(), single.parameters()):
                p[r] = q[0]
    return stack


@torch.no_grad()
def _predict(model, x, chunk=4096):
    out = []
    for i in range(0, x.shape[1], chunk):
        out.append(model(x[:, i:i + chunk]).argmax(-1))
    return torch.cat(out, dim=1)


def _per_run_ce(logits, y):
    R, B, C = logits.shape
    return torch.nn.functional.cross_entropy(logits.reshape(R * B, C), y.reshape(-1), reduction="none").view(R, B).mean(1)


def train_stacked(model, x_train, y_train, x_test, y_test, cfg=TrainConfig(), x_val=None, y_val=None,
                  seeds=None):
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


def step_fn(model, x_train, y_train, cfg=TrainConfig(), seeds=None):
    """One optimiser step of ``_train``'s inner loop as a closure, for per-step timing.

    The body is that of the loop above (batch ``b`` of the epoch's ``randperm``
    order, cross-entropy per run, masked sum, per-tensor Adam); ``b`` cycles
    through the epoch's batches.
    """
    R, P = y_train.shape
    dev = x_train.device
    seeds = list(range(R)) if seeds is None else [int(x) for x in seeds]
    gens = [torch.Generator(device="cpu").manual_seed(s_) for s_ in seeds]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    bs = min(cfg.batch_size, P)
    n_batches = max(1, P // bs)
    active = torch.ones(R, dtype=torch.bool, device=dev)
    ar = torch.arange(R, device=dev)[:, None]
    perm = torch.stack([torch.randperm(P, generator=g_) for g_ in gens]).to(dev)
    tot = torch.zeros(R, device=dev)
    count = [0]

    def step():
        b = count[0] % n_batches
        count[0] += 1
        idx = perm[:, b * bs:(b + 1) * bs]
        loss_r = _per_run_ce(model(x_train[ar, idx]), y_train[ar, idx])
        opt.zero_grad(set_to_none=True)
        (loss_r * active).sum().backward()
        opt.step()
        tot.add_(loss_r.detach())

    return step
