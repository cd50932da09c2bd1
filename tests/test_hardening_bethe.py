"""Issue 12, Bethe lattice close to p_c: against 50-digit mpmath down to |p - p_c| = 1e-14.

Before the hardening the direct formulas cancelled: at p - p_c = 1e-8 (z = 3)
P_inf was 6.61e-8 (true 6.0e-8), S 17 % off and s_xi 10 % off; at 1e-10
``RuntimeError: no sign change for Q`` reached the CLI; within 1e-10 s_xi was
inf although the true value is >= 2.5e19.
"""

import math

import mpmath
import pytest

from scalinglab.cli import main
from scalinglab.theory.percolation import (bethe_stats, branch_finite_prob, branch_infinite_prob, cutoff_size,
                                           mean_cluster_size, p_infinity)

mp = mpmath.mp
EPS = [1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14]


def _p(z, eps):
    """The float nearest to p_c + eps (p_c = 1/(z-1) taken exactly)."""
    return float(mpmath.mpf(1) / (z - 1) + eps)


def ref_Q(p, z):
    """Smallest root of Q = 1 - p + p Q^(z-1), in 50 digits (bisection on x = 1 - Q)."""
    with mpmath.workdps(60):
        p = mpmath.mpf(p)
        if p * (z - 1) <= 1:
            return mpmath.mpf(1)
        g = lambda x: p * sum((1 - x) ** k for k in range(z - 1)) - 1  # noqa: E731  decreasing in x
        lo, hi = mpmath.mpf(0), mpmath.mpf(1)
        for _ in range(400):
            mid = (lo + hi) / 2
            if g(mid) > 0:
                lo = mid
            else:
                hi = mid
        return 1 - (lo + hi) / 2


def ref_stats(p, z):
    with mpmath.workdps(60):
        P = mpmath.mpf(p)
        Q = ref_Q(p, z)
        pinf = P * (1 - Q**z)
        if P * (z - 1) < 1:
            S = (1 + P) / (1 - (z - 1) * P)
        else:
            ps = P * Q ** (z - 2)
            S = 1 + z * ps / (1 - (z - 1) * ps)
        c = P * (1 - P) ** (z - 2) * mpmath.mpf(z - 1) ** (z - 1) / mpmath.mpf(z - 2) ** (z - 2)
        sxi = -1 / mpmath.log(c)
        return Q, pinf, S, sxi


@pytest.mark.parametrize("z", [3, 4, 6])
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("eps", EPS)
def test_near_pc_against_mpmath(z, sign, eps):
    p = _p(z, sign * eps)
    Q, pinf, S, sxi = ref_stats(p, z)
    assert branch_infinite_prob(p, z) == pytest.approx(float(1 - Q), rel=1e-12, abs=0)
    assert branch_finite_prob(p, z) == pytest.approx(float(Q), rel=1e-15)
    if sign > 0:
        assert p_infinity(p, z) == pytest.approx(float(pinf), rel=1e-12)
    else:
        assert p_infinity(p, z) == 0.0 and pinf == 0
    assert mean_cluster_size(p, z) == pytest.approx(float(S), rel=1e-10)
    got = cutoff_size(p, z)
    assert math.isfinite(got) and got == pytest.approx(float(sxi), rel=1e-10)


def test_issue_values_z3():
    p = _p(3, 1e-8)
    assert p_infinity(p) == pytest.approx(6.0e-8, rel=1e-6)  # was 6.61e-8
    assert cutoff_size(_p(3, 1e-10)) == pytest.approx(2.5e19, rel=1e-6)  # was inf


@pytest.mark.parametrize("eps", [1e-10, 1e-12, 1e-14])
def test_bethe_stats_near_pc_is_finite_and_consistent(eps):
    p = _p(3, eps)
    st = bethe_stats(p)
    _, pinf, S, sxi = ref_stats(p, 3)
    assert st.p_inf == pytest.approx(float(pinf), rel=1e-12)
    assert st.mean_cluster_size == pytest.approx(float(S), rel=1e-10)
    assert st.cutoff_size == pytest.approx(float(sxi), rel=1e-10)
    # sum_s s n_s = p - P_inf: the numerical sum plus tail, at the tolerance of its quadrature
    assert st.finite_site_fraction + st.p_inf - st.p == pytest.approx(0.0, abs=1e-6)


def test_cli_stats_just_above_pc_runs(capsys):
    rc = main(["--json", "percolation", "stats", "--p", repr(_p(3, 1e-10))])
    out, err = capsys.readouterr()
    assert rc == 0 and "Traceback" not in err
    import json

    got = json.loads(out)
    assert got["cutoff_size"] == pytest.approx(2.5e19, rel=1e-6)


def test_exactly_at_pc_states_why_inf(capsys):
    rc = main(["--json", "percolation", "stats", "--p", "0.5"])
    import json

    got = json.loads(capsys.readouterr().out)
    assert rc == 0
    for key in ("mean_cluster_size", "cutoff_size"):  # inf, or null in strict JSON, with the reason stated
        assert got[key] is None or math.isinf(got[key])
        assert "p_c" in got[f"{key}_reason"]
