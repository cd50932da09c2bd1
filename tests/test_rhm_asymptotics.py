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


# ----------------------------------------------------------------------------- regime map
from scalinglab.theory.rhm import (asymptotic_m_threshold, eps_large_m, learning_curve,  # noqa: E402
                                   rhm_regime_map, zipf_level_histogram)


def test_level_histogram_without_enumeration_matches_kernel_binning():
    """Above HEAD ranks the level is binned from Hurwitz zeta differences; eps agrees with path_spectrum."""
    m, P = 300_000, np.array([1e2, 1e5, 1e8])
    e = eps_large_m(m, (1.0, 1.0), P, bin_width=1e-3)
    ref = learning_curve(RHMSpec.make(m=m, v=m, L=2, alpha=1.0), P).eps
    np.testing.assert_allclose(e, ref, rtol=1e-6)
    top, off, cnt, rel = zipf_level_histogram(10**20, 1.0, 1e-2)
    assert cnt.sum() == pytest.approx(1e20, rel=1e-12)
    assert (rel * np.exp(1e-2 * (top - off))).sum() == pytest.approx(1.0, rel=1e-10)


def test_regime_map_note_setting_and_large_m():
    rm = rhm_regime_map(1.0, 3, 10)
    assert not rm.shows_a and not rm.shows_b
    assert rm.P_star == 1e4 and rm.window_c == (1e3, 1e4)
    # the local exponent is the kernel's, on the same grid
    lc = learning_curve(RHMSpec.make(alpha=1.0), rm.P[(rm.P > 5) & (rm.P < 1e5)])
    sel = (rm.P > 5) & (rm.P < 1e5)
    np.testing.assert_allclose(rm.local_exponent[sel][2:-2], lc.local_exponent[2:-2], atol=2e-3)
    big = rhm_regime_map(1.0, 3, 10**6, note_exponent=float("nan"))
    assert big.shows_a and big.window_a[1] <= big.P_star / 10
    lo, hi = big.window_a
    sel = (big.P >= lo) & (big.P <= hi)
    assert np.all(np.abs(big.local_exponent[sel] / 0.5 - 1) <= 0.05)


def test_m_threshold_brackets():
    th = asymptotic_m_threshold(1.0, 3, m_max=1e6, bin_width=1e-2)
    lo, hi = th.bracket
    assert rhm_regime_map(1.0, 3, int(hi), note_exponent=float("nan"), bin_width=1e-2).shows_a
    assert not rhm_regime_map(1.0, 3, int(lo), note_exponent=float("nan"), bin_width=1e-2).shows_a


# ----------------------------------------------------------------------------- the reproduction
import json  # noqa: E402
from pathlib import Path  # noqa: E402

REF = Path(__file__).resolve().parents[1] / "results" / "reference" / "rhm-asymptotics"


def _summary():
    return json.loads((REF / "summary.json").read_text())


def test_guide_block_is_generated_from_the_reference_summary():
    from scalinglab.validate.rhm._asymptotics_exp import guide_markdown
    guide = (Path(__file__).resolve().parents[1] / "docs" / "guide" / "rhm.md").read_text()
    block = guide.split("<!-- rhm-asymptotics:begin -->\n")[1].split("\n<!-- rhm-asymptotics:end -->")[0]
    assert block == guide_markdown(_summary())


def test_reference_rows_recompute():
    """Stored cells recomputed now: the regime map of the note's setting and one closed-form check."""
    from scalinglab.validate.rhm._asymptotics_exp import AsymptoticsCell, asymptotics_cell
    s = _summary()
    g = [g for g in s["regime"] if g["alpha"] == 1.0 and g["L"] == 3 and g["m"] == 16][0]
    row = asymptotics_cell(AsymptoticsCell("regime", (1.0,) * 3, 16, (), 10, s["tol"], s["min_decades"]))
    new = json.loads(row["regime"])
    assert new["decades_a"] == g["decades_a"] and new["decades_b"] == g["decades_b"]
    c = [c for c in s["closed"] if c["L"] == 3 and c["alpha"] == 1.0 and c["m"] == 1000][0]
    row = asymptotics_cell(AsymptoticsCell("closed", (1.0,) * 3, 1000, tuple(c["P"]), 10))
    np.testing.assert_allclose(json.loads(row["rel_err"]), c["rel_err"], rtol=1e-9, atol=1e-12)
    assert s["quote"]["m10_shows_a"] is False and s["quote"]["m_min"] > 32


# ----------------------------------------------------------------------------- curve predictions (stored rows)
CP = Path(__file__).resolve().parents[1] / "results" / "reference"


def test_curve_prediction_recomputes_from_rows():
    from scalinglab.validate.rhm._curve_predict import load_runs, out_of_sample, pooled_ck
    s = json.loads((CP / "rhm-curve-prediction" / "summary.json").read_text())
    split = json.loads((CP / "gpu" / "rhm-split-model" / "summary.json").read_text())
    runs = load_runs(CP / "gpu" / "rhm-runs")
    c = [c for c in split["curves"] if c["curve"].startswith("zipf a=2 ")][0]
    new = out_of_sample(runs, 2.0, c["pk_exact"], [int(p) for p in c["P"]], 1280, n_boot=1000)
    old = [x for x in s["curves"] if x["alpha"] == 2.0][0]["out_of_sample"]["1280"]
    assert [r["P"] for r in new] == [r["P"] for r in old]
    np.testing.assert_allclose([r["ratio"] for r in new], [r["ratio"] for r in old], rtol=1e-12)
    # in sample (P0 = P), the pooled c_k reproduce the measured error exactly up to p_k(theory) vs p_k(measured)
    sub = runs[(runs["a"] == 2.0) & (runs["P"] == 640) & (runs["seed"] == 0)]
    ck = pooled_ck(sub)
    nk = np.array([sub[f"n_{k}"].iloc[0] for k in range(5)], dtype=float)
    assert 1 - np.nansum(ck * nk / nk.sum()) == pytest.approx(float(sub["test_err"].iloc[0]), abs=1e-9)


# ----------------------------------------------------------------------------- issue 20 GPU slices (specs only)
def test_issue20_slice_specs():
    from scalinglab.validate import protocol
    for name, width, ms in (("rhm-large-m-24-32", 1024, [24, 32]), ("rhm-large-m-w2048", 2048, [32])):
        exp = protocol.get(name)
        cfg = exp.config_from_dict(protocol.shipped_spec(name)[0])
        assert cfg.seeds == 10 and cfg.net.width == width and sorted(md.m for md in cfg.models) == ms
        for md in cfg.models:
            grid = cfg.P_grid(md)
            P_star = md.n_c * md.m**md.L
            assert max(grid) == P_star // 2 and min(grid) >= 16
    cfg = protocol.get("rhm-fig5-alphac").config_from_dict(protocol.shipped_spec("rhm-fig5-alphac")[0])
    assert [c.alpha for c in cfg.curves] == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2])
    assert max(cfg.P_grid(cfg.models[0])) == 10 * 10**4 and cfg.seeds == 10
