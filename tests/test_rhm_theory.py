"""RHM path theory against brute-force enumeration and exact references."""

import math

import mpmath
import numpy as np
import pytest

import naive
from scalinglab.errors import InputError
from scalinglab.kernels.rhm import multiset_groups
from scalinglab.kernels.rhm import decay_sum, seen_paths_pmf
from scalinglab.theory.rhm import (RHMSpec, alpha_c, alpha_c_table, alpha_prime, alpha_prime_at, eps_position_free,
                                   learning_curve,
                                   local_alpha_prime, path_spectrum, sample_derivations, seen_paths_distribution,
                                   spectrum_size, split_accuracy_model)


def _spec(m, L, alpha, n_c=2):
    return RHMSpec(n_c=n_c, v=m, m=m, s=2, L=L, alpha=alpha)


VEC3 = (0.5, 0.3, 0.2)
SMALL_CASES = [
    (m, L, a)
    for m in (2, 3, 6)
    for L in (1, 2, 3, 4)
    if m**L <= 1296
    for a in (1.0, -1.0, 0.37)
] + [
    (3, 3, (1.0, -1.0, 2.5)),                  # mixed: zipf, uniform, zipf
    (3, 3, (VEC3, VEC3, 0.5)),                 # shared vector + zipf
    (3, 4, (VEC3, 1.0, VEC3, 1.0)),            # two shared groups
    (6, 3, (0.2, 0.2, -1.0)),
    (4, 4, ((0.4, 0.3, 0.2, 0.1), -1.0, 3.0, -1.0)),
]


@pytest.mark.parametrize("m, L, alpha", SMALL_CASES)
def test_spectrum_equals_bruteforce(m, L, alpha):
    spec = _spec(m, L, alpha)
    sp = path_spectrum(spec, mode="exact")
    vals, counts = naive.rhm_spectrum(spec)
    assert sp.mode == "exact"
    assert np.all(np.diff(sp.log_f) < 0)
    np.testing.assert_allclose(sp.log_f, vals, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(sp.counts, counts)
    assert sp.counts.sum() == m**L
    assert (sp.f * sp.counts).sum() == pytest.approx(1.0, abs=1e-12)


def test_multiset_kernel_counts_are_multinomial():
    m, g = 5, 4
    logp = np.log(np.arange(1, m + 1.0))
    lf, prod, cnt = multiset_groups(logp, g, math.comb(m + g - 1, g))
    assert cnt.sum() == m**g
    assert np.allclose(np.exp(lf), prod)  # log of product of ranks
    ref = naive.product_counts_dp(m, g)
    got = {}
    for p, c in zip(prod, cnt):
        got[int(p)] = got.get(int(p), 0) + int(c)
    assert got == ref


def test_large_spectra_exact_and_binned():
    sp = path_spectrum(RHMSpec(n_c=10, v=10, m=10, s=2, L=12, alpha=1.0))
    assert sp.mode == "exact"
    ref = naive.product_counts_dp(10, 12)
    assert sp.n_groups == len(ref)
    np.testing.assert_array_equal(sp.counts, [ref[k] for k in sorted(ref)])
    assert (sp.f * sp.counts).sum() == pytest.approx(1.0, rel=1e-12)
    big = RHMSpec(n_c=10, v=1000, m=1000, s=2, L=4, alpha=1.0)
    assert spectrum_size(big)["enumerate"] > 10**10
    with pytest.raises(ValueError, match="needs .* multisets"):
        path_spectrum(big, mode="exact")
    sb = path_spectrum(big)
    assert sb.mode == "binned" and sb.counts.sum() == 1000**4
    assert (sb.f * sb.counts).sum() == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("alpha", [1.0, (0.3, 2.0, -1.0)])
def test_binned_mode_within_stated_tolerance(alpha):
    spec = _spec(6, 3, alpha)
    ex = path_spectrum(spec, mode="exact")
    for bw in (1e-3, 0.05):
        bn = path_spectrum(spec, mode="binned", bin_width=bw)
        assert bn.log_tol == pytest.approx(3 * bw)
        assert bn.counts.sum() == 6**3
        assert (bn.f * bn.counts).sum() == pytest.approx(1.0, abs=1e-12)
        r = np.arange(1, 6**3 + 1)
        assert np.max(np.abs(ex.log_f_at_rank(r) - bn.log_f_at_rank(r))) <= bn.log_tol + 1e-12


@pytest.mark.parametrize("window", [None, (2, 100), (10, 1296)])
def test_alpha_prime_matches_fit_on_materialised_list(window):
    spec = _spec(6, 4, 1.3)
    fit = alpha_prime(spec, window=window, n_points=150)
    lo, hi = fit.window
    assert fit.alpha_prime == pytest.approx(naive.alpha_prime_fit(spec, lo, hi, 150), abs=1e-10)
    assert fit.n_points == 150 and "log-uniform" in fit.method


def test_alpha_prime_limits():
    assert alpha_prime(_spec(6, 3, -1.0)).alpha_prime == pytest.approx(-1.0)
    # L = 1: the spectrum is the Zipf law itself
    assert alpha_prime(RHMSpec(1, 1000, 1000, 2, 1, 0.8)).alpha_prime == pytest.approx(0.8, abs=1e-9)
    # deeper hierarchies flatten the spectrum (seed Fig. 3)
    aps = [alpha_prime(_spec(10, L, 1.0)).alpha_prime for L in (2, 3, 4, 5)]
    assert np.all(np.diff(aps) < 0)


def test_local_exponent_and_scale():
    spec = RHMSpec(1, 1000, 1000, 2, 1, 0.5)
    loc = local_alpha_prime(spec, ranks=[10, 100], half_width_decades=0.3)
    np.testing.assert_allclose(loc.alpha_prime, 0.5, atol=2e-3)
    sp = path_spectrum(_spec(10, 3, 1.0, n_c=10))
    r, a = alpha_prime_at(sp, [1e2, 1e4])
    assert r[0] == sp.rank_of_frequency(10 / 1e2) and r[0] < r[1]
    # rank_of_frequency counts every path with f >= threshold
    f = np.exp(naive.rhm_all_path_logf(_spec(10, 3, 1.0, n_c=10)))
    for thr in (1e-2, 1e-3, sp.f[5]):
        assert sp.rank_of_frequency(thr) == np.sum(f >= thr * (1 - 1e-12))


def test_alpha_c_root_and_table():
    res = alpha_c(10, 3)
    assert alpha_prime(_spec(10, 3, res.alpha_c)).alpha_prime == pytest.approx(0.0, abs=1e-8)
    lo, hi = res.window
    assert naive.alpha_prime_fit(_spec(10, 3, res.alpha_c), lo, hi, res.n_points) == pytest.approx(0, abs=1e-8)
    rows = alpha_c_table(10, Ls=(2, 3))
    assert [r["window"] for r in rows] == ["full", "head:1", "full", "head:2", "head:1"]
    full = [r["alpha_c"] for r in rows if r["window"] == "full"]
    assert 0 < full[0] < full[1] < 1
    with pytest.raises(ValueError):
        alpha_c(10, 3, window=(5, 2))


@pytest.mark.parametrize("case", [(3, 2, 1.0, 3), (2, 3, (2.0, -1.0, 0.5), 2), (4, 1, 0.3, 5)])
def test_eps_equals_direct_sum(case):
    m, L, alpha, n_c = case
    spec = RHMSpec(n_c=n_c, v=max(m, n_c), m=m, s=2, L=L, alpha=alpha)
    P = np.array([0.0, 1, 3, 10, 100, 1e3, 1e4])
    lc = learning_curve(spec, P)
    np.testing.assert_allclose(lc.eps, naive.eps_direct(spec, P), rtol=1e-12, atol=1e-300)
    assert lc.eps[0] == pytest.approx(1.0)
    assert lc.path_mass[0] == 0.0  # P = 0: no path has scale 1/f <= 0
    # path(P): mass of paths with 1/f <= P
    f = np.exp(naive.rhm_all_path_logf(spec)) / n_c
    for p, mass in zip(P[1:], lc.path_mass[1:]):
        assert mass == pytest.approx(n_c * f[f >= 1 / p].sum(), abs=1e-12)


def test_eps_large_P_log_space_against_mpmath():
    spec = _spec(6, 3, 1.5)
    sp = path_spectrum(spec)
    P = np.array([1e6, 1e8])
    got = learning_curve(sp, P).eps
    mpmath.mp.dps = 40
    for p, g in zip(P, got):
        ref = sum(int(c) * 2 * mpmath.mpf(fi) / 2 * (1 - mpmath.mpf(fi) / 2) ** int(p)
                  for fi, c in zip(sp.f, sp.counts))
        assert g == pytest.approx(float(ref), rel=1e-10)
        assert g > 0


def test_eps_kernel_parallel_matches_serial_loop():
    rng = np.random.default_rng(1)
    lf = np.log(rng.uniform(1e-6, 1e-2, 500))
    lm = np.log(rng.integers(1, 50, 500).astype(float))
    P = np.geomspace(1, 1e6, 37)
    ref = [sum(math.exp(a + b) * (1 - math.exp(a)) ** p for a, b in zip(lf, lm)) for p in P]
    np.testing.assert_allclose(decay_sum(lm + lf, lf, P), ref, rtol=1e-11)
    # separate weights and decay probabilities
    lq = np.log(rng.uniform(1e-6, 1e-2, 500))
    ref = [sum(math.exp(a + b) * (1 - math.exp(q)) ** p for a, b, q in zip(lf, lm, lq)) for p in P]
    # the pow-form reference itself loses ~1e-11 relative at P ~ 1e6 (1 - q rounded first)
    np.testing.assert_allclose(decay_sum(lm + lf, lq, P), ref, rtol=1e-9)


def test_learning_curve_exponent_hutter_limit():
    # one Zipf level, many features: eps ~ P^-(alpha/(1+alpha)) in the bulk
    spec = RHMSpec(n_c=1, v=10**6, m=10**6, s=2, L=1, alpha=1.0)
    lc = learning_curve(spec, np.geomspace(1e2, 1e5, 7))
    np.testing.assert_allclose(lc.local_exponent, 0.5, atol=0.02)
    assert lc.predicted_exponent == pytest.approx(0.5, abs=1e-6)


def test_split_model_is_binomial():
    c = np.array([0.1, 0.3, 0.5, 0.8, 0.95])
    q = np.array([0.0, 0.2, 0.7, 1.0])
    mod = split_accuracy_model(c, q)
    # check it against exact rational arithmetic, and against scipy's binom.pmf where scipy works
    from scipy.stats import binom

    np.testing.assert_allclose(mod.pk, binom.pmf(np.arange(5)[None, :], 4, q[:, None]), rtol=1e-13, atol=1e-16)
    from fractions import Fraction

    for i, qq in enumerate(q):
        fq = Fraction(float(qq))
        exact = [math.comb(4, k) * fq**k * (1 - fq) ** (4 - k) for k in range(5)]
        np.testing.assert_allclose(mod.pk[i], [float(e) for e in exact], rtol=1e-13, atol=1e-16)
        eq9 = 1 - sum(float(math.comb(4, k) * fq**k) * c[k] for k in range(5))
        assert mod.seed_eq9_error[i] == pytest.approx(eq9, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(mod.pk.sum(1), 1)
    np.testing.assert_allclose(mod.accuracy, mod.pk @ c)
    assert mod.error[-1] == pytest.approx(1 - c[-1]) and mod.error[0] == pytest.approx(1 - c[0])
    with pytest.raises(ValueError):
        split_accuracy_model([0.5, 1.2], 0.5)


@pytest.mark.parametrize("P", [1, 2, 3])
def test_seen_pmf_kernel_against_enumerated_training_sets(P):
    spec = RHMSpec(n_c=2, v=4, m=2, s=2, L=2, alpha=0.7)
    for test in [(0, 0, 0), (1, 0, 1), (0, 1, 1)]:
        got = seen_paths_pmf(np.array([test], dtype=np.int64), spec.probs_matrix(), spec.n_c, spec.s, float(P))[0]
        ref = naive.seen_count_pmf_bruteforce(spec, test, P)
        np.testing.assert_allclose(got, ref, atol=1e-14)


def test_seen_paths_distribution_mean_and_independence():
    spec = RHMSpec.make(alpha=1.0)
    P = np.array([10.0, 300.0, 1e4])
    d = seen_paths_distribution(spec, P, n_test=4000, seed=3)
    np.testing.assert_allclose(d.pk.sum(1), 1, atol=1e-12)
    lc = learning_curve(spec, P)
    # E[k] = K (1 - eps(P)) exactly; MC over test data within 5 standard errors
    mean_se = np.sqrt(np.maximum(((np.arange(5) ** 2) * d.pk).sum(1) - d.mean_seen**2, 0) / d.n_test)
    assert np.all(np.abs(d.mean_seen - 4 * (1 - lc.eps)) <= 5 * mean_se + 1e-12)
    # shared upper choices make the count over-dispersed relative to the binomial
    var = ((np.arange(5) ** 2) * d.pk).sum(1) - d.mean_seen**2
    var_b = 4 * (1 - lc.eps) * lc.eps
    assert var[1] > var_b[1]
    # K = 1 (L = 1): k is Bernoulli(1 - eps) exactly
    s1 = RHMSpec(n_c=3, v=10, m=10, s=2, L=1, alpha=0.5)
    d1 = seen_paths_distribution(s1, [50.0], n_test=50000, seed=0)
    assert d1.pk[0, 1] == pytest.approx(1 - learning_curve(s1, [50.0]).eps[0], abs=5 * d1.stderr[0, 1] + 1e-12)


def test_sample_derivations_frequencies():
    spec = RHMSpec.make(alpha=1.0)
    d = sample_derivations(spec, 20000, seed=0)
    assert d.shape == (20000, 1 + 2 + 4)
    freq = np.bincount(d[:, 0], minlength=10) / 20000
    assert np.all(np.abs(freq - spec.level_probs(1)) < 5 * np.sqrt(spec.level_probs(1) / 20000) + 1e-3)


def test_bad_inputs():
    with pytest.raises(ValueError):
        learning_curve(_spec(3, 2, 1.0), [-1.0])
    with pytest.raises(ValueError):
        path_spectrum(_spec(3, 2, 1.0), mode="fast")
    with pytest.raises(ValueError):
        alpha_prime(_spec(3, 2, 1.0), window=(1, 100))
    with pytest.raises(InputError, match="RHMSpec"):  # issue 12: every bad input is the user-error type
        path_spectrum("m=10")
    with pytest.raises(ValueError, match="K ="):
        seen_paths_distribution(RHMSpec(n_c=2, v=10, m=2, s=2, L=6, alpha=1.0), [10.0])


@pytest.mark.parametrize("spec", [
    RHMSpec(n_c=2, v=4, m=2, s=2, L=2, alpha=0.7),
    RHMSpec(n_c=2, v=4, m=2, s=2, L=3, alpha=(1.5, -1.0, 0.3)),
    RHMSpec(n_c=3, v=9, m=3, s=2, L=2, alpha=(0.2, 2.0)),
])
def test_position_free_error_against_enumerated_derivations(spec):
    P = np.array([0.0, 1, 5, 50, 500])
    q = naive.position_free_match_probs(spec)
    f = np.exp(naive.rhm_all_path_logf(spec))  # class-summed weight of each rank tuple
    ref = [sum(fi * (1 - qi) ** p for fi, qi in zip(f, q)) for p in P]
    got = eps_position_free(spec, P)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.all(got[1:] < learning_curve(spec, P[1:]).eps)  # seen anywhere is easier


def test_position_free_equals_specific_without_branching():
    spec = RHMSpec(n_c=3, v=10, m=5, s=2, L=1, alpha=0.9)  # one patch: positions cannot differ
    P = np.geomspace(1, 1e4, 9)
    np.testing.assert_allclose(eps_position_free(spec, P), learning_curve(spec, P).eps, rtol=1e-12)
    with pytest.raises(ValueError, match="max_paths"):
        eps_position_free(RHMSpec(n_c=10, v=1000, m=1000, s=2, L=4, alpha=1.0), [10.0])
