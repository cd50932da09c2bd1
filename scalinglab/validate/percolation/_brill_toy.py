"""Brill's toy experiment as he ran it (his ``percolation.ipynb``), as plain functions.

His data set (read from his notebook; our code):

* Bethe lattice of coordination ``z = 200`` at exactly ``p_c = 1/199``;
  clusters grown breadth-first from a seed site (seed: ``Binomial(z-1, p)`` +
  ``Bernoulli(p)`` children; others ``Binomial(z-1, p)``), kept when
  ``300 <= s <= 3e7`` (growth beyond ``3e7`` is abandoned), until
  ``n_clusters = expected_n_large (s_max/s_min)^(tau-2) = 316`` are kept;
  sorted by decreasing size (rank ``k = 1`` the largest).
* Target: a Gaussian random walk along the tree, standardised per cluster.
* Regressor: the nearest training site by tree distance inside the test
  site's cluster, shrunk as ``value/(1 + l/sqrt(s))``; 0 without a training
  site. Loss: squared error, averaged over all test sites
  (``round(p_valid s)`` per cluster, ``p_valid = 0.001``; clusters below 500
  sites have none). Training sites per cluster: ``Binomial(s - n_test,
  p_train/(1 - p_valid))``.
* Scale factors: per cluster, 50 training fractions ``geomspace(1/s,
  min(1e4/s, 0.1))``, 40 test sites, and a Huber fit of
  ``log L = log max(n/f, 1)^(-c/D)`` (``n = p_train s``, ``f >= 1``).
* Model scaling: ``n`` DOF allocated ``n_k`` by his closed form
  (:func:`scalinglab.theory.percolation.brill_nk`); cluster ``k`` gets
  ``p_train = n_k f_k/s_k``. Data scaling: ``p_train = n f_k/S`` (``S`` the
  total number of sites; the per-cluster ``f_k`` enters here too, as in his
  notebook). ``p_train`` is capped at 0.95. ``n`` runs over 50 log-spaced
  values in ``[1, 3e4]``.

Randomness comes from the cell's coordinates only (``seed``, mode, ``n``), so a
resumed sweep reproduces an uninterrupted one bit for bit.

Functions to register (``reproduce brill-toy``): :func:`brill_toy_cells`
(the grid), :func:`brill_toy_cell` (one row), :func:`brill_toy_run_seed` (all
rows of one seed, sharing its clusters), :func:`brill_toy_analyse` (rows to
median and 16-84 % bands against his curves) and :func:`brill_fig5` (his
Fig. 5 allocation scan).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from scalinglab._results import ItemAccess, Result, new_axes, set_title
from scalinglab.errors import InputError
from scalinglab.kernels.percolation import brill_cluster_losses, grow_brill_clusters
from scalinglab.theory.percolation import (bethe_quanta, brill_alpha, brill_b, brill_data_loss,
                                           brill_kbr, brill_model_loss, brill_nk, quanta_allocation_loss,
                                           quanta_loss_sums, random_allocations)

__all__ = ["BrillData", "brill_data", "BrillToyConfig", "BRILL_TOY_QUICK", "BRILL_TOY_FULL", "BRILL_REPORTED",
           "BrillClusters", "brill_clusters", "brill_losses", "ScaleFactors", "brill_scale_factors", "brill_p_train",
           "brill_toy_cells", "brill_toy_cell", "brill_toy_clusters_row", "brill_toy_run_seed", "brill_toy_analyse",
           "BrillToyAnalysis",
           "brill_toy_theory", "brill_fig5_chunk", "brill_fig5_predicted", "brill_fig5_summary", "brill_fig5"]

# What he reports (his notebook's outputs, seed 0): scale factors and the loss range read off his plots.
BRILL_REPORTED = {"scale_factor_mean": 5.517, "scale_factor_weighted_mean": 9.290,
                  "scale_factor_percentiles": {"2.5": 1.0, "50": 4.065, "97.5": 18.09},
                  "n_total_sites_seed0": 11_416_230, "n_small_seed0": 6348, "n_large_seed0": 0,
                  "loss_model_range": (0.9, 0.025), "loss_data_range": (1.0, 0.035)}

_MEM_LIMIT = 4 * 2**30  # bytes of cluster arrays one seed may hold


@dataclass(frozen=True)
class BrillData:
    """His data set, regressor and per-cluster scale-factor fits (defaults = his notebook).

    Everything that fixes one seed's clusters, their scale factors and one
    evaluation; shared by ``brill-toy`` and ``brill-fig5``.

    Attributes
    ----------
    z : int
        Coordination number (``2d`` with ``d = 100``).
    p : float
        Occupation probability; ``0`` (default) = ``p_c = 1/(z-1)``.
    tau, D, c : float
        Fisher exponent, cluster dimension and loss exponent (``alpha =
        (3-tau)/(tau-2)``, ``c/D``): they enter the scale-factor fits and the
        allocation ``n_k``.
    s_min, s_max : int
        Kept size window.
    expected_n_large : float
        ``n_clusters = int(expected_n_large (s_max/s_min)^(tau-2))`` unless
        ``n_clusters`` is given.
    n_clusters : int
        Number of clusters kept; ``0`` (default) = from ``expected_n_large``.
    p_valid : float
        Test fraction of every cluster (model and data scaling).
    fit_n_valid, fit_max_train, fit_max_frac, fit_points : int, int, float, int
        Per-cluster scale-factor fits (40 test sites, up to 1e4 training
        sites and 10 % of the cluster, 50 points).
    p_train_cap : float
        Upper bound of every training fraction.
    max_attempts : int
        Clusters grown at most per seed (refused beyond).

    Examples
    --------
    >>> his = BrillData()                                     # his notebook: z = 200 at p_c, clusters of 300..3e7 sites
    >>> his.k_clusters, round(his.p_occ, 6), his.alpha, his.c_over_D
    (316, 0.005025, 1.0, 0.5)
    """

    z: int = field(default=200, metadata={"ge": 3})
    p: float = field(default=0.0, metadata={"ge": 0, "lt": 1})
    tau: float = field(default=2.5, metadata={"gt": 2, "lt": 3})
    D: float = field(default=4.0, metadata={"gt": 0})
    c: float = field(default=2.0, metadata={"gt": 0})
    s_min: int = field(default=300, metadata={"ge": 1})
    s_max: int = field(default=30_000_000, metadata={"ge": 2})
    expected_n_large: float = field(default=1.0, metadata={"gt": 0})
    n_clusters: int = field(default=0, metadata={"ge": 0})
    p_valid: float = field(default=0.001, metadata={"gt": 0, "lt": 1})
    fit_n_valid: int = field(default=40, metadata={"ge": 1})
    fit_max_train: int = field(default=10_000, metadata={"ge": 1})
    fit_max_frac: float = field(default=0.1, metadata={"gt": 0, "le": 1})
    fit_points: int = field(default=50, metadata={"ge": 2})
    p_train_cap: float = field(default=0.95, metadata={"gt": 0, "lt": 1})
    max_attempts: int = field(default=10_000_000, metadata={"ge": 1})

    def __post_init__(self):
        if int(self.z) < 3:
            raise InputError(f"z must be >= 3, got {self.z!r}")
        if self.p is not None and self.p != 0 and not 0 < float(self.p) < 1:
            raise InputError(f"p must lie in (0, 1) (0 = p_c), got {self.p!r}")
        if not 1 <= int(self.s_min) < int(self.s_max):
            raise InputError(f"need 1 <= s_min < s_max, got {self.s_min!r}, {self.s_max!r}")
        if int(self.fit_points) < 2:
            raise InputError("fit_points must be >= 2")
        if not 0 < float(self.p_valid) < 1:
            raise InputError(f"p_valid must lie in (0, 1), got {self.p_valid!r}")
        if not 0 < float(self.p_train_cap) < 1:
            raise InputError(f"p_train_cap must lie in (0, 1), got {self.p_train_cap!r}")
        if self.n_clusters is not None and int(self.n_clusters) < 0:
            raise InputError(f"n_clusters must be >= 0 (0 = from expected_n_large), got {self.n_clusters!r}")
        if not 2 < float(self.tau) < 3:
            raise InputError(f"tau must lie in (2, 3), got {self.tau!r}")

    @property
    def p_occ(self):
        return 1.0 / (self.z - 1) if not self.p else float(self.p)

    @property
    def k_clusters(self):
        if self.n_clusters:
            return int(self.n_clusters)
        return max(1, int(self.expected_n_large * (self.s_max / self.s_min) ** (self.tau - 2)))

    @property
    def alpha(self):
        return brill_alpha(self.tau)

    @property
    def c_over_D(self):
        return self.c / self.D

    @classmethod
    def from_dict(cls, d):
        """Build from a mapping; unknown keys are refused with a one-line error."""
        names = {f.name for f in fields(cls)}
        bad = sorted(set(d) - names)
        if bad:
            raise InputError(f"unknown {cls.__name__} key(s): {', '.join(bad)}")
        return cls(**d)

    def to_dict(self):
        return asdict(self)


def brill_data(config):
    """The :class:`BrillData` part of a :class:`BrillToyConfig` (or the BrillData itself).

    >>> brill_data(BrillToyConfig(seeds=3, s_max=3000)) == BrillData(s_max=3000)
    True
    """
    if type(config) is BrillData:
        return config
    return BrillData(**{f.name: getattr(config, f.name) for f in fields(BrillData)})


@dataclass(frozen=True)
class BrillToyConfig(BrillData):
    """Every setting of his toy experiment (``reproduce brill-toy``; defaults = his notebook).

    The data set fields of :class:`BrillData`, plus:

    Attributes
    ----------
    n_min, n_max, n_points : float, float, int
        Training degrees of freedom ``geomspace(n_min, n_max, n_points)``.
    seeds : int
        Number of seeds (his 50).
    fit_lo : float
        Analysis only: exponent fits of the seed-mean curves over ``[fit_lo, n_max]``.
    n_boot : int
        Analysis only: bootstrap resamples (over seeds) of those fits.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> tiny.k_clusters, tiny.n_grid.round(2)
    (4, array([ 1.  ,  3.11,  9.65, 30.  ]))
    >>> len(brill_toy_cells(tiny))                            # (model, data) x 4 n x 2 seeds
    16
    """

    n_min: float = field(default=1.0, metadata={"gt": 0})
    n_max: float = field(default=30_000.0, metadata={"gt": 0})
    n_points: int = field(default=50, metadata={"ge": 2})
    seeds: int = field(default=50, metadata={"ge": 1})
    fit_lo: float = field(default=30.0, metadata={"gt": 0, "analysis": True})
    n_boot: int = field(default=300, metadata={"ge": 100, "analysis": True})

    def __post_init__(self):
        super().__post_init__()
        if not 0 < float(self.n_min) < float(self.n_max):
            raise InputError(f"need 0 < n_min < n_max, got {self.n_min!r}, {self.n_max!r}")
        if int(self.n_points) < 2:
            raise InputError("n_points must be >= 2")
        if int(self.seeds) < 1:
            raise InputError(f"seeds must be >= 1, got {self.seeds!r}")

    @property
    def n_grid(self):
        return np.geomspace(self.n_min, self.n_max, self.n_points)


#: Quick CPU variant (seconds): clusters of 300..3e5 sites (31 of them), 12 points, 3 seeds,
#: 1 % test sites so that every cluster has some.
BRILL_TOY_QUICK = BrillToyConfig(s_max=300_000, n_max=3_000.0, n_points=12, fit_points=12, p_valid=0.01,
                                 fit_max_train=1_000, seeds=3)


#: Full setting sized for this machine: his data set and grids exactly, 12 seeds instead of his 50.
#: Measured on the shared 2-core machine: 27-85 s a seed (seeds hold 1.7e7-5.4e7 sites; the total is
#: heavy-tailed), 51 s on average over 16 seeds -> ~10 min for 12 seeds; his 50 would take ~40 min.
BRILL_TOY_FULL = BrillToyConfig(seeds=12)


def _subseed(*parts):
    """A 31-bit seed for Numba from integer coordinates (SeedSequence hashing)."""
    return int(np.random.SeedSequence([int(x) & 0xFFFFFFFF for x in parts]).generate_state(1)[0] & 0x7FFFFFFF)


@dataclass(repr=False)
class BrillClusters(Result):
    """One seed's clusters, sorted by decreasing size.

    Attributes
    ----------
    parent, depth, value : numpy.ndarray
        Concatenated per-cluster arrays (parents local to each cluster, BFS order).
    starts : numpy.ndarray
        Cluster ``k`` (rank ``k + 1``) is ``starts[k]:starts[k] + sizes[k]``
        (the site arrays stay in growth order: ranking them by size would copy
        ~0.8 GB for a 5e7-site seed).
    sizes : numpy.ndarray
        Sizes, decreasing.
    n_small, n_large, attempts : int
        Clusters discarded below ``s_min`` / above ``s_max``, clusters grown.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> cl = brill_clusters(tiny, seed=0)
    >>> cl.sizes, cl.n_sites
    (array([1241,  900,  754,  534]), 3429)
    """

    parent: np.ndarray
    depth: np.ndarray
    value: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    n_small: int
    n_large: int
    attempts: int
    meta: dict = field(default_factory=dict)

    _repr_fields = ("sizes", "n_sites", "n_small", "n_large", "attempts", "meta")

    @property
    def n_sites(self):
        return int(self.sizes.sum())

    def _dict_data(self):
        """The summary, not the per-site arrays (tens of millions of entries for his settings)."""
        return {"sizes": self.sizes, "n_sites": self.n_sites, "n_small": self.n_small, "n_large": self.n_large,
                "attempts": self.attempts, "meta": self.meta}

    def _frame_data(self):
        return {"rank": np.arange(1, self.sizes.size + 1), "size": self.sizes, "start": self.starts}

    def _text(self):
        s = self.sizes
        return (f"{s.size} clusters of {self.n_sites} sites (sizes {s.max()}..{s.min()}), {self.n_small} discarded "
                f"below the window, {self.n_large} above, {self.attempts} grown" + (f"; {self.meta}" if self.meta else ""))

    def plot(self, ax=None, **kw):
        """Cluster size against rank on log-log axes. Returns the axes."""
        ax = new_axes(ax)
        kw.setdefault("label", f"{self.sizes.size} clusters")
        ax.loglog(np.arange(1, self.sizes.size + 1), self.sizes, drawstyle="steps-mid", **kw)
        ax.set_xlabel("rank k (by size)")
        ax.set_ylabel("cluster size s_k (sites)")
        ax.legend(fontsize=8)
        seed = self.meta.get("seed")
        return set_title(ax, f"grown clusters{'' if seed is None else f', seed {seed}'}: {self.n_sites} sites")


def _expected_sites(cfg):
    """Expected total sites of the kept clusters (size-biased law inside the window, exact n_s)."""
    from scalinglab.theory.percolation import size_biased_pmf

    s = np.unique(np.round(np.geomspace(cfg.s_min, cfg.s_max, 400)))
    w = size_biased_pmf(s, cfg.p_occ, cfg.z)
    ds = np.gradient(s)
    return cfg.k_clusters * float((s * w * ds).sum() / (w * ds).sum())


def brill_clusters(config=None, seed=0):
    """Grow one seed's clusters (his ``generate_cluster`` loop), sorted by decreasing size.

    Parameters
    ----------
    config : BrillToyConfig, optional
        Default: his settings (316 clusters of 300..3e7 sites, z = 200, p_c).
    seed : int
        Seed of this data set.

    Returns
    -------
    BrillClusters

    >>> cl = brill_clusters(BrillToyConfig(s_max=3000, n_clusters=5), seed=1)
    >>> a, s = cl.starts[0], cl.sizes[0]
    >>> cl.sizes.size, bool(np.all(np.diff(cl.sizes) <= 0)), bool(abs(cl.value[a:a + s].std() - 1) < 1e-9)
    (5, True, True)
    """
    cfg = BrillToyConfig() if config is None else config
    est = _expected_sites(cfg) * 16  # int32 parent + int32 depth + float64 value
    if est > _MEM_LIMIT:
        raise InputError(f"expected cluster arrays of {est / 2**30:.1f} GiB exceed the limit of "
                         f"{_MEM_LIMIT / 2**30:.0f} GiB: lower s_max or n_clusters")
    parent, depth, value, off, counts = grow_brill_clusters(cfg.k_clusters, cfg.z - 1, cfg.p_occ, cfg.s_min,
                                                            cfg.s_max, _subseed(seed, 0xB7), cfg.max_attempts)
    sizes = np.diff(off)
    if sizes.size < cfg.k_clusters:
        raise InputError(f"only {sizes.size} of {cfg.k_clusters} clusters in the window after "
                         f"{int(counts[2])} attempts (max_attempts)")
    order = np.argsort(-sizes, kind="stable")
    return BrillClusters(parent=parent, depth=depth, value=value, starts=off[:-1][order].astype(np.int64),
                         sizes=sizes[order].astype(np.int64),
                         n_small=int(counts[0]), n_large=int(counts[1]), attempts=int(counts[2]),
                         meta={"seed": int(seed), "sites_grown": int(counts[3])})


def brill_losses(clusters, p_train, p_valid, seed):
    """One evaluation (his ``compute_loss`` for one ``p_train`` vector).

    Parameters
    ----------
    clusters : BrillClusters
    p_train : array_like, shape (K,) or scalar
        Training fraction of every cluster (already capped).
    p_valid : float or array_like
        Test fraction(s); ``n_test = round(p_valid s)``.
    seed : int
        Seed of the draw.

    Returns
    -------
    dict
        ``loss`` (test-site-weighted mean squared error), per-cluster
        ``cluster_loss``, ``n_test``, ``n_train``.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> cl = brill_clusters(tiny, seed=0)
    >>> r = brill_losses(cl, p_train=0.5, p_valid=0.05, seed=0)
    >>> r["n_test"], bool(0 < r["loss"] < 1)
    (array([62, 45, 38, 27]), True)
    """
    K = clusters.sizes.size
    p_train = np.broadcast_to(np.asarray(p_train, dtype=float), (K,))
    p_valid = np.broadcast_to(np.asarray(p_valid, dtype=float), (K,))
    if np.any(p_train < 0) or np.any(p_train + p_valid > 1):
        raise InputError("need p_train >= 0 and p_train + p_valid <= 1")
    n_test = np.round(p_valid * clusters.sizes).astype(np.int64)
    q = np.minimum(p_train / (1.0 - p_valid), 1.0)
    sse, ntr = brill_cluster_losses(clusters.parent, clusters.depth, clusters.value, clusters.starts, clusters.sizes,
                                    np.ascontiguousarray(q), n_test, int(seed))
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = np.where(n_test > 0, sse / np.maximum(n_test, 1), 0.0)
    tot = int(n_test.sum())
    return {"loss": float(sse.sum() / tot) if tot else float("nan"), "cluster_loss": cl, "n_test": n_test,
            "n_train": ntr}


@dataclass(repr=False)
class ScaleFactors(Result):
    """Per-cluster scale factors (training points per DOF) and their summary.

    Attributes
    ----------
    factors, errors : numpy.ndarray
        Fitted ``f_k`` and their curve_fit standard errors.
    sizes : numpy.ndarray
        Cluster sizes.
    n_train : numpy.ndarray, shape (fit_points, K)
        Expected training sites ``p_train s`` of the learning curves.
    losses : numpy.ndarray, shape (fit_points, K)
        Measured losses.
    summary : dict
        ``mean``, ``weighted_mean`` (by size), percentiles 2.5/16/50/84/97.5.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> sf = brill_scale_factors(brill_clusters(tiny, seed=0), tiny, seed=0)
    >>> sf.factors.shape, sf.losses.shape, sorted(sf.summary)[:3]     # one factor per cluster, fit_points x K losses
    ((4,), (4, 4), ['mean', 'n_failed', 'p16'])
    """

    factors: np.ndarray
    errors: np.ndarray
    sizes: np.ndarray
    n_train: np.ndarray
    losses: np.ndarray
    summary: dict

    _repr_fields = ("factors", "sizes", "summary")
    _reasons = {"errors": "curve_fit gave no finite standard error for these clusters"}

    def _frame_data(self):
        return {"size": self.sizes, "factor": self.factors, "error": self.errors}

    def _text(self):
        s = self.summary
        return (f"scale factors of {self.factors.size} clusters: mean {s['mean']:.3g}, size-weighted mean "
                f"{s['weighted_mean']:.3g}, median {s['p50']:.3g} (2.5-97.5 %: {s['p2_5']:.3g}..{s['p97_5']:.3g}), "
                f"{s['n_failed']} fits failed")

    def plot(self, ax=None, **kw):
        """Scale factor against cluster size (log-log, curve_fit errors as bars). Returns the axes."""
        ax = new_axes(ax)
        kw.setdefault("fmt", ".")
        ax.errorbar(self.sizes, self.factors, yerr=np.where(np.isfinite(self.errors), self.errors, 0.0), **kw)
        ax.axhline(self.summary["mean"], color="k", ls="--", lw=0.8, label=f"mean {self.summary['mean']:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cluster size s (sites)")
        ax.set_ylabel("scale factor (training points per DOF)")
        ax.legend(fontsize=8)
        return set_title(ax, "per-cluster scale factors")


def _fit_scale(n, loss, cd):
    from scipy.optimize import curve_fit

    good = (loss > 0) & np.isfinite(loss)
    n, loss = n[good], loss[good]
    if n.size < 2:
        return float("nan"), float("nan")

    def fn(x, f):
        return np.log(np.maximum(x / f, 1.0) ** (-cd))

    try:
        popt, pcov = curve_fit(fn, n, np.log(loss), p0=[5.0], bounds=(1.0, np.inf), loss="huber")
    except (RuntimeError, ValueError):  # pragma: no cover - no convergence
        return float("nan"), float("nan")
    return float(popt[0]), float(np.sqrt(pcov[0, 0])) if np.isfinite(pcov[0, 0]) else float("nan")


def brill_scale_factors(clusters, config=None, seed=0):
    """His per-cluster scale-factor fits (learning curve of every cluster alone).

    Returns
    -------
    ScaleFactors

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> sf = brill_scale_factors(brill_clusters(tiny, seed=0), tiny, seed=0)
    >>> bool((sf.factors >= 1).all()), sf.summary["n_failed"]
    (True, 0)
    """
    cfg = BrillToyConfig() if config is None else config
    sizes = clusters.sizes.astype(float)
    hi = np.minimum(cfg.fit_max_train / sizes, cfg.fit_max_frac)
    p_train = np.minimum(np.geomspace(1.0 / sizes, hi, num=cfg.fit_points), cfg.p_train_cap)
    # at most half of a cluster tests (his clusters have >= 300 sites: 40 test sites; smaller windows, e.g. the
    # 10..1e6 sites of docs/results/specs/brill-fig5-seeds.toml, have clusters of 10)
    p_valid = np.minimum(cfg.fit_n_valid, np.floor(sizes / 2)) / sizes
    losses = np.empty_like(p_train)
    for i in range(cfg.fit_points):
        losses[i] = brill_losses(clusters, p_train[i], p_valid, _subseed(seed, 0xF17, i))["cluster_loss"]
    n_train = p_train * sizes
    fac = np.empty(sizes.size)
    err = np.empty(sizes.size)
    for k in range(sizes.size):
        fac[k], err[k] = _fit_scale(n_train[:, k], losses[:, k], cfg.c_over_D)
    ok = np.isfinite(fac)
    pct = np.percentile(fac[ok], [2.5, 16, 50, 84, 97.5]) if ok.any() else [float("nan")] * 5
    summary = {"mean": float(np.mean(fac[ok])), "weighted_mean": float(np.average(fac[ok], weights=sizes[ok])),
               "p2_5": float(pct[0]), "p16": float(pct[1]), "p50": float(pct[2]), "p84": float(pct[3]),
               "p97_5": float(pct[4]), "n_failed": int((~ok).sum())}
    fac = np.where(ok, fac, summary["mean"])
    return ScaleFactors(factors=fac, errors=err, sizes=clusters.sizes, n_train=n_train, losses=losses,
                        summary=summary)


def brill_p_train(mode, n_dof, sizes, factors, config=None):
    """Training fractions of every cluster for ``n_dof`` training degrees of freedom.

    ``mode="model"``: ``n_k f_k/s_k`` with his allocation ``n_k`` (ranks by size);
    ``mode="data"``: ``n f_k/S``. Capped at ``config.p_train_cap``.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> import numpy as np
    >>> sizes, factors = np.array([1000, 500, 100]), np.array([5.0, 5.0, 5.0])
    >>> brill_p_train("data", 32.0, sizes, factors, tiny)          # n f_k / S: the same fraction everywhere
    array([0.1, 0.1, 0.1])
    >>> p = brill_p_train("model", 32.0, sizes, factors, tiny)     # his allocation n_k favours the largest clusters
    >>> bool(p[0] * sizes[0] > p[2] * sizes[2])
    True
    """
    cfg = BrillToyConfig() if config is None else config
    sizes = np.asarray(sizes, dtype=float)
    factors = np.asarray(factors, dtype=float)
    if mode == "model":
        k = np.arange(1, sizes.size + 1, dtype=float)
        nk = brill_nk(float(n_dof), k, cfg.alpha, cfg.c_over_D)
        p = nk * factors / sizes
    elif mode == "data":
        p = float(n_dof) * factors / sizes.sum()
    else:
        raise InputError(f"mode must be 'model' or 'data', got {mode!r}")
    return np.minimum(p, cfg.p_train_cap)


_SEED_CACHE = {}


def _seed_state(cfg, seed):
    data = brill_data(cfg)
    key = (data, int(seed))
    if key not in _SEED_CACHE:
        _SEED_CACHE.clear()  # one seed at a time (the arrays may be ~0.2-1 GB)
        cl = brill_clusters(data, seed)
        sf = brill_scale_factors(cl, data, seed)
        _SEED_CACHE[key] = (cl, sf)
    return _SEED_CACHE[key]


def brill_toy_cell(config, mode, n_dof, seed):
    """Loss of one (mode, ``n_dof``, seed) cell; the seed's clusters and scale factors are cached.

    Returns
    -------
    dict
        The row: cell coordinates, ``loss``, ``theory`` (his normalised curve at
        ``n_dof``), ``n_test``, ``n_train``.

    >>> cfg = BrillToyConfig(s_max=3000, n_clusters=4, n_points=3, fit_points=4, p_valid=0.05, seeds=1)
    >>> row = brill_toy_cell(cfg, "data", 10.0, 0)
    >>> 0 < row["loss"] < 3 and row["mode"] == "data"
    True
    """
    cfg = BrillToyConfig() if config is None else config
    cl, sf = _seed_state(cfg, seed)
    mode_code = {"model": 1, "data": 2}.get(mode)
    if mode_code is None:
        raise InputError(f"mode must be 'model' or 'data', got {mode!r}")
    p = brill_p_train(mode, n_dof, cl.sizes, sf.factors, cfg)
    r = brill_losses(cl, p, cfg.p_valid, _subseed(seed, mode_code, int(round(float(n_dof) * 1e6)) & 0xFFFFFFFF,
                                                   int(round(float(n_dof) * 1e6)) >> 32))
    curve = brill_model_loss if mode == "model" else brill_data_loss
    return {"mode": mode, "n_dof": float(n_dof), "seed": int(seed), "loss": r["loss"],
            "theory": float(curve(float(n_dof), cfg.alpha, cfg.c_over_D)[0]),
            "n_test": int(r["n_test"].sum()), "n_train": int(r["n_train"].sum())}


def brill_toy_clusters_row(config, seed):
    """One seed's data set and scale factors as a row (``mode = "clusters"``).

    Returns
    -------
    dict
        ``n_sites``, ``n_small``, ``n_large``, ``attempts``, ``sites_grown``,
        per-cluster ``sizes``, ``factors`` and ``factor_errors`` (rank order),
        and the scale-factor summary ``sf_mean``, ``sf_weighted_mean``,
        ``sf_p2_5``, ``sf_p16``, ``sf_p50``, ``sf_p84``, ``sf_p97_5``, ``sf_n_failed``.

    >>> r = brill_toy_clusters_row(BrillToyConfig(s_max=3000, n_clusters=4, fit_points=4, p_valid=0.05), 0)
    >>> len(r["sizes"]), r["mode"], r["sf_p2_5"] >= 1
    (4, 'clusters', True)
    """
    cl, sf = _seed_state(config, seed)
    row = {"mode": "clusters", "n_dof": 0.0, "seed": int(seed), "n_sites": cl.n_sites, "n_small": cl.n_small,
           "n_large": cl.n_large, "attempts": cl.attempts, "sites_grown": int(cl.meta.get("sites_grown", -1)),
           "sizes": [int(v) for v in cl.sizes], "factors": [round(float(v), 6) for v in sf.factors],
           "factor_errors": [None if not np.isfinite(v) else round(float(v), 6) for v in sf.errors]}
    row.update({f"sf_{k}": v for k, v in sf.summary.items()})
    return row


def brill_toy_cells(config=None):
    """The grid: one cell per (mode, n, seed), ``n`` on his 50-point grid.

    Returns
    -------
    list of dict
        ``{"mode", "n_index", "n_dof", "seed"}``.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> brill_toy_cells(tiny)[:2]
    [{'mode': 'model', 'n_index': 0, 'n_dof': 1.0, 'seed': 0}, {'mode': 'model', 'n_index': 1, 'n_dof': 3.1072325059538586, 'seed': 0}]
    """
    cfg = BrillToyConfig() if config is None else config
    return [{"mode": m, "n_index": i, "n_dof": float(n), "seed": s}
            for s in range(cfg.seeds) for m in ("model", "data") for i, n in enumerate(cfg.n_grid)]


def brill_toy_run_seed(config, seed, progress=None):
    """All rows of one seed (both modes, the whole ``n`` grid, and its clusters row), sharing its clusters.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> rows = brill_toy_run_seed(tiny, 0)
    >>> len(rows), rows[-1]["mode"], rows[0]["mode"]              # 2 x 4 losses and the seed's clusters row
    (9, 'clusters', 'model')
    """
    cfg = BrillToyConfig() if config is None else config
    rows = []
    for cell in brill_toy_cells(replace(cfg, seeds=1)):
        rows.append(brill_toy_cell(cfg, cell["mode"], cell["n_dof"], seed))
        if progress is not None:
            progress()
    rows.append(brill_toy_clusters_row(cfg, seed))
    return rows


def brill_toy_theory(n, config=None, finite=True):
    """His closed-form curves at ``n`` (normalised), and the same loss model summed over finite clusters.

    Returns
    -------
    dict
        ``model``, ``data``: :func:`brill_model_loss` / :func:`brill_data_loss`;
        with ``finite``: ``model_finite``, ``data_finite`` -- his loss model
        summed over the ``n_clusters`` expected cluster sizes of the exact
        Bethe ``n_s`` in his window (:func:`bethe_quanta`), normalised at
        ``n = 1`` (shows what the 316-cluster cut does to the curves).

    Examples
    --------
    >>> th = brill_toy_theory([1, 10, 100], finite=False)          # his closed forms, normalised at n = 1
    >>> th["model"].round(4), th["data"].round(4)
    (array([1.    , 0.6847, 0.3342]), array([1.    , 0.6803, 0.3303]))
    """
    cfg = BrillToyConfig() if config is None else config
    n = np.atleast_1d(np.asarray(n, dtype=float))
    out = {"model": brill_model_loss(n, cfg.alpha, cfg.c_over_D),
           "data": brill_data_loss(n, cfg.alpha, cfg.c_over_D)}
    if finite:
        q = bethe_quanta(cfg.k_clusters, cfg.z, cfg.p_occ, cfg.s_min, cfg.s_max)
        both = np.concatenate([[1.0], n])
        sums = quanta_loss_sums(q.freqs, N=both, D=both, c_over_D=cfg.c_over_D, alpha=cfg.alpha)
        out["model_finite"] = np.where(n > 1, sums["model"][1:] / sums["model"][0], 1.0)
        out["data_finite"] = np.where(n > 1, sums["data"][1:] / sums["data"][0], 1.0)
    return out


_SF_KEYS = ("mean", "weighted_mean", "p2_5", "p16", "p50", "p84", "p97_5")


@dataclass(frozen=True, repr=False)
class BrillToyAnalysis(ItemAccess, Result):
    """His toy experiment's curves over seeds beside his closed forms (:func:`brill_toy_analyse`).

    Attributes
    ----------
    config : dict
        The :class:`BrillToyConfig` as a dict.
    model, data : dict or None
        Per scaling mode: ``n``, ``median``, ``q16``, ``q84``, ``n_seeds``, ``theory``, ``theory_finite``,
        ``ratio`` and (with at least two seeds and three sizes in the window) ``fit``.
    scale_factors : dict
        Seed 0's scale-factor summary, the mean and range over seeds, his reported values.
    data_set : dict or None
        Sites and discarded clusters per seed, beside his.
    extras : dict
        Entries a caller adds (``a["wall_s"] = ...``); :meth:`to_dict` writes them after the fields.

    Reads also like the dict it replaced (``a["model"]["fit"]``).

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> a = brill_toy_analyse(brill_toy_run_seed(tiny, 0) + brill_toy_run_seed(tiny, 1), tiny)
    >>> a.to_frame().columns.tolist()[:4], len(a.to_frame())       # one row per (mode, n)
    (['mode', 'n', 'median', 'q16'], 8)
    """

    config: dict
    model: dict | None = None
    data: dict | None = None
    scale_factors: dict = field(default_factory=dict)
    data_set: dict | None = None
    extras: dict = field(default_factory=dict)

    _repr_fields = ("model_exponent", "data_exponent", "n_seeds")

    @property
    def n_seeds(self):
        return self.scale_factors.get("n_seeds") or max((d or {}).get("n_seeds", 0) for d in (self.model, self.data))

    @property
    def model_exponent(self):
        return ((self.model or {}).get("fit") or {}).get("exponent", float("nan"))

    @property
    def data_exponent(self):
        return ((self.data or {}).get("fit") or {}).get("exponent", float("nan"))

    def _frame_data(self):
        cols = ("n", "median", "q16", "q84", "theory", "theory_finite", "ratio")
        out = {"mode": []}
        out.update({c: [] for c in cols})
        for mode in ("model", "data"):
            d = getattr(self, mode)
            if d:
                out["mode"] += [mode] * len(d["n"])
                for c in cols:
                    out[c] += list(d[c])
        return out

    def _text(self):
        lines = [f"Brill's toy experiment, {self.n_seeds} seeds (z = {self.config.get('z')}, "
                 f"{self.config.get('n_clusters')} clusters)"]
        for mode in ("model", "data"):
            d = getattr(self, mode)
            if not d:
                continue
            f = d.get("fit")
            lines.append(f"  {mode} scaling: {len(d['n'])} sizes n = {d['n'][0]:g}..{d['n'][-1]:g}"
                         + (f"; exponent {f['exponent']:.3f} [{f['ci95'][0]:.3f}, {f['ci95'][1]:.3f}] over "
                            f"[{f['window'][0]:g}, {f['window'][1]:g}] (his closed form {f['theory_exponent']:.3f}, "
                            f"his loss model on finite clusters {f['theory_finite_exponent']:.3f})" if f else
                            " (no fit: fewer than 2 seeds or 3 sizes in the window)"))
        return "\n".join(lines)

    def plot(self, ax=None, mode="model", **kw):
        """One scaling mode (``"model"`` or ``"data"``): median and 16-84 % band over seeds, his closed form and
        his loss model on the finite clusters, on log-log axes. Returns the axes."""
        if mode not in ("model", "data"):
            raise InputError(f"mode must be 'model' or 'data', got {mode!r}")
        ax = new_axes(ax)
        d = getattr(self, mode)
        if not d:
            raise InputError(f"no {mode}-scaling rows were analysed")
        n = np.asarray(d["n"], dtype=float)
        ax.fill_between(n, d["q16"], d["q84"], alpha=0.3, color="C0", label="16-84 % over seeds")
        kw.setdefault("label", f"median, {d['n_seeds']} seeds")
        ax.loglog(n, d["median"], "o-", ms=3, color="C0", **kw)
        ax.loglog(n, d["theory"], "k--", lw=1.2, label="his closed form")
        ax.loglog(n, d["theory_finite"], "k:", lw=1.2, label="his loss model, finite clusters")
        ax.set_xlabel("training degrees of freedom")
        ax.set_ylabel("loss (MSE of standardised targets)")
        ax.legend(fontsize=7)
        f = d.get("fit")
        return set_title(ax, f"Brill's toy, {mode} scaling" + (
            f": exponent {f['exponent']:.3f} [{f['ci95'][0]:.3f}, {f['ci95'][1]:.3f}]" if f else ""))



def brill_toy_analyse(rows, config=None):
    """Rows to his plot: median and 16-84 % band over seeds against his curves.

    Parameters
    ----------
    rows : list of dict or pandas.DataFrame
        Rows from :func:`brill_toy_run_seed` (model, data and clusters rows).
    config : BrillToyConfig
        Its ``fit_lo`` and ``n_boot`` set the exponent fits.

    Returns
    -------
    BrillToyAnalysis
        Reads like a dict: ``model`` and ``data``: ``n``, ``median``, ``q16``, ``q84``, ``n_seeds``,
        ``theory``, ``theory_finite``, ``ratio`` (median / theory), and a
        power-law fit of the seed-mean over ``[fit_lo, n_max]`` (OLS in
        log-log, bootstrap 95 % interval over seeds) beside the theory's own
        exponent over the same window; ``scale_factors``: seed 0's summary,
        the mean of every seed's summary and their range over seeds, with his
        reported values beside; ``data_set``: sites and discarded clusters.

    Examples
    --------
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)
    >>> rows = brill_toy_run_seed(tiny, 0) + brill_toy_run_seed(tiny, 1)
    >>> a = brill_toy_analyse(rows, tiny)
    >>> sorted(a), a["model"]["n_seeds"], len(a.model["median"])
    (['config', 'data', 'data_set', 'model', 'scale_factors'], 2, 4)
    """
    import pandas as pd

    from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit

    cfg = BrillToyConfig() if config is None else config
    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
    df = df.sort_values(["mode", "n_dof", "seed"]).reset_index(drop=True)  # row order never matters
    out = {"config": cfg.to_dict()}
    for mode in ("model", "data"):
        d = df[df["mode"] == mode]
        if d.empty:
            continue
        g = d.groupby("n_dof")["loss"]
        n = np.array(sorted(d["n_dof"].unique()))
        med = g.median().reindex(n).to_numpy()
        th = brill_toy_theory(n, cfg)
        samples = [d.loc[d["n_dof"] == x, "loss"].to_numpy() for x in n]
        seed_labels = [d.loc[d["n_dof"] == x, "seed"].to_numpy() for x in n]
        res = {"n": n.tolist(), "median": med.tolist(), "q16": g.quantile(0.16).reindex(n).tolist(),
               "q84": g.quantile(0.84).reindex(n).tolist(), "n_seeds": int(d["seed"].nunique()),
               "theory": th[mode].tolist(), "theory_finite": th[mode + "_finite"].tolist(),
               "ratio": (med / th[mode]).tolist()}
        window = (float(cfg.fit_lo), float(n.max()))
        if (n >= window[0]).sum() >= 3 and res["n_seeds"] >= 2:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # few seeds: the report states the interval's method
                bf = bootstrap_powerlaw(n, samples, window=window, n_boot=int(cfg.n_boot), seed=0, seeds=seed_labels)
            res["fit"] = {"exponent": bf.exponent, "ci95": list(bf.ci), "window": list(window),
                          "n_seeds": res["n_seeds"], "ci_method": bf.ci_method,
                          "method": "OLS log-log of the seed mean; interval over whole seeds (a seed fixes the "
                                    "clusters): " + ("expanded percentile bootstrap" if not bf.few_seeds else
                                                     "jackknife-t, fewer than 5 seeds"),
                          "theory_exponent": powerlaw_fit(n, th[mode], window=window).exponent,
                          "theory_finite_exponent": powerlaw_fit(n, th[mode + "_finite"], window=window).exponent}
        out[mode] = res
    clusters = df[df["mode"] == "clusters"] if "mode" in df else df.iloc[:0]
    per_seed = (clusters if len(clusters) else df).drop_duplicates("seed").sort_values("seed")
    brill_sf = {"mean": BRILL_REPORTED["scale_factor_mean"],
                "weighted_mean": BRILL_REPORTED["scale_factor_weighted_mean"],
                "p2_5": 1.0, "p50": 4.065, "p97_5": 18.09}
    sf = {}
    for k in _SF_KEYS:
        col = f"sf_{k}"
        if col in per_seed and per_seed[col].notna().any():
            v = per_seed[col].astype(float)
            sf[k] = {"seed0": float(v.iloc[0]), "mean": float(v.mean()), "min": float(v.min()),
                     "max": float(v.max())}
    sf["brill_seed0"] = brill_sf
    sf["n_seeds"] = int(per_seed["seed"].nunique())
    out["scale_factors"] = sf
    if "n_sites" in per_seed and per_seed["n_sites"].notna().any():
        ns = per_seed["n_sites"].astype(float)
        out["data_set"] = {"n_sites_seed0": float(ns.iloc[0]), "n_sites_mean": float(ns.mean()),
                           "n_sites_min": float(ns.min()), "n_sites_max": float(ns.max()),
                           "n_small_mean": float(per_seed["n_small"].astype(float).mean()),
                           "n_large_mean": float(per_seed["n_large"].astype(float).mean()),
                           "n_clusters": int(cfg.k_clusters),
                           "expected_sites": float(_expected_sites(cfg)),
                           "brill_seed0": {"n_sites": BRILL_REPORTED["n_total_sites_seed0"],
                                           "n_small": BRILL_REPORTED["n_small_seed0"], "n_large": 0}}
    return BrillToyAnalysis(**out)


# ----------------------------------------------------------------------------- Fig. 5
def brill_fig5_chunk(config, N=500.0, b_range=(-5.05, 5.05), kbr_max=1000.0, count=100, chunk=0, seed=0,
                     simulate=True):
    """``count`` random allocations of his Fig. 5 (chunk ``chunk`` of seed ``seed``) and their losses.

    ``b`` uniform in ``b_range``, ``k_br`` log-uniform in ``[1, min(kbr_max,
    n_clusters)]`` (his notebook), ``n_k ∝ k^(b-1)`` for ``k <= k_br`` scaled
    to ``N`` DOF (:func:`~scalinglab.theory.percolation.random_allocations`).
    The draws depend on ``(seed, chunk)`` only.

    Returns
    -------
    dict
        ``b``, ``kbr``, ``loss_model`` (his loss model over the expected
        cluster sizes, :func:`bethe_quanta`) and, with ``simulate``, ``loss``
        (one evaluation on the seed's clusters each, his plot).

    >>> r = brill_fig5_chunk(BrillData(), count=3, simulate=False)
    >>> len(r["b"]), bool(-5.05 <= min(r["b"]) and max(r["kbr"]) <= 316)
    (3, True)
    """
    data = brill_data(BrillToyConfig() if config is None else config)
    K = data.k_clusters
    ra = random_allocations(int(count), float(N), K, tuple(b_range), (1.0, float(min(kbr_max, K))),
                            seed=_subseed(seed, 0xF5, chunk))
    q = bethe_quanta(K, data.z, data.p_occ, data.s_min, data.s_max)
    out = {"b": ra["b"].tolist(), "kbr": ra["kbr"].tolist(),
           "loss_model": quanta_allocation_loss(ra["nk"], q.freqs, data.c_over_D).tolist()}
    if simulate:
        cl, sf = _seed_state(data, seed)
        loss = []
        for i in range(int(count)):
            p = np.minimum(ra["nk"][i] * sf.factors / cl.sizes, data.p_train_cap)
            loss.append(brill_losses(cl, p, data.p_valid, _subseed(seed, 0xF5, chunk, i))["loss"])
        out["loss"] = loss
    return out


def brill_fig5_predicted(config, N=500.0, repeats=20, seed=0, simulate=True):
    """His predicted allocation at ``N`` (``b``, ``k_br`` of the closed forms), evaluated ``repeats`` times.

    Returns
    -------
    dict
        ``b``, ``kbr`` (predicted), ``loss_model`` and, with ``simulate``,
        ``losses`` (one per repeat: fresh training and test sites each).

    >>> p = brill_fig5_predicted(BrillData(), simulate=False)
    >>> round(p["b"], 4), round(p["kbr"], 2), 0 < p["loss_model"] < 1
    (-0.3333, 58.04, True)
    """
    data = brill_data(BrillToyConfig() if config is None else config)
    K = data.k_clusters
    b_pred = brill_b(data.alpha, data.c_over_D)
    kbr_pred = float(brill_kbr(float(N), b_pred)[0])
    nk = brill_nk(float(N), np.arange(1, K + 1, dtype=float), data.alpha, data.c_over_D)
    q = bethe_quanta(K, data.z, data.p_occ, data.s_min, data.s_max)
    out = {"b": float(b_pred), "kbr": kbr_pred,
           "loss_model": float(quanta_allocation_loss(nk[None, :], q.freqs, data.c_over_D)[0])}
    if simulate:
        cl, sf = _seed_state(data, seed)
        p = np.minimum(nk * sf.factors / cl.sizes, data.p_train_cap)
        out["losses"] = [brill_losses(cl, p, data.p_valid, _subseed(seed, 0xF6, r))["loss"]
                         for r in range(int(repeats))]
    return out


def brill_fig5_summary(b, kbr, loss, predicted, N=500.0, grid=200, key="loss"):
    """Heat-map and the comparison of the best random allocation with the predicted one.

    Parameters
    ----------
    b, kbr, loss : array_like
        The random allocations and their losses.
    predicted : dict
        :func:`brill_fig5_predicted` output (``losses`` for simulated losses,
        else ``loss_model`` is used).
    key : {"loss", "loss_model"}
        Which loss the arrays hold.

    Returns
    -------
    dict
        ``predicted_b``, ``predicted_kbr``, ``predicted_loss`` (mean over
        repeats) with ``predicted_loss_sd`` (one evaluation's spread) and
        ``_se``, ``best_loss``, ``best_b``, ``best_kbr``, ``best_over_predicted``
        (< 1: the best random allocation beat the prediction),
        ``frac_better`` (fraction of random allocations below the predicted
        loss), ``rank_of_predicted`` (its place among the random ones, 0 = best),
        and the nearest-neighbour heat map ``heat_b``, ``heat_kbr``, ``heat_loss``.

    >>> r = brill_fig5_summary([0.0, 1.0, -1.0], [10.0, 20.0, 5.0], [0.3, 0.2, 0.4],
    ...                        {"b": -1 / 3, "kbr": 58.0, "losses": [0.25, 0.27]}, grid=10)
    >>> r["best_b"], round(r["best_over_predicted"], 4), r["frac_better"], r["heat_loss"].shape
    (1.0, 0.7692, 0.3333333333333333, (10, 10))
    """
    from scipy.interpolate import griddata

    b, kbr, lv = (np.asarray(v, dtype=float) for v in (b, kbr, loss))
    if key == "loss" and predicted.get("losses"):
        pl = np.asarray(predicted["losses"], dtype=float)
        p_loss = float(pl.mean())
        sd = float(pl.std(ddof=1)) if pl.size > 1 else float("nan")
        se = sd / math.sqrt(pl.size) if pl.size > 1 else float("nan")
    else:
        p_loss, sd, se = float(predicted["loss_model"]), 0.0, 0.0
    i = int(np.nanargmin(lv))
    out = {"N": float(N), "n_points": int(lv.size), "predicted_b": float(predicted["b"]),
           "predicted_kbr": float(predicted["kbr"]), "predicted_loss": p_loss, "predicted_loss_sd": sd,
           "predicted_loss_se": se, "best_loss": float(lv[i]), "best_b": float(b[i]), "best_kbr": float(kbr[i]),
           "best_over_predicted": float(lv[i] / p_loss), "frac_better": float(np.mean(lv < p_loss)),
           "rank_of_predicted": int(np.sum(lv < p_loss))}
    gb = np.linspace(b.min(), b.max(), int(grid))
    gk = np.geomspace(kbr.min(), kbr.max(), int(grid))
    X, Y = np.meshgrid(gb, gk, indexing="ij")
    out["heat_b"], out["heat_kbr"] = gb, gk
    out["heat_loss"] = griddata((b, np.log(kbr)), lv, (X, np.log(Y)), method="nearest", rescale=True)
    return out


def brill_fig5(config=None, seed=0, n_points=2000, N=500.0, b_range=(-5.05, 5.05), predicted_repeats=20,
               simulate=True, grid=200, kbr_max=1000.0):
    """His Fig. 5: random allocations ``n_k ∝ k^(b-1)`` (``k <= k_br``) at ``N`` DOF, in one call.

    The pieces (:func:`brill_fig5_chunk`, :func:`brill_fig5_predicted`,
    :func:`brill_fig5_summary`) are what ``reproduce brill-fig5`` runs cell by
    cell; this is chunk 0 with ``n_points`` draws.

    Parameters
    ----------
    config : BrillToyConfig or BrillData
    seed : int
        Data set (clusters) and draw seed.
    n_points : int
        Random allocations (his 2000): ``b`` uniform in ``b_range``, ``k_br``
        log-uniform in ``[1, min(kbr_max, n_clusters)]``.
    N : float
        Total DOF (his 500).
    predicted_repeats : int
        Evaluations of the predicted allocation (its loss is a mean over draws).
    simulate : bool
        Measure the losses on the seed's clusters (his plot); otherwise only
        the loss model ``sum_k p_k max(n_k, 1)^-cD`` over the expected cluster
        sizes (:func:`bethe_quanta`) is used.
    grid : int
        Size of the nearest-neighbour heat-map grid over ``(b, log k_br)``.

    Returns
    -------
    dict
        ``b``, ``kbr``, ``loss`` (if ``simulate``), ``loss_model``,
        ``predicted_loss_model`` and :func:`brill_fig5_summary`'s keys.

    Examples
    --------
    >>> r = brill_fig5(BrillToyConfig(), n_points=100, simulate=False, grid=10)   # his loss model only: no clusters
    >>> round(r["predicted_b"], 4), round(r["predicted_kbr"], 1), r["heat_loss"].shape
    (-0.3333, 58.0, (10, 10))
    """
    ch = brill_fig5_chunk(config, N, b_range, kbr_max, n_points, 0, seed, simulate)
    pr = brill_fig5_predicted(config, N, predicted_repeats, seed, simulate)
    key = "loss" if simulate else "loss_model"
    out = {"b": np.asarray(ch["b"]), "kbr": np.asarray(ch["kbr"]), "loss_model": np.asarray(ch["loss_model"]),
           "predicted_loss_model": pr["loss_model"]}
    if simulate:
        out["loss"] = np.asarray(ch["loss"])
    out.update(brill_fig5_summary(ch["b"], ch["kbr"], ch[key], pr, N, grid, key))
    return out
