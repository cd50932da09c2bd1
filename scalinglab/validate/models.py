"""Torch networks for the RHM, *stacked*: one module trains R independent runs.

Every weight carries a leading run axis of size R and the input is
``(R, B, v, d)`` (run r sees its own batch), so R networks with different
initialisations and different training sets train in one set of batched
matrix products (``torch.bmm``) — the stacked-weight alternative to
``torch.func.vmap`` over copies of a model. Runs do not interact: the loss
is a sum over runs, so each run's gradient is its own, and Adam is
element-wise, so one Adam over the stack equals R separate Adams.

Architectures (after Cagnetta et al., PRX 14, 031001 (2024)):

* :class:`CNN` — L convolutional layers with filter size = stride = s (each
  layer maps non-overlapping s-tuples to a width-h vector, ReLU), so after L
  layers one position of width h remains, then a linear read-out to n_c
  logits. Initialisation: weights N(0, 1/fan_in), zero biases; read-out
  N(0, 1)/h (mean-field scaling, as in their code).
* :class:`FCN` — fully connected, ``depth`` hidden ReLU layers of width h.
* :class:`PatchPerceptron` — the seed's patchwise perceptron: one linear map
  per input patch (s symbols, one-hot) to n_c logits, logits summed over the
  K patches.

Inputs: either one-hot floats ``(R, B, v, d)`` or the integer symbols
``(R, B, d)`` themselves; symbols are one-hot encoded inside ``forward``, on
the model's device, into exactly the floats of the one-hot path (so the two
give identical logits), and the training data never exist one-hot on the host.
``model.forward_with(params, x)`` is the same forward with explicit parameters (in
``model.parameters()`` order, each with any leading run count), which the
trainer uses to train or evaluate a subset of the runs.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["CNN", "FCN", "PatchPerceptron", "build_model", "build_stacked", "MODELS"]


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

    def forward(self, x):
        return self.forward_with(list(self.parameters()), x)

    def _layers(self, params):
        """``(weights, biases, readout)`` from a list in ``parameters()`` order
        (``readout, w.0 .. w.n-1, b.0 .. b.n-1``: a module yields its own parameters first)."""
        n = (len(params) - 1) // 2
        return params[1:1 + n], params[1 + n:], params[0]

    def _onehot(self, x, R, order):
        """Check ``x`` and give the one-hot floats as ``(R, B, d, v)`` (order "dv") or ``(R, B, v, d)`` ("vd").

        Integer symbols ``(R, B, d)`` are encoded here, as rows of the identity
        (``embedding(x, eye(v))``: on one CPU thread 73 us for a 40 x 128 x 8
        batch, against 200-370 us for ``one_hot``, ``scatter_`` or a comparison
        with ``arange(v)``); float input is taken as one-hot ``(R, B, v, d)``.
        """
        if not x.is_floating_point():
            if x.dim() != 3 or x.shape[0] != R or x.shape[2] != self.d:
                raise ValueError(f"symbol input must have shape (R={R}, B, d={self.d}), got {tuple(x.shape)}")
            eye = torch.eye(self.v, device=x.device, dtype=torch.get_default_dtype())
            hot = torch.nn.functional.embedding(x.long(), eye)  # (R, B, d, v)
            return hot if order == "dv" else hot.transpose(2, 3)
        if x.dim() != 4 or x.shape[0] != R or x.shape[2] != self.v or x.shape[3] != self.d:
            raise ValueError(f"input must have shape (R={R}, B, v={self.v}, d={self.d}), got {tuple(x.shape)}")
        return x.transpose(2, 3) if order == "dv" else x

    def _check(self, x):  # kept for callers of the former API
        self._onehot(x, self.R, "vd")


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

    def forward_with(self, params, x):
        R = params[0].shape[0]
        z = self._onehot(x, R, "dv")
        B, d, v = z.shape[1:]
        # (R, B, d, v) -> (R, B, d/s, s*v): patch j holds positions s*j..s*j+s-1
        z = z.reshape(R, B, d // self.s, self.s * v)
        ws, bs, readout = self._layers(params)
        for w, b in zip(ws, bs):
            n_pos = z.shape[2]
            z = torch.baddbmm(b, z.reshape(R, B * n_pos, -1), w).relu()
            z = z.reshape(R, B, n_pos // self.s, self.s * self.h) if n_pos > 1 else z.reshape(R, B, self.h)
        return torch.bmm(z, readout)


class FCN(_Stacked):
    """Fully connected net: ``depth`` hidden ReLU layers of width h, linear read-out."""

    def __init__(self, v, d, n_c, h=128, depth=2, R=1, generator=None):
        super().__init__(R)
        if depth < 1:
            raise ValueError("FCN depth must be >= 1")
        self.v, self.d, self.h, self.n_c = v, d, h, n_c
        self._build_layers([v * d] + [h] * (depth - 1), h, n_c, generator)

    def forward_with(self, params, x):
        R = params[0].shape[0]
        z = self._onehot(x, R, "vd")
        z = z.reshape(R, z.shape[1], -1)
        ws, bs, readout = self._layers(params)
        for w, b in zip(ws, bs):
            z = torch.baddbmm(b, z, w).relu()
        return torch.bmm(z, readout)


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

    def forward_with(self, params, x):
        w, bias = params
        R = w.shape[0]
        z = self._onehot(x, R, "dv")
        z = z.reshape(R, z.shape[1], self.K, self.s * self.v)
        return torch.einsum("rbkf,rkfc->rbc", z, w) + bias


MODELS = {"cnn": CNN, "fcn": FCN, "perceptron": PatchPerceptron}


def build_model(kind, spec, R=1, h=64, depth=None, seed=0, device="cpu"):
    """Build a stacked model of ``kind`` ('cnn', 'fcn', 'perceptron') for an RHMSpec.

    ``depth`` is the FCN's number of hidden layers (default: ``spec.L``). The
    weights are drawn on ``device`` with a generator of that device seeded
    with ``seed``: identical for a seed on one device kind (CPU and CUDA
    generators differ).

    >>> from scalinglab.theory.rhm import RHMSpec
    >>> m = build_model("cnn", RHMSpec.make(), R=2, h=8, seed=1)
    >>> tuple(m(torch.zeros(2, 5, 8, dtype=torch.long)).shape)
    (2, 5, 10)
    """
    device = torch.device(device)
    g = torch.Generator(device=device).manual_seed(int(seed)) if device.type != "meta" else torch.Generator()
    d = spec.input_size
    with device:
        if kind == "cnn":
            return CNN(spec.v, d, spec.s, spec.n_c, h=h, R=R, generator=g)
        if kind == "fcn":
            return FCN(spec.v, d, spec.n_c, h=h, depth=depth or spec.L, R=R, generator=g)
        if kind == "perceptron":
            return PatchPerceptron(spec.v, d, spec.s, spec.n_c, R=R, generator=g)
    raise ValueError(f"unknown model {kind!r}; choose from {sorted(MODELS)}")


def build_stacked(kind, spec, seeds, h=64, depth=None, device="cpu"):
    """A stack of ``len(seeds)`` runs, run r initialised exactly as
    ``build_model(kind, spec, R=1, seed=seeds[r], device=device)`` (independent of the stack).

    On CUDA the weights are drawn there (for width 1024, 40 runs: seconds
    fewer on the host per stack than drawing them on the CPU and copying).

    >>> from scalinglab.theory.rhm import RHMSpec
    >>> a = build_stacked("cnn", RHMSpec.make(), [3, 5], h=8)
    >>> b = build_model("cnn", RHMSpec.make(), R=1, h=8, seed=5)
    >>> bool(torch.equal(a.readout[1], b.readout[0]))
    True
    """
    seeds = [int(x) for x in seeds]
    if not seeds:
        raise ValueError("need at least one seed")
    stack = build_model(kind, spec, R=len(seeds), h=h, depth=depth, seed=seeds[0], device="meta")  # shapes only
    stack.to_empty(device=device)
    with torch.no_grad():
        for r, sd in enumerate(seeds):
            single = build_model(kind, spec, R=1, h=h, depth=depth, seed=sd, device=device)
            for p, q in zip(stack.parameters(), single.parameters()):
                p[r] = q[0]
    return stack
