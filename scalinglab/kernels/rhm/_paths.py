"""Numba kernels that enumerate path-frequency groups of the Zipf RHM.

A path is a tuple of rule ranks ``(i_1, ..., i_g)``, one per level of a group
of g levels. These kernels never materialise the ``m**g`` tuples: they walk
the multisets (non-decreasing tuples) and attach to each its number of
orderings, or they convolve per-level histograms on a grid of log-frequency.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["multiset_groups", "multiset_groups_wide", "multiset_multiplicities", "group_sorted_keys",
           "merge_sorted_values", "binned_convolve"]


@njit(cache=True)
def multiset_groups(logp, g, n_multisets):
    """Enumerate the multisets of g ranks out of ``len(logp)``.

    Parameters
    ----------
    logp : float64[m]
        Log probabilities of the m ranks (shared by the g levels).
    g : int
        Number of levels in the group (``1 <= g <= 20``).
    n_multisets : int
        ``C(m+g-1, g)``, the number of multisets (the output length).

    Returns
    -------
    logf : float64[n_multisets]
        ``sum_k logp[i_k]`` of each multiset.
    prod : int64[n_multisets]
        Product of the 1-based ranks ``i_1 * ... * i_g`` (-1 where it would
        overflow int64).
    count : int64[n_multisets]
        Number of ordered g-tuples with that multiset, ``g! / prod_j c_j!``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import multiset_groups
    >>> logf, prod, count = multiset_groups(np.log([0.75, 0.25]), 2, 3)   # m = 2 ranks, g = 2 levels
    >>> np.exp(logf).round(4), prod, count      # {1,1}, {1,2} (twice: (1,2) and (2,1)), {2,2}
    (array([0.5625, 0.1875, 0.0625]), array([1, 2, 4]), array([1, 2, 1]))
    """
    m = logp.shape[0]
    fact = np.ones(g + 1, dtype=np.int64)
    for k in range(2, g + 1):
        fact[k] = fact[k - 1] * k
    logf = np.empty(n_multisets, dtype=np.float64)
    prod = np.empty(n_multisets, dtype=np.int64)
    count = np.empty(n_multisets, dtype=np.int64)
    a = np.zeros(g, dtype=np.int64)
    lim = np.iinfo(np.int64).max
    for t in range(n_multisets):
        s = 0.0
        p = np.int64(1)
        denom = np.int64(1)
        run = 1
        for k in range(g):
            s += logp[a[k]]
            r = a[k] + 1
            if p >= 0:
                if p > lim // r:
                    p = -1
                else:
                    p *= r
            if k > 0 and a[k] == a[k - 1]:
                run += 1
            else:
                denom *= fact[run]
                run = 1
        denom *= fact[run]
        logf[t] = s
        prod[t] = p
        count[t] = fact[g] // denom
        if not _next_multiset(a, m):
            break
    return logf, prod, count


@njit(cache=True)
def _next_multiset(a, m):
    """Step the non-decreasing tuple ``a`` (entries in ``0..m-1``) to the next one in lexicographic order, in
    place; False (``a`` unchanged) after the last, ``(m-1, ..., m-1)``."""
    g = a.shape[0]
    k = g - 1
    while k >= 0 and a[k] == m - 1:
        k -= 1
    if k < 0:
        return False
    a[k] += 1
    for j in range(k + 1, g):
        a[j] = a[k]
    return True


@njit(cache=True)
def _binom_checked(n, k, lim):
    """``C(n, k)`` in int64 by the multiplicative formula, or -1 when it exceeds ``lim``."""
    r = np.int64(1)
    for i in range(1, k + 1):
        num = n - k + i
        if r > lim // num:
            return np.int64(-1)
        r = r * num // i  # exact: r * num is divisible by i at every step
    return r


@njit(cache=True)
def multiset_groups_wide(logp, g, n_multisets):
    """:func:`multiset_groups` for any number of levels ``g`` (the counts may exceed int64).

    Parameters
    ----------
    logp : float64[m]
        Log probabilities of the m ranks (``log(1..m)`` gives log rank products).
    g : int
        Number of levels (any ``g >= 1``).
    n_multisets : int
        ``C(m+g-1, g)``.

    Returns
    -------
    logf : float64[n_multisets]
        ``sum_k logp[i_k]`` of each multiset.
    count : float64[n_multisets]
        Number of ordered g-tuples, ``g! / prod_j c_j!``: the exact integer
        (correctly rounded) when it fits int64, else ``exp(lgamma(g+1) -
        sum lgamma(c_j+1))`` (relative error below ``4e-16 * lgamma(g+1)``,
        e.g. 2e-13 at g = 990).
    count_exact : int64[n_multisets]
        The same count as an exact integer, -1 where it exceeds int64.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import multiset_groups_wide
    >>> logf, count, exact = multiset_groups_wide(np.log([1.0, 2.0]), 3, 4)   # log rank products
    >>> np.exp(logf).round(6), count, exact
    (array([1., 2., 4., 8.]), array([1., 3., 3., 1.]), array([1, 3, 3, 1]))
    """
    m = logp.shape[0]
    lim = np.iinfo(np.int64).max
    lfact = np.empty(g + 1, dtype=np.float64)
    for k in range(g + 1):
        lfact[k] = math.lgamma(k + 1.0)
    logf = np.empty(n_multisets, dtype=np.float64)
    countf = np.empty(n_multisets, dtype=np.float64)
    counti = np.empty(n_multisets, dtype=np.int64)
    a = np.zeros(g, dtype=np.int64)
    for t in range(n_multisets):
        s = 0.0
        for k in range(g):
            s += logp[a[k]]
        # multinomial = prod over runs of C(prefix length, run length), checked for overflow
        exact = np.int64(1)
        lsum = 0.0
        pos = 0
        while pos < g:
            run = 1
            while pos + run < g and a[pos + run] == a[pos]:
                run += 1
            lsum += lfact[run]
            if exact >= 0:
                b = _binom_checked(pos + run, run, lim)
                if b < 0 or (b > 0 and exact > lim // b):
                    exact = np.int64(-1)
                else:
                    exact *= b
            pos += run
        logf[t] = s
        counti[t] = exact
        countf[t] = float(exact) if exact >= 0 else math.exp(lfact[g] - lsum)
        if not _next_multiset(a, m):
            break
    return logf, countf, counti


@njit(cache=True)
def multiset_multiplicities(m, g, n_multisets, idx):
    """Multiplicity vectors of chosen multisets, in the enumeration order of :func:`multiset_groups`.

    Parameters
    ----------
    m : int
        Number of ranks.
    g : int
        Size of each multiset (number of levels).
    n_multisets : int
        ``C(m+g-1, g)``.
    idx : int64[k]
        Ascending positions (0-based) of the wanted multisets in the enumeration.

    Returns
    -------
    int64[k, m]
        Row j: how often each rank occurs in multiset ``idx[j]`` (sums to g). The caller
        computes exact multinomials ``g! / prod c!`` from it where they exceed int64.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import multiset_multiplicities
    >>> multiset_multiplicities(2, 3, 4, np.array([0, 2]))     # {1,1,1} and {1,2,2}
    array([[3, 0],
           [1, 2]])
    """
    k = idx.shape[0]
    out = np.zeros((k, m), dtype=np.int64)
    a = np.zeros(g, dtype=np.int64)
    j = 0
    for t in range(n_multisets):
        if j >= k:
            break
        if idx[j] == t:
            for q in range(g):
                out[j, a[q]] += 1
            j += 1
        if not _next_multiset(a, m):
            break
    return out


@njit(cache=True)
def group_sorted_keys(keys, counts):
    """Sum ``counts`` over runs of equal ``keys`` (keys sorted ascending).

    Returns ``(unique_keys, summed_counts)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import group_sorted_keys
    >>> group_sorted_keys(np.array([1, 1, 4, 7, 7, 7]), np.array([1, 2, 1, 1, 1, 1]))
    (array([1, 4, 7]), array([3, 1, 3]))
    """
    n = keys.shape[0]
    uk = np.empty(n, dtype=keys.dtype)
    uc = np.empty(n, dtype=counts.dtype)
    j = -1
    for i in range(n):
        if j >= 0 and keys[i] == uk[j]:
            uc[j] += counts[i]
        else:
            j += 1
            uk[j] = keys[i]
            uc[j] = counts[i]
    return uk[: j + 1].copy(), uc[: j + 1].copy()


@njit(cache=True)
def merge_sorted_values(values, counts, rtol):
    """Merge runs of values equal within ``rtol`` (values sorted descending).

    Two neighbours ``a >= b`` merge when ``a - b <= rtol * max(1, |a|)``; a
    merged group keeps the first value of its run and the summed count.
    Returns ``(values, counts)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import merge_sorted_values
    >>> merge_sorted_values(np.array([-1.0, -1.0 - 1e-13, -2.0]), np.array([1, 2, 5]), 1e-12)
    (array([-1., -2.]), array([3, 5]))
    """
    n = values.shape[0]
    uv = np.empty(n, dtype=np.float64)
    uc = np.empty(n, dtype=counts.dtype)
    j = -1
    for i in range(n):
        if j >= 0 and uv[j] - values[i] <= rtol * max(1.0, abs(uv[j])):
            uc[j] += counts[i]
        else:
            j += 1
            uv[j] = values[i]
            uc[j] = counts[i]
    return uv[: j + 1].copy(), uc[: j + 1].copy()


@njit(cache=True)
def binned_convolve(acc_count, acc_w, bins, cnt, w):
    """Convolve a dense histogram with a sparse one (one more level).

    The accumulated histogram holds, per bin k of width delta in log-frequency,
    the number of paths ``acc_count[k]`` and ``acc_w[k] = sum over those paths
    of f / exp(delta * k)`` (the mass relative to the bin's grid value, which is
    of order one and never underflows). The new level has entries at integer
    offsets ``bins[j] >= 0`` with counts ``cnt[j]`` and relative masses ``w[j]``.

    Returns the new ``(count, w)`` of length ``len(acc) + max(bins)``.
    Counts and masses both add exactly under the convolution because a path's
    bin is the sum of its levels' bins and its frequency the product of theirs.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import binned_convolve
    >>> acc_count, acc_w = np.array([1, 1]), np.array([1.0, 1.0])    # two paths, in bins 0 and 1
    >>> binned_convolve(acc_count, acc_w, np.array([0, 2]), np.array([1, 3]), np.array([1.0, 0.5]))
    (array([1., 1., 3., 3.]), array([1. , 1. , 0.5, 0.5]))
    """
    nb = bins.max() + 1
    n = acc_count.shape[0]
    out_c = np.zeros(n + nb - 1, dtype=np.float64)
    out_w = np.zeros(n + nb - 1, dtype=np.float64)
    for j in range(bins.shape[0]):
        b = bins[j]
        c = cnt[j]
        ww = w[j]
        for k in range(n):
            ac = acc_count[k]
            if ac != 0.0:
                out_c[k + b] += ac * c
                out_w[k + b] += acc_w[k] * ww
    return out_c, out_w
