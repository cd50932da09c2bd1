"""Issue 12, rank-product counts beyond int64: exact spectra up to L = 60 against a big-integer reference.

Before the hardening the multiset kernel's factorials overflowed int64 for
a group of more than 20 levels (m = 2, L = 21 summed to a negative count), so
``rhm alpha-c --m 2 --L 23 --window 1:2000`` printed 0.6709; the right
value is 2.7701.
"""

import bisect
import math
from functools import lru_cache

import numpy as np
import pytest
from scipy.optimize import brentq

from scalinglab.theory.rhm import RHMSpec, alpha_c, alpha_prime, log_uniform_ranks, path_spectrum


@lru_cache(maxsize=None)
def bigint_product_counts(m, g):
    """{product of g ranks in 1..m: number of ordered g-tuples} with Python integers (exact)."""
    counts = {1: 1}
    for _ in range(g):
        nxt = {}
        for p, c in counts.items():
            for r in range(1, m + 1):
                nxt[p * r] = nxt.get(p * r, 0) + c
        counts = nxt
    return tuple(sorted(counts.items()))  # ascending product = descending frequency


def reference_spectrum(m, g, alpha):
    items = bigint_product_counts(m, g)
    prods = [p for p, _ in items]
    counts = [c for _, c in items]
    logz = math.log(math.fsum(i ** -(1 + alpha) for i in range(1, m + 1)))
    log_f = np.array([-(1 + alpha) * math.log(p) - g * logz for p in prods])
    cum = []
    tot = 0
    for c in counts:
        tot += c
        cum.append(tot)
    return log_f, counts, cum


def reference_alpha_prime(m, g, alpha, window, n_points=200):
    log_f, _, cum = reference_spectrum(m, g, alpha)
    lo, hi = window
    r = log_uniform_ranks(lo, hi, n_points)
    lf = np.array([log_f[bisect.bisect_left(cum, int(x))] for x in r])
    slope = np.polyfit(np.log(r), lf, 1)[0]
    return -slope - 1


@pytest.mark.parametrize("m, L", [(2, 21), (2, 23), (2, 40), (2, 60), (3, 30), (3, 60), (4, 45), (4, 60)])
def test_exact_spectrum_counts_beyond_int64(m, L):
    alpha = 0.7
    spec = RHMSpec(n_c=2, v=m, m=m, s=2, L=L, alpha=alpha)
    sp = path_spectrum(spec, mode="exact")
    log_f, counts, cum = reference_spectrum(m, L, alpha)
    assert sp.mode == "exact" and sp.n_groups == len(counts)
    assert np.all(np.asarray(sp.counts) > 0)
    np.testing.assert_allclose(sp.log_f, log_f, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(sp.counts, dtype=float), np.array(counts, dtype=float), rtol=1e-13)
    np.testing.assert_allclose(np.asarray(sp.rank_hi, dtype=float), np.array(cum, dtype=float), rtol=1e-13)
    assert float(sp.n_per_class) == pytest.approx(float(m**L), rel=1e-14)
    assert float(np.sum(sp.f * sp.counts)) == pytest.approx(1.0, rel=1e-12)


def test_counts_stay_exact_integers_while_they_fit():
    # m**L < 2**62: counts remain int64 and exact, as before
    sp = path_spectrum(RHMSpec(n_c=2, v=2, m=2, s=2, L=20, alpha=1.0), mode="exact")
    assert sp.counts.dtype == np.int64
    assert [int(c) for c in sp.counts] == [c for _, c in bigint_product_counts(2, 20)]


@pytest.mark.parametrize("m, L, window", [(2, 23, (1, 2000)), (2, 60, (1, 10**6)), (3, 40, (10, 10**9))])
def test_alpha_prime_windowed_matches_bigint_reference(m, L, window):
    spec = RHMSpec(n_c=2, v=m, m=m, s=2, L=L, alpha=2.0)
    got = alpha_prime(spec, window=window).alpha_prime
    assert got == pytest.approx(reference_alpha_prime(m, L, 2.0, window), abs=1e-9)


def test_alpha_c_m2_L23_window_value_from_issue():
    got = alpha_c(2, 23, window=(1, 2000)).alpha_c
    ref = brentq(lambda a: reference_alpha_prime(2, 23, a, (1, 2000)), 0.5, 6.0, xtol=1e-12)
    assert got == pytest.approx(ref, abs=1e-7)
    assert round(got, 4) == 2.7701


@pytest.mark.parametrize("L", [21, 30, 45, 60])
def test_alpha_c_full_window_large_L_matches_reference(L):
    got = alpha_c(2, L).alpha_c
    ref = brentq(lambda a: reference_alpha_prime(2, L, a, (1, 2.0**L)), -0.99, 8.0, xtol=1e-12)
    assert got == pytest.approx(ref, abs=1e-7)
