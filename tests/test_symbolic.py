"""Symbolic derivations (theory/symbolic.py) against brute force and the RHM kernels.

References used here are independent of the code under test: scipy quadrature
of the original integrals, mpmath's zeta, brute-force counts of L-tuples with a
bounded product (nested loops / a divisor sieve), and the discrete Hutter sum in
plain numpy.
"""

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from scalinglab.theory import rhm
from scalinglab.theory.rhm import RHMSpec
from scalinglab.theory.rhm import (hutter_learning_curve, piltz_main_term, product_zipf_effective_exponent,
                                        zeta_laurent, zipf_seen_error)


# ----------------------------------------------------------------------------- brute-force references
def count_tuples_naive(L, x):
    """#{(i_1..i_L) >= 1 : prod <= x} by plain recursion (small x only)."""
    if L == 0:
        return 1 if x >= 1 else 0
    return sum(count_tuples_naive(L - 1, x // i) for i in range(1, x + 1))


@pytest.fixture(scope="module")
def piltz_counts():
    """D_L(x) for all x <= 10**5, L = 2, 3, by the divisor sieve
    d_L(n) = sum_{k | n} d_{L-1}(k) (loop over k, add d_{L-1}(k) at multiples of k)."""
    N = 10**5
    out = {}
    d = np.ones(N + 1, dtype=np.int64)
    d[0] = 0
    for L in (2, 3):
        nd = np.zeros(N + 1, dtype=np.int64)
        for k in range(1, N + 1):
            nd[k::k] += d[k]
        d = nd
        out[L] = np.cumsum(d)
    return out


def test_sieve_matches_naive_counts(piltz_counts):
    for L in (2, 3):
        for x in (1, 2, 7, 12, 60, 97):
            assert piltz_counts[L][x] == count_tuples_naive(L, x)


# ----------------------------------------------------------------------------- Hutter
def test_hutter_symbolic_forms():
    h = hutter_learning_curve()
    a = h.alpha
    b = a / (1 + a)
    assert sp.simplify(h.exponent - b) == 0
    assert sp.simplify(sp.gammasimp(h.prefactor - sp.gamma(b) / (1 + a))) == 0
    assert h.exact.has(sp.lowergamma)
    # the derived closed form is the integral it came from (quadrature in x)
    for alpha in (0.5, 1.0, 2.0):
        for PP in (0.3, 3.0, 50.0):
            ref = quad(lambda x: x ** -(1 + alpha) * math.exp(-PP * x ** -(1 + alpha)), 1, np.inf, limit=200)[0]
            assert h.exact_fn(alpha, PP) == pytest.approx(ref, rel=1e-7)
        # alpha = 1: prefactor Gamma(1/2)/2 = sqrt(pi)/2
    assert h.prefactor_fn(1.0) == pytest.approx(math.sqrt(math.pi) / 2, rel=1e-12)
    # asymptote approaches the exact form at large P
    for alpha in (0.5, 1.0, 2.0):
        assert h.exact_fn(alpha, 1e4) / h.asymptote_fn(alpha, 1e4) == pytest.approx(1.0, abs=1e-12)
        assert abs(h.exact_fn(alpha, 1.0) / h.asymptote_fn(alpha, 1.0) - 1) > 0.05


def test_hutter_finite_m_closed_form():
    """The finite continuum int_1^m is the infinite one minus the tail, and its
    normalised version tracks the discrete sum over nine decades of P, through
    the exponential cut-off at P ~ Z m**(1+alpha)."""
    h = hutter_learning_curve()
    assert sp.simplify(h.exact_finite.subs(h.M, sp.oo) - h.exact) == 0
    for alpha in (0.5, 1.0):
        ref = quad(lambda x: x ** -(1 + alpha) * math.exp(-30.0 * x ** -(1 + alpha)), 1, 40.0)[0]
        assert h.exact_finite_fn(alpha, 30.0, 40.0) == pytest.approx(ref, rel=1e-7)
    m = 10**6
    P = np.geomspace(1e2, 1e11, 19)
    for alpha in (0.5, 2.0):
        Z = (np.arange(1, m + 1.0) ** -(1 + alpha))[::-1].sum()
        eps = zipf_seen_error(alpha, m, P)
        cont = h.normalised(alpha, P, Z, m=m)
        np.testing.assert_allclose(eps, cont, rtol=5e-3)
        slope_gap = np.gradient(np.log(eps), np.log(P)) - np.gradient(np.log(cont), np.log(P))
        assert np.max(np.abs(slope_gap)) < 3e-3


def test_zipf_seen_error_matches_direct_power():
    m, alpha = 50, 0.7
    f = np.arange(1, m + 1.0) ** -(1 + alpha)
    f /= f.sum()
    P = np.array([0, 1, 5, 100, 1e4])
    ref = [(f * (1 - f) ** p).sum() for p in P]
    np.testing.assert_allclose(zipf_seen_error(alpha, m, P, chunk=120), ref, rtol=1e-12)
    with pytest.raises(ValueError):
        zipf_seen_error(-1.0, m, P)
    with pytest.raises(ValueError):
        zipf_seen_error(1.0, m, [-1.0])


# window of P where m = 10**6 features look infinite (10 << P << m**(1+alpha)/Z,
# limited at alpha = 0.5 by the missing tail mass ~ m**-alpha)
HUTTER_WINDOWS = {0.5: (1e2, 1e4), 1.0: (1e2, 1e6), 2.0: (1e2, 1e8)}


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_hutter_exponent_from_discrete_sum(alpha):
    """Local slope of the discrete sum for m = 1e6 approaches -alpha/(1+alpha),
    and P**b eps approaches the normalised prefactor A Z**(-1/(1+alpha))."""
    h = hutter_learning_curve()
    m = 10**6
    lo, hi = HUTTER_WINDOWS[alpha]
    P = np.geomspace(lo / 2, hi * 2, 17)
    eps = zipf_seen_error(alpha, m, P)
    slope = -np.gradient(np.log(eps), np.log(P))
    inside = (P >= lo) & (P <= hi)
    b = float(h.exponent_fn(alpha))
    assert b == pytest.approx(alpha / (1 + alpha))
    assert np.max(np.abs(slope[inside] - b)) < 0.01
    Z = (np.arange(1, m + 1.0) ** -(1 + alpha))[::-1].sum()
    ratio = eps[inside] * P[inside] ** b / h.normalised_prefactor(alpha, Z)
    assert np.max(np.abs(ratio - 1)) < 0.02
    # the normalised exact form (continuum from x = 1) tracks the sum as closely
    assert np.max(np.abs(eps[inside] / h.normalised(alpha, P[inside], Z) - 1)) < 0.02


# ----------------------------------------------------------------------------- Piltz
def test_zeta_laurent_numeric():
    t = sp.Symbol("t")
    ser = zeta_laurent(t, 4)
    for tv in (0.05, -0.1, 0.2):
        assert float(ser.subs(t, tv)) == pytest.approx(float(sp.zeta(1 + tv).evalf(30)), rel=1e-7)


def test_piltz_symbolic_forms():
    y = sp.Symbol("y", real=True)
    p2 = piltz_main_term(2)
    assert sp.simplify(p2.poly - (y + 2 * sp.EulerGamma - 1)) == 0  # Dirichlet
    assert piltz_main_term(1).poly == 1
    for L in (2, 3, 4):
        p = piltz_main_term(L)
        x = p.x
        assert sp.simplify(p.leading - x * sp.log(x) ** (L - 1) / sp.factorial(L - 1)) == 0
        # the residue's top coefficient equals the recursion's leading term
        assert sp.Poly(p.poly, p.y).LC() == sp.Rational(1, math.factorial(L - 1))
        assert sp.Poly(p.poly, p.y).degree() == L - 1
    with pytest.raises(ValueError):
        piltz_main_term(0)


@pytest.mark.parametrize("L", [2, 3])
def test_piltz_main_term_vs_brute_force(piltz_counts, L):
    D = piltz_counts[L]
    p = piltz_main_term(L)
    xs = np.array([10**3, 10**4, 10**5])
    rel = np.abs(D[xs] - p(xs)) / D[xs]
    assert np.all(np.diff(rel) < 0)  # error o(x): relative error shrinks
    assert rel[-1] < (2e-4 if L == 2 else 1e-3)
    # the leading term alone misses by a fixed fraction of x: for L = 2,
    # (D - x ln x)/x -> 2 gamma - 1
    if L == 2:
        assert (D[10**5] - p.leading_fn(10**5)) / 10**5 == pytest.approx(2 * np.euler_gamma - 1, abs=1e-3)
        xr = np.arange(100, 10**5 + 1)
        assert np.max(np.abs(D[xr] - p(xr)) / xr ** (1 / 3)) < 2.5  # Dirichlet: O(x^(1/3))
    else:
        xr = np.arange(100, 10**5 + 1)
        assert np.max(np.abs(D[xr] - p(xr)) / np.sqrt(xr)) < 7.0


# ----------------------------------------------------------------------------- effective exponent
@pytest.mark.parametrize("L", [2, 3])
def test_effective_exponent_symbolic(L):
    e = product_zipf_effective_exponent(L)
    a, x = e.alpha, e.x
    assert sp.simplify(e.alpha_c_leading - (L - 1) / sp.log(x)) == 0
    assert sp.simplify(e.alpha_eff_leading - ((1 + a) / (1 + (L - 1) / sp.log(x)) - 1)) == 0
    # refined alpha_c = Q'(y)/Q(y)
    q = e.piltz.poly
    ref = (sp.diff(q, e.piltz.y) / q).subs(e.piltz.y, sp.log(x))
    for xv in (50.0, 1e4):
        assert float(e.alpha_c_refined.subs(x, xv).evalf()) == pytest.approx(float(ref.subs(x, xv).evalf()), rel=1e-10)
        assert float(e.alpha_c(xv)) == pytest.approx(float(ref.subs(x, xv).evalf()), rel=1e-10)
        assert float(e.alpha_c(xv, refined=False)) == pytest.approx((L - 1) / math.log(xv), rel=1e-12)
        # alpha_eff vanishes at alpha_c
        assert float(e.alpha_eff(e.alpha_c(xv), xv)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("L", [2, 3])
def test_effective_exponent_vs_brute_force(piltz_counts, L):
    """d ln r / d ln x from exact tuple counts (secant between x1 and x2)
    against the refined formula (tight) and the leading one (loose)."""
    D = piltz_counts[L]
    e = product_zipf_effective_exponent(L)
    for x1, x2 in ((10**3, 3 * 10**3), (10**4, 3 * 10**4), (3 * 10**4, 10**5)):
        secant = math.log(D[x2] / D[x1]) / math.log(x2 / x1)
        xm = math.sqrt(x1 * x2)
        refined, leading = float(e.dlogr(xm)), float(e.dlogr(xm, refined=False))
        assert secant == pytest.approx(refined, abs=1e-3)
        assert secant == pytest.approx(leading, abs=0.03)
        assert abs(secant - refined) < abs(secant - leading)
        for alpha in (0.5, 1.0):
            measured = (1 + alpha) / secant - 1
            assert measured == pytest.approx(float(e.alpha_eff(alpha, xm)), abs=2e-3)


def test_x_of_rank_inverts_main_term():
    e = product_zipf_effective_exponent(3)
    x = e.x_of_rank([1e3, 1e6])
    np.testing.assert_allclose(e.piltz(x), [1e3, 1e6], rtol=1e-9)
    with pytest.raises(ValueError):
        e.x_of_rank(1.0)


# ----------------------------------------------------------------------------- against the RHM kernels
# m >= x so the rank restriction i <= m does not matter at the scales tested
KERNEL_CASES = {2: 1000, 3: 200}


@pytest.fixture(scope="module")
def kernel_spectra():
    return {L: rhm.path_spectrum(RHMSpec.make(n_c=1, v=m, m=m, s=L, L=L, alpha=1.0), mode="exact")
            for L, m in KERNEL_CASES.items()}


@pytest.mark.parametrize("L", [2, 3])
def test_kernel_ranks_are_piltz_counts(kernel_spectra, piltz_counts, L):
    """Rank of the frequency of rank-product x in path_spectrum equals D_L(x) for x <= m."""
    m = KERNEL_CASES[L]
    spec = kernel_spectra[L]
    xs = np.array([1, 2, 6, 10, 30, 64, 100, m])
    logz = math.log((np.arange(1, m + 1.0) ** -2.0).sum())
    log_f = -2.0 * np.log(xs) - L * logz
    ranks = spec.rank_of_frequency(np.exp(log_f) * (1 - 1e-9))
    np.testing.assert_array_equal(ranks, piltz_counts[L][xs])


@pytest.mark.parametrize("L", [2, 3])
def test_kernel_local_alpha_prime_matches_refined(kernel_spectra, piltz_counts, L):
    """Local alpha' of the kernel spectrum at rank r = D_L(x) against alpha'_eff(x)."""
    spec = kernel_spectra[L]
    e = product_zipf_effective_exponent(L)
    xs = np.array([100, 300] if L == 2 else [30, 100])
    r = piltz_counts[L][xs].astype(float)
    loc = rhm.local_alpha_prime(spec, ranks=r, half_width_decades=0.25, n_points=401)
    refined = e.alpha_eff(1.0, e.x_of_rank(r))
    leading = e.alpha_eff(1.0, e.x_of_rank(r, refined=False), refined=False)
    np.testing.assert_allclose(loc.alpha_prime, refined, atol=0.01)
    assert np.all(np.abs(loc.alpha_prime - refined) < np.abs(loc.alpha_prime - leading))


def test_kernel_alpha_c_matches_refined():
    """The kernel's alpha_c over a narrow rank window around D_2(x) (m = 1000 >> x)
    against the refined alpha_c(x) (tight) and (L-1)/ln x (loose)."""
    e = product_zipf_effective_exponent(2)
    for x in (30.0, 100.0):
        r = float(e.piltz(x))
        ac = rhm.alpha_c(KERNEL_CASES[2], 2, window=(r / 10**0.25, r * 10**0.25), n_points=401).alpha_c
        assert ac == pytest.approx(float(e.alpha_c(x)), abs=0.01)
        assert ac == pytest.approx(1 / math.log(x), abs=0.05)


@pytest.mark.parametrize("alpha", [1.0, 2.0])
def test_kernel_learning_curve_L1_follows_hutter(alpha):
    """For L = 1 the kernel's eps(P) is the discrete Hutter sum, and its slope
    approaches alpha/(1+alpha) for large m."""
    m = 10**5
    spec = RHMSpec.make(n_c=1, v=m, m=m, s=2, L=1, alpha=alpha)
    P = np.geomspace(1e2, 1e5, 7)
    lc = rhm.learning_curve(spec, P)
    np.testing.assert_allclose(lc.eps, zipf_seen_error(alpha, m, P), rtol=1e-9)
    b = float(hutter_learning_curve().exponent_fn(alpha))
    assert np.max(np.abs(lc.local_exponent[1:-1] - b)) < 0.01
