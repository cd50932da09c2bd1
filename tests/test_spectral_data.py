"""Empirical Gram spectra, intrinsic-dimension estimators and the sympy derivations."""

import numpy as np
import pytest
import sympy

from scalinglab.theory import spectral as sym
from scalinglab.theory.spectral import knn_distances, levina_bickel, sample_manifold, twonn
from scalinglab.theory.spectral import fit_spectrum, gram_matrix, gram_spectrum
from scalinglab.theory.spectral import powerlaw_asymptote_constant, rf_residual, powerlaw_spectrum


# --------------------------------------------------------------------------- Gram spectra
def _circle_kernel(X, Y):
    # 2 sum_{k>=1} k^-2 cos(k x) = 2 (pi^2/6 - pi x/2 + x^2/4), x = (t - t') mod 2 pi:
    # operator eigenvalues k^-2 under the uniform measure, each with multiplicity 2
    x = np.mod(X[:, 0][:, None] - Y[:, 0][None, :], 2 * np.pi)
    return 2 * (np.pi**2 / 6 - np.pi * x / 2 + x**2 / 4)


def test_gram_spectrum_recovers_a_known_mercer_spectrum():
    # k(t, t') = sum_k 2 k^-2 cos(k (t - t')): operator eigenvalues k^-2, each twice
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 2 * np.pi, (1200, 1))
    s = gram_spectrum(t, _circle_kernel, max_samples=1200)
    expected = np.repeat(np.arange(1, 11, dtype=float) ** -2.0, 2)
    np.testing.assert_allclose(s.eigenvalues[:20], expected, rtol=0.12)
    # eigenvalue of rank i ~ (i/2)^-2: decay exponent 2 (alpha_K = 1)
    fit = fit_spectrum(s.eigenvalues, window=(4, 120))
    assert fit.decay == pytest.approx(2.0, abs=0.1)
    assert fit.alpha_K == pytest.approx(1.0, abs=0.1)
    assert fit.fit.window == (4.0, 120.0) and fit.fit.method == "ols-loglog"


def test_gram_spectrum_linear_kernel_equals_covariance_spectrum():
    rng = np.random.default_rng(1)
    lam = np.array([4.0, 2.0, 1.0, 0.5])
    X = rng.standard_normal((1000, 4)) * np.sqrt(lam)
    s = gram_spectrum(X, "linear")
    np.testing.assert_allclose(s.eigenvalues[:4], lam, rtol=0.1)
    assert np.all(s.eigenvalues[4:] < 1e-8)


def test_laplace_kernel_spectrum_on_a_circle():
    # a Laplace kernel on a 1-d manifold: lambda_i ~ i^-(1 + 1/d) = i^-2
    X = sample_manifold("torus", 1000, 1, seed=3)
    fit = fit_spectrum(gram_spectrum(X, "laplace").eigenvalues, window=(5, 100))
    assert fit.alpha_K == pytest.approx(1.0, abs=0.1)


def test_gram_errors():
    with pytest.raises(ValueError):
        gram_matrix(np.zeros((3, 2)), kernel="nope")
    with pytest.raises(ValueError):
        gram_spectrum(np.array([[np.nan, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError):
        fit_spectrum([1.0, 2.0, 3.0, 4.0, 5.0])
    a = gram_matrix(np.eye(3), "arccos1")
    np.testing.assert_allclose(np.diag(a), 1 / np.pi * np.pi)  # k(x, x) = |x|^2


# --------------------------------------------------------------------------- intrinsic dimension
@pytest.mark.parametrize("kind,d,ambient", [("sphere", 2, None), ("sphere", 4, 12), ("torus", 2, None),
                                            ("cube", 3, 10), ("subspace", 5, 20), ("subspace", 1, 6)])
def test_id_estimators_on_known_manifolds(kind, d, ambient):
    X = sample_manifold(kind, 2000, d, ambient=ambient, seed=d)
    tn = twonn(X)
    lb = levina_bickel(X)
    assert tn.dimension == pytest.approx(d, rel=0.08), tn
    assert lb.dimension == pytest.approx(d, rel=0.1), lb
    assert tn.stderr > 0 and lb.stderr > 0


def test_twonn_reference_implementation():
    # brute-force neighbour distances vs the KD-tree, and the MLE by hand
    X = sample_manifold("sphere", 300, 2, seed=9)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    r = np.sort(D, axis=1)[:, :2]
    np.testing.assert_allclose(knn_distances(X, 2), r, rtol=1e-12)
    mu = r[:, 1] / r[:, 0]
    assert twonn(X, discard_fraction=0.0).dimension == pytest.approx((mu.size - 1) / np.log(mu).sum())


def test_id_errors():
    with pytest.raises(ValueError):
        twonn(np.zeros((5, 2)))  # all duplicates
    with pytest.raises(ValueError):
        levina_bickel(np.random.default_rng(0).normal(size=(50, 3)), k1=5, k2=3)
    with pytest.raises(ValueError):
        sample_manifold("klein", 10, 2)


# --------------------------------------------------------------------------- sympy
def test_variance_limited_exponent_is_one():
    r = sym.variance_limited_taylor(order=4)
    assert r.exponent == 1
    # the second moment of a mean of N iid terms is c2 / N
    assert sympy.simplify(r.details["second_moment"] - sympy.Symbol("c2", real=True) / r.variable) == 0


def test_powerlaw_exponent_symbolic_and_numeric():
    r = sym.powerlaw_kappa()
    b = sympy.Symbol("b", positive=True)
    assert sympy.simplify(r.exponent - (b - 1)) == 0
    r15 = sym.powerlaw_kappa(1.5)
    assert r15.exponent == sympy.Rational(1, 2)
    assert float(r15.details["c"]) == pytest.approx(powerlaw_asymptote_constant(0.5))
    # the sympy asymptote against the numerical solution of the discrete equation
    lam = powerlaw_spectrum(200_000, 1.0)
    n = 300.0
    g_sym = float(sym.powerlaw_kappa(2).expression.subs(sympy.Symbol("n", positive=True), n)) / lam.size
    assert rf_residual(n, lam)[0] == pytest.approx(g_sym, rel=0.02)


def test_eigenlearning_identity_and_four_over_d():
    assert sym.eigenlearning_identity(3) == 0
    r = sym.piecewise_linear_mse()
    assert sympy.simplify(r.exponent - 4 / sympy.Symbol("d", positive=True)) == 0
    assert sym.piecewise_linear_mse(2).exponent == 2
    with pytest.raises(ValueError):
        sym.powerlaw_kappa(0.5)
