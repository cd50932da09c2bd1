"""Issue 18, Bethe ``ln n_s`` at large coordination number against 50-digit mpmath.

Before the fix the cluster numbers at z = 200 and 1000 were off by 7e-10 (relative, in n_s) at s = 10^3
(gammaln of (z-1)s loses digits) and by up to a factor 1.6 at s = 10^12 (``log c(p)`` cancelled two terms
of size z log z). Brill's toy model uses z = 200. Required: 1e-12 relative in ``ln n_s`` for z <= 1000,
s <= 10^12, p anywhere in (0, 1) including next to p_c; measured after the fix: below 2e-15.
"""

import math

import mpmath
import numpy as np
import pytest

from scalinglab.theory.percolation import cluster_moment, cutoff_size, log_cluster_numbers

SIZES = [1, 2, 3, 4, 7, 12, 19, 20, 21, 57, 100, 999, 1000, 9999, 10**4, 123457, 10**6, 10**9, 10**12]


def ref_log_ns(s, p, z):
    """``ln n_s`` in 50 digits from the Fisher-Essam formula with mpmath's loggamma (p taken exactly)."""
    with mpmath.workdps(50):
        s, P = mpmath.mpf(s), mpmath.mpf(p)
        t = (z - 2) * s + 2
        return (mpmath.log(z) + mpmath.loggamma((z - 1) * s + 1) - mpmath.loggamma(s + 1) - mpmath.loggamma(t + 1)
                + s * mpmath.log(P) + t * mpmath.log1p(-P))


def _ps(z):
    """Occupations across (0, 1): far below, next to (1e-3 .. 1e-12 relative) and above p_c, and near 1."""
    pc = mpmath.mpf(1) / (z - 1)
    rel = [-0.99, -0.5, -0.1, -1e-3, -1e-8, -1e-12, 0, 1e-12, 1e-8, 1e-3, 0.1, 1.0]
    ps = [float(pc * (1 + r)) for r in rel] + [1e-300, 1e-30, 1e-5, 0.5, 0.9, 0.999, 1 - 1e-12]
    return sorted({p for p in ps if 0 < p < 1})


@pytest.mark.parametrize("z", [3, 4, 10, 50, 200, 1000])
def test_log_ns_matches_mpmath(z):
    worst = 0.0
    for p in _ps(z):
        got = log_cluster_numbers(np.array(SIZES, dtype=float), p, z)
        for s, g in zip(SIZES, got):
            ref = ref_log_ns(s, p, z)
            rel = float(abs((mpmath.mpf(g) - ref) / ref))
            worst = max(worst, rel)
            assert rel < 1e-13, (z, p, s, g, float(ref))
    assert worst < 1e-13


@pytest.mark.parametrize("z, p, s", [(200, 0.004, 1000), (1000, 0.0008, 1000), (200, 0.004, 10**4)])
def test_n_s_itself_to_1e12_at_moderate_s(z, p, s):
    # where ln n_s is O(10^2 .. 10^3) the absolute error of ln n_s is the relative error of n_s
    ref = ref_log_ns(s, p, z)
    assert abs(float(log_cluster_numbers([s], p, z)[0] - ref)) < 1e-12 * max(1.0, abs(float(ref)))


def test_stirling_switch_is_continuous_for_non_integer_sizes():
    # the quadrature of cluster_moment evaluates non-integer sizes; below the switch gammaln is used
    s = np.array([19.5, 19.999999, 20.0, 20.5])
    for z in (3, 200):
        got = log_cluster_numbers(s, 0.3 / (z - 1), z)
        ref = [float(ref_log_ns(x, 0.3 / (z - 1), z)) for x in s]
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_z200_moment_identity_still_holds():
    # sum_s s n_s = p below p_c, summed with the new n_s (Brill's toy uses z = 200)
    z = 200
    p = 0.9 / (z - 1)
    assert cluster_moment(1, p, z) == pytest.approx(p, rel=1e-10)
    assert math.isfinite(cutoff_size(p, z))
