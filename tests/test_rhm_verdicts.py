"""Grid-aware verdicts of the RHM reproductions (issue 17): FCN/CNN onset, Fig. 5 alpha_c, converged width, and
the count of underfit runs, on synthetic rows whose answers are known by hand (nothing is trained)."""

import json

import numpy as np
import pandas as pd

from scalinglab.validate import protocol
from scalinglab.validate.rhm._experiments import underfit_check


def _onset_config(seeds=5):
    exp = protocol.get("rhm-fcn-onset")
    mapping, _ = protocol.shipped_spec("rhm-fcn-onset", quick=True)
    m = json.loads(json.dumps(mapping))
    m["models"] = m["models"][:1]
    m["P"] = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0]
    m["seeds"], m["n_boot"] = seeds, 200
    return exp, exp.config_from_dict(m)


def _onset_rows(exp, cfg, err, loss):
    """Rows of every cell: ``err[kind](i_P, seed)`` test error, ``loss[kind](i_P)`` final train loss."""
    recs = []
    for cv in cfg.curves:
        cells = cfg.curve_cells(cv, cfg.models[0])
        grid = sorted({c.P for c in cells})
        for c in cells:
            i = grid.index(c.P)
            k = c.net.kind
            tl = loss[k](i)
            recs.append({"key": protocol.cell_key(c), "P": c.P, "seed": c.seed, "test_err": err[k](i, c.seed),
                         "train_loss": tl, "train.loss_tol": c.train.loss_tol, "train.stop": c.train.stop,
                         "converged": tl <= c.train.loss_tol, "net.kind": k, "net.width": c.net.width})
    return pd.DataFrame(recs)


def test_fcn_onset_reports_the_grid_bracket_and_bounds_underfit_runs():
    exp, cfg = _onset_config()
    md = cfg.models[0]
    Ps = md.n_c * md.m ** md.L
    chance = 1 - 1 / md.n_c
    hi_err, lo_err = 0.95 * chance, 0.1 * chance  # above / below the level 0.5 x chance
    # CNN: learns from 2 P* on (fails at 1 P*); FCN: learns from 16 P* on, fails before; FCN runs at 4 and 8 P*
    # end underfit (train loss 0.13 and 0.29 against 0.01, the audit's numbers)
    err = {"cnn": lambda i, s: hi_err if i <= 1 else lo_err, "fcn": lambda i, s: hi_err if i <= 4 else lo_err}
    loss = {"cnn": lambda i: 0.005, "fcn": lambda i: {3: 0.13, 4: 0.29}.get(i, 0.005)}
    rows = _onset_rows(exp, cfg, err, loss)
    s = exp.analyse(rows, cfg)
    r = s["table"][0]
    assert r["cnn"]["onset_bracket"] == [1.0 * Ps, 2.0 * Ps] and not r["cnn"]["onset_bound"]
    # the FCN failures at 4 and 8 P* came from underfit runs: only the reliable failure at 2 P* bounds it
    assert r["fcn"]["onset_bracket"] == [2.0 * Ps, 16.0 * Ps] and r["fcn"]["onset_bound"]
    assert r["fcn"]["n_underfit"] == 2 * cfg.seeds and r["fcn"]["underfit_at_P"] == [4 * Ps, 8 * Ps]
    # identical seeds: the seeds add nothing; the ratio lies in (2/2, 16/1) = (1, 16), a bound
    assert r["ratio_bracket"] == [1.0, 16.0] and r["ratio_bound"] and r["two_L_inside"]
    # without the underfit runs the grid alone gives (8/2, 16/1) = (4, 16)
    loss_ok = {"cnn": lambda i: 0.005, "fcn": lambda i: 0.005}
    r2 = exp.analyse(_onset_rows(exp, cfg, err, loss_ok), cfg)["table"][0]
    assert r2["ratio_bracket"] == [4.0, 16.0] and not r2["ratio_bound"]
    # the report states the bracket and the bound, never a seed interval finer than the grid
    text = exp.report(rows, s, cfg)
    assert "between 1 and 16 (bound)" in text and "underfit" in text
    # every RHM summary counts the underfit runs (protocol.execute merges run_checks into the summary)
    fields, notes = exp.run_checks(rows, cfg)
    assert fields["n_underfit"] == 2 * cfg.seeds and fields["n_runs"] == len(rows)
    assert f"{2 * cfg.seeds} of {len(rows)} runs ended underfit" in notes[0]


def test_underfit_check_counts_by_hand():
    rows = pd.DataFrame({"train_loss": [0.005, 0.29, 0.13, 0.02, 0.009], "train.loss_tol": [0.01] * 5,
                         "train.stop": ["loss", "loss", "loss", "val", "loss"], "net.kind": ["fcn"] * 5,
                         "net.width": [256] * 5, "P": [10, 20, 20, 20, 40]})
    f, notes = underfit_check(rows)
    assert f["n_underfit"] == 2 and f["underfit"] == [{"net": "fcn", "width": 256, "P": 20, "n": 2,
                                                        "max_train_loss": 0.29, "loss_tol": 0.01}]
    f0, notes0 = underfit_check(rows.iloc[[0, 4]])
    assert f0["n_underfit"] == 0 and notes0[0].startswith("0 of 2 runs ended underfit")


def _fig5_rows(exp, cfg, slope_of):
    """Split counts for every cell: split k's accuracy rises by ``slope_of(alpha, seed)`` per decade of P."""
    recs = []
    for md, cv, c0, sub in [(md, cv, c0, None) for md in cfg.models for cv in cfg.curves
                            for c0 in [cfg.curve_cells(cv, md)[0]]]:
        for c in cfg.curve_cells(cv, md):
            K = c.spec().K
            r = {"key": protocol.cell_key(c), "P": c.P, "seed": c.seed, "test_err": 0.5, "train_loss": 0.001,
                 "train.loss_tol": c.train.loss_tol, "train.stop": "loss", "converged": True,
                 "net.kind": c.net.kind, "net.width": c.net.width}
            for k in range(K + 1):
                r[f"n_{k}"] = 1000
                r[f"acc_{k}"] = 0.2 + slope_of(c.alpha[0], c.seed) * np.log10(c.P)
            recs.append(r)
    return pd.DataFrame(recs)


def test_fig5_alpha_c_bracket_combines_the_grid_with_whole_seeds():
    exp = protocol.get("rhm-fig5")
    mapping, _ = protocol.shipped_spec("rhm-fig5", quick=True)
    m = json.loads(json.dumps(mapping))
    m["P"], m["seeds"], m["n_boot"] = [16, 160, 1600], 6, 300
    m["curves"] = [{"alpha": a} for a in (0.5, 0.8, 1.2, 2.0)]
    cfg = exp.config_from_dict(m)
    # slopes per decade (flat_tol 0.1): alpha 0.5 never flat; 0.8 flat on 5 seeds, 0.3 on seed 5; 1.2, 2 flat.
    # Pooled over all seeds alpha = 0.8 has slope (5 x 0.02 + 0.3) / 6 = 0.067: flat -> the grid bracket
    # (0.5, 0.8]; a resample holding seed 5 twice or more has slope >= (4 x 0.02 + 2 x 0.3) / 6 = 0.113: not flat,
    # so the seeds widen the bracket to (0.5, 1.2] (P(seed 5 drawn >= 2 times) = 0.26 > 2.5 %).
    def slope(a, s):
        return {0.5: 0.3, 0.8: 0.3 if s == 5 else 0.02}.get(a, 0.01)

    s = exp.analyse(_fig5_rows(exp, cfg, slope), cfg)
    assert s["alpha_c_measured_bracket"] == [0.5, 0.8] and s["alpha_c_bracket"] == [0.5, 0.8]
    assert s["alpha_c_bracket_seeds"] == [0.5, 1.2]
    row = {r["alpha"]: r for r in s["table"]}
    assert abs(row[0.8]["max_abs_slope"] - (5 * 0.02 + 0.3) / 6) < 1e-9
    # share of resamples where 0.8 is not flat: seed 5 drawn >= 2 times of 6 (binomial, p = 1/6)
    p_not = 1 - (5 / 6) ** 6 - 6 * (1 / 6) * (5 / 6) ** 5
    assert abs(row[0.8]["frac_resamples_not_flat"] - p_not) < 4 * np.sqrt(p_not * (1 - p_not) / 300)
    text = exp.report(None, s, cfg)
    assert "with seeds between 0.5 and 1.2" in text and "whole seeds" in text
