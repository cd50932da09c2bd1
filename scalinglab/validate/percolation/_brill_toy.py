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

from scalinglab.errors import InputError
from scalinglab.kernels.percolation import brill_cluster_losses, grow_brill_clusters
from scalinglab.theory.percolation import (bethe_quanta, brill_alpha, brill_b, brill_data_loss,
                                           brill_kbr, brill_model_loss, brill_nk, quanta_allocation_loss,
                                           quanta_loss_sums, random_allocations)

__all__ = ["BrillToyConfig", "BRILL_TOY_QUICK", "BRILL_TOY_FULL", "BRILL_REPORTED", "BrillClusters", "brill_clusters",
           "brill_losses", "ScaleFactors", "brill_scale_factors", "brill_p_train", "brill_toy_cells",
           "brill_toy_cell", "brill_toy_run_seed", "brill_toy_analyse", "brill_toy_theory", "brill_fig5"]

# What he reports (his notebook's outputs, seed 0): scale factors and the loss range read off his plots.
BRILL_REPORTED = {"scale_factor_mean": 5.517, "scale_factor_weighted_mean": 9.290,
                  "scale_factor_percentiles": {"2.5": 1.0, "50": 4.065, "97.5": 18.09},
                  "n_total_sites_seed0": 11_416_230, "n_small_seed0": 6348, "n_large_seed0": 0,
                  "loss_model_range": (0.9, 0.025), "loss_data_range": (1.0, 0.035)}

_MEM_LIMIT = 4 * 2**30  # bytes of cluster arrays one seed may hold


@dataclass(frozen=True)
class BrillToyConfig:
    """Every setting of his toy experiment (defaults = his notebook).

    Attributes
    ----------
    z : int
        Coordination number (``2d`` with ``d = 100``).
    p : float or None
        Occupation probability; ``None`` = ``p_c = 1/(z-1)``.
    tau, D, c : float
        Fisher exponent, cluster dimension and loss exponent of the theory
        curves (``alpha = (3-tau)/(tau-2)``, ``c/D``).
    s_min, s_max : int
        Kept size window.
    expected_n_large : float
        ``n_clusters = int(expected_n_large (s_max/s_min)^(tau-2))`` unless
        ``n_clusters`` is given.
    n_clusters : int or None
        Number of clusters kept.
    n_min, n_max, n_points : float, float, int
        Training degrees of freedom ``geomspace(n_min, n_max, n_points)``.
    p_valid : float
        Test fraction of every cluster (model and data scaling).
    fit_n_valid, fit_max_train, fit_max_frac, fit_points : int, int, float, int
        Per-cluster scale-factor fits (40 test sites, up to 1e4 training
        sites and 10 % of the cluster, 50 points).
    p_train_cap : float
        Upper bound of every training fraction.
    seeds : int
        Number of seeds (his 50).
    max_attempts : int
        Clusters grown at most per seed (refused beyond).
    """

    z: int = 200
    p: float | None = None
    tau: float = 2.5
    D: float = 4.0
    c: float = 2.0
    s_min: int = 300
    s_max: int = 30_000_000
    expected_n_large: float = 1.0
    n_clusters: int | None = None
    n_min: float = 1.0
    n_max: float = 30_000.0
    n_points: int = 50
    p_valid: float = 0.001
    fit_n_valid: int = 40
    fit_max_train: int = 10_000
    fit_max_frac: float = 0.1
    fit_points: int = 50
    p_train_cap: float = 0.95
    seeds: int = 50
    max_attempts: int = 10_000_000

    def __post_init__(self):
        if int(self.z) < 3:
            raise InputError(f"z must be >= 3, got {self.z!r}")
        if self.p is not None and not 0 < float(self.p) < 1:
            raise InputError(f"p must lie in (0, 1), got {self.p!r}")
        if not 1 <= int(self.s_min) < int(self.s_max):
            raise InputError(f"need 1 <= s_min < s_max, got {self.s_min!r}, {self.s_max!r}")
        if not 0 < float(self.n_min) < float(self.n_max):
            raise InputError(f"need 0 < n_min < n_max, got {self.n_min!r}, {self.n_max!r}")
        if int(self.n_points) < 2 or int(self.fit_points) < 2:
            raise InputError("n_points and fit_points must be >= 2")
        if not 0 < float(self.p_valid) < 1:
            raise InputError(f"p_valid must lie in (0, 1), got {self.p_valid!r}")
        if not 0 < float(self.p_train_cap) < 1:
            raise InputError(f"p_train_cap must lie in (0, 1), got {self.p_train_cap!r}")
        if int(self.seeds) < 1:
            raise InputError(f"seeds must be >= 1, got {self.seeds!r}")
        if self.n_clusters is not None and int(self.n_clusters) < 1:
            raise InputError(f"n_clusters must be >= 1, got {self.n_clusters!r}")
        if not 2 < float(self.tau) < 3:
            raise InputError(f"tau must lie in (2, 3), got {self.tau!r}")

    @property
    def p_occ(self):
        return 1.0 / (self.z - 1) if self.p is None else float(self.p)

    @property
    def k_clusters(self):
        if self.n_clusters is not None:
            return int(self.n_clusters)
        return max(1, int(self.expected_n_large * (self.s_max / self.s_min) ** (self.tau - 2)))

    @property
    def alpha(self):
        return brill_alpha(self.tau)

    @property
    def c_over_D(self):
        return self.c / self.D

    @property
    def n_grid(self):
        return np.geomspace(self.n_min, self.n_max, self.n_points)

    @classmethod
    def from_dict(cls, d):
        """Build from a mapping; unknown keys are refused with a one-line error."""
        names = {f.name for f in fields(cls)}
        bad = sorted(set(d) - names)
        if bad:
            raise InputError(f"unknown BrillToyConfig key(s): {', '.join(bad)}")
        return cls(**d)

    def to_dict(self):
        return asdict(self)


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


@dataclass
class BrillClusters:
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

    @property
    def n_sites(self):
        return int(self.sizes.sum())


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


@dataclass
class ScaleFactors:
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
    """

    factors: np.ndarray
    errors: np.ndarray
    sizes: np.ndarray
    n_train: np.ndarray
    losses: np.ndarray
    summary: dict


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
    """
    cfg = BrillToyConfig() if config is None else config
    sizes = clusters.sizes.astype(float)
    hi = np.minimum(cfg.fit_max_train / sizes, cfg.fit_max_frac)
    p_train = np.minimum(np.geomspace(1.0 / sizes, hi, num=cfg.fit_points), cfg.p_train_cap)
    p_valid = cfg.fit_n_valid / sizes
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


def brill_toy_cells(config=None):
    """The grid: one cell per (mode, n, seed), ``n`` on his 50-point grid.

    Returns
    -------
    list of dict
        ``{"mode", "n_index", "n_dof", "seed"}``.
    """
    cfg = BrillToyConfig() if config is None else config
    return [{"mode": m, "n_index": i, "n_dof": float(n), "seed": s}
            for s in range(cfg.seeds) for m in ("model", "data") for i, n in enumerate(cfg.n_grid)]


_SEED_CACHE = {}


def _seed_state(cfg, seed):
    key = (cfg, int(seed))
    if key not in _SEED_CACHE:
        _SEED_CACHE.clear()  # one seed at a time (the arrays may be ~0.2-1 GB)
        cl = brill_clusters(cfg, seed)
        sf = brill_scale_factors(cl, cfg, seed)
        _SEED_CACHE[key] = (cl, sf)
    return _SEED_CACHE[key]


def brill_toy_cell(config, mode, n_dof, seed):
    """Loss of one (mode, ``n_dof``, seed) cell; the seed's clusters and scale factors are cached.

    Returns
    -------
    dict
        The row: cell coordinates, ``loss``, ``theory`` (his normalised curve at
        ``n_dof``), ``n_test``, ``n_train``, and the seed's data-set and
        scale-factor summary (``n_sites``, ``n_small``, ``n_large``,
        ``sf_mean``, ``sf_weighted_mean``, ``sf_p2_5``, ``sf_p50``, ``sf_p97_5``).

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
    row = {"mode": mode, "n_dof": float(n_dof), "seed": int(seed), "loss": r["loss"],
           "theory": float(curve(float(n_dof), cfg.alpha, cfg.c_over_D)[0]),
           "n_test": int(r["n_test"].sum()), "n_train": int(r["n_train"].sum()),
           "n_sites": cl.n_sites, "n_small": cl.n_small, "n_large": cl.n_large}
    row.update({f"sf_{k}": v for k, v in sf.summary.items()})
    return row


def brill_toy_run_seed(config, seed, progress=None):
    """All rows of one seed (both modes, the whole ``n`` grid), sharing the seed's clusters."""
    cfg = BrillToyConfig() if config is None else config
    rows = []
    for cell in brill_toy_cells(replace(cfg, seeds=1)):
        rows.append(brill_toy_cell(cfg, cell["mode"], cell["n_dof"], seed))
        if progress is not None:
            progress()
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


def brill_toy_analyse(rows, config=None):
    """Rows to his plot: median and 16-84 % band over seeds against his curves.

    Parameters
    ----------
    rows : list of dict or pandas.DataFrame
        Rows from :func:`brill_toy_cell`.
    config : BrillToyConfig

    Returns
    -------
    dict
        ``model`` and ``data``: ``n``, ``median``, ``q16``, ``q84``, ``n_seeds``,
        ``theory``, ``theory_finite``, ``ratio`` (median / theory), and a
        power-law fit of the seed-mean over ``n >= 30`` (OLS in log-log,
        bootstrap 95 % interval over seeds) beside the theory's own local
        exponent over the same window; ``scale_factors``: mean over seeds of
        each seed's summary, with his reported values beside.
    """
    import pandas as pd

    from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit

    cfg = BrillToyConfig() if config is None else config
    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
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
        res = {"n": n.tolist(), "median": med.tolist(), "q16": g.quantile(0.16).reindex(n).tolist(),
               "q84": g.quantile(0.84).reindex(n).tolist(), "n_seeds": int(d["seed"].nunique()),
               "theory": th[mode].tolist(), "theory_finite": th[mode + "_finite"].tolist(),
               "ratio": (med / th[mode]).tolist()}
        window = (30.0, float(n.max()))
        if (n >= window[0]).sum() >= 3:
            bf = bootstrap_powerlaw(n, samples, window=window, n_boot=300, seed=0)
            res["fit"] = {"exponent": bf.exponent, "ci95": list(bf.ci), "window": list(window),
                          "method": "OLS log-log of the seed mean, bootstrap over seeds",
                          "theory_exponent": powerlaw_fit(n, th[mode], window=window).exponent,
                          "theory_finite_exponent": powerlaw_fit(n, th[mode + "_finite"], window=window).exponent}
        out[mode] = res
    per_seed = df.drop_duplicates("seed")
    keys = ["mean", "weighted_mean", "p2_5", "p50", "p97_5"]
    out["scale_factors"] = {k: float(per_seed[f"sf_{k}"].mean()) for k in keys if f"sf_{k}" in per_seed}
    out["scale_factors"]["brill"] = {"mean": BRILL_REPORTED["scale_factor_mean"],
                                     "weighted_mean": BRILL_REPORTED["scale_factor_weighted_mean"],
                                     "p2_5": 1.0, "p50": 4.065, "p97_5": 18.09}
    out["data_set"] = {"n_sites_mean": float(per_seed["n_sites"].mean()),
                       "n_small_mean": float(per_seed["n_small"].mean()),
                       "n_large_mean": float(per_seed["n_large"].mean()),
                       "brill_seed0": {"n_sites": BRILL_REPORTED["n_total_sites_seed0"],
                                       "n_small": BRILL_REPORTED["n_small_seed0"], "n_large": 0}}
    return out


def brill_fig5(config=None, seed=0, n_points=2000, N=500.0, b_range=(-5.05, 5.05), predicted_repeats=20,
               simulate=True, grid=200):
    """His Fig. 5: random allocations ``n_k ∝ k^(b-1)`` (``k <= k_br``) at ``N`` DOF.

    Parameters
    ----------
    config : BrillToyConfig
    seed : int
        Data set (clusters) and draw seed.
    n_points : int
        Random allocations (his 2000): ``b`` uniform in ``b_range``, ``k_br``
        log-uniform in ``[1, min(1000, n_clusters)]``.
    N : float
        Total DOF (his 500).
    predicted_repeats : int
        Evaluations of the predicted allocation (its loss is a mean over draws).
    simulate : bool
        Measure the losses on the seed's clusters (his plot); otherwise only
        the loss model ``sum_k p_k max(n_k, 1)^-cD`` over the expected cluster
        sizes (:func:`bethe_quanta`) is returned.
    grid : int
        Size of the nearest-neighbour heat-map grid over ``(b, log k_br)``.

    Returns
    -------
    dict of numpy.ndarray and floats
        ``b``, ``kbr``, ``loss`` (simulated, if ``simulate``), ``loss_model``
        (loss model), ``predicted_b``, ``predicted_kbr``, ``predicted_loss``
        (+ ``predicted_loss_se``), ``best_loss``, ``best_b``, ``best_kbr``,
        ``best_over_predicted`` (< 1: a random allocation beat the prediction),
        ``frac_better`` (fraction of random allocations below the predicted
        loss), ``heat_b``, ``heat_kbr``, ``heat_loss`` (gridded).
    """
    from scipy.interpolate import griddata

    cfg = BrillToyConfig() if config is None else config
    K = cfg.k_clusters
    ra = random_allocations(n_points, N, K, b_range, (1.0, float(min(1000, K))), seed=_subseed(seed, 0xF5))
    b_pred = brill_b(cfg.alpha, cfg.c_over_D)
    kbr_pred = float(brill_kbr(N, b_pred)[0])
    k = np.arange(1, K + 1, dtype=float)
    nk_pred = brill_nk(N, k, cfg.alpha, cfg.c_over_D)
    q = bethe_quanta(K, cfg.z, cfg.p_occ, cfg.s_min, cfg.s_max)
    out = {"b": ra["b"], "kbr": ra["kbr"], "N": float(N),
           "loss_model": quanta_allocation_loss(ra["nk"], q.freqs, cfg.c_over_D),
           "predicted_b": b_pred, "predicted_kbr": kbr_pred,
           "predicted_loss_model": float(quanta_allocation_loss(nk_pred[None, :], q.freqs, cfg.c_over_D)[0])}
    key = "loss_model"
    if simulate:
        cl, sf = _seed_state(cfg, seed)
        loss = np.empty(n_points)
        for i in range(n_points):
            p = np.minimum(ra["nk"][i] * sf.factors / cl.sizes, cfg.p_train_cap)
            loss[i] = brill_losses(cl, p, cfg.p_valid, _subseed(seed, 0xF5, i))["loss"]
        pl = []
        for r in range(int(predicted_repeats)):
            p = np.minimum(nk_pred * sf.factors / cl.sizes, cfg.p_train_cap)
            pl.append(brill_losses(cl, p, cfg.p_valid, _subseed(seed, 0xF6, r))["loss"])
        out["loss"] = loss
        out["predicted_loss"] = float(np.mean(pl))
        out["predicted_loss_se"] = float(np.std(pl, ddof=1) / math.sqrt(len(pl))) if len(pl) > 1 else float("nan")
        key = "loss"
    else:
        out["predicted_loss"] = out["predicted_loss_model"]
        out["predicted_loss_se"] = 0.0
    lv = out[key]
    i = int(np.nanargmin(lv))
    out.update(best_loss=float(lv[i]), best_b=float(ra["b"][i]), best_kbr=float(ra["kbr"][i]),
               best_over_predicted=float(lv[i] / out["predicted_loss"]),
               frac_better=float(np.mean(lv < out["predicted_loss"])))
    gb = np.linspace(ra["b"].min(), ra["b"].max(), grid)
    gk = np.geomspace(ra["kbr"].min(), ra["kbr"].max(), grid)
    X, Y = np.meshgrid(gb, gk, indexing="ij")
    out["heat_b"], out["heat_kbr"] = gb, gk
    out["heat_loss"] = griddata((ra["b"], np.log(ra["kbr"])), lv, (X, np.log(Y)), method="nearest", rescale=True)
    return out
