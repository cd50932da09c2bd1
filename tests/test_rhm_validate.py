"""Torch models, training, sweeps and reproductions of the RHM validation."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scalinglab.theory.rhm import RHMSpec  # noqa: E402
from scalinglab.validate import protocol  # noqa: E402
from scalinglab.validate.rhm import _experiments as E  # noqa: E402
from scalinglab.validate.models import build_model, build_stacked  # noqa: E402
from scalinglab.validate.rhm import RHMData, onehot, seen_paths  # noqa: E402
from scalinglab.validate.rhm import Curve, Net, RHMSizes, curve_cells, run_block  # noqa: E402
from scalinglab.validate.train import TrainConfig, train_stacked  # noqa: E402

SPEC = RHMSpec.make(alpha=1.0)


def _x(spec, n, seed=0):
    b = RHMData(spec, seed).train(n)
    return torch.as_tensor(onehot(b.x, spec.v)), torch.as_tensor(b.y)


def test_cnn_matches_conv1d_reference():
    spec = RHMSpec.make(n_c=4, v=5, m=3, s=2, L=3, alpha=0.5)
    model = build_model("cnn", spec, R=2, h=7, seed=3)
    with torch.no_grad():
        for b in model.b:  # non-zero biases so that they are checked too
            b.normal_()
    x, _ = _x(spec, 9)
    out = model(torch.stack([x, x.flip(0)]))
    for r, xr in enumerate([x, x.flip(0)]):
        z = xr
        for w, b in zip(model.w, model.b):
            c_in = z.shape[1]
            weight = w[r].reshape(spec.s, c_in, -1).permute(2, 1, 0)  # (h, c_in, s): w[t*c_in + c, o]
            z = torch.nn.functional.conv1d(z, weight, b[r, 0], stride=spec.s).relu()
        ref = z.flatten(1) @ model.readout[r]
        assert torch.allclose(out[r], ref, atol=1e-5)


def test_patch_perceptron_and_fcn_match_loops():
    spec = RHMSpec.make(n_c=3, v=4, m=2, s=2, L=2, alpha=0.5)
    x, _ = _x(spec, 6)
    pp = build_model("perceptron", spec, R=1, seed=1)
    with torch.no_grad():
        pp.bias.normal_()
    ref = pp.bias[0, 0].expand(6, -1).clone()
    for j in range(spec.K):
        patch = x[:, :, 2 * j:2 * j + 2].transpose(1, 2).reshape(6, -1)  # (t, c) order
        ref = ref + patch @ pp.w[0, j]
    assert torch.allclose(pp(x[None])[0], ref, atol=1e-5)
    fcn = build_model("fcn", spec, R=1, h=5, seed=2)
    z = x.reshape(6, -1)
    for w, b in zip(fcn.w, fcn.b):
        z = (z @ w[0] + b[0]).relu()
    assert torch.allclose(fcn(x[None])[0], z @ fcn.readout[0], atol=1e-5)
    with pytest.raises(ValueError):
        build_model("rnn", spec)
    with pytest.raises(ValueError):
        fcn(x[None, :, :, :3])


def test_stacked_training_equals_separate_runs():
    spec = RHMSpec.make(alpha=1.0)
    data = [RHMData(spec, s) for s in (3, 5)]
    tr = [d.train(64) for d in data]
    te = [d.test(200) for d in data]
    X = torch.as_tensor(np.stack([onehot(t.x, 10) for t in tr]))
    Y = torch.as_tensor(np.stack([t.y for t in tr]))
    Xt = torch.as_tensor(np.stack([onehot(t.x, 10) for t in te]))
    Yt = torch.as_tensor(np.stack([t.y for t in te]))
    cfg = TrainConfig(max_epochs=5, batch_size=16)
    stack = build_stacked("cnn", spec, [3, 5], h=16)
    res = train_stacked(stack, X, Y, Xt, Yt, cfg, seeds=[3, 5])
    for r, sd in enumerate((3, 5)):
        single = build_stacked("cnn", spec, [sd], h=16)
        res1 = train_stacked(single, X[r:r + 1], Y[r:r + 1], Xt[r:r + 1], Yt[r:r + 1], cfg, seeds=[sd])
        for p, q in zip(stack.parameters(), single.parameters()):
            assert torch.allclose(p[r], q[0], atol=1e-4)
        assert abs(res["test_err"][r] - res1["test_err"][0]) <= 2 / 200


def test_training_learns_nearly_deterministic_rhm_and_stopping_rules():
    spec = RHMSpec.make(alpha=4.0)
    cells = curve_cells(Curve(alpha=4.0), RHMSizes(), Net(width=32), TrainConfig(), 1000, [200], 1)
    assert cells[0].spec() == spec
    rows = run_block(cells)
    r = rows[0]
    assert r["converged"] and r["train_loss"] < 1e-2
    assert r["test_err"] < 0.1  # chance is 0.9
    assert sum(r[f"n_{k}"] for k in range(spec.K + 1)) == 1000
    # early stopping on a fresh validation set
    d = RHMData(spec, 1)
    tr, te, va = d.train(100), d.test(300), d.draw(300, start=10**6)
    T = lambda a: torch.as_tensor(a)[None]  # noqa: E731
    model = build_stacked("cnn", spec, [1], h=16)
    res = train_stacked(model, T(onehot(tr.x, 10)), T(tr.y), T(onehot(te.x, 10)), T(te.y),
                        TrainConfig(stop="val", patience=30, batch_size=20, max_epochs=300), x_val=T(onehot(va.x, 10)), y_val=T(va.y))
    assert res["epochs"][0] < 300 and res["test_err"][0] < 0.5
    with pytest.raises(ValueError):
        train_stacked(model, T(onehot(tr.x, 10)), T(tr.y), T(onehot(te.x, 10)), T(te.y), TrainConfig(stop="val"))
    with pytest.raises(ValueError):
        TrainConfig(stop="never")


def test_empirical_seen_path_counts_match_theory_distribution():
    """Our seen-path bookkeeping (sampler + path keys + seen_paths) against the exact
    theory.rhm.seen_paths_distribution: an independent check of both."""
    from scalinglab.theory.rhm import seen_paths_distribution

    spec = RHMSpec.make(n_c=3, v=6, m=3, s=2, L=3, alpha=0.5)
    P, n_sets, n_test = 25, 60, 1000
    counts = []
    for sd in range(n_sets):
        d = RHMData(spec, rules_seed=sd)
        k = seen_paths(d.train(P).keys, d.test(n_test).keys).sum(1)
        counts.append(np.bincount(k, minlength=spec.K + 1) / n_test)
    counts = np.array(counts)
    meas, se_meas = counts.mean(0), counts.std(0, ddof=1) / np.sqrt(n_sets)
    th = seen_paths_distribution(spec, [P], n_test=20000, seed=3)
    z = np.abs(meas - th.pk[0]) / np.sqrt(se_meas**2 + th.stderr[0] ** 2 + 1e-10)
    assert z.max() < 4.5, (meas, th.pk[0], z)
    # and the two are distinguishable from the binomial (independent paths) approximation
    assert np.abs(th.pk[0] - th.binomial[0]).max() > 0.01


def test_onset_and_split_table():
    P = [10, 100, 1000]
    assert E.onset(P, [0.9, 0.5, 0.1], 0.7) == pytest.approx(10 ** 1.5)
    assert E.onset(P, [0.3, 0.2, 0.1], 0.7) == 10
    assert np.isnan(E.onset(P, [0.9, 0.9, 0.9], 0.7))
    rows = [{"P": 10, "seed": s, "n_0": n0, "acc_0": a0, "n_1": n1, "acc_1": a1}
            for s, (n0, a0, n1, a1) in enumerate([(10, 0.5, 0, None), (30, 0.1, 5, 1.0)])]
    tab = E.split_table(rows, 1)
    acc, n = tab[10]
    assert n.tolist() == [40, 5] and acc[0] == pytest.approx((5 + 3) / 40) and acc[1] == 1.0
    assert E.path_scale(RHMSpec.make()) == pytest.approx(1e4)


TINY = """
experiment = "{name}"
P = [16, 64, 256]
seeds = 1
n_test = 300
fit_window = [16.0, 4096.0]
[net]
width = 16
[train]
max_epochs = 30
[[curves]]
alpha = 2.0
{extra}
"""


def test_reproductions_registered_and_run_tiny(tmp_path):
    assert {"rhm-fig2", "rhm-fig4", "rhm-fig6", "rhm-fig7", "rhm-fcn", "rhm-curve"} <= set(protocol.available())
    spec = tmp_path / "fig6.toml"
    spec.write_text(TINY.format(name="rhm-fig6", extra=""))
    exp, config, _, text = protocol.config_from_spec_file(spec)
    out = tmp_path / "fig6"
    oc = protocol.execute(exp, config, out, device="cpu", spec_text=text)
    assert oc.n_ran == 3 and not oc.missing
    assert (out / "results.csv").exists() and (out / "figures" / "rhm_fig6.png").exists()
    man = json.loads((out / "manifest.json").read_text())
    assert man["seeds"] == 1 and man["config"]["P"] == [16, 64, 256] and man["rows_store"] == "../rhm-runs"
    s = oc.summary
    from scalinglab.theory.rhm import alpha_prime
    from scalinglab.validate.storage import load_results

    rows = load_results(out)
    assert len(rows) == 3 and rows["test_err"].dtype == float and str(rows["converged"].dtype) == "boolean"
    assert s["exponent[alpha=2]"]["predicted"] == pytest.approx(alpha_prime(RHMSpec.make(alpha=2.0)).predicted_exponent)
    s2 = protocol.execute(exp, None, out, replot=True).summary
    np.testing.assert_equal(s2["exponent[alpha=2]"], s["exponent[alpha=2]"])  # one seed: no interval (nan == nan)
    # fig4 shares the stored runs of alpha = 2 (only the uniform curve is new)
    spec4 = tmp_path / "fig4.toml"
    spec4.write_text(TINY.format(name="rhm-fig4", extra="[[curves]]\nalpha = -1.0"))
    exp4, config4, _, _ = protocol.config_from_spec_file(spec4)
    oc4 = protocol.execute(exp4, config4, tmp_path / "fig4", device="cpu")
    assert oc4.n_ran == 3 and oc4.n_stored == 6
    assert any(k.startswith("acc_by_k") for k in oc4.summary)


def test_patience_change_reruns_perceptron_cells(tmp_path):
    """TrainConfig.patience is part of the run key: a changed patience never reuses stored runs."""
    base = TINY.format(name="rhm-fig7", extra='model = "perceptron"\nstop = "val"').replace("max_epochs = 30",
                                                                                          "max_epochs = 3")
    spec = tmp_path / "s.toml"
    spec.write_text(base)
    exp, config, _, _ = protocol.config_from_spec_file(spec)
    assert protocol.execute(exp, config, tmp_path / "a", device="cpu").n_ran == 3
    assert protocol.execute(exp, config, tmp_path / "a", device="cpu").n_ran == 0
    spec.write_text(base.replace("max_epochs = 3", "max_epochs = 3\npatience = 7"))
    exp, config2, _, _ = protocol.config_from_spec_file(spec)
    assert config2.train.patience == 7 and config2.curve_cells(config2.curves[0])[0].train.stop == "val"
    oc = protocol.execute(exp, config2, tmp_path / "a", device="cpu")
    assert oc.n_ran == 3 and oc.n_stored == 3 and oc.ignored == 3


def test_demo_section_quick(tmp_path):
    from scalinglab.validate.report import Report

    rep = Report(tmp_path)
    lines = E.demo_section(rep, quick=True)
    assert any("eps(P)" in ln for ln in lines)
    assert rep.headline["rhm_validation"]["test_err"]


def test_cli_rhm_sample(tmp_path, capsys):
    from scalinglab.cli import main

    path = tmp_path / "d.npz"
    assert main(["rhm", "sample", "--n", "500", "--alpha", "2", "--zipf-levels", "3", "--out", str(path),
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert sum(payload["class_counts"]) == 500
    z = np.load(path)
    d = RHMData(RHMSpec.make(alpha=2.0, zipf_levels=[3]), 0, 0).train(500)
    assert np.array_equal(z["x"], d.x) and np.array_equal(z["path_keys"], d.keys)
    assert main(["rhm", "sample", "--n", "0"]) == 2


def test_run_block_with_validation_stopping():
    cells = curve_cells(Curve(alpha=2.0, model="perceptron", stop="val"), RHMSizes(), Net(), TrainConfig(max_epochs=60),
                        300, [64], 2)
    r = run_block(cells)
    assert [c.train.stop for c in cells] == ["val", "val"] and all(x["epochs"] <= 60 for x in r)
    assert all(x["test_err"] < 0.8 for x in r)
    with pytest.raises(ValueError):
        run_block([cells[0], curve_cells(Curve(alpha=1.0), RHMSizes(), Net(), TrainConfig(), 300, [64], 1)[0]])


def test_local_exponent_table_recovers_a_broken_power_law():
    """Synthetic rows: error ~ P^-0.3 up to P = 640, then ~ P^-0.9 (continuous), the same on every seed up to a
    small multiplicative noise. Windows inside one segment give its exponent (within their interval); the single
    fit window of exponent_table mixes them; eps(P) columns equal the theory fitted on the window's P."""
    import pandas as pd

    from scalinglab.theory.fitting import powerlaw_fit

    P = [10 * 2**i for i in range(10)]  # 10 ... 5120
    cfg = E.RHMSweep(curves=(Curve(alpha=1.0),), P=tuple(P), seeds=6, n_boot=200, local_points=4,
                     fit_window=(10.0, 5120.0))
    rng = np.random.default_rng(3)

    def err(p):
        return 0.9 * (p / 10) ** -0.3 if p <= 640 else 0.9 * 64**-0.3 * (p / 640) ** -0.9

    rows = pd.DataFrame([{"key": protocol.cell_key(c), "P": c.P, "test_err": err(c.P) * rng.lognormal(0, 0.01)}
                         for c in cfg.curve_cells(cfg.curves[0])])
    spec = cfg.curve_cells(cfg.curves[0])[0].spec()
    (loc,) = E.local_exponent_table(rows, cfg)
    wins = {(w["P_lo"], w["P_hi"]): w for w in loc["windows"]}
    assert len(wins) == len(P) - 3
    for (lo, hi), w in wins.items():
        truth = 0.3 if hi <= 640 else 0.9 if lo >= 640 else None
        if truth is not None:
            assert abs(w["measured"] - truth) < 0.02 and w["ci"][0] - 0.01 <= truth <= w["ci"][1] + 0.01, (lo, w)
        Pw = np.array([p for p in P if lo <= p <= hi], float)
        assert w["eps_exponent"] == pytest.approx(powerlaw_fit(Pw, E._theory_eps(spec, Pw)).exponent)
    (whole,) = E.exponent_table(rows, cfg)
    # one window over both segments mixes them: the OLS slope of the noiseless log curve over all ten P,
    # written out with numpy (0.467; with this 1 % noise the fit lay within 0.0005 of it over noise seeds 0-4)
    x, y = np.log(np.array(P, float)), np.log([err(p) for p in P])
    ols = -np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    assert abs(whole["measured"] - ols) < 0.003 and 0.3 < ols < 0.9, (whole["measured"], ols)
