"""Issue 18, rank arithmetic beyond int64: alpha' and alpha_c against exact big-integer references.

Before the fix ranks were float64 cumulative sums once m**L >= 2**62, and the tail of the spectrum was lost
in their rounding: ``log_f_at_rank(2**62)`` for m = 2, L = 62 gave the group with 58 rank-2 rules instead
of 62; alpha_c(5, 30) was 0.883056 (exact 0.879516) and alpha'(m=2, L=300, alpha=3) 0.62197 (exact 0.65405).
The references (tests/naive.py) count paths with Python integers by a DP over the levels and look each
sampled rank up by exact bisection; they share with the code only the definition of the sampled ranks.
"""

import math

import numpy as np
import pytest

from scalinglab.kernels.rhm import multiset_multiplicities
from scalinglab.theory.rhm import RHMSpec, alpha_c, alpha_prime, path_spectrum
from scalinglab.theory.rhm._spectrum import _spectrum_shared
from tests import naive

# (m, L) with m**L from 2**61 to 2**200 (and 2**300 for m = 2); C(m+L-1, L) stays within the exact mode
GRID = [(2, 61), (2, 62), (2, 63), (2, 64), (2, 100), (2, 150), (2, 200), (3, 40), (3, 80), (3, 126), (4, 32),
        (4, 64), (4, 100), (5, 27), (5, 30), (5, 50), (6, 30), (7, 25)]
# m = 5, L = 86 is m**L = 2**200 with 2.6e6 multisets (~20 s, the reference DP ~40 s); m = 10 reaches the exact
# mode's limit of 2e7 multisets at L = 21 (m**L = 2**70; ~15 s each): beyond, alpha_c refuses and alpha' is binned
SLOW_GRID = [(5, 86), (10, 19), (10, 20), (10, 21)]


@pytest.fixture(scope="module")
def refs():
    cache = {}

    def get(m, L, window=None, n_points=200):
        key = (m, L, window, n_points)
        if key not in cache:
            cache[key] = naive.BigIntAlphaPrime(m, L, window, n_points)
        return cache[key]

    return get


def _check_alpha_prime(refs, m, L):
    ref = refs(m, L)
    for a in (-0.5, 0.5, 3.0):
        got = alpha_prime(_spectrum_shared(m, L, a)).alpha_prime
        assert got == pytest.approx(ref(a), abs=1e-9), (m, L, a)
    spec = RHMSpec(n_c=2, v=m, m=m, s=2, L=L, alpha=1.0)  # the public path: a spec, spectrum built inside
    assert alpha_prime(spec).alpha_prime == pytest.approx(ref(1.0), abs=1e-9)


@pytest.mark.parametrize("m, L", GRID)
def test_alpha_prime_matches_bigint_reference(refs, m, L):
    _check_alpha_prime(refs, m, L)


@pytest.mark.slow
@pytest.mark.parametrize("m, L", SLOW_GRID)
def test_alpha_prime_matches_bigint_reference_m10(refs, m, L):
    _check_alpha_prime(refs, m, L)


@pytest.mark.parametrize("m, L", [(2, 62), (2, 120), (2, 200), (3, 126), (4, 100), (5, 30), (6, 30), (7, 25)])
def test_alpha_c_matches_bigint_reference(refs, m, L):
    ref = refs(m, L)
    assert alpha_c(m, L).alpha_c == pytest.approx(ref.alpha_c(), abs=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("m, L", [(5, 86), (10, 21)])
def test_alpha_c_matches_bigint_reference_at_the_limits(refs, m, L):
    ref = refs(m, L)
    assert alpha_c(m, L).alpha_c == pytest.approx(ref.alpha_c(), abs=1e-8)


@pytest.mark.parametrize("m, L", [(2, 200), (5, 50)])
def test_binned_alpha_prime_within_its_stated_bound(refs, m, L):
    """The binned mode's alpha' against the exact one: every ln f is within log_tol, so the OLS slope moves by
    at most log_tol * sum|x - mean| / sum (x - mean)**2 (x = ln rank)."""
    ref = refs(m, L)
    sp = path_spectrum(RHMSpec(n_c=2, v=m, m=m, s=2, L=L, alpha=1.0), mode="binned")
    x = np.array(ref.x)
    bound = sp.log_tol * np.abs(x - x.mean()).sum() / ((x - x.mean()) ** 2).sum()
    assert abs(alpha_prime(sp).alpha_prime - ref(1.0)) <= bound + 1e-12


@pytest.mark.parametrize("m, L, k", [(2, 100, 70), (5, 30, 20), (3, 126, 100)])
def test_alpha_c_head_window_matches_bigint_reference(refs, m, L, k):
    ref = refs(m, L, window=(1.0, float(m**k)))
    assert alpha_c(m, L, window=f"head:{k}").alpha_c == pytest.approx(ref.alpha_c(), abs=1e-8)


def test_issue_values():
    sp = _spectrum_shared(2, 62, 1.0)
    n_rank2 = (sp.log_f[0] - sp.log_f_at_rank(2**62)) / (2 * math.log(2))  # f ∝ 2**-(1+alpha) per rank-2 rule
    assert n_rank2 == pytest.approx(62, abs=1e-9)  # was 58
    assert alpha_c(5, 30).alpha_c == pytest.approx(0.879516, abs=5e-7)  # was 0.883056
    assert alpha_prime(_spectrum_shared(2, 300, 3.0)).alpha_prime == pytest.approx(0.65405, abs=5e-6)  # was 0.62197


@pytest.mark.parametrize("m, L", [(2, 61), (2, 62), (2, 200), (5, 30), (4, 100)])
def test_log_f_at_exact_ranks_next_to_every_tail_boundary(m, L):
    """Python-int ranks at, just below and just above group boundaries, also past 2**53 where floats are coarse."""
    alpha = 1.0
    ref_lf, cum = naive.bigint_level_spectrum(m, [alpha] * L)
    sp = _spectrum_shared(m, L, alpha)
    assert sp.n_paths == m**L and sp.n_groups == len(cum)
    picks = sorted(set(list(range(min(30, len(cum)))) + list(range(len(cum) - 30, len(cum))) + [len(cum) // 2]))
    ranks, want = [], []
    for g in picks:
        lo = 1 if g == 0 else cum[g - 1] + 1
        for r in (lo, cum[g]):
            ranks.append(r)
            want.append(ref_lf[g])
    got = sp.log_f_at_rank(np.array(ranks, dtype=object))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    if m**L < 2**63:  # int64 ranks past 2**53 (float64 would round them) are exact too
        np.testing.assert_allclose(sp.log_f_at_rank(np.array(ranks, dtype=np.int64)), want, rtol=0, atol=1e-9)
    # one rank at a time as plain Python ints, and the last rank as the float nearest m**L
    assert sp.log_f_at_rank(ranks[-1]) == pytest.approx(want[-1], abs=1e-9)
    assert sp.log_f_at_rank(float(m**L)) == pytest.approx(ref_lf[-1], abs=1e-9)
    assert sp.rank_hi[-1] == float(m**L)


def test_mixed_laws_combine_exactly():
    """Levels with different exponents go through the outer-product combination: exact there too."""
    m, alphas = 2, [1.0] * 35 + [math.sqrt(2)] * 35  # incommensurate: no two paths of equal frequency merge
    spec = RHMSpec(n_c=2, v=2, m=2, s=2, L=70, alpha=tuple(alphas))
    sp = path_spectrum(spec, mode="exact")
    ref_lf, cum = naive.bigint_level_spectrum(m, alphas)
    assert sp.n_groups == len(cum) and sp.n_paths == 2**70
    for g in list(range(10)) + list(range(len(cum) - 40, len(cum))):
        assert sp.log_f_at_rank(cum[g]) == pytest.approx(ref_lf[g], abs=1e-9)
        if g + 1 < len(cum):
            assert sp.log_f_at_rank(cum[g] + 1) == pytest.approx(ref_lf[g + 1], abs=1e-9)
    r = np.clip(np.rint(np.geomspace(1, 2.0**70, 200)), 1, 2.0**70)
    y = [ref_lf[naive._bisect_left(cum, naive.exact_rank(float(x), 2**70))] for x in r]
    ref = -naive.ols_slope([math.log(x) for x in r], y) - 1
    assert alpha_prime(sp).alpha_prime == pytest.approx(ref, abs=1e-9)


def test_binned_mode_keeps_the_tail():
    """Binned counts are float sums; the rank boundaries near m**L are summed from the end, so the last
    ranks still read the last bins (within the stated log_tol of the exact values)."""
    sp = path_spectrum(RHMSpec(n_c=2, v=2, m=2, s=2, L=200, alpha=3.0), mode="binned")
    ref_lf, cum = naive.bigint_level_spectrum(2, [3.0] * 200)
    for g in range(len(cum) - 6, len(cum)):
        assert abs(sp.log_f_at_rank(cum[g]) - ref_lf[g]) <= sp.log_tol + 1e-9


@pytest.mark.parametrize("m, g", [(2, 5), (3, 4), (4, 6), (5, 3)])
def test_multiset_multiplicities_kernel_matches_naive(m, g):
    n = math.comb(m + g - 1, g)
    idx = np.arange(0, n, 2, dtype=np.int64)
    np.testing.assert_array_equal(multiset_multiplicities(m, g, n, idx), naive.multiset_multiplicities(m, g, idx))
    assert multiset_multiplicities(m, g, n, np.empty(0, dtype=np.int64)).shape == (0, m)
