"""Result objects: short repr, str, strict-JSON to_dict, to_frame, plot; and the matplotlib backend."""

import dataclasses
import json
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from scalinglab._results import Result, strict_json
from scalinglab.theory import fitting, percolation, rhm, spectral


def strict_loads(text):
    """json.loads that refuses NaN / Infinity (as strict parsers do)."""
    def refuse(const):
        raise ValueError(f"non-strict JSON constant {const}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def results():
    """One instance of every named result class, built cheaply, several with NaN / inf fields."""
    spec = rhm.RHMSpec.make(alpha=1.0)
    sp = rhm.path_spectrum(spec)
    rng = np.random.default_rng(0)
    x = np.geomspace(10, 1e3, 6)
    ys = 0.5 * x[:, None] ** -0.4 * np.exp(rng.normal(0, 0.1, (6, 5)))
    lam = spectral.powerlaw_spectrum(200, 0.5)
    pts = spectral.sample_manifold("sphere", 300, 2, seed=0)
    gram = spectral.gram_spectrum(pts)
    sweeps = [percolation.lattice_sweep(2, L, n_samples=10, seed=L) for L in (8, 12, 16)]
    out = {
        "PathSpectrum": sp,
        "AlphaPrimeFit": rhm.alpha_prime(sp),
        "LocalExponent": rhm.alpha_prime_at(sp, [10.0, 1e3]),
        "AlphaCritical": rhm.alpha_c(10, 2),
        "AlphaCriticalTable": rhm.alpha_c_table(10, Ls=(2,)),
        "LearningCurve": rhm.learning_curve(spec, [0.0, 10.0, 100.0]),
        "SplitModel": rhm.split_accuracy_model([0.1, 0.5, 0.9], [0.0, 0.5, 1.0]),
        "SeenPathsDistribution": rhm.seen_paths_distribution(spec, [10.0, 100.0], n_test=50),
        "SplitModelCurve": rhm.split_model_error(spec, [10.0, 100.0], [0.1, 0.2, 0.4, 0.8, 1.0], n_test=50),
        "HutterCurve": rhm.hutter_learning_curve(),
        "PiltzMainTerm": rhm.piltz_main_term(2),
        "ProductZipfExponent": rhm.product_zipf_effective_exponent(2),
        "AsymptoticCurve": rhm.asymptotic_learning_curve(2),
        "LevelsAsymptote": rhm.asymptotic_learning_curve_levels((1.0, 2.0)),
        "RegimeMap": rhm.rhm_regime_map(1.0, 2, 10),
        "MThreshold": rhm.asymptotic_m_threshold(4.0, 2, m_max=1e4, bin_width=1e-2),
        "BetheStats": percolation.bethe_stats(0.5, 3, sizes=[1, 10]),
        "BetheExponents": percolation.bethe_exponents(),
        "BrillPrediction": percolation.brill_prediction("supercritical"),
        "BetheQuanta": percolation.bethe_quanta(n_clusters=5, z=3, s_min=10, s_max=1000),
        "LatticeSweep": percolation.lattice_sweep(2, 8, n_samples=4),
        "QuantaLossSums": percolation.quanta_loss_sums([0.5, 0.3, 0.2], N=[1.0, 10.0], D=[1.0, 10.0]),
        "PcExtrapolation": percolation.pc_extrapolate(sweeps, nu=4 / 3, n_boot=20),
        "TauEstimate": percolation.tau_estimate(percolation.lattice_sweep(2, 32, n_samples=10, seed=0), n_boot=20),
        "FractalDimension": percolation.fractal_dim(sweeps, n_boot=20),
        "EigenlearningCurve": spectral.eigenlearning_curve([10.0, 200.0], lam, lam / 200),
        "RFLoss": spectral.rf_teacher_student_loss([10.0, np.inf, 50.0], [np.inf, 20.0, 49.5], lam),
        "RegimeExponents": spectral.regime_exponents(0.5),
        "ResolutionBounds": spectral.resolution_limited(4, 2),
        "GramSpectrum": gram,
        "SpectrumFit": spectral.fit_spectrum(gram.eigenvalues),
        "IDEstimate": spectral.twonn(pts),
        "SymbolicResult": spectral.piecewise_linear_mse(),
        "PowerLawFit": fitting.powerlaw_fit([1.0, 10.0], [1.0, 0.1]),  # 2 points: stderr nan
        "BootstrapFit": fitting.bootstrap_powerlaw(x, ys, n_boot=200),
        "SeedInterval": fitting.seed_bootstrap(rng.normal(1.0, 0.1, 6), np.mean, n_boot=200),
        "DiscretePowerLawFit": fitting.discrete_powerlaw_fit(rng.zipf(2.5, 500), 1),
        "GridBracket": fitting.grid_bracket([1.0, 2.0, 4.0, 8.0], np.array([[0.9, 0.7, 0.2, 0.1]] * 5),
                                            lambda e: e.mean(0) < 0.5, n_boot=100),
    }
    return out


def _result_classes():
    out = {}
    for mod in (rhm, percolation, spectral, fitting):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj is not rhm.RHMSpec:
                out[name] = obj
    return out


def test_every_named_result_is_a_result_and_covered(results):
    classes = _result_classes()
    assert set(classes) == set(results), "a result class without an instance in this test (or vice versa)"
    for name, cls in classes.items():
        assert issubclass(cls, Result), name
        assert cls.__repr__ is Result.__repr__, f"{name}: declare @dataclass(frozen=True, repr=False)"
        assert isinstance(results[name], cls)


def test_repr_is_short(results):
    for name, r in results.items():
        text = repr(r)
        assert text.startswith(name + "("), text
        assert text.count("\n") <= 1 and len(text) <= 240, (name, text)
    # the case of the issue: a 100-point learning curve used to print 6 kB
    lc = rhm.learning_curve(rhm.RHMSpec.make(alpha=1.0), np.geomspace(1, 1e6, 100))
    assert len(repr(lc)) < 250 and "<100 values 1..1e+06>" in repr(lc)


def test_to_dict_is_strict_json_with_reasons(results):
    for name, r in results.items():
        d = r.to_dict()
        text = json.dumps(d, allow_nan=False)  # raises on NaN/inf
        assert strict_loads(text) == d, name
        for key, value in d.items():  # every null carries a reason beside it
            if value is None or (isinstance(value, list) and None in value):
                assert isinstance(d.get(f"{key}_reason"), str), (name, key)
    d = results["BrillPrediction"].to_dict()
    assert d["alpha"] is None and "supercritical" in d["alpha_reason"] and d["c_over_D"] == 0.5
    d = results["BetheStats"].to_dict()
    assert d["cutoff_size"] is None and "p_c" in d["cutoff_size_reason"]
    lc = results["LearningCurve"]
    d = lc.to_dict()
    # hardening's log-space local exponent: undefined (null + reason) at P = 0 only, a number at P = 10, 100
    assert d["eps"] == lc.eps.tolist() and d["local_exponent"][0] is None and "P = 0" in d["local_exponent_reason"]
    assert all(isinstance(x, float) for x in d["local_exponent"][1:])
    d = results["RFLoss"].to_dict()
    assert d["D"][1] is None and "infinitely many data" in d["D_reason"] and d["loss"][2] is None
    assert results["PowerLawFit"].to_dict()["stderr"] is None


def test_strict_json_converts_numpy_sympy_and_nested():
    import sympy

    x = sympy.Symbol("x")
    d = strict_json({"a": np.float32(np.nan), "b": np.arange(3), "c": (1.0, -np.inf), "e": x**2,
                     "f": [{"g": np.inf}], "h": lambda: 1, "i": np.bool_(True)})
    assert d == {"a": None, "a_reason": "null stands for NaN (not defined there)", "b": [0, 1, 2],
                 "c": [1.0, None], "c_reason": "null stands for -inf", "e": "x**2",
                 "f": [{"g": None, "g_reason": "null stands for +inf"}], "i": True}


def test_str_holds_the_text(results):
    for name, r in results.items():
        assert str(r).strip(), name
    lc = results["LearningCurve"]
    assert "eps(P)" in str(lc) and f"{lc.eps[1]:11.5g}" in str(lc)
    assert "120 distinct path frequencies (exact mode)" in str(results["PathSpectrum"])
    assert "P_inf" in str(results["BetheStats"]) and "n_s" in str(results["BetheStats"])
    assert "likelihood-ratio" in str(results["DiscretePowerLawFit"])


def test_str_states_why_a_value_is_nan_or_inf(results):
    """One convention for nan/inf: ``<field>_reason`` beside the null of to_dict, the same reason on a
    ``note:`` line of str (fields sharing a reason on one line); no note where every value is finite."""
    for name, r in results.items():
        d, text = r.to_dict(), str(r)
        for key in r._reasons:
            v = r._dict_data().get(key)
            if v is not None and not np.all(np.isfinite(np.asarray(v, dtype=float))):  # NaN/inf, not a bare None
                notes = {f: ln.split(": ", 2)[2] for ln in text.splitlines() if ln.startswith("note: ")
                         for f in ln.split(": ", 2)[1].split(", ")}
                assert notes.get(key) == d[f"{key}_reason"], (name, key, text)
    assert str(results["BrillPrediction"]).splitlines()[-1] == (
        "note: alpha, model_ratio, data_ratio: " + results["BrillPrediction"]._reasons["alpha"])
    assert "note: mean_cluster_size, cutoff_size: infinite exactly at the threshold p_c" in str(results["BetheStats"])
    assert "note: local_exponent: " in str(results["LearningCurve"])
    finite = percolation.brill_prediction("subcritical")
    assert "note:" not in str(finite) and not any(k.endswith("_reason") for k in finite.to_dict())


def test_to_frame(results):
    pd = pytest.importorskip("pandas")
    for name, r in results.items():
        df = r.to_frame()
        assert isinstance(df, pd.DataFrame) and len(df) >= 1, name
    lc = results["LearningCurve"]
    df = lc.to_frame()
    assert len(df) == 3 and np.array_equal(df["eps"].to_numpy(), lc.eps)
    # tidy (issue 18): one row per P, the fit (one value per curve) in attrs, not repeated on every row
    assert "predicted_exponent" not in df and df.attrs["predicted_exponent"] == lc.predicted_exponent
    seen = results["SeenPathsDistribution"].to_frame()
    assert len(seen) == 2 * 5 and np.allclose(seen.groupby("P")["pk"].sum(), 1.0)
    sp = results["PathSpectrum"].to_frame()
    assert sp["count"].sum() == 1000 and (sp["rank_lo"] <= sp["rank_hi"]).all()
    assert list(results["AlphaCriticalTable"].to_frame()["window"]) == ["full", "head:1"]


def test_to_frame_without_pandas_says_how_to_install(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match="pip install"):
        results["AlphaCritical"].to_frame()


def test_plot_returns_axes(results):
    import matplotlib.pyplot as plt

    plotted = []
    for name, r in results.items():
        if not hasattr(r, "plot"):
            continue
        fig, ax = plt.subplots()
        assert r.plot(ax=ax) is ax and (ax.lines or ax.collections), name
        plt.close(fig)
        ax = r.plot()  # a new figure
        assert ax.figure is not fig
        plt.close(ax.figure)
        plotted.append(name)
    assert {"PathSpectrum", "LearningCurve", "SeenPathsDistribution", "BootstrapFit", "DiscretePowerLawFit",
            "EigenlearningCurve", "RFLoss", "GramSpectrum", "LocalExponent"} <= set(plotted)
    assert not hasattr(results["AlphaCritical"], "plot")  # scalar results have no picture


def test_backward_compatible_shapes(results):
    r, a = results["LocalExponent"]  # alpha_prime_at still unpacks
    assert r.shape == a.shape == (2,)
    tab = results["AlphaCriticalTable"]
    assert len(tab) == 2 and tab[0]["window"] == "full" and [row["L"] for row in tab] == [2, 2]
    b = results["BootstrapFit"]
    assert b.exponent == b.fit.exponent and len(b.ci) == 2 and b.samples.size > 0


_BACKEND_SCRIPT = """
import importlib, pkgutil, matplotlib
matplotlib.use("svg")
import scalinglab
for m in pkgutil.walk_packages(scalinglab.__path__, "scalinglab."):
    if m.name != "scalinglab.__main__":
        importlib.import_module(m.name)
import matplotlib.pyplot as plt
from scalinglab.theory.rhm import RHMSpec, learning_curve
learning_curve(RHMSpec.make(alpha=1.0), [1.0, 10.0]).plot()
print(matplotlib.get_backend())
from scalinglab.cli import main
main(["percolation", "exponents"])
print(matplotlib.get_backend())
"""


def test_importing_scalinglab_keeps_the_matplotlib_backend():
    out = subprocess.run([sys.executable, "-c", _BACKEND_SCRIPT], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MPLBACKEND": ""})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[0] == "svg" and lines[-1].lower() == "agg"
    assert matplotlib.get_backend()  # this process is untouched


def test_docstring_examples_of_results_and_fitting():
    import doctest

    import scalinglab._results
    import scalinglab.theory.fitting

    for mod in (scalinglab._results, scalinglab.theory.fitting):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
