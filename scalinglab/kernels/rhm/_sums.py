"""Numba kernels for learning-curve sums over a grouped spectrum.

Hutter's seen-feature error ``eps(P) = sum_i f_i (1 - f_i)**P`` (and its
generalisation ``sum_i w_i (1 - q_i)**P``) and the exact
distribution of the number of seen paths of one RHM datum.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from scalinglab.kernels._threads import twins, use_parallel

__all__ = ["decay_sum", "log_decay_sum", "seen_paths_pmf", "PARALLEL_MIN_TERMS"]


@njit(cache=True)
def _log1m(log_q):
    """``log(1 - q)`` from ``log q``, elementwise."""
    out = np.empty(log_q.shape[0], dtype=np.float64)
    for i in range(log_q.shape[0]):
        out[i] = np.log1p(-np.exp(log_q[i]))
    return out


#: Terms per block of the fused exp-and-sum loop (the block's buffers stay in L1).
_BLOCK = 512
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_ROUND = 6755399441055744.0  # 1.5 * 2**52: (x + _ROUND) - _ROUND rounds x to an integer
_X_MIN = -708.39  # exp(_X_MIN) is the smallest normal double; terms below it count as 0


@njit(cache=True, fastmath={"contract"})
def _exp_into(x, out, ib, fb, n):
    """``out[:n] = exp(x[:n])`` in a loop LLVM vectorises (numba's scalar ``exp`` is a libm call per term).

    ``x = k ln2 + r``, ``|r| <= ln2/2``; ``exp(r)`` by its degree-13 Taylor polynomial (truncation below
    4e-18) in Horner form with fused multiply-adds; ``2**k`` built from its bits. Measured against
    ``numpy.exp`` on 2e6 arguments in [-745, 709] and [-30, 0]: within 1.0 ulp where the result is a
    normal double. Arguments below ``_X_MIN`` (results below 2.2e-308, subnormal) give 0, a term
    ``1e-292`` times smaller than any normal one; arguments above 709 are clamped (the callers' terms
    are at most 1).
    """
    for i in range(n):
        xi = x[i]
        xc = xi if xi > _X_MIN else _X_MIN
        xc = xc if xc < 709.0 else 709.0
        kf = (xc * _INV_LN2 + _ROUND) - _ROUND
        r = (xc - kf * _LN2_HI) - kf * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        ib[i] = (np.int64(kf) + 1023) << 52
        out[i] = p if xi >= _X_MIN else 0.0
    for i in range(n):  # fb is ib's memory read as float64: 2**k
        out[i] = out[i] * fb[i]


@njit(cache=True, inline="always")
def _sum8(buf, lo, hi):
    """``sum(buf[lo:hi])`` in 8 interleaved partial sums (vectorisable; the order every eps sum uses)."""
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    i = lo
    while i + 8 <= hi:
        a0 += buf[i]
        a1 += buf[i + 1]
        a2 += buf[i + 2]
        a3 += buf[i + 3]
        a4 += buf[i + 4]
        a5 += buf[i + 5]
        a6 += buf[i + 6]
        a7 += buf[i + 7]
        i += 8
    while i < hi:
        a0 += buf[i]
        i += 1
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@njit(cache=True)
def _block_sum(log_w, l1p, lo, m, p, shift, xb, buf, ib, fb):
    """``sum_{i in [lo, lo+m)} exp(log_w_i + p * l1p_i - shift)`` (the ``p * l1p`` term left out at p = 0, so
    ``0 * -inf`` never occurs): exponentials by :func:`_exp_into`, summed in 8 interleaved partial sums (error
    below 64 ulp of the block's sum: all terms are >= 0)."""
    if p == 0.0:
        for i in range(m):
            xb[i] = log_w[lo + i] - shift
    else:
        for i in range(m):
            xb[i] = (log_w[lo + i] + p * l1p[lo + i]) - shift
    if m >= 8:
        _exp_into(xb, buf, ib, fb, m)  # separate in and out buffers: in place, LLVM does not vectorise it
    else:  # a short block: the vector loop's set-up costs more than libm's exp
        for i in range(m):
            buf[i] = np.exp(xb[i])
    return _sum8(buf, 0, m)


@njit(cache=True, inline="always")
def _neumaier(s, c, j, t):
    """``s[j] += t`` with the Neumaier compensation kept in ``c[j]``."""
    u = s[j] + t
    if abs(s[j]) >= abs(t):
        c[j] += (s[j] - u) + t
    else:
        c[j] += (t - u) + s[j]
    s[j] = u


#: Up to this many groups the block loop runs inside the P loop (the groups stay in L2).
_CACHED_GROUPS = 16 * _BLOCK


@njit(cache=True)
def _sums_range(log_w, l1p, P, j0, j1, log_out, out):
    """``out[j] = sum_i exp(log_w_i + P_j l1p_i)`` (its log when ``log_out``) for ``j0 <= j < j1``.

    Blocks of ``_BLOCK`` groups outermost, so each block is read once from memory for all P and stays in L1
    (streaming the groups once per P made large spectra memory-bound); the block sums of each P are added in
    block order with Neumaier compensation. The former one-term-at-a-time loop (libm ``exp`` and a
    compensated add per term) took 4-5.5 ns a term on one core, more than numpy's 2.3-2.9 (issue 22).
    """
    n = log_w.shape[0]
    k = j1 - j0
    nb = min(n, _BLOCK)
    xb = np.empty(nb, dtype=np.float64)
    buf = np.empty(nb, dtype=np.float64)
    ib = np.empty(nb, dtype=np.int64)
    fb = ib.view(np.float64)
    acc = np.zeros((3, k), dtype=np.float64)  # shift, sum, compensation of each P
    shift = acc[0]
    if log_out:  # the largest term of each P, factored out (log-sum-exp)
        for jj in range(k):
            shift[jj] = -np.inf
        for lo in range(0, n, _BLOCK):
            m = min(_BLOCK, n - lo)
            for jj in range(k):
                p = P[j0 + jj]
                mx = shift[jj]
                for i in range(lo, lo + m):
                    t = log_w[i] if p == 0.0 else log_w[i] + p * l1p[i]
                    if t > mx:
                        mx = t
                shift[jj] = mx
    s = acc[1]
    c = acc[2]
    if n <= _CACHED_GROUPS:  # the groups stay in cache anyway: P outermost measured 3-6x faster here
        for jj in range(k):
            if shift[jj] != -np.inf:
                for lo in range(0, n, _BLOCK):
                    t = _block_sum(log_w, l1p, lo, min(_BLOCK, n - lo), P[j0 + jj], shift[jj], xb, buf, ib, fb)
                    _neumaier(s, c, jj, t)
    else:
        for lo in range(0, n, _BLOCK):
            m = min(_BLOCK, n - lo)
            for jj in range(k):
                if shift[jj] != -np.inf:
                    _neumaier(s, c, jj, _block_sum(log_w, l1p, lo, m, P[j0 + jj], shift[jj], xb, buf, ib, fb))
    for jj in range(k):
        if log_out:
            out[j0 + jj] = shift[jj] if shift[jj] == -np.inf else shift[jj] + np.log(s[jj] + c[jj])
        else:
            out[j0 + jj] = s[jj] + c[jj]


#: At most this many terms (groups x P, one block of groups) go through :func:`_sums_small`.
_SMALL_TERMS = 4096


@njit(cache=True)
def _sums_small(log_w, log_q, P, log_out):
    """:func:`_sums_range` over all P for at most one block of groups, the same numbers bit for bit.

    All ``n k`` exponents are written into one buffer and exponentiated by one :func:`_exp_into` call (the
    block loop called it, and set up its vector loop, once per P), with two allocations instead of seven.
    10 groups x 25 P, interleaved minima at load ~9 on 2 cores: 2.9 us -> 1.2 us (numba call included); the
    public ``decay_sum`` 3.8 -> 1.4 us against numpy's 5.1 us (``benchmarks/bench_kernels.py``, issue 22).
    """
    n = log_w.shape[0]
    k = P.shape[0]
    nk = n * k
    work = np.empty(3 * nk + n + k, dtype=np.float64)
    out = np.empty(k, dtype=np.float64)
    xb = work[:nk]
    buf = work[nk:2 * nk]
    fb = work[2 * nk:3 * nk]
    ib = fb.view(np.int64)
    l1p = work[3 * nk:3 * nk + n]
    shift = work[3 * nk + n:]
    for i in range(n):
        l1p[i] = np.log1p(-np.exp(log_q[i]))
    for j in range(k):
        p = P[j]
        mx = -np.inf
        if p == 0.0:
            for i in range(n):
                xb[j * n + i] = log_w[i]
        else:
            for i in range(n):
                xb[j * n + i] = log_w[i] + p * l1p[i]
        if log_out:
            for i in range(n):
                t = xb[j * n + i]
                if t > mx:
                    mx = t
            shift[j] = mx
            if mx != -np.inf:
                for i in range(n):
                    xb[j * n + i] = xb[j * n + i] - mx
        else:
            shift[j] = 0.0
    if n >= 8:
        _exp_into(xb, buf, ib, fb, nk)
    else:  # short blocks: libm's exp, as in _block_sum
        for i in range(nk):
            buf[i] = np.exp(xb[i])
    for j in range(k):
        if shift[j] == -np.inf:
            out[j] = -np.inf if log_out else 0.0
            continue
        t = _sum8(buf, j * n, j * n + n)
        out[j] = shift[j] + np.log(t) if log_out else t
    return out


@njit(cache=True)
def _sums_serial(log_w, log_q, P, log_out):
    if log_w.shape[0] <= _BLOCK and log_w.shape[0] * P.shape[0] <= _SMALL_TERMS:
        return _sums_small(log_w, log_q, P, log_out)
    out = np.empty(P.shape[0], dtype=np.float64)
    _sums_range(log_w, _log1m(log_q), P, 0, P.shape[0], log_out, out)
    return out


@njit(cache=True, parallel=True)
def _sums_parallel(log_w, log_q, P, log_out, nt):
    """:func:`_sums_serial` with the P split into ``nt`` contiguous ranges (the same numbers)."""
    out = np.empty(P.shape[0], dtype=np.float64)
    l1p = _log1m(log_q)
    k = P.shape[0]
    nt = min(nt, k)
    for t in prange(nt):
        _sums_range(log_w, l1p, P, t * k // nt, (t + 1) * k // nt, log_out, out)
    return out


#: Terms (groups x P) below which the sums run on the calling thread: starting the thread pool costs
#: 0.05-15 ms on a loaded 2-core machine (the OpenMP team spins at its barrier while the other core is
#: busy; 24 ms measured at load 11), while 1.6e7 terms take ~30 ms on one idle core (bench_kernels.py, issue 22).
PARALLEL_MIN_TERMS = 16_000_000


_F8 = np.dtype(np.float64)
_ND = np.ndarray


def _sums(log_w, log_q, P, log_out):
    # fast path first: three identity checks (float64 arrays share numpy's dtype singleton) instead of three
    # calls and dtype comparisons; anything else goes through asarray
    if not (type(log_w) is _ND and type(log_q) is _ND and type(P) is _ND
            and log_w.dtype is _F8 and log_q.dtype is _F8 and P.dtype is _F8):
        log_w = np.asarray(log_w, dtype=np.float64)
        log_q = np.asarray(log_q, dtype=np.float64)
        P = np.asarray(P, dtype=np.float64)
    if log_w.shape[0] * P.shape[0] >= PARALLEL_MIN_TERMS and P.shape[0] > 1 and numba.get_num_threads() > 1:
        return _sums_parallel(log_w, log_q, P, log_out, numba.get_num_threads())
    return _sums_serial(log_w, log_q, P, log_out)


def decay_sum(log_w, log_q, P):
    """``sum_g w_g (1 - q_g)**P`` for every P of a grid.

    Hutter's seen-path error is the case ``w = mult * f``, ``q = f``; the
    position-free variant has a larger ``q`` (a path seen at any position).

    Parameters
    ----------
    log_w : float64[n]
        Log weights of the groups.
    log_q : float64[n]
        Log of the per-draw probabilities ``q_g`` in (0, 1].
    P : float64[k]
        Non-negative sample sizes.

    Returns
    -------
    float64[k]
        The sums, each term evaluated as ``exp(log_w + P*log1p(-q))`` (no
        underflow of ``(1-q)**P`` into wrong digits) with a vectorised exp
        (within 1 ulp of numpy's; terms below 2.2e-308 count as 0), added
        in blocks whose sums are added with Neumaier compensation. On the
        calling thread below :data:`PARALLEL_MIN_TERMS` terms, else parallel
        over P.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import decay_sum
    >>> f = np.array([0.5, 0.3, 0.2])
    >>> decay_sum(np.log(f), np.log(f), np.array([0.0, 1.0, 10.0])).round(6)    # sum f (1-f)^P
    array([1.      , 0.62    , 0.030437])
    >>> float((f * (1 - f)**10).sum().round(6))
    0.030437
    """
    return _sums(log_w, log_q, P, False)


def log_decay_sum(log_w, log_q, P):
    """``log sum_g w_g (1 - q_g)**P`` for every P of a grid, never underflowing.

    Same terms as :func:`decay_sum`, added as a log-sum-exp (the largest
    term factored out), so the result stays finite where the sum itself is
    below the float64 range (e.g. ``(1 - 1e-4)**1e7 = e**-1000``).

    Returns
    -------
    float64[k]
        ``log`` of the sums (``-inf`` only if every weight is 0).

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import log_decay_sum
    >>> log_decay_sum(np.log([1.0]), np.log([1e-4]), np.array([1e7])).round(3)   # (1 - 1e-4)^1e7 = e^-1000.05
    array([-1000.05])
    """
    return _sums(log_w, log_q, P, True)


@njit(cache=True)
def _match_probs(ranks, level_p, inv_nc, K, s, L, out):
    """Probability that one random datum matches, at the same positions, at
    least one path of every subset T of the K patches of the test derivation.

    ``ranks`` holds the test derivation flattened level by level (level l has
    ``s**(l-1)`` nodes, rank indices 0-based). Fills ``out[T]`` (T a bitmask).
    """
    n_nodes = 0
    for l in range(L):
        n_nodes += s**l
    M = np.empty(n_nodes, dtype=np.float64)
    for T in range(1 << K):
        # leaves: level L nodes occupy the last K slots
        off = n_nodes - K
        for j in range(K):
            if (T >> j) & 1:
                M[off + j] = level_p[L - 1, ranks[off + j]]
            else:
                M[off + j] = 0.0
        # internal levels, bottom-up: M = f * (1 - prod_children (1 - M_child))
        child_off = off
        for l in range(L - 2, -1, -1):
            width = s**l
            lo = child_off - width
            for q in range(width):
                pr = 1.0
                for c in range(s):
                    pr *= 1.0 - M[child_off + q * s + c]
                M[lo + q] = level_p[l, ranks[lo + q]] * (1.0 - pr)
            child_off = lo
        out[T] = inv_nc * M[0]


def _seen_paths_pmf(ranks, level_p, n_c, s, P):
    """Body of :func:`seen_paths_pmf` (compiled parallel and serial)."""
    L = level_p.shape[0]
    K = s ** (L - 1)
    n_test = ranks.shape[0]
    out = np.zeros((n_test, K + 1), dtype=np.float64)
    inv_nc = 1.0 / n_c
    for t in prange(n_test):
        M = np.empty(1 << K, dtype=np.float64)
        _match_probs(ranks[t], level_p, inv_nc, K, s, L, M)
        g = np.empty(1 << K, dtype=np.float64)
        for T in range(1 << K):
            g[T] = 1.0 if P == 0.0 else np.exp(P * np.log1p(-M[T]))  # P = 0: nothing seen, even if M_T = 1
        # Moebius inversion on supersets: h[S] = sum_{T>=S} (-1)^{|T-S|} g[T]
        for j in range(K):
            bit = 1 << j
            for S in range(1 << K):
                if not (S & bit):
                    g[S] -= g[S | bit]
        for S in range(1 << K):
            unseen = 0
            x = S
            while x:
                unseen += x & 1
                x >>= 1
            out[t, K - unseen] += g[S]
        for k in range(K + 1):
            if out[t, k] < 0.0:  # round-off of the alternating sum
                out[t, k] = 0.0
    return out


_seen_paths_pmf_par, _seen_paths_pmf_ser = twins(_seen_paths_pmf)
#: Subset evaluations (test derivations x 2**K) below which the pmf runs on the calling thread.
_PMF_PARALLEL_MIN = 1 << 16


def seen_paths_pmf(ranks, level_p, n_c, s, P):
    """Exact distribution of the number of seen paths for each test derivation.

    Parameters
    ----------
    ranks : int64[n_test, n_nodes]
        Test derivations: 0-based rule rank at every node, level by level
        (level l, 1-based, contributes ``s**(l-1)`` nodes).
    level_p : float64[L, m]
        Rule probabilities per level.
    n_c : int
        Number of classes (a training datum shares the test class w.p. 1/n_c).
    s : int
        Tuple size; ``K = s**(L-1)`` patches, at most 20.
    P : float
        Training-set size (i.i.d. data).

    Returns
    -------
    float64[n_test, K+1]
        Row t: probability, over training sets of P i.i.d. data, that exactly k
        of the K paths of test derivation t were seen at their positions.
        For every subset T, ``Pr(all of T unseen) = (1 - M_T)**P`` with M_T the
        probability one datum matches a path of T (a recursion over the tree,
        since paths of one datum share their upper choices); the exact-set
        probabilities follow by Moebius inversion over supersets.

    Examples
    --------
    >>> import numpy as np
    >>> from scalinglab.kernels.rhm import seen_paths_pmf
    >>> ranks = np.zeros((1, 3), dtype=np.int64)        # s = 2, L = 2: the root and its 2 children, all rank 0
    >>> level_p = np.array([[0.75, 0.25], [0.75, 0.25]])
    >>> pmf = seen_paths_pmf(ranks, level_p, 2, 2, 10.0)
    >>> pmf.shape, round(float(pmf.sum()), 12)          # k = 0, 1, 2 seen paths of K = 2
    ((1, 3), 1.0)
    """
    K = s ** (level_p.shape[0] - 1)
    f = _seen_paths_pmf_par if use_parallel(ranks.shape[0] * (1 << K), _PMF_PARALLEL_MIN) else _seen_paths_pmf_ser
    return f(ranks, level_p, n_c, s, P)
