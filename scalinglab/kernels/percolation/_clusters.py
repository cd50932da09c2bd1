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

import numba
import numpy as np
from numba import njit, prange

from scalinglab.kernels._threads import twins, use_parallel

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
    steps = np.asarray(steps)
    x = np.empty(steps.shape, dtype=np.float64)  # numpy's allocation: huge pages (Numba's page-faults on large n)
    _embed_tree_into(np.asarray(parent), steps, x)
    return x


@njit(cache=True)
def _embed_tree_into(parent, steps, x):
    """:func:`embed_tree` into a given ``(n, d)`` array."""
    n, d = steps.shape
    for i in range(n):
        q = parent[i]
        if q < 0:
            for k in range(d):
                x[i, k] = steps[i, k]
        else:
            for k in range(d):
                x[i, k] = x[q, k] + steps[i, k]


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
    labels = np.empty(occ.size, dtype=np.int64)
    par = np.empty(occ.size, dtype=np.int64)
    return labels, _label_nd_into(occ, shape, par, labels)


@njit(cache=True)
def _label_nd_into(occ, shape, par, labels):
    """:func:`_label_nd` into given arrays (``par``, ``labels``: ``N`` int64 each, any content); returns ``K``.

    A raster scan joining each occupied site to its occupied lower neighbours (union by smaller index,
    path halving), then one pass numbering the roots (each the first site of its cluster) in order.
    """
    d = shape.size
    N = occ.size
    strides = np.empty(d, dtype=np.int64)
    acc = 1
    for k in range(d - 1, -1, -1):
        strides[k] = acc
        acc *= shape[k]
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
    nlab = 0
    for i in range(N):
        if occ[i]:
            r = _find(par, i)
            if r == i:  # roots are the smallest index of their cluster: first in raster order
                nlab += 1
                labels[i] = nlab
            else:
                labels[i] = labels[r]
        else:
            labels[i] = 0
    return nlab


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
def _scan_2d(occ, lab, par, n1, r0, r1, off):
    """Raster scan of rows ``r0..r1-1`` of an ``(n0, n1)`` array: provisional labels ``off+1, off+2, ...``.

    A union only where the up-left site is empty (else the two are already joined through it); the left
    and up-left labels are carried in registers along the row, so each site reads ``occ`` and the label
    above and writes its own label (0 on empty sites: ``lab`` may come uninitialised). The first row of
    the slab sees no row above (the seam is joined afterwards). Returns the number of labels made.
    """
    nprov = off
    for i in range(r0, r1):
        base = i * n1
        left = 0
        upleft = 0
        for j in range(n1):
            x = base + j
            up = lab[x - n1] if i > r0 else 0
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
                lab[x] = 0
            upleft = up
    return nprov - off


@njit(cache=True)
def _scan_3d(occ, lab, par, n1, n2, r0, r1, off):
    """:func:`_scan_2d` in 3-d (left, up and front neighbours; left / up-left in registers), planes ``r0..r1-1``."""
    s1 = n2
    s0 = n1 * n2
    nprov = off
    for i in range(r0, r1):
        for j in range(n1):
            base = i * s0 + j * s1
            a = 0
            bprev = 0
            for k in range(n2):
                x = base + k
                b = lab[x - s1] if j > 0 else 0
                if occ[x]:
                    c = lab[x - s0] if i > r0 else 0
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
                    lab[x] = 0
                bprev = b
    return nprov - off


def _label_slabs(occ, lab, par, n0, n1, n2, nslab):
    """Label an ``(n0, n1)`` (``n2 == 0``) or ``(n0, n1, n2)`` array cut into ``nslab`` slabs along axis 0.

    Each slab is scanned on its own (in parallel in the ``parallel=True`` twin) with provisional labels
    in a range of its own: a line of ``n`` sites starts at most ``ceil(n / 2)`` labels, so the slab
    starting at line ``l`` numbers from ``l * ceil(n / 2)``. The seams are then joined, and one pass over
    the provisional labels in increasing order gives the final ones: roots are the smallest label of
    their set (every link puts the larger root under the smaller), labels increase in raster order, so
    numbering the roots in order numbers the clusters by their first site, as ``scipy.ndimage.label``.
    ``par`` needs ``n_lines * ceil(n_last / 2) + 1`` entries. Returns the number of clusters; ``lab``
    holds the final labels.
    """
    three = n2 > 0
    lines_per_row = n1 if three else 1
    per_line = ((n2 if three else n1) + 1) // 2
    s0 = n1 * n2 if three else n1
    cnt = np.empty(nslab, dtype=np.int64)
    starts = np.empty(nslab + 1, dtype=np.int64)
    offs = np.empty(nslab, dtype=np.int64)  # each slab's provisional labels start after offs[k]
    for k in range(nslab + 1):
        starts[k] = (n0 * k) // nslab
    for k in range(nslab):
        offs[k] = starts[k] * lines_per_row * per_line
    for k in prange(nslab):
        if three:
            cnt[k] = _scan_3d(occ, lab, par, n1, n2, starts[k], starts[k + 1], offs[k])
        else:
            cnt[k] = _scan_2d(occ, lab, par, n1, starts[k], starts[k + 1], offs[k])
    for k in range(1, nslab):  # each distinct slab start inside the array is one seam
        r0 = starts[k]
        if r0 == starts[k - 1] or r0 >= n0:
            continue
        for x in range(r0 * s0, (r0 + 1) * s0):
            if lab[x] != 0 and lab[x - s0] != 0:
                _link(par, lab[x], lab[x - s0])
    # final labels, stored negated in par: a non-root points to a smaller label, already final
    nlab = 0
    par[0] = 0
    for k in range(nslab):
        for q in range(offs[k] + 1, offs[k] + cnt[k] + 1):
            r = par[q]
            if r == q:
                nlab += 1
                par[q] = -nlab
            else:
                par[q] = par[r]
    N = lab.size
    nch = 4 * nslab
    for c in prange(nch):
        for x in range(N * c // nch, N * (c + 1) // nch):
            lab[x] = -par[lab[x]]
    return nlab


_label_slabs_par, _label_slabs_ser = twins(_label_slabs)


def _slab_dims(dims):
    """``(n0, n1, n2, entries of par)`` of a 1-, 2- or 3-d shape for :func:`_label_slabs` (1-d: one row)."""
    if len(dims) == 3:
        return dims[0], dims[1], dims[2], dims[0] * dims[1] * ((dims[2] + 1) // 2) + 2
    n0, n1 = (1, dims[0]) if len(dims) == 1 else dims
    return n0, n1, 0, n0 * ((n1 + 1) // 2) + 2


@njit(cache=True)
def _label_small(occ, n0, n1, n2, npar):
    """:func:`_label_slabs` on one slab with its arrays made here (small arrays: one call, no page faults)."""
    lab = np.empty(occ.size, dtype=np.int64)
    par = np.empty(npar, dtype=np.int64)
    return lab, _label_slabs_ser(occ, lab, par, n0, n1, n2, 1)


#: Sites above which 1-/2-/3-d labelling writes into numpy-allocated arrays (numpy asks the kernel for huge
#: pages; Numba's allocator takes 4 kB page faults: filling 72 MB made in Numba took 27 ms, made by numpy 4.4 ms).
_NUMPY_ALLOC_MIN_SITES = 1 << 15
#: Sites from which the slabs are scanned in parallel: ~30 ms on one idle core (3000^2 at p_c: 68 ms serial,
#: 38 ms on 2 threads), well above the 0.05-15 ms the thread team can cost on a loaded machine (issue 22).
LABEL_PARALLEL_MIN_SITES = 1 << 22


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
    ``d <= 3``: raster scans with provisional labels (a union only where two labelled neighbours are not
    already joined through the diagonal site), on :data:`LABEL_PARALLEL_MIN_SITES` sites and more cut
    into one slab per Numba thread, scanned in parallel and joined at the seams; above
    ``_NUMPY_ALLOC_MIN_SITES`` sites the output is allocated by numpy (huge pages). ``d >= 4``: the
    generic union-find. Every case is at least as fast as ``scipy.ndimage.label`` at every size measured
    side by side in ``benchmarks/bench_kernels.py`` (results page "Kernel speed"); no environment variable
    is involved.

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
    if len(dims) >= 4:
        if total < _NUMPY_ALLOC_MIN_SITES:
            return _label_nd(occ, shape)
        lab = np.empty(total, dtype=np.int64)
        n = _label_nd_into(occ, shape, np.empty(total, dtype=np.int64), lab)
        return lab, int(n)
    n0, n1, n2, npar = _slab_dims(dims)
    if total < _NUMPY_ALLOC_MIN_SITES:
        lab, n = _label_small(occ, n0, n1, n2, npar)
        return lab, int(n)
    lab = np.empty(total, dtype=np.int64)
    par = np.empty(npar, dtype=np.int64)
    if use_parallel(total, LABEL_PARALLEL_MIN_SITES):
        n = _label_slabs_par(occ, lab, par, n0, n1, n2, min(numba.get_num_threads(), n0))
    else:
        n = _label_slabs_ser(occ, lab, par, n0, n1, n2, 1)
    return lab, int(n)
