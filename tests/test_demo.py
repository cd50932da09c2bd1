import json

import numpy as np

import pytest

from scalinglab.theory.rhm import alpha_c, alpha_prime
from scalinglab.validate.demo import run_demo
from scalinglab.validate.rhm import drop_scale, fig2_configs


def test_demo_rhm_section_writes_report(tmp_path):
    res = run_demo(tmp_path / "rep", quick=True, sections=["rhm-theory"], echo=lambda *_: None)
    rep = tmp_path / "rep"
    assert (rep / "report.md").exists()
    for name in ("rhm_zipf_paths", "rhm_alpha_prime", "rhm_eps_fig2"):
        assert (rep / "figures" / f"{name}.png").stat().st_size > 10_000
    head = json.loads((rep / "headline.json").read_text())["headline"]["rhm"]
    # the headline numbers are the theory's numbers
    row = next(r for r in head["alpha_c"] if r["L"] == 3 and r["window"] == "full")
    assert row["alpha_c"] == pytest.approx(alpha_c(10, 3).alpha_c)
    from scalinglab.theory.rhm import RHMSpec

    assert head["alpha_prime_alpha1"]["3"] == pytest.approx(alpha_prime(RHMSpec.make(alpha=1.0)).alpha_prime)
    assert res["timings_s"]


def test_fig2_drop_scales_match_seed_eq6():
    # most frequent path scale 1/f_max = n_c * m^(L-g) / f_1^g for Zipf on g levels
    from scalinglab.theory.rhm import zipf_probs

    f1 = zipf_probs(10, 1.0)[0]
    cfg = fig2_configs(1.0)
    for (label, spec), g in zip(cfg.items(), (1, 2, 3, 0)):
        d = drop_scale(spec)
        assert d["first_path_scale"] == pytest.approx(10 * 10 ** (3 - g) / f1**g, rel=1e-10)


# ----------------------------------------------------------------------------- issue 18: the demo's report
def demo_fake_first(report, quick=False):
    report.section("First")
    return ["first line"]


def demo_fake_second(report, quick=False):
    import warnings

    from scalinglab.theory.fitting import FewSeedsWarning

    report.section("Second")
    warnings.warn("2 seed(s) in the fit window", FewSeedsWarning)
    return ["second line"]


def test_a_sections_warnings_are_shown_after_its_own_lines(tmp_path, monkeypatch):
    import scalinglab.validate.demo as demo

    monkeypatch.setattr(demo, "SECTIONS", {"first": "test_demo:demo_fake_first",
                                           "second": "test_demo:demo_fake_second"})
    echoed = []
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("default")  # the suite ignores FewSeedsWarning (setup.cfg); a user's run does not
        res = demo.run_demo(tmp_path / "rep", sections=None, echo=echoed.append)
    # before: the warning printed while the section ran, i.e. under the previous section's lines
    assert echoed[:2] == ["first line", "second line"]
    assert echoed[2].startswith("  warning (second): FewSeedsWarning: 2 seed(s)")
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.index("## Second") < md.index("FewSeedsWarning") and "FewSeedsWarning" not in md[:md.index("## Second")]
    assert res["report"]


def test_rhm_demo_report_states_the_measured_exponent_and_draws_error_bars(tmp_path, monkeypatch):
    import scalinglab.validate.rhm._experiments as E
    from scalinglab.theory.fitting import bootstrap_powerlaw
    from scalinglab.validate.report import Report

    def fake_run_block(cells, device):  # a power law P^-0.4 with seed-to-seed scatter, no training
        return [{"P": c.P, "seed": c.seed, "test_err": 2.0 * c.P ** -0.4 * (1 + 0.05 * (-1) ** c.seed),
                 "seen_frac": 0.5} for c in cells]

    monkeypatch.setattr(E, "run_block", fake_run_block)
    rep = Report(tmp_path / "rep", title="t")
    figs = []
    real_figure = rep.figure
    monkeypatch.setattr(rep, "figure", lambda fig, name, caption="": (figs.append(fig), real_figure(fig, name,
                                                                                                   caption))[1])
    lines = E.demo_section(rep, quick=False)
    measured = [ln for ln in lines if ln.startswith("measured exponent")]
    assert len(measured) == 1
    rep.write()
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Measured exponent" in md and measured[0][len("measured exponent"):] in md  # the console's sentence
    head = rep.headline["rhm_validation"]
    P = np.array(head["P"], dtype=float)
    assert head["exponent"] == pytest.approx(0.4, abs=1e-9)       # the fake law's exponent, exactly
    ref = bootstrap_powerlaw(P, np.array([[2.0 * p ** -0.4 * (1 + 0.05 * (-1) ** s) for s in (0, 1)] for p in P]),
                             n_boot=500)
    assert tuple(head["ci"]) == pytest.approx(tuple(ref.ci))
    ax = figs[0].axes[0]
    assert "CNN" in ax.get_title()
    from matplotlib.container import ErrorbarContainer
    assert any(isinstance(c, ErrorbarContainer) and c.has_yerr for c in ax.containers)
