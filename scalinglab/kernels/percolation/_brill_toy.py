"""Numba kernels of Brill's toy experiment (plain arrays in, arrays out).

* :func:`grow_brill_clusters` -- breadth-first growth of Bethe-lattice
  clusters from a seed site (the seed draws ``Binomial(n_children, p)`` plus
  one ``Bernoulli(p)``, every other site ``Binomial(n_children, p)``), kept
  when ``s_min <= s <= s_max``, with a Gaussian random walk along the tree
  (``child = parent + N(0, 1)``) standardised within each cluster.
* :func:`tree_nearest` -- exact nearest *marked* site by tree distance for a
  set of query sites, in time proportional to the union of the marked sites'
  root paths plus ``sum_u min(depth(u), dist(u))`` -- never more than
  ``O(s + n_query * depth)``, usually far less (see below).
* :func:`brill_cluster_losses` -- one evaluation of his regressor on every
  cluster: random test and training sites, nearest training site, Bayesian
  shrinkage ``value/(1 + l/sqrt(s))``, squared error summed per cluster.

Nearest marked site on a rooted tree whose sites are numbered in BFS order
(every parent before its children, depth non-decreasing with the index):

1. For each training site ``v`` in increasing index (= increasing depth),
   climb from ``v`` towards the root writing ``up[a] = v`` on every ancestor
   ``a`` not yet written, and stop at the first written one. Then ``up[a]`` is
   the shallowest training site in the subtree of ``a`` (ties: the smallest
   index), and each site is written at most once.
2. For a query ``u`` with ancestors ``a_0 = u, a_1, ...``: the distance to
   ``up[a_j]`` through ``a_j`` is ``j + depth(up[a_j]) - depth(a_j)``, an upper
   bound of the true distance that is exact when ``a_j`` is the lowest common
   ancestor; the minimum over ``j`` is therefore the exact nearest distance.
   The climb stops once ``j`` reaches the best distance found.

Brill's own search (repeated ancestor climbing of all training and test sites
with a sort and a binary search per level) costs ``O(s^(3/2) log s)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["grow_brill_clusters", "tree_nearest", "brill_cluster_losses", "tree_depths"]


@njit(cache=True)
def _binom_cdf(n, p):
    """CDF of Binomial(n, p) at 0..n, by the pmf recurrence in float64 (last entry forced to 1)."""
    cdf = np.empty(n + 1, dtype=np.float64)
    lp = n * math.log1p(-p) if p < 1 else -np.inf
    pmf = math.exp(lp)
    acc = 0.0
    for k in range(n + 1):
        acc += pmf
        cdf[k] = acc
        if k < n:
            pmf *= (n - k) / (k + 1) * p / (1 - p) if p < 1 else 0.0
    cdf[n] = 1.0
    return cdf


@njit(cache=True)
def _binom_table(cdf):
    """Binomial draw by inversion of a tabulated CDF (a linear scan: the mean is ~1 here)."""
    u = np.random.random()
    k = 0
    while u >= cdf[k]:
        k += 1
    return k


@njit(cache=True)
def _grow_one(scratch, cdf, p, s_max):
    """BFS growth into ``scratch`` (local parent indices), enlarged as needed.

    Returns ``(scratch, size)``; ``size = s_max + 1`` if growth went beyond ``s_max``.
    """
    scratch[0] = -1
    total = 1
    head = 0
    while head < total:
        k = _binom_table(cdf)
        if head == 0:
            k += 1 if np.random.random() < p else 0
        if total + k > s_max:
            return scratch, s_max + 1
        if total + k > scratch.size:
            nb = np.empty(min(max(2 * scratch.size, total + k), s_max + 1), dtype=np.int32)
            nb[:total] = scratch[:total]
            scratch = nb
        for j in range(k):
            scratch[total + j] = head
        total += k
        head += 1
    return scratch, total


@njit(cache=True)
def grow_brill_clusters(n_keep, n_children, p, s_min, s_max, seed, max_attempts):
    """Grow clusters until ``n_keep`` of them have ``s_min <= s <= s_max`` sites.

    Parameters
    ----------
    n_keep : int
        Number of clusters to keep.
    n_children : int
        ``z - 1`` (the seed site gets one extra Bernoulli(p) slot).
    p : float
        Occupation probability.
    s_min, s_max : int
        Size window; a cluster whose growth exceeds ``s_max`` is abandoned.
    seed : int
        Seed of Numba's generator.
    max_attempts : int
        Give up after this many grown clusters (returns what was kept).

    Returns
    -------
    parent : int32 array (S,)
        Concatenated local parent indices (``-1`` at each cluster's seed);
        within a cluster, sites are in BFS order.
    depth : int32 array (S,)
        Tree distance to the cluster's seed.
    value : float64 array (S,)
        Random-walk target, standardised (mean 0, variance 1) per cluster.
    offsets : int64 array (K + 1,)
        Cluster ``c`` is ``offsets[c]:offsets[c+1]`` (in order of growth).
    counts : int64 array (4,)
        Clusters grown below ``s_min``, above ``s_max``, attempts made, and
        sites grown in all (kept or not).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import grow_brill_clusters
    >>> parent, depth, value, offsets, counts = grow_brill_clusters(5, 2, 0.45, 10, 1000, 0, 10**5)
    >>> sizes = np.diff(offsets)
    >>> len(sizes), bool(((sizes >= 10) & (sizes <= 1000)).all()), round(float(value[:sizes[0]].std()), 6)
    (5, True, 1.0)
    """
    np.random.seed(seed)
    cdf = _binom_cdf(n_children, p)
    scratch = np.empty(1024, dtype=np.int32)
    parent = np.empty(1 << 20, dtype=np.int32)
    offsets = np.zeros(n_keep + 1, dtype=np.int64)
    total = 0
    kept = 0
    n_small = 0
    n_large = 0
    attempts = 0
    grown = 0
    while kept < n_keep and attempts < max_attempts:
        attempts += 1
        scratch, size = _grow_one(scratch, cdf, p, s_max)
        grown += min(size, s_max)
        if size > s_max:
            n_large += 1
            continue
        if size < s_min:
            n_small += 1
            continue
        if total + size > parent.size:
            newcap = parent.size
            while newcap < total + size:
                newcap *= 2
            nb = np.empty(newcap, dtype=np.int32)
            nb[:total] = parent[:total]
            parent = nb
        parent[total:total + size] = scratch[:size]
        total += size
        kept += 1
        offsets[kept] = total
    parent = parent[:total].copy()
    depth = np.empty(total, dtype=np.int32)
    value = np.empty(total, dtype=np.float64)
    for c in range(kept):
        a = offsets[c]
        b = offsets[c + 1]
        s = b - a
        depth[a] = 0
        value[a] = 0.0
        for i in range(a + 1, b):
            q = a + parent[i]
            depth[i] = depth[q] + 1
            value[i] = value[q] + np.random.standard_normal()
        m = 0.0
        for i in range(a, b):
            m += value[i]
        m /= s
        v = 0.0
        for i in range(a, b):
            value[i] -= m
            v += value[i] * value[i]
        sd = math.sqrt(v / s)
        if sd > 0:
            for i in range(a, b):
                value[i] /= sd
    counts = np.empty(4, dtype=np.int64)
    counts[0] = n_small
    counts[1] = n_large
    counts[2] = attempts
    counts[3] = grown
    return parent, depth, value, offsets[:kept + 1].copy(), counts


@njit(cache=True)
def tree_depths(parent):
    """Depth of every site of a tree in BFS order (``parent[i] < i``, ``-1`` at the root).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import tree_depths
    >>> tree_depths(np.array([-1, 0, 0, 1, 3]))
    array([0, 1, 1, 2, 3], dtype=int32)
    """
    n = parent.size
    depth = np.empty(n, dtype=np.int32)
    for i in range(n):
        q = parent[i]
        depth[i] = 0 if q < 0 else depth[q] + 1
    return depth


_INF = np.int64(1) << np.int64(62)  # "unset" key (any real key is depth/dist << 32 | index < 2^62)
_SHIFT = np.int64(32)
_LOW = (np.int64(1) << np.int64(32)) - np.int64(1)


@njit(cache=True)
def _nearest_into(parent, depth, train, queries, up, touched, dist_out, arg_out):
    """Core of :func:`tree_nearest` (method 0) on caller-owned workspaces.

    ``up`` (int64, all ``_INF`` on entry and exit) holds packed keys
    ``depth(w) << 32 | w`` of the best training site ``w`` below each site, so
    comparing keys compares (depth, index); a query at depth ``du`` that has
    climbed ``j`` steps reads the candidate distance ``2 j + depth(w) - du``
    without touching ``depth`` again.
    """
    nt = 0
    for t in range(train.size):
        a = train[t]
        key = (np.int64(depth[a]) << _SHIFT) | np.int64(a)
        while a >= 0 and up[a] == _INF:
            up[a] = key
            touched[nt] = a
            nt += 1
            a = parent[a]
    for qi in range(queries.size):
        u = queries[qi]
        du = np.int64(depth[u])
        best = np.int64(2147483647)
        arg = np.int64(-1)
        a = u
        j = np.int64(0)
        while a >= 0 and j <= best:  # j == best: the ancestor itself may tie
            w = up[a]
            if w != _INF:
                cand = 2 * j + (w >> _SHIFT) - du
                idx = w & _LOW
                if cand < best or (cand == best and idx < arg):
                    best = cand
                    arg = idx
            a = parent[a]
            j += 1
        dist_out[qi] = best
        arg_out[qi] = arg
    for i in range(nt):
        up[touched[i]] = _INF


@njit(cache=True)
def _nearest_dp(parent, train, queries, bd, dist_out, arg_out):
    """Nearest training site of *every* site by two sweeps (``O(s)``), read at the queries.

    ``bd`` holds packed keys ``dist << 32 | index`` (so the minimum is the
    smallest distance, then the smallest index). Sweep 1 (children to parents,
    reverse BFS order) takes the best site in each subtree, sweep 2 (parents to
    children) combines it with the best through the parent. ``bd`` is all
    ``_INF`` on entry and left so.
    """
    s = parent.size
    one = np.int64(1) << _SHIFT
    for t in range(train.size):
        bd[train[t]] = np.int64(train[t])
    # min() with an unconditional store, not a branch: with many training sites the branch is unpredictable
    # (1.87e6 sites, 10 % training: 13.9 ms -> 2.8 ms; 0.1 %: 3.3 -> 2.6 ms; issue 22)
    for i in range(s - 1, 0, -1):
        p = parent[i]
        bd[p] = min(bd[i] + one, bd[p])
    for i in range(1, s):
        bd[i] = min(bd[parent[i]] + one, bd[i])
    for qi in range(queries.size):
        w = bd[queries[qi]]
        dist_out[qi] = w >> _SHIFT
        arg_out[qi] = w & _LOW
    for i in range(s):
        bd[i] = _INF


#: Cost model of :func:`tree_nearest`'s two methods, in seconds, fitted by ``benchmarks/bench_nearest_method.py``
#: to both methods timed on 350 cases (critical clusters of 1.4e3-3.1e6 sites, 0.03-30 % training, 0.03-20 %
#: test; ``results/reference/kernel-bench/nearest-method.json``, checked by ``tests/test_brill_toy.py``).
#: Sweeps ``a s + b n_test + c``; climb ``exp(a0) s^a1 n_train^a2 + exp(b0) n_test s^b1 n_train^b2 + exp(c0)``.
#: Regret of the pick (its time over the faster method's): mean 1.014, max 1.45; the rule
#: it replaces (``30 sqrt(n_train s) + 40 n_test sqrt(s / n_train) > s``: sweeps) 1.202 and 3.19.
_NN_SWEEP = (1.5007928163617492e-09, 1.4055205493111747e-09, 1.5766130462995375e-06)
_NN_CLIMB = (-27.185372003547855, 1.5055554560178626, 0.08419738357989748,
             -25.595685973650223, 1.1501917799384138, -0.5198981524689013,
             -12.5760888949991)


@njit(cache=True)
def _nearest_method(s, n_train, n_queries):
    """``0`` (climb) where the fitted cost model expects climbing to be faster than the sweeps, else ``1``."""
    if n_train <= 0:
        return 1
    a, b, c = _NN_SWEEP
    a0, a1, a2, b0, b1, b2, c0 = _NN_CLIMB
    ls = math.log(s)
    lr = math.log(n_train)
    sweep = a * s + b * n_queries + c
    climb = math.exp(a0 + a1 * ls + a2 * lr) + n_queries * math.exp(b0 + b1 * ls + b2 * lr) + math.exp(c0)
    return 0 if climb < sweep else 1


def tree_nearest(parent, depth, train, queries, method=-1):
    """Exact nearest training site (tree distance) of each query site.

    Parameters
    ----------
    parent : int32/int64 array (s,)
        Parent of each site, ``parent[i] < i`` (BFS order), ``-1`` at the root.
    depth : int32 array (s,)
        Distance to the root (:func:`tree_depths`).
    train : int array (m,)
        Training sites, **sorted ascending**, ``m >= 1``.
    queries : int array (q,)
        Query sites.
    method : int
        0: climb from the training sites and the queries (:func:`_nearest_into`);
        1: two sweeps over the whole tree (:func:`_nearest_dp`); -1 (default): the one
        :func:`_nearest_method` expects to be faster (the answers are identical).

    Returns
    -------
    dist : int64 array (q,)
        Tree distance to the nearest training site.
    nearest : int64 array (q,)
        The nearest training site; among equally near ones the smallest index
        (both methods).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import tree_depths, tree_nearest
    >>> parent = np.array([-1, 0, 0, 1, 3])           # a path 4-3-1-0-2
    >>> depth = tree_depths(parent).astype(np.int32)
    >>> tree_nearest(parent, depth, np.array([2, 4]), np.array([0, 1, 3]))   # (distances, nearest sites)
    (array([1, 2, 1]), array([2, 2, 4]))
    """
    parent = np.asarray(parent)
    train = np.asarray(train)
    queries = np.asarray(queries)
    n = parent.size
    up = np.full(n, _INF, dtype=np.int64)  # made by numpy: huge pages, where Numba's allocator page-faults
    dist = np.empty(queries.size, dtype=np.int64)
    arg = np.empty(queries.size, dtype=np.int64)
    if method < 0:
        method = _nearest_method(n, train.size, queries.size)
    if method == 0:
        _nearest_into(parent, depth, train, queries, up, np.empty(n, dtype=np.int64), dist, arg)
    else:
        _nearest_dp(parent, train, queries, up, dist, arg)
    return dist, arg


@njit(cache=True)
def _draw_distinct(s, k, mark, code, out, start):
    """Draw ``k`` distinct unmarked sites of ``0..s-1`` by rejection; mark them ``code``, store in ``out``."""
    got = 0
    while got < k:
        i = np.random.randint(0, s)
        if mark[i] == 0:
            mark[i] = code
            out[start + got] = i
            got += 1


@njit(cache=True)
def brill_cluster_losses(parent, depth, value, starts, sizes, q_train, n_test, seed):
    """One evaluation of Brill's regressor on every cluster.

    For cluster ``c`` of ``s`` sites: ``n_test[c]`` test sites drawn uniformly
    without replacement; ``n_train ~ Binomial(s - n_test[c], q_train[c])``
    training sites drawn uniformly from the rest; each test site ``u`` is
    predicted by its nearest training site ``v`` (tree distance ``l``) as
    ``value[v]/(1 + l/sqrt(s))``, or 0 when the cluster has no training site.

    Parameters
    ----------
    parent, depth, value : arrays
        As returned by :func:`grow_brill_clusters` (parents local to each cluster).
    starts, sizes : int64 arrays (K,)
        Cluster ``c`` is ``starts[c]:starts[c] + sizes[c]`` (any order, e.g.
        ranked by size without moving the site arrays).
    q_train : float64 array (K,)
        Binomial probability of a non-test site being a training site (in [0, 1]).
    n_test : int64 array (K,)
        Number of test sites per cluster (``<= s``).
    seed : int
        Seed of Numba's generator.

    Returns
    -------
    sse : float64 array (K,)
        Sum of squared errors over each cluster's test sites.
    n_train : int64 array (K,)
        Training sites drawn.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import brill_cluster_losses, grow_brill_clusters
    >>> parent, depth, value, offsets, _ = grow_brill_clusters(3, 2, 0.45, 20, 500, 0, 10**5)
    >>> starts, sizes = offsets[:-1], np.diff(offsets)
    >>> sse, n_train = brill_cluster_losses(parent, depth, value, starts, sizes, np.full(3, 0.5), np.full(3, 5), 1)
    >>> sse.shape, bool((n_train <= sizes - 5).all())
    ((3,), True)
    """
    np.random.seed(seed)
    K = starts.size
    smax = 0
    for c in range(K):
        smax = max(smax, sizes[c])
    mark = np.zeros(smax, dtype=np.int8)
    up = np.full(smax, _INF, dtype=np.int64)
    touched = np.empty(smax, dtype=np.int64)
    picks = np.empty(smax, dtype=np.int64)
    sse = np.zeros(K, dtype=np.float64)
    ntr_out = np.zeros(K, dtype=np.int64)
    for c in range(K):
        a = starts[c]
        s = sizes[c]
        nte = n_test[c]
        q = min(max(q_train[c], 0.0), 1.0)
        m = s - nte
        ntr = np.random.binomial(m, q) if m > 0 else 0
        ntr_out[c] = ntr
        if nte == 0:
            continue
        _draw_distinct(s, nte, mark, 2, picks, 0)
        test = picks[:nte].copy()
        if ntr == 0:
            for i in range(nte):
                y = value[a + test[i]]
                sse[c] += y * y
            for i in range(nte):
                mark[test[i]] = 0
            continue
        if 2 * ntr <= m:
            _draw_distinct(s, ntr, mark, 1, picks, 0)
            train = np.sort(picks[:ntr])
        else:  # mark every free site as training, then free m - ntr of them at random
            for i in range(s):
                if mark[i] == 0:
                    mark[i] = 1
            drop = m - ntr
            got = 0
            while got < drop:
                i = np.random.randint(0, s)
                if mark[i] == 1:
                    mark[i] = 0
                    got += 1
            train = np.empty(ntr, dtype=np.int64)
            t = 0
            for i in range(s):
                if mark[i] == 1:
                    train[t] = i
                    t += 1
        par = parent[a:a + s]
        dep = depth[a:a + s]
        dist = np.empty(nte, dtype=np.int64)
        arg = np.empty(nte, dtype=np.int64)
        # the method the cost model (_NN_SWEEP, _NN_CLIMB) expects to be faster; both give the same answer
        if _nearest_method(s, ntr, nte) == 1:
            _nearest_dp(par, train, test, up, dist, arg)
        else:
            _nearest_into(par, dep, train, test, up, touched, dist, arg)
        rs = math.sqrt(s)
        for i in range(nte):
            pred = value[a + arg[i]] / (1.0 + dist[i] / rs)
            err = pred - value[a + test[i]]
            sse[c] += err * err
        for i in range(nte):
            mark[test[i]] = 0
        for i in range(ntr):
            mark[train[i]] = 0
    return sse, ntr_out
