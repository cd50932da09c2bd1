"""Numba kernels for learning-curve sums over a grouped spectrum.

Hutter's seen-feature error ``eps(P) = sum_i f_i (1 - f_i)**P`` (and its
generalisation ``sum_i w_i (1 - q_i)**P``) and the exact
distribution of the number of seen paths of one RHM datum.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["decay_sum", "log_decay_sum", "seen_paths_pmf"]


@njit(cache=True)
def _log1m(log_q):
    """``log(1 - q)`` from ``log q``, elementwise."""
    out = np.empty(log_q.shape[0], dtype=np.float64)
    for i in range(log_q.shape[0]):
        out[i] = np.log1p(-np.exp(log_q[i]))
    return out


@njit(cache=True)
def _exp_sum(log_w, l1p, p, shift):
    """``sum_i exp(log_w_i + p * l1p_i - shift)`` (the ``p * l1p`` term left out at p = 0, so ``0 * -inf``
    never occurs), added with Neumaier compensation."""
    s = 0.0
    c = 0.0
    for i in range(log_w.shape[0]):
        t = np.exp((log_w[i] if p == 0.0 else log_w[i] + p * l1p[i]) - shift)
        u = s + t
        if abs(s) >= abs(t):
            c += (s - u) + t
        else:
            c += (t - u) + s
        s = u
    return s + c


@njit(cache=True, parallel=True)
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
        underflow of ``(1-q)**P`` into wrong digits) and added with Neumaier
        compensation. Parallel over P: each P has its own accumulator.

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
    k = P.shape[0]
    out = np.empty(k, dtype=np.float64)
    l1p = _log1m(log_q)
    for j in prange(k):
        out[j] = _exp_sum(log_w, l1p, P[j], 0.0)
    return out


@njit(cache=True, parallel=True)
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
    n = log_w.shape[0]
    k = P.shape[0]
    out = np.empty(k, dtype=np.float64)
    l1p = _log1m(log_q)
    for j in prange(k):
        p = P[j]
        mx = -np.inf
        for i in range(n):
            t = log_w[i] if p == 0.0 else log_w[i] + p * l1p[i]
            if t > mx:
                mx = t
        out[j] = mx if mx == -np.inf else mx + np.log(_exp_sum(log_w, l1p, p, mx))
    return out


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


@njit(cache=True, parallel=True)
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
