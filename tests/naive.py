"""Slow, readable reference implementations that every kernel is tested against.

Nothing here is clever: loops over explicit tuples, direct formulas, no Numba.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


# --------------------------------------------------------------------------- RHM sampler (issue 3)
_M64 = (1 << 64) - 1


def splitmix64(x):
    """One splitmix64 step on a Python int (mod 2**64)."""
    x = (x + 0x9E3779B97F4A7C15) & _M64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def rhm_uniform(seed, i, k):
    """Uniform k of datum i of the counter-based stream ``seed`` (see kernels/rhm_sample.py)."""
    inner = splitmix64((i * 0x100000001B3 + k) & _M64)
    h = splitmix64((seed & _M64) ^ inner)
    return (h >> 11) / 9007199254740992.0


def rhm_sample(rules, n_c, probs, n, seed, start=0):
    """Pure-Python RHM sampler, recursive (depth first), same random stream.

    Returns (x, y, ranks, keys): inputs, labels, derivations (level by level,
    breadth-first order) and the path key of every patch, the key built along
    the recursion: ``key = ((c*m + i_1)*m + i_2)...``.
    """
    L = len(rules)
    m, s = rules[0].shape[1], rules[0].shape[2]
    xs, ys, rks, kss = [], [], [], []
    for i in range(start, start + n):
        c = min(int(rhm_uniform(seed, i, 0) * n_c), n_c - 1)
        # breadth-first index of node (level l, position q) is s**0+...+s**(l-2) + q
        ranks = {}

        def draw(level, q):
            col = sum(s**t for t in range(level - 1)) + q
            u = rhm_uniform(seed, i, 1 + col)
            acc = 0.0
            for r in range(m):
                acc += probs[level - 1][r]
                if u < acc or r == m - 1:
                    ranks[col] = r
                    return r

        leaves, keys = [], []

        def grow(level, q, symbol, key):
            r = draw(level, q)
            tup = [int(t) for t in rules[level - 1][symbol][r]]
            key = key * m + r
            if level == L:
                leaves.extend(tup)
                keys.append(key)
                return
            for t, sym in enumerate(tup):
                grow(level + 1, q * s + t, sym, key)

        grow(1, 0, c, c)
        xs.append(leaves)
        ys.append(c)
        rks.append([ranks[col] for col in range(len(ranks))])
        kss.append(keys)
    return (np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64), np.array(rks, dtype=np.int64),
            np.array(kss, dtype=np.int64))


def rhm_all_path_freqs(probs, n_c):
    """Frequencies of all n_c * m**L paths of one position, by explicit enumeration."""
    L, m = len(probs), len(probs[0])
    out = []
    for c in range(n_c):
        for ranks in itertools.product(range(m), repeat=L):
            f = 1.0 / n_c
            for l, r in enumerate(ranks):
                f *= probs[l][r]
            out.append(f)
    return np.array(out)


def rhm_seen_error(probs, n_c, P):
    """Hutter's sum eps(P) = sum over paths f (1-f)**P, term by term."""
    return float(sum(f * (1.0 - f) ** P for f in rhm_all_path_freqs(probs, n_c)))
