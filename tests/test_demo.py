import json

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
