"""Distinct data and data unseen in training: exact keys of RHM data and a sampler of the unseen part.

Plain arrays in, arrays out (the caller, :mod:`scalinglab.validate.rhm._data`,
draws the training set of distinct data; these kernels do the per-datum work).

Datum key
---------
An RHM datum is its class and derivation (rules are unambiguous, so the input
determines both). Its key is the mixed-radix integer
``key = ((y * m + r_0) * m + r_1) ... * m + r_{n-1}`` of the class ``y`` and
the 0-based ranks ``r_c`` at the ``n = n_nodes`` derivation nodes (layout of
:mod:`scalinglab.kernels.rhm._sample`). It is exact (one key per datum) when
``n_c * m**n_nodes < 2**63``; the caller checks that.

The prefix of depth ``d`` (``0 <= d <= n_nodes``) of a key is ``key //
m**(n_nodes - d)``: the class and the first ``d`` ranks. All data below one
prefix form a subtree of probability ``(1/n_c) prod_{c < d} f_c(r_c)``.

Unseen tree
-----------
For a training set S (sorted unique keys), :func:`unseen_tree` gives, for every
prefix u that some training datum has, the *unseen fraction* of its subtree,
``h(u) = Pr(datum not in S | datum below u)``, bottom-up:
``h(u) = sum_r f_d(r) * (h(u*m + r) if u*m + r is a prefix of S else 1)`` and
``h = 0`` for a full key of S. Every term is non-negative, so ``h`` keeps full
relative precision even when a subtree is almost covered (no ``1 - covered``
cancellation).

:func:`sample_unseen` draws data from the RHM conditioned on not being in S,
node by node: at a prefix u of S, rank r has probability ``f_d(r) h(u*m+r) /
h(u)``; below a prefix outside S nothing is excluded and the rank is drawn
exactly as the i.i.d. sampler does (same counter-based uniforms, same integer
thresholds), so with an empty S it returns the i.i.d. sampler's data.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from scalinglab.kernels._threads import twins, use_parallel

from scalinglab.kernels.rhm._sample import _bits53

__all__ = ["datum_keys", "decode_keys", "unseen_tree", "unseen_mass", "sample_unseen", "unseen_log_prob"]


@njit(cache=True)
def datum_keys(y, ranks, m):
    """Mixed-radix key of every datum (class then ranks, node by node); int64 ``(n,)``.

    Serial: 10**6 data of the seed's model take ~10 ms, and a parallel launch cost more than the work for the
    small sets of most calls (2.6 ms per call measured on the shared 2-core machine).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import datum_keys, make_rules, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> _, y, ranks = sample(rules, 2, probs, n=4, seed=1)
    >>> keys = datum_keys(y, ranks, 2)
    >>> keys.dtype, bool((keys < 2 * 2**3).all())      # n_c * m**n_nodes distinct data
    (dtype('int64'), True)
    """
    n, n_nodes = ranks.shape
    out = np.empty(n, dtype=np.int64)
    for a in range(n):
        k = np.int64(y[a])
        for c in range(n_nodes):
            k = k * m + ranks[a, c]
        out[a] = k
    return out


@njit(cache=True)
def decode_keys(keys, m, n_nodes, y, ranks):
    """Inverse of :func:`datum_keys`: fill ``y`` (n,) and ``ranks`` (n, n_nodes).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import datum_keys, decode_keys, make_rules, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> _, y, ranks = sample(rules, 2, probs, n=4, seed=1)
    >>> y2, r2 = np.empty(4, np.int64), np.empty((4, 3), np.int16)
    >>> decode_keys(datum_keys(y, ranks, 2), 2, 3, y2, r2)
    >>> bool((y2 == y).all() and (r2 == ranks).all())
    True
    """
    for a in range(keys.shape[0]):
        k = keys[a]
        for c in range(n_nodes - 1, -1, -1):
            ranks[a, c] = k % m
            k //= m
        y[a] = k


@njit(cache=True)
def _pow(m, e):
    r = np.int64(1)
    for _ in range(e):
        r *= m
    return r


@njit(cache=True)
def unseen_tree(keys, m, n_nodes, node_p):
    """Prefixes of a training set and the unseen fraction of their subtrees.

    Parameters
    ----------
    keys : int64[n]
        Datum keys of the training set, sorted ascending, distinct.
    m, n_nodes : int
        Rules per symbol, derivation nodes.
    node_p : float64[n_nodes, m]
        Rank probabilities of every node (its level's row).

    Returns
    -------
    pref : int64[...]
        The distinct prefixes of depth 0, 1, ..., n_nodes (depth n_nodes: the
        keys), depth by depth, each depth sorted.
    h : float64[...]
        Unseen fraction of each prefix's subtree (0 for a full key).
    offs : int64[n_nodes + 2]
        Depth d occupies ``pref[offs[d]:offs[d+1]]``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import unseen_mass, unseen_tree
    >>> node_p = np.array([[0.75, 0.25]] * 3)         # s = 2, L = 2: 3 nodes, m = 2
    >>> pref, h, offs = unseen_tree(np.array([0], dtype=np.int64), 2, 3, node_p)   # one training datum: key 0
    >>> offs, float(h[0])                   # the root's unseen fraction: 1 - (0.75)**3 of class 0
    (array([0, 1, 2, 3, 4]), 0.578125)
    """
    n = keys.shape[0]
    counts = np.zeros(n_nodes + 1, dtype=np.int64)
    for d in range(n_nodes + 1):
        div = _pow(m, n_nodes - d)
        c = 0
        last = np.int64(-1)
        for a in range(n):
            p = keys[a] // div
            if a == 0 or p != last:
                c += 1
                last = p
        counts[d] = c
    offs = np.zeros(n_nodes + 2, dtype=np.int64)
    for d in range(n_nodes + 1):
        offs[d + 1] = offs[d] + counts[d]
    pref = np.empty(offs[-1], dtype=np.int64)
    h = np.empty(offs[-1], dtype=np.float64)
    base = offs[n_nodes]
    for a in range(n):
        pref[base + a] = keys[a]
        h[base + a] = 0.0
    for d in range(n_nodes - 1, -1, -1):
        lo_c, hi_c = offs[d + 1], offs[d + 2]
        out = offs[d]
        i = lo_c
        while i < hi_c:
            u = pref[i] // m
            tot = 0.0
            r_next = 0  # ranks below r_next are accounted for
            while i < hi_c and pref[i] // m == u:
                r = pref[i] % m
                for t in range(r_next, r):  # absent children: wholly unseen
                    tot += node_p[d, t]
                tot += node_p[d, r] * h[i]
                r_next = r + 1
                i += 1
            for t in range(r_next, m):
                tot += node_p[d, t]
            pref[out] = u
            h[out] = tot
            out += 1
    return pref, h, offs


@njit(cache=True)
def _find(arr, lo, hi, x):
    """Index of ``x`` in the sorted ``arr[lo:hi]``, or -1."""
    a, b = lo, hi
    while a < b:
        mid = (a + b) // 2
        if arr[mid] < x:
            a = mid + 1
        else:
            b = mid
    if a < hi and arr[a] == x:
        return a
    return -1


@njit(cache=True)
def unseen_mass(pref, h, offs, n_c):
    """Probability that a fresh datum is not in the training set: ``(1/n_c) sum_c h(c)`` (h = 1 for absent classes).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import unseen_mass, unseen_tree
    >>> node_p = np.array([[0.75, 0.25]] * 3)
    >>> pref, h, offs = unseen_tree(np.array([0], dtype=np.int64), 2, 3, node_p)
    >>> round(float(unseen_mass(pref, h, offs, 2)), 6), round(1 - 0.75**3 / 2, 6)   # datum 0 has probability 0.75**3 / n_c
    (0.789062, 0.789062)
    """
    tot = 0.0
    lo, hi = offs[0], offs[1]
    for c in range(n_c):
        j = _find(pref, lo, hi, np.int64(c))
        tot += 1.0 if j < 0 else h[j]
    return tot / n_c


@njit(cache=True)
def _choose(w, m, u):
    """Index drawn with probability ``w / sum(w)`` by inverse transform of the uniform ``u``."""
    tot = 0.0
    for r in range(m):
        tot += w[r]
    target = u * tot
    cum = 0.0
    last = -1
    for r in range(m):
        if w[r] > 0.0:
            last = r
            cum += w[r]
            if target < cum:
                return r
    return last  # round-off: the last admissible index


def _sample_unseen(pref, h, offs, node_p, thr, n_c, m, seed, i0, n, y, ranks):
    """Body of :func:`sample_unseen` (compiled parallel and serial)."""
    n_nodes = node_p.shape[0]
    scale = float(n_c) * (1.0 / 9007199254740992.0)
    inv53 = 1.0 / 9007199254740992.0
    for a in prange(n):
        i = i0 + np.uint64(a)
        w = np.empty(max(m, n_c), dtype=np.float64)
        # class
        b0 = _bits53(seed, i, 0)
        lo, hi = offs[0], offs[1]
        cur = np.int64(-1)
        idx = -1
        if hi == lo:
            c = int(b0 * scale)
            if c >= n_c:
                c = n_c - 1
            cur = np.int64(c)
        else:
            for c in range(n_c):
                j = _find(pref, lo, hi, np.int64(c))
                w[c] = 1.0 if j < 0 else h[j]
            cur = np.int64(_choose(w, n_c, b0 * inv53))
            idx = _find(pref, lo, hi, cur)
        y[a] = cur
        for d in range(n_nodes):
            b = _bits53(seed, i, 1 + d)
            r = 0
            if idx < 0:  # nothing of the training set below: the i.i.d. rule
                for t in range(m - 1):
                    r += b >= thr[d, t]
            else:
                clo, chi = offs[d + 1], offs[d + 2]
                any_seen = False
                for t in range(m):
                    j = _find(pref, clo, chi, cur * m + t)
                    if j < 0:
                        w[t] = node_p[d, t]
                    else:
                        w[t] = node_p[d, t] * h[j]
                        any_seen = True
                if any_seen:
                    r = _choose(w, m, b * inv53)
                else:
                    for t in range(m - 1):
                        r += b >= thr[d, t]
            ranks[a, d] = r
            cur = cur * m + r
            if idx >= 0:
                idx = _find(pref, offs[d + 1], offs[d + 2], cur)


def _unseen_log_prob(pref, h, offs, node_p, n_c, keys):
    """Body of :func:`unseen_log_prob` (compiled parallel and serial)."""
    n_nodes, m = node_p.shape
    out = np.empty(keys.shape[0], dtype=np.float64)
    for a in prange(keys.shape[0]):
        w = np.empty(max(m, n_c), dtype=np.float64)
        k = keys[a]
        y = k // _pow(m, n_nodes)
        lo, hi = offs[0], offs[1]
        idx = -1
        if hi == lo:
            lp = -np.log(n_c)
        else:
            tot = 0.0
            for c in range(n_c):
                j = _find(pref, lo, hi, np.int64(c))
                w[c] = 1.0 if j < 0 else h[j]
                tot += w[c]
            lp = np.log(w[y]) - np.log(tot)
            idx = _find(pref, lo, hi, y)
        cur = y
        for d in range(n_nodes):
            r = (k // _pow(m, n_nodes - 1 - d)) % m
            if idx < 0:
                lp += np.log(node_p[d, r])
            else:
                tot = 0.0
                for t in range(m):
                    j = _find(pref, offs[d + 1], offs[d + 2], cur * m + t)
                    w[t] = node_p[d, t] if j < 0 else node_p[d, t] * h[j]
                    tot += w[t]
                lp += np.log(w[r]) - np.log(tot)
            cur = cur * m + r
            if idx >= 0:
                idx = _find(pref, offs[d + 1], offs[d + 2], cur)
        out[a] = lp
    return out


_sample_unseen_par, _sample_unseen_ser = twins(_sample_unseen)
_unseen_log_prob_par, _unseen_log_prob_ser = twins(_unseen_log_prob)
#: Data below which the two run on the calling thread (a datum costs ~1-5 us; issue 22).
_PARALLEL_MIN = 2048


def sample_unseen(pref, h, offs, node_p, thr, n_c, m, seed, i0, n, y, ranks):
    """Draw data ``i0 .. i0+n-1`` of the stream ``seed`` conditioned on not being a training datum.

    ``thr[c, t]`` are the i.i.d. sampler's integer rank thresholds of node c
    (``ceil(cdf * 2**53)``); uniform 0 of a datum draws its class, uniform
    ``1 + c`` the rank of node c, as in the i.i.d. sampler. Fills ``y`` and
    ``ranks``. The caller makes sure the unseen mass is positive.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import sample_unseen, unseen_tree
    >>> from scalinglab.kernels.rhm._sample import _cdfs, _thresholds
    >>> node_p = np.array([[0.75, 0.25]] * 3)
    >>> pref, h, offs = unseen_tree(np.array([0], dtype=np.int64), 2, 3, node_p)
    >>> y, ranks = np.empty(50, np.int64), np.empty((50, 3), np.int16)
    >>> sample_unseen(pref, h, offs, node_p, _thresholds(_cdfs(node_p)), 2, 2, np.uint64(1), np.uint64(0), 50, y, ranks)
    >>> bool(((y == 0) & (ranks == 0).all(1)).any())     # datum 0 (class 0, every rank 0) never drawn
    False
    """
    f = _sample_unseen_par if use_parallel(n, _PARALLEL_MIN) else _sample_unseen_ser
    f(pref, h, offs, node_p, thr, n_c, m, seed, i0, n, y, ranks)


def unseen_log_prob(pref, h, offs, node_p, n_c, keys):
    """Log probability of data (keys) under :func:`sample_unseen`'s law, step by step (its own weights).

    Exact arithmetic would give ``log p(datum) - log unseen_mass`` for data outside the training set
    and ``-inf`` for training data; tests compare it with that brute-force value.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import unseen_log_prob, unseen_tree
    >>> node_p = np.array([[0.75, 0.25]] * 3)
    >>> pref, h, offs = unseen_tree(np.array([0], dtype=np.int64), 2, 3, node_p)
    >>> lp = unseen_log_prob(pref, h, offs, node_p, 2, np.array([0, 1], dtype=np.int64))
    >>> float(lp[0]), round(float(lp[1]), 6), round(float(np.log(0.75**2 * 0.25 / 2 / (1 - 0.75**3 / 2))), 6)
    (-inf, -2.417896, -2.417896)
    """
    f = _unseen_log_prob_par if use_parallel(keys.shape[0], _PARALLEL_MIN) else _unseen_log_prob_ser
    return f(pref, h, offs, node_p, n_c, keys)
