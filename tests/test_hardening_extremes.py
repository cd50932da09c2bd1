"""Issue 12, extreme but valid parameters: huge L, alpha = 100, alpha_K = 100.

Before the hardening: ``rhm spectrum --L 320`` ended in an OverflowError
traceback; ``alpha = 100, L = 30`` made eps refuse although the sum is well
defined (the alpha' fit exponentiated ln f down to 1e-3000); ``--alpha-K 100``
underflowed 18401 eigenvalues to zero and the command refused.
"""

import json
import math

import mpmath
import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.errors import InputError
from scalinglab.theory.rhm import RHMSpec, alpha_prime, learning_curve, path_spectrum
from scalinglab.theory import spectral


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------------------------------------------ huge L
def test_rhm_spectrum_L_320_is_a_stated_limit(capsys):
    rc, out, err = run(capsys, "rhm", "spectrum", "--L", "320")
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "1e+320" in err and "1e+300" in err  # the size and the limit


def test_rhm_spectrum_just_inside_the_limit_m2_L990_exact():
    # 2**990 ~ 1e298 paths per class: the exact spectrum is 991 groups, counts C(990, k)
    L = 990
    spec = RHMSpec(n_c=2, v=2, m=2, s=2, L=L, alpha=1.0)
    sp = path_spectrum(spec, mode="exact")
    ref = np.array([float(math.comb(L, k)) for k in range(L + 1)])
    np.testing.assert_allclose(np.asarray(sp.counts, dtype=float), ref, rtol=1e-11)
    assert float(sp.n_per_class) == pytest.approx(2.0**L, rel=1e-12)
    assert float(np.sum(sp.f * sp.counts)) == pytest.approx(1.0, rel=1e-10)
    fit = alpha_prime(sp)
    assert math.isfinite(fit.alpha_prime)


def test_rhm_cli_L_300_binned_runs(capsys):
    rc, out, err = run(capsys, "--json", "rhm", "spectrum", "--L", "300", "--head", "2")
    assert rc == 0, err
    got = json.loads(out)
    assert got["mode"] == "binned" and got["n_per_class"] == pytest.approx(1e300, rel=1e-9)
    assert math.isfinite(got["alpha_prime"]["alpha_prime"])


# ------------------------------------------------------------------------------------------------ alpha = 100
def _mp_eps(m, L, alpha, n_c, P):
    """eps(P) = sum over paths f (1 - f/n_c)^P per class, 40 digits, by exact multiset counts."""
    with mpmath.workdps(40):
        w = [mpmath.mpf(i) ** (-(1 + alpha)) for i in range(1, m + 1)]
        Z = mpmath.fsum(w)
        f1 = [x / Z for x in w]
        out = []
        # enumerate multisets of L ranks: counts c_1..c_m summing to L
        from itertools import combinations_with_replacement
        terms = []
        for ms in combinations_with_replacement(range(m), L):
            cnt = [ms.count(i) for i in range(m)]
            mult = math.factorial(L)
            for c in cnt:
                mult //= math.factorial(c)
            f = mpmath.fprod(f1[i] ** c for i, c in enumerate(cnt))
            terms.append((mult, f))
        for p in P:
            out.append(mpmath.fsum(mult * f * mpmath.exp(p * mpmath.log1p(-f / n_c)) for mult, f in terms))
        return [float(x) for x in out]


def test_eps_alpha_100_L_30_against_mpmath():
    m, L = 3, 30
    spec = RHMSpec(n_c=3, v=3, m=m, s=2, L=L, alpha=100.0)
    P = [1.0, 10.0, 1e3, 1e6, 1e40]
    lc = learning_curve(spec, P)
    ref = _mp_eps(m, L, 100.0, 3, P)
    np.testing.assert_allclose(lc.eps, ref, rtol=1e-10)
    assert math.isfinite(lc.alpha_prime.alpha_prime)


def test_eps_alpha_100_L_30_cli_default_model(capsys):
    rc, out, err = run(capsys, "--json", "rhm", "eps", "--alpha", "100", "--L", "30", "--P", "1,10,100")
    assert rc == 0, err
    got = json.loads(out)
    # the all-rank-1 path has f ~ 1 (per class) and frequency 1/n_c; every other path is below 2^-101:
    # eps(P) = 0.9^P + O(30 * 9 * 2^-101)
    np.testing.assert_allclose(got["eps"], [0.9, 0.9**10, 0.9**100], rtol=1e-9)
    assert math.isfinite(got["alpha_prime"]["alpha_prime"])


def test_alpha_prime_alpha_100_matches_exact_log_fit():
    spec = RHMSpec(n_c=3, v=3, m=3, s=2, L=30, alpha=100.0)
    sp = path_spectrum(spec, mode="exact")
    fit = alpha_prime(sp)
    from scalinglab.theory.rhm import log_uniform_ranks

    r = log_uniform_ranks(1, 3.0**30, 200)
    lf = sp.log_f_at_rank(r)
    slope = np.polyfit(np.log(r), lf, 1)[0]  # least squares directly in log space
    assert fit.alpha_prime == pytest.approx(-slope - 1, rel=1e-10)


# ------------------------------------------------------------------------------------------------ alpha_K = 100
def _mp_kappa(n, lam):
    lo, hi = mpmath.mpf(-2000), mpmath.mpf(10)
    for _ in range(300):
        mid = (lo + hi) / 2
        s = mpmath.fsum(x / (x + mpmath.exp(mid)) for x in lam)
        if s > n:
            lo = mid
        else:
            hi = mid
    return mpmath.exp((lo + hi) / 2)


def _mp_eigenlearning(n, lam, v2):
    k = _mp_kappa(n, lam)
    L = [x / (x + k) for x in lam]
    e0 = n / (n - mpmath.fsum(x * x for x in L))
    return float(e0 * mpmath.fsum((1 - a) ** 2 * b for a, b in zip(L, v2))), k


@pytest.mark.parametrize("n", [10.0, 300.0])
def test_eigenlearning_alpha_K_100_against_mpmath(n):
    modes = 2000  # i^-101 underflows float64 beyond i ~ 1100-1600
    lam64 = spectral.powerlaw_spectrum(modes, 100.0)
    assert np.sum(lam64 == 0) > 300  # the case of the issue: underflowed modes
    lc = spectral.eigenlearning_curve([n], lam64, lam64)
    with mpmath.workdps(30):
        lam = [mpmath.mpf(i) ** -101 for i in range(1, modes + 1)]
        ref, _ = _mp_eigenlearning(n, lam, lam)
    assert lc.test_mse[0] == pytest.approx(ref, rel=1e-8)
    assert np.all(np.isfinite(lc.kappa))


def test_rf_alpha_K_100_against_mpmath():
    modes = 2000
    lam64 = spectral.powerlaw_spectrum(modes, 100.0)
    got = spectral.rf_residual([5.0, 50.0], lam64)
    with mpmath.workdps(30):
        lam = [mpmath.mpf(i) ** -101 for i in range(1, modes + 1)]
        ref = []
        for n in (5, 50):
            k = _mp_kappa(n, lam)
            ref.append(float(mpmath.fsum(x * k / (x + k) for x in lam) / modes))
    np.testing.assert_allclose(got, ref, rtol=1e-8)


def test_cli_alpha_K_100_runs(capsys):
    for argv in (["spectral", "eigenlearning", "--alpha-K", "100"], ["spectral", "rf", "--alpha-K", "100"]):
        rc, out, err = run(capsys, "--json", *argv)
        assert rc == 0, err
        assert "underflow" in out  # the stated tolerance: how many modes count as zero


def test_negative_eigenvalues_still_refused():
    with pytest.raises(InputError, match="eigenvalues"):
        spectral.eigenlearning_curve([5.0], [1.0, -1e-3], [1.0, 1.0])
    with pytest.raises(InputError, match="eigenvalues"):
        spectral.eigenlearning_curve([5.0], [0.0, 0.0], [1.0, 1.0])
