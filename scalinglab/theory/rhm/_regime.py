"""Regime map of the Zipf-RHM learning curve: over which P does eps(P) show which exponent?

For levels sharing ``Zipf(alpha)``, the local exponent ``-d ln eps/d ln P`` of Hutter's
``eps(P)`` is compared with

* (a) the asymptotic exponent ``alpha/(1+alpha)`` (m -> oo; reached only logarithmically,
  :func:`asymptotic_learning_curve`);
* (b) the note's prediction ``alpha'/(1+alpha')`` with ``alpha'`` fitted over the full rank
  window (:func:`alpha_prime`);
* (c) ``P* = n_c m**L``, where the uniform-RHM mechanism (learning unseen paths by grouping
  synonyms) takes over; its onset is taken a decade below, ``[P*/10, P*]``.

A *window* is a maximal run of the P grid, below the onset of (c), where the local exponent stays
within ``tol`` (relative) of the target; it *shows* the exponent when it spans at least
``min_decades`` decades.

Large m: each level's ln f histogram is built without enumerating its m ranks (the first
``HEAD`` ranks one by one, the rest per bin from Hurwitz zeta differences), then convolved by the
binned-spectrum kernel; at m <= HEAD it is the same histogram as ``path_spectrum(mode="binned")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
from scipy import special

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title
from scalinglab.kernels.rhm import binned_convolve, log_decay_sum
from scalinglab.theory.rhm._spec import RHMSpec
from scalinglab.theory.rhm._spectrum import alpha_prime

__all__ = ["RegimeMap", "rhm_regime_map", "zipf_level_histogram", "eps_large_m", "asymptotic_m_threshold",
           "MThreshold"]

#: Ranks of a level enumerated one by one; the rest is binned analytically.
HEAD = 100_000
#: Default bin width in ln f of the large-m spectrum.
REGIME_BIN_WIDTH = 2e-3
#: Points per decade of the P grid.
PER_DECADE = 24


def zipf_level_histogram(m, alpha, bin_width):
    """Histogram of one Zipf level's ln f on the grid ``bin_width * integer``, without enumerating m ranks.

    Returns ``(top, off, cnt, rel)`` as the binned-spectrum kernel takes them: ``top`` the grid index of
    the most frequent rank, ``off >= 0`` offsets below it, ``cnt`` the ranks per bin (floats, exact below
    2**53) and ``rel`` the bin's mass divided by ``exp(bin_width * (top - off))``. Ranks above ``HEAD``:
    the bin of grid value b holds the integers i with ``-k ln i - ln Z`` within half a bin of
    ``b*bin_width``; their mass is ``(zeta(k, i_lo) - zeta(k, i_hi+1))/Z`` (Hurwitz).

    >>> top, off, cnt, rel = zipf_level_histogram(10**12, 1.0, 1e-2)
    >>> int(cnt.sum()) == 10**12, round(float((rel * np.exp(1e-2 * (top - off))).sum()), 12)
    (True, 1.0)
    """
    m = _v.integer("m", m, lo=1, hi=10**300)
    alpha = _v.real("alpha", alpha, lo=0, lo_open=True)
    k = 1.0 + alpha
    mpmath.mp.dps = max(mpmath.mp.dps, 30)
    kk = mpmath.mpf(k)
    Z = mpmath.zeta(kk) - mpmath.zeta(kk, m + 1)
    lnZ = float(mpmath.log(Z))
    h = min(m, HEAD)
    i = np.arange(1, h + 1, dtype=np.float64)
    lp = -k * np.log(i) - lnZ
    b = np.rint(lp / bin_width).astype(np.int64)
    top = int(b.max())
    # head: exactly as _binned_spectrum
    ub, inv = np.unique(top - b, return_inverse=True)
    cnt = np.bincount(inv).astype(np.float64)
    rel = np.bincount(inv, weights=np.exp(lp - b * bin_width))
    if m > h:
        # tail ranks h+1..m, bins of grid value bv: i in (e^{(-lnZ-(bv+.5)w)/k}, e^{(-lnZ-(bv-.5)w)/k}]
        b_hi = int(np.rint((-k * math.log(h + 1) - lnZ) / bin_width))
        b_lo = int(np.rint((-k * math.log(m) - lnZ) / bin_width))
        bv = np.arange(b_hi, b_lo - 1, -1)
        # largest integer i in bin bv: i with -k ln i - lnZ >= (bv - 0.5) w  <=>  ln i <= (-lnZ - (bv-.5)w)/k
        x_hi = (-lnZ - (bv - 0.5) * bin_width) / k  # ln of the bin's upper edge in i
        i_top = np.minimum(np.maximum(np.floor(np.exp(x_hi)), h), float(m))
        i_top[-1] = float(m)
        i_prev = np.concatenate([[float(h)], i_top[:-1]])
        sel = i_top > i_prev
        bv, i_prev, i_top = bv[sel], i_prev[sel], i_top[sel]
        # sum_{i=lo+1}^{hi} i^-k = zeta(k, lo+1) - zeta(k, hi+1) (scipy's Hurwitz zeta; the difference of
        # two nearly equal values loses about log10(k/bin_width) digits: ~1e-13 relative)
        s_ = (special.zeta(k, i_prev + 1.0) - special.zeta(k, i_top + 1.0)) / float(Z)
        tc = i_top - i_prev
        tw = s_ * np.exp(-bv * bin_width)
        to = top - bv
        to = np.asarray(to, dtype=np.int64)
        allo = np.concatenate([ub, to])
        allc = np.concatenate([cnt, np.asarray(tc)])
        allw = np.concatenate([rel, np.asarray(tw)])
        ub, inv = np.unique(allo, return_inverse=True)
        cnt = np.bincount(inv, weights=allc)
        rel = np.bincount(inv, weights=allw)
    return top, ub.astype(np.int64), cnt, rel


def _large_m_groups(m, alphas, bin_width):
    """``(log_f, counts)`` of the binned per-class spectrum, levels from :func:`zipf_level_histogram`."""
    acc_c, acc_w, top = np.ones(1), np.ones(1), 0
    cache = {}
    for a in alphas:
        if a not in cache:
            cache[a] = zipf_level_histogram(m, a, bin_width)
        t, off, cnt, rel = cache[a]
        acc_c, acc_w = binned_convolve(acc_c, acc_w, off, cnt, rel)
        top += t
    keep = acc_c > 0
    kidx = np.flatnonzero(keep)
    log_f = (top - kidx) * bin_width + np.log(acc_w[keep] / acc_c[keep])
    return log_f, acc_c[keep]


def eps_large_m(m, alphas, P, n_c=10, bin_width=REGIME_BIN_WIDTH, log=False):
    """``eps(P) = sum_paths f (1 - f)**P`` for Zipf levels of any m (up to 1e300), binned in ln f.

    ``alphas``: one exponent per level. ``log=True`` returns ``ln eps`` (never underflows).

    >>> from scalinglab.theory.rhm import RHMSpec, learning_curve
    >>> e = eps_large_m(1000, (1.0,) * 3, [1e2, 1e4])
    >>> ref = learning_curve(RHMSpec.make(m=1000, v=1000, L=3, alpha=1.0), [1e2, 1e4]).eps
    >>> bool(np.all(np.abs(e / ref - 1) < 1e-5))
    True
    """
    P = _v.real_array("P", P, lo=0)
    n_c = _v.integer("n_c", n_c, lo=1)
    log_f, counts = _large_m_groups(m, tuple(float(a) for a in alphas), bin_width)
    fn = log_decay_sum if log else _decay
    return fn(np.log(counts) + log_f, log_f - math.log(n_c), P)


def _decay(log_w, log_q, P):
    from scalinglab.kernels.rhm import decay_sum
    return decay_sum(log_w, log_q, P)


def _windows(P, ok):
    """Maximal runs of True in ok: list of (P_lo, P_hi)."""
    out, start = [], None
    for j, v in enumerate(ok):
        if v and start is None:
            start = j
        if (not v or j == len(ok) - 1) and start is not None:
            end = j if v else j - 1
            out.append((float(P[start]), float(P[end])))
            start = None
    return out


def _longest(wins):
    if not wins:
        return (math.nan, math.nan), 0.0
    w = max(wins, key=lambda x: x[1] / x[0])
    return w, math.log10(w[1] / w[0])


@dataclass(frozen=True, repr=False)
class RegimeMap(Result):
    """Where eps(P)'s local exponent shows which exponent, for one (alpha, L, m).

    Attributes
    ----------
    alpha : float
    L, m, n_c : int
    tol : float
        Relative tolerance of "within".
    min_decades : float
        Least width of a window that *shows* an exponent.
    P : numpy.ndarray
        Grid (``PER_DECADE`` points a decade, from 1 to 10 P*).
    local_exponent : numpy.ndarray
        ``-d ln eps/d ln P`` on the grid.
    asymptotic : float
        ``alpha/(1+alpha)``.
    note_exponent : float
        ``alpha'/(1+alpha')``, alpha' over the full rank window (nan when m**L is beyond the fit's reach).
    P_star : float
        ``n_c m**L``.
    window_a, window_b : tuple
        Longest window (P_lo, P_hi) below ``P*/10`` within ``tol`` of ``asymptotic`` / ``note_exponent``
        (nan, nan when none).
    decades_a, decades_b : float
        Their widths in decades.
    shows_a, shows_b : bool
        ``decades >= min_decades``.
    window_c : tuple
        ``(P*/10, P*)``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import rhm_regime_map
    >>> rm = rhm_regime_map(1.0, 3, 10)
    >>> rm.shows_a, round(rm.decades_a, 2)      # the note's setting: no decade at alpha/(1+alpha)
    (False, 0.0)
    """

    alpha: float
    L: int
    m: int
    n_c: int
    tol: float
    min_decades: float
    P: np.ndarray = field(repr=False)
    local_exponent: np.ndarray = field(repr=False)
    asymptotic: float
    note_exponent: float
    P_star: float
    window_a: tuple
    window_b: tuple
    decades_a: float
    decades_b: float
    shows_a: bool
    shows_b: bool
    window_c: tuple

    _repr_fields = ("alpha", "L", "m", "shows_a", "decades_a", "shows_b", "decades_b", "P_star")
    _reasons = {"window_a": "no P below P*/10 where the local exponent is within tol of alpha/(1+alpha)",
                "window_b": "no P below P*/10 where the local exponent is within tol of alpha'/(1+alpha')",
                "note_exponent": "alpha' not fitted (m**L beyond the exact fit's reach)"}

    def _text(self):
        def w(x):
            return "none" if not np.isfinite(x[0]) else f"[{x[0]:.3g}, {x[1]:.3g}]"
        return "\n".join([
            f"Regime map, alpha = {self.alpha:g}, L = {self.L}, m = {self.m}, n_c = {self.n_c} "
            f"(within {100 * self.tol:g} %, at least {self.min_decades:g} decade(s), below P*/10):",
            f"  (a) alpha/(1+alpha) = {self.asymptotic:.4f}: window {w(self.window_a)}, "
            f"{self.decades_a:.2f} decades -> {'shown' if self.shows_a else 'not shown'}",
            f"  (b) alpha'/(1+alpha') = {self.note_exponent:.4f}: window {w(self.window_b)}, "
            f"{self.decades_b:.2f} decades -> {'shown' if self.shows_b else 'not shown'}",
            f"  (c) P* = n_c m^L = {self.P_star:.4g}: uniform-RHM mechanism from {self.window_c[0]:.3g}",
            f"  local exponent over P = 10..P*/10: {np.nanmin(self._below()):.3f} .. {np.nanmax(self._below()):.3f}"])

    def _below(self):
        sel = (self.P >= 10) & (self.P <= self.P_star / 10)
        return self.local_exponent[sel] if sel.any() else np.array([np.nan])

    def _frame_data(self):
        return {"P": self.P, "local_exponent": self.local_exponent, "alpha": self.alpha, "L": self.L,
                "m": self.m}

    def plot(self, ax=None, **kw):
        """Local exponent against P with the bands of (a), (b) and the onset of (c). Returns the axes."""
        ax = new_axes(ax)
        ax.semilogx(self.P, self.local_exponent, label=f"m = {self.m}", **kw)
        for val, c, lab in ((self.asymptotic, "k", "α/(1+α)"), (self.note_exponent, "C2", "α′/(1+α′)")):
            if np.isfinite(val):
                ax.axhspan(val * (1 - self.tol), val * (1 + self.tol), color=c, alpha=0.12, label=f"{lab} ± {self.tol:.0%}")
        ax.axvspan(*self.window_c, color="C3", alpha=0.08, label="P*/10 .. P*")
        ax.set_xlabel("P")
        ax.set_ylabel("-d ln ε/d ln P")
        ax.set_ylim(0, max(1.0, 1.6 * self.asymptotic))
        ax.legend(fontsize=7)
        return set_title(ax, f"regime map, α = {self.alpha:g}, L = {self.L}")

    def summary(self):
        """One flat dict (for tables)."""
        return {"alpha": self.alpha, "L": self.L, "m": self.m, "P_star": self.P_star, "asymptotic": self.asymptotic,
                "note_exponent": self.note_exponent, "window_a": list(self.window_a), "decades_a": self.decades_a,
                "shows_a": self.shows_a, "window_b": list(self.window_b), "decades_b": self.decades_b,
                "shows_b": self.shows_b, "window_c": list(self.window_c)}


def _local(m, alpha, L, n_c, P, bin_width):
    le = eps_large_m(m, (alpha,) * L, P, n_c=n_c, bin_width=bin_width, log=True)
    return -np.gradient(le, np.log(P))


def rhm_regime_map(alpha, L, m, n_c=10, tol=0.05, min_decades=1.0, bin_width=REGIME_BIN_WIDTH,
                   note_exponent=None):
    """Regime map of eps(P) for L levels sharing ``Zipf(alpha)`` with m rules, n_c classes.

    Parameters
    ----------
    alpha : float
        Level exponent (> 0).
    L : int
        Depth (1..8).
    m : int
        Rules per symbol (any size up to 1e100: levels are binned analytically above 1e5 ranks).
    n_c : int
    tol : float
        Relative tolerance (default 5 %).
    min_decades : float
        Width a window needs to *show* an exponent (default one decade).
    bin_width : float
        Bin width in ln f.
    note_exponent : float, optional
        ``alpha'/(1+alpha')`` to use for (b); default: :func:`alpha_prime` over the full window when
        ``m**L <= 1e12``, else nan.

    Returns
    -------
    RegimeMap

    Examples
    --------
    >>> from scalinglab.theory.rhm import rhm_regime_map
    >>> print(rhm_regime_map(1.0, 3, 10))      # doctest: +ELLIPSIS
    Regime map, alpha = 1, L = 3, m = 10, n_c = 10 (within 5 %, at least 1 decade(s), below P*/10):
      (a) alpha/(1+alpha) = 0.5000: window none, 0.00 decades -> not shown
    ...
    """
    alpha = _v.real("alpha", alpha, lo=0, lo_open=True)
    L = _v.integer("L", L, lo=1, hi=8)
    m = _v.integer("m", m, lo=2, hi=10**100)
    n_c = _v.integer("n_c", n_c, lo=1)
    tol = _v.real("tol", tol, lo=0, lo_open=True, hi=1)
    min_decades = _v.real("min_decades", min_decades, lo=0)
    P_star = float(n_c) * float(m) ** L
    n = int(math.ceil(math.log10(10 * P_star) * PER_DECADE)) + 1
    P = np.logspace(0, math.log10(10 * P_star), n)
    loc = _local(m, alpha, L, n_c, P, bin_width)
    b = alpha / (1 + alpha)
    if note_exponent is None:
        if L * math.log10(m) <= 12:
            spec = RHMSpec.make(n_c=n_c, v=max(m, n_c), m=m, L=L, alpha=alpha)
            note_exponent = alpha_prime(spec).predicted_exponent
        else:
            note_exponent = math.nan
    below = P <= P_star / 10
    wa, da = _longest(_windows(P[below], np.abs(loc[below] / b - 1) <= tol))
    if np.isfinite(note_exponent):
        wb, db = _longest(_windows(P[below], np.abs(loc[below] / note_exponent - 1) <= tol))
    else:
        wb, db = (math.nan, math.nan), 0.0
    return RegimeMap(alpha=alpha, L=L, m=m, n_c=n_c, tol=tol, min_decades=min_decades, P=P, local_exponent=loc,
                     asymptotic=b, note_exponent=float(note_exponent), P_star=P_star, window_a=wa, window_b=wb,
                     decades_a=da, decades_b=db, shows_a=bool(da >= min_decades), shows_b=bool(db >= min_decades),
                     window_c=(P_star / 10, P_star))


@dataclass(frozen=True, repr=False)
class MThreshold(Result):
    """Smallest m (bisection in log10 m) whose regime map shows ``alpha/(1+alpha)`` (window (a)).

    Attributes
    ----------
    alpha : float
    L : int
    m_min : float
        Smallest m found (to ``rel`` in log10 m); nan when none up to ``m_max``.
    bracket : tuple
        ``(m_no, m_yes)``: the largest m seen without a window and the smallest with one.
    window : tuple
        The window (a) at ``m_yes``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_m_threshold
    >>> th = asymptotic_m_threshold(4.0, 2, m_max=1e6, bin_width=1e-2)
    >>> 10 < th.m_min < 10**6
    True
    """

    alpha: float
    L: int
    tol: float
    min_decades: float
    m_min: float
    bracket: tuple
    window: tuple

    _reasons = {"m_min": "no window up to m_max", "window": "no window up to m_max"}

    def _text(self):
        return (f"alpha = {self.alpha:g}, L = {self.L}: eps(P) shows alpha/(1+alpha) within {100 * self.tol:g} % "
                f"over >= {self.min_decades:g} decade(s) below P*/10 from m = {self.m_min:.3g} "
                f"(bracket {self.bracket[0]:.3g} .. {self.bracket[1]:.3g}); window {self.window}")


def asymptotic_m_threshold(alpha, L, n_c=10, tol=0.05, min_decades=1.0, m_max=1e60, steps=24,
                           bin_width=REGIME_BIN_WIDTH):
    """Smallest m whose eps(P) shows the asymptotic exponent (window (a) of :func:`rhm_regime_map`).

    Bisection on ``log10 m`` in ``[1, log10 m_max]`` (``steps`` halvings; the property is monotone in m
    on every case we computed: larger m only lengthens the power-law range).

    Returns
    -------
    MThreshold

    Examples
    --------
    >>> from scalinglab.theory.rhm import asymptotic_m_threshold
    >>> th = asymptotic_m_threshold(4.0, 2, m_max=1e6, bin_width=1e-2)   # alpha = 4, L = 2
    >>> th.bracket[0] < th.m_min <= th.bracket[1]
    True
    """
    lo, hi = 1.0, math.log10(_v.real("m_max", m_max, lo=10))

    def shows(lm):
        rm = rhm_regime_map(alpha, L, int(round(10**lm)), n_c=n_c, tol=tol, min_decades=min_decades,
                            bin_width=bin_width, note_exponent=math.nan)
        return rm.shows_a, rm.window_a

    ok_hi, w_hi = shows(hi)
    if not ok_hi:
        return MThreshold(alpha=alpha, L=L, tol=tol, min_decades=min_decades, m_min=math.nan,
                          bracket=(10**hi, math.nan), window=(math.nan, math.nan))
    if shows(lo)[0]:
        return MThreshold(alpha=alpha, L=L, tol=tol, min_decades=min_decades, m_min=10.0, bracket=(math.nan, 10.0),
                          window=shows(lo)[1])
    for _ in range(steps):
        if hi - lo < 0.02:
            break
        mid = 0.5 * (lo + hi)
        ok, w = shows(mid)
        if ok:
            hi, w_hi = mid, w
        else:
            lo = mid
    return MThreshold(alpha=alpha, L=L, tol=tol, min_decades=min_decades, m_min=float(round(10**hi)),
                      bracket=(float(round(10**lo)), float(round(10**hi))), window=w_hi)
