"""Path theory of the Zipf Random Hierarchy Model.

Definitions
-----------
A *path* of one input position is ``(class, i_1, ..., i_L)``, the rule ranks
chosen along the branch from the root to that patch. Its frequency is
``(1/n_c) * prod_l f^(l)_{i_l}``. The *per-class spectrum* is the list of the
``m**L`` products ``prod_l f^(l)_{i_l}`` sorted descending; its ranks run from
1 to ``m**L``. It is stored grouped: distinct values with multiplicities.

``alpha'`` is ``-slope - 1`` of a least-squares fit of ``ln f`` against
``ln rank`` with ranks sampled log-uniformly over a stated window;
``alpha_c`` is the common level exponent alpha where ``alpha' = 0``.

The learning-curve prediction is Hutter's seen-path error
``eps(P) = sum over paths f (1 - f)**P`` (the probability that the path of a
random test position was not seen, at that position, among P training data),
with asymptotic exponent ``alpha'/(1+alpha')``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from scipy.optimize import brentq

from scalinglab import _validation as _v
from scalinglab._results import Result, new_axes, set_title, strict_json
from scalinglab.errors import InputError
from scalinglab.kernels.rhm import (binned_convolve, group_sorted_keys, merge_sorted_values, multiset_groups,
                                    multiset_groups_wide, multiset_multiplicities)
from scalinglab.theory.fitting import powerlaw_fit
from scalinglab.theory.rhm._spec import MAX_DEPTH, MAX_RULES, RHMSpec, _zipf_log_probs, zipf_log_probs

__all__ = ["PathSpectrum", "path_spectrum", "spectrum_size", "AlphaPrimeFit", "alpha_prime", "log_uniform_ranks", "LocalExponent", "local_alpha_prime", "alpha_prime_at", "AlphaCritical", "alpha_c", "AlphaCriticalTable", "alpha_c_table", "parse_window", "MAX_GROUPS", "BIN_WIDTH",
           "MAX_LOG10_PATHS", "MAX_BINNED_WORK", "MAX_FIT_POINTS", "MAX_LOCAL_RANKS",
           "MAX_TABLE_ROWS", "NoSignChange", "binned_work", "AUTO_BINNED_FACTOR"]

#: Default largest number of groups an exact spectrum may have (memory ~ 16 B each).
MAX_GROUPS = 20_000_000
#: Relative tolerance under which two path log-frequencies count as one value.
MERGE_RTOL = 1e-12
#: Up to this many paths (``m**L``), an exact spectrum under several level laws enumerates every path directly.
_DIRECT_MAX_PATHS = 4096
#: Default bin width in ln f of the binned mode.
BIN_WIDTH = 1e-3
#: Largest ``log10(m**L)``: ranks are float64, so the paths per class must stay below 1e300.
MAX_LOG10_PATHS = 300
#: Largest work of the binned mode (histogram-bin updates, ~1.5 ns each on one core: ~15 s).
MAX_BINNED_WORK = 1e10
#: Largest number of ranks of one alpha' fit (the arrays are a few times 8 bytes per rank).
MAX_FIT_POINTS = 10**6
#: Largest number of centre ranks of a local-exponent curve (one small fit each, ~50 us).
MAX_LOCAL_RANKS = 10**5
#: Counts stay exact int64 while m**L is below this; above, they are float64 (relative error < 1e-11).
_INT_COUNTS_BELOW = 2**62


# ----------------------------------------------------------------------------- spectrum
@dataclass(frozen=True, repr=False)
class PathSpectrum(Result):
    """Grouped per-class path spectrum of an RHM.

    Attributes
    ----------
    log_f : numpy.ndarray
        ``ln prod_l f^(l)_{i_l}`` of each group, strictly decreasing.
    counts : numpy.ndarray
        Number of per-class paths (ordered rank tuples) in each group; sums to
        ``m**L``. int64 (exact) in exact mode while ``m**L < 2**62``; beyond,
        float64: the float nearest each exact count (exact Python integers are
        kept for the ranks, see :meth:`log_f_at_rank`). Float64 sums of
        products of counts in binned mode (exact while below ``2**53``).
    n_c : int
        Number of classes; a path's frequency is ``exp(log_f) / n_c`` and each
        group holds ``n_c * counts`` paths per position.
    mode : str
        ``"exact"`` (every group one exact value) or ``"binned"`` (groups are
        bins of width ``bin_width`` in ln f; ``log_f`` is the exact mean
        frequency of the bin's paths; every path lies within ``log_tol = L*bin_width`` of it, and so does the
        rank-r value of the exact spectrum, since order statistics are 1-Lipschitz).
        Binned ranks are counted from the nearer end of the spectrum, so the
        head and the tail are exact; in between, a rank within about
        ``1e-16 * n_groups`` (relative) of a bin boundary may be read in the
        neighbouring bin (still within ``log_tol`` of the exact value's neighbours).
    log_tol : float
        Largest possible ``|ln f_path - log_f[group]|`` (0 in exact mode).
    bin_width : float or None
        Bin width in ln f (binned mode only).
    describe : str
        The model the spectrum belongs to.
    m : int
        Rules per symbol (for ``head:k`` windows).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, path_spectrum
    >>> sp = path_spectrum(RHMSpec.make(m=4, L=2, alpha=1.0))
    >>> int(sp.n_per_class), int(sp.counts.sum())          # m**L paths per class, in groups of equal frequency
    (16, 16)
    >>> round(float(sp.f.max() * sp.n_c), 4)           # most frequent path of a class: f_1**2
    4.9342
    """

    log_f: np.ndarray = field(repr=False)
    counts: np.ndarray = field(repr=False)
    n_c: int
    mode: str
    log_tol: float
    bin_width: float | None
    describe: str
    m: int | None = None
    #: Exact cumulative counts (object array of Python ints) where the counts exceed int64, else None.
    _exact_hi: object = field(default=None, repr=False, compare=False)
    #: ``m**L`` as an exact Python int (None: the sum of the counts).
    _n_paths: object = field(default=None, repr=False, compare=False)

    @property
    def n_groups(self):
        return int(self.log_f.size)

    @property
    def f(self):
        """Per-class path frequencies of the groups (sum of ``f * counts`` is 1)."""
        return np.exp(self.log_f)

    @property
    def freq(self):
        """Frequency of one path at one position, ``f / n_c``."""
        return np.exp(self.log_f - math.log(self.n_c))

    @property
    def mult(self):
        """Paths per position in each group, ``n_c * counts``."""
        return self.n_c * self.counts

    @property
    def n_per_class(self):
        """``m**L``: an int64 while the counts are, else the float64 nearest to it (exact: ``n_paths``)."""
        if self.counts.dtype.kind == "i" or self._n_paths is None:
            return self.counts.sum()
        return np.float64(self._n_paths)

    @property
    def n_paths(self):
        """``m**L`` as an exact Python int (the sum of the exact counts)."""
        if self._n_paths is not None:
            return int(self._n_paths)
        if self.counts.dtype.kind == "i":
            return int(self.counts.sum())
        return int(round(float(self.counts.sum())))

    @property
    def rank_hi(self):
        """Last (1-based) per-class rank of each group: int64 while the counts are, else float64 (the
        float nearest the exact integer in exact mode; in binned mode summed from whichever end of
        the spectrum is nearer, so the tail's ranks stay exact)."""
        if self.counts.dtype.kind == "i":
            return np.cumsum(self.counts)
        return self._rank_hi_float

    @cached_property
    def _rank_hi_float(self):
        if self._exact_hi is not None:
            hi = self._exact_hi.astype(np.float64)
        else:
            front, after = self._front_after
            n = float(self.n_paths)
            hi = np.maximum.accumulate(np.where(front <= 0.5 * n, front, n - after))
            hi[-1] = n
        hi.setflags(write=False)
        return hi

    @cached_property
    def _front_after(self):
        """Float counts summed from the front (paths up to each group) and from the back (paths after it):
        each exact while below 2**53, so both ends of the spectrum keep exact ranks."""
        c = np.asarray(self.counts, dtype=np.float64)
        return np.cumsum(c), np.concatenate([np.cumsum(c[::-1])[::-1][1:], [0.0]])

    def log_f_at_rank(self, r):
        """``ln f`` of the path of per-class rank ``r`` (``1 <= r <= m**L``).

        A float ``r`` means path number ``ceil(r)`` (``r`` within 1e-9 above an integer counts as that
        integer), taken exactly whatever its size, except that ranks at or above the float nearest
        ``m**L`` mean ``m**L`` itself (``float(m**L)`` may lie below it). Python ints (or an object
        array of them) are exact ranks. In exact mode the lookup compares exact integers, so the answer
        is the exact spectrum's at every rank up to ``m**L <= 10**300``.
        """
        shape = np.shape(r)
        flat = np.ravel(np.asarray(r, dtype=object) if _has_big_int(r) else r)
        n = self.n_paths
        nf = float(self.n_per_class)
        if flat.dtype == object:  # exact integer ranks
            if not all(isinstance(x, (int, np.integer)) and 1 <= x <= n for x in flat.tolist()):
                raise InputError(f"rank must hold integers in [1, m**L = {_v.fmt_num(n)}]")
            k_exact = [int(x) for x in flat.tolist()]
            kf = np.array([float(x) for x in k_exact], dtype=np.float64)
        else:
            r = _v.real_array("rank", flat, lo=1, hi=nf * (1 + 1e-12), min_size=0)
            kf = np.minimum(np.ceil(r - 1e-9), nf)
            k_exact = None
        if self.counts.dtype.kind == "i":  # exact int64 ranks (m**L < 2**62): compare as integers
            k64 = kf.astype(np.int64) if k_exact is None else np.array(k_exact, dtype=np.int64)
            idx = np.searchsorted(self.rank_hi, k64, side="left")
        elif self._exact_hi is None:  # float counts (binned): the upper half by the paths ranked after k
            front, after = self._front_after
            idx = np.searchsorted(front, kf, side="left")
            up = np.flatnonzero(kf > 0.5 * nf)
            if up.size:
                if nf < 2**53:
                    q = nf - kf[up]
                else:  # N - k exactly, then rounded once
                    ks = [k_exact[i] for i in up.tolist()] if k_exact is not None else \
                         [n if kf[i] >= nf else int(kf[i]) for i in up.tolist()]
                    q = np.array([float(n - k) for k in ks])
                idx[up] = np.searchsorted(-after, -q, side="left")  # first group with after <= N - k
        else:
            hi = self._rank_hi_float
            idx = np.searchsorted(hi, kf, side="left")
            if self._exact_hi is not None:
                # float rounding is monotone: a boundary whose float is below float(k) is below k, one above
                # is above k; only equal floats need the exact comparison
                tie = np.flatnonzero(idx < hi.size)
                tie = tie[hi[idx[tie]] == kf[tie]]
                for i in tie.tolist():
                    k = k_exact[i] if k_exact is not None else (n if kf[i] >= nf else int(kf[i]))
                    j = int(idx[i])
                    while j < hi.size - 1 and self._exact_hi[j] < k:
                        j += 1
                    idx[i] = j
        return self.log_f[np.minimum(idx, self.n_groups - 1)].reshape(shape)

    def _n_groups_at_least(self, f):
        """Number of leading groups with frequency ``>= f`` (ties within MERGE_RTOL count)."""
        f = np.asarray(f, dtype=np.float64)
        with np.errstate(divide="ignore"):
            lf = np.log(f)
        tol = np.where(np.isfinite(lf), MERGE_RTOL * np.maximum(1, np.abs(lf)), 0.0)  # f = 0 or inf: exact
        return np.searchsorted(-self.log_f, -lf + tol, side="right")

    def rank_of_frequency(self, f):
        """Number of per-class paths with frequency ``>= f`` (per class)."""
        f = _v.as_floats("f", f)
        if np.any(np.isnan(f)):
            raise InputError("f must not be nan")
        return np.concatenate([[0], self.rank_hi])[self._n_groups_at_least(f)]

    def mass_above(self, f):
        """Total per-class mass ``sum f * count`` of the groups with ``f >= f``."""
        f = _v.as_floats("f", f)
        if np.any(np.isnan(f)):
            raise InputError("f must not be nan")
        return np.concatenate([[0.0], np.cumsum(self.f * self.counts)])[self._n_groups_at_least(f)]

    _repr_fields = ("describe", "mode", "n_groups", "n_per_class", "n_c")

    def to_dict(self, max_groups=50):
        """Strict JSON: the description, sizes and the first ``max_groups`` groups (``head``)."""
        n = min(self.n_groups, max_groups)
        return strict_json({"describe": self.describe, "mode": self.mode, "n_groups": self.n_groups,
                            "log_tol": self.log_tol, "n_per_class": float(self.n_per_class), "n_c": self.n_c,
                            "head": {"f": self.f[:n], "counts": self.counts[:n]}})

    def to_text(self, head=20):
        """The text of ``str``, listing the first ``head`` groups."""
        n = min(int(head), self.n_groups)
        lines = [self.describe, f"{self.n_groups} distinct path frequencies ({self.mode} mode"
                 + (f", |Δ ln f| <= {self.log_tol:g}" if self.mode == "binned" else "")
                 + f"), {self.n_per_class:.6g} paths per class", "", f"{'rank range':>22s}  {'f (per class)':>13s}  count"]
        lo = 1
        for f, c, hi in zip(self.f[:n], self.counts[:n], self.rank_hi[:n]):
            lines.append(f"{f'{lo:.6g}-{hi:.6g}':>22s}  {f:13.6g}  {c:.6g}")
            lo = hi + 1
        if n < self.n_groups:
            lines.append(f"... ({self.n_groups - n} more groups)")
        return "\n".join(lines)

    def _text(self):
        return self.to_text()

    def _frame_data(self):
        hi = self.rank_hi
        return {"rank_lo": np.concatenate([[1], hi[:-1] + 1]), "rank_hi": hi, "f": self.f, "freq": self.freq,
                "count": self.counts}

    def plot(self, ax=None, n_points=2000, **kw):
        """Per-class frequency against rank on log-log axes (``n_points`` log-spaced ranks). Returns the axes."""
        ax = new_axes(ax)
        r = np.unique(np.rint(np.geomspace(1, float(self.n_per_class), n_points)))
        kw.setdefault("label", self.describe)
        ax.loglog(r, np.exp(self.log_f_at_rank(r)), drawstyle="steps-post", **kw)
        ax.set_xlabel("rank of path (per class)")
        ax.set_ylabel("f (per class)")
        return set_title(ax, "per-class path spectrum" + (" (binned)" if self.mode == "binned" else ""))


def _has_big_int(r):
    """True when ``r`` holds Python ints (which may exceed float precision) rather than floats."""
    if isinstance(r, bool):
        return False
    if isinstance(r, int):
        return abs(r) > 2**53
    if isinstance(r, np.ndarray):
        return r.dtype == object or (r.dtype.kind in "iu" and r.size > 0 and int(np.abs(r).max()) > 2**53)
    if isinstance(r, (list, tuple)):
        return any(isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2**53 for x in r)
    return False


def _comb(n, k):
    return math.comb(int(n), int(k))


def _level_groups(spec):
    """Consecutive bookkeeping: levels grouped by identical law -> [(key, [levels])]."""
    groups = {}
    for l in range(1, spec.L + 1):
        groups.setdefault(spec.level_key(l), []).append(l)
    return list(groups.items())


def spectrum_size(spec):
    """Work and size estimate of the exact grouped spectrum.

    Returns
    -------
    dict
        ``enumerate``: multisets walked (the largest level group);
        ``groups_bound``: upper bound on the number of groups of the merged
        spectrum; ``bytes``: memory of that bound at 16 bytes a group.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, spectrum_size
    >>> spectrum_size(RHMSpec.make(alpha=1.0))        # doctest: +ELLIPSIS
    {'enumerate': 220, 'groups_bound': 220, 'bytes': 3520}
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    enum, bound = 0, 1
    for key, levels in _level_groups(spec):
        g = len(levels)
        if key[0] == "uniform":
            size = 1
        else:
            size = _comb(spec.m + g - 1, g)
            enum = max(enum, size)
        bound *= size
    bound = min(bound, spec.m**spec.L)
    return {"enumerate": enum, "groups_bound": bound, "bytes": 16 * max(bound, enum)}


def _check_paths_in_range(m, L):
    """Refuse ``m**L`` beyond ``10**MAX_LOG10_PATHS`` (ranks are float64)."""
    if m > 1 and L > MAX_LOG10_PATHS / math.log10(m):
        raise InputError(f"m**L = {m}**{L} = {_v.fmt_num(m**L)} paths per class, over the limit 1e+{MAX_LOG10_PATHS} (ranks are float64 numbers); "
                         f"lower L or m")


def _int_counts(m, L):
    return m**L < _INT_COUNTS_BELOW


# ---- exact counts beyond int64 ---------------------------------------------------------------------------
# While m**L < 2**62 every count and every cumulative rank is an exact int64. Beyond, the counts the spectrum
# hands to its users are float64 (the correctly rounded exact integers), and the rank boundaries are kept as
# exact Python integers (``_exact_hi``): the rank -> value lookup compares integers, so windows near m**L
# and the rank-ordered tail are exact whatever m**L (float64 cumulative sums lose the tail: at m = 2, L = 62
# rank 2**62 was read four groups early). Multinomials that exceed int64 are recomputed exactly from the
# multiplicity vectors of their multisets; group sums of int64 counts are taken in two 32-bit halves.


def _exact_multinomials(m, g, n, counti):
    """``(positions, exact values)`` of the multisets whose multinomial ``g!/prod c!`` exceeds int64
    (``counti < 0``), from their multiplicity vectors (one exact computation per distinct partition)."""
    bad = np.flatnonzero(counti < 0)
    if bad.size == 0:
        return bad, np.empty(0, dtype=object)
    rows = np.sort(multiset_multiplicities(m, g, n, bad), axis=1)  # the partition of g: all the count needs
    order = np.lexsort(rows.T[::-1])
    srt = rows[order]
    first = np.concatenate([[True], np.any(srt[1:] != srt[:-1], axis=1)])
    inv = np.empty(rows.shape[0], dtype=np.int64)
    inv[order] = np.cumsum(first) - 1
    fact = [1] * (g + 1)
    for k in range(2, g + 1):
        fact[k] = fact[k - 1] * k
    vals = np.array([fact[g] // math.prod(fact[c] for c in row if c > 1) for row in srt[first].tolist()],
                    dtype=object)
    return bad, vals[inv]


def _run_starts(values_desc, rtol):
    """Start positions of the runs :func:`merge_sorted_values` merges (values sorted descending)."""
    _, run_len = merge_sorted_values(values_desc, np.ones(values_desc.size, dtype=np.int64), rtol)
    return np.concatenate([[0], np.cumsum(run_len)[:-1]]).astype(np.int64)


def _exact_group_sums(counti, big_pos, big_vals, order, starts):
    """Exact per-run sums (object array of Python ints) of int64 counts ``counti`` taken in ``order`` and cut
    at ``starts``; entries at ``big_pos`` (positions in ``counti``) are -1 there and worth ``big_vals``."""
    c = np.where(counti < 0, 0, counti)[order]
    hi = np.add.reduceat(c >> 32, starts)
    lo = np.add.reduceat(c & 0xFFFFFFFF, starts)
    out = np.array([(int(h) << 32) + int(x) for h, x in zip(hi.tolist(), lo.tolist())] or [0], dtype=object)
    out = out[: starts.size]
    if len(big_vals):
        where = np.empty(counti.size, dtype=np.int64)
        where[order] = np.arange(counti.size)
        grp = np.searchsorted(starts, where[big_pos], side="right") - 1
        by = np.argsort(grp, kind="stable")
        grp = grp[by]
        cut = np.flatnonzero(np.concatenate([[True], grp[1:] != grp[:-1]]))
        out[grp[cut]] += np.add.reduceat(big_vals[by], cut)
    return out


def _obj(a):
    """An exact object array (Python ints) of integer counts."""
    a = np.asarray(a)
    return a if a.dtype == object else np.array([int(x) for x in a.tolist()], dtype=object)


@lru_cache(maxsize=64)
def _product_groups(m, g):
    """Distinct rank products of g ranks in [1..m] with their ordered counts
    (the restricted Piltz divisor function), cached: alpha-independent.

    Returns ``(log_products ascending, counts, exact)``. While ``m**g < 2**62``
    and ``g <= 20`` the products are exact int64 keys, the counts exact int64
    and ``exact`` is None; beyond, products are keyed by their float log (values
    closer than ``1e-13 * max(1, ln p)`` merge: they are equal to float
    precision, and distinct integer products of small ranks are much further
    apart), the counts are float64 and ``exact`` holds them as exact Python
    integers (an object array).
    """
    n = _comb(m + g - 1, g)
    if g <= 20 and m**g < _INT_COUNTS_BELOW:
        _, prod, count = multiset_groups(np.zeros(m), g, n)
        order = np.argsort(prod, kind="stable")
        keys, cnt = group_sorted_keys(prod[order], count[order])
        lk = np.log(keys.astype(np.float64))
        exact = None
    else:
        lp, _, cnti = multiset_groups_wide(np.log(np.arange(1, m + 1, dtype=np.float64)), g, n)
        big_pos, big_vals = _exact_multinomials(m, g, n, cnti)
        order = np.argsort(-lp, kind="stable")  # descending, as merge_sorted_values wants
        starts = _run_starts(lp[order], 1e-13)
        lk = lp[order][starts]
        exact = _exact_group_sums(cnti, big_pos, big_vals, order, starts)
        lk, exact = lk[::-1].copy(), exact[::-1].copy()
        if m**g < _INT_COUNTS_BELOW:
            cnt, exact = exact.astype(np.int64), None
        else:
            cnt = exact.astype(np.float64)
    lk.setflags(write=False)
    cnt.setflags(write=False)
    if exact is not None:
        exact.setflags(write=False)
    return lk, cnt, exact


@lru_cache(maxsize=64)
def _product_groups_hi(m, g):
    """Exact cumulative counts (object array) of :func:`_product_groups` beyond int64 and the floats nearest
    them, cached with it (alpha_c builds ~40 spectra of one (m, g))."""
    exact = _product_groups(m, g)[2]
    hi = np.cumsum(exact)
    hi.setflags(write=False)
    hf = hi.astype(np.float64)
    hf.setflags(write=False)
    return hi, hf


def _with_float_hi(sp, hf):
    """``sp`` with its float rank boundaries set from a cache (the cached property's slot)."""
    sp.__dict__["_rank_hi_float"] = hf
    return sp


def _group_spectrum(m, key, g):
    """``(log_f descending, counts, exact)`` of one group of g levels sharing a law: counts int64 (exact,
    ``exact`` None) while ``m**g < 2**62``, else float64 with ``exact`` the exact integers (object array)."""
    if key[0] == "uniform":
        n = m**g
        if n < _INT_COUNTS_BELOW:
            return np.array([-g * math.log(m)]), np.array([n]), None
        return np.array([-g * math.log(m)]), np.array([float(n)]), np.array([n], dtype=object)
    if key[0] == "zipf":
        alpha = key[1]
        log_keys, cnt, exact = _product_groups(m, g)
        logz = -zipf_log_probs(m, alpha)[0]  # f_1 = 1/Z
        lf = -(1 + alpha) * log_keys - g * logz
        return lf, cnt.copy(), exact  # keys ascending -> lf descending (alpha > -1)
    logp = np.log(np.asarray(key[1], dtype=np.float64))
    n = _comb(m + g - 1, g)
    if g <= 20:  # g! fits int64: every multinomial is exact
        lf, _, cnti = multiset_groups(logp, g, n)
        big_pos, big_vals = np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    else:
        lf, _, cnti = multiset_groups_wide(logp, g, n)
        big_pos, big_vals = _exact_multinomials(m, g, n, cnti)
    order = np.argsort(-lf, kind="stable")
    if _int_counts(m, g):  # every sum < m**g < 2**62
        return (*merge_sorted_values(lf[order], cnti[order], MERGE_RTOL), None)
    starts = _run_starts(lf[order], MERGE_RTOL)
    exact = _exact_group_sums(cnti, big_pos, big_vals, order, starts)
    return lf[order][starts], exact.astype(np.float64), exact


def _combine(a, b):
    lf = np.add.outer(a[0], b[0]).ravel()
    order = np.argsort(-lf, kind="stable")
    if a[2] is None and b[2] is None:
        cnt = np.multiply.outer(a[1], b[1]).ravel()
        return (*merge_sorted_values(lf[order], cnt[order], MERGE_RTOL), None)
    ex = np.multiply.outer(_obj(a[1]) if a[2] is None else a[2], _obj(b[1]) if b[2] is None else b[2]).ravel()
    starts = _run_starts(lf[order], MERGE_RTOL)
    exact = np.add.reduceat(ex[order], starts)
    return lf[order][starts], exact.astype(np.float64), exact


def _binned_levels(spec):
    """Log rule probabilities of each level, computed once per distinct law."""
    cache = {}
    return [cache.setdefault(spec.level_key(l), spec.level_log_probs(l)) for l in range(1, spec.L + 1)]


def binned_work(level_logps, bin_width):
    """``(bins, work)`` of the binned mode: histogram length and bin updates.

    Level l adds ``round(span_l / bin_width)`` bins (``span_l`` the range of
    its ln f) and costs (bins so far) x (distinct bins of the level).
    """
    bins, work = 1.0, 0.0
    for lp in level_logps:
        span = float(np.ptp(lp)) / bin_width
        work += bins * min(lp.size, span + 1.0)
        bins += span + 1.0
    return bins, work


def _binned_spectrum(spec, bin_width, level_logps=None):
    """Histogram of ln f on a grid of width ``bin_width`` by level-by-level
    sparse convolution. Counts and masses are exact; a path's ln f lies within
    L*bin_width/2 of its bin's grid value, hence within L*bin_width of the
    bin's representative (the log of its mean frequency)."""
    acc_c = np.ones(1)
    acc_w = np.ones(1)
    top = 0  # grid index of acc[0] is top - k ... stored as offset of highest bin
    for lp in (_binned_levels(spec) if level_logps is None else level_logps):
        b = np.rint(lp / bin_width).astype(np.int64)
        bmax = b.max()
        off = bmax - b  # >= 0: distance below the level's top bin
        rel = np.exp(lp - b * bin_width)
        ub, inv = np.unique(off, return_inverse=True)
        cnt = np.bincount(inv).astype(np.float64)
        w = np.bincount(inv, weights=rel)
        acc_c, acc_w = binned_convolve(acc_c, acc_w, ub.astype(np.int64), cnt, w)
        top += bmax
    keep = acc_c > 0
    k = np.flatnonzero(keep)
    grid = (top - k) * bin_width  # ln f of the grid point of bin k
    log_f = grid + np.log(acc_w[keep] / acc_c[keep])
    # a bin's representative lies within L*bin_width/2 of its grid value, so neighbours can swap order when
    # L > 1: sort (order statistics are 1-Lipschitz, so the rank-r value stays within log_tol) and merge ties
    order = np.argsort(-log_f, kind="stable")
    return merge_sorted_values(log_f[order], acc_c[keep][order], MERGE_RTOL)


#: Measured cost of the exact spectrum + eps on 25 P per bound on its groups, and of the binned one per unit
#: of ``binned_work`` (issue 22, 2 shared cores, load ~8; interleaved medians): m = 10, L = 6 with a different
#: alpha on every level has 10**6 distinct values: exact 277 ms, binned 2.1 ms (eps within 5e-8).
EXACT_NS_PER_GROUP = 280.0
BINNED_NS_PER_WORK = 3.2
#: ``mode="auto"`` bins a spectrum that would fit exactly when the exact one is estimated this many times
#: costlier (and has at least ``AUTO_BINNED_MIN_GROUPS`` possible groups): only spectra whose values barely
#: group (different laws on many levels), where exact costs as much as numpy over all paths.
AUTO_BINNED_FACTOR = 10.0
AUTO_BINNED_MIN_GROUPS = 100_000


def _binned_much_cheaper(spec, size, bin_width, max_groups):
    if size["groups_bound"] < AUTO_BINNED_MIN_GROUPS:
        return False
    bins, work = binned_work(_binned_levels(spec), float(bin_width))
    if work > MAX_BINNED_WORK or bins > 50 * max_groups:
        return False
    return EXACT_NS_PER_GROUP * size["groups_bound"] > AUTO_BINNED_FACTOR * BINNED_NS_PER_WORK * work


def path_spectrum(spec, mode="auto", max_groups=MAX_GROUPS, bin_width=BIN_WIDTH):
    """Grouped per-class path spectrum, never materialising ``m**L`` tuples.

    Levels with the same law are grouped: a uniform group contributes one value;
    a group sharing one Zipf exponent is enumerated by the *product of ranks*
    (the frequency depends only on ``i_1*...*i_g``; multiplicities are restricted
    Piltz divisor counts); a group sharing one explicit vector by *multisets*
    (multinomial counts). Groups are then combined by outer product and
    merge-by-value (relative tolerance ``MERGE_RTOL`` in ln f).

    Parameters
    ----------
    spec : RHMSpec
    mode : {"auto", "exact", "binned"}
        ``"exact"`` refuses (InputError stating the size it would need) when
        the work or the result exceeds ``max_groups``; ``"binned"`` always
        histograms ln f in bins of ``bin_width`` (exact counts and masses);
        ``"auto"`` is exact when it fits and is not far costlier than
        binned (:data:`AUTO_BINNED_FACTOR`), binned otherwise.
    max_groups : int
        Size limit of the exact mode.
    bin_width : float
        Bin width in ln f for the binned mode.

    Returns
    -------
    PathSpectrum

    Raises
    ------
    InputError
        Bad arguments; ``m**L > 1e300`` (ranks are float64); a binned
        spectrum whose work exceeds ``MAX_BINNED_WORK`` bin updates.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, path_spectrum
    >>> sp = path_spectrum(RHMSpec.make(alpha=1.0))
    >>> sp.mode, sp.n_groups, int(sp.n_per_class)
    ('exact', 120, 1000)
    """
    if not isinstance(spec, RHMSpec):
        raise InputError(f"spec must be an RHMSpec (see RHMSpec.make), got {type(spec).__name__}")
    mode = _v.choice("mode", mode, ("auto", "exact", "binned"))
    max_groups = _v.integer("max_groups", max_groups, lo=1)
    _check_paths_in_range(spec.m, spec.L)
    if mode != "binned" and spec.m**spec.L <= _DIRECT_MAX_PATHS and len(_level_groups(spec)) > 1:
        return _direct_spectrum(spec)
    size = spectrum_size(spec)
    fits = size["enumerate"] <= max_groups and size["groups_bound"] <= max_groups
    if mode == "auto" and fits and _binned_much_cheaper(spec, size, _v.positive("bin_width", bin_width), max_groups):
        mode = "binned"
    if mode == "exact" and not fits:
        raise InputError(
            f"exact spectrum of {spec.brief()} needs {_v.fmt_num(size['enumerate'])} multisets and up to "
            f"{_v.fmt_num(size['groups_bound'])} groups (~{_v.fmt_num(size['bytes'] / 2**30)} GiB), over the limit "
            f"max_groups={max_groups}; use mode='binned' (exact counts and masses, values to within L*bin_width "
            "in ln f)")
    if mode == "binned" or not fits:
        bw = _v.positive("bin_width", bin_width)
        levels = _binned_levels(spec)
        bins, work = binned_work(levels, bw)
        _v.size_limit(f"the binned spectrum of {spec.brief()} (bin width {bw:g})", work, MAX_BINNED_WORK,
                     " bin updates", "increase bin_width or lower L or alpha")
        _v.size_limit(f"the binned spectrum of {spec.brief()} (bin width {bw:g})", bins, 50 * max_groups,
                     " bins", "increase bin_width")
        log_f, counts = _binned_spectrum(spec, bw, levels)
        return PathSpectrum(log_f, counts, spec.n_c, "binned", spec.L * bw, bw, spec.describe(), spec.m,
                            _n_paths=spec.m**spec.L)
    groups = _level_groups(spec)
    parts = [_group_spectrum(spec.m, key, len(levels)) for key, levels in groups]
    big = not _int_counts(spec.m, spec.L)
    if big and len(parts) > 1:  # products of int64 counts may exceed int64: carry exact integers
        parts = [(lf, np.asarray(c, dtype=np.float64), _obj(c) if ex is None else ex) for lf, c, ex in parts]
    acc = parts[0]
    for p in parts[1:]:
        acc = _combine(acc, p)
    log_f, counts, exact = acc
    if not big:
        return PathSpectrum(np.asarray(log_f), np.asarray(counts, dtype=np.int64), spec.n_c, "exact", 0.0, None,
                            spec.describe(), spec.m)
    if len(parts) == 1 and groups[0][0][0] == "zipf":
        hi, hf = _product_groups_hi(spec.m, spec.L)  # cached with the groups
    else:
        hi = np.cumsum(exact)
        hf = hi.astype(np.float64)
    return _with_float_hi(PathSpectrum(np.asarray(log_f), np.asarray(counts, dtype=np.float64), spec.n_c, "exact",
                                       0.0, None, spec.describe(), spec.m, _exact_hi=hi, _n_paths=spec.m**spec.L), hf)


def _direct_spectrum(spec):
    """Exact spectrum of a few thousand paths under several laws: every path's ln f by outer sums, one sort and one
    merge (grouping level by level costs more than it saves there: 1000 paths, 3 laws, 0.058 -> 0.02 ms; issue 22).
    Zipf levels' log probabilities are made in one array operation, one law a row."""
    m = spec.m
    if all(isinstance(a, float) for a in spec.alpha):
        logp = _zipf_log_probs(m, np.array(spec.alpha)[:, None])
    else:
        logp = [spec.level_log_probs(lv) for lv in range(1, spec.L + 1)]
    lf = logp[0]
    for lp in logp[1:]:
        lf = (lf[:, None] + lp[None, :]).ravel()
    lf = -np.sort(-lf)
    log_f, counts = merge_sorted_values(lf, np.ones(lf.size, dtype=np.int64), MERGE_RTOL)
    return PathSpectrum(log_f, counts, spec.n_c, "exact", 0.0, None, spec.describe(), m)


def _as_spectrum(obj, **kw):
    return obj if isinstance(obj, PathSpectrum) else path_spectrum(obj, **kw)


# ----------------------------------------------------------------------------- alpha'
@dataclass(frozen=True, repr=False)
class AlphaPrimeFit(Result):
    """Fitted spectrum exponent ``alpha'`` (``f ~ rank**-(1+alpha')``).

    Attributes
    ----------
    alpha_prime : float
        ``-slope - 1``.
    slope : float
        OLS slope of ln f against ln rank over the sampled ranks.
    window : tuple of float
        Per-class rank window ``(r_lo, r_hi)``.
    n_points : int
        Integer ranks sampled log-uniformly in the window (see
        :func:`log_uniform_ranks`).
    method : str
        ``"ols-loglog, log-uniform ranks"``.
    stderr : float
        OLS standard error of the slope (the step-like spectrum makes this a
        measure of curvature, not of noise).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, alpha_prime
    >>> fit = alpha_prime(RHMSpec.make(alpha=1.0))
    >>> round(fit.alpha_prime, 3), fit.window, fit.method
    (0.52, (1.0, 1000.0), 'ols-loglog, log-uniform ranks')
    """

    alpha_prime: float
    slope: float
    window: tuple
    n_points: int
    method: str
    stderr: float

    @property
    def predicted_exponent(self):
        """``alpha'/(1+alpha')``: the learning-curve exponent (nan if alpha' <= 0)."""
        a = self.alpha_prime
        return a / (1 + a) if a > 0 else float("nan")

    _repr_fields = ("alpha_prime", "window", "n_points", "predicted_exponent")
    _reasons = {"predicted_exponent": "alpha' <= 0: the learning curve has no power law",
                "stderr": "fewer than 3 distinct ranks in the window"}

    def _dict_data(self):
        return {**super()._dict_data(), "predicted_exponent": self.predicted_exponent}

    def _text(self):
        return (f"alpha' = {self.alpha_prime:.4f}  (slope {self.slope:.4f}; ranks [{self.window[0]:g}, "
                f"{self.window[1]:g}], {self.n_points} log-uniform points, {self.method})\n"
                f"predicted learning-curve exponent alpha'/(1+alpha') = {self.predicted_exponent:.4f}")


def parse_window(window, n_total, m=None):
    """Resolve a rank window.

    ``None`` or ``"full"``: ``[1, n_total]``; ``"head:k"``: ``[1, m**k]``;
    ``"lo:hi"`` or ``(lo, hi)``: as given (``None`` ends open). Raises
    InputError on a malformed window, one outside ``[1, n_total]`` or with
    ``lo >= hi``.

    >>> parse_window("head:2", 1000, m=10)
    (1.0, 100.0)
    """
    n_total = _v.real("n_total", n_total, lo=1.0)
    if m is not None:
        m = _v.integer("m", m, lo=1)
    if window is None or (isinstance(window, str) and window == "full"):
        lo, hi = 1.0, n_total
    elif isinstance(window, str) and window.startswith("head:"):
        if m is None:
            raise InputError("a 'head:k' window needs m")
        k = _v.real("window head:k", _num(window.split(":", 1)[1], "window head:k"), lo=0, lo_open=True)
        if k * math.log10(m) > 308:
            raise InputError(f"window head:{k:g} = [1, m**{k:g}] exceeds the {n_total:g} ranks per class")
        lo, hi = 1.0, float(m ** int(k)) if k == int(k) else float(m) ** k  # the float nearest m**k
    else:
        if isinstance(window, str):
            parts = window.split(":")
            if len(parts) != 2:
                raise InputError(f"window must be None, 'full', 'head:k', 'lo:hi' or (lo, hi); got {window!r}")
            window = tuple(_num(x, "window") for x in parts)
        try:
            lo, hi = window
        except (TypeError, ValueError):
            raise InputError(f"window must be None, 'full', 'head:k', 'lo:hi' or (lo, hi); got {window!r}") from None
        lo = 1.0 if lo is None else _v.real("window lo", lo)
        hi = n_total if hi is None else _v.real("window hi", hi)
    if not (1 <= lo < hi <= n_total * (1 + 1e-12)):
        raise InputError(f"rank window ({lo:g}, {hi:g}) must satisfy 1 <= lo < hi <= {n_total:g}")
    return lo, hi


def _num(text, name):
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{name}: {text!r} is not a number") from None


def log_uniform_ranks(lo, hi, n_points):
    """``n_points`` integer ranks spaced log-uniformly in ``[lo, hi]``:
    ``rint(geomspace(lo, hi))`` clipped to the integers of the window. Repeats
    are kept (they carry the log-uniform weight of the small ranks), and the
    fit uses the log of the integer rank, so an exact power law is fitted
    exactly whatever the window.

    >>> log_uniform_ranks(1, 100, 5).tolist()
    [1.0, 3.0, 10.0, 32.0, 100.0]
    """
    lo = _v.real("lo", lo, lo=1)
    hi = _v.real("hi", hi, lo=1)
    n_points = _v.integer("n_points", n_points, lo=3, hi=MAX_FIT_POINTS)
    a, b = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if b <= a:
        raise InputError(f"rank window ({lo:g}, {hi:g}) holds fewer than 2 integer ranks")
    return np.clip(np.rint(np.geomspace(lo, hi, n_points)), a, b)


def alpha_prime(spec_or_spectrum, window=None, n_points=200, **kw):
    """Zipf exponent ``alpha'`` of the path spectrum over a rank window.

    Parameters
    ----------
    spec_or_spectrum : RHMSpec or PathSpectrum
    window : see :func:`parse_window`
        Default: the whole per-class spectrum ``[1, m**L]``.
    n_points : int
        Number of log-uniformly spaced ranks (uniform spacing would let the
        tail dominate); at least 3, so the slope has a standard error.

    Returns
    -------
    AlphaPrimeFit

    Raises
    ------
    InputError
        A bad window, ``n_points`` outside ``[2, MAX_FIT_POINTS]``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, alpha_prime
    >>> round(alpha_prime(RHMSpec.make(alpha=1.0)).alpha_prime, 3)
    0.52
    """
    n_points = _v.integer("n_points", n_points, lo=3, hi=MAX_FIT_POINTS)
    sp = _as_spectrum(spec_or_spectrum, **kw)
    lo, hi = parse_window(window, sp.n_per_class, sp.m)
    r = log_uniform_ranks(lo, hi, n_points)
    lf = sp.log_f_at_rank(r)
    # OLS is linear in ln f, so fitting exp((ln f - max)/c) and scaling the slope by c is the same fit; c > 1
    # only when ln f spans more than float64 can exponentiate (alpha = 100, L = 30 spans ~7000)
    c = max(1.0, float(lf.max() - lf.min()) / 600.0)
    fit = powerlaw_fit(r, np.exp((lf - lf.max()) / c))
    slope = -fit.exponent * c
    return AlphaPrimeFit(alpha_prime=float(-slope - 1), slope=float(slope), window=(lo, hi), n_points=n_points,
                         method="ols-loglog, log-uniform ranks", stderr=fit.stderr * c)


@dataclass(frozen=True, repr=False)
class LocalExponent(Result):
    """Local ``alpha'(r)``: OLS over log-uniform ranks in ``[r/rho, r*rho]``.

    Attributes
    ----------
    ranks : numpy.ndarray
        Centre ranks.
    alpha_prime : numpy.ndarray
        Local exponent at each centre; nan where the clipped window holds
        fewer than two distinct integer ranks (no slope to fit).
    half_width_decades : float
        ``log10 rho``; windows are clipped to ``[1, m**L]``.
    P : numpy.ndarray or None
        Training-set sizes whose probed ranks these are (:func:`alpha_prime_at`).

    Unpacks as ``ranks, alpha_prime = result`` (what :func:`alpha_prime_at` returned before).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, local_alpha_prime
    >>> loc = local_alpha_prime(RHMSpec.make(alpha=1.0), ranks=[10, 100])
    >>> loc.alpha_prime.round(3)
    array([0.224, 0.702])
    """

    ranks: np.ndarray
    alpha_prime: np.ndarray
    half_width_decades: float
    P: np.ndarray | None = None

    _reasons = {"alpha_prime": "the local window holds fewer than 2 distinct integer ranks"}

    def __iter__(self):
        return iter((self.ranks, self.alpha_prime))

    def _frame_data(self):
        d = {"ranks": self.ranks, "alpha_prime": self.alpha_prime, "half_width_decades": self.half_width_decades}
        return d if self.P is None else {"P": self.P, **d}

    def _text(self):
        if self.P is not None:
            lines = ["local alpha' at the rank probed by P (paths with f/n_c >= 1/P):"]
            lines += [f"  P={p:10.4g}  rank={rk:10.4g}  alpha'={x:.4f}"
                      for p, rk, x in zip(self.P, self.ranks, self.alpha_prime)]
        else:
            lines = [f"local alpha' (OLS over ranks [r/rho, r*rho], rho = 10^{self.half_width_decades:g}):"]
            lines += [f"  rank={rk:10.4g}  alpha'={x:.4f}" for rk, x in zip(self.ranks, self.alpha_prime)]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """``alpha'`` against rank (log x axis). Returns the axes."""
        ax = new_axes(ax)
        ax.semilogx(self.ranks, self.alpha_prime, **kw)
        ax.set_xlabel("rank of path (per class)")
        ax.set_ylabel("local α'(rank)")
        return set_title(ax, "local spectrum exponent α'(rank)")


def local_alpha_prime(spec_or_spectrum, ranks=None, half_width_decades=0.5, n_points=41, **kw):
    """Local spectrum exponent as a curve of per-class rank.

    Parameters
    ----------
    ranks : array_like, optional
        Centres; default 60 log-spaced ranks over ``[1, m**L]``.
    half_width_decades : float
        Half-width of each local fit window in decades of rank.
    n_points : int
        Log-uniform ranks per local fit.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, local_alpha_prime
    >>> loc = local_alpha_prime(RHMSpec.make(alpha=1.0), ranks=[3, 30, 300])
    >>> loc.alpha_prime.round(2)          # the spectrum steepens towards its tail
    array([0.16, 0.31, 1.67])
    """
    n_points = _v.integer("n_points", n_points, lo=2, hi=10_000)
    hw = _v.positive("half_width_decades", half_width_decades)
    sp = _as_spectrum(spec_or_spectrum, **kw)
    N = float(sp.n_per_class)
    ranks = np.geomspace(1, N, 60) if ranks is None else _v.real_array("ranks", ranks, lo=1, hi=N * (1 + 1e-12),
                                                                       max_size=MAX_LOCAL_RANKS)
    rho = 10.0 ** min(hw, 300.0)
    out = np.empty(ranks.size)
    for i, r in enumerate(ranks):
        lo, hi = max(1.0, r / rho), min(N, r * rho)
        if hi <= lo:
            out[i] = np.nan
            continue
        rr = log_uniform_ranks(lo, hi, n_points)
        if np.unique(rr).size < 2:
            out[i] = np.nan
            continue
        lf = sp.log_f_at_rank(rr)
        slope = np.polyfit(np.log(rr), lf, 1)[0]
        out[i] = -slope - 1
    return LocalExponent(ranks=ranks, alpha_prime=out, half_width_decades=hw)


def alpha_prime_at(spec_or_spectrum, P, half_width_decades=0.5, **kw):
    """Local ``alpha'`` at the rank probed by P training data.

    The probed per-class rank ``r(P)`` is the number of per-class paths whose
    path frequency ``f / n_c`` is at least ``1/P`` (clipped to ``[1, m**L]``):
    the paths a training set of size P has typically seen.

    Returns
    -------
    LocalExponent
        With ``P`` set; unpacks as ``(ranks, alpha_prime)``.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec, alpha_prime_at
    >>> at = alpha_prime_at(RHMSpec.make(alpha=1.0), 1000)   # the rank of the paths with f/n_c >= 1/P
    >>> at.ranks.round(1), at.alpha_prime.round(3)
    (array([16.]), array([0.128]))
    """
    P = _v.real_array("P", P, lo=0, lo_open=True, max_size=MAX_LOCAL_RANKS)
    sp = _as_spectrum(spec_or_spectrum, **kw)
    r = np.clip(sp.rank_of_frequency(sp.n_c / P).astype(float), 1.0, float(sp.n_per_class))
    loc = local_alpha_prime(sp, ranks=r, half_width_decades=half_width_decades)
    return LocalExponent(ranks=r, alpha_prime=loc.alpha_prime, half_width_decades=loc.half_width_decades, P=P)


# ----------------------------------------------------------------------------- alpha_c
@dataclass(frozen=True, repr=False)
class AlphaCritical(Result):
    """``alpha_c``: common level exponent where ``alpha' = 0``.

    Attributes
    ----------
    alpha_c : float
    m, L : int
    window : tuple
        Per-class rank window of the alpha' fit.
    n_points : int
        Log-uniform ranks of the fit.
    method : str
        Root finder and fit.

    Examples
    --------
    >>> from scalinglab.theory.rhm import alpha_c
    >>> ac = alpha_c(10, 2)
    >>> round(ac.alpha_c, 3), ac.window
    (0.199, (1.0, 100.0))
    """

    alpha_c: float
    m: int
    L: int
    window: tuple
    n_points: int
    method: str

    _repr_fields = ("alpha_c", "m", "L", "window", "n_points")

    def _text(self):
        return (f"alpha_c(m={self.m}, L={self.L}, ranks [{self.window[0]:g}, {self.window[1]:g}]) = "
                f"{self.alpha_c:.4f}  (all levels share alpha; alpha' by OLS over {self.n_points} log-uniform ranks)")


class NoSignChange(InputError):
    """alpha' does not change sign over the bracket: this window has no alpha_c."""


def _shared_size_check(m, L, what):
    _check_paths_in_range(m, L)
    n = _comb(m + L - 1, L)
    _v.size_limit(f"{what} (m={m}, L={L}): the exact spectrum", n, MAX_GROUPS, " multisets", "lower L or m")
    return n


def alpha_c(m, L, window=None, n_points=200, bracket=(-0.999, 4.0), xtol=1e-10):
    """Critical Zipf exponent ``alpha_c(m, L, window)`` where ``alpha' = 0``.

    All L levels share ``f_i ∝ i**-(1+alpha)``; ``alpha'`` is fitted as in
    :func:`alpha_prime` over ``window``; the root is bracketed (the upper end
    doubles until ``alpha' > 0``) and refined by Brent's method to ``xtol``.
    ``v`` and ``s`` do not enter (the spectrum depends on m, L and the laws).
    The spectrum is exact (rank products of L ranks, counts beyond int64 as
    float64), so ``C(m+L-1, L)`` multisets must stay within ``MAX_GROUPS``.

    Raises
    ------
    InputError
        Bad arguments, a spectrum over the size limit, or no sign change
        (:class:`NoSignChange`, e.g. a window of a single plateau).

    Examples
    --------
    >>> from scalinglab.theory.rhm import alpha_c
    >>> round(alpha_c(10, 3).alpha_c, 3)
    0.316
    """
    m = _v.integer("m", m, lo=2, hi=MAX_RULES)
    L = _v.integer("L", L, lo=1, hi=MAX_DEPTH)
    n_points = _v.integer("n_points", n_points, lo=3, hi=MAX_FIT_POINTS)
    xtol = _v.positive("xtol", xtol)
    try:
        a_lo, a_hi = bracket
    except (TypeError, ValueError):
        raise InputError(f"bracket must be two numbers (lo, hi), got {bracket!r}") from None
    a_lo = _v.real("bracket lo", a_lo, lo=-1, lo_open=True)
    a_hi = _v.real("bracket hi", a_hi, lo=a_lo, lo_open=True, hi=1e6)
    _shared_size_check(m, L, "alpha_c")
    lo_w, hi_w = parse_window(window, float(m**L), m)  # the float nearest m**L (float(m)**L may be an ulp off)

    def ap(a):
        return alpha_prime(_spectrum_shared(m, L, a), window=(lo_w, hi_w), n_points=n_points).alpha_prime

    f_lo = ap(a_lo)
    f_hi = ap(a_hi)
    tries = 0
    while f_hi <= 0 and tries < 8:
        a_hi *= 2
        f_hi = ap(a_hi)
        tries += 1
    if not (f_lo < 0 < f_hi):
        raise NoSignChange(f"no sign change of alpha' in alpha in [{a_lo}, {a_hi}] for m={m}, L={L}, "
                           f"window=({lo_w:g}, {hi_w:g}): alpha'={f_lo:.3g}, {f_hi:.3g}")
    root = brentq(ap, a_lo, a_hi, xtol=xtol)
    return AlphaCritical(alpha_c=float(root), m=m, L=L, window=(lo_w, hi_w), n_points=n_points,
                         method="brentq on alpha'(alpha); alpha' by ols-loglog over log-uniform ranks")


def _spectrum_shared(m, L, alpha):
    """Spectrum of L levels sharing Zipf(alpha) without building a full spec
    (no rule-ambiguity constraint applies to the spectrum itself)."""
    key = ("uniform",) if alpha == -1.0 else ("zipf", alpha)
    lf, cnt, exact = _group_spectrum(m, key, L)
    hi = hf = None
    if exact is not None:
        hi, hf = _product_groups_hi(m, L) if key[0] == "zipf" else (np.cumsum(exact), np.array([float(m**L)]))
    sp = PathSpectrum(lf, cnt, 1, "exact", 0.0, None, f"m={m}, L={L}, zipf({alpha:g}) on all levels", m,
                      _exact_hi=hi, _n_paths=m**L)
    return sp if hf is None else _with_float_hi(sp, hf)  # the boundaries cached with the groups


#: Largest number of rows of :func:`alpha_c_table` (each a root search of ~40 spectrum fits).
MAX_TABLE_ROWS = 2000


@dataclass(frozen=True, repr=False)
class AlphaCriticalTable(Result):
    """``alpha_c`` over depths L and rank windows ``[1, r_hi]``; behaves as the list of its rows.

    Attributes
    ----------
    m : int
    n_points : int
        Log-uniform ranks of each alpha' fit.
    rows : list of dict
        ``L``, ``window`` (label), ``r_hi``, ``alpha_c`` (nan, with
        ``alpha_c_reason``, where alpha' does not change sign).

    Examples
    --------
    >>> from scalinglab.theory.rhm import alpha_c_table
    >>> tab = alpha_c_table(m=10, Ls=(2,), n_points=50)
    >>> len(tab), tab.m
    (2, 10)
    """

    m: int
    n_points: int
    rows: list

    _repr_fields = ("m", "n_points", "rows")

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def tolist(self):
        """The rows as a plain list (what generic JSON helpers call, as on numpy arrays)."""
        return list(self.rows)

    def _frame_data(self):
        keys = ["L", "window", "r_hi", "alpha_c"]
        return {k: [r.get(k) for r in self.rows] for k in keys}

    def _text(self):
        lines = [f"alpha_c(m={self.m}, L, window [1, r_hi]); alpha' by OLS over {self.n_points} log-uniform ranks",
                 f"{'L':>3s}  {'window':>8s}  {'r_hi':>10s}  alpha_c"]
        lines += [f"{r['L']:>3d}  {r['window']:>8s}  {r['r_hi']:>10.4g}  {r['alpha_c']:.4f}"
                  + (f"  ({r['alpha_c_reason']})" if "alpha_c_reason" in r else "") for r in self.rows]
        return "\n".join(lines)

    def plot(self, ax=None, **kw):
        """``alpha_c`` against the window's upper rank, one line per L. Returns the axes."""
        ax = new_axes(ax)
        for L in sorted({r["L"] for r in self.rows}):
            sel = sorted((r for r in self.rows if r["L"] == L), key=lambda r: r["r_hi"])
            ax.semilogx([r["r_hi"] for r in sel], [r["alpha_c"] for r in sel], "o-", label=f"L={L}", **kw)
        ax.set_xlabel("upper rank r_hi of the window [1, r_hi]")
        ax.set_ylabel("α_c")
        ax.legend(fontsize=8)
        return set_title(ax, f"α_c over rank windows [1, r_hi], m = {self.m}")


def alpha_c_table(m=10, Ls=(2, 3, 4, 5, 6), n_points=200):
    """``alpha_c`` for each L over the full window ``[1, m**L]`` and the head
    windows ``[1, m**k]``, k = 1..L-1.

    Returns
    -------
    AlphaCriticalTable
        A sequence of rows (dicts), one per (L, window): ``L``, ``window``
        (label), ``r_hi``, ``alpha_c``; ``alpha_c`` is nan where alpha' has no
        sign change over the bracket, and the row then carries an
        ``alpha_c_reason`` saying so.

    Raises
    ------
    InputError
        Bad arguments, or work over the limits: the exact spectra of all L
        together over ``MAX_GROUPS`` multisets, or more than
        ``MAX_TABLE_ROWS`` rows.

    Examples
    --------
    >>> from scalinglab.theory.rhm import alpha_c_table
    >>> t = alpha_c_table(10, Ls=(2,))
    >>> [(r["window"], round(r["alpha_c"], 3)) for r in t]
    [('full', 0.199), ('head:1', 0.467)]
    """
    m = _v.integer("m", m, lo=2, hi=MAX_RULES)
    n_points = _v.integer("n_points", n_points, lo=3, hi=MAX_FIT_POINTS)
    try:
        Ls = [_v.integer("L", L, lo=1, hi=MAX_DEPTH) for L in Ls]
    except TypeError:
        raise InputError(f"Ls must be a list of depths, got {Ls!r}") from None
    if not Ls:
        raise InputError("Ls needs at least one depth")
    _v.size_limit("the table", sum(Ls), MAX_TABLE_ROWS, " rows", "fewer or smaller L")
    total = sum(_shared_size_check(m, L, "the table") for L in set(Ls))
    _v.size_limit(f"the table (m={m}, L={sorted(set(Ls))}): the exact spectra together", total, MAX_GROUPS,
                 " multisets", "fewer or smaller L")
    rows = []
    for L in Ls:
        for k in range(L, 0, -1):
            label = "full" if k == L else f"head:{k}"
            row = {"L": L, "window": label, "r_hi": float(m**k)}
            try:
                row["alpha_c"] = alpha_c(m, L, window=label, n_points=n_points).alpha_c
            except NoSignChange as exc:
                row.update(alpha_c=float("nan"), alpha_c_reason=str(exc))
            rows.append(row)
    return AlphaCriticalTable(m=int(m), n_points=int(n_points), rows=rows)
