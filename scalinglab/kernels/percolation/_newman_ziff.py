"""Newman-Ziff sweeps on periodic hypercubic lattices (plain arrays in, arrays out).

One sample adds the sites (site percolation) or bonds (bond percolation) of
an ``L^d`` torus in a random order and keeps the clusters in a union-find
forest (union by size, path compression) -- the same structure as
:func:`scalinglab.kernels.percolation.label_clusters`, extended by the
*unwrapped displacement* of every site to its parent (Machta et al.): when a
new bond joins two sites of one cluster whose displacements to the root
disagree, the cluster wraps around the torus, in every direction where they
differ. After every addition ``n = 0..M`` the kernel adds, over samples,

* ``s_max(n)`` and ``s_max(n)^2`` (largest cluster: ``P_inf = s_max/N``),
* ``sum_clusters s^2`` (mean cluster size ``chi = (sum s^2 - s_max^2)/N``),

and records, per sample, the first ``n`` at which some cluster wraps in
direction 0 (``n_x``), in any direction (``n_any``) and in all ``d``
directions (``n_all``). At the snapshot ``n_snap`` it adds the histogram of
cluster sizes and records ``s_max``. The canonical (fixed-``p``) curves are
the binomial convolutions of these microcanonical ones (Newman & Ziff 2001),
done in :mod:`scalinglab.theory.percolation._lattice`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = ["newman_ziff"]


@njit(cache=True, inline="always")
def _find(par, off, i, d, disp):
    """Root of ``i`` with path halving; ``disp[:] = x(root) - x(i)`` (unwrapped).

    Halving keeps ``off`` consistent: when ``a`` is re-pointed to its grandparent,
    its offset absorbs its parent's.
    Inlined: as a called function the array arguments cost ~5x (measured).
    """
    for t in range(d):
        disp[t] = 0
    a = i
    while par[a] != a:
        p = par[a]
        g = par[p]
        if g != p:
            for t in range(d):
                off[a * d + t] += off[p * d + t]
            par[a] = g
        for t in range(d):
            disp[t] += off[a * d + t]
        a = par[a]
    return a


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0


@njit(cache=True, inline="always")
def _mix64(z):
    """splitmix64's output function."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _random_order(M, seed, smp, out):
    """``out[:M]`` = a uniform random permutation of ``0..M-1``, sample ``smp`` of stream ``seed``.

    Fisher-Yates on a splitmix64 stream keyed by ``(seed, smp)`` (so a sample's order does not depend on
    the samples before it), ``j = floor(u * (i + 1))`` with a 53-bit ``u`` (bias below ``M / 2**53``).
    Replaces ``np.random.permutation``, which took 28-49 ns an item, a third of the sweep (issue 22).
    """
    for i in range(M):
        out[i] = i
    st = _mix64(np.uint64(seed) * _GOLDEN + _mix64(np.uint64(smp) + _GOLDEN))
    for i in range(M - 1, 0, -1):
        st += _GOLDEN
        u = float(_mix64(st) >> np.uint64(11)) * _INV53
        j = int(u * (i + 1))
        t = out[i]
        out[i] = out[j]
        out[j] = t


@njit(cache=True)
def _lattice_tables(d, L):
    """``(N, strides, nb)``: sites, C-order strides and the periodic neighbour table of the ``L^d`` torus."""
    N = 1
    for _ in range(d):
        N *= L
    strides = np.empty(d, dtype=np.int64)
    acc = 1
    for k in range(d - 1, -1, -1):
        strides[k] = acc
        acc *= L
    # neighbour table (periodic): nb[(i * d + k) * 2 + 0/1] = i -/+ e_k; saves 2 divisions a lookup
    nb = np.empty(N * d * 2, dtype=np.int32)
    for i in range(N):
        for k in range(d):
            c = (i // strides[k]) % L
            nb[(i * d + k) * 2] = i - strides[k] if c > 0 else i + (L - 1) * strides[k]
            nb[(i * d + k) * 2 + 1] = i + strides[k] if c < L - 1 else i - (L - 1) * strides[k]
    return N, strides, nb


@njit(cache=True)
def _sweeps(d, L, bond, s0, s1, seed, n_snap, hist_max, n_max, orders, N, strides, nb, smax_sum, smax2_sum,
            s2_sum, n_wrap, hist, smax_snap):
    """Samples ``s0 .. s1-1`` with their own union-find state, added into the given sums."""
    M = d * N if bond else N
    full = (1 << d) - 1
    # int32 state (4 bytes a site and direction): the random access order makes this memory-bound
    par = np.empty(N, dtype=np.int32)
    off = np.zeros(N * d, dtype=np.int32)
    size = np.ones(N, dtype=np.int32)
    mask = np.zeros(N, dtype=np.int32)
    occ = np.zeros(N, dtype=np.bool_)
    di = np.empty(d, dtype=np.int64)
    dj = np.empty(d, dtype=np.int64)
    state = np.zeros(2, dtype=np.int64)
    own = np.empty(M if orders.shape[0] == 0 else 0, dtype=np.int64)
    for smp in range(s0, s1):
        for i in range(N):
            par[i] = i
            size[i] = 1
            mask[i] = 0
            occ[i] = bond
        for t in range(N * d):
            off[t] = 0
        state[0] = N if bond else 0
        state[1] = 1 if bond else 0
        if orders.shape[0] > 0:
            order = orders[smp]
        else:
            _random_order(M, seed, smp, own)
            order = own
        n_stop = min(n_max, M)
        wx = M + 1
        wany = M + 1
        wall = M + 1
        for n in range(n_stop + 1):
            if n > 0:
                item = order[n - 1]
                if bond:
                    i = item // d
                    n_pairs = 1
                else:
                    i = item
                    occ[i] = True
                    state[0] += 1
                    if state[1] < 1:
                        state[1] = 1
                    n_pairs = 2 * d
                for q in range(n_pairs):
                    # the bond i -> j = i + step e_k (unwrapped); the union step is written out here:
                    # called as a function (even inlined by Numba) it ran 5x slower (measured)
                    if bond:
                        k = item - i * d
                        j = nb[item * 2 + 1]
                        step = 1
                    else:
                        k = q >> 1
                        j = nb[(i * d + k) * 2 + (q & 1)]
                        if not occ[j]:
                            continue
                        step = 2 * (q & 1) - 1
                    ri = _find(par, off, i, d, di)
                    rj = _find(par, off, j, d, dj)
                    dj[k] += step  # now x(rj) - x(i) = dj
                    changed = -1
                    if ri == rj:
                        m = 0
                        for t in range(d):
                            if di[t] != dj[t]:
                                m |= 1 << t
                        if m != 0 and (mask[ri] | m) != mask[ri]:
                            mask[ri] |= m
                            changed = ri
                    else:
                        si = np.int64(size[ri])
                        sj = np.int64(size[rj])
                        if si >= sj:
                            big = ri
                            small = rj
                            for t in range(d):  # x(ri) - x(rj)
                                off[rj * d + t] = di[t] - dj[t]
                        else:
                            big = rj
                            small = ri
                            for t in range(d):
                                off[ri * d + t] = dj[t] - di[t]
                        par[small] = big
                        size[big] = si + sj
                        state[0] += 2 * si * sj
                        if si + sj > state[1]:
                            state[1] = si + sj
                        if mask[small] != 0 and (mask[big] | mask[small]) != mask[big]:
                            changed = big
                        mask[big] |= mask[small]
                    if changed >= 0:
                        mk = mask[changed]
                        if wx > M and (mk & 1):
                            wx = n
                        if wany > M:
                            wany = n
                        if wall > M and mk == full:
                            wall = n
            sm = state[1]
            smax_sum[n] += sm
            smax2_sum[n] += sm * sm
            s2_sum[n] += state[0]
            if n == n_snap:
                smax_snap[smp] = sm
                for i in range(N):
                    if occ[i] and par[i] == i and size[i] <= hist_max:
                        hist[size[i]] += 1
        n_wrap[smp, 0] = wx
        n_wrap[smp, 1] = wany
        n_wrap[smp, 2] = wall


@njit(cache=True)
def _newman_ziff_serial(d, L, bond, n_samples, seed, n_snap, hist_max, n_max, orders):
    N, strides, nb = _lattice_tables(d, L)
    M = d * N if bond else N
    smax_sum = np.zeros(M + 1)
    smax2_sum = np.zeros(M + 1)
    s2_sum = np.zeros(M + 1)
    n_wrap = np.full((n_samples, 3), M + 1, dtype=np.int64)
    hist = np.zeros(hist_max + 1, dtype=np.int64)
    smax_snap = np.zeros(n_samples, dtype=np.int64)
    _sweeps(d, L, bond, 0, n_samples, seed, n_snap, hist_max, n_max, orders, N, strides, nb, smax_sum, smax2_sum,
            s2_sum, n_wrap, hist, smax_snap)
    return smax_sum, smax2_sum, s2_sum, n_wrap, hist, smax_snap


@njit(cache=True, parallel=True)
def _newman_ziff_parallel(d, L, bond, n_samples, seed, n_snap, hist_max, n_max, orders, nt):
    """The samples split into ``nt`` contiguous ranges, one union-find state and one set of sums each, the sums
    added in range order: the same numbers as the serial sweep while the sums stay below 2**53 (they add
    integers)."""
    N, strides, nb = _lattice_tables(d, L)
    M = d * N if bond else N
    sums = np.zeros((nt, 3, M + 1))
    hists = np.zeros((nt, hist_max + 1), dtype=np.int64)
    n_wrap = np.full((n_samples, 3), M + 1, dtype=np.int64)
    smax_snap = np.zeros(n_samples, dtype=np.int64)
    for t in prange(nt):
        _sweeps(d, L, bond, t * n_samples // nt, (t + 1) * n_samples // nt, seed, n_snap, hist_max, n_max, orders,
                N, strides, nb, sums[t, 0], sums[t, 1], sums[t, 2], n_wrap, hists[t], smax_snap)
    out = sums[0].copy()
    hist = hists[0].copy()
    for t in range(1, nt):
        for k in range(3):
            for n in range(M + 1):
                out[k, n] += sums[t, k, n]
        for h in range(hist_max + 1):
            hist[h] += hists[t, h]
    return out[0], out[1], out[2], n_wrap, hist, smax_snap


#: Additions (samples x M) from which the samples run in parallel, one range per thread (each thread holds its
#: own lattice state and sums: memory x threads).
PARALLEL_MIN_ADDITIONS = 2_000_000


def newman_ziff(d, L, bond, n_samples, seed, n_snap, hist_max, n_max, orders):
    """Newman-Ziff sweeps of ``n_samples`` samples on the periodic ``L^d`` lattice.

    Parameters
    ----------
    d : int
        Dimension (>= 1).
    L : int
        Linear size (>= 3, so that the two neighbours along an axis differ).
    bond : bool
        Bond percolation (all sites present, bonds added) instead of site.
    n_samples : int
        Independent samples (orders).
    seed : int
        Seed of the orders (sample ``k`` adds in the order :func:`_random_order` draws for ``(seed, k)``;
        before issue 22 one ``np.random.permutation`` stream per call: other orders, the same law).
    n_snap : int
        Number of additions at which the cluster-size histogram is taken
        (``-1``: none).
    hist_max : int
        Sizes ``> hist_max`` are not histogrammed (still counted in ``s_max``).
    n_max : int
        Stop each sample after ``n_max`` additions (``<= M``); entries beyond
        stay 0 and wrapping first seen later is recorded as ``M + 1``.

    Returns
    -------
    smax_sum, smax2_sum, s2_sum : float64 arrays (M + 1,)
        Sums over samples of ``s_max(n)``, ``s_max(n)^2`` and ``sum s^2`` after
        ``n`` additions (``M = L^d`` sites or ``d L^d`` bonds).
    n_wrap : int64 array (n_samples, 3)
        First ``n`` with a cluster wrapping in direction 0 / any direction /
        all directions (``M + 1`` if never).
    hist : int64 array (hist_max + 1,)
        Cluster sizes at ``n_snap`` summed over samples.
    smax_snap : int64 array (n_samples,)
        Largest cluster at ``n_snap``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import newman_ziff
    >>> out = newman_ziff(2, 8, False, 10, 0, 38, 64, 64, np.zeros((0, 0), dtype=np.int64))   # 2-d site, L = 8
    >>> smax_sum, n_wrap, hist = out[0], out[3], out[4]
    >>> float(smax_sum[-1] / 10), n_wrap.shape, int((np.arange(65) * hist).sum()) // 10   # all 64 sites: one cluster; 38 occupied at the snapshot
    (64.0, (10, 3), 38)
    """
    nt = min(numba.get_num_threads(), int(n_samples))
    M = d * int(L) ** d if bond else int(L) ** d
    if nt > 1 and int(n_samples) * M >= PARALLEL_MIN_ADDITIONS:
        return _newman_ziff_parallel(d, L, bond, n_samples, seed, n_snap, hist_max, n_max, orders, nt)
    return _newman_ziff_serial(d, L, bond, n_samples, seed, n_snap, hist_max, n_max, orders)
