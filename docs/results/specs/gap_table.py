"""The gap-chasing tables of docs/results/rhm-width.md, from the stored runs of results/reference/.

    python docs/results/specs/gap_table.py [--root results/reference] [--n-boot 2000] [--json PATH]

Reads the rows of the width study (results/reference/rhm-width, quick grid) and of the gap variants run from the
specs beside this file (rhm-width-adam-tol1e-3, rhm-width-sgd, rhm-width-sgd-tol1e-3), and prints:

Every interval's method is stored as ``interval_method`` and printed first.

1. per (alpha, setting, width): the exponent of the seed-averaged test error [95 % expanded bootstrap] on
   P = 16 ... 1024 (the grid of the variants), eps(P)'s exponent on the same P, and the gap (measured - eps);
2. per factor: the shift of the exponent it causes, exponent(variant) - exponent(base), with a 95 % paired
   bootstrap interval over seeds (a seed fixes rules, data, initialisation and batch order, so the two runs of a
   seed differ only by the factor);
3. the fit-window dependence at h = 16, 64 and 256 (the quick width grid: P up to 4096).
Nothing is trained. ``--json results/reference/rhm-width-gap/summary.json`` also stores the three tables (the
page's numbers are checked against that file, docs/developer/docs-numbers.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from scalinglab.theory.fitting import bootstrap_powerlaw, interval_method_text, powerlaw_fit  # noqa: E402
from scalinglab.validate import protocol  # noqa: E402
from scalinglab.validate.rhm._experiments import _theory_eps  # noqa: E402
from scalinglab.validate.rhm._width import _per_seed, paired_exponent_difference  # noqa: E402
from scalinglab.validate.storage import Manifest, RowStore, to_frame  # noqa: E402


def _load(root, name):
    man = Manifest.load(root / name)
    exp = protocol.get("rhm-width")
    config = exp.config_from_dict(man.data["config"])
    rows = RowStore(protocol.rows_folder(root / name, man.data)).read(quarantine=False).rows
    return config, to_frame(rows)


def _curve(rows, config, a, h, window, seeds=None):
    cells = config.curve_cells(a, h)
    if seeds is not None:
        cells = [c for c in cells if c.seed < seeds]
    P, per = _per_seed(protocol.select(rows, cells))
    keep = (P >= window[0]) & (P <= window[1])
    return P[keep], [per[i] for i in np.flatnonzero(keep)]


def _fit(P, per, n_boot):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = bootstrap_powerlaw(P, [np.array(list(d.values())) for d in per], n_boot=n_boot,
                               seeds=[list(d) for d in per])  # whole seeds
    return b.exponent, b.ci


def _fmt(x, ci=None):
    return f"{x:.3f}" if ci is None else f"{x:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(ROOT / "results" / "reference"))
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--json", default=None, help="also write the tables as JSON to this path")
    a = ap.parse_args(argv)
    out = {"window": None, "seeds": None, "n_boot": a.n_boot, "interval": "95 % bootstrap over whole seeds",
           "exponents": [], "shifts": [], "windows": []}
    short = {}
    root = Path(a.root)
    base_cfg, rows = _load(root, "rhm-width")
    BASE, ADAM3, SGD2, SGD3 = ("Adam, loss < 1e-2 (base)", "Adam, loss < 1e-3", "SGD, loss < 1e-2",
                               "SGD, loss < 1e-3 (Cagnetta et al.)")
    variants = {BASE: base_cfg}
    short = {BASE: "base", ADAM3: "adam-tol1e-3", SGD2: "sgd", SGD3: "sgd-tol1e-3"}
    for name, label in (("rhm-width-adam-tol1e-3", ADAM3), ("rhm-width-sgd", SGD2), ("rhm-width-sgd-tol1e-3", SGD3)):
        if (root / name / "manifest.json").exists():
            variants[label] = _load(root, name)[0]
    window = (16.0, 1024.0)  # the P grid every variant shares
    out["window"], out["seeds"] = list(window), int(base_cfg.seeds)
    method = interval_method_text(int(base_cfg.seeds), a.n_boot, expanded=True)
    paired = (f"95 % paired percentile bootstrap over whole seeds ({int(base_cfg.seeds)} seeds, {a.n_boot} resamples; "
              "a seed's two runs share rules, data, initialisation and batch order)")
    out["interval_method"] = f"exponents: {method}; shifts (paired over seeds): {paired}"
    print(f"Intervals: exponents, {method}; shifts, {paired}.\n")
    print(f"## Exponents on P = {window[0]:g} ... {window[1]:g} ({base_cfg.seeds} seeds)\n")
    print("| alpha | training | h | exponent [95% CI] | eps(P) exponent | gap (measured - eps) | runs converged |")
    print("|---|---|---|---|---|---|---|")
    curves = {}
    for alpha in base_cfg.alphas:
        spec = base_cfg.rhm.spec(base_cfg.alpha_tuple(alpha))
        for label, cfg in variants.items():
            for h in cfg.widths:
                P, per = _curve(rows, cfg, alpha, h, window)
                if P.size < 3:
                    continue
                e, ci = _fit(P, per, a.n_boot)
                eps = powerlaw_fit(P, _theory_eps(spec, P)).exponent
                sub = protocol.select(rows, [c for c in cfg.curve_cells(alpha, h) if window[0] <= c.P <= window[1]])
                conv = f"{int(sub['converged'].fillna(False).astype(bool).sum())}/{len(sub)}"
                curves[(alpha, label, h)] = (P, per)
                n_conv = int(sub['converged'].fillna(False).astype(bool).sum())
                out["exponents"].append({"alpha": float(alpha), "training": short[label], "width": int(h),
                                         "measured": float(e), "ci": [float(ci[0]), float(ci[1])],
                                         "eps_exponent": float(eps), "gap": float(e - eps),
                                         "converged_runs": n_conv, "runs": int(len(sub))})
                print(f"| {alpha:g} | {label} | {h} | {_fmt(e, ci)} | {eps:.3f} | {e - eps:+.3f} | {conv} |")
    print("\n## Shift of the exponent by each factor (paired over seeds)\n")
    print("| alpha | factor | at h | shift [95% paired CI] | seeds |")
    print("|---|---|---|---|---|")
    pairs = [("width 16 -> 64", BASE, 16, BASE, 64), ("width 64 -> 256", BASE, 64, BASE, 256)]
    pairs += [("Adam: loss_tol 1e-2 -> 1e-3", BASE, h, ADAM3, h) for h in (64, 256)]
    pairs += [("Adam -> SGD (loss < 1e-2)", BASE, h, SGD2, h) for h in (64, 256)]
    pairs += [("SGD: loss_tol 1e-2 -> 1e-3", SGD2, 64, SGD3, 64), ("Adam 1e-2 -> SGD 1e-3 (ours -> theirs)", BASE, 64, SGD3, 64)]
    keys = {"width 16 -> 64": "width", "width 64 -> 256": "width", "Adam: loss_tol 1e-2 -> 1e-3": "adam-tol",
            "Adam -> SGD (loss < 1e-2)": "adam-sgd", "SGD: loss_tol 1e-2 -> 1e-3": "sgd-tol",
            "Adam 1e-2 -> SGD 1e-3 (ours -> theirs)": "ours-theirs"}
    for alpha in base_cfg.alphas:
        for what, la, ha, lb, hb in pairs:
            if (alpha, la, ha) not in curves or (alpha, lb, hb) not in curves:
                continue
            (Pa, ea), (Pb, eb) = curves[(alpha, la, ha)], curves[(alpha, lb, hb)]
            Ps = np.intersect1d(Pa, Pb)
            sa = [ea[int(np.flatnonzero(Pa == p)[0])] for p in Ps]
            sb = [eb[int(np.flatnonzero(Pb == p)[0])] for p in Ps]
            r = paired_exponent_difference(Ps, sb, sa, n_boot=a.n_boot)  # variant minus base
            at = ha if ha == hb else f"{ha} -> {hb}"
            print(f"| {alpha:g} | {what} | {at} | {_fmt(r['diff'], r['ci'])} | {r['n_seeds']} |")
            out["shifts"].append({"alpha": float(alpha), "factor": keys[what], "label": what, "width_a": int(ha),
                                  "width_b": int(hb), "diff": float(r["diff"]),
                                  "ci": [float(r["ci"][0]), float(r["ci"][1])], "n_seeds": int(r["n_seeds"])})
    print(f"\n## Fit window (the quick width grid: {base_cfg.seeds} seeds, Adam, loss < 1e-2)\n")
    print("| alpha | P window | exponent h = 16 | exponent h = 64 | exponent h = 256 | shift 64 -> 256 [paired] | "
          "eps(P) exponent |")
    print("|---|---|---|---|---|---|---|")
    hs = sorted(base_cfg.widths)
    for alpha in base_cfg.alphas:
        spec = base_cfg.rhm.spec(base_cfg.alpha_tuple(alpha))
        for win in ((16, 256), (64, 1024), (16, 1024), (256, 4096), (16, 4096)):
            cells = {h: _curve(rows, base_cfg, alpha, h, win) for h in hs}
            common = cells[hs[0]][0]
            for P_, _ in cells.values():
                common = np.intersect1d(common, P_)
            cells = {h: (common, [per[int(np.flatnonzero(P == p)[0])] for p in common])
                     for h, (P, per) in cells.items()}
            if common.size < 3:
                continue
            fits = {h: _fit(*cells[h], a.n_boot) for h in hs}
            eps = powerlaw_fit(common, _theory_eps(spec, common)).exponent
            r = paired_exponent_difference(common, cells[256][1], cells[64][1], n_boot=a.n_boot)
            print(f"| {alpha:g} | {win[0]} ... {win[1]} | " + " | ".join(_fmt(*fits[h]) for h in hs) +
                  f" | {_fmt(r['diff'], r['ci'])} | {eps:.3f} |")
            out["windows"].append({"alpha": float(alpha), "P_lo": float(win[0]), "P_hi": float(win[1]),
                                   "exponents": {str(h): {"measured": float(fits[h][0]),
                                                          "ci": [float(fits[h][1][0]), float(fits[h][1][1])]}
                                                 for h in hs},
                                   "shift_64_256": {"diff": float(r["diff"]),
                                                    "ci": [float(r["ci"][0]), float(r["ci"][1])]},
                                   "eps_exponent": float(eps)})
    if a.json:
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
