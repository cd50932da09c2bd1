"""Issue 12: cases the property-based suites found, pinned so they stay fixed.

Each failed on the branch before its fix (an unexpected exception, a
non-monotone spectrum, an overflow); references are exact values or mpmath.
"""

import math

import mpmath
import numpy as np
import pytest

from scalinglab.errors import InputError
from scalinglab.theory import percolation as perc
from scalinglab.theory import rhm, spectral


@pytest.mark.parametrize("z", [3, 4, 7])
@pytest.mark.parametrize("p", [0.9999999999999999, 1e-300, 0.999])
def test_bethe_far_from_pc_against_mpmath(z, p):
    # p -> 1 put the root of the reduced equation within rounding of x = 1 (brentq had no sign change)
    with mpmath.workdps(50):
        P = mpmath.mpf(p)
        if P * (z - 1) > 1:
            q = mpmath.mpf(0)
            for _ in range(400):
                q = 1 - P + P * q ** (z - 1)
        else:
            q = mpmath.mpf(1)
        pinf = P * (1 - q**z)
        logc = mpmath.log(P) + (z - 2) * mpmath.log(1 - P) + (z - 1) * mpmath.log(z - 1) - (z - 2) * mpmath.log(z - 2)
    assert perc.p_infinity(p, z) == pytest.approx(float(pinf), rel=1e-12, abs=1e-300)
    assert perc.branch_finite_prob(p, z) == pytest.approx(float(q), rel=1e-12, abs=1e-300)
    assert perc.cutoff_size(p, z) == pytest.approx(float(-1 / logc), rel=1e-12)


def test_binned_spectrum_is_sorted_even_with_coarse_bins():
    spec = rhm.RHMSpec(n_c=1, v=2, m=4, s=3, L=12, alpha=0.0)
    bn = rhm.path_spectrum(spec, mode="binned", bin_width=0.25)
    ex = rhm.path_spectrum(spec, mode="exact")
    assert np.all(np.diff(bn.log_f) < 0)
    assert float(bn.n_per_class) == 4.0**12
    r = np.unique(np.rint(np.geomspace(1, 4.0**12, 400)))
    assert np.max(np.abs(ex.log_f_at_rank(r) - bn.log_f_at_rank(r))) <= bn.log_tol + 1e-12


def test_position_free_with_more_than_64_levels():
    # m = 1: one rule of probability 1 per level; a path is seen by one datum w.p. 1/n_c: (1 - 1/n_c)^P
    spec = rhm.RHMSpec(n_c=3, v=3, m=1, s=1, L=300, alpha=-1.0)
    got = rhm.eps_position_free(spec, [0.0, 1.0, 5.0])
    np.testing.assert_allclose(got, [1.0, 2 / 3, (2 / 3) ** 5], rtol=1e-12)


@pytest.mark.parametrize("call, needle", [
    (lambda: perc.brill_prediction("subcritical", c=4, D=2.2e-309, alpha=5), "D is too small"),
    (lambda: perc.brill_prediction("subcritical", c=1, D=1, alpha=1e-320), "alpha is too small"),
    (lambda: spectral.eigenlearning_curve([5e-324], [1.0], [1.0]), "too small"),
    (lambda: perc.lattice_clusters([10**400], 0.5), "lattice"),
    (lambda: spectral.sample_manifold("sphere", 10, 10**400), "d"),
    (lambda: spectral.resolution_limited(5e-324), "too small"),
    (lambda: spectral.nn_distance_mean([10.0], 1e-3), "overflows"),
    (lambda: rhm.alpha_c(2, 10**400), "L"),
    (lambda: rhm.RHMSpec.make(alpha=10**400), "alpha"),
    (lambda: rhm.RHMSpec.make(v=10**400), "v"),
    (lambda: spectral.powerlaw_spectrum(10**400, 1.0), "n_modes"),
    (lambda: perc.cutoff_size(0.5, 10**400), "z"),
    (lambda: spectral.resolution_limited(1e-300, smoothness=1e300), "overflows"),
    (lambda: rhm.seen_paths_distribution(rhm.RHMSpec.make(), [1.0], n_test=10**400), "limit"),
])
def test_found_inputs_are_refused(call, needle):
    with pytest.raises(InputError, match=needle):
        call()


def test_nn_distance_small_d_in_log_space():
    # Gamma(1 + 1/d) alone overflows for d < 0.0059; the product is finite: compare with mpmath
    d, D = 0.006, 1e6
    with mpmath.workdps(30):
        vd = mpmath.pi ** (mpmath.mpf(d) / 2) / mpmath.gamma(mpmath.mpf(d) / 2 + 1)
        ref = mpmath.gamma(1 + 1 / mpmath.mpf(d)) * (D * vd) ** (-1 / mpmath.mpf(d))
    got = spectral.nn_distance_mean([D], d)[0]
    assert got == pytest.approx(float(ref), rel=1e-9) if float(ref) > 1e-300 else got < 1e-290
    assert math.isfinite(spectral.nn_distance_mean([10.0], 0.006)[0])


def test_seen_distribution_at_P0_with_certain_paths():
    # m = 1: every path has probability 1, so one datum sees them all; at P = 0 nothing is seen (was nan)
    spec = rhm.RHMSpec(n_c=1, v=2, m=1, s=1, L=12, alpha=-1.0)
    d = rhm.seen_paths_distribution(spec, [0.0, 1.0], n_test=2)
    np.testing.assert_array_equal(d.pk, [[1.0, 0.0], [0.0, 1.0]])


def test_sampling_refuses_rule_probabilities_that_underflow(capsys):
    # found by the explore run of the CLI suite after the merge with main: alpha = 1e300 makes every rule
    # but the first of probability 0 and the sampler raised a plain ValueError (a traceback in the CLI)
    from scalinglab.cli import main
    from scalinglab.validate.rhm import RHMData

    spec = rhm.RHMSpec.make(alpha=1e300)
    assert spec.probs_matrix()[0, 1] == 0.0
    with pytest.raises(InputError, match="level 1 the rule of rank 2 has probability 0"):
        RHMData(spec)
    assert RHMData(rhm.RHMSpec.make(alpha=100.0)).draw(5).x.shape[0] == 5  # tiny but positive: sampled
    for argv in (["spectral", "id", "--source", "rhm", "--alpha", "1e300", "--n", "60"],
                 ["rhm", "sample", "--alpha", "1e300", "--n", "5"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("scalinglab: error: sampling needs every rule probability > 0")


@pytest.mark.parametrize("q", [2.2250738585072014e-308, 1e-308, 5e-324, 1 - 2**-53])
def test_split_model_at_extreme_q_against_exact_rationals(q):
    # found by the explore run after the merge with main: scipy.stats.binom.pmf raised OverflowError for
    # q <= ~1e-307 (K >= 2) and gave 0 instead of 4q at q = 5e-324
    from fractions import Fraction

    c = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    mod = rhm.split_accuracy_model(c, [q])
    fq = Fraction(q)
    exact = [math.comb(4, k) * fq**k * (1 - fq) ** (4 - k) for k in range(5)]
    np.testing.assert_allclose(mod.pk[0], [float(e) for e in exact], rtol=1e-13, atol=0)
    assert mod.accuracy[0] == pytest.approx(float(sum(e * Fraction(x) for e, x in zip(exact, c))), rel=1e-13)
