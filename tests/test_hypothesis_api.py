"""Property-based checks of the public API (issue 12).

For any input, every public function either returns a correct-looking result
or raises :class:`~scalinglab.errors.InputError`: never another exception,
never a nan/inf except where its docstring states why (checked below case by
case), never a hang (:data:`_hypothesis_support.HANG_S`). Inputs mix valid
values, edge values and junk (nan, inf, bools, strings, huge integers).
Results are also checked against simple invariants (normalisation, bounds).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _hypothesis_support import examples, guarded, non_finite_paths
from scalinglab.theory import percolation as perc
from scalinglab.theory import rhm, spectral

pytestmark = pytest.mark.timeout(120)

JUNK = st.sampled_from([float("nan"), float("inf"), -float("inf"), True, "3", None, 10**400, -(10**30), [], 2.5])


def mostly(good, bad, p_bad=0.08):
    """``good`` most of the time, ``bad`` with probability about ``p_bad`` (so several parameters can be
    valid together and the valid paths get exercised too)."""
    k = round(1 / p_bad)
    return st.integers(0, k - 1).flatmap(lambda i: bad if i == 0 else good)


def num(lo, hi, *extra):
    """Mostly in-range numbers, sometimes edge values or junk."""
    good = [st.floats(lo, hi)]
    if math.ceil(lo) <= math.floor(hi):
        good.append(st.integers(int(math.ceil(lo)), int(math.floor(hi))))
    return mostly(st.one_of(*good), st.one_of(st.sampled_from(list(extra) or [lo, hi]), JUNK), 0.15)


def ints(lo, hi, *extra):
    return mostly(st.integers(lo, hi), st.one_of(st.sampled_from(list(extra) or [lo - 1, hi + 1]), JUNK), 0.12)


def arrays(lo, hi, max_size=6, *extra):
    elem = mostly(st.floats(lo, hi), st.sampled_from([float("nan"), float("inf"), -1.0, 0.0, *extra]), 0.1)
    return mostly(st.lists(elem, min_size=1, max_size=max_size), st.one_of(st.just([]), JUNK), 0.08)


def only_reasoned(result, allowed):
    """Every nan/inf path of ``result`` must be in ``allowed`` (paths whose docstring states the reason)."""
    bad = [p for p in non_finite_paths(result) if not any(p.startswith(a) for a in allowed)]
    assert not bad, f"nan/inf without a stated reason at {bad}"


@st.composite
def specs(draw):
    """Unambiguous models most of the time (m*v, m*n_c <= v**s), sometimes extreme or invalid ones."""
    v = draw(st.integers(2, 10))
    s = draw(st.integers(1, 3))
    m = draw(st.integers(1, max(1, min(12, v ** (s - 1)))))
    n_c = draw(st.integers(1, max(1, min(10, v**s // m))))
    L = draw(mostly(st.integers(1, 5), st.sampled_from([12, 40, 300, 1000, 10**5, 0, -1]), 0.15))
    alpha = draw(num(-1, 4, -1.0, 0.0, 100.0, -2.0))
    kw = dict(n_c=n_c, v=v, m=m, s=s, L=L, alpha=alpha)
    if draw(st.integers(0, 9)) == 0:  # a junk value in one slot
        kw[draw(st.sampled_from(sorted(kw)))] = draw(JUNK)
    kind, out = guarded(rhm.RHMSpec.make, **kw)
    return out if kind == "ok" else None


@given(specs(), st.sampled_from(["auto", "exact", "binned", "fast", 3]), num(1e-4, 0.5, 0.0, -1.0))
@settings(max_examples=examples(80))
def test_path_spectrum(spec, mode, bw):
    if spec is None:
        return
    kind, sp = guarded(rhm.path_spectrum, spec, mode=mode, bin_width=bw)
    if kind == "ok":
        only_reasoned(sp, [])
        assert float(np.sum(sp.f * sp.counts)) == pytest.approx(1.0, rel=1e-9)
        assert float(sp.n_per_class) == pytest.approx(float(spec.m) ** spec.L, rel=1e-9)
        assert np.all(np.diff(sp.log_f) < 0)


@given(specs(), st.one_of(st.none(), st.sampled_from(["full", "head:1", "head:0", "1:50", "5:2", "x", "1:2:3"]),
                          st.tuples(num(0, 100), num(0, 1e4))), ints(2, 300, 1, 10**9))
@settings(max_examples=examples(80))
def test_alpha_prime(spec, window, n_points):
    if spec is None:
        return
    kind, fit = guarded(rhm.alpha_prime, spec, window=window, n_points=n_points)
    if kind == "ok":
        only_reasoned(fit, ["result.stderr"])  # stderr: nan only for a fit through 2 distinct ranks
        lo, hi = fit.window
        assert 1 <= lo < hi <= float(spec.m) ** spec.L * (1 + 1e-12)
        if not math.isfinite(fit.stderr):
            assert np.unique(rhm.log_uniform_ranks(lo, hi, n_points)).size <= 2


@given(specs(), arrays(0, 1e6, 4, 1e300))
@settings(max_examples=examples(60))
def test_learning_curve(spec, P):
    if spec is None:
        return
    kind, lc = guarded(rhm.learning_curve, spec, P)
    if kind == "ok":
        only_reasoned(lc, ["result.local_exponent", "result.predicted_exponent", "result.alpha_prime.stderr"])
        assert np.all((lc.eps >= 0) & (lc.eps <= 1 + 1e-9))
        if math.isnan(lc.predicted_exponent):
            assert lc.alpha_prime.alpha_prime <= 0  # the stated reason: no power law
        nan_le = np.isnan(lc.local_exponent)
        if np.any(nan_le):  # stated: P = 0 or fewer than two distinct P > 0
            assert np.all((lc.P[nan_le] == 0)) or np.unique(lc.P[lc.P > 0]).size < 2


@given(specs(), arrays(0, 1e5, 3))
@settings(max_examples=examples(40))
def test_eps_position_free(spec, P):
    if spec is None:
        return
    kind, e = guarded(rhm.eps_position_free, spec, P)
    if kind == "ok":
        only_reasoned(e, [])
        # values: an error probability, 1 with no training data, below the seen-path error at one position
        # (q_pi >= f_pi), equal to it for s = 1 or L = 1, non-increasing in P (docstring)
        Pa = np.asarray(P, dtype=float)
        assert np.all((e >= 0) & (e <= 1 + 1e-12))
        assert np.all(np.abs(e[Pa == 0] - 1) < 1e-9)
        kind_lc, lc = guarded(rhm.learning_curve, spec, P)
        if kind_lc == "ok":
            assert np.all(e <= lc.eps + 1e-9)
            if spec.s == 1 or spec.L == 1:
                np.testing.assert_allclose(e, lc.eps, rtol=1e-9, atol=1e-12)
        order = np.argsort(Pa, kind="stable")
        assert np.all(np.diff(e[order]) <= 1e-12)


@given(specs(), arrays(0, 1e4, 3), ints(2, 200, 1, 10**9), ints(0, 5, -1))
@settings(max_examples=examples(40))
def test_seen_paths_distribution(spec, P, n_test, seed):
    if spec is None:
        return
    kind, d = guarded(rhm.seen_paths_distribution, spec, P, n_test=n_test, seed=seed)
    if kind == "ok":
        only_reasoned(d, [])
        np.testing.assert_allclose(d.pk.sum(axis=1), 1.0, atol=1e-6)


@given(ints(1, 12, 0, 10**4), ints(1, 8, 0, 60, 400), st.one_of(st.none(), st.sampled_from(["head:1", "2:20"])),
       ints(2, 100, 1))
@settings(max_examples=examples(50))
def test_alpha_c(m, L, window, n_points):
    kind, r = guarded(rhm.alpha_c, m, L, window=window, n_points=n_points)
    if kind == "ok":
        only_reasoned(r, [])


@given(ints(2, 6, 0, 10**4), st.lists(ints(1, 4, 0, 40), min_size=0, max_size=3))
@settings(max_examples=examples(30))
def test_alpha_c_table(m, Ls):
    kind, rows = guarded(rhm.alpha_c_table, m, Ls)
    if kind == "ok":
        for r in rows:
            assert math.isfinite(r["alpha_c"]) or r.get("alpha_c_reason")


@given(arrays(0, 1, 5, 1.5), arrays(0, 1, 3, 1.5))
@settings(max_examples=examples(50))
def test_split_accuracy_model(c, q):
    kind, r = guarded(rhm.split_accuracy_model, c, q)
    if kind == "ok":
        only_reasoned(r, [])
        np.testing.assert_allclose(r.pk.sum(axis=1), 1.0, atol=1e-9)


# ----------------------------------------------------------------------------------------------- percolation
P_NEAR = st.one_of(st.floats(0, 1), st.sampled_from([0.5, 0.5 + 1e-14, 0.5 - 1e-14, 1 / 3, 0.2, 1e-300,
                                                      1 - 1e-16, 0.0, 1.0]), JUNK)
Z = ints(3, 8, 2, 0, 1000, 10**7)


@given(P_NEAR, Z, st.one_of(st.sampled_from([1e6, 1e9, 1e20, float("inf"), 10, float("nan")]), JUNK))
@settings(max_examples=examples(80))
def test_bethe_stats(p, z, s_max):
    kind, s = guarded(perc.bethe_stats, p, z, s_max=s_max)
    if kind == "ok":
        pc_exact = s.p == 1.0 / (s.z - 1)
        only_reasoned(s, ["result.mean_cluster_size", "result.cutoff_size"] if pc_exact else [])
        assert 0 <= s.p_inf <= s.p
        assert s.finite_site_fraction + s.p_inf - s.p == pytest.approx(0.0, abs=1e-6)


@given(arrays(1, 1e12, 4, 1e30), P_NEAR, Z)
@settings(max_examples=examples(60))
def test_cluster_numbers(s, p, z):
    kind, ln = guarded(perc.log_cluster_numbers, s, p, z)
    if kind == "ok":
        assert np.all(np.isfinite(ln)) and np.all(ln <= 0)


@given(num(-2, 4), P_NEAR, Z)
@settings(max_examples=examples(60))
def test_cluster_moment(k, p, z):
    kind, m = guarded(perc.cluster_moment, k, p, z, s_max=1e6)
    if kind == "ok":
        if not math.isfinite(m):  # stated: diverges for k >= 3/2 at p_c
            assert float(k) >= 1.5 and p == 1.0 / (z - 1)


@given(st.sampled_from(["subcritical", "critical", "supercritical", "bogus", 1]), num(0, 4), num(0, 8),
       num(1.5, 3.5, 2.0, 3.0), st.one_of(st.none(), num(0, 5)))
@settings(max_examples=examples(60))
def test_brill_prediction(regime, c, D, tau, alpha):
    kind, pr = guarded(perc.brill_prediction, regime, c=c, D=D, tau=tau, alpha=alpha)
    if kind == "ok":
        only_reasoned(pr, ["result.alpha", "result.model_ratio", "result.data_ratio"]
                      if pr.regime == "supercritical" else [])
        assert 0 < pr.model_exponent and 0 < pr.data_exponent


@given(num(0, 10, 2.5, 6, 100), num(0, 4))
@settings(max_examples=examples(40))
def test_lattice_prediction(d, c):
    kind, pr = guarded(perc.lattice_prediction, d, c=c)
    if kind == "ok":
        only_reasoned(pr, [])


@given(arrays(1, 1e4, 3), num(0, 3), num(0, 2), ints(1, 500, 0, 10**9))
@settings(max_examples=examples(30))
def test_theory_loss_curves(N, alpha, cd, nq):
    for fn in (perc.theory_loss_vs_model_size, perc.theory_loss_vs_data_size):
        kind, L = guarded(fn, N, alpha=alpha, c_over_D=cd, n_quanta=nq)
        if kind == "ok":
            assert np.all(np.isfinite(L)) and np.all((L >= 0) & (L <= 1 + 1e-12))


@given(st.lists(ints(1, 30, 0, 10**6), min_size=0, max_size=3), num(0, 1, 1.5), ints(0, 3, -1))
@settings(max_examples=examples(40))
def test_lattice_clusters(shape, p, seed):
    kind, r = guarded(perc.lattice_clusters, shape, p, seed=seed)
    if kind == "ok":
        labels, sizes = r
        assert sizes.sum() == np.count_nonzero(labels)
        # the labelling of the occupied sites against scipy's (nearest-neighbour connectivity)
        from scipy import ndimage

        ref, n = ndimage.label(labels > 0)
        assert np.array_equal(labels, ref) and sizes.size == n
        assert np.array_equal(sizes, np.bincount(ref.ravel(), minlength=n + 1)[1:])


# ----------------------------------------------------------------------------------------------- spectral
@given(ints(1, 5000, 0, 10**9), num(0, 5, 100.0, 1e4), num(0, 10, 1e-300, 1e300))
@settings(max_examples=examples(60))
def test_powerlaw_spectrum(n, a, scale):
    kind, lam = guarded(spectral.powerlaw_spectrum, n, a, scale=scale)
    if kind == "ok":
        assert lam.size == int(n) and np.all(lam >= 0) and np.all(np.isfinite(lam))


@given(arrays(0, 1e4, 4, 1e9), ints(1, 3000, 0), num(0, 5, 100.0), num(0, 1, 0.0), num(0, 1, 0.0))
@settings(max_examples=examples(60))
def test_eigenlearning_curve(n, modes, a, ridge, noise):
    kind, lam = guarded(spectral.powerlaw_spectrum, modes, a)
    if kind != "ok":
        return
    kind, lc = guarded(spectral.eigenlearning_curve, n, lam, lam, ridge=ridge, noise=noise)
    if kind == "ok":
        only_reasoned(lc, ["result.test_mse", "result.e0", "result.train_mse", "result.learned_fraction"])
        inf = np.isinf(lc.test_mse)
        if np.any(inf):  # stated: the ridgeless interpolation peak n = number of positive modes
            assert lc.ridge == 0 and np.all(lc.n[inf] == np.sum(lam > 0))
        assert np.all(np.isfinite(lc.kappa)) and np.all(lc.kappa >= 0)
        # kappa solves n = sum lam/(lam + kappa) + ridge/kappa wherever it is positive
        lam_ = np.asarray(lam, dtype=float)
        for n_i, k_i in zip(np.atleast_1d(lc.n), np.atleast_1d(lc.kappa)):
            if k_i > 0 and np.isfinite(n_i):
                lhs = np.sum(lam_ / (lam_ + k_i)) + float(lc.ridge) / k_i
                assert lhs == pytest.approx(n_i, rel=1e-6, abs=1e-9)


@given(arrays(1, 1e4, 3, float("inf")), arrays(1, 1e4, 3, float("inf")), ints(1, 2000, 0), num(0, 3, 100.0))
@settings(max_examples=examples(60))
def test_rf_teacher_student_loss(D, P, modes, a):
    kind, lam = guarded(spectral.powerlaw_spectrum, modes, a)
    if kind != "ok":
        return
    kind, r = guarded(spectral.rf_teacher_student_loss, D, P, lam)
    if kind == "ok":
        only_reasoned(r, ["result.loss", "result.D", "result.P"])  # D, P = inf: the stated limit
        bad = ~np.isfinite(r.loss)
        assert np.all(np.abs(r.D[bad] - r.P[bad]) <= 1)  # stated: the interpolation peak


@given(st.sampled_from(["sphere", "torus", "cube", "subspace", "blob"]), ints(1, 300, 0, 10**10),
       ints(1, 4, 0, 10**9), st.one_of(st.none(), ints(1, 10, 0)), ints(0, 3, -1))
@settings(max_examples=examples(60))
def test_manifolds_and_id(kind_, n, d, ambient, seed):
    kind, X = guarded(spectral.sample_manifold, kind_, n, d, ambient=ambient, seed=seed)
    if kind != "ok":
        return
    assert X.shape[0] == int(n) and np.all(np.isfinite(X))
    for fn, kw in ((spectral.twonn, {}), (spectral.levina_bickel, {"k1": 3, "k2": 6})):
        k, est = guarded(fn, X, **kw)
        if k == "ok":
            only_reasoned(est, [])
            assert est.dimension > 0


@given(st.lists(st.lists(st.one_of(st.integers(-3, 3), st.floats(-2, 2)), min_size=2, max_size=2), min_size=0,
                max_size=40), st.sampled_from(["laplace", "rbf", "linear", "arccos1", "bogus"]),
       st.one_of(st.none(), num(0, 3)), ints(2, 40, 1, 10**6), st.sampled_from([None, (3, 8), (1, 3), (0, 5)]))
@settings(max_examples=examples(80))
def test_gram_and_fit(X, kernel, bandwidth, max_samples, window):
    kind, g = guarded(spectral.gram_spectrum, X, kernel=kernel, bandwidth=bandwidth, max_samples=max_samples)
    if kind != "ok":
        return
    only_reasoned(g, [])
    assert np.all(g.eigenvalues >= 0)
    kind, fit = guarded(spectral.fit_spectrum, g.eigenvalues, window=window)
    if kind == "ok":
        only_reasoned(fit, [])


@given(num(0, 5), st.one_of(st.none(), num(0, 5)), arrays(0, 1e6, 3))
@settings(max_examples=examples(60))
def test_regimes(alpha_K, d, D):
    for fn, args in ((spectral.regime_exponents, (alpha_K,)), (spectral.resolution_limited, (d if d is not None
                                                                                             else 1.0, alpha_K)),
                     (spectral.nn_distance_mean, (D, d if d is not None else 2.0))):
        kind, r = guarded(fn, *args)
        if kind == "ok":
            only_reasoned(r, [])
            _check_regime_values(fn, args, r)


def _check_regime_values(fn, args, r):
    """Bahri et al.'s closed forms, written out here: variance-limited 1, resolution-limited alpha_K; 1/d, 4/d,
    2/d, t/d on a d-manifold; E r = Gamma(1 + 1/d) (D V_d)^-1/d with V_d = pi^(d/2) / Gamma(d/2 + 1)."""
    if fn is spectral.regime_exponents:
        a = float(args[0])
        assert (r.variance_D, r.variance_P) == (1, 1) and r.resolution_D == r.resolution_P == pytest.approx(a)
    elif fn is spectral.resolution_limited:
        d, t = float(args[0]), float(args[1])
        assert r.mse_piecewise_linear == pytest.approx(4 / d) and r.kernel_smoothness == pytest.approx(t / d)
    else:
        D, d = np.asarray(args[0], dtype=float), float(args[1])
        vd = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
        np.testing.assert_allclose(r, math.gamma(1 + 1 / d) * (D * vd) ** (-1 / d), rtol=1e-9)
