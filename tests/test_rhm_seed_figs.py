"""Issue-10 reproductions (rhm-fig5, -fig8, -fig9, -fcn-onset, -split-model, -large-m, -fig6-distinct) on tiny
grids, their analysis pieces against independent references, and the split-model theory function."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import naive
from scalinglab.theory.rhm import RHMSpec, split_model_error
from scalinglab.validate import protocol
from scalinglab.validate.rhm import RHMData, seen_paths
from scalinglab.validate.rhm import _seed_experiments as S

NEW = ("rhm-fig5", "rhm-fig8", "rhm-fig9", "rhm-fcn-onset", "rhm-split-model", "rhm-large-m", "rhm-fig6-distinct")
FIGS = {"rhm-fig5": "rhm_fig5", "rhm-fig8": "rhm_fig8", "rhm-fig9": "rhm_fig9", "rhm-fcn-onset": "rhm_fcn_onset",
        "rhm-split-model": "rhm_split_model", "rhm-large-m": "rhm_large_m", "rhm-fig6-distinct": "rhm_fig6_distinct"}


def tiny(name):
    """The quick spec cut down to seconds: two or three small P, 2 seeds, narrow nets, few epochs."""
    mapping, _ = protocol.shipped_spec(name, quick=True)
    m = json.loads(json.dumps(mapping))
    m["P"] = [0.5, 2.0] if m.get("P_in_units_of_Pstar") else [32, 128, 512]
    m["seeds"], m["n_test"], m["n_boot"] = 2, 300, 100
    m["net"]["width"] = 8
    m["train"]["max_epochs"] = 6
    m["curves"] = m["curves"][:2] if name != "rhm-fig6-distinct" else [m["curves"][0], m["curves"][-1]]
    if name == "rhm-large-m":
        m["models"] = m["models"][:2]
    if name == "rhm-split-model":
        m["n_theory"] = 200
    exp = protocol.get(name)
    return exp, exp.config_from_dict(m)


def test_new_reproductions_are_listed_with_both_specs():
    listed = protocol.available()
    for name in NEW:
        assert name in listed
        for quick in (False, True):
            mapping, text = protocol.shipped_spec(name, quick=quick)
            cfg = protocol.get(name).config_from_dict(mapping)
            assert cfg.seeds >= (2 if quick else 10) and "Copy this file" in text
    # the full large-m spec uses wide nets, the quick one says it is narrow
    full, _ = protocol.shipped_spec("rhm-large-m")
    quick, text = protocol.shipped_spec("rhm-large-m", quick=True)
    assert full["net"]["width"] == 1024 and quick["net"]["width"] < 1024 and "NARROW" in text
    # large m: rules unambiguous and inputs small in both specs
    for mp in (full, quick):
        for md in mp["models"]:
            assert md["m"] * md["v"] <= md["v"] ** md["s"] and md["m"] * md["n_c"] <= md["v"] ** md["s"]
        assert sorted(md["m"] for md in mp["models"]) == [10, 16, 24, 32]


@pytest.mark.parametrize("name", NEW)
def test_tiny_reproduction_runs_and_replots(name, tmp_path):
    exp, config = tiny(name)
    out = tmp_path / name
    oc = protocol.execute(exp, config, out, device="cpu")
    assert not oc.missing and oc.n_ran == len(exp.cells(config))
    assert (out / "figures" / f"{FIGS[name]}.png").exists()
    report = (out / "report.md").read_text()
    assert "Grid:" in report
    again = protocol.execute(exp, None, tmp_path / "re", replot=True, source=out)
    assert json.dumps(again.summary, sort_keys=True, default=str) == json.dumps(oc.summary, sort_keys=True,
                                                                                default=str)
    assert (tmp_path / "re" / "figures" / f"{FIGS[name]}.png").exists()


def test_key_of_a_default_sampling_run_is_unchanged_and_distinct_is_keyed():
    from scalinglab.validate.protocol import _canon, cell_key
    from scalinglab.validate.rhm import RHMRun, RHMSizes, Net
    from scalinglab.validate.train import TrainConfig

    iid = RHMRun(RHMSizes(), (1.0,) * 3, Net(), TrainConfig(), 4096, 1024, 3)
    dis = RHMRun(RHMSizes(), (1.0,) * 3, Net(), TrainConfig(), 4096, 1024, 3, "distinct")
    assert "sampling" not in _canon(iid) and _canon(dis)["sampling"] == "distinct"
    assert cell_key(iid) != cell_key(dis)
    with pytest.raises(ValueError, match="sampling"):
        RHMRun(RHMSizes(), (1.0,) * 3, Net(), TrainConfig(), 4096, 1024, 3, "unique")


def test_iid_overlap_against_enumeration_and_the_sampler():
    spec = RHMSpec.make(n_c=2, v=4, m=3, s=2, L=2, alpha=1.0)
    data = naive.rhm_all_data(RHMData(spec, 0).node_probs, spec.n_c)
    p = np.array(list(data.values()))
    for P in (1, 5, 40):
        d, t = S.iid_overlap(spec, [P])
        assert d[0] == pytest.approx((1 - (1 - p) ** P).sum() / P, rel=1e-12)
        assert t[0] == pytest.approx(1 - (p * (1 - p) ** P).sum(), rel=1e-12)
    # the seed's model at alpha = 1 (the numbers at P = 1e6: 24 % distinct, 83 % of a test set seen)
    spec = RHMSpec.make(alpha=1.0)
    d, t = S.iid_overlap(spec, [1e5])
    dat = RHMData(spec, 0)
    tr = dat.train(100_000)
    assert np.unique(dat.keys(tr)).size / 1e5 == pytest.approx(d[0], abs=0.01)
    assert 1 - dat.unseen_mass(tr) == pytest.approx(t[0], abs=0.01)


def test_split_model_error_against_monte_carlo_over_training_sets():
    """The exact-distribution prediction equals 1 - mean c_k over simulated (training set, test datum) pairs; the
    binomial and the seed's eq. 9 equal their formulas."""
    from scipy.stats import binom

    spec = RHMSpec.make(n_c=3, v=6, m=3, s=2, L=3, alpha=0.5)
    c = np.array([0.05, 0.3, 0.5, 0.8, 1.0])
    P = 25
    errs = []
    for sd in range(60):
        d = RHMData(spec, rules_seed=sd)
        k = seen_paths(d.train(P).keys, d.test(600).keys).sum(1)
        errs.append(1 - c[k].mean())
    mc, se = np.mean(errs), np.std(errs, ddof=1) / math.sqrt(len(errs))
    r = split_model_error(spec, [P], c, n_test=20000, seed=2)
    assert abs(r.error_exact[0] - mc) < 4.5 * math.sqrt(se**2 + 1e-6)
    q = 1 - naive.eps_direct(spec, P)
    assert r.error_binomial[0] == pytest.approx(1 - (binom.pmf(np.arange(5), 4, q) * c).sum(), rel=1e-10)
    # per-P c_k, the seed's threshold q = path(P), eq. 9 as written
    from scalinglab.theory.rhm import learning_curve

    pm = learning_curve(spec, [P, 4 * P]).path_mass
    r2 = split_model_error(spec, [P, 4 * P], np.stack([c, c[::-1]]), seen=np.tile(r.pk_exact, (2, 1)))
    assert r2.error_exact[1] == pytest.approx(1 - (r.pk_exact[0] * c[::-1]).sum())
    from math import comb
    assert r2.error_seed_eq9[0] == pytest.approx(1 - sum(c[k] * comb(4, k) * pm[0] ** k for k in range(5)))
    assert r2.error_binomial_path[1] == pytest.approx(1 - (binom.pmf(np.arange(5), 4, pm[1]) * c[::-1]).sum())
    with pytest.raises(ValueError, match="c_k"):
        split_model_error(spec, [P], [0.5, 1.0])


def _rows(records):
    return pd.DataFrame.from_records(records)


def test_boot_split_diff_and_onset_helpers():
    # two groups with known pooled accuracies; identical groups give a zero difference with a CI around it
    n = np.full((4, 2, 3), 100.0)
    ca = n * np.array([0.2, 0.5, 0.9])
    d, lo, hi = S.boot_split_diff((n, ca), (n, ca * 0.5), n_boot=200)
    assert np.allclose(d, np.array([0.1, 0.25, 0.45])) and np.all(lo <= d + 1e-12) and np.all(hi >= d - 1e-12)
    d0, lo0, hi0 = S.boot_split_diff((n, ca), (n, ca), n_boot=200)
    assert np.allclose(d0, 0) and np.all(lo0 <= 0) and np.all(hi0 >= 0)
    # onset of a mean curve and its resamples
    P = np.array([10.0, 100.0, 1000.0])
    M = np.array([[0.9, 0.6, 0.1], [0.9, 0.4, 0.1]])
    on, samp = S.boot_onset(P, M, 0.5, n_boot=100)
    assert on == pytest.approx(100.0)
    assert np.all((samp >= 10 ** 1.5 - 1e-9) & (samp <= 10 ** 2.5))
    # seed_matrix / split_arrays from rows
    rows = _rows([{"P": 10, "seed": 0, "test_err": 0.5, "n_0": 3, "acc_0": 1 / 3, "n_1": 1, "acc_1": 1.0},
                  {"P": 10, "seed": 1, "test_err": 0.7, "n_0": 2, "acc_0": 0.0, "n_1": 0, "acc_1": None}])
    Ps, seeds, Mx = S.seed_matrix(rows)
    assert Ps.tolist() == [10] and Mx[:, 0].tolist() == [0.5, 0.7]
    _, _, nn, cc = S.split_arrays(rows, 1)
    assert nn[:, 0].tolist() == [[3, 1], [2, 0]] and cc[0, 0].tolist() == [1.0, 1.0]


def test_seed_sweep_grid_in_units_of_P_star_and_errors():
    from scalinglab.errors import InputError

    exp = protocol.get("rhm-fcn-onset")
    mapping, _ = protocol.shipped_spec("rhm-fcn-onset", quick=True)
    cfg = exp.config_from_dict(mapping)
    L2, L3, seed_L2 = cfg.models
    assert cfg.P_grid(L2)[2] == 64 and cfg.P_grid(L3)[2] == 256 and cfg.P_grid(seed_L2)[0] == 250
    assert {c.net.kind for c in exp.cells(cfg)} == {"cnn", "fcn"}
    bad = json.loads(json.dumps(mapping))
    bad["P"] = [0.001]
    with pytest.raises(InputError, match="below 1"):
        exp.config_from_dict(bad)
    bad = json.loads(json.dumps(mapping))
    bad["models"][0]["m"] = 10
    with pytest.raises(InputError):
        exp.config_from_dict(bad)


def test_docstring_examples():
    import doctest

    import scalinglab.theory.rhm._seen as seen

    for mod in (seen, S):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
