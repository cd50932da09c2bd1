"""Issue 12, bad API calls: each refused with InputError (a ValueError) naming the parameter.

Before the hardening these returned garbage silently (or raised some other
exception); references for the good cases are exact values or peer libraries.
"""

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from scalinglab.errors import InputError
from scalinglab.theory import percolation as perc
from scalinglab.theory import rhm, spectral


def test_input_error_is_the_value_error_subclass():
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("kw, needle", [
    (dict(alpha=True), "alpha"),
    (dict(alpha=False), "alpha"),
    (dict(alpha=float("nan")), "alpha"),
    (dict(alpha="1"), "alpha"),
    (dict(m=True), "m"),
    (dict(L=2.5), "L"),
    (dict(n_c=0), "n_c"),
    (dict(alpha=1.0, zipf_levels=[0]), "zipf level"),
    (dict(alpha=1.0, zipf_levels=[True]), "zipf level"),
])
def test_rhmspec_make_refuses(kw, needle):
    with pytest.raises(InputError, match=needle):
        rhm.RHMSpec.make(**kw)


def test_rhmspec_per_level_bool_refused():
    with pytest.raises(InputError, match="level 2"):
        rhm.RHMSpec(n_c=2, v=3, m=3, s=2, L=2, alpha=(1.0, True))


@pytest.mark.parametrize("d", [2.5, 1, 0, -3, float("nan"), True, "3"])
def test_lattice_prediction_needs_an_integer_dimension(d):
    with pytest.raises(InputError, match="lattice"):
        perc.lattice_prediction(d)


def test_lattice_prediction_values():
    # d = 2: exact tau = 187/91, D = 91/48; c/D = 96/91, alpha = (3-tau)/(tau-2) = 86/5
    pr = perc.lattice_prediction(2)
    assert pr.alpha == pytest.approx(86 / 5) and pr.D == pytest.approx(91 / 48)
    assert perc.lattice_prediction(7).D == 4.0  # mean field from d = 6 on


@pytest.mark.parametrize("n", [2.7, 0, -1, float("inf"), True, 10**12])
def test_powerlaw_spectrum_refuses_bad_n_modes(n):
    with pytest.raises(InputError, match="n_modes"):
        spectral.powerlaw_spectrum(n, 0.5)


@pytest.mark.parametrize("a", [0, -0.5, float("nan"), float("inf")])
def test_powerlaw_spectrum_refuses_bad_alpha(a):
    with pytest.raises(InputError, match="alpha_K"):
        spectral.powerlaw_spectrum(10, a)


def test_powerlaw_spectrum_refuses_bad_scale():
    for s in (0, -1, float("nan")):
        with pytest.raises(InputError, match="scale"):
            spectral.powerlaw_spectrum(10, 0.5, scale=s)


@pytest.mark.parametrize("ms", [1, 0, -5, 2.5, 10**9])
def test_gram_spectrum_refuses_bad_max_samples(ms):
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(InputError, match="max_samples"):
        spectral.gram_spectrum(X, max_samples=ms)


def test_gram_spectrum_refuses_unknown_kernel_and_bandwidth():
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(InputError, match="kernel"):
        spectral.gram_spectrum(X, kernel="bogus")
    for bw in (0, -1, float("nan"), float("inf")):
        with pytest.raises(InputError, match="bandwidth"):
            spectral.gram_spectrum(X, bandwidth=bw)


@pytest.mark.parametrize("window", [(0, 10), (5, 3), (5, 10**9), (2.5, 8), (1, 2)])
def test_fit_spectrum_window_must_lie_in_the_ranks(window):
    ev = np.arange(1, 51, dtype=float) ** -1.5
    with pytest.raises(InputError, match="window"):
        spectral.fit_spectrum(ev, window=window)


def test_fit_spectrum_zero_eigenvalue_in_window_is_refused():
    ev = np.concatenate([np.arange(1, 11, dtype=float) ** -2.0, np.zeros(10)])
    with pytest.raises(InputError, match="rank 11"):
        spectral.fit_spectrum(ev, window=(3, 15))


def _lattice(n_side, d=2):
    g = np.stack(np.meshgrid(*[np.arange(n_side)] * d, indexing="ij"), -1).reshape(-1, d)
    return g.astype(float)


def test_twonn_on_tied_lattice_points_is_refused_not_inf():
    # on a square lattice r1 == r2 for every point: mu = 1, log mu = 0, d = inf before
    with pytest.raises(InputError, match="tie"):
        spectral.twonn(_lattice(12))


def test_levina_bickel_on_tied_lattice_points_is_refused():
    with pytest.raises(InputError, match="tie|equidistant"):
        spectral.levina_bickel(np.zeros((30, 2)) + np.arange(30)[:, None] * [1.0, 0.0], 2, 2)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_twonn_needs_enough_points(n):
    X = np.random.default_rng(1).standard_normal((n, 3))
    with pytest.raises(InputError, match="points"):
        spectral.twonn(X)


def test_twonn_small_but_allowed_matches_definition():
    # the estimator itself at the smallest allowed size, against its definition (no discard)
    X = np.random.default_rng(2).standard_normal((spectral.TWONN_MIN_POINTS, 3))
    r, _ = cKDTree(X).query(X, k=3)
    mu = r[:, 2] / r[:, 1]
    est = spectral.twonn(X, discard_fraction=0.0)
    assert est.dimension == pytest.approx((mu.size - 1) / np.log(mu).sum(), rel=1e-12)


@pytest.mark.parametrize("kw, needle", [
    (dict(discard_fraction=float("nan")), "discard_fraction"),
    (dict(discard_fraction=0.5), "discard_fraction"),
    (dict(discard_fraction=True), "discard_fraction"),
])
def test_twonn_parameters(kw, needle):
    X = np.random.default_rng(1).standard_normal((200, 3))
    with pytest.raises(InputError, match=needle):
        spectral.twonn(X, **kw)


def test_points_must_be_finite_2d():
    for X in (np.ones(5), np.full((10, 2), np.nan), [["a", "b"]]):
        with pytest.raises(InputError):
            spectral.twonn(X)


@pytest.mark.parametrize("call, needle", [
    (lambda: spectral.sample_manifold("sphere", 10, 0), "d"),
    (lambda: spectral.sample_manifold("blob", 10, 2), "kind"),
    (lambda: spectral.sample_manifold("cube", 10, 2, ambient=1), "ambient"),
    (lambda: spectral.resolution_limited(0), "d"),
    (lambda: spectral.resolution_limited(2, smoothness=-1), "smoothness"),
    (lambda: spectral.regime_exponents(float("nan")), "alpha_K"),
    (lambda: spectral.eigenlearning_curve([float("nan")], [1.0], [1.0]), "n"),
    (lambda: spectral.eigenlearning_curve([0], [1.0], [1.0]), "n"),
    (lambda: spectral.eigenlearning_curve([5], [1.0, -1.0], [1.0, 1.0]), "eigenvalues"),
    (lambda: spectral.rf_teacher_student_loss([float("nan")], [1], [1.0, 0.5]), "D"),
    (lambda: spectral.rf_residual([-2], [1.0, 0.5]), "n"),
    (lambda: spectral.solve_kappa(float("inf"), [1.0]), "n"),
    (lambda: spectral.nn_distance_mean([0.0], 2), "D"),
    (lambda: perc.bethe_stats(0.5, z=2), "z"),
    (lambda: perc.bethe_stats(float("nan")), "p"),
    (lambda: perc.cluster_moment(1, 0.4, s_max=float("nan")), "s_max"),
    (lambda: perc.log_cluster_numbers([float("nan")], 0.4), "sizes"),
    (lambda: perc.log_cluster_numbers([float("inf")], 0.4), "sizes"),
    (lambda: perc.brill_prediction("subcritical", tau=float("nan")), "tau"),
    (lambda: perc.brill_prediction("bogus"), "regime"),
    (lambda: perc.derive_exponents(2), "z"),
    (lambda: perc.theory_loss_vs_model_size([10], n_quanta=0), "n_quanta"),
    (lambda: perc.unlearned_fraction_data([1.0], 0.4, cap=0), "cap"),
    (lambda: rhm.alpha_c(10, 3, n_points=1), "n_points"),
    (lambda: rhm.alpha_c(-1, 3), "m"),
    (lambda: rhm.alpha_c_table(m=-1, Ls=[2]), "m"),
    (lambda: rhm.alpha_c_table(m=10, Ls=[0]), "L"),
    (lambda: rhm.learning_curve(rhm.RHMSpec.make(), [float("nan")]), "P"),
    (lambda: rhm.alpha_prime_at(rhm.RHMSpec.make(), [float("nan")]), "P"),
    (lambda: rhm.local_alpha_prime(rhm.RHMSpec.make(), ranks=[0.5]), "ranks"),
    (lambda: rhm.path_spectrum("not a spec"), "spec"),
    (lambda: rhm.path_spectrum(rhm.RHMSpec.make(), mode="fast"), "mode"),
    (lambda: rhm.split_accuracy_model([0.5, float("nan")], 0.5), "c_k"),
    (lambda: rhm.split_accuracy_model([0.5, 0.5], float("nan")), "q"),
    (lambda: rhm.seen_paths_distribution(rhm.RHMSpec.make(), [10], seed=-1), "seed"),
    (lambda: rhm.zipf_probs(10, True), "alpha"),
    (lambda: rhm.piltz_main_term(0), "L"),
])
def test_api_refuses(call, needle):
    with pytest.raises(InputError, match=needle):
        call()


def test_alpha_c_without_sign_change_says_so():
    # m = 2, L = 3: ranks 2..4 are one plateau (product 2, count 3): alpha' = -1 whatever alpha
    with pytest.raises(InputError, match="no sign change"):
        rhm.alpha_c(2, 3, window=(2, 4))


def test_alpha_c_table_row_without_root_states_why(monkeypatch):
    import scalinglab.theory.rhm._spectrum as S

    real = S.alpha_c

    def fake(m, L, window=None, n_points=200):
        if window == "head:1":
            raise S.NoSignChange("no sign change of alpha' (test)")
        return real(m, L, window=window, n_points=n_points)

    monkeypatch.setattr(S, "alpha_c", fake)
    rows = rhm.alpha_c_table(m=10, Ls=[2])
    head = [r for r in rows if r["window"] == "head:1"][0]
    full = [r for r in rows if r["window"] == "full"][0]
    assert math.isnan(head["alpha_c"]) and "no sign change" in head["alpha_c_reason"]
    assert full["alpha_c"] == pytest.approx(real(10, 2).alpha_c) and "alpha_c_reason" not in full
