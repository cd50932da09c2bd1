"""rhm-width: the converged-width rule, the paired exponent difference, the reproduction (tiny and quick)."""

import itertools
import json
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scalinglab.theory.fitting import powerlaw_fit  # noqa: E402
from scalinglab.validate import protocol  # noqa: E402
from scalinglab.validate.rhm import CONVERGED_WIDTH, converged_width, paired_exponent_difference  # noqa: E402
from scalinglab.validate.rhm._width import width_note  # noqa: E402

TINY = """experiment = "rhm-width"
widths = [8, 16]
alphas = [2.0, 4.0]
P = [16, 32, 64, 128]
seeds = 3
n_test = 400
fit_window = [16.0, 128.0]
n_boot = 200
[train]
max_epochs = 25
"""


# --------------------------------------------------------------------------- the rule
def _brute(iv, d=None):
    """The definition, checked literally: the smallest h such that every pair h1 < h2 of widths >= h agrees
    (overlapping intervals, or a paired difference interval holding 0)."""
    hs = sorted(iv)
    for h in hs:
        tail = [x for x in hs if x >= h]
        if d is None:
            ok = all(max(iv[a][0], iv[b][0]) <= min(iv[a][1], iv[b][1]) for a, b in itertools.combinations(tail, 2))
        else:
            ok = all(d[(a, b)][0] <= 0 <= d[(a, b)][1] for a, b in itertools.combinations(tail, 2))
        if ok:
            return h, h != hs[-1]
    raise AssertionError("unreachable: the widest width alone always qualifies")


def test_converged_width_equals_the_definition_by_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(400):
        n = int(rng.integers(1, 6))
        widths = sorted(rng.choice([16, 32, 64, 128, 256, 512, 1024, 2048], n, replace=False).tolist())
        mid = rng.normal(0.4, 0.05, n)
        half = rng.uniform(0.005, 0.04, n)
        iv = {h: (m - w, m + w) for h, m, w in zip(widths, mid, half)}
        assert converged_width(iv) == _brute(iv), iv
        d = {}
        for a, b in itertools.combinations(widths, 2):
            c = rng.normal(0, 0.02)
            d[(a, b)] = (c - 0.015, c + 0.015)
        assert converged_width(iv, d) == _brute(iv, d), d


def test_converged_width_edge_cases():
    assert converged_width({}) == (None, False)
    assert converged_width({64: (float("nan"), 0.3), 256: (0.3, 0.4)}) == (None, False)
    # a narrow width that overlaps the widest but not the middle one does not count
    assert converged_width({64: (0.30, 0.40), 256: (0.41, 0.45), 1024: (0.35, 0.42)}) == (256, True)
    # paired: a missing pair means no verdict
    assert converged_width({64: (0.3, 0.4), 256: (0.3, 0.4)}, {}) == (None, False)


# --------------------------------------------------------------------------- paired difference
def _curves(rng, P, seeds, ea, eb, noise=0.08):
    """Two curves sharing a per-(P, seed) data effect (what a shared seed means), plus independent noise."""
    shared = rng.normal(0, noise, (len(P), seeds))
    a = [{s: 0.7 * p**-ea * np.exp(shared[i, s] + rng.normal(0, noise / 3)) for s in range(seeds)}
         for i, p in enumerate(P)]
    b = [{s: 0.5 * p**-eb * np.exp(shared[i, s] + rng.normal(0, noise / 3)) for s in range(seeds)}
         for i, p in enumerate(P)]
    return a, b


def test_paired_difference_point_estimate_and_coverage():
    """The estimate is the difference of the two OLS fits of the mean curves (powerlaw_fit); the paired interval
    covers the true difference at close to its level and is narrower than the unpaired spread."""
    rng = np.random.default_rng(7)
    P = [16, 32, 64, 128, 256, 512, 1024]
    a, b = _curves(rng, P, 10, 0.30, 0.42)
    r = paired_exponent_difference(P, a, b, n_boot=400)
    ma = [np.mean(list(d.values())) for d in a]
    mb = [np.mean(list(d.values())) for d in b]
    assert r["diff"] == pytest.approx(powerlaw_fit(P, ma).exponent - powerlaw_fit(P, mb).exponent, abs=1e-12)
    assert r["n_seeds"] == 10 and r["window"] == (16.0, 1024.0)
    hits, widths = 0, []
    reps = 150
    for k in range(reps):
        a, b = _curves(rng, P, 10, 0.30, 0.42)
        r = paired_exponent_difference(P, a, b, n_boot=300, seed=k)
        hits += r["ci"][0] <= -0.12 <= r["ci"][1]
        widths.append(r["ci"][1] - r["ci"][0])
    assert hits / reps >= 0.85  # percentile intervals of 10 seeds cover ~90-95 %
    # the shared data effect cancels: the paired interval is far narrower than the scatter of either exponent
    single = [powerlaw_fit(P, [np.mean(list(d.values())) for d in _curves(rng, P, 10, 0.3, 0.42)[0]]).exponent
              for _ in range(60)]
    assert np.median(widths) < 2 * 1.96 * np.std(single)


def test_paired_difference_uses_common_seeds_and_window():
    P = [16, 64, 256, 1024]
    a = [{0: 0.5, 1: 0.6, 2: 0.55}, {0: 0.3, 1: 0.35}, {0: 0.2, 1: 0.22, 2: 0.21}, {0: 0.1, 1: 0.12}]
    b = [{0: 0.4, 1: 0.5, 5: 0.4}, {0: 0.2, 1: 0.25}, {0: 0.1, 1: 0.12}, {0: 0.05, 1: 0.06}]
    r = paired_exponent_difference(P, a, b, window=(16, 256), n_boot=200)
    assert r["n_seeds"] == 2 and r["window"] == (16.0, 256.0)
    too_few = paired_exponent_difference(P, a, b, window=(16, 64), n_boot=200)
    assert np.isnan(too_few["diff"])


# --------------------------------------------------------------------------- the reproduction
def _run(tmp_path, text=TINY, name="w"):
    spec = tmp_path / f"{name}.toml"
    spec.write_text(text)
    exp, config, _, txt = protocol.config_from_spec_file(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return exp, config, protocol.execute(exp, config, tmp_path / name, device="cpu", spec_text=txt)


def test_rhm_width_tiny_runs_replots_and_shares_runs(tmp_path):
    exp, config, oc = _run(tmp_path)
    out = tmp_path / "w"
    assert oc.n_ran == 2 * 2 * 4 * 3 and not oc.missing
    s = oc.summary
    assert set(s["converged_by_alpha"]) == {"2", "4"}
    assert {"converged_width", "converged_width_overlap"} <= set(s)
    recs = s["table"]
    assert {(r["alpha"], r["width"]) for r in recs} == {(2.0, 8), (2.0, 16), (4.0, 8), (4.0, 16)}
    from scalinglab.validate.rhm._experiments import _theory_eps

    for r in recs:  # err/eps is the mean error over eps(P) of the theory at every P
        eps = _theory_eps(config.rhm.spec(config.alpha_tuple(r["alpha"])), r["P"])
        assert np.allclose(r["err_over_eps"], np.array(r["err"]) / eps)
        assert r["window"] == (16.0, 128.0) and r["seeds"] == 3
    assert [b["width"] for b in s["bias"]] == [8, 8] and all(b["reference_width"] == 16 for b in s["bias"])
    # local exponents: windows of 4 consecutive P (16 ... 128: one window) per (alpha, width), the window fit
    # equal to the whole-window fit of the table when the window is the whole grid
    loc = {(c["alpha"], c["width"]): c["windows"] for c in s["local"]}
    assert set(loc) == {(r["alpha"], r["width"]) for r in recs}
    for r in recs:
        (w,) = loc[(r["alpha"], r["width"])]
        assert (w["P_lo"], w["P_hi"]) == r["window"]
        assert w["measured"] == pytest.approx(r["measured"]) and w["eps_exponent"] == pytest.approx(r["eps_exponent"])
    for f in ("rhm_width_exponents", "rhm_width_ratio", "rhm_width_curves", "rhm_width_local"):
        assert (out / "figures" / f"{f}.png").exists()
    report = (out / "report.md").read_text()
    assert "Converged width" in report and "paired" in report
    # another grid than the stored H100 run: compared with that run, read from it (issue 17: no pasted quotes)
    assert "For comparison, the stored full run results/reference/gpu/rhm-width" in report and "issue 9" not in report
    again = protocol.execute(exp, None, out, replot=True).summary
    assert again["converged_by_alpha"] == s["converged_by_alpha"]
    assert [r["measured"] for r in again["table"]] == pytest.approx([r["measured"] for r in recs])
    assert [b["ci"] for b in again["bias"]] == [b["ci"] for b in s["bias"]]
    # an RHM curve of the same settings at one of the widths reuses the stored runs
    fig6 = ('experiment = "rhm-curve"\nP = [16, 32, 64, 128]\nseeds = 3\nn_test = 400\n[net]\nwidth = 16\n'
            "[train]\nmax_epochs = 25\n[[curves]]\nalpha = 4.0\n")
    _, _, oc2 = _run(tmp_path, fig6, "c")
    assert oc2.n_ran == 0 and oc2.n_stored == 12
    assert any("narrower than the converged width" in n for n in oc2.notes)
    assert "narrower than the converged width" in (tmp_path / "c" / "report.md").read_text()


def test_width_note():
    class C:
        from scalinglab.validate.rhm import Net

        net = Net(width=CONVERGED_WIDTH)

    assert "converged width" in width_note(C)[0] and "narrower" not in width_note(C)[0]

    class Perceptron:
        from scalinglab.validate.rhm import Net

        net = Net(kind="perceptron")

    assert width_note(Perceptron) == []


def test_full_specs_use_the_converged_width_and_quick_specs_a_narrow_one():
    """Every RHM reproduction's full (GPU) spec trains at CONVERGED_WIDTH, its quick spec at h = 64."""
    for name in ("rhm-fig2", "rhm-fig4", "rhm-fig6", "rhm-fig7", "rhm-fcn", "rhm-curve"):
        full, _ = protocol.shipped_spec(name)
        quick, _ = protocol.shipped_spec(name, quick=True)
        assert full["net"]["width"] == CONVERGED_WIDTH, name
        assert quick["net"]["width"] == 64, name
    full, _ = protocol.shipped_spec("rhm-width")
    assert CONVERGED_WIDTH in full["widths"] and max(full["widths"]) > CONVERGED_WIDTH
    assert set(full["P"]) <= set(protocol.shipped_spec("rhm-fig6")[0]["P"])  # runs shared with Fig. 6


@pytest.mark.slow
def test_rhm_width_quick_reproduction(tmp_path):
    """The shipped quick grid (a few minutes on 2 cores): h = 64 lies below the widest quick width for alpha = 1."""
    from scalinglab.cli import main

    assert main(["reproduce", "rhm-width", "--quick", "--device", "cpu", "--out", str(tmp_path / "w")]) == 0
    s = json.loads((tmp_path / "w" / "summary.json").read_text())
    b = {(r["alpha"], r["width"]): r for r in s["bias"]}
    assert b[(1.0, 64)]["diff"] < 0
    assert all(np.isfinite(r["measured"]) for r in s["table"])
