"""Training loop for stacked runs (:mod:`scalinglab.validate.models`).

Stopping rule (one of, per run):

* ``stop="loss"`` (default): stop a run at the end of the first epoch whose
  mean mini-batch cross-entropy is below ``loss_tol`` (the network interpolates
  its training set), or at ``max_epochs`` (then ``converged = False``).
* ``stop="val"``: early stopping on a *fresh* validation set (RHM data are
  free, so no training data are held out): keep the parameters of the epoch
  with the lowest validation error, stop after ``patience`` epochs without
  improvement or when the training loss is below ``loss_tol``.

Every run also stops, unconverged, at the end of the epoch in which the
stack's step count reaches ``max_steps`` (an epoch is never cut short). The
test error is measured once per run, on fresh test data, with the parameters
at the stopping point.

How a stack is trained
----------------------
* **Data stay on the training device.** ``x`` may be the integer symbols
  ``(R, P, d)`` (one-hot encoding then happens inside the model, per batch, on
  the device: :mod:`scalinglab.validate.models`) or one-hot floats
  ``(R, P, v, d)``; both give the same logits.
* **Batch order.** At the start of its epoch ``e``, run r's order of its P
  training data is the argsort of a keyed bijective 32-bit hash of the data
  index, keyed by ``splitmix64`` of ``(seed_r, e)``; the hash and the sort run
  on the device. Run r's batches therefore depend only on ``(seed_r, e, P)``:
  the same alone or in any stack, on CPU and on CUDA. (Until issue 9 the order
  came from ``torch.randperm`` with a CPU generator per run; results are
  seed-deterministic on one device as before, but not equal to those older
  runs.)
* **One step** for all live runs: the batch indices are the next ``batch_size``
  entries of each run's order (the offset is a device counter), the batch is
  gathered on the device, the loss is the sum over runs of each run's mean
  cross-entropy (runs stay independent; computed as logsumexp minus the
  label's logit, 3x faster than ``cross_entropy`` on a CPU thread for 10
  classes), then backward and the optimiser step. Adam is
  torch's *fused* implementation (on the CPU: 0.30 ms against 3.0 ms for the
  default per-tensor loop at h = 64, R = 40, one thread); so is SGD with
  momentum (``TrainConfig.optimizer = "sgd"``, Cagnetta et al.'s choice).
  Both are element-wise, so one optimiser over the stack equals R separate ones.
* **Epoch end** (the one host synchronisation per epoch): the stopping rule
  decides; each run that stops is evaluated on its test data (in chunks sized
  to a memory budget, so a 40-run stack of width 2048 fits) and its
  parameters are saved; from then on its loss is masked. Finished runs are
  then *removed* from the stack (parameters and Adam moments sliced), so they
  cost no more compute: on the CPU at once, on CUDA once more than a quarter
  of the stack has finished (each removal means a new graph capture;
  :data:`COMPACT_FRACTION`). Until then a finished run's parameters may still
  move under Adam's momentum, but nothing reads them: its result is frozen.
  (Until issue 9 finished runs stayed in the stack to the end.) On return the
  model holds, for every run, the parameters it was tested with: those at its
  stop, or for ``stop="val"`` those of its best validation epoch (until issue
  9: the last parameters of the stack).
* **CUDA only**: after three eager warm-up steps on a side stream, the step
  (gather, one-hot, forward, loss, backward, fused capturable Adam, loss sum,
  offset update) is captured once per stack shape in a CUDA graph and
  replayed, so a step costs one graph launch instead of ~100 kernel launches.
  A failed capture falls back to eager steps with a warning;
  ``SCALINGLAB_CUDA_GRAPHS=0`` turns graphs off. Matmuls run in full float32:
  TF32 is switched off during training, since no test has yet shown that it
  leaves the measured exponents unchanged; ``SCALINGLAB_TF32=1`` allows it
  (for that test on a GPU).
* **CPU**: torch runs on ``SCALINGLAB_TORCH_THREADS`` threads (default 1, the
  measured best on the shared 2-core machine) with its deterministic algorithms
  switched on; no graphs. A run key gives the same row bit for bit on one CPU
  type, alone or in any stack and on 1, 2 or 4 threads (tested); across CPU
  types see docs/guide/statistics.md.
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from scalinglab.validate.protocol import resolve_device  # noqa: F401  (the one device check)

__all__ = ["TrainConfig", "train_stacked", "resolve_device", "epoch_order", "cuda_graphs_enabled", "sgd_param_lrs"]


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and stopping settings.

    Attributes
    ----------
    lr : float
        Learning rate (Adam's; SGD's is ``lr * h``, see ``optimizer``).
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
        L2 weight decay (Adam's or SGD's ``weight_decay``).
    optimizer : str
        ``"adam"`` (torch's fused Adam, learning rate ``lr``) or ``"sgd"``:
        fused SGD with heavy-ball ``momentum`` that reproduces Cagnetta et
        al.'s training (``pcsl-epfl/random-hierarchy-model``: mean-field
        networks, SGD at ``lr * width``, momentum 0.9, loss threshold 1e-3,
        default lr 0.1) in our parametrisation: per-layer rates from
        :func:`sgd_param_lrs`.
    momentum : float
        SGD momentum (unused by Adam).

    The last two fields were added after runs had been stored: at their
    defaults they are left out of the run key
    (``metadata["key_omit_default"]``, :func:`scalinglab.validate.protocol.cell_key`),
    so stored Adam runs keep their keys.
    """

    lr: float = field(default=3e-3, metadata={"gt": 0})
    batch_size: int = field(default=128, metadata={"ge": 1})
    max_epochs: int = field(default=300, metadata={"ge": 1})
    max_steps: int = field(default=20000, metadata={"ge": 1})
    loss_tol: float = field(default=1e-2, metadata={"gt": 0})
    stop: str = field(default="loss", metadata={"choices": ("loss", "val")})
    patience: int = field(default=20, metadata={"ge": 1})
    weight_decay: float = field(default=0.0, metadata={"ge": 0})
    optimizer: str = field(default="adam", metadata={"choices": ("adam", "sgd"), "key_omit_default": True})
    momentum: float = field(default=0.9, metadata={"ge": 0, "lt": 1, "key_omit_default": True})

    def __post_init__(self):
        if self.stop not in ("loss", "val"):
            raise ValueError(f"stop must be 'loss' or 'val', got {self.stop!r}")
        if not (self.lr > 0 and self.batch_size >= 1 and self.max_epochs >= 1 and self.loss_tol > 0):
            raise ValueError("lr, batch_size, max_epochs and loss_tol must be positive")
        if not (self.max_steps >= 1 and self.patience >= 1 and self.weight_decay >= 0):
            raise ValueError("max_steps and patience must be >= 1 and weight_decay >= 0")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum!r}")


def cpu_threads():
    """Torch CPU threads for training: ``SCALINGLAB_TORCH_THREADS`` or 1.

    The networks here are small; on a shared CPU, torch's intra-op threads
    spin against other processes and one thread was measured 20x faster than
    two (2 cores, load ~5).
    """
    return max(1, int(os.environ.get("SCALINGLAB_TORCH_THREADS", "1")))


def sgd_param_lrs(model, lr):
    """Per-parameter SGD learning rates (``model.parameters()`` order) equal to Cagnetta et al.'s SGD.

    Their networks (``pcsl-epfl/random-hierarchy-model``) hold N(0, 1) weights,
    divide each layer's output by ``sqrt(fan_in)`` and the read-out by the
    width h (mean field), and train with SGD at learning rate ``lr * h``.
    Ours hold the scaled weights themselves (N(0, 1/fan_in), read-out
    N(0, 1)/h), so the same trajectory needs ``lr * h / fan_in`` on a hidden
    layer's weights and ``lr * h / h**2 = lr / h`` on the read-out. Biases
    (they have none by default) get their layer's rate, that of a weight on a
    constant input. Models without a width (the patchwise perceptron) use
    ``lr / fan_in``.

    >>> from scalinglab.theory.rhm import RHMSpec
    >>> from scalinglab.validate.models import build_model
    >>> [round(x, 4) for x in sgd_param_lrs(build_model("cnn", RHMSpec.make(), h=32), 0.1)]
    [0.0031, 0.16, 0.05, 0.05, 0.16, 0.05, 0.05]
    """
    h = int(getattr(model, "h", 0) or 0)
    base = lr * (h or 1)
    fans = {}
    for name, p in model.named_parameters():
        if name.startswith("w"):
            fans[name.replace("w", "", 1)] = p.shape[-2] if name == "w" else p.shape[1]
    out = []
    for name, p in model.named_parameters():
        if name == "readout":
            out.append(lr / h)
        elif name.startswith("w"):
            out.append(base / fans[name.replace("w", "", 1)])
        elif name.startswith("b."):
            out.append(base / fans[name[1:]])
        elif name == "bias":  # the perceptron's
            out.append(base / fans[""])
        else:  # pragma: no cover - a new model kind
            raise ValueError(f"sgd_param_lrs: no rule for parameter {name!r} of {type(model).__name__}")
    return out


def cuda_graphs_enabled(device):
    """Whether training on ``device`` captures its step in a CUDA graph (CUDA and not ``SCALINGLAB_CUDA_GRAPHS=0``)."""
    return torch.device(device).type == "cuda" and os.environ.get("SCALINGLAB_CUDA_GRAPHS", "1") != "0"


# --------------------------------------------------------------------------- batch order
_M64 = (1 << 64) - 1
_M32 = 0xFFFFFFFF


def _splitmix64(x):
    """splitmix64 on a numpy uint64 array (wrapping arithmetic)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _epoch_salts(seeds, epochs):
    """``(R, E, 2)`` int64: the two 32-bit keys of run r's epochs (host, exact 64-bit arithmetic).

    ``h = splitmix64(splitmix64(seed) ^ epoch)``, keys ``h mod 2**32`` and ``h >> 32``.
    """
    sd = np.array([int(x) & _M64 for x in seeds], dtype=np.uint64)
    ep = np.asarray(list(epochs), dtype=np.uint64)
    h = _splitmix64(_splitmix64(sd)[:, None] ^ ep[None, :])
    return torch.from_numpy(np.stack([h & np.uint64(_M32), h >> np.uint64(32)], axis=-1).astype(np.int64))


def _mix32(x):
    """A bijection of ``[0, 2**32)`` (xor-shift / odd multiply), in int64 without overflow (products < 2**59)."""
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _M32
    x = (((x >> 16) ^ x) * 0x45D9F3B) & _M32
    return (x >> 16) ^ x


def _order(salts, P):
    """Per-run permutations ``(R, P)`` of ``range(P)`` from ``(R, 2)`` salts (on the salts' device)."""
    j = torch.arange(P, device=salts.device, dtype=torch.int64)
    keys = _mix32(_mix32(j ^ salts[:, :1]) ^ salts[:, 1:])  # distinct keys: a bijection of j
    return torch.argsort(keys, dim=1)


def epoch_order(seed, epoch, P, device="cpu"):
    """The order in which a run with batch-order seed ``seed`` visits its P training data in epoch ``epoch``.

    Depends only on ``(seed, epoch, P)``, not on the device or the stack.

    >>> sorted(epoch_order(0, 1, 5).tolist())
    [0, 1, 2, 3, 4]
    >>> bool((epoch_order(0, 1, 100) == epoch_order(0, 2, 100)).all())
    False
    """
    return _order(_epoch_salts([seed], [epoch])[:, 0].to(device), int(P))[0]


# --------------------------------------------------------------------------- evaluation
#: Bytes of activations one evaluation chunk may take (per device kind).
EVAL_BUDGET = {"cuda": 1 << 30, "cpu": 64 << 20}


def _act_per_datum(model):
    """Floats of the largest activation of one datum of one run (one-hot input or first hidden layer)."""
    h = getattr(model, "h", 0)
    d, v = model.d, model.v
    n_pos = d // getattr(model, "s", 1) if model.__class__.__name__ == "CNN" else 1
    return max(d * v, n_pos * h, 1)


def _eval_chunk(model, R, n, dev):
    per = 4 * 3 * _act_per_datum(model) * max(R, 1)  # one-hot/activation, its ReLU and the next layer's input
    return int(max(16, min(n, EVAL_BUDGET.get(torch.device(dev).type, 64 << 20) // per)))


@torch.no_grad()
def _predict(model, params, x, chunk):
    """Argmax predictions ``(R, n)`` of ``model.forward_with(params, x)`` in chunks of ``chunk`` data."""
    out = []
    for i in range(0, x.shape[1], chunk):
        out.append(model.forward_with(params, x[:, i:i + chunk]).argmax(-1))
    return torch.cat(out, dim=1)


# --------------------------------------------------------------------------- size check
def _host_available():
    """Bytes of host memory available (``MemAvailable`` of /proc/meminfo, else free pages; None if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


def _check_memory(model, R, P, n_test, bs, dev, val):
    """Refuse (InputError) a stack whose estimated device memory exceeds what is free."""
    from scalinglab.errors import InputError

    n_par = sum(p.numel() for p in model.parameters()) // max(model.R, 1) * R
    copies = 6 + (1 if val else 0)  # model, live params, grads, 2 Adam moments, saved results (+ best state)
    act = 4 * 4 * _act_per_datum(model) * R * bs * 3  # forward + backward activations of the layers
    need = 4 * n_par * copies + act + 8 * R * (P + n_test) * model.d
    dev = torch.device(dev)
    free = torch.cuda.mem_get_info(dev)[0] if dev.type == "cuda" else _host_available()
    if free is not None and need > 0.9 * free:
        raise InputError(f"stack of R={R} runs needs about {need / 2**30:.1f} GiB on {dev}, "
                         f"{free / 2**30:.1f} GiB free: use fewer runs per stack or a smaller width")


# --------------------------------------------------------------------------- training
def train_stacked(model, x_train, y_train, x_test, y_test, cfg=TrainConfig(), x_val=None, y_val=None, seeds=None):
    """Train the R stacked runs of ``model`` and measure their test error.

    Parameters
    ----------
    model : a stacked model (:mod:`scalinglab.validate.models`)
        On the device of the data; ``forward((R, B, v, d) or (R, B, d)) -> (R, B, n_c)``.
    x_train : torch.Tensor, (R, P, d) integer symbols or (R, P, v, d) one-hot floats
    y_train : torch.Tensor, (R, P) int64
    x_test : torch.Tensor, (R, n_test, d) or (R, n_test, v, d)
    y_test : torch.Tensor, (R, n_test)
    cfg : TrainConfig
    x_val, y_val : torch.Tensor, optional
        Fresh validation data, needed when ``cfg.stop == "val"``.
    seeds : sequence of int, optional
        Seed of each run's mini-batch order (default ``0 .. R-1``); run r's
        order does not depend on the other runs, so a run trained alone or in
        a stack sees the same batches (module docstring).

    Returns
    -------
    dict
        ``test_err`` (R,), ``test_correct`` (R, n_test) bool, ``train_loss`` (R,)
        at the stop, ``epochs`` (R,), ``converged`` (R,) bool, ``diverged`` (R,)
        bool (the epoch's mean loss went non-finite: the run stopped there and
        is a failed run, not a measurement), ``steps`` (the
        stack's optimiser steps), ``wall_s``; all numpy. The model's
        parameters are, per run, those at its stopping point.

    Examples
    --------
    >>> import torch
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> from scalinglab.validate.models import build_stacked
    >>> from scalinglab.validate.rhm import RHMData
    >>> spec = RHMSpec.make(alpha=4.0)
    >>> d = [RHMData(spec, s) for s in (0, 1)]
    >>> X = torch.as_tensor(np.stack([di.train(64).x for di in d]))
    >>> Y = torch.as_tensor(np.stack([di.train(64).y for di in d]))
    >>> Xt = torch.as_tensor(np.stack([di.test(100).x for di in d]))
    >>> Yt = torch.as_tensor(np.stack([di.test(100).y for di in d]))
    >>> res = train_stacked(build_stacked("cnn", spec, [0, 1], h=16), X, Y, Xt, Yt,
    ...                     TrainConfig(max_epochs=3), seeds=[0, 1])
    >>> res["test_err"].shape, int(res["epochs"].max())
    ((2,), 3)
    """
    R, P = y_train.shape
    if x_train.shape[:2] != (R, P) or x_test.shape[:2] != y_test.shape or x_test.shape[0] != R:
        raise ValueError("x_train/y_train/x_test/y_test shapes disagree")
    if cfg.stop == "val" and (x_val is None or y_val is None):
        raise ValueError("stop='val' needs x_val and y_val")
    if getattr(model, "R", R) != R:
        raise ValueError(f"model has R={model.R} runs, data have {R}")
    seeds = list(range(R)) if seeds is None else [int(x) for x in seeds]
    if len(seeds) != R:
        raise ValueError(f"need one batch-order seed per run ({R}), got {len(seeds)}")
    dev = x_train.device
    old_threads = torch.get_num_threads()
    if dev.type == "cpu":
        torch.set_num_threads(cpu_threads())
    try:
        with _matmul_precision(dev), _deterministic(dev):
            return _Trainer(model, x_train, y_train, x_test, y_test, cfg, x_val, y_val, seeds).run()
    finally:
        torch.set_num_threads(old_threads)


@contextlib.contextmanager
def _deterministic(dev):
    """On the CPU, torch's deterministic algorithms during training (restored afterwards).

    A run key then gives the same row bit for bit on one CPU type, whatever the
    stack, the scheduler or ``SCALINGLAB_TORCH_THREADS`` (measured and tested:
    docs/guide/statistics.md, "Reproducibility of a run"). On CUDA the graphs
    and cuBLAS keep their own settings.
    """
    if dev.type != "cpu":
        yield
        return
    old = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(old, warn_only=old_warn)


@contextlib.contextmanager
def _matmul_precision(dev):
    """Full float32 matmuls on CUDA during training unless ``SCALINGLAB_TF32=1`` (restored afterwards)."""
    if dev.type != "cuda":
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = os.environ.get("SCALINGLAB_TF32", "0") == "1"
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old


def _cross_entropy(logits, y):
    """Mean cross-entropy per run, ``(R,)``, of logits ``(R, B, n_c)`` and labels ``(R, B)``.

    ``logsumexp - logit of the label``: equal to ``torch.nn.functional.cross_entropy``
    to float rounding (a test checks it), and 3x faster forward + backward on a
    CPU thread for n_c = 10 (0.38 ms against 1.24 ms at R = 40, B = 128), where
    torch's log-softmax over a last dimension of 10 is slow.
    """
    return (torch.logsumexp(logits, -1) - logits.gather(-1, y[..., None])[..., 0]).mean(1)


def _as_input(x):
    """Integer symbols as int64 (the gather and the one-hot want int64), floats unchanged."""
    return x if x.is_floating_point() else x.long()


#: Compact the stack when more than this fraction of its runs are finished (per device kind). On the CPU
#: compute grows with the stack, so finished runs leave at once; on CUDA a compaction means a new graph
#: capture, so finished runs stay (masked, harmless) until a quarter of the stack is finished.
COMPACT_FRACTION = {"cpu": 0.0, "cuda": 0.25}


class _Trainer:
    """One training of a stack.

    ``stack`` holds the global indices of the runs in the current stack and
    ``dead`` which of them have finished: a finished run is tested and saved,
    then its loss is masked (``alive``, a device buffer the CUDA graph reads)
    until the stack is compacted (:data:`COMPACT_FRACTION`). Its parameters may
    still move (Adam momentum) but nothing reads them again.
    """

    WARMUP = 3
    SALT_BLOCK = 64

    def __init__(self, model, x_train, y_train, x_test, y_test, cfg, x_val, y_val, seeds):
        self.model, self.cfg, self.seeds = model, cfg, seeds
        self.dev = x_train.device
        self.R, self.P = y_train.shape
        self.bs = min(cfg.batch_size, self.P)
        self.n_batches = max(1, self.P // self.bs)
        x_train = _as_input(x_train)
        self.feat = x_train.shape[2:]
        self.x = x_train.reshape(self.R, self.P, -1)
        self.y = y_train.long()
        self.x_test, self.y_test = _as_input(x_test), y_test
        self.val = cfg.stop == "val"
        self.x_val = _as_input(x_val) if self.val else None
        self.y_val = y_val if self.val else None
        _check_memory(model, self.R, self.P, x_test.shape[1], self.bs, self.dev, self.val)
        self.final = [p.detach().clone() for p in model.parameters()]  # per run: parameters it was tested with
        self.params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
        self.best = [p.detach().clone() for p in self.params] if self.val else None
        self.best_val = np.full(self.R, np.inf)
        self.since_best = np.zeros(self.R, dtype=np.int64)
        self.use_graphs = cuda_graphs_enabled(self.dev)
        self.compact_above = COMPACT_FRACTION.get(self.dev.type, 0.0)
        self.salts, self.salt_lo = None, 0
        self.side = None  # CUDA side stream of the warm-up steps
        self.opt = self._make_opt(self.params)
        self.stack = np.arange(self.R)
        self._new_stack()

    # ---------------------------------------------------------------- stack (re)construction
    def _make_opt(self, params, state=None):
        """Fused Adam or SGD over ``params`` with its state created here, on the default stream (given, or
        zero) rather than lazily inside a warm-up step on the side stream.

        SGD's momentum buffer starts at zero: ``buf = momentum * 0 + grad`` equals torch's lazy first step
        ``buf = grad`` (no dampening), so the trajectory is torch's.
        """
        cfg = self.cfg
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if cfg.optimizer == "sgd":
                groups = [{"params": [p], "lr": r} for p, r in zip(params, sgd_param_lrs(self.model, cfg.lr))]
                opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                                      fused=True)
            else:
                opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True,
                                       capturable=self.use_graphs)
        for i, p in enumerate(params):
            if state is not None:
                opt.state[p] = state[i]
            elif cfg.optimizer == "sgd":
                if cfg.momentum > 0:
                    opt.state[p] = {"momentum_buffer": torch.zeros_like(p, memory_format=torch.preserve_format)}
            else:
                opt.state[p] = {"step": torch.zeros((), dtype=torch.float32, device=p.device),
                                "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                                "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format)}
        return opt

    def _new_stack(self):
        """Buffers of the current stack (its step is captured again on CUDA)."""
        n = len(self.stack)
        self.dead = np.zeros(n, dtype=bool)
        self.stack_t = torch.as_tensor(self.stack, device=self.dev)
        self.alive = torch.ones(n, device=self.dev)
        self.offset = torch.zeros((), dtype=torch.int64, device=self.dev)
        self.arange_bs = torch.arange(self.bs, device=self.dev)
        self.tot = torch.zeros(n, device=self.dev)
        self.order = torch.empty(n, self.P, dtype=torch.int64, device=self.dev)
        self.graph = None
        self.eager_steps = 0

    def _compact(self, keep):
        """Keep the runs at stack positions ``keep`` (parameters and Adam state sliced)."""
        ksel = torch.as_tensor(keep, device=self.dev)
        new = [p.detach()[ksel].clone().requires_grad_(True) for p in self.params]
        state = [{k: (v.clone() if k == "step" else v[ksel].clone()) for k, v in self.opt.state[p].items()}
                 for p in self.params]
        opt = self._make_opt(new, state)
        if self.val:
            self.best = [b[ksel].clone() for b in self.best]
        self.params, self.opt = new, opt
        self.x, self.y = self.x[ksel], self.y[ksel]
        self.stack = self.stack[keep]
        self._new_stack()

    def _salts(self, epoch):
        """``(len(stack), 2)`` batch-order keys of the stack's runs for ``epoch`` (device; computed in blocks)."""
        if self.salts is None or not self.salt_lo <= epoch < self.salt_lo + self.SALT_BLOCK:
            self.salt_lo = epoch
            self.salts = _epoch_salts(self.seeds, range(epoch, epoch + self.SALT_BLOCK)).to(self.dev)
        return self.salts[self.stack_t, epoch - self.salt_lo]

    # ---------------------------------------------------------------- one step
    def _step_body(self):
        n = len(self.stack)
        idx = self.order.index_select(1, self.offset + self.arange_bs)  # (n, bs)
        xb = torch.gather(self.x, 1, idx[:, :, None].expand(-1, -1, self.x.shape[2])).view(n, self.bs, *self.feat)
        yb = torch.gather(self.y, 1, idx)
        loss_r = _cross_entropy(self.model.forward_with(self.params, xb), yb)
        (loss_r * self.alive).sum().backward()
        self.opt.step()
        self.tot.add_(loss_r.detach())
        self.offset.add_(self.bs)

    def _step(self):
        if self.graph is not None:
            self.graph.replay()
            return
        if self.use_graphs and self.eager_steps >= self.WARMUP:
            try:
                self.opt.zero_grad(set_to_none=True)  # grads get allocated in the graph's pool
                self.graph = self._capture(self._step_body)
                self.graph.replay()
                return
            except Exception as exc:  # pragma: no cover - CUDA only
                warnings.warn(f"CUDA graph capture failed ({exc!r}); training with eager steps", RuntimeWarning)
                self.use_graphs = False
                self.graph = None
                for p in self.params:
                    p.grad = None
        self.opt.zero_grad(set_to_none=True)
        if self.use_graphs:
            with self._warmup_stream(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # capturable Adam run uncaptured
                self._step_body()
        else:
            self._step_body()
        self.eager_steps += 1

    @contextlib.contextmanager
    def _warmup_stream(self):  # pragma: no cover - CUDA only
        """Run the enclosed (warm-up) step on a side stream, as before a capture."""
        if self.side is None:
            self.side = torch.cuda.Stream(self.dev)
        main = torch.cuda.current_stream(self.dev)
        self.side.wait_stream(main)
        with torch.cuda.stream(self.side):
            yield
        main.wait_stream(self.side)

    def _capture(self, body):  # pragma: no cover - CUDA only
        """A CUDA graph of ``body()`` (recorded, not run): all its inputs are device buffers updated in place."""
        torch.cuda.synchronize(self.dev)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            body()
        return g

    # ---------------------------------------------------------------- epochs
    def run(self):
        cfg = self.cfg
        R = self.R
        result_correct = np.zeros((R, self.x_test.shape[1]), dtype=bool)
        train_loss = np.full(R, np.nan)
        epochs = np.zeros(R, dtype=np.int64)
        converged = np.zeros(R, dtype=bool)
        diverged = np.zeros(R, dtype=bool)  # the epoch's mean loss went non-finite: a failed run, stopped there
        steps = 0
        t0 = time.perf_counter()
        for epoch in range(1, cfg.max_epochs + 1):
            self.order.copy_(_order(self._salts(epoch), self.P))
            self.offset.zero_()
            self.tot.zero_()
            for _ in range(self.n_batches):
                self._step()
            steps += self.n_batches
            mean_loss = (self.tot / self.n_batches).cpu().numpy()  # the epoch's one synchronisation
            act = np.flatnonzero(~self.dead)  # stack positions of the runs still training
            glob = self.stack[act]
            epochs[glob] = epoch
            train_loss[glob] = mean_loss[act]
            done = mean_loss[act] < cfg.loss_tol
            converged[glob[done]] = True
            bad = ~np.isfinite(mean_loss[act])
            diverged[glob[bad]] = True
            done |= bad
            if self.val:
                done |= self._validate(act)
            if epoch == cfg.max_epochs or steps >= cfg.max_steps:
                done[:] = True
            if not done.any():
                continue
            local = act[done]
            result_correct[self.stack[local]] = self._finish(local)
            self.dead[local] = True
            self.alive[torch.as_tensor(local, device=self.dev)] = 0.0
            if self.dead.all():
                break
            if self.dead.sum() > self.compact_above * len(self.stack):
                self._compact(np.flatnonzero(~self.dead))
        with torch.no_grad():
            for p, f in zip(self.model.parameters(), self.final):
                p.copy_(f)
        return {"test_err": 1.0 - result_correct.mean(1), "test_correct": result_correct, "train_loss": train_loss,
                "epochs": epochs, "converged": converged, "diverged": diverged, "steps": steps,
                "wall_s": time.perf_counter() - t0}

    def _sub(self, tensors, local):
        """Rows ``local`` (stack positions) of stack-sized tensors, detached (no copy when all rows)."""
        if len(local) == len(self.stack):
            return [t.detach() for t in tensors]
        sel = torch.as_tensor(local, device=self.dev)
        return [t.detach()[sel] for t in tensors]

    def _validate(self, act):
        """Validation error of the runs at stack positions ``act``; best state and patience updated;
        which of them stop (bool array over ``act``)."""
        glob = self.stack[act]
        gsel = torch.as_tensor(glob, device=self.dev)
        xv, yv = self.x_val[gsel], self.y_val[gsel]
        chunk = _eval_chunk(self.model, len(act), xv.shape[1], self.dev)
        val_err = (_predict(self.model, self._sub(self.params, act), xv, chunk) != yv).float().mean(1).cpu().numpy()
        improved = val_err < self.best_val[glob]
        self.best_val[glob[improved]] = val_err[improved]
        self.since_best[glob[improved]] = 0
        self.since_best[glob[~improved]] += 1
        if improved.any():
            mask = np.zeros(len(self.stack), dtype=bool)
            mask[act[improved]] = True
            m = torch.as_tensor(mask, device=self.dev)
            with torch.no_grad():
                for b, p in zip(self.best, self.params):
                    b.copy_(torch.where(m.view(-1, *[1] * (p.dim() - 1)), p.detach(), b))
        return self.since_best[glob] >= self.cfg.patience

    def _finish(self, local):
        """Test the runs at stack positions ``local``; save their parameters; return their test correctness."""
        glob = self.stack[local]
        params = self._sub(self.best if self.val else self.params, local)
        gsel = torch.as_tensor(glob, device=self.dev)
        xt, yt = self.x_test[gsel], self.y_test[gsel]
        chunk = _eval_chunk(self.model, len(glob), xt.shape[1], self.dev)
        correct = (_predict(self.model, params, xt, chunk) == yt).cpu().numpy()
        with torch.no_grad():
            for f, p in zip(self.final, params):
                f[gsel] = p
        return correct
