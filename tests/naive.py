"""Slow, readable reference implementations that every kernel is tested against.

Nothing here is clever: loops over explicit tuples, direct formulas, no Numba.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


# ----------------------------------------------------------------------------- RHM paths
def rhm_all_path_logf(spec):
    """ln prod_l f^(l)_{i_l} of every one of the m**L rank tuples, explicitly."""
    logs = [np.log(spec.level_probs(l)) for l in range(1, spec.L + 1)]
    return np.array([sum(logs[l][i] for l, i in enumerate(t))
                     for t in itertools.product(range(spec.m), repeat=spec.L)])


def rhm_spectrum(spec, decimals=10):
    """Distinct per-class path log-frequencies (descending) and multiplicities,
    by enumerating all tuples and grouping values equal to ``decimals``."""
    lf = rhm_all_path_logf(spec)
    vals, counts = np.unique(np.round(lf, decimals), return_counts=True)
    return vals[::-1], counts[::-1]


def product_counts_dp(m, L):
    """{rank product: number of ordered L-tuples in [1..m]^L}, by a dict DP."""
    d = {1: 1}
    for _ in range(L):
        nd = {}
        for k, c in d.items():
            for i in range(1, m + 1):
                nd[k * i] = nd.get(k * i, 0) + c
        d = nd
    return d


def eps_direct(spec, P):
    """sum over all n_c*m**L paths of f (1-f)**P, with f = prod f / n_c, by
    explicit tuples and Python floats (pow, no log space)."""
    f = np.exp(rhm_all_path_logf(spec)) / spec.n_c
    return np.array([spec.n_c * sum(fi * (1.0 - fi) ** p for fi in f) for p in np.atleast_1d(P)])


def alpha_prime_fit(spec, lo, hi, n_points):
    """alpha' by OLS on the explicitly sorted list of all m**L values."""
    lf = np.sort(rhm_all_path_logf(spec))[::-1]
    r = np.clip(np.rint(np.geomspace(lo, hi, n_points)), math.ceil(lo), math.floor(hi))
    y = lf[r.astype(int) - 1]
    return -np.polyfit(np.log(r), y, 1)[0] - 1


def rhm_derivations(spec):
    """Every derivation (tuple of 0-based ranks, level by level) with its probability."""
    n_nodes = sum(spec.s**l for l in range(spec.L))
    probs = [spec.level_probs(l) for l in range(1, spec.L + 1)]
    level_of = [l for l in range(spec.L) for _ in range(spec.s**l)]
    out = []
    for t in itertools.product(range(spec.m), repeat=n_nodes):
        out.append((t, math.prod(probs[level_of[k]][r] for k, r in enumerate(t))))
    return out


def rhm_path_keys(spec, derivation):
    """Path of each of the K patches: tuple of the ranks on the branch root -> patch j."""
    offs = np.cumsum([0] + [spec.s**l for l in range(spec.L)])
    keys = []
    for j in range(spec.K):
        key = []
        for l in range(spec.L):
            node = j // spec.s ** (spec.L - 1 - l)
            key.append(derivation[offs[l] + node])
        keys.append(tuple(key))
    return keys


def seen_count_pmf_bruteforce(spec, test_derivation, P):
    """Distribution of the number of seen paths of one test datum (class 0),
    by enumerating every ordered training set of P data (class, derivation)."""
    derivs = rhm_derivations(spec)
    test_keys = rhm_path_keys(spec, test_derivation)
    data = [(c, rhm_path_keys(spec, d), p / spec.n_c) for c in range(spec.n_c) for d, p in derivs]
    pmf = np.zeros(spec.K + 1)
    for combo in itertools.product(range(len(data)), repeat=P):
        prob = 1.0
        seen = [False] * spec.K
        for i in combo:
            c, keys, p = data[i]
            prob *= p
            if c == 0:
                for j in range(spec.K):
                    if keys[j] == test_keys[j]:
                        seen[j] = True
        pmf[sum(seen)] += prob
    return pmf
