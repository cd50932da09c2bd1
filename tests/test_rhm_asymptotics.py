"""The asymptotic learning curve (scalinglab.theory.rhm._asymptotics) against independent references:
Hutter's one-level closed form, the Piltz-main-term Stieltjes integral (mpmath quadrature), and eps(P)
summed over the exact/binned path spectrum by the kernels."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from scalinglab.theory.rhm import (RHMSpec, asymptotic_learning_curve, asymptotic_learning_curve_levels,
                                   eps_of_spectrum, hutter_learning_curve, path_spectrum, piltz_main_term)


def _kernel_eps(m, L, alpha, P, n_c=10):
    spec = RHMSpec.make(n_c=n_c, v=m, m=m, L=L, alpha=alpha)
    return eps_of_spectrum(path_spectrum(spec), P)


def test_one_level_is_hutter():
    a, n_c = 0.7, 10
    ac = asymptotic_learning_curve(1)
    Z = float(mpmath.zeta(1 + a))
    # Hutter: eps(Q) ~ prefactor Z**(-1/k) Q**-b with Q = P/n_c
    P = np.array([1e3, 1e6])
    ref = hutter_learning_curve().normalised_prefactor(a, Z) * (P / n_c) ** (-a / (1 + a))
    np.testing.assert_allclose(ac.eps(a, P, n_c=n_c), ref, rtol=1e-10)


@pytest.mark.parametrize("L", [2, 3, 4, 5])
def test_leading_constant_and_first_correction(L):
    ac = asymptotic_learning_curve(L)
    assert ac.beta == L - 1
    assert sp.simplify(ac.exponent - ac.alpha / (1 + ac.alpha)) == 0
    for a, n_c in ((0.5, 10), (1.0, 7), (2.0, 10)):
        k, b = 1 + a, a / (1 + a)
        A = math.gamma(b) * n_c**b * float(mpmath.zeta(k)) ** (-L / k) / (k**L * math.factorial(L - 1))
        B = (L - 1) * (L * float(mpmath.euler) * k - float(mpmath.digamma(b)) - math.log(n_c)
                       - L * math.log(float(mpmath.zeta(k))))
        c = ac.numeric_coeffs(a, n_c)
        assert c[0] == pytest.approx(A, rel=1e-12)
        assert c[1] / c[0] == pytest.approx(B, rel=1e-10)
        assert float(ac.B.subs({ac.alpha: a, ac.n_c: n_c}).evalf()) == pytest.approx(B, rel=1e-10)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_main_term_equals_piltz_stieltjes_integral(L, alpha):
    """Independent route: eps = int g e^(-Q g) d(x Q_L(ln x)); with u = Q g,
    eps = (QC)^(1/k)/(kQ) int_0^oo e^-u u^(-1/k) [Q_L + Q_L'](y) du, y = ln(QC/u)/k (mpmath quadrature)."""
    n_c, k = 10, 1 + alpha
    pm = piltz_main_term(L)
    C = float(mpmath.zeta(k)) ** -L
    ac = asymptotic_learning_curve(L)
    for P in (1e4, 1e8, 1e12):
        Q = P / n_c

        qc = mpmath.log(Q * C)
        cq = [mpmath.mpf(c) for c in pm.coeffs]
        dens = [c + (j + 1) * cq[j + 1] if j + 1 < len(cq) else c for j, c in enumerate(cq)]  # Q_L + Q_L'

        def integrand(v):  # u = e^v: the u^(-1/k) singularity becomes an exponential decay
            u = mpmath.exp(v)
            y = (qc - v) / k
            return mpmath.exp(-u) * u ** (1 - 1 / mpmath.mpf(k)) * mpmath.polyval(dens[::-1], y)

        ref = (Q * C) ** (1 / k) / (k * Q) * float(mpmath.quad(integrand, [-mpmath.inf, -20, 0, 2, 5]))
        assert float(ac.eps(alpha, P, n_c=n_c)[0]) == pytest.approx(ref, rel=1e-7)


def test_matches_kernel_eps_at_large_m():
    """Full main term vs the exact/binned spectrum at m = 10^4 (normalised by Z_m): the m -> oo limit."""
    P = np.array([1e3, 1e4, 1e5])
    e = _kernel_eps(10**4, 3, 1.0, P)
    ac = asymptotic_learning_curve(3)
    full = ac.eps(1.0, P, m=10**4) / e - 1
    lead = ac.eps(1.0, P, terms=1, m=10**4) / e - 1
    assert np.all(np.abs(full) < 3e-3)
    assert np.all(np.abs(lead) > 0.2)       # the log corrections are not small at these P


def test_converges_as_m_grows():
    ac = asymptotic_learning_curve(2)
    P = np.array([1e4])
    errs = [abs(float(ac.eps(1.0, P, m=m)[0] / _kernel_eps(m, 2, 1.0, P)[0] - 1)) for m in (100, 1000, 10**4)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 2e-3


def test_levels_shared_equals_symbolic():
    la = asymptotic_learning_curve_levels((1.0, 1.0, 1.0))
    P = np.array([1e3, 1e7])
    np.testing.assert_allclose(la.eps(P), asymptotic_learning_curve(3).eps(1.0, P), rtol=1e-10)
    assert la.beta == 2 and la.exponent == pytest.approx(0.5)


def test_levels_differing_against_kernel():
    """alphas (1, 2, 2): exponent 1/2 with no log; the next pole P^-(2/3) is the first correction."""
    alphas, m = (1.0, 2.0, 2.0), 10**4
    la = asymptotic_learning_curve_levels(alphas, m=m)
    assert la.beta == 0 and la.exponent == pytest.approx(0.5)
    P = np.array([1e3, 1e5])
    e = _kernel_eps(m, 3, alphas, P)
    assert np.all(np.abs(la.eps(P) / e - 1) < 5e-3)
    assert np.all(np.abs(la.eps(P, terms=1) / e - 1) > np.abs(la.eps(P) / e - 1))
