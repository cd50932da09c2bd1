"""Sampling the Zipf Random Hierarchy Model.

Plain arrays in, arrays out. The model's *rules* are an ``(L,)`` list of
integer arrays, level ``l`` (1-based) of shape ``(n_parent, m, s)``:
``rules[l-1][a, i]`` is the s-tuple of level-l symbols that parent symbol
``a`` (a class when ``l = 1``, a level-(l-1) symbol otherwise) produces with
its rule of rank ``i`` (0-based; rank 0 is the most probable). Packed for the
kernel as one ``(L, n_par_max, m, s)`` int array (:func:`pack_rules`).

Derivation layout
-----------------
A datum's derivation is the rank chosen at every node of its tree, stored
level by level in one row of ``n_nodes = 1 + s + ... + s**(L-1)`` entries:
level ``l`` (1-based) has ``s**(l-1)`` nodes, starting at column
``(s**(l-1) - 1) / (s - 1)`` (``l - 1`` when ``s = 1``), in left-to-right
order. Node ``k`` of level ``l`` expands into nodes ``s*k .. s*k + s - 1`` of
level ``l + 1``; the nodes of level ``L`` produce the input patches, so
patch ``j`` (input positions ``s*j .. s*j + s - 1``) descends from node
``j // s**(L-l)`` of level ``l``.

Random numbers
--------------
The Numba sampler uses a counter-based generator: the ``k``-th uniform of
datum ``i`` is ``splitmix64(seed, i, k)``. Datum ``i`` is therefore the same
whatever the number of threads, the chunking, or how many data are drawn
(``sample(..., start=i0)`` continues a stream), so nested training sets of
growing size and disjoint test sets come from one seed.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

__all__ = ["make_rules", "pack_rules", "check_unambiguous", "n_nodes", "level_offsets", "sample",
           "sample_numpy", "expand", "path_ranks", "path_keys", "path_log_freq", "uniform01"]

_MASK = 0xFFFFFFFFFFFFFFFF


# --------------------------------------------------------------------------- rules
def make_rules(n_c, v, m, s, L, seed):
    """Draw random unambiguous rules.

    For each level, ``n_parent * m`` distinct s-tuples are drawn uniformly
    without replacement from the ``v**s`` possible ones and dealt out to the
    parents, ``m`` each; which tuple gets which rank is therefore random too.
    No tuple belongs to two parents of the same level (unambiguous rules).

    Parameters
    ----------
    n_c, v, m, s, L : int
        Classes, vocabulary, rules per symbol, tuple size, depth.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    list of numpy.ndarray
        ``rules[l-1]`` of shape ``(n_parent, m, s)``, dtype int16,
        ``n_parent = n_c`` for level 1 and ``v`` below.

    Raises
    ------
    ValueError
        If ``m * n_parent > v**s`` (no unambiguous rules exist).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, check_unambiguous
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> [r.shape for r in rules]          # level 1: n_c parents; level 2: v parents; m rules of s symbols
    [(2, 2, 2), (4, 2, 2)]
    >>> check_unambiguous(rules)
    True
    """
    rng = np.random.default_rng(seed)
    n_tuples = v**s
    i16 = np.iinfo(np.int16).max
    for name, val in (("vocabulary v", v), ("n_c", n_c), ("m", m)):  # symbols, classes, ranks are int16
        if val > i16:
            raise ValueError(f"{name}={val} too large for int16 symbols/ranks (max {i16})")
    rules = []
    for level in range(1, L + 1):
        n_par = n_c if level == 1 else v
        if n_par * m > n_tuples:
            raise ValueError(f"level {level}: {n_par} parents x m={m} rules > v**s={n_tuples} tuples (ambiguous)")
        idx = rng.choice(n_tuples, size=n_par * m, replace=False)
        digits = np.empty((n_par * m, s), dtype=np.int16)
        rest = idx.copy()
        for p in range(s - 1, -1, -1):  # base-v digits, most significant first
            digits[:, p] = rest % v
            rest //= v
        rules.append(digits.reshape(n_par, m, s))
    return rules


def check_unambiguous(rules):
    """True if no s-tuple is produced by two parents (or twice) within a level.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import check_unambiguous, make_rules
    >>> rules = make_rules(2, 4, 2, 2, 2, seed=0)
    >>> check_unambiguous(rules)
    True
    >>> rules[1][1, 0] = rules[1][0, 0]                 # give two parents the same tuple
    >>> check_unambiguous(rules)
    False
    """
    for r in rules:
        flat = [tuple(t) for t in r.reshape(-1, r.shape[-1])]
        if len(set(flat)) != len(flat):
            return False
    return True


def pack_rules(rules):
    """Stack per-level rules into one ``(L, n_par_max, m, s)`` int16 array.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, pack_rules
    >>> pack_rules(make_rules(2, 4, 2, 2, 2, seed=0)).shape       # (L, max parents, m, s)
    (2, 4, 2, 2)
    """
    L = len(rules)
    n_par = max(r.shape[0] for r in rules)
    _, m, s = rules[0].shape
    out = np.zeros((L, n_par, m, s), dtype=np.int16)
    for l, r in enumerate(rules):
        out[l, : r.shape[0]] = r
    return out


def n_nodes(s, L):
    """Nodes of a derivation tree, ``1 + s + ... + s**(L-1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import n_nodes
    >>> n_nodes(2, 3), n_nodes(3, 2)      # 1 + 2 + 4, 1 + 3
    (7, 4)
    """
    return sum(s**l for l in range(L))


def level_offsets(s, L):
    """Column of the first node of each level 1..L in a derivation row (length L+1, last = n_nodes).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import level_offsets
    >>> level_offsets(2, 3)
    array([0, 1, 3, 7])
    """
    return np.cumsum([0] + [s**l for l in range(L)]).astype(np.int64)


# --------------------------------------------------------------------------- random numbers
@njit(cache=True, inline="always")
def _splitmix(x):
    x = x + np.uint64(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _bits53(seed, i, k):
    """The 53 random bits behind uniform k of datum i: ``_u01(seed, i, k) == _bits53(...) * 2**-53``."""
    h = _splitmix(np.uint64(seed) ^ _splitmix(np.uint64(i) * np.uint64(0x100000001B3) + np.uint64(k)))
    return h >> np.uint64(11)


@njit(cache=True, inline="always")
def _u01(seed, i, k):
    """k-th uniform in [0, 1) of datum i (53 random bits)."""
    return _bits53(seed, i, k) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _u01_array(seed, i0, n, k_count):
    out = np.empty((n, k_count))
    for a in range(n):
        for k in range(k_count):
            out[a, k] = _u01(seed, i0 + np.uint64(a), k)
    return out


def uniform01(seed, i0, n, k_count):
    """The uniforms the sampler uses: ``out[a, k]`` is uniform ``k`` of datum ``i0 + a``.

    Uniform 0 draws the class, uniform ``1 + c`` the rank of derivation node ``c``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import uniform01
    >>> u = uniform01(seed=1, i0=0, n=4, k_count=3)
    >>> u.shape, bool(((u >= 0) & (u < 1)).all())
    ((4, 3), True)
    >>> bool((uniform01(1, 2, 2, 3) == u[2:]).all())       # counter-based: datum i is the same in any call
    True
    """
    return _u01_array(np.uint64(seed & _MASK), np.uint64(i0), int(n), int(k_count))


# --------------------------------------------------------------------------- Numba sampler
@njit(cache=True)
def _sample_chunk(rules, n_c, thr, s, L, seed, i0, n, chunk, x, y, ranks, ch):
    """Data ``ch * chunk ..`` of :func:`_sample_kernel` (one work item)."""
    d = s**L
    n_cols = ranks.shape[1]
    m = thr.shape[1]
    scale = float(n_c) * (1.0 / 9007199254740992.0)
    lo = ch * chunk
    cnt = min(n, lo + chunk) - lo
    bits = np.empty((cnt, n_cols + 1), dtype=np.uint64)
    for a in range(cnt):
        i = i0 + np.uint64(lo + a)
        for k in range(n_cols + 1):
            bits[a, k] = _bits53(seed, i, k)
    col = 0
    for l in range(L):
        for q in range(s**l):
            for a in range(cnt):
                b = bits[a, 1 + col]
                r = 0
                for t in range(m - 1):
                    r += b >= thr[l, t]
                ranks[lo + a, col] = r
            col += 1
    for a in range(cnt):
        row = lo + a
        c = int(bits[a, 0] * scale)
        if c >= n_c:
            c = n_c - 1
        y[row] = c
        x[row, 0] = c
        stride = d
        col = 0
        width = 1
        for l in range(L):
            sub = stride // s
            for node in range(width):
                r = ranks[row, col]
                col += 1
                pos = node * stride
                par = x[row, pos]
                for t in range(s):
                    x[row, pos + t * sub] = rules[l, par, r, t]
            width *= s
            stride = sub


@njit(cache=True, parallel=True)
def _sample_kernel(rules, n_c, thr, s, L, seed, i0, n, chunk, x, y, ranks):
    """Fill ``x, y, ranks`` with data ``i0 .. i0+n-1``; parallel over chunks of ``chunk`` data.

    Per chunk, three passes (the same numbers as one datum at a time, faster):
    all random bits first (a loop over the counter that LLVM vectorises), then
    every rank branch-free as the number of integer thresholds ``thr[l, t] =
    ceil(cdf[l, t] * 2**53)`` not above the bits (``u < cdf`` <=> ``bits <
    thr`` exactly, since ``u = bits * 2**-53``), then the expansion in place in
    the row of ``x`` (level l's node k sits at position ``k * s**(L-l)`` until
    it is expanded). This replaced a one-datum-at-a-time kernel (a linear CDF
    search whose unpredictable branches, and two allocations per datum,
    dominated; 73 ms against 23 ms per 10**6 data as first measured). Re-measured
    side by side (issue 22, ``benchmarks/bench_kernels.py``, interleaved medians on
    2 shared cores at load 9-12): 93-148 ms per 10**6 data of the seed's model,
    2.5-3.4x the pcsl-epfl peer's i.i.d. sampler and ~5x ``sample_numpy``; the
    audit of issue 17 measured 57-270 ms and 2.3-2.9x. The "23 ms" did not
    reproduce side by side and is not a claim any more. Runs on the calling
    thread below ``_PARALLEL_MIN`` data (:func:`_sample_serial`).
    """
    n_chunks = (n + chunk - 1) // chunk
    for ch in prange(n_chunks):
        _sample_chunk(rules, n_c, thr, s, L, seed, i0, n, chunk, x, y, ranks, ch)


@njit(cache=True)
def _sample_serial(rules, n_c, thr, s, L, seed, i0, n, chunk, x, y, ranks):
    """:func:`_sample_kernel` on the calling thread (the same numbers)."""
    n_chunks = (n + chunk - 1) // chunk
    for ch in range(n_chunks):
        _sample_chunk(rules, n_c, thr, s, L, seed, i0, n, chunk, x, y, ranks, ch)


def _cdfs(probs):
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or np.any(probs <= 0) or not np.allclose(probs.sum(1), 1.0, atol=1e-9):
        raise ValueError("probs must be an (L, m) array of positive rows summing to 1")
    cdf = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return cdf


#: Data per parallel work item of the sampler (scratch of ``chunk * (n_nodes + 1)`` uint64).
_CHUNK = 1024
#: Fewer data than this are drawn on the calling thread: on 2 shared cores the thread pool's start and
#: barrier cost more than ~0.5-2 ms of drawing (benchmarks/bench_kernels.py, issue 22).
_PARALLEL_MIN = 32 * _CHUNK


def _thresholds(cdf):
    """Integer rank thresholds: ``u < cdf[l, t]`` <=> ``bits < ceil(cdf[l, t] * 2**53)`` (exact)."""
    return np.ceil(np.asarray(cdf, dtype=np.float64) * 9007199254740992.0).astype(np.uint64)


def _check_sample_args(rules, n_c, probs, n):
    L = len(rules)
    if np.asarray(probs).shape != (L, rules[0].shape[1]):
        raise ValueError(f"probs must have shape (L, m) = ({L}, {rules[0].shape[1]}), got {np.asarray(probs).shape}")
    if rules[0].shape[0] != n_c:
        raise ValueError(f"level-1 rules have {rules[0].shape[0]} parents, expected n_c={n_c}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")


def sample(rules, n_c, probs, n, seed, start=0):
    """Draw ``n`` data of the RHM (Numba, parallel over data, reproducible).

    Parameters
    ----------
    rules : list of arrays
        From :func:`make_rules`.
    n_c : int
        Number of classes.
    probs : array_like, shape (L, m)
        Rule probabilities of each level (row l-1 for level l), rank order.
    n : int
        Number of data.
    seed : int
        Sampling seed (independent of the rules' seed).
    start : int
        Index of the first datum in the seed's stream: data ``start ..
        start + n - 1`` are returned, the same whatever ``n``.

    Returns
    -------
    x : numpy.ndarray, shape (n, s**L), int16
        Input symbols.
    y : numpy.ndarray, shape (n,), int64
        Class labels.
    ranks : numpy.ndarray, shape (n, n_nodes), int16
        The derivation (0-based rule rank at every node; layout in the
        module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> x, y, ranks = sample(rules, 2, probs, n=5, seed=1)
    >>> x.shape, y.shape, ranks.shape       # s**L symbols, a class, n_nodes ranks per datum
    ((5, 4), (5,), (5, 3))
    >>> x2, y2, _ = sample(rules, 2, probs, n=2, seed=1, start=3)   # data 3 and 4 of the same stream
    >>> bool((x2 == x[3:]).all() and (y2 == y[3:]).all())
    True
    """
    n = int(n)
    _check_sample_args(rules, n_c, probs, n)
    L = len(rules)
    s = rules[0].shape[2]
    packed = pack_rules(rules)
    thr = _thresholds(_cdfs(probs))
    x = np.empty((n, s**L), dtype=np.int16)
    y = np.empty(n, dtype=np.int64)
    ranks = np.empty((n, n_nodes(s, L)), dtype=np.int16)
    kern = _sample_kernel if n >= _PARALLEL_MIN and numba.get_num_threads() > 1 else _sample_serial
    kern(packed, int(n_c), thr, int(s), int(L), np.uint64(int(seed) & _MASK), np.uint64(int(start)), n, _CHUNK, x, y,
         ranks)
    return x, y, ranks


# --------------------------------------------------------------------------- numpy baseline
def expand(rules, y, ranks):
    """Inputs of given classes and derivations (vectorised numpy).

    Parameters
    ----------
    rules : list of arrays
    y : array, shape (n,)
    ranks : array, shape (n, n_nodes)

    Returns
    -------
    numpy.ndarray, shape (n, s**L), int16

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import expand, make_rules, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> x, y, ranks = sample(rules, 2, probs, n=5, seed=1)
    >>> bool((expand(rules, y, ranks) == x).all())       # the inputs follow from class and derivation
    True
    """
    L = len(rules)
    s = rules[0].shape[2]
    off = level_offsets(s, L)
    cur = np.asarray(y, dtype=np.int64)[:, None]
    for l in range(L):
        r = np.asarray(ranks[:, off[l]:off[l + 1]], dtype=np.int64)
        cur = rules[l][cur, r].reshape(len(cur), -1).astype(np.int64)  # (n, width, s) -> (n, width*s)
    return cur.astype(np.int16)


def sample_numpy(rules, n_c, probs, n, seed):
    """Vectorised numpy sampler (the benchmark baseline; a different random stream).

    Same outputs and layout as :func:`sample`; draws with
    ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, sample_numpy
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> x, y, ranks = sample_numpy(rules, 2, probs, n=5, seed=1)
    >>> x.shape, y.shape, ranks.shape
    ((5, 4), (5,), (5, 3))
    """
    n = int(n)
    _check_sample_args(rules, n_c, probs, n)
    rng = np.random.default_rng(seed)
    L = len(rules)
    s = rules[0].shape[2]
    cdfs = _cdfs(probs)
    off = level_offsets(s, L)
    y = rng.integers(0, n_c, size=n)
    ranks = np.empty((n, off[-1]), dtype=np.int16)
    for l in range(L):
        u = rng.random((n, off[l + 1] - off[l]))
        ranks[:, off[l]:off[l + 1]] = np.minimum(np.searchsorted(cdfs[l], u, side="right"), cdfs.shape[1] - 1)
    return expand(rules, y, ranks), y, ranks


# --------------------------------------------------------------------------- paths
def path_ranks(ranks, s, L):
    """Rule ranks along the branch to every patch.

    Builds a ``(K, L)`` int64 index table whatever ``n`` (``8 K L`` bytes: astronomic for, e.g., s = 10**12,
    L = 2); like every kernel it does not check sizes, its callers do
    (:class:`scalinglab.validate.rhm.RHMData` refuses a table over its batch limit).

    Returns
    -------
    numpy.ndarray, shape (n, K, L)
        ``out[a, j, l-1]`` is the rank chosen at level l on the branch from the
        root to patch j of datum a (``K = s**(L-1)``).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, path_ranks, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> _, y, ranks = sample(rules, 2, probs, n=3, seed=1)
    >>> path_ranks(ranks, 2, 2).shape          # (n, K, L): K = s**(L-1) = 2 paths of L = 2 ranks
    (3, 2, 2)
    """
    off = level_offsets(s, L)
    K = s ** (L - 1)
    j = np.arange(K)
    cols = np.stack([off[l] + j // s ** (L - 1 - l) for l in range(L)], axis=1)  # (K, L)
    return np.asarray(ranks)[:, cols]


def path_keys(y, ranks, m, s, L):
    """Integer key of the path ``(class, i_1, ..., i_L)`` of every patch.

    ``key = ((c * m + i_1) * m + i_2) * m ... + i_L`` with 0-based ranks, in
    ``[0, n_c * m**L)``; position is *not* encoded (see
    :func:`scalinglab.validate.rhm._data.seen_paths`).

    Returns
    -------
    numpy.ndarray, shape (n, K), int64

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import make_rules, path_keys, path_ranks, sample
    >>> rules = make_rules(n_c=2, v=4, m=2, s=2, L=2, seed=0)     # a tiny RHM
    >>> probs = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> _, y, ranks = sample(rules, 2, probs, n=3, seed=1)
    >>> keys = path_keys(y, ranks, 2, 2, 2)
    >>> pr = path_ranks(ranks, 2, 2)
    >>> bool((keys == (y[:, None] * 2 + pr[:, :, 0]) * 2 + pr[:, :, 1]).all())
    True
    """
    pr = path_ranks(ranks, s, L).astype(np.int64)
    key = np.repeat(np.asarray(y, dtype=np.int64)[:, None], pr.shape[1], axis=1)
    for l in range(L):
        key = key * m + pr[:, :, l]
    return key


def path_log_freq(keys, log_probs, n_c):
    """Natural log of the path frequency ``(1/n_c) prod_l f^(l)_{i_l}`` of path keys.

    ``log_probs`` is the ``(L, m)`` array of log rule probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import path_log_freq
    >>> log_probs = np.log([[0.75, 0.25], [0.75, 0.25]])
    >>> np.exp(path_log_freq(np.array([0, 1, 7]), log_probs, 2)).round(5)    # (1/n_c) f_i1 f_i2
    array([0.28125, 0.09375, 0.03125])
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    L, m = log_probs.shape
    keys = np.asarray(keys, dtype=np.int64)
    out = np.full(keys.shape, -np.log(n_c))
    rest = keys.copy()
    for l in range(L - 1, -1, -1):
        out += log_probs[l][rest % m]
        rest //= m
    return out
