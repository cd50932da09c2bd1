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

import math

import numpy as np
from scipy import ndimage
from numba import njit

# kernels import nothing of ours: the Python-level wrapper of label_clusters refuses bad
# arguments with a plain ValueError before any Numba code runs (theory.percolation re-raises it as InputError)

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

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import bethe_cluster_sizes
    >>> s = bethe_cluster_sizes(20000, 0.3, 3, 1000, 1)
    >>> bool(s.min() >= 1), round(float(s.mean()), 1)         # mean size (1 + p)/(1 - 2p) = 3.25 for z = 3
    (True, 3.3)
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

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import bethe_forest
    >>> parent, offsets, capped = bethe_forest(3, 0.4, 3, 100, 0)
    >>> len(offsets), int(offsets[-1]) == len(parent), bool((parent[offsets[:-1]] == -1).all())
    (4, True, True)
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

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.percolation import embed_tree
    >>> parent = np.array([-1, 0, 0, 1])
    >>> steps = np.array([[0.0], [1.0], [-1.0], [0.5]])
    >>> embed_tree(parent, steps).ravel()                # x[3] = x[1] + 0.5
    array([ 0. ,  1. , -1. ,  1.5])
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
def _label_nd(occ, shape):
    """Label the nearest-neighbour clusters of a flattened occupied array (any ``d``).

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


@njit(cache=True)
def _resolve(par, nprov):
    """Provisional labels -> final labels ``1..K`` in order of first appearance (roots are minimal)."""
    final = np.zeros(nprov + 1, dtype=np.int64)
    k = 0
    for i in range(1, nprov + 1):
        r = par[i]
        if r == i:
            k += 1
            final[i] = k
        else:
            final[i] = final[r]  # r < i is already final (par[i] was compressed below)
    return final, k


@njit(cache=True)
def _relabel(lab, par, nprov):
    """Finish a raster scan: provisional labels in ``lab`` -> final labels ``1..K`` in place; ``(lab, K)``."""
    for k in range(1, nprov + 1):
        par[k] = par[par[k]]  # parents are smaller: one forward pass reaches the roots
    final, nlab = _resolve(par, nprov)
    for x in range(lab.size):
        v = lab[x]
        if v != 0:
            lab[x] = final[v]
    return lab, nlab


@njit(cache=True)
def _link(par, a, b):
    """Union of the sets of provisional labels ``a`` and ``b`` (the smaller root becomes the root)."""
    ra = _find(par, a)
    rb = _find(par, b)
    if ra < rb:
        par[rb] = ra
    elif rb < ra:
        par[ra] = rb


@njit(cache=True)
def _label_2d(occ, n0, n1):
    """Raster scan with provisional labels; a union only where the up-left site is empty.

    The left and up-left labels are carried in registers along the row, so each
    site reads ``occ``, the label above, and writes its own label.
    """
    N = n0 * n1
    lab = np.zeros(N, dtype=np.int64)
    par = np.empty(N // 2 + 2, dtype=np.int64)
    nprov = 0
    for i in range(n0):
        base = i * n1
        left = 0
        upleft = 0
        for j in range(n1):
            x = base + j
            up = lab[x - n1] if i > 0 else 0
            if occ[x]:
                if left == 0:
                    if up == 0:
                        nprov += 1
                        par[nprov] = nprov
                        left = nprov
                    else:
                        left = up
                elif up != 0 and up != left and upleft == 0:
                    _link(par, left, up)
                lab[x] = left
            else:
                left = 0
            upleft = up
    return _relabel(lab, par, nprov)


@njit(cache=True)
def _label_3d(occ, n0, n1, n2):
    """3-d raster scan with provisional labels (left, up, front neighbours; left/up-left in registers)."""
    N = n0 * n1 * n2
    lab = np.zeros(N, dtype=np.int64)
    par = np.empty(N // 2 + 2, dtype=np.int64)
    s1 = n2
    s0 = n1 * n2
    nprov = 0
    for i in range(n0):
        for j in range(n1):
            base = i * s0 + j * s1
            a = 0
            bprev = 0
            for k in range(n2):
                x = base + k
                b = lab[x - s1] if j > 0 else 0
                if occ[x]:
                    c = lab[x - s0] if i > 0 else 0
                    m = a
                    if b != 0 and (m == 0 or b < m):
                        m = b
                    if c != 0 and (m == 0 or c < m):
                        m = c
                    if m == 0:
                        nprov += 1
                        par[nprov] = nprov
                        m = nprov
                    else:
                        if a != 0 and a != m:
                            _link(par, a, m)
                        if b != 0 and b != m and not (a != 0 and bprev != 0):
                            _link(par, b, m)
                        if c != 0 and c != m:
                            _link(par, c, m)
                    lab[x] = m
                    a = m
                else:
                    a = 0
                bprev = b
    return _relabel(lab, par, nprov)


#: Up to this many sites the 2-d / 3-d raster kernels label faster than scipy (interleaved medians, issue 22:
#: 2.8-3.9x on 181^2..256^2, 0.89x on 1024^2; 5.2x on 48^3, 1.07x on 64^3, 1.34x on 100^3, ~0.9x on 200^3);
#: above, scipy. d >= 4: the union-find at every size (1.5-18x scipy's generic structuring element).
_RASTER_MAX_SITES_2D = 1 << 17
_RASTER_MAX_SITES_3D = 1 << 20


def label_clusters(occ, shape):
    """Label the nearest-neighbour clusters of a flattened occupied array.

    Parameters
    ----------
    occ : bool array (N,)
        C-order flattening of a ``shape`` array; ``True`` = occupied.
    shape : int array (d,)
        The array's shape; ``prod(shape)`` must equal ``occ.size``.

    Returns
    -------
    labels : int64 array (N,)
        ``0`` on empty sites, ``1..K`` on clusters, numbered in order of their
        first site in C (raster) order (as ``scipy.ndimage.label``).
    n_clusters : int

    Notes
    -----
    ``d <= 3`` above ``_RASTER_MAX_SITES_2D`` / ``_3D`` sites (and 1-d): ``scipy.ndimage.label``
    writing int64 labels in place, the faster there; smaller 2-d and 3-d
    arrays: raster scans with provisional labels (a union only where two
    labelled neighbours are not already joined through the diagonal site);
    ``d >= 4``: the generic union-find (scipy's generic structuring element is
    slow there). Measured side by side in ``benchmarks/bench_kernels.py``.

    >>> lab, n = label_clusters(np.array([1, 0, 1, 1], dtype=bool), np.array([2, 2]))
    >>> lab.tolist(), n
    ([1, 0, 1, 1], 1)
    """
    occ = np.asarray(occ)
    shape = np.asarray(shape, dtype=np.int64).ravel()
    dims = shape.tolist()  # Python ints: the product cannot overflow
    if occ.ndim != 1:
        raise ValueError(f"occ must be a flat array, got {occ.ndim} dimensions")
    if not dims or min(dims) < 1:
        raise ValueError(f"shape entries must be >= 1, got {dims}")
    total = math.prod(dims)
    if total != occ.size:
        raise ValueError(f"occ has {occ.size} entries but prod(shape) = {total}")
    if occ.dtype != np.bool_ or not occ.flags.c_contiguous:
        occ = np.ascontiguousarray(occ, dtype=np.bool_)
    if (len(dims) == 2 and total > _RASTER_MAX_SITES_2D) or (len(dims) == 3 and total > _RASTER_MAX_SITES_3D) \
            or len(dims) == 1:
        # scipy's two-pass labelling, written straight into int64 (no copy): on large arrays our raster kernels
        # measured 0.63-0.98x it in 2-d and 0.9-1.0x in 3-d (issue 22)
        lab = np.empty(total, dtype=np.int64)
        n = ndimage.label(occ.reshape(dims), output=lab.reshape(dims))
        return lab, int(n)
    if len(dims) == 2:
        return _label_2d(occ, dims[0], dims[1])
    if len(dims) == 3:
        return _label_3d(occ, dims[0], dims[1], dims[2])
    return _label_nd(occ, shape)
