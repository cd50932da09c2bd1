"""Predicting the whole Zipf-RHM learning curve of the CNN from stored rows (issue 20, no retraining).

The split model ``err(P) = 1 - sum_k c_k(P) p_k(P)`` is exact by construction when ``c_k(P)`` is measured at
the same P. Two predictions that are not:

1. **Out of sample**: ``c_k`` pooled over ``P <= P0`` (``sum n_k acc_k / sum n_k`` over those rows, per seed),
   times the exact seen-path distribution ``p_k(P)`` of the theory, predicts ``err(P)`` for ``P > P0``.
2. **Parameter-free, two mechanisms**: a test datum whose path (at a position) was seen is classified by
   memorisation; one whose path was not seen is classified only if the network has learned the rules by
   grouping synonyms, as the uniform RHM does at the same ``n_c, m, L``. So
   ``err_Zipf(P) = eps(P) * err_uniform(P)`` with ``eps(P)`` Hutter's seen-path error (theory, no fit) and
   ``err_uniform(P)`` the measured uniform-RHM curve at the same P. Nothing is fitted to the Zipf curve.
   ``eps(P)`` alone (memorisation only) is listed beside it.

Intervals resample whole seeds (:func:`seed_bootstrap`; jackknife-t below 5 seeds); the statistic is the
ratio of the seed-mean prediction to the seed-mean measured error at one P.

Run: ``python -m scalinglab.validate.rhm._curve_predict --out results/reference/rhm-curve-prediction``.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from scalinglab.theory.fitting import seed_bootstrap
from scalinglab.theory.rhm import RHMSpec, learning_curve

__all__ = ["load_runs", "pooled_ck", "out_of_sample", "two_mechanism", "curve_predictions", "exponent_table"]

K = 4  # patches of the m = 10, L = 3, s = 2 model (s**(L-1))
SELECT = {"net.kind": "cnn", "net.width": 1024, "rhm.m": 10, "rhm.L": 3, "rhm.n_c": 10, "train.optimizer": "adam",
          "sampling": "iid", "train.loss_tol": 0.01}


def load_runs_all_m(store):
    """Every CNN (width 1024, Adam, i.i.d.) row of the store with all levels sharing one alpha, any m."""
    import pandas as pd
    rows = [json.loads(line) for f in sorted(glob.glob(str(Path(store) / "rows" / "*.jsonl"))) for line in open(f)]
    df = pd.DataFrame(rows)
    for k, v in SELECT.items():
        if k != "rhm.m":
            df = df[df[k] == v]
    df = df.assign(a=df["alpha"].apply(lambda a: float(a[0]) if len(set(a)) == 1 else None))
    df = df[df["a"].notna()]
    return df.drop_duplicates(subset=["rhm.m", "a", "P", "seed"], keep="last")


def _finite(v):
    """float, or None where alpha' <= 0 leaves alpha'/(1+alpha') undefined."""
    v = float(v)
    return v if math.isfinite(v) else None


def exponent_table(store, hi_frac=0.26, P_lo=16, n_boot=1000):
    """Per (m, alpha > 0): the measured exponent on ``[P_lo, hi_frac * P*]`` (OLS of the seed-mean curve,
    whole-seed interval, :func:`bootstrap_powerlaw`), eps(P)'s exponent on the same P points, alpha/(1+alpha),
    alpha'/(1+alpha') and the differences (the theory values carry no noise, so a difference's interval is the
    measured interval shifted)."""
    import warnings

    from scalinglab.theory.fitting import FewSeedsWarning, bootstrap_powerlaw, powerlaw_fit
    from scalinglab.theory.rhm import predicted_exponent
    df = load_runs_all_m(store)
    out = []
    for (m, a), sub in sorted(df[df["a"] > 0].groupby(["rhm.m", "a"])):
        m, a = int(m), float(a)
        P_star = 10 * m**3
        sub = sub[(sub["P"] >= P_lo) & (sub["P"] <= hi_frac * P_star)]
        P = np.array(sorted(set(sub["P"])), dtype=float)
        groups = [sub[sub["P"] == p]["test_err"].to_numpy() for p in P]
        labels = [sub[sub["P"] == p]["seed"].to_numpy() for p in P]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewSeedsWarning)
            bf = bootstrap_powerlaw(P, groups, n_boot=n_boot, seeds=labels)
        spec = RHMSpec.make(m=m, v=m, alpha=a)
        eps = learning_curve(spec, P).eps
        ef = powerlaw_fit(P, eps).exponent
        asym = a / (1 + a)
        ci = [float(c) for c in bf.ci]
        out.append({"m": m, "alpha": a, "window": [float(P.min()), float(P.max())], "n_P": int(P.size),
                    "n_seeds": int(bf.n_seeds), "ci_method": bf.ci_method, "measured": float(bf.exponent), "ci": ci,
                    "eps_exponent": float(ef), "asymptotic": asym, "note_predicted": _finite(predicted_exponent(spec)),
                    "minus_eps": float(bf.exponent - ef), "minus_eps_ci": [c - ef for c in ci],
                    "minus_asymptotic": float(bf.exponent - asym), "minus_asymptotic_ci": [c - asym for c in ci],
                    "eps_minus_asymptotic": float(ef - asym)})
    return out


def load_runs(store):
    """Rows of the H100 store (``rhm-runs/rows/*.jsonl``) of the split-model setting, one per (alpha, P, seed)."""
    import pandas as pd
    rows = [json.loads(line) for f in sorted(glob.glob(str(Path(store) / "rows" / "*.jsonl"))) for line in open(f)]
    df = pd.DataFrame(rows)
    for k, v in SELECT.items():
        df = df[df[k] == v]
    df = df.assign(a=df["alpha"].apply(lambda a: float(a[0]) if len(set(a)) == 1 else None))
    df = df[df["a"].notna()]
    return df.drop_duplicates(subset=["a", "P", "seed"], keep="last")


def pooled_ck(rows):
    """``c_k`` pooled over the given rows: ``sum n_k acc_k / sum n_k`` (nan where no datum had k seen paths).

    >>> import pandas as pd
    >>> r = pd.DataFrame({f"n_{k}": [10, 30] for k in range(5)} | {f"acc_{k}": [0.0, 1.0] for k in range(5)})
    >>> pooled_ck(r).tolist()
    [0.75, 0.75, 0.75, 0.75, 0.75]
    """
    n = np.array([[r[f"n_{k}"] for k in range(K + 1)] for _, r in rows.iterrows()], dtype=float)
    acc = np.array([[r[f"acc_{k}"] if r[f"n_{k}"] else 0.0 for k in range(K + 1)] for _, r in rows.iterrows()],
                   dtype=float)
    tot = n.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (n * acc).sum(axis=0) / tot, np.nan)


def _ratio_interval(pred, meas, n_boot=1000):
    """Seed-mean pred / seed-mean measured, whole-seed interval."""
    vals = np.column_stack([pred, meas])
    iv = seed_bootstrap(vals, lambda v: float(np.mean(v[:, 0]) / np.mean(v[:, 1])), n_boot=n_boot)
    return {"ratio": iv.estimate, "ci": [float(c) for c in iv.ci], "method": iv.ci_method, "n_seeds": iv.n_seeds}


def out_of_sample(runs, alpha, pk_exact, P_grid, P0, n_boot=1000):
    """Per P > P0: ratio of the predicted error (c_k pooled over P <= P0, per seed) to the measured one."""
    sub = runs[runs["a"] == alpha]
    seeds = sorted(set(sub["seed"]))
    pk = {int(P): np.asarray(p, dtype=float) for P, p in zip(P_grid, pk_exact)}
    out = []
    cks = {s: pooled_ck(sub[(sub["seed"] == s) & (sub["P"] <= P0)]) for s in seeds}
    for P in (p for p in P_grid if p > P0):
        pred, meas = [], []
        for s in seeds:
            r = sub[(sub["seed"] == s) & (sub["P"] == P)]
            if r.empty:
                continue
            ck = np.nan_to_num(cks[s], nan=1.0)  # no datum with k seen below P0 (only k = K can be missing)
            pred.append(1.0 - float(np.dot(ck, pk[int(P)])))
            meas.append(float(r["test_err"].iloc[0]))
        if len(pred) >= 2:
            out.append({"P": int(P), "predicted": float(np.mean(pred)), "measured": float(np.mean(meas)),
                        **_ratio_interval(pred, meas, n_boot)})
    return out


def two_mechanism(runs, alpha, P_grid, n_boot=1000):
    """Per P: ``eps(P) * err_uniform(P)`` and ``eps(P)`` against the measured Zipf error (seeds paired by label)."""
    sub, uni = runs[runs["a"] == alpha], runs[runs["a"] == -1.0]
    eps = learning_curve(RHMSpec.make(alpha=alpha), np.asarray(P_grid, dtype=float)).eps
    out = []
    for P, e in zip(P_grid, eps):
        pz, pe, meas = [], [], []
        for s in sorted(set(sub["seed"])):
            rz, ru = sub[(sub["seed"] == s) & (sub["P"] == P)], uni[(uni["seed"] == s) & (uni["P"] == P)]
            if rz.empty or ru.empty:
                continue
            pz.append(float(e) * float(ru["test_err"].iloc[0]))
            pe.append(float(e))
            meas.append(float(rz["test_err"].iloc[0]))
        if len(pz) >= 2:
            two = _ratio_interval(pz, meas, n_boot)
            mem = _ratio_interval(pe, meas, n_boot)
            out.append({"P": int(P), "eps": float(e), "predicted": float(np.mean(pz)), "measured": float(np.mean(meas)),
                        "ratio": two["ratio"], "ci": two["ci"], "method": two["method"], "n_seeds": two["n_seeds"],
                        "eps_ratio": mem["ratio"], "eps_ci": mem["ci"]})
    return out


def curve_predictions(store, split_summary, P0s=(640, 1280, 2560), n_boot=1000):
    """Both predictions for every Zipf curve of the stored split-model summary."""
    runs = load_runs(store)
    split = json.loads(Path(split_summary).read_text())
    curves = []
    for c in split["curves"]:
        alpha = float(c["curve"].split("a=")[1].split()[0])
        P_grid = [int(p) for p in c["P"]]
        oos = {str(P0): out_of_sample(runs, alpha, c["pk_exact"], P_grid, P0, n_boot) for P0 in P0s}
        two = two_mechanism(runs, alpha, P_grid, n_boot)
        summ = {}
        for P0, rows in oos.items():
            dev = [abs(r["ratio"] - 1) for r in rows]
            summ[P0] = {"max_abs_rel_error": max(dev) if dev else math.nan,
                        "max_abs_rel_error_below_P_star": max((abs(r["ratio"] - 1) for r in rows
                                                               if r["P"] <= c["P_star"]), default=math.nan)}
        curves.append({"alpha": alpha, "P_star": c["P_star"], "out_of_sample": oos, "out_of_sample_summary": summ,
                       "two_mechanism": two,
                       "two_mechanism_max_abs_rel_error": max(abs(r["ratio"] - 1) for r in two),
                       "eps_only_max_abs_rel_error": max(abs(r["eps_ratio"] - 1) for r in two)})
    return {"P0": list(P0s), "curves": curves, "store": str(store), "split_summary": str(split_summary),
            "selection": SELECT, "exponents": exponent_table(store, n_boot=n_boot)}


def _report(s):
    lines = ["# Predicting the CNN's Zipf-RHM curve (H100 rows, m = 10, L = 3, width 1024)", "",
             "## Exponents: measured against eps(P) and alpha/(1+alpha) (window [16, 0.26 P*])", "",
             "| m | alpha | window | seeds | measured | interval | eps(P) | alpha/(1+alpha) | alpha'/(1+alpha') |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {e['m']} | {e['alpha']:g} | {e['window'][0]:g}..{e['window'][1]:g} | {e['n_seeds']} | "
              f"{e['measured']:.3f} | [{e['ci'][0]:.3f}, {e['ci'][1]:.3f}] | {e['eps_exponent']:.3f} | "
              f"{e['asymptotic']:.3f} | "
              + (f"{e['note_predicted']:.3f}" if e["note_predicted"] is not None else "none (alpha' <= 0)") + " |"
              for e in s["exponents"]]
    lines += ["",
             "Ratio predicted / measured test error (seed means), whole-seed 95 % interval.", ""]
    for c in s["curves"]:
        lines += [f"## alpha = {c['alpha']:g} (P* = {c['P_star']})", "", "Out of sample (c_k pooled over P <= P0):", "",
                  "| P0 | P | predicted | measured | ratio | interval |", "|---|---|---|---|---|---|"]
        for P0, rows in c["out_of_sample"].items():
            lines += [f"| {P0} | {r['P']} | {r['predicted']:.4f} | {r['measured']:.4f} | {r['ratio']:.3f} | "
                      f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] |" for r in rows]
        lines += ["", "Two mechanisms, no fitted parameter: eps(P) x err_uniform(P); eps(P) alone beside it:", "",
                  "| P | eps | predicted | measured | ratio | interval | eps/measured | interval |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['P']} | {r['eps']:.4f} | {r['predicted']:.4f} | {r['measured']:.4f} | {r['ratio']:.3f} | "
                  f"[{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] | {r['eps_ratio']:.3f} | "
                  f"[{r['eps_ci'][0]:.3f}, {r['eps_ci'][1]:.3f}] |" for r in c["two_mechanism"]]
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="results/reference/gpu/rhm-runs")
    ap.add_argument("--split", default="results/reference/gpu/rhm-split-model/summary.json")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    s = curve_predictions(a.store, a.split)
    try:
        git = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:  # pragma: no cover
        git = None
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(s, indent=1, allow_nan=False, default=float))
    (out / "manifest.json").write_text(json.dumps({"argv": sys.argv, "git": git, "label": "analysis of stored H100 "
                                                   "rows (no training)", "store": a.store, "split": a.split}, indent=1))
    (out / "report.md").write_text(_report(s))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
