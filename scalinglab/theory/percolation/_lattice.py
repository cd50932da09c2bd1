"""Percolation on periodic hypercubic lattices: Newman-Ziff sweeps, p_c and tau with intervals.

* :func:`lattice_sweep` runs the Numba Newman-Ziff kernel
  (:func:`scalinglab.kernels.percolation.newman_ziff`) for site or bond
  percolation on the ``L^d`` torus: one pass per sample gives the largest
  cluster, ``sum s^2`` and the first wrapping event after every addition.
* :func:`canonical` convolves the microcanonical curves with the binomial
  law of the number of occupied sites/bonds at fixed ``p`` (Newman & Ziff,
  PRE 64, 016706, 2001): ``Q(p) = sum_n B(M, n, p) Q_n``. The wrapping
  probability is ``R(p) = mean_i P(Binomial(M, p) >= n_i)`` over the samples'
  first-wrapping numbers ``n_i``.
* p_c by finite-size scaling, two estimators with bootstrap intervals
  (samples resampled with replacement): :func:`pc_crossings` (``R_L(p) =
  R_L'(p)`` for consecutive sizes) and :func:`pc_extrapolate`
  (``p_1/2(L) = p_c + a L^(-1/nu)``, ``nu`` from the literature, weighted
  least squares over ``L``).
* tau from the cluster-size histogram at ``p_c`` (:func:`tau_estimate`):
  maximum likelihood of a discrete power law truncated to a stated window
  ``[s_lo, s_hi]`` (:func:`scalinglab.theory.fitting.discrete_powerlaw_fit`),
  with a likelihood-ratio interval and a bootstrap over independent batches.
* The fractal dimension ``D`` from the mean largest cluster at ``p_c``,
  ``<s_max> ∝ L^D`` (:func:`fractal_dim`); on tori above ``d = 6`` this grows
  as ``N^(2/3) = L^(2d/3)`` instead (a known boundary effect), so ``D`` is
  only estimated for ``d <= 5``.

Literature values (:data:`LATTICE_LITERATURE`): thresholds as quoted in issue
13 (2-d site 0.59274621, bond 1/2; 3-d site 0.3116077, bond 0.2488126; 4-d,
5-d, 6-d site 0.1968861, 0.1407966, 0.1090169) plus 7-d site 0.0889511
(Grassberger 2003; Mertens & Moore 2018); tau and D as in Brill's Fig. 4
(Stauffer & Aharony for d = 2; Mertens & Moore 2018 for tau, d >= 3);
``nu`` (2-d exact 4/3; 3-d 0.8762, 4-d 0.6845, 5-d 0.5723; 1/2 for d >= 6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scalinglab._results import ItemAccess, Result, new_axes, set_title
from scalinglab._validation import choice, integer, real, real_array, size_limit
from scalinglab._validation import seed as _seed
from scalinglab.errors import InputError

#: Most bootstrap resamples a lattice estimate draws (each one refits every size).
MAX_BOOT = 100_000

__all__ = ["label_lattice", "LATTICE_LITERATURE", "LatticeSweep", "lattice_sweep", "canonical", "wrapping_probability",
           "pc_crossings", "pc_extrapolate", "tau_estimate", "fractal_dim",
           "lattice_exponents", "PcExtrapolation", "TauEstimate", "FractalDimension"]

LATTICE_LITERATURE = {
    "pc_site": {2: 0.59274621, 3: 0.3116077, 4: 0.1968861, 5: 0.1407966, 6: 0.1090169, 7: 0.0889511},
    "pc_bond": {2: 0.5, 3: 0.2488126},
    "tau": {2: 187 / 91, 3: 2.1892, 4: 2.3142, 5: 2.419, 6: 2.487, 7: 2.5, 8: 2.5},
    "D": {2: 91 / 48, 3: 2.53, 4: 3.06, 5: 3.54, 6: 4.0, 7: 4.0, 8: 4.0},
    "nu": {2: 4 / 3, 3: 0.8762, 4: 0.6845, 5: 0.5723, 6: 0.5, 7: 0.5, 8: 0.5},
}

_MEM_LIMIT = 2 * 2**30


def label_lattice(occ):
    """Nearest-neighbour cluster labels of a boolean array (free boundaries), the fastest way we have.

    :func:`scalinglab.kernels.percolation.label_clusters`: Numba raster scans for ``d <= 3`` (cut into
    one slab per thread, scanned in parallel, on large arrays), the Numba union-find for ``d >= 4``;
    faster than ``scipy.ndimage.label`` at every size measured side by side in
    ``benchmarks/bench_kernels.py`` (table on the kernel-speed results page). Labels ``1..K`` in raster
    order of each cluster's first site, as scipy numbers them, as int64.

    >>> lab, n = label_lattice(np.array([[1, 0], [1, 1]], dtype=bool))
    >>> lab.tolist(), n
    ([[1, 0], [1, 1]], 1)
    """
    raw = np.asarray(occ)
    if raw.dtype == object or raw.dtype.kind not in "biuf":
        raise InputError(f"occ must be an array of occupied (True/1) and empty (False/0) sites, got {raw.dtype}")
    if raw.dtype.kind != "b" and not np.all((raw == 0) | (raw == 1)):
        raise InputError("occ must hold only 0/1 (or False/True): occupied or empty sites")
    occ = raw.astype(bool)
    if occ.ndim == 0 or 0 in occ.shape:
        raise InputError(f"occ must be a lattice of at least one site in every dimension, got shape {occ.shape}")
    from scalinglab.kernels.percolation import label_clusters

    lab, n = label_clusters(occ.ravel(), np.array(occ.shape, dtype=np.int64))
    return lab.reshape(occ.shape), int(n)


def _lit_pc(d, kind):
    table = LATTICE_LITERATURE["pc_bond" if kind == "bond" else "pc_site"]
    if d in table:
        return table[d]
    # mean-field-like estimate for a sweep range only: 1/(2d - 1) (Bethe with z = 2d)
    return 1.0 / (2 * d - 1)


@dataclass(repr=False)
class LatticeSweep(Result):
    """Microcanonical Newman-Ziff results of one ``(d, L, kind)``.

    Attributes
    ----------
    d, L : int
    kind : str
        ``"site"`` or ``"bond"``.
    N, M : int
        Sites, and units added (sites or ``d N`` bonds).
    n_samples : int
    n_max : int
        Additions per sample (the curves are valid for ``p`` whose binomial
        mass lies below ``n_max``).
    smax_mean, smax2_mean, s2_mean : numpy.ndarray (M + 1,)
        Sample means of ``s_max(n)``, ``s_max(n)^2``, ``sum s^2``.
    n_wrap : numpy.ndarray (n_samples, 3)
        First wrapping ``n`` (direction 0 / any / all); ``M + 1`` = not within ``n_max``.
    p_snap : float
        Occupation probability of the snapshot (``n_snap = round(p_snap M)``).
    hist : numpy.ndarray (n_batches, hist_max + 1)
        Cluster-size histograms at the snapshot, one row per batch.
    smax_snap : numpy.ndarray (n_samples,)
        Largest cluster at the snapshot.

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep
    >>> sw = lattice_sweep(2, 8, "site", n_samples=4, seed=0)
    >>> sw.d, sw.L, sw.N, sw.n_wrap.shape
    (2, 8, 64, (4, 3))
    """

    d: int
    L: int
    kind: str
    N: int
    M: int
    n_samples: int
    n_max: int
    smax_mean: np.ndarray = field(repr=False)
    smax2_mean: np.ndarray = field(repr=False)
    s2_mean: np.ndarray = field(repr=False)
    n_wrap: np.ndarray = field(repr=False)
    p_snap: float = float("nan")
    hist: np.ndarray = field(default=None, repr=False)
    smax_snap: np.ndarray = field(default=None, repr=False)
    seconds: float = float("nan")


def lattice_sweep(d, L, kind="site", n_samples=100, seed=0, p_snap=None, p_max=None, batches=1, hist_max=None):
    """Newman-Ziff sweep of ``n_samples`` samples on the periodic ``L^d`` lattice.

    Parameters
    ----------
    d : int
        Dimension, 1..8.
    L : int
        Linear size, ``>= 3``.
    kind : {"site", "bond"}
    n_samples : int
        Samples, split over ``batches`` kernel calls (histograms are kept per batch).
    seed : int
    p_snap : float, optional
        Snapshot occupation (cluster-size histogram, ``s_max``); default the
        literature ``p_c`` (:data:`LATTICE_LITERATURE`).
    p_max : float, optional
        Stop each sample at ``n_max = ceil(min(1, p_max) M)``; default
        ``2.5 x`` the literature ``p_c`` (capped at 1).
    batches : int
    hist_max : int, optional
        Largest size histogrammed (default ``N``, at most 10^6).

    Returns
    -------
    LatticeSweep

    >>> sw = lattice_sweep(2, 16, "site", n_samples=20, seed=1)
    >>> sw.M, 0.4 < float(np.median(sw.n_wrap[:, 0])) / sw.M < 0.8
    (256, True)
    """
    import time

    from scalinglab.kernels.percolation import newman_ziff

    kind = choice("kind", kind, ("site", "bond"))
    d = integer("d", d)
    if not 1 <= d <= 8:
        raise InputError(f"d must lie in 1..8, got {d}")
    L = integer("L", L, lo=3, hi=10**9)
    n_samples, batches = integer("n_samples", n_samples, lo=1, hi=10**9), integer("batches", batches, lo=1)
    seed = _seed("seed", seed)
    if hist_max is not None:
        hist_max = integer("hist_max", hist_max, lo=1, hi=10**6)
    if n_samples < 1 or not 1 <= batches <= n_samples:
        raise InputError(f"need n_samples >= 1 and 1 <= batches <= n_samples, got {n_samples}, {batches}")
    N = L**d
    M = d * N if kind == "bond" else N
    mem = 8 * 3 * (M + 1) + 17 * N + 4 * N * d
    if mem > _MEM_LIMIT:
        raise InputError(f"L^d = {N} needs {mem / 2**30:.1f} GiB, over the {_MEM_LIMIT / 2**30:.0f} GiB limit")
    pc = _lit_pc(d, kind)
    p_snap = pc if p_snap is None else real("p_snap", p_snap, lo=0.0, hi=1.0)
    p_max = min(1.0, 2.5 * pc) if p_max is None else min(1.0, real("p_max", p_max, lo=0.0, lo_open=True))
    n_max = int(math.ceil(p_max * M))
    n_snap = int(round(p_snap * M))
    hist_max = int(min(N, 10**6) if hist_max is None else hist_max)
    sizes = [n_samples // batches + (1 if b < n_samples % batches else 0) for b in range(batches)]
    ss = np.random.SeedSequence([int(seed), d, L, 1 if kind == "bond" else 0])
    seeds = [int(s.generate_state(1)[0] & 0x7FFFFFFF) for s in ss.spawn(batches)]
    acc = [np.zeros(M + 1) for _ in range(3)]
    nw, hists, snaps = [], [], []
    t0 = time.perf_counter()
    for nb, sd in zip(sizes, seeds):
        a, b2, c, w, h, sm = newman_ziff(d, L, kind == "bond", nb, sd, n_snap, hist_max, n_max,
                                         np.zeros((0, 0), dtype=np.int64))
        acc[0] += a
        acc[1] += b2
        acc[2] += c
        nw.append(w)
        hists.append(h)
        snaps.append(sm)
    return LatticeSweep(d=d, L=L, kind=kind, N=N, M=M, n_samples=n_samples, n_max=n_max,
                        smax_mean=acc[0] / n_samples, smax2_mean=acc[1] / n_samples, s2_mean=acc[2] / n_samples,
                        n_wrap=np.concatenate(nw), p_snap=p_snap, hist=np.array(hists),
                        smax_snap=np.concatenate(snaps), seconds=time.perf_counter() - t0)


def _binom_window(M, p, n_max, width=12.0):
    """Binomial(M, p) pmf on the window ``mu +- width sigma`` (clipped to 0..n_max); returns (lo, w, lost)."""
    from scipy.stats import binom

    mu = M * p
    sig = np.sqrt(max(M * p * (1 - p), 1e-12))
    lo = int(max(0, np.floor(mu - width * sig - 2)))
    hi = int(min(M, np.ceil(mu + width * sig + 2)))
    lost = float(binom.sf(n_max, M, p)) if hi > n_max else 0.0
    hi = min(hi, n_max)
    if hi < lo:
        return lo, np.zeros(0), 1.0
    n = np.arange(lo, hi + 1)
    return lo, binom.pmf(n, M, p), lost


def canonical(sweep, p):
    """Fixed-``p`` curves from a sweep: ``P_inf``, ``chi``, wrapping probabilities.

    Returns
    -------
    dict of numpy.ndarray
        ``p``; ``P_inf`` (``<s_max>/N``) with ``P_inf_se`` (standard error over
        samples); ``chi`` = ``(<sum s^2> - <s_max^2>)/N`` (mean cluster size,
        largest cluster excluded) and ``chi_all`` (included); ``R_x``,
        ``R_any``, ``R_all`` (wrapping in direction 0 / any / all). Values at
        ``p`` whose binomial mass beyond ``n_max`` exceeds 1e-9 are nan.

    Examples
    --------
    >>> from scalinglab.theory.percolation import canonical, lattice_sweep
    >>> sw = lattice_sweep(2, 8, "site", n_samples=8, seed=0)
    >>> cur = canonical(sw, [0.3, 0.593, 0.9])
    >>> sorted(cur)
    ['P_inf', 'P_inf_se', 'R_all', 'R_any', 'R_x', 'chi', 'chi_all', 'p']
    """
    _check_sweep(sweep)
    p = real_array("p", p, lo=0.0, hi=1.0)
    n_max = sweep.n_max
    sm, sm2, s2, lost = (np.zeros(p.size) for _ in range(4))
    for i, q in enumerate(p):  # windowed: the pmf beyond 12 sigma is below 1e-30
        lo, w, lost[i] = _binom_window(sweep.M, q, n_max)
        sl = slice(lo, lo + w.size)
        sm[i] = w @ sweep.smax_mean[sl]
        sm2[i] = w @ sweep.smax2_mean[sl]
        s2[i] = w @ sweep.s2_mean[sl]
    bad = lost > 1e-9
    var = np.maximum(sm2 - sm**2, 0.0)
    out = {"p": p, "P_inf": sm / sweep.N, "P_inf_se": np.sqrt(var / sweep.n_samples) / sweep.N,
           "chi": (s2 - sm2) / sweep.N, "chi_all": s2 / sweep.N}
    for j, name in enumerate(("R_x", "R_any", "R_all")):
        out[name] = wrapping_probability(sweep.n_wrap[:, j], sweep.M, p)
    for key in ("P_inf", "P_inf_se", "chi", "chi_all"):
        out[key] = np.where(bad, np.nan, out[key])
    return out


def wrapping_probability(n_wrap, M, p, weights=None):
    """``R(p) = sum_i w_i P(Binomial(M, p) >= n_i)`` (``w_i = 1/n`` by default).

    Examples
    --------
    >>> from scalinglab.theory.percolation import wrapping_probability
    >>> wrapping_probability([2, 3], M=4, p=[0.0, 0.5, 1.0]).round(4)   # mean of P(Bin(4, p) >= n_i)
    array([0. , 0.5, 1. ])
    """
    from scipy.stats import binom

    M = integer("M", M, lo=1, hi=2**62)
    n_wrap = real_array("n_wrap", n_wrap, lo=0.0)
    if not np.all(n_wrap == np.round(n_wrap)):
        raise InputError("n_wrap must hold integer occupation counts")
    p = real_array("p", p, lo=0.0, hi=1.0)
    if weights is not None:
        weights = real_array("weights", weights, lo=0.0)
        if weights.size != n_wrap.size:
            raise InputError(f"weights must have one entry per n_wrap value: {weights.size} != {n_wrap.size}")
    u, inv = np.unique(n_wrap, return_inverse=True)
    cnt = np.bincount(inv, weights=weights, minlength=u.size)
    if weights is None:
        cnt = cnt / n_wrap.size
    sf = binom.sf(u[:, None] - 1, M, p[None, :])  # P(X >= u)
    sf[u > M] = 0.0
    return cnt @ sf


def _check_sweep(sweep, name="sweep"):
    if not isinstance(sweep, LatticeSweep):
        raise InputError(f"{name} must be a LatticeSweep (from lattice_sweep), got {type(sweep).__name__}")
    return sweep


def _check_sweeps(sweeps, at_least=2):
    try:
        sweeps = list(sweeps)
    except TypeError:
        raise InputError(f"sweeps must be a list of LatticeSweep, got {type(sweeps).__name__}") from None
    for sw in sweeps:
        _check_sweep(sw, "each of sweeps")
    if len({(sw.d, sw.kind) for sw in sweeps}) > 1:
        raise InputError("sweeps must share one dimension d and one kind (site or bond)")
    if len({sw.L for sw in sweeps}) != len(sweeps) or len(sweeps) < at_least:
        raise InputError(f"need at least {at_least} sweeps of distinct sizes L, got "
                         f"{sorted(sw.L for sw in sweeps)}")
    return sweeps


def _check_boot(n_boot, level, seed, lo=1):
    return (integer("n_boot", n_boot, lo=lo, hi=MAX_BOOT),
            real("level", level, lo=0.0, hi=1.0, lo_open=True, hi_open=True), _seed("seed", seed))


def _p_window(sweeps, col):
    lo, hi = 1.0, 0.0
    for sw in sweeps:
        x = sw.n_wrap[:, col][sw.n_wrap[:, col] <= sw.M] / sw.M
        lo = min(lo, np.quantile(x, 0.001))
        hi = max(hi, np.quantile(x, 0.999))
    return lo, hi


def _crossing(pg, ra, rb):
    diff = ra - rb
    s = np.flatnonzero(np.sign(diff[:-1]) * np.sign(diff[1:]) < 0)
    if s.size == 0:
        return np.nan
    # the crossing nearest to R = 1/2
    mid = 0.5 * (ra[s] + ra[s + 1])
    i = s[np.argmin(np.abs(mid - 0.5))]
    t = diff[i] / (diff[i] - diff[i + 1])
    return pg[i] + t * (pg[i + 1] - pg[i])


_COL = {"x": 0, "any": 1, "all": 2}


def _wrap_tables(sweeps, which, n_grid):
    """Sweeps sorted by ``L``, a grid ``pg`` of ``n_grid`` p over their common window, and per sweep
    ``(sf, inv, n_samples)``: ``sf[u, :]`` = P(wrapped at p) for the distinct wrapping counts ``u`` (binomial
    survival; 0 where ``u > M``) and ``inv`` each sample's index into them (the canonical-ensemble tables of
    :func:`pc_crossings` and :func:`pc_extrapolate`)."""
    from scipy.stats import binom

    col = _COL[which]
    sweeps = sorted(sweeps, key=lambda s: s.L)
    lo, hi = _p_window(sweeps, col)
    pg = np.linspace(lo, hi, n_grid)
    mats = []
    for sw in sweeps:
        u, inv = np.unique(sw.n_wrap[:, col], return_inverse=True)
        sf = binom.sf(u[:, None] - 1, sw.M, pg[None, :])
        sf[u > sw.M] = 0.0
        mats.append((sf, inv, sw.n_samples))
    return sweeps, pg, mats


def pc_crossings(sweeps, which="x", n_boot=200, level=0.95, seed=0, n_grid=1500):
    """``p_c`` estimates from the crossing of ``R_L(p)`` and ``R_L'(p)`` for consecutive sizes.

    Parameters
    ----------
    sweeps : list of LatticeSweep
        Same ``d`` and kind, increasing ``L``.
    which : {"x", "any", "all"}
        Wrapping criterion.
    n_boot : int
        Bootstrap resamples of each size's samples.

    Returns
    -------
    list of dict
        ``L1``, ``L2``, ``pc``, ``ci`` (percentile bootstrap), ``se``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep, pc_crossings
    >>> sweeps = [lattice_sweep(2, L, "site", n_samples=20, seed=L) for L in (8, 16)]
    >>> est = pc_crossings(sweeps, n_boot=20)            # one crossing per pair of sizes
    >>> [(e["L1"], e["L2"]) for e in est], 0.4 < est[0]["pc"] < 0.7
    ([(8, 16)], True)
    """
    sweeps = _check_sweeps(sweeps)
    which = choice("which", which, tuple(_COL))
    n_boot, level, seed = _check_boot(n_boot, level, seed)
    n_grid = integer("n_grid", n_grid, lo=10, hi=10**6)
    size_limit("the bootstrap tables", float(n_boot) * n_grid * len(sweeps), 2e8, " values",
               "lower n_boot or n_grid")
    sweeps, pg, mats = _wrap_tables(sweeps, which, n_grid)
    rng = np.random.default_rng(seed)
    curves = [np.bincount(inv, minlength=sf.shape[0]) @ sf / n for sf, inv, n in mats]
    out = []
    boots = [[] for _ in range(len(sweeps))]
    for _ in range(n_boot):
        for j, (sf, inv, n) in enumerate(mats):
            pick = inv[rng.integers(0, n, n)]
            boots[j].append(np.bincount(pick, minlength=sf.shape[0]) @ sf / n)
    a = (1 - level) / 2
    for j in range(len(sweeps) - 1):
        pc = _crossing(pg, curves[j], curves[j + 1])
        bs = np.array([_crossing(pg, boots[j][b], boots[j + 1][b]) for b in range(n_boot)])
        bs = bs[np.isfinite(bs)]
        ci = (float(np.quantile(bs, a)), float(np.quantile(bs, 1 - a))) if bs.size > 10 else (np.nan, np.nan)
        row = {"L1": sweeps[j].L, "L2": sweeps[j + 1].L, "pc": float(pc), "ci": ci,
               "se": float(np.std(bs, ddof=1)) if bs.size > 10 else float("nan"), "which": which,
               "method": f"crossing of R_{which}(p) for L1 and L2, bootstrap over samples ({n_boot})"}
        if bs.size <= 10:
            row["ci_reason"] = row["se_reason"] = (f"{bs.size} of {n_boot} resamples crossed (need more than 10): "
                                                   "no interval")
        if not math.isfinite(row["pc"]):
            row["pc_reason"] = "the two wrapping curves do not cross inside the sampled window"
        out.append(row)
    return out


@dataclass(frozen=True, repr=False)
class PcExtrapolation(ItemAccess, Result):
    """``p_c`` from ``p_1/2(L) = p_c + a L^(-1/nu)`` (:func:`pc_extrapolate`).

    Attributes
    ----------
    pc, a : float
        Intercept (the estimate) and slope of the weighted least-squares line.
    ci : tuple of float
        Percentile bootstrap interval of ``pc`` (each size's samples resampled).
    se : float
        Bootstrap standard deviation of ``pc``.
    p_half, p_half_se : list of float
        ``p_1/2(L)`` of every size and its bootstrap standard deviation.
    L : list of float
    nu : float
        The (literature) exponent the abscissa ``L^(-1/nu)`` uses.
    which : str
        Wrapping criterion.
    method : str

    Reads also like the dict it replaced (``est["ci"]``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep, pc_extrapolate
    >>> sweeps = [lattice_sweep(2, L, "site", n_samples=20, seed=L) for L in (8, 12, 16)]
    >>> est = pc_extrapolate(sweeps, nu=4 / 3, n_boot=20)
    >>> est.to_frame().columns.tolist()           # one row per size
    ['L', 'p_half', 'p_half_se', 'x']
    """

    pc: float
    a: float
    ci: tuple
    se: float
    p_half: list
    p_half_se: list
    L: list
    nu: float
    which: str
    method: str

    _repr_fields = ("pc", "ci", "se", "L", "nu", "which")
    _reasons = {"ci": "fewer than 2 finite bootstrap estimates", "se": "fewer than 2 finite bootstrap estimates",
                "p_half": "R_L(p) does not cross 1/2 inside the grid of p"}

    def _frame_data(self):
        L = np.asarray(self.L, dtype=float)
        return {"L": L, "p_half": np.asarray(self.p_half, dtype=float),
                "p_half_se": np.asarray(self.p_half_se, dtype=float), "x": L ** (-1.0 / self.nu)}

    def _text(self):
        lines = [f"p_c = {self.pc:.6g}  95% interval [{self.ci[0]:.6g}, {self.ci[1]:.6g}]  (se {self.se:.2g}; "
                 f"R_{self.which}, nu = {self.nu:g})", f"  {self.method}", f"  {'L':>6s}  {'p_1/2(L)':>10s}  se"]
        lines += [f"  {L:6g}  {p:10.6g}  {s:.2g}" for L, p, s in zip(self.L, self.p_half, self.p_half_se)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """``p_1/2(L)`` (bootstrap error bars) against ``L^(-1/nu)`` with the fitted line down to ``p_c``
        at 0. Returns the axes."""
        ax = new_axes(ax)
        x = np.asarray(self.L, dtype=float) ** (-1.0 / self.nu)
        kw.setdefault("fmt", "o")
        ax.errorbar(x, self.p_half, yerr=self.p_half_se, label="p_1/2(L)", **kw)
        xx = np.linspace(0.0, float(x.max()) * 1.05, 50)
        ax.plot(xx, self.pc + self.a * xx, "k--", lw=1, label=f"fit: p_c = {self.pc:.5g}")
        ax.errorbar([0.0], [self.pc], yerr=[[self.pc - self.ci[0]], [self.ci[1] - self.pc]], fmt="ks", ms=4)
        ax.set_xlabel(f"L^(-1/ν), ν = {self.nu:g}")
        ax.set_ylabel("p_1/2(L)")
        ax.legend(fontsize=8)
        return set_title(ax, f"p_c by extrapolation of R_{self.which}(p) = 1/2")


@dataclass(frozen=True, repr=False)
class TauEstimate(ItemAccess, Result):
    """The cluster-size exponent from one sweep's snapshot histogram (:func:`tau_estimate`).

    Attributes
    ----------
    tau : float
        Maximum-likelihood exponent of a discrete power law truncated to ``window``.
    ci : tuple of float
        The reported interval: the wider of ``ci_profile`` and ``ci_boot``.
    se : float
        Standard error of the MLE.
    n : int
        Clusters in the window.
    window : tuple of int
        ``(s_lo, s_hi)``.
    method : str
    ci_profile, ci_boot : tuple of float
        Likelihood-ratio interval; bootstrap over batches (nan with fewer than 5 batches).
    n_batches : int

    Reads also like the dict it replaced (``est["tau"]``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep, tau_estimate
    >>> est = tau_estimate(lattice_sweep(2, 32, "site", n_samples=10, seed=0), n_boot=20)
    >>> est.window, est.to_dict()["ci_boot_reason"]          # one batch: no bootstrap over batches
    ((30, 90), 'fewer than 5 batches: no bootstrap over batches')
    """

    tau: float
    ci: tuple
    se: float
    n: int
    window: tuple
    method: str
    ci_profile: tuple
    n_batches: int
    ci_boot: tuple

    _repr_fields = ("tau", "ci", "window", "n", "n_batches")
    _reasons = {"ci_boot": "fewer than 5 batches: no bootstrap over batches"}

    def _text(self):
        return (f"tau = {self.tau:.4f}  95% interval [{self.ci[0]:.4f}, {self.ci[1]:.4f}]  over s in "
                f"[{self.window[0]}, {self.window[1]}], {self.n} clusters, {self.n_batches} batches\n  {self.method}")


@dataclass(frozen=True, repr=False)
class FractalDimension(ItemAccess, Result):
    """``D`` from ``<s_max>(L) ∝ L^D`` at the snapshot (:func:`fractal_dim`).

    Attributes
    ----------
    D : float
        OLS slope of ``log <s_max>`` on ``log L``.
    ci : tuple of float
        Percentile bootstrap interval (samples of each size resampled).
    L, smax : list of float
        Sizes and mean largest clusters.
    method : str

    Reads also like the dict it replaced (``est["D"]``).

    Examples
    --------
    >>> from scalinglab.theory.percolation import fractal_dim, lattice_sweep
    >>> est = fractal_dim([lattice_sweep(2, L, "site", n_samples=10, seed=L) for L in (8, 16, 32)], n_boot=20)
    >>> est.to_frame().shape                          # one row per size
    (3, 2)
    """

    D: float
    ci: tuple
    L: list
    smax: list
    method: str

    _repr_fields = ("D", "ci", "L")

    def _frame_data(self):
        return {"L": np.asarray(self.L, dtype=float), "smax": np.asarray(self.smax, dtype=float)}

    def _text(self):
        return (f"D = {self.D:.4f}  95% interval [{self.ci[0]:.4f}, {self.ci[1]:.4f}]  from L = "
                f"{', '.join(f'{x:g}' for x in self.L)}\n  {self.method}")

    def plot(self, ax=None, **kw):
        """Mean largest cluster against ``L`` (log-log) with the fitted ``L^D``. Returns the axes."""
        ax = new_axes(ax)
        L = np.asarray(self.L, dtype=float)
        s = np.asarray(self.smax, dtype=float)
        kw.setdefault("label", "<s_max>(L)")
        ax.loglog(L, s, "o", **kw)
        c = float(np.exp(np.mean(np.log(s) - self.D * np.log(L))))
        ax.loglog(L, c * L ** self.D, "k--", lw=1, label=f"∝ L^{self.D:.3f}")
        ax.set_xlabel("linear size L")
        ax.set_ylabel("mean largest cluster <s_max>")
        ax.legend(fontsize=8)
        return set_title(ax, f"fractal dimension D = {self.D:.3f} [{self.ci[0]:.3f}, {self.ci[1]:.3f}]")


def _p_half(pg, r):
    i = np.searchsorted(r, 0.5)
    if i == 0 or i >= r.size:
        return np.nan
    t = (0.5 - r[i - 1]) / (r[i] - r[i - 1])
    return pg[i - 1] + t * (pg[i] - pg[i - 1])


def pc_extrapolate(sweeps, nu, which="x", n_boot=200, level=0.95, seed=0, n_grid=1500):
    """``p_c`` from ``p_1/2(L) = p_c + a L^(-1/nu)`` (``R_L(p_1/2) = 1/2``), weighted least squares over ``L``.

    ``nu`` is taken as known (literature). The interval is a percentile
    bootstrap of the whole chain (each size's samples resampled).

    Returns
    -------
    PcExtrapolation
        ``pc``, ``ci``, ``se``, ``a``, ``p_half`` (per ``L``), ``L``, ``nu``, ``method``; ``.plot()`` draws
        the extrapolation.

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep, pc_extrapolate
    >>> sweeps = [lattice_sweep(2, L, "site", n_samples=20, seed=L) for L in (8, 12, 16)]
    >>> est = pc_extrapolate(sweeps, nu=4 / 3, n_boot=20)
    >>> 0.45 < est["pc"] < 0.7, est["L"]     # 2-d site: p_c = 0.5927; tiny sizes, wide interval
    (True, [8.0, 12.0, 16.0])
    """
    sweeps = _check_sweeps(sweeps)
    nu = real("nu", nu, lo=0.0, lo_open=True, hi=100.0)
    which = choice("which", which, tuple(_COL))
    n_boot, level, seed = _check_boot(n_boot, level, seed, lo=2)
    n_grid = integer("n_grid", n_grid, lo=10, hi=10**6)
    size_limit("the bootstrap tables", float(n_boot) * n_grid * len(sweeps), 2e8, " values",
               "lower n_boot or n_grid")
    sweeps, pg, mats = _wrap_tables(sweeps, which, n_grid)
    Ls = np.array([s.L for s in sweeps], dtype=float)
    x = Ls ** (-1.0 / nu)
    rng = np.random.default_rng(seed)

    def halves(resample):
        h = []
        for sf, inv, n in mats:
            pick = inv[rng.integers(0, n, n)] if resample else inv
            h.append(_p_half(pg, np.bincount(pick, minlength=sf.shape[0]) @ sf / n))
        return np.array(h)

    ph = halves(False)
    boot = np.array([halves(True) for _ in range(n_boot)])
    se_l = np.nanstd(boot, axis=0, ddof=1)
    wts = 1.0 / np.maximum(se_l, 1e-12) ** 2

    def fit(y):
        A = np.vstack([np.ones_like(x), x]).T
        W = np.sqrt(wts)
        coef, *_ = np.linalg.lstsq(A * W[:, None], y * W, rcond=None)
        return coef

    c = fit(ph)
    bc = np.array([fit(b)[0] for b in boot if np.all(np.isfinite(b))])
    a = (1 - level) / 2
    return PcExtrapolation(pc=float(c[0]), a=float(c[1]), ci=(float(np.quantile(bc, a)), float(np.quantile(bc, 1 - a))),
                           se=float(np.std(bc, ddof=1)), p_half=ph.tolist(), p_half_se=se_l.tolist(), L=Ls.tolist(),
                           nu=float(nu), which=which,
                           method=f"WLS of p_1/2(L) on L^(-1/nu), nu = {nu:g} fixed; bootstrap over samples ({n_boot})")


def _tau_mle(counts, s_lo, s_hi, level=0.95):
    """tau from a size histogram ``counts[s]`` on ``[s_lo, s_hi]`` by the shared discrete power-law MLE.

    :func:`scalinglab.theory.fitting.discrete_powerlaw_fit` on the window's
    sizes. (It replaced a local MLE on the histogram: on the same 2-d, 3-d and
    5-d histograms both gave tau within 1.2e-7 and the same profile-likelihood
    interval to 6 digits, the shared one as fast or faster.)
    """
    from scalinglab.theory.fitting import discrete_powerlaw_fit

    counts = np.asarray(counts)
    s_lo, s_hi = int(s_lo), int(s_hi)
    if not 1 <= s_lo < s_hi < counts.size:
        raise InputError(f"need 1 <= s_lo < s_hi < {counts.size}, got {s_lo}, {s_hi}")
    c = counts[s_lo:s_hi + 1].astype(np.int64)
    if c.sum() < 2:
        raise InputError(f"need at least 2 observations in [{s_lo}, {s_hi}], got {int(c.sum())}")
    f = discrete_powerlaw_fit(np.repeat(np.arange(s_lo, s_hi + 1), c), s_lo, s_hi, level)
    return {"tau": f.exponent, "ci": tuple(f.ci), "se": f.stderr, "n": f.n, "window": (s_lo, s_hi),
            "method": "discrete truncated power-law MLE (fitting.discrete_powerlaw_fit), likelihood-ratio interval"}


def tau_estimate(sweep, s_lo=None, s_hi=None, n_boot=200, seed=0, level=0.95):
    """tau from the snapshot histogram of one sweep: MLE over a window, intervals two ways.

    Default window: ``s_lo = 30`` and ``s_hi = max(3 s_lo, <s_max>/100)`` at the
    snapshot. Both ends matter (2-d site, periodic L = 1024 at p_c):
    [8, 100] gives 1.94 (corrections to scaling at small s), [30, 300] 2.03,
    [100, 1000] 2.02, and an upper end at ``<s_max>/20`` pulls it down again
    (the finite-size scaling function at p_c is not flat there: L = 32..512
    give 1.89..1.96 with [8, <s_max>/20]). The bootstrap resamples the sweep's
    batches (independent sample groups), which covers correlations between
    clusters of one lattice; the reported ``ci`` is the wider of the two.

    Returns
    -------
    TauEstimate
        ``tau``, ``ci``, ``se``, ``n``, ``window``, ``method`` of the MLE, plus ``ci_profile``, ``ci_boot``, ``n_batches``.

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_sweep, tau_estimate
    >>> sw = lattice_sweep(2, 32, "site", n_samples=10, seed=0)
    >>> est = tau_estimate(sw, n_boot=20)
    >>> est["window"], est["method"]
    ((30, 90), 'discrete truncated power-law MLE (fitting.discrete_powerlaw_fit), likelihood-ratio interval')
    """
    _check_sweep(sweep)
    n_boot, level, seed = _check_boot(n_boot, level, seed)
    hist = np.asarray(sweep.hist)
    tot = hist.sum(axis=0)
    s_lo = 30 if s_lo is None else integer("s_lo", s_lo, lo=1, hi=tot.size - 2)
    if s_hi is None:
        s_hi = int(max(3 * s_lo, np.mean(sweep.smax_snap) / 100))
    else:
        s_hi = integer("s_hi", s_hi, lo=s_lo + 1)
    s_hi = min(int(s_hi), tot.size - 1)
    r = _tau_mle(tot, s_lo, s_hi, level)
    out = dict(r)
    out["ci_profile"] = r["ci"]
    nb = hist.shape[0]
    out["n_batches"] = nb
    if nb >= 5:
        rng = np.random.default_rng(seed)
        bs = []
        for _ in range(n_boot):
            pick = rng.integers(0, nb, nb)
            try:
                bs.append(_tau_mle(hist[pick].sum(axis=0), s_lo, s_hi, level)["tau"])
            except InputError:
                pass
        a = (1 - level) / 2
        out["ci_boot"] = (float(np.quantile(bs, a)), float(np.quantile(bs, 1 - a)))
        out["ci"] = (min(out["ci_profile"][0], out["ci_boot"][0]), max(out["ci_profile"][1], out["ci_boot"][1]))
        out["method"] += "; bootstrap over batches; ci = the wider"
    else:
        out["ci_boot"] = (float("nan"), float("nan"))
    return TauEstimate(**out)


def fractal_dim(sweeps, n_boot=300, seed=0, level=0.95):
    """``D`` from ``<s_max>(L) ∝ L^D`` at the snapshot (OLS in log-log over ``L``), bootstrap over samples.

    Returns
    -------
    FractalDimension
        ``D``, ``ci``, ``L``, ``smax`` (means), ``method``; ``.plot()`` draws ``<s_max>(L)`` and the fit.

    Examples
    --------
    >>> from scalinglab.theory.percolation import fractal_dim, lattice_sweep
    >>> sweeps = [lattice_sweep(2, L, "site", n_samples=10, seed=L) for L in (8, 16, 32)]
    >>> est = fractal_dim(sweeps, n_boot=20)
    >>> round(est["D"], 2), est["L"]     # 2-d: D = 91/48 = 1.896
    (1.92, [8.0, 16.0, 32.0])
    """
    sweeps = sorted(_check_sweeps(sweeps), key=lambda s: s.L)
    n_boot, level, seed = _check_boot(n_boot, level, seed, lo=2)
    L = np.array([s.L for s in sweeps], dtype=float)
    means = np.array([s.smax_snap.mean() for s in sweeps])
    D = float(np.polyfit(np.log(L), np.log(means), 1)[0])
    rng = np.random.default_rng(seed)
    bs = []
    for _ in range(n_boot):
        m = np.array([s.smax_snap[rng.integers(0, s.smax_snap.size, s.smax_snap.size)].mean() for s in sweeps])
        bs.append(np.polyfit(np.log(L), np.log(m), 1)[0])
    a = (1 - level) / 2
    return FractalDimension(D=D, ci=(float(np.quantile(bs, a)), float(np.quantile(bs, 1 - a))), L=L.tolist(),
                            smax=means.tolist(),
                            method="OLS of log <s_max> on log L at the literature p_c; bootstrap over samples")


def lattice_exponents(measured=None, d_values=range(2, 9)):
    """tau(d) and D(d) for Brill's Fig. 4: measured values where given, literature elsewhere.

    Parameters
    ----------
    measured : dict, optional
        ``{d: {"tau": value, "D": value}}`` (either key may be missing).

    Returns
    -------
    dict
        ``d``, ``tau``, ``D`` (arrays) and ``source`` (``"ours"``/``"literature"``
        for each of tau and D per d).

    Examples
    --------
    >>> from scalinglab.theory.percolation import lattice_exponents
    >>> ex = lattice_exponents(d_values=[2, 3])
    >>> ex["tau"].round(4), ex["D"].round(4), ex["source"][0]
    (array([2.0549, 2.1892]), array([1.8958, 2.53  ]), {'tau': 'literature', 'D': 'literature'})
    """
    measured = {} if measured is None else measured
    if not isinstance(measured, dict) or not all(isinstance(v, dict) for v in measured.values()):
        raise InputError("measured must be a dict {d: {'tau': ..., 'D': ...}}")
    try:
        ds = [integer("d", d, lo=2, hi=100) for d in d_values]
    except TypeError:
        raise InputError(f"d_values must be a list of dimensions, got {d_values!r}") from None
    for d, m in measured.items():
        for key in ("tau", "D"):
            if key in m:
                real(f"measured[{d}][{key!r}]", m[key], lo=0.0, lo_open=True)
    tau, D, src = [], [], []
    for d in ds:
        m = measured.get(d, {})
        t_lit = LATTICE_LITERATURE["tau"][min(d, 8)]
        D_lit = LATTICE_LITERATURE["D"][min(d, 8)]
        tau.append(m.get("tau", t_lit))
        D.append(m.get("D", D_lit))
        src.append({"tau": "ours" if "tau" in m else "literature", "D": "ours" if "D" in m else "literature"})
    return {"d": np.array(ds), "tau": np.array(tau), "D": np.array(D), "source": src}
