"""Numba kernels for percolation clusters (plain arrays in, arrays out).

* :func:`bethe_cluster_sizes` -- Leath growth on the Bethe lattice: the size
  of the cluster grown from an occupied seed (law ``s n_s / p``), with a cap.
* :func:`bethe_forest` -- the same growth, keeping the tree (BFS parent array).
* :func:`embed_tree` -- positions of a tree embedded by a random walk
  (``x[child] = x[parent] + step[child]``).
* :func:`label_clusters` -- union-find labelling of an occupied d-dimensional
  hypercubic array (nearest-neighbour connectivity, free boundaries); labels are
  ``1..K`` in raster order of each cluster's first site (as ``scipy.ndimage.label``).

Randomness: each sampling kernel takes an integer ``seed`` and seeds Numba's
own generator, so results are reproducible for a given seed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bethe_cluster_sizes", "bethe_forest", "embed_tree", "label_clusters"]


@njit(cache=True)
def bethe_cluster_sizes(n, p, z, cap, seed):
    """Sizes of ``n`` independent Leath-grown clusters on the Bethe lattice.

    The seed site has ``z`` empty neighbour slots, every other occupied site
    ``z - 1``; each slot is occupied with probability ``p`` (a Galton-Watson
    process with Binomial offspring). Growth stops at ``cap`` sites.

    Parameters
    ----------
    n : int
        Number of clusters.
    p : float
        Occupation probability.
    z : int
        Coordination number (>= 3).
    cap : int
        Size cap (>= 1); a returned size equal to ``cap`` means ``>= cap``.
    seed : int
        Seed of Numba's generator.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    np.random.seed(seed)
    out = np.empty(n, dtype=np.int64)
    for c in range(n):
        size = 1
        # pending = number of grown sites whose neighbour slots are not yet examined
        first = True
        pending = 1
        while pending > 0 and size < cap:
            pending -= 1
            slots = z if first else z - 1
            first = False
            k = np.random.binomial(slots, p)
            size += k
            pending += k
        out[c] = min(size, cap)
    return out


@njit(cache=True)
def bethe_forest(n, p, z, cap, seed):
    """Grow ``n`` clusters and return their trees.

    Returns
    -------
    parent : numpy.ndarray of int64
        Concatenated BFS parent arrays; ``parent[i]`` is a *global* index
        (``-1`` for each cluster's seed). Sites of a cluster are contiguous and
        every parent precedes its children.
    offsets : numpy.ndarray of int64, shape (n + 1,)
        Cluster ``c`` occupies ``offsets[c]:offsets[c+1]``.
    capped : numpy.ndarray of bool, shape (n,)
        Whether growth stopped at ``cap`` (with unexplored occupied sites).
    """
    np.random.seed(seed)
    offsets = np.zeros(n + 1, dtype=np.int64)
    capped = np.zeros(n, dtype=np.bool_)
    buf = np.empty(1024, dtype=np.int64)
    total = 0
    for c in range(n):
        start = total
        if total + 1 > buf.size:
            nb = np.empty(2 * buf.size, dtype=np.int64)
            nb[:total] = buf[:total]
            buf = nb
        buf[total] = -1
        total += 1
        head = start  # next site whose slots are examined (BFS queue = the array itself)
        while head < total:
            if total - start >= cap:
                capped[c] = True
                break
            slots = z if head == start else z - 1
            k = np.random.binomial(slots, p)
            if total - start + k > cap:
                k = cap - (total - start)
                capped[c] = True
            if total + k > buf.size:
                nb = np.empty(2 * (total + k), dtype=np.int64)
                nb[:total] = buf[:total]
                buf = nb
            for j in range(k):
                buf[total + j] = head
            total += k
            head += 1
        offsets[c + 1] = total
    return buf[:total].copy(), offsets, capped


@njit(cache=True)
def embed_tree(parent, steps):
    """Random-walk embedding: ``x[i] = x[parent[i]] + steps[i]`` (``x[root] = steps[root]``).

    Parameters
    ----------
    parent : int64 array (n,)
        Parent indices, each smaller than its child's index; ``-1`` for roots.
    steps : float64 array (n, d)

    Returns
    -------
    float64 array (n, d)
    """
    n, d = steps.shape
    x = np.empty((n, d), dtype=np.float64)
    for i in range(n):
        q = parent[i]
        if q < 0:
            for k in range(d):
                x[i, k] = steps[i, k]
        else:
            for k in range(d):
                x[i, k] = x[q, k] + steps[i, k]
    return x


@njit(cache=True)
def _find(par, i):
    while par[i] != i:
        par[i] = par[par[i]]  # path halving
        i = par[i]
    return i


@njit(cache=True)
def label_clusters(occ, shape):
    """Label the nearest-neighbour clusters of a flattened occupied array.

    Parameters
    ----------
    occ : bool array (N,)
        C-order flattening of a ``shape`` array; ``True`` = occupied.
    shape : int64 array (d,)

    Returns
    -------
    labels : int64 array (N,)
        ``0`` on empty sites, ``1..K`` on clusters, numbered in order of their
        first site in C (raster) order.
    n_clusters : int
    """
    d = shape.size
    N = occ.size
    strides = np.empty(d, dtype=np.int64)
    acc = 1
    for k in range(d - 1, -1, -1):
        strides[k] = acc
        acc *= shape[k]
    par = np.empty(N, dtype=np.int64)
    coord = np.zeros(d, dtype=np.int64)
    for i in range(N):
        if occ[i]:
            ri = i  # root of i's current tree; i is new, so it is its own root at first
            par[i] = i
            for k in range(d - 1, -1, -1):
                if coord[k] > 0:
                    j = i - strides[k]
                    if occ[j]:
                        rj = _find(par, j)
                        if ri == i:  # first occupied neighbour: attach i below it
                            par[i] = rj
                            ri = rj
                        elif ri != rj:  # link the larger root below the smaller
                            if ri < rj:
                                par[rj] = ri
                            else:
                                par[ri] = rj
                                ri = rj
        # advance the C-order coordinate counter
        k = d - 1
        while k >= 0:
            coord[k] += 1
            if coord[k] < shape[k]:
                break
            coord[k] = 0
            k -= 1
    labels = np.zeros(N, dtype=np.int64)
    nlab = 0
    for i in range(N):
        if occ[i]:
            r = _find(par, i)
            if r == i:  # roots are the smallest index of their cluster: first in raster order
                nlab += 1
                labels[i] = nlab
            else:
                labels[i] = labels[r]
    return labels, nlab
