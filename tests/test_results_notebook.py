"""Issue 18, results a notebook can live in: every plot titled, no plain dicts, tidy frames, short reprs.

The registry test below walks every ``Result`` subclass with a ``plot`` method: a new one without an entry
here (and so without a checked title) fails it.
"""

import json
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import scalinglab.theory  # noqa: F401,E402
import scalinglab.validate.percolation as VP  # noqa: E402
from scalinglab._results import Result  # noqa: E402
from scalinglab.theory import fitting  # noqa: E402
from scalinglab.theory import percolation as TP  # noqa: E402
from scalinglab.theory import rhm as TR  # noqa: E402
from scalinglab.theory import data as TD  # noqa: E402
from scalinglab.theory import spectral as TS  # noqa: E402

TINY_TOY = dict(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=2)


@pytest.fixture(scope="module")
def sweeps():
    return [TP.lattice_sweep(2, L, "site", n_samples=20, seed=L) for L in (8, 12, 16)]


@pytest.fixture(scope="module")
def toy():
    cfg = VP.BrillToyConfig(**TINY_TOY)
    cl = VP.brill_clusters(cfg, seed=0)
    return cfg, cl


def _factories(sweeps, toy):
    spec = TR.RHMSpec.make(alpha=1.0)
    x = np.arange(1.0, 101.0)
    rng = np.random.default_rng(0)
    cfg, cl = toy
    lam = TS.powerlaw_spectrum(200, 1.0)
    return {
        "PathSpectrum": lambda: TR.path_spectrum(spec),
        "LocalExponent": lambda: TR.local_alpha_prime(spec, ranks=[3, 30, 300]),
        "AlphaCriticalTable": lambda: TR.alpha_c_table(10, Ls=(2,), n_points=50),
        "LearningCurve": lambda: TR.learning_curve(spec, np.geomspace(1, 1e5, 12)),
        "SplitModel": lambda: TR.split_accuracy_model([0.1, 0.5, 1.0], q=[0.2, 0.5]),
        "SeenPathsDistribution": lambda: TR.seen_paths_distribution(TR.RHMSpec.make(m=4, v=8, n_c=4, L=2, alpha=1.0),
                                                                   P=50, n_test=100),
        "SplitModelCurve": lambda: TR.split_model_error(spec, [10, 100], c_k=[0.1, 0.2, 0.4, 0.8, 1.0], n_test=100),
        "PiltzMainTerm": lambda: TR.piltz_main_term(2),
        "ProductZipfExponent": lambda: TR.product_zipf_effective_exponent(2),
        "PowerLawFit": lambda: fitting.powerlaw_fit(x, 3 * x**-0.7),
        "BootstrapFit": lambda: fitting.bootstrap_powerlaw(x[:10], np.exp(rng.normal(0, 0.05, (10, 6)))
                                                           * (x[:10, None] ** -0.5), n_boot=100),
        "DiscretePowerLawFit": lambda: fitting.discrete_powerlaw_fit(rng.zipf(2.5, 2000), x_min=2, x_max=1000),
        "BetheStats": lambda: TP.bethe_stats(0.45, z=3),
        "BetheQuanta": lambda: TP.bethe_quanta(50, z=3, p=0.45, s_min=1, s_max=10**5),
        "QuantaLossSums": lambda: TP.quanta_loss_sums(TP.bethe_quanta(50, z=3, p=0.45, s_min=1, s_max=10**5).freqs,
                                                      N=[10, 100], D=[10, 100]),
        "PcExtrapolation": lambda: TP.pc_extrapolate(sweeps, nu=4 / 3, n_boot=20),
        "FractalDimension": lambda: TP.fractal_dim(sweeps, n_boot=20),
        "GramSpectrum": lambda: TS.gram_spectrum(rng.normal(size=(60, 3)), "laplace"),
        "SpectrumFit": lambda: TS.fit_spectrum(np.arange(1, 201) ** -1.5, window=(5, 100)),
        "EigenlearningCurve": lambda: TS.eigenlearning_curve([10, 100], lam, lam),
        "RFLoss": lambda: TS.rf_teacher_student_loss([10, 100, 300], [50, 50, 50], lam),
        "BrillClusters": lambda: cl,
        "ScaleFactors": lambda: VP.brill_scale_factors(cl, cfg, seed=0),
        "BrillToyAnalysis": lambda: VP.brill_toy_analyse(VP.brill_toy_run_seed(cfg, 0) + VP.brill_toy_run_seed(cfg, 1),
                                                         cfg),
        # the data-driven predictions (scalinglab.theory.data)
        "ZipfFit": lambda: TD.zipf_fit(tokens_counts(), n_boot=50),
        "MemoriserCurve": lambda: TD.memoriser_curve(np.array([50, 30, 10, 5, 3, 1, 1]), P=[10, 99],
                                                     predicted_exponent=0.3),
        "TokenPrediction": lambda: TD.predict_tokens(tokens(), n_boot=50, peer=False),
        "TailComparison": lambda: TD.compare_tails(rng.zipf(2.2, 3000), x_min=2, peer=False),
        "ClusterPrediction": lambda: TD.predict_clusters(rng.zipf(2.5, 5000), x_min=1, peer=False, n_boot=100),
        "KernelLearningCurve": lambda: TD.kernel_learning_curve(*xy(), P=[16, 32, 64], seeds=3),
        "FeaturePrediction": lambda: TD.predict_features(*xy(), seeds=3, kernels=("laplace",), peer=False),
        # issue 20's asymptotics and regime map
        "AsymptoticCurve": lambda: TR.asymptotic_learning_curve(3),
        "RegimeMap": lambda: TR.rhm_regime_map(1.0, 2, 100),
    }


def tokens():
    p = np.arange(1, 2001.0) ** -1.4
    return np.random.default_rng(0).choice(2000, size=30_000, p=p / p.sum())


def tokens_counts():
    return np.sort(np.bincount(tokens()))[::-1]


def xy():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    return X, np.sin(3 * X[:, 0]) + X[:, 1] ** 2


def _plot_classes():
    out, todo = set(), [Result]
    while todo:
        c = todo.pop()
        for s in c.__subclasses__():
            todo.append(s)
            if s.__module__.startswith("scalinglab.") and callable(getattr(s, "plot", None)):
                out.add(s.__name__)
    return out


def test_every_plot_sets_a_title_and_every_plotting_result_is_checked(sweeps, toy):
    facts = _factories(sweeps, toy)
    assert _plot_classes() <= set(facts), f"results with plot but no title check: {_plot_classes() - set(facts)}"
    for name, make in facts.items():
        r = make()
        assert type(r).__name__ == name
        ax = r.plot()
        assert ax.get_title().strip(), f"{name}.plot sets no title"
        plt.close(ax.figure)


def test_a_given_title_is_kept(toy):
    fig, ax = plt.subplots()
    ax.set_title("mine")
    TR.path_spectrum(TR.RHMSpec.make(alpha=1.0)).plot(ax=ax)
    assert ax.get_title() == "mine"
    plt.close(fig)


def _strict(r):
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    return d


def test_dict_results_became_results_with_the_same_keys(sweeps, toy):
    """to_dict keeps the keys of the dicts they replaced (stored summaries read the same), item access too."""
    e = TP.pc_extrapolate(sweeps, nu=4 / 3, n_boot=20)
    assert isinstance(e, Result) and list(_strict(e)) == ["pc", "a", "ci", "se", "p_half", "p_half_se", "L", "nu",
                                                          "which", "method"]
    assert e["ci"] == e.ci and e.get("nope", 1) == 1 and "pc" in e
    assert e.to_frame().shape == (3, 4)
    t = TP.tau_estimate(TP.lattice_sweep(2, 32, n_samples=10, seed=0), n_boot=20)  # enough clusters in [30, 90]
    assert isinstance(t, Result)
    assert list(_strict(t)) == ["tau", "ci", "se", "n", "window", "method", "ci_profile", "n_batches", "ci_boot",
                                "ci_boot_reason"]
    f = TP.fractal_dim(sweeps, n_boot=20)
    assert list(_strict(f)) == ["D", "ci", "L", "smax", "method"] and f["D"] == f.D
    q = TP.quanta_loss_sums([0.5, 0.3, 0.2], N=[1, 10])
    assert sorted(q) == ["model"] and q["model"] is q.model and q.data is None
    with pytest.raises(KeyError):
        q["data"]
    cfg, cl = toy
    a = VP.brill_toy_analyse(VP.brill_toy_run_seed(cfg, 0) + VP.brill_toy_run_seed(cfg, 1), cfg)
    assert isinstance(a, Result)
    assert list(_strict(a)) == ["config", "model", "data", "scale_factors", "data_set"]
    a["wall_s"] = 1.5  # the experiment adds entries: written after the fields
    assert _strict(a)["wall_s"] == 1.5 and a["wall_s"] == 1.5
    assert set(a.to_frame()["mode"]) == {"model", "data"}
    for r in (e, t, f, q, a):
        assert len(repr(r)) < 240 and "array(" not in repr(r), repr(r)
        assert str(r).strip() and not str(r).startswith("{"), str(r)


def test_short_reprs_of_the_toy_data(toy):
    cfg, cl = toy
    sf = VP.brill_scale_factors(cl, cfg, seed=0)
    for r in (cl, sf):
        text = repr(r)
        assert len(text) < 240 and "array(" not in text, text
        _strict(r)
    assert "parent" not in cl.to_dict() and cl.to_dict()["n_sites"] == cl.n_sites
    assert cl.to_frame().columns.tolist() == ["rank", "size", "start"]
    assert sf.to_frame().columns.tolist() == ["size", "factor", "error"]


def test_bethe_stats_without_sizes_has_text_and_json():
    st = TP.bethe_stats(0.45, z=3)
    assert "P_inf" in str(st)
    d = _strict(st)
    assert "sizes" not in d and d["p"] == 0.45
    d = _strict(TP.bethe_stats(0.5, z=3))
    assert d["mean_cluster_size"] is None and "mean_cluster_size_reason" in d


def test_learning_curve_frame_is_tidy_and_plot_has_the_slope_guide():
    lc = TR.learning_curve(TR.RHMSpec.make(alpha=1.0), [0.0, 10.0, 100.0, 1000.0])
    df = lc.to_frame()
    assert df.columns.tolist() == ["P", "eps", "path_mass", "local_exponent"] and len(df) == 4
    assert df.attrs["predicted_exponent"] == lc.predicted_exponent and df.attrs["model"] == lc.model
    assert df.attrs["alpha_prime_window"] == lc.alpha_prime.window
    ax = lc.plot()
    labels = [ln.get_label() for ln in ax.get_lines()]
    assert any("predicted slope" in s for s in labels)
    guide = next(ln for ln in ax.get_lines() if "predicted slope" in ln.get_label())
    gx, gy = guide.get_data()
    slope = np.polyfit(np.log(gx), np.log(gy), 1)[0]
    assert slope == pytest.approx(-lc.predicted_exponent, rel=1e-9)
    twins = [a for a in ax.figure.axes if a is not ax]
    assert twins and any("local exponent" in ln.get_label() for ln in twins[0].get_lines())
    plt.close(ax.figure)


def test_eigenlearning_says_why_the_error_is_exactly_zero():
    lam = TS.powerlaw_spectrum(50, 1.0)
    lc = TS.eigenlearning_curve([10, 50, 80], lam, lam)
    assert lc.test_mse[1] == 0 and lc.test_mse[2] == 0 and lc.exact_fit.tolist() == [False, True, True]
    assert "exactly 0" in str(lc) and "exactly 0" in _strict(lc)["exact_fit_reason"]
    ridge = TS.eigenlearning_curve([10, 50, 80], lam, lam, ridge=0.1)
    assert not ridge.exact_fit.any() and "exact_fit_reason" not in ridge.to_dict() and ridge.test_mse.min() > 0
    noisy = TS.eigenlearning_curve([80], lam, lam, noise=0.1)
    assert noisy.test_mse[0] == pytest.approx(0.1 * 80 / 30) and "noise" in noisy.to_dict()["exact_fit_reason"]


def test_path_index_table_is_guarded_in_the_caller():
    from scalinglab.errors import InputError
    from scalinglab.validate.rhm import RHMData

    data = None
    with pytest.raises(InputError, match="path index table"):
        data = RHMData(TR.RHMSpec(n_c=2, v=2, m=2, s=40, L=12, alpha=1.0))
    assert data is None
    assert math.isfinite(RHMData(TR.RHMSpec.make(alpha=1.0)).draw(0).keys.size)
