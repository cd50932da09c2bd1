"""Training runs on the Zipf RHM: the run cell, its config pieces, and the stacked runner.

A run is an :class:`RHMRun` cell: the data model (:class:`RHMSizes` and one Zipf exponent
per level: any RHMSpec), the network (:class:`Net`), the
training settings (:class:`~scalinglab.validate.train.TrainConfig`, the one
place of their defaults), the number of fresh test data, the training-set size
P and the seed. Its key (:func:`scalinglab.validate.protocol.cell_key`) is
derived from all of them, so any changed setting is a different run.
:func:`run_block` trains the runs of one group (equal but for the seed) at once
(stacked, :mod:`scalinglab.validate.models`) and measures, on fresh test data,
the test error and the seed's path bookkeeping: for every test datum, how many
of its K paths were seen in training (position-specific, and the
position-free fraction), and the accuracy of the test data with k seen paths.

The RHM experiments (:mod:`scalinglab.validate.rhm._experiments`) share one
row store, ``OUT/../rhm-runs``: cells are of one kind (``rhm-run``), so a run
made for one figure is reused by every other figure that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from scalinglab.errors import InputError
from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.rhm._data import SAMPLING
from scalinglab.validate.train import TrainConfig

__all__ = ["BASE", "RHMSizes", "Net", "Curve", "RHMRun", "run_block", "curve_cells", "by_P", "alpha_label", "MODELS"]

#: The seed's model: m = v = n_c = 10, s = 2, L = 3 (P* = 10^4).
BASE = dict(n_c=10, v=10, m=10, s=2, L=3)
MODELS = ("cnn", "fcn", "perceptron")


@dataclass(frozen=True)
class RHMSizes:
    """Sizes of an RHM: classes ``n_c``, vocabulary ``v``, rules per symbol ``m``, tuple size ``s``, depth ``L``.

    Examples
    --------
    >>> sizes = RHMSizes()                            # the note's m = v = n_c = 10, s = 2, L = 3
    >>> sizes.alphas(1.0, zipf_levels=[3])            # -1 (uniform) on the other levels
    (-1.0, -1.0, 1.0)
    >>> sizes.spec((2.0, 2.0, 2.0)).describe()
    'RHM(n_c=10, v=10, m=10, s=2, L=3, levels=[zipf(2), zipf(2), zipf(2)])'
    >>> RHMSizes(m=20)
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: ambiguous rules: m*v = 200 > v**s = 100; each of the v symbols needs m distinct s-tuples of its own
    """

    n_c: int = field(default=10, metadata={"ge": 1})
    v: int = field(default=10, metadata={"ge": 1})
    m: int = field(default=10, metadata={"ge": 1})
    s: int = field(default=2, metadata={"ge": 2})
    L: int = field(default=3, metadata={"ge": 1})

    def __post_init__(self):
        try:
            RHMSpec(self.n_c, self.v, self.m, self.s, self.L, -1.0)
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def spec(self, alpha):
        """The RHMSpec of these sizes with per-level exponents ``alpha``."""
        return RHMSpec(self.n_c, self.v, self.m, self.s, self.L, tuple(alpha))

    def alphas(self, alpha, zipf_levels=None):
        """Per-level exponents: scalar ``alpha`` on ``zipf_levels`` (1-based; None/empty = all), -1 elsewhere;
        a sequence is taken as one value per level."""
        if not isinstance(alpha, (int, float)):
            a = tuple(float(x) for x in alpha)
            if len(a) != self.L:
                raise InputError(f"alpha needs one value per level (L={self.L}), got {len(a)}")
            if zipf_levels:
                raise InputError("give either a per-level alpha list or zipf_levels with a scalar alpha")
        else:
            zl = set(range(1, self.L + 1)) if not zipf_levels else {int(z) for z in zipf_levels}
            bad = sorted(z for z in zl if not 1 <= z <= self.L)
            if bad:
                raise InputError(f"zipf_levels must lie in 1..L={self.L}, got {bad}")
            a = tuple(float(alpha) if lv in zl else -1.0 for lv in range(1, self.L + 1))
        try:
            self.spec(a)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return a


def alpha_label(alpha):
    """``uniform``, ``zipf a=1 on [2,3]`` or ``zipf a=(u, 1, 2)`` for per-level exponents.

    Examples
    --------
    >>> alpha_label((-1.0, -1.0, -1.0)), alpha_label((-1.0, 1.0, 1.0)), alpha_label((-1.0, 1.0, 2.0))
    ('uniform', 'zipf a=1 on [2,3]', 'zipf a=(u, 1, 2)')
    """
    if all(a == -1.0 for a in alpha):
        return "uniform"
    zl = [i + 1 for i, a in enumerate(alpha) if a != -1.0]
    vals = {alpha[z - 1] for z in zl}
    if len(vals) == 1:
        return f"zipf a={vals.pop():g} on [{','.join(map(str, zl))}]"
    return "zipf a=(" + ", ".join("u" if a == -1.0 else f"{a:g}" for a in alpha) + ")"


@dataclass(frozen=True)
class Net:
    """A network: ``kind`` (cnn, fcn, perceptron), hidden ``width``, FCN ``depth`` (0 = L).

    Examples
    --------
    >>> Net(), Net("fcn", width=32)
    (Net(kind='cnn', width=64, depth=0), Net(kind='fcn', width=32, depth=0))
    """

    kind: str = field(default="cnn", metadata={"choices": MODELS})
    width: int = field(default=64, metadata={"ge": 1})
    depth: int = field(default=0, metadata={"ge": 0})


@dataclass(frozen=True)
class Curve:
    """One learning curve of an RHM sweep: a data model and a network kind (and its stopping rule).

    ``alpha`` is a scalar put on ``zipf_levels`` (empty = all levels) or one
    value per level; ``model`` overrides the sweep's net kind; ``stop``
    overrides the sweep's training stop rule (``""``: keep it); ``sampling``
    is ``"iid"`` (training set of P i.i.d. draws, fresh i.i.d. test data) or
    ``"distinct"`` (P distinct data, test data unseen in training;
    :mod:`scalinglab.validate.rhm._data`).

    Examples
    --------
    >>> cells = curve_cells(Curve(alpha=1.0, zipf_levels=(2, 3)), RHMSizes(), Net(), TrainConfig(), 1000, (64,), 1)
    >>> cells[0].alpha, cells[0].label
    ((-1.0, 1.0, 1.0), 'cnn zipf a=1 on [2,3]')
    """

    alpha: float | tuple[float, ...] = -1.0
    zipf_levels: tuple[int, ...] = ()
    model: str = field(default="", metadata={"choices": ("",) + MODELS})
    stop: str = field(default="", metadata={"choices": ("", "loss", "val")})
    sampling: str = field(default="iid", metadata={"choices": SAMPLING})


@dataclass(frozen=True)
class RHMRun:
    """One trained network (a cell of every RHM experiment).

    Examples
    --------
    >>> run = RHMRun(RHMSizes(), (2.0, 2.0, 2.0), Net(width=16), TrainConfig(), n_test=1000, P=64, seed=0)
    >>> run.label, run.spec().describe(), RHMRun.kind
    ('cnn zipf a=2 on [1,2,3]', 'RHM(n_c=10, v=10, m=10, s=2, L=3, levels=[zipf(2), zipf(2), zipf(2)])', 'rhm-run')
    """

    kind: ClassVar[str] = "rhm-run"

    rhm: RHMSizes
    alpha: tuple[float, ...]
    net: Net
    train: TrainConfig
    n_test: int
    P: int
    seed: int
    #: ``"iid"`` or ``"distinct"`` (:mod:`scalinglab.validate.rhm._data`); keyed only when not ``"iid"``, so the
    #: keys of runs stored before the field existed stay valid.
    sampling: str = field(default="iid", metadata={"choices": SAMPLING, "key_omit_default": True})

    def __post_init__(self):
        if self.sampling not in SAMPLING:
            raise InputError(f"sampling must be one of {list(SAMPLING)}, got {self.sampling!r}")

    def spec(self):
        return self.rhm.spec(self.alpha)

    @property
    def label(self):
        return f"{self.net.kind} {alpha_label(self.alpha)}"


def curve_cells(curve, rhm, net, train, n_test, P_grid, seeds):
    """The cells of one curve: a grid of P and seeds on the curve's model and network.

    Examples
    --------
    >>> cells = curve_cells(Curve(alpha=2.0), RHMSizes(), Net(width=16), TrainConfig(), 200, (64, 256), seeds=2)
    >>> [(c.P, c.seed) for c in cells]
    [(64, 0), (64, 1), (256, 0), (256, 1)]
    """
    alpha = rhm.alphas(curve.alpha, curve.zipf_levels)
    n = replace(net, kind=curve.model or net.kind)
    tr = replace(train, stop=curve.stop) if curve.stop else train
    return [RHMRun(rhm, alpha, n, tr, int(n_test), int(P), int(sd), curve.sampling) for P in P_grid
            for sd in range(int(seeds))]


def run_block(cells, device="cpu"):
    """Train the networks of ``cells`` (equal but for the seed and the Zipf exponents) as one stack.

    Run ``seed`` uses rules, data stream, initialisation and batch order all
    derived from ``seed`` (rules seed = data seed = init seed = ``seed``).

    Returns
    -------
    list of dict
        One per cell: ``test_err``, ``train_loss``, ``epochs``, ``converged``,
        ``seen_frac`` (fraction of test paths seen at their position),
        ``seen_frac_free`` (at any position), ``R`` (runs in the stack),
        ``wall_block_s``, and for k = 0..K ``n_k`` (test data with k seen
        paths) and ``acc_k`` (their accuracy, None when ``n_k = 0``).

    Examples
    --------
    >>> cells = curve_cells(Curve(alpha=2.0), RHMSizes(), Net(width=16), TrainConfig(max_epochs=2), 200, (64,), 2)
    >>> rows = run_block(cells)                       # 2 seeds trained as one stack, 2 epochs
    >>> [r["epochs"] for r in rows], rows[0]["R"], sorted(k for k in rows[0] if k.startswith("n_"))
    ([2, 2], 2, ['n_0', 'n_1', 'n_2', 'n_3', 'n_4'])
    """
    from scalinglab.validate.rhm._engine import train_cells

    cells = list(cells)
    c0 = cells[0]
    if any(replace(c, seed=0, alpha=()) != replace(c0, seed=0, alpha=()) for c in cells):
        raise ValueError("run_block needs cells that differ only in their seed and Zipf exponents")
    return train_cells([(c.spec(), c.P, c.seed) for c in cells], model=c0.net.kind, h=c0.net.width,
                       depth=c0.net.depth or None, n_test=c0.n_test, train=c0.train, device=device,
                       sampling=c0.sampling)


def by_P(rows, field="test_err", with_seeds=False):
    """``(P array, list of per-seed value arrays)`` of a field, P ascending, seeds ascending within each P
    (missing values dropped), so that the result does not depend on the order the rows were stored in.

    ``rows`` is a DataFrame or a list of dicts (rows without a ``seed`` field
    keep their order and are labelled by it). With ``with_seeds=True`` a third
    item holds the seed labels parallel to the value arrays (what
    :func:`~scalinglab.theory.fitting.bootstrap_powerlaw` needs to resample
    whole seeds).

    Examples
    --------
    >>> rows = [{"P": 64, "seed": 0, "test_err": 0.3}, {"P": 16, "seed": 1, "test_err": 0.6},
    ...         {"P": 16, "seed": 0, "test_err": 0.5}, {"P": 64, "seed": 1, "test_err": None}]
    >>> by_P(rows)
    (array([16., 64.]), [array([0.5, 0.6]), array([0.3])])
    >>> by_P(rows, with_seeds=True)[2]
    [array([0, 1]), array([0])]
    """
    import pandas as pd

    recs = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    groups = {}
    for i, r in enumerate(recs):
        v = r.get(field)
        if v is None or pd.isna(v):
            continue
        seed = r.get("seed")
        groups.setdefault(int(r["P"]), []).append((i if seed is None or pd.isna(seed) else int(seed), float(v)))
    Ps = np.array(sorted(groups), dtype=float)
    pairs = [sorted(groups[int(P)]) for P in Ps]
    vals = [np.array([v for _, v in g]) for g in pairs]
    if with_seeds:
        return Ps, vals, [np.array([s for s, _ in g]) for g in pairs]
    return Ps, vals
