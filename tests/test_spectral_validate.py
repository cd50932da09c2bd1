"""Spectral experiments, demo section and CLI (small and quick)."""

import json
import math

import numpy as np
import pytest

from scalinglab.cli import main
from scalinglab.validate import protocol
from scalinglab.validate.report import Report
from scalinglab.validate.spectral import rf_draw_cell
from scalinglab.validate.spectral._experiments import demo_section
from scalinglab.validate.storage import load_results

SMALL_RF = """
experiment = "spectral-rf-regimes"
alpha_K = 0.5
S = 300
fixed = 20
seeds = 3
resolution_x = [10.0, 40.0, 3.0]
variance_x = [160.0, 640.0, 3.0]
"""


def test_rf_regimes_small_sweep_resumes_and_replots(tmp_path):
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF)
    exp, config, _, _ = protocol.config_from_spec_file(spec)
    s = protocol.execute(exp, config, tmp_path).summary["regimes"]
    assert set(s) == {"variance_D", "variance_P", "resolution_D", "resolution_P"}
    for k, v in s.items():
        # pipeline check (accuracy is tested in test_spectral_theory with more draws)
        assert v["max_rel_dev"] < 0.2, (k, v)
        assert abs(v["exponent"] - v["theory_exponent_in_window"]) < 0.2, (k, v)
    assert len(load_results(tmp_path)) == 36
    assert protocol.execute(exp, config, tmp_path).n_ran == 0  # resume: nothing new
    s2 = protocol.execute(exp, None, tmp_path, replot=True).summary["regimes"]
    assert s2["variance_D"]["exponent"] == pytest.approx(s["variance_D"]["exponent"])
    assert (tmp_path / "figures" / "rf_regimes.png").exists()
    assert json.loads((tmp_path / "manifest.json").read_text())


def test_rf_draw_cell_paired_excess_is_nonnegative_on_average():
    vals = [rf_draw_cell("variance_D", 200, k, 0.5, 200, 20)["excess"] for k in range(4)]
    assert np.mean(vals) > 0
    with pytest.raises(ValueError):
        rf_draw_cell("nope", 10, 0, 0.5, 100, 10)


def test_demo_section_quick(tmp_path):
    rep = Report(tmp_path)
    lines = demo_section(rep, quick=True)
    assert any("spectral" in ln for ln in lines)
    h = rep.headline["spectral"]
    assert h["rf_max_rel_dev"] < 0.1
    assert abs(h["twonn_S3"] - 3) < 0.4 and abs(h["levina_bickel_S3"] - 3) < 0.4


def test_reproductions_registered():
    names = protocol.available()
    for n in ("spectral-rf-regimes", "spectral-gram-id", "spectral-teacher-student", "spectral-interpolation",
              "spectral-project-data"):
        assert n in names


def test_teacher_student_cell_learns():
    pytest.importorskip("torch")
    from scalinglab.validate.spectral import teacher_student_cell

    small = teacher_student_cell(2, 32, 0, width=32, steps=150)
    big = teacher_student_cell(2, 256, 0, width=32, steps=150)
    assert big["test_mse"] < small["test_mse"] < 1.5


def test_cli_spectral(capsys, tmp_path):
    assert main(["spectral", "exponents", "--alpha-K", "0.25", "--d", "8", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["regimes"]["resolution_D"] == 0.25 and out["manifold"]["mse_piecewise_linear"] == 0.5
    assert main(["spectral", "rf", "--D", "100,inf", "--P", "inf", "--modes", "500", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[1]["loss"] == 0.0 and rows[0]["loss"] > 0
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(400, 2)))
    assert main(["spectral", "id", "--data", str(tmp_path / "x.npy"), "--json"]) == 0
    tn = json.loads(capsys.readouterr().out)["twonn"]["dimension"]
    assert 1.6 < tn < 2.4
    assert main(["spectral", "gram", "--manifold", "torus", "--d", "1", "--n", "300", "--window", "4:30"]) == 0
    assert "alpha_K" in capsys.readouterr().out
    assert main(["spectral", "rf", "--alpha-K", "-1"]) == 2
    assert main(["spectral", "gram", "--data", str(tmp_path / "missing.npy")]) == 2
    assert main(["spectral", "gram", "--window", "bad", "--n", "100"]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_sweep_on_dask_and_deprecated_alias(capsys, tmp_path):
    pytest.importorskip("distributed")
    spec = tmp_path / "rf.toml"
    spec.write_text(SMALL_RF.replace("seeds = 3", "seeds = 2"))
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--scheduler", "inprocess", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_ran"] == 24 and set(out["summary"]["regimes"]) == {"variance_D", "variance_P", "resolution_D",
                                                                     "resolution_P"}
    rows = load_results(tmp_path / "o")
    assert len(rows) == 2 * len({(r, x) for r, x in zip(rows["regime"], rows["x"])})
    assert all(math.isfinite(v) for v in rows["loss"])
    # the same cells in-process give the same numbers (seeded per cell)
    assert main(["run", str(spec), "--out", str(tmp_path / "serial"), "--json"]) == 0
    capsys.readouterr()
    a = load_results(tmp_path / "o").sort_values("key")["loss"].to_numpy()
    b = load_results(tmp_path / "serial").sort_values("key")["loss"].to_numpy()
    np.testing.assert_array_equal(a, b)
    # `spectral sweep NAME` is a deprecated alias of `reproduce spectral-NAME`
    assert main(["spectral", "sweep", "interpolation", "--quick", "--dry-run", "--out", str(tmp_path / "i")]) == 0
    cap = capsys.readouterr()
    assert "deprecated" in cap.err and "spectral-interpolation: 60 cells" in cap.out


@pytest.mark.slow
def test_teacher_student_alpha_D_near_four_over_d(tmp_path, monkeypatch):
    # d = 4 and 8: fitted alpha_D within a factor 1.5 of 4/d (a few minutes on a CPU)
    pytest.importorskip("torch")
    mapping, _ = protocol.shipped_spec("spectral-teacher-student", quick=True)
    exp = protocol.get("spectral-teacher-student")
    config = exp.config_from_dict({**mapping, "dims": [4, 8]})
    s = protocol.execute(exp, config, tmp_path, device="cpu").summary["fits"]
    for d in ("4", "8"):
        assert 4 / int(d) / 1.5 < s[d]["alpha_D"] < 1.5 * 4 / int(d), s[d]


def test_interpolants_follow_the_manifold_exponents():
    # piecewise-linear interpolation of a smooth target: MSE ~ D^-4/d;
    # nearest neighbour: MSE ~ D^-2/d, L1 ~ D^-1/d (d = 3)
    from scalinglab.theory.fitting import powerlaw_fit
    from scalinglab.validate.spectral import interpolation_cell

    Ds = [300, 600, 1200, 2400]
    lin = [interpolation_cell(3, D, 0, "linear", n_test=1500)["mse"] for D in Ds]
    nn = [interpolation_cell(3, D, 0, "nearest", n_test=1500) for D in Ds]
    assert powerlaw_fit(Ds, lin).exponent == pytest.approx(4 / 3, abs=0.15)
    assert powerlaw_fit(Ds, [r["mse"] for r in nn]).exponent == pytest.approx(2 / 3, abs=0.1)
    assert powerlaw_fit(Ds, [r["l1"] for r in nn]).exponent == pytest.approx(1 / 3, abs=0.07)
    with pytest.raises(ValueError):
        interpolation_cell(2, 10, 0, "cubic")


def test_project_data_sources():
    from scalinglab.validate.spectral import project_data_cell, project_points

    X, what = project_points("rhm", 50, 0, alpha=1.0)
    assert X.shape == (50, 80) and np.all(X.sum(axis=1) == 8)  # one symbol per position
    Y, _ = project_points("percolation", 400, 0, p=0.6)
    assert Y.shape == (400, 8)
    r = project_data_cell("percolation", 0.6, 600, 0)
    # fractal dimension 4; TwoNN at n = 600 reads 4.27 +- 0.18 (mean +- sd over seeds 0-9, 4.09..4.56) and
    # Levina-Bickel (10, 20) 3.50 +- 0.06 (3.42..3.61): within three sd of those (a 3- or 5-d object fails)
    assert abs(r["twonn"] - 4.27) < 0.54 and abs(r["lb_10_20"] - 3.50) < 0.18 and math.isfinite(r["alpha_K"])
    assert math.isfinite(project_data_cell("rhm", 1.0, 300, 0)["alpha_K"])
    with pytest.raises(ValueError):
        project_points("mnist", 10)


def test_cli_project_sources(capsys):
    assert main(["spectral", "id", "--source", "percolation", "--n", "500", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["twonn"]["dimension"] > 2
    assert main(["spectral", "gram", "--source", "rhm", "--n", "300", "--kernel", "linear", "--center",
                 "--window", "3:30"]) == 0
    assert "RHM inputs" in capsys.readouterr().out


def test_gram_id_sweep_runs_and_stores_the_window_used(tmp_path):
    """A small spectral-gram-id sweep runs end to end (its rows once clashed with the cell's window fields)."""
    from scalinglab.validate.storage import load_results

    spec = tmp_path / "g.toml"
    spec.write_text('experiment = "spectral-gram-id"\ndims = [1, 2]\nn = 300\nseeds = 1\nwindow_lo = 5\n'
                    'window_hi = 0\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "o")]) == 0
    rows = load_results(tmp_path / "o").sort_values("d")
    assert list(rows["fit_window_hi"]) == [15, 15] and list(rows["window_hi"]) == [0, 0]  # max(5 + 5, 300 // 20)
    assert abs(float(rows["alpha_K"].iloc[0]) - 1) < 0.3  # the circle: alpha_K near 1/d = 1
