"""Brill's toy experiment off its degenerate point: the loss exponent ``c`` and ``p`` as parameters.

``brill-toy`` runs his setting, MSE (``c = 2``) on Bethe clusters at ``p_c``
(``D = 4``): ``c/D = 1/2 = alpha/(1+alpha)``, exactly where the two terms of
his data-scaling law have equal exponents. This is the same pipeline (his
clusters, random-walk targets, tree-distance nearest neighbour with his
shrinkage, per-cluster scale factors, his allocation ``n_k``) with

* the loss ``|err|^c`` for several ``c`` (``c = 1, 2, 4, 6`` give ``c/D =
  1/4 .. 3/2``: manifold-limited below ``alpha = 1``, quanta-limited above),
  every loss normalised by the same test sites' loss of the zero predictor
  (``mean |y|^c``, so that an unlearned cluster has loss 1 as in his model);
* the occupation probability ``p = p_ratio p_c`` below ``p_c`` (sizes cut off
  at ``s_xi ~ 2/(1 - p/p_c)^2``) and above it (growth beyond ``s_max``,
  i.e. the infinite cluster, is abandoned: only finite clusters are kept).

On the Bethe lattice a cluster's shape, given its size, does not depend on
``p`` (a tree of ``s`` sites has probability ``p^(s-1) (1-p)^((z-2)s+1)``
times a combinatorial factor), so the single-cluster law ``n^(-c/D)`` with
``D = 4`` holds at every ``p``; only the size law changes, and with it the
rank-frequency (Zipf) law of the quanta. His predictions are therefore
compared in three forms: his closed forms fitted over the same window, their
asymptotic exponents (model ``min(alpha, c/D)``, data ``min(alpha/(1+alpha),
c/D)``), and his loss model summed over the expected finite clusters of the
exact ``n_s`` at that ``p`` (:func:`~scalinglab.theory.percolation.bethe_quanta`).

The per-site errors are needed (``|err|^c``), so one evaluation is a loop over
clusters calling the public kernel :func:`~scalinglab.kernels.percolation.tree_nearest`
(the fused kernel ``brill_cluster_losses`` returns squared errors only). A
seed's clusters and its per-cluster learning curves are shared by every ``c``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from scalinglab.errors import InputError
from scalinglab.kernels.percolation import grow_brill_clusters, tree_nearest
from scalinglab.theory.percolation import brill_alpha, brill_nk

__all__ = ["BrillRegimesConfig", "BrillRegimesCell", "regimes_analyse", "regime_errors", "regime_seed", "regime_cell",
           "regime_single", "regime_theory",
           "regime_predictions", "p_xi"]


@dataclass(frozen=True)
class BrillRegimesConfig:
    """Settings of ``brill-regimes`` (his data set made smaller; ``c`` and ``p`` as lists).

    Attributes
    ----------
    z, tau, D : int, float, float
        Coordination number, Fisher exponent (``alpha = (3-tau)/(tau-2)``), cluster dimension.
    c_values : tuple of float
        Loss exponents ``|err|^c``.
    p_ratios : tuple of float
        ``p / p_c`` of every data set (1 = his).
    s_min, s_max, n_clusters : int
        Size window and clusters kept a seed.
    p_valid : float
        Test fraction of every cluster.
    fit_n_valid, fit_max_train, fit_max_frac, fit_points : int, int, float, int
        Per-cluster scale-factor fits (his method).
    p_train_cap : float
        Upper bound of every training fraction.
    shrink : bool
        His shrinkage ``value/(1 + l/sqrt(s))`` (False: the plain nearest value).
    max_attempts : int
        Clusters grown at most per seed.
    n_min, n_max, n_points : float, float, int
        Training DOF grid ``geomspace(n_min, n_max, n_points)``.
    seeds : int
        Data sets per ``p``.
    single_seeds : int
        Seeds (per ``p``) of the single-cluster check: learning curves of the
        largest clusters alone, with and without shrinkage (0: none).
    fit_lo, fit_hi : float
        Analysis only: exponent window ``[fit_lo, fit_hi]`` (``fit_hi = 0``: ``n_max``).
    n_boot : int
        Analysis only: bootstrap resamples over whole seeds.

    Examples
    --------
    >>> cfg = BrillRegimesConfig(c_values=(1.0, 4.0), p_ratios=(1.0, 0.96), seeds=2)
    >>> cfg.alpha, [round(c / cfg.D, 2) for c in cfg.c_values], round(cfg.p_c, 6)
    (1.0, [0.25, 1.0], 0.005025)
    """

    z: int = field(default=200, metadata={"ge": 3})
    tau: float = field(default=2.5, metadata={"gt": 2, "lt": 3})
    D: float = field(default=4.0, metadata={"gt": 0})
    c_values: tuple[float, ...] = (1.0, 2.0, 4.0, 6.0)
    p_ratios: tuple[float, ...] = (1.0, 0.98)
    s_min: int = field(default=100, metadata={"ge": 1})
    s_max: int = field(default=100_000, metadata={"ge": 2})
    n_clusters: int = field(default=316, metadata={"ge": 1})
    p_valid: float = field(default=0.01, metadata={"gt": 0, "lt": 1})
    fit_n_valid: int = field(default=40, metadata={"ge": 1})
    fit_max_train: int = field(default=1000, metadata={"ge": 1})
    fit_max_frac: float = field(default=0.1, metadata={"gt": 0, "le": 1})
    fit_points: int = field(default=12, metadata={"ge": 2})
    p_train_cap: float = field(default=0.95, metadata={"gt": 0, "lt": 1})
    shrink: bool = True
    max_attempts: int = field(default=10_000_000, metadata={"ge": 1})
    n_min: float = field(default=1.0, metadata={"gt": 0})
    n_max: float = field(default=3000.0, metadata={"gt": 0})
    n_points: int = field(default=16, metadata={"ge": 2})
    seeds: int = field(default=10, metadata={"ge": 1})
    single_seeds: int = field(default=5, metadata={"ge": 0})
    fit_lo: float = field(default=10.0, metadata={"gt": 0, "analysis": True})
    fit_hi: float = field(default=0.0, metadata={"ge": 0, "analysis": True})
    n_boot: int = field(default=400, metadata={"ge": 100, "analysis": True})

    def __post_init__(self):
        object.__setattr__(self, "c_values", tuple(float(c) for c in self.c_values))
        object.__setattr__(self, "p_ratios", tuple(float(r) for r in self.p_ratios))
        if not self.c_values or any(not c > 0 for c in self.c_values):
            raise InputError(f"c_values must be positive loss exponents, got {self.c_values!r}")
        if not self.p_ratios or any(not 0 < r * self.p_c < 1 for r in self.p_ratios):
            raise InputError(f"p_ratios must give 0 < p < 1, got {self.p_ratios!r}")
        if not 1 <= int(self.s_min) < int(self.s_max):
            raise InputError(f"need 1 <= s_min < s_max, got {self.s_min!r}, {self.s_max!r}")
        if not 0 < float(self.n_min) < float(self.n_max):
            raise InputError(f"need 0 < n_min < n_max, got {self.n_min!r}, {self.n_max!r}")
        if not 2 < float(self.tau) < 3:
            raise InputError(f"tau must lie in (2, 3), got {self.tau!r}")

    @property
    def p_c(self):
        return 1.0 / (self.z - 1)

    @property
    def alpha(self):
        return brill_alpha(self.tau)

    @property
    def n_grid(self):
        return np.geomspace(self.n_min, self.n_max, self.n_points)

    @property
    def window(self):
        return (float(self.fit_lo), float(self.fit_hi or self.n_max))

    def data_key(self):
        """What fixes a seed's clusters and learning curves (everything but the analysis and the ``n`` grid)."""
        return (self.z, self.s_min, self.s_max, self.n_clusters, self.p_valid, self.fit_n_valid, self.fit_max_train,
                self.fit_max_frac, self.fit_points, self.p_train_cap, self.shrink, self.max_attempts)

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        bad = sorted(set(d) - names)
        if bad:
            raise InputError(f"unknown {cls.__name__} key(s): {', '.join(bad)}")
        return cls(**d)

    def to_dict(self):
        out = asdict(self)
        out["c_values"], out["p_ratios"] = list(self.c_values), list(self.p_ratios)
        return out


def p_xi(p_ratio, z=200):
    """Cut-off size ``s_xi = -1/ln r`` of the Bethe ``n_s`` at ``p = p_ratio p_c`` (``n_s ∝ s^-tau r^s``).

    ``r = (p/p_c) ((1-p)/(1-p_c))^(z-2)``; ``s_xi ≈ 2/(1 - p/p_c)^2`` near ``p_c`` (either side).

    >>> round(p_xi(0.96)), round(p_xi(1.04)), p_xi(1.0)
    (1211, 1277, inf)
    """
    pc = 1.0 / (z - 1)
    p = p_ratio * pc
    lr = math.log(p / pc) + (z - 2) * math.log((1 - p) / (1 - pc))
    return float("inf") if lr >= 0 else -1.0 / lr


def _subseed(*parts):
    return int(np.random.SeedSequence([int(x) & 0xFFFFFFFF for x in parts]).generate_state(1)[0] & 0x7FFFFFFF)


def regime_errors(parent, depth, value, starts, sizes, q_train, n_test, seed, c_values, shrink=True):
    """One evaluation of his regressor on every cluster, summed ``|err|^c`` and ``|y|^c`` for several ``c``.

    The same draw as the fused kernel's (test sites uniform without
    replacement, ``Binomial(s - n_test, q)`` training sites from the rest,
    nearest training site by tree distance, prediction ``value/(1 +
    l/sqrt(s))`` or 0 without a training site), with numpy's generator.

    Returns
    -------
    err, zero : numpy.ndarray, shape (K, len(c_values))
        Per cluster, ``sum |pred - y|^c`` and ``sum |y|^c`` over its test sites.
    n_train : numpy.ndarray (K,)

    Examples
    --------
    >>> import numpy as np
    >>> par, dep, val, off, _ = grow_brill_clusters(3, 2, 0.45, 20, 500, 0, 10**5)
    >>> st, sz = off[:-1].astype(np.int64), np.diff(off).astype(np.int64)
    >>> e, z0, ntr = regime_errors(par, dep, val, st, sz, np.full(3, 1.0), np.full(3, 5), 1, (2.0,))
    >>> bool(np.allclose(e, 0))                 # every other site trains: a test site's neighbour is at l = 1
    False
    >>> e, z0, ntr = regime_errors(par, dep, val, st, sz, np.zeros(3), np.full(3, 5), 1, (1.0, 2.0))
    >>> bool(np.allclose(e, z0)), ntr.tolist()  # no training site: the zero predictor
    (True, [0, 0, 0])
    """
    rng = np.random.default_rng(int(seed))
    cs = np.asarray(c_values, dtype=float)
    K = sizes.size
    err = np.zeros((K, cs.size))
    zero = np.zeros((K, cs.size))
    ntr_out = np.zeros(K, dtype=np.int64)
    for k in range(K):
        nte = int(n_test[k])
        if nte <= 0:
            continue
        a, s = int(starts[k]), int(sizes[k])
        m = s - nte
        ntr = int(rng.binomial(m, min(max(float(q_train[k]), 0.0), 1.0))) if m > 0 else 0
        ntr_out[k] = ntr
        test = rng.choice(s, nte, replace=False)
        y = value[a + test]
        ay = np.abs(y)[:, None] ** cs[None, :]
        zero[k] = ay.sum(axis=0)
        if ntr == 0:
            err[k] = zero[k]
            continue
        free = np.ones(s, dtype=bool)
        free[test] = False
        train = np.sort(rng.choice(np.flatnonzero(free), ntr, replace=False)).astype(np.int64)
        dist, arg = tree_nearest(parent[a:a + s], depth[a:a + s], train, test.astype(np.int64))  # the cost model picks
        pred = value[a + arg]
        if shrink:
            pred = pred / (1.0 + dist / math.sqrt(s))
        e = np.abs(pred - y)[:, None] ** cs[None, :]
        err[k] = e.sum(axis=0)
    return err, zero, ntr_out


def _fit_scale(n, loss, cd):
    """His Huber fit of ``log L = log max(n/f, 1)^(-cd)`` (``f >= 1``) to one cluster's learning curve."""
    from scipy.optimize import curve_fit

    good = (loss > 0) & np.isfinite(loss)
    n, loss = n[good], loss[good]
    if n.size < 2:
        return float("nan")

    def fn(x, f):
        return np.log(np.maximum(x / f, 1.0) ** (-cd))

    try:
        popt, _ = curve_fit(fn, n, np.log(loss), p0=[5.0], bounds=(1.0, np.inf), loss="huber")
    except (RuntimeError, ValueError):  # pragma: no cover - no convergence
        return float("nan")
    return float(popt[0])


_CACHE = {}


def regime_seed(config, p_ratio, seed):
    """One seed's clusters at ``p = p_ratio p_c`` and its scale factors for every ``c`` (cached, one at a time).

    Returns
    -------
    dict
        ``clusters`` (parent, depth, value, starts, sizes), ``factors`` ``{c: array (K,)}``,
        ``n_small``, ``n_large``, ``attempts``, ``n_sites``.

    >>> cfg = BrillRegimesConfig(s_min=30, s_max=3000, n_clusters=6, fit_points=4, p_valid=0.05, seeds=1)
    >>> st = regime_seed(cfg, 1.0, 0)
    >>> st["clusters"]["sizes"].size, sorted(st["factors"]) == list(cfg.c_values)
    (6, True)
    """
    key = (config.data_key(), tuple(config.c_values), float(p_ratio), int(seed))
    if key in _CACHE:
        return _CACHE[key]
    _CACHE.clear()
    p = float(p_ratio) * config.p_c
    est = config.n_clusters * math.sqrt(config.s_min * config.s_max) * 16
    if est > 4 * 2**30:
        raise InputError(f"expected cluster arrays of {est / 2**30:.1f} GiB: lower s_max or n_clusters")
    parent, depth, value, off, counts = grow_brill_clusters(int(config.n_clusters), config.z - 1, p,
                                                            int(config.s_min), int(config.s_max),
                                                            _subseed(seed, 0xB7, int(round(p_ratio * 1e6))),
                                                            int(config.max_attempts))
    sizes = np.diff(off)
    if sizes.size < config.n_clusters:
        raise InputError(f"only {sizes.size} of {config.n_clusters} clusters in the window after "
                         f"{int(counts[2])} attempts (max_attempts)")
    order = np.argsort(-sizes, kind="stable")
    cl = {"parent": parent, "depth": depth, "value": value, "starts": off[:-1][order].astype(np.int64),
          "sizes": sizes[order].astype(np.int64)}
    sz = cl["sizes"].astype(float)
    hi = np.minimum(config.fit_max_train / sz, config.fit_max_frac)
    p_train = np.minimum(np.geomspace(1.0 / sz, hi, num=config.fit_points), config.p_train_cap)
    n_valid = np.minimum(np.full(sz.size, config.fit_n_valid), cl["sizes"] - 1)
    q = p_train / (1.0 - n_valid / sz)
    curves = np.empty((config.fit_points, sz.size, len(config.c_values)))
    for i in range(config.fit_points):
        e, z0, _ = regime_errors(parent, depth, value, cl["starts"], cl["sizes"], q[i], n_valid,
                                 _subseed(seed, 0xF17, i, int(round(p_ratio * 1e6))), config.c_values, config.shrink)
        curves[i] = e / np.maximum(z0, 1e-300)
    n_train = p_train * sz
    factors = {}
    for j, c in enumerate(config.c_values):
        f = np.array([_fit_scale(n_train[:, k], curves[:, k, j], c / config.D) for k in range(sz.size)])
        ok = np.isfinite(f)
        factors[c] = np.where(ok, f, float(np.mean(f[ok])) if ok.any() else 5.0)
    state = {"clusters": cl, "factors": factors, "n_small": int(counts[0]), "n_large": int(counts[1]),
             "attempts": int(counts[2]), "n_sites": int(sz.sum())}
    _CACHE[key] = state
    return state


def regime_cell(config, p_ratio, c, seed):
    """Model and data scaling of one ``(p, c, seed)``: normalised losses over the ``n`` grid.

    Model: cluster ``k`` gets ``n_k f_k`` training sites (his allocation at
    ``c/D``, ``f_k`` its scale factor at that ``c``); data: ``n f_k/S`` of every
    cluster. Losses are ``sum |err|^c / sum |y|^c`` over all test sites.

    Returns
    -------
    dict
        ``loss_model``, ``loss_data`` (lists over ``n``), ``sizes``, ``factors``, ``sf_mean``, ``sf_p50``,
        ``n_sites``, ``n_small``, ``n_large``, ``attempts``.

    >>> cfg = BrillRegimesConfig(s_min=30, s_max=3000, n_clusters=6, fit_points=4, p_valid=0.05, n_points=3, seeds=1)
    >>> r = regime_cell(cfg, 1.0, 2.0, 0)
    >>> len(r["loss_model"]), r["loss_data"][0] > r["loss_data"][-1]
    (3, True)
    """
    st = regime_seed(config, p_ratio, seed)
    cl = st["clusters"]
    sz = cl["sizes"].astype(float)
    f = st["factors"][float(c)]
    n_test = np.round(config.p_valid * cl["sizes"]).astype(np.int64)
    k = np.arange(1, sz.size + 1, dtype=float)
    out = {"loss_model": [], "loss_data": []}
    for i, n in enumerate(config.n_grid):
        for mode, code in (("model", 1), ("data", 2)):
            if mode == "model":
                p = brill_nk(float(n), k, config.alpha, float(c) / config.D) * f / sz
            else:
                p = float(n) * f / sz.sum()
            p = np.minimum(p, config.p_train_cap)
            q = np.minimum(p / (1.0 - config.p_valid), 1.0)
            e, z0, _ = regime_errors(cl["parent"], cl["depth"], cl["value"], cl["starts"], cl["sizes"], q, n_test,
                                     _subseed(seed, code, i, int(round(p_ratio * 1e6)), int(round(c * 1e3))),
                                     (float(c),), config.shrink)
            out[f"loss_{mode}"].append(float(e[:, 0].sum() / z0[:, 0].sum()))
    out.update({"sizes": [int(v) for v in cl["sizes"]], "factors": [round(float(v), 5) for v in f],
                "sf_mean": float(np.mean(f)), "sf_p50": float(np.median(f)), "n_sites": st["n_sites"],
                "n_small": st["n_small"], "n_large": st["n_large"], "attempts": st["attempts"]})
    return out


SINGLE_N = tuple(float(x) for x in np.geomspace(10, 3000, 8).round(3))
SINGLE_K = 6
SINGLE_TEST = 2000
SINGLE_REPEATS = 4


def regime_single(config, p_ratio, seed):
    """Learning curves of the ``SINGLE_K`` largest clusters alone: does one cluster follow ``n^(-c/D)``?

    ``n`` training sites a cluster on the grid ``SINGLE_N`` (10..3000), ``SINGLE_TEST`` test sites a cluster,
    ``SINGLE_REPEATS`` draws pooled; every ``c`` from the same draws, with his shrinkage and without.

    Returns
    -------
    dict
        ``single_n``, ``single_shrink`` and ``single_plain`` (lists over ``n`` of lists over ``c``: pooled
        ``sum |err|^c / sum |y|^c``), ``single_sizes``.

    >>> cfg = BrillRegimesConfig(s_min=30, s_max=3000, n_clusters=8, fit_points=4, p_valid=0.05, seeds=1)
    >>> r = regime_single(cfg, 1.0, 0)
    >>> len(r["single_n"]), len(r["single_shrink"][0]) == len(cfg.c_values)
    (8, True)
    """
    st = regime_seed(config, p_ratio, seed)
    cl = st["clusters"]
    K = min(SINGLE_K, cl["sizes"].size)
    starts, sizes = cl["starts"][:K], cl["sizes"][:K]
    n_test = np.minimum(SINGLE_TEST, sizes // 4).astype(np.int64)
    out = {"single_n": list(SINGLE_N), "single_sizes": [int(v) for v in sizes]}
    for shrink in (True, False):
        L = []
        for i, n in enumerate(SINGLE_N):
            q = np.minimum(n / (sizes - n_test), 1.0)
            te = tz = 0.0
            for r in range(SINGLE_REPEATS):
                e, z0, _ = regime_errors(cl["parent"], cl["depth"], cl["value"], starts, sizes, q, n_test,
                                         _subseed(seed, 0x51, i, r, int(round(p_ratio * 1e6))), config.c_values,
                                         shrink)
                te, tz = te + e.sum(axis=0), tz + z0.sum(axis=0)
            L.append([float(v) for v in te / tz])
        out["single_shrink" if shrink else "single_plain"] = L
    return out


def regime_theory(config, p_ratio, c, n=None):
    """His predictions for ``(p, c)`` on the ``n`` grid: closed forms, asymptotes, loss model on finite clusters.

    Returns
    -------
    dict
        ``model``, ``data``: his closed forms (normalised at 1); ``model_finite``, ``data_finite``: his loss
        model summed over the ``n_clusters`` expected clusters of the exact ``n_s`` at ``p`` in the window;
        ``model_asymptote``, ``data_asymptote``: ``min(alpha, c/D)`` and ``min(alpha/(1+alpha), c/D)``.

    >>> th = regime_theory(BrillRegimesConfig(), 1.0, 6.0, n=[1.0, 10.0])
    >>> th["model_asymptote"], th["data_asymptote"]
    (1.0, 0.5)
    """
    from scalinglab.theory.percolation import bethe_quanta, brill_data_loss, brill_model_loss, quanta_loss_sums

    n = config.n_grid if n is None else np.atleast_1d(np.asarray(n, dtype=float))
    cd = float(c) / config.D
    a = config.alpha
    q = bethe_quanta(config.n_clusters, config.z, float(p_ratio) * config.p_c, config.s_min, config.s_max)
    both = np.concatenate([[1.0], n])
    sums = quanta_loss_sums(q.freqs, N=both, D=both, c_over_D=cd, alpha=a)
    return {"model": brill_model_loss(n, a, cd), "data": brill_data_loss(n, a, cd),
            "model_finite": sums["model"][1:] / sums["model"][0], "data_finite": sums["data"][1:] / sums["data"][0],
            "model_asymptote": float(min(a, cd)), "data_asymptote": float(min(a / (1 + a), cd)),
            "expected_sizes": q.sizes}


def regime_predictions(config, p_ratio, c):
    """Exponents of :func:`regime_theory`'s curves over the fit window (OLS log-log), with the asymptotes.

    >>> pr = regime_predictions(BrillRegimesConfig(), 1.0, 2.0)
    >>> round(pr["model"]["closed_form"], 3), pr["model"]["asymptote"], pr["data"]["asymptote"]
    (0.376, 0.5, 0.5)
    """
    from scalinglab.theory.fitting import powerlaw_fit

    n = np.geomspace(config.n_min, config.n_max, 200)
    th = regime_theory(config, p_ratio, c, n)
    w = config.window
    out = {}
    for mode in ("model", "data"):
        out[mode] = {"closed_form": float(powerlaw_fit(n, th[mode], window=w).exponent),
                     "finite_clusters": float(powerlaw_fit(n, th[mode + "_finite"], window=w).exponent),
                     "asymptote": th[mode + "_asymptote"]}
    return out


# =========================================================================== the experiment (brill-regimes)
from dataclasses import replace  # noqa: E402
from typing import ClassVar  # noqa: E402

from scalinglab.validate import protocol  # noqa: E402
from scalinglab.validate.plots import new_figure, save_figure  # noqa: E402
from scalinglab.validate.report import md_table  # noqa: E402


@dataclass(frozen=True)
class BrillRegimesCell:
    """One ``(p/p_c, c, seed)`` of ``brill-regimes``: model and data curves over the ``n`` grid.

    ``what = "single"`` (``c = 0``): the single-cluster check of that seed (:func:`regime_single`).

    ``setup`` is the config with its analysis fields, seeds and ``p_ratios``
    set to fixed values (they do not change what a cell measures).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cfg = BrillRegimesConfig(c_values=(1.0, 2.0), p_ratios=(1.0,), seeds=2, single_seeds=1)
    >>> [(c.p_ratio, c.c, c.seed, c.what) for c in protocol.get("brill-regimes").cells(cfg)]
    [(1.0, 1.0, 0, 'curves'), (1.0, 2.0, 0, 'curves'), (1.0, 0.0, 0, 'single'), (1.0, 1.0, 1, 'curves'), (1.0, 2.0, 1, 'curves')]
    """

    kind: ClassVar[str] = "brill-regimes"

    setup: BrillRegimesConfig
    p_ratio: float
    c: float
    seed: int
    what: str = "curves"


def _setup(config):
    return replace(config, p_ratios=(1.0,), seeds=1, single_seeds=0, fit_lo=10.0, fit_hi=0.0, n_boot=400)


def _fmt(x, nd=3):
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def _verdict(ci, pred):
    lo, hi = ci
    if lo <= pred <= hi:
        return "inside"
    return "above" if pred > hi else "below"


def regimes_analyse(rows, config):
    """Exponents per ``(p, c, mode)`` with whole-seed intervals, beside his three predictions.

    Returns
    -------
    dict
        ``cases``: a list of ``{p_ratio, c, c_over_D, s_xi, n_seeds, model, data, curves}`` where ``model`` and
        ``data`` hold ``exponent``, ``ci95``, ``ci_method``, ``window``, ``closed_form``, ``finite_clusters``,
        ``asymptote`` and the verdict of each prediction against the interval.
    """
    import warnings

    from scalinglab.theory.fitting import bootstrap_powerlaw

    n = config.n_grid
    if "what" in rows:
        single_rows = rows[rows["what"] == "single"]
        rows = rows[rows["what"] != "single"]
    else:
        single_rows = rows.iloc[:0]
    cases = []
    for pr in config.p_ratios:
        for c in config.c_values:
            d = rows[(np.isclose(rows["p_ratio"].astype(float), pr)) & (np.isclose(rows["c"].astype(float), c))]
            d = d[d["seed"] < config.seeds].sort_values("seed")
            if len(d) == 0:
                continue
            case = {"p_ratio": float(pr), "c": float(c), "c_over_D": float(c / config.D),
                    "s_xi": p_xi(pr, config.z), "n_seeds": int(len(d)),
                    "n_sites_mean": float(d["n_sites"].astype(float).mean()),
                    "largest_mean": float(np.mean([s[0] for s in d["sizes"]])),
                    "sf_median_mean": float(d["sf_p50"].astype(float).mean())}
            pred = regime_predictions(config, pr, c)
            th = regime_theory(config, pr, c, n)
            curves = {"n": n.tolist()}
            for mode in ("model", "data"):
                Y = np.array([np.asarray(v, dtype=float) for v in d[f"loss_{mode}"]]).T  # (n, seeds)
                curves[mode] = {"median": np.median(Y, axis=1).tolist(), "q16": np.quantile(Y, 0.16, axis=1).tolist(),
                                "q84": np.quantile(Y, 0.84, axis=1).tolist(), "mean": Y.mean(axis=1).tolist(),
                                "finite": th[mode + "_finite"].tolist(), "closed_form": th[mode].tolist()}
                res = {"window": list(config.window), **pred[mode]}
                if Y.shape[1] >= 2:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # the method is stated beside the interval
                        bf = bootstrap_powerlaw(n, Y, window=config.window, n_boot=int(config.n_boot), seed=0,
                                                seeds=d["seed"].astype(int).tolist())
                    res.update({"exponent": float(bf.exponent), "ci95": [float(bf.ci[0]), float(bf.ci[1])],
                                "ci_method": bf.ci_method})
                    for k in ("closed_form", "finite_clusters", "asymptote"):
                        res[f"{k}_verdict"] = _verdict(res["ci95"], res[k])
                case[mode] = res
            case["curves"] = curves
            cases.append(case)
    return {"cases": cases, "single": _single_analyse(single_rows, config), "alpha": config.alpha, "D": config.D,
            "window": list(config.window),
            "n_clusters": config.n_clusters, "s_window": [config.s_min, config.s_max]}


SINGLE_WINDOWS = ((10.0, 100.0), (100.0, 3000.0))


def _single_analyse(rows, config):
    """Single-cluster exponents per ``(p, shrinkage, c)`` in two windows of ``n``, intervals over whole seeds."""
    import warnings

    from scalinglab.theory.fitting import bootstrap_powerlaw

    out = []
    for pr in config.p_ratios:
        d = rows[np.isclose(rows["p_ratio"].astype(float), pr)] if len(rows) else rows
        d = d[d["seed"] < config.single_seeds].sort_values("seed") if len(d) else d
        if len(d) < 2:
            continue
        n = np.asarray(d.iloc[0]["single_n"], dtype=float)
        for key, label in (("single_shrink", "with his shrinkage"), ("single_plain", "no shrinkage")):
            A = np.array([np.asarray(v, dtype=float) for v in d[key]])  # (seeds, n, c)
            for j, c in enumerate(config.c_values):
                res = {"p_ratio": float(pr), "shrink": key == "single_shrink", "label": label, "c": float(c),
                       "c_over_D": float(c / config.D), "n_seeds": int(len(d)), "fits": []}
                for w in SINGLE_WINDOWS:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        bf = bootstrap_powerlaw(n, A[:, :, j].T, window=w, n_boot=int(config.n_boot), seed=0,
                                                seeds=d["seed"].astype(int).tolist())
                    res["fits"].append({"window": list(w), "exponent": float(bf.exponent),
                                        "ci95": [float(bf.ci[0]), float(bf.ci[1])], "ci_method": bf.ci_method})
                out.append(res)
    return out


def _plot_regimes(summary, config, path):
    prs = [float(p) for p in config.p_ratios]
    fig, axes = new_figure(ncols=len(prs), nrows=2, width=4.4, height=3.6)
    for j, pr in enumerate(prs):
        for i, mode in enumerate(("model", "data")):
            ax = axes[i, j]
            for k, case in enumerate(c for c in summary["cases"] if c["p_ratio"] == pr):
                cu = case["curves"]
                n = np.asarray(cu["n"])
                m = cu[mode]
                col = f"C{k}"
                ax.fill_between(n, m["q16"], m["q84"], color=col, alpha=0.2)
                f = case[mode]
                ax.loglog(n, m["median"], "o-", ms=2.5, color=col,
                          label=f"c = {case['c']:g}: {_fmt(f.get('exponent'))} (finite {_fmt(f['finite_clusters'])})")
                ax.loglog(n, m["finite"], ":", color=col, lw=1)
                ax.loglog(n, m["closed_form"], "--", color=col, lw=0.8)
            ax.set_xlabel("training degrees of freedom")
            ax.set_ylabel("loss / loss of the zero predictor")
            ax.set_title(f"{mode} scaling, p = {pr:g} p_c", fontsize=9)
            ax.legend(fontsize=6)
    fig.suptitle("Brill's toy off c/D = 1/2: median (band 16-84 %) over seeds; dotted: his loss model on the expected "
                 "finite clusters; dashed: his closed form", fontsize=8, y=1.01)
    return save_figure(fig, path, dpi=110)


def _plot_exponents(summary, config, path):
    fig, axes = new_figure(ncols=2, width=4.6, height=3.6)
    for ax, mode in zip(axes[0], ("model", "data")):
        cd = np.linspace(0.05, 1.6, 200)
        a = config.alpha
        ax.plot(cd, np.minimum(cd, a if mode == "model" else a / (1 + a)), "k-", lw=1, label="his asymptote")
        for k, pr in enumerate(float(p) for p in config.p_ratios):
            cs = [c for c in summary["cases"] if c["p_ratio"] == pr and "exponent" in c[mode]]
            if not cs:
                continue
            x = np.array([c["c_over_D"] for c in cs]) * (1 + 0.01 * k)
            e = np.array([c[mode]["exponent"] for c in cs])
            lo = e - np.array([c[mode]["ci95"][0] for c in cs])
            hi = np.array([c[mode]["ci95"][1] for c in cs]) - e
            ax.errorbar(x, e, yerr=[lo, hi], fmt="o", color=f"C{k}", ms=4, capsize=2, label=f"measured, p = {pr:g} p_c")
            ax.plot(x, [c[mode]["finite_clusters"] for c in cs], "s", mfc="none", color=f"C{k}", ms=6,
                    label=f"his loss model, finite clusters, p = {pr:g} p_c")
            ax.plot(x, [c[mode]["closed_form"] for c in cs], "x", color=f"C{k}", ms=6)
        ax.set_xlabel("c / D")
        ax.set_ylabel(f"{mode}-scaling exponent over n in [{config.window[0]:g}, {config.window[1]:g}]")
        ax.set_title(f"{mode} scaling (x: his closed form over the window)", fontsize=9)
        ax.legend(fontsize=6)
    return save_figure(fig, path, dpi=110)


@protocol.experiment
class BrillRegimes(protocol.Experiment):
    name = "brill-regimes"
    description = "Brill's toy off its degenerate point: loss |err|^c (c/D = 1/4..3/2) and p below/above p_c; " \
                  "model and data exponents vs his closed forms, whole-seed intervals"
    title = "Brill's toy off c/D = alpha/(1+alpha): the loss exponent c and p as parameters"
    config_type = BrillRegimesConfig

    def cells(self, config):
        st = _setup(config)
        cells = []
        for pr in config.p_ratios:
            for s in range(max(config.seeds, config.single_seeds)):
                if s < config.seeds:
                    cells += [BrillRegimesCell(st, float(pr), float(c), s) for c in config.c_values]
                if s < config.single_seeds:
                    cells.append(BrillRegimesCell(st, float(pr), 0.0, s, "single"))
        return cells

    def group(self, cell):
        return (cell.setup, cell.p_ratio, cell.seed)

    def run(self, cells, device):
        return [regime_single(c.setup, c.p_ratio, c.seed) if c.what == "single"
                else regime_cell(c.setup, c.p_ratio, c.c, c.seed) for c in cells]

    def cost(self, cell):
        return 4.0 * cell.setup.n_clusters * math.sqrt(cell.setup.s_min * cell.setup.s_max) * 2e-6

    def analyse(self, rows, config):
        s = regimes_analyse(rows, config)
        s["wall_s"] = float(rows["wall_s"].sum()) if "wall_s" in rows else float("nan")
        return s

    def figures(self, rows, summary, config, folder):
        return [_plot_regimes(summary, config, folder / "brill_regimes_curves.png"),
                _plot_exponents(summary, config, folder / "brill_regimes_exponents.png")]

    def report(self, rows, summary, config):
        lines = [f"Setting: Bethe lattice z = {config.z}, {config.n_clusters} size-biased clusters of "
                 f"{config.s_min}..{config.s_max:g} sites a seed (p = p_ratio p_c; above p_c the growth of the infinite "
                 f"cluster is abandoned at s_max), random-walk targets standardised per cluster, tree-distance nearest "
                 f"neighbour {'with' if config.shrink else 'without'} his shrinkage, loss |err|^c normalised by the "
                 f"zero predictor's on the same test sites; his allocation n_k and scale factors fitted at each c/D "
                 f"(D = {config.D:g}, alpha = {config.alpha:g}); n = {config.n_min:g}..{config.n_max:g} "
                 f"({config.n_points} points); {config.seeds} seeds a p.\n",
                 "Columns: the measured exponent (OLS log-log of the seed mean over the window; 95 % interval over "
                 "whole seeds), and his predictions: the closed form fitted over the same window, his loss model "
                 "summed over the expected finite clusters of the exact n_s at that p (same window), and the "
                 "asymptotic exponent (model min(alpha, c/D), data min(alpha/(1+alpha), c/D)). Verdict: where each "
                 "prediction lies against the interval.\n"]
        tab = []
        for case in summary["cases"]:
            for mode in ("model", "data"):
                f = case[mode]
                if "exponent" not in f:
                    continue
                tab.append([f"{case['p_ratio']:g}", f"{case['s_xi']:.3g}", f"{case['c']:g}", f"{case['c_over_D']:g}",
                            mode, f"{_fmt(f['exponent'])} [{_fmt(f['ci95'][0])}, {_fmt(f['ci95'][1])}]",
                            f"{_fmt(f['closed_form'])} ({f['closed_form_verdict']})",
                            f"{_fmt(f['finite_clusters'])} ({f['finite_clusters_verdict']})",
                            f"{_fmt(f['asymptote'])} ({f['asymptote_verdict']})", case["n_seeds"]])
        lines.append(md_table(["p/p_c", "s_xi", "c", "c/D", "scaling", "measured [95 %]", "closed form, window",
                               "loss model, finite clusters", "asymptote", "seeds"], tab))
        cs = summary["cases"]
        if cs:
            lines.append("\nData sets: " + "; ".join(
                f"p = {c['p_ratio']:g} p_c: {c['n_sites_mean']:.3g} sites a seed, largest cluster {c['largest_mean']:.3g} "
                f"(mean over seeds)" for c in cs if c["c"] == cs[0]["c"]) + ".\n")
        single = summary.get("single") or []
        if single:
            lines.append(f"Single-cluster check: the {SINGLE_K} largest clusters of a seed learned alone with n training "
                         f"sites each ({SINGLE_TEST} test sites a cluster, {SINGLE_REPEATS} draws pooled), the "
                         "exponent of sum |err|^c / sum |y|^c against n (his single-cluster law: c/D), with whole-seed "
                         "intervals:\n")
            tab = []
            for r in single:
                tab.append([f"{r['p_ratio']:g}", f"{r['c']:g}", f"{r['c_over_D']:g}", r["label"]]
                           + [f"{_fmt(f['exponent'])} [{_fmt(f['ci95'][0])}, {_fmt(f['ci95'][1])}]" for f in r["fits"]]
                           + [r["n_seeds"]])
            lines.append(md_table(["p/p_c", "c", "c/D", "regressor"]
                                  + [f"exponent, n in [{w[0]:g}, {w[1]:g}]" for w in SINGLE_WINDOWS] + ["seeds"], tab))
        lines.append(f"\nWall time (rows' `wall_s`, this machine): {summary.get('wall_s', float('nan')):.0f} s.\n")
        return "\n".join(lines)
