"""Brill's toy experiment and theory figures: ``scalinglab reproduce percolation-*``.

* ``percolation-theory``: the theoretical loss of the quanta + manifold model
  (:mod:`scalinglab.theory.percolation._brill`) against model size ``N`` and
  dataset size for ``alpha = 1`` and several ``c/D`` (analogues of Brill's
  Figs. 2 and 3), fitted asymptotic exponents against ``min(alpha, c/D)`` and
  ``min(alpha/(1+alpha), c/D)``, and the exponent ratios of Fig. 4 for the
  lattice dimensions ``d = 2..6``.
* ``percolation-toy``: nearest-neighbour regression on embedded Bethe-lattice
  clusters (:mod:`scalinglab.validate.percolation._data`): data-size and
  model-size sweeps in the subcritical (quanta) regime and a data-size sweep on
  one dominant supercritical cluster (manifold), exponents with bootstrap
  intervals over seeds against Brill's predictions.

Both save tidy CSVs and a manifest, and draw their figures from the saved files.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit
from scalinglab.theory.percolation import cutoff_size
from scalinglab.theory.percolation import (LATTICE_EXPONENTS, brill_prediction, lattice_prediction,
                                                   theory_loss_vs_data_size, theory_loss_vs_model_size,
                                                   unlearned_fraction_data, unlearned_fraction_model)
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.reproduce import reproducer
from scalinglab.validate.results import load_results, read_json, write_json, write_manifest
from scalinglab.validate.sweep import run_sweep

__all__ = ["TOY_CONFIG", "TOY_EXPERIMENTS", "toy_cell", "fit_toy", "plot_toy", "run_toy", "theory_curves",
           "plot_theory", "run_theory", "demo_section"]

# --------------------------------------------------------------------------- toy experiment
# Each experiment: the dataset (subcritical clusters or one dominant cluster),
# what is swept (data or model size), the loss power q, the target slope lam,
# the Brill regime and c = q.  In the quanta experiments lam is chosen so that
# one prototype on the largest cluster leaves a loss (lam |w.dx|)^q well below
# the unlearned loss 2^(q-1): the clusters then behave as quanta.  Sizes are given as fractions of the number of
# sites S ("density"), fit windows in the same units.
TOY_EXPERIMENTS = {
    # subcritical quanta, 1-NN on D i.i.d. samples
    "quanta-data-q1": dict(dataset="quanta", sweep="data", q=1.0, lam=0.1, regime="subcritical"),
    "quanta-data-q4": dict(dataset="quanta", sweep="data", q=4.0, lam=0.05, regime="subcritical"),
    # subcritical quanta, N prototypes with the best parameterized allocation
    "quanta-model-q1": dict(dataset="quanta", sweep="model", q=1.0, lam=0.1, regime="subcritical"),
    "quanta-model-q8": dict(dataset="quanta", sweep="model", q=8.0, lam=0.02, regime="subcritical"),
    # supercritical dominant manifold, 1-NN on D i.i.d. samples
    "manifold-data-q1": dict(dataset="dominant", sweep="data", q=1.0, lam=1.0, regime="supercritical"),
    "manifold-data-q2": dict(dataset="dominant", sweep="data", q=2.0, lam=1.0, regime="supercritical"),
    "manifold-data-q4": dict(dataset="dominant", sweep="data", q=4.0, lam=1.0, regime="supercritical"),
}

TOY_CONFIG = {
    "quick": dict(
        quanta=dict(n_clusters=4000, p=0.48, z=3, cap=5000, d=8),
        dominant=dict(n_clusters=1, p=0.502, z=3, cap=200_000, d=8, dominant=True),
        n_test=10_000, seeds=3, n_sizes=8,
        # density windows (samples per site): quanta data: s* = 1/density in [30, s_xi/4];
        # dominant: mean mass per sample >= 200 (the 4-dimensional regime of the embedding)
        data_density=dict(quanta=(1 / 2000, 1 / 10), dominant=(1e-4, 1 / 50)),
        model_count=(20, 2000),
        fit=dict(dominant_data=(None, 1 / 200)),
    ),
    "full": dict(
        quanta=dict(n_clusters=20_000, p=0.49, z=3, cap=20_000, d=8),
        dominant=dict(n_clusters=1, p=0.501, z=3, cap=1_000_000, d=8, dominant=True),
        n_test=20_000, seeds=5, n_sizes=12,
        data_density=dict(quanta=(1 / 10000, 1 / 10), dominant=(2e-5, 1 / 50)),
        model_count=(30, 10_000),
        fit=dict(dominant_data=(None, 1 / 200)),
    ),
}


def _quanta_fit_window(cfg):
    """Density window of the quanta data sweeps: unlearned sizes s* = 1/density in [30, s_xi/4]."""
    qc = cfg["quanta"]
    sxi = min(cutoff_size(qc["p"], qc["z"]), qc["cap"])
    return (4.0 / sxi, 1.0 / 30)


@functools.lru_cache(maxsize=2)
def _dataset(kind, mode, seed, lam):
    from scalinglab.validate.percolation._data import make_cluster_dataset

    kw = dict(TOY_CONFIG[mode][kind])
    return make_cluster_dataset(seed=seed, lam=lam, **kw)


def _sizes(mode, sweep, kind, n_sites=None):
    cfg = TOY_CONFIG[mode]
    if sweep == "data":
        lo, hi = cfg["data_density"][kind]
        return np.geomspace(lo, hi, cfg["n_sizes"])
    lo, hi = cfg["model_count"]
    return np.unique(np.geomspace(lo, hi, cfg["n_sizes"]).astype(int)).astype(float)


def toy_cell(experiment, mode, size, seed, q=None, lam=None):
    """Run one cell: returns ``{"loss", "rho", "n_sites", "n_model"}``.

    ``size`` is the sample density (data sweeps; ``D = density * S``) or the
    number of prototypes (model sweeps).
    """
    from scalinglab.validate.percolation._data import data_scaling_loss, model_scaling_loss

    ex = TOY_EXPERIMENTS[experiment]
    if (q is not None and q != ex["q"]) or (lam is not None and lam != ex["lam"]):
        raise ValueError(f"cell (q={q}, lam={lam}) does not match experiment {experiment!r}")
    ds = _dataset(ex["dataset"], mode, int(seed), float(ex["lam"]))
    rng = np.random.default_rng([int(seed), 7])
    test = rng.integers(0, ds.n_sites, size=TOY_CONFIG[mode]["n_test"])
    # clusters inside the Zipf range s in [30, s_xi/4] (rank window of the model sweeps)
    cfg = TOY_CONFIG[mode]
    sxi = min(cutoff_size(cfg["quanta"]["p"], cfg["quanta"]["z"]), cfg["quanta"]["cap"])
    extra = {"n_sites": ds.n_sites, "k_lo": int(np.sum(ds.sizes >= sxi / 4)), "k_hi": int(np.sum(ds.sizes >= 30))}
    if ex["sweep"] == "data":
        n = max(1, int(round(size * ds.n_sites)))
        loss = data_scaling_loss(ds, n, test, q=ex["q"], rng=rng)
        return {"loss": loss, "rho": float("nan"), "n_model": n, **extra}
    loss, rho = model_scaling_loss(ds, int(size), test, q=ex["q"], rhos=np.geomspace(1e-5, 1.0, 11), rng=rng)
    return {"loss": loss, "rho": rho, "n_model": int(size), **extra}


def _rows_for(rows, name):
    """Rows of one experiment under its current definition (q, lam): stale rows are ignored."""
    ex = TOY_EXPERIMENTS[name]
    return [r for r in rows if r["experiment"] == name and r.get("q") == ex["q"] and r.get("lam") == ex["lam"]]


def fit_toy(rows, mode, n_boot=400):
    """Bootstrap exponent per experiment, in the stated windows, against Brill's prediction.

    The abscissa is the number of stored points (``D`` or ``N``), averaged over
    seeds at each grid value; windows are given in the same units.
    """
    cfg = TOY_CONFIG[mode]
    out = {}
    for name, ex in TOY_EXPERIMENTS.items():
        sel = _rows_for(rows, name)
        if not sel:
            continue
        sizes = sorted({r["size"] for r in sel})
        x = np.array([np.mean([r["n_model"] for r in sel if r["size"] == s]) for s in sizes])
        ys = [[r["loss"] for r in sel if r["size"] == s] for s in sizes]
        S = np.mean([r["n_sites"] for r in sel])
        if ex["sweep"] == "data" and ex["dataset"] == "quanta":
            lo, hi = _quanta_fit_window(cfg)
            window = (lo * S, hi * S)
        elif ex["sweep"] == "data":
            lo, hi = cfg["fit"]["dominant_data"]
            window = (None if lo is None else lo * S, None if hi is None else hi * S)
        else:  # model sweeps: ranks of the clusters inside the Zipf range
            window = (float(np.mean([r["k_lo"] for r in sel])), float(np.mean([r["k_hi"] for r in sel])))
        pred = brill_prediction(ex["regime"], c=ex["q"], D=4.0, tau=2.5)
        pexp = pred.data_exponent if ex["sweep"] == "data" else pred.model_exponent
        try:
            bf = bootstrap_powerlaw(x, ys, window=window, n_boot=n_boot, seed=0)
            fit = bf.to_dict()
        except ValueError as exc:  # too few points in the window
            fit = {"exponent": float("nan"), "ci_lo": float("nan"), "ci_hi": float("nan"), "error": str(exc)}
        # finite-size quanta term from the exact n_s of this very setting (no free parameter)
        fs_curve, fs_exp = _finite_size_quanta(cfg, ex, x, S, np.mean([r.get("n_clusters", 0) for r in sel]))
        if fs_curve is not None:
            try:
                fs_exp = powerlaw_fit(x, fs_curve, window=window).exponent
            except ValueError:
                fs_exp = float("nan")
        out[name] = {**fit, "predicted": pexp, "finite_size_quanta_exponent": fs_exp,
                     "finite_size_quanta_curve": None if fs_curve is None else [float(v) for v in fs_curve],
                     "x": [float(v) for v in x], "limited_by": (pred.data_limited_by if ex["sweep"] == "data"
                                                               else pred.model_limited_by),
                     "sweep": ex["sweep"], "q": ex["q"], "regime": ex["regime"], "window": window}
    return out


def _finite_size_quanta(cfg, ex, x, S, n_clusters):
    """Unlearned-quanta fraction of the experiment's own setting at the swept sizes ``x``."""
    if ex["dataset"] != "quanta":
        return None, float("nan")
    qc = cfg["quanta"]
    if ex["sweep"] == "data":
        return unlearned_fraction_data(np.asarray(x) / S, qc["p"], qc["z"], qc["cap"]), float("nan")
    return unlearned_fraction_model(np.asarray(x), qc["n_clusters"], qc["p"], qc["z"], qc["cap"]), float("nan")


def plot_toy(out):
    """Draw the toy-experiment figure from ``out/results.csv`` and ``out/fits.json``."""
    out = Path(out)
    rows = load_results(out)
    fits = read_json(out, "fits.json")
    fig, axes = new_figure(ncols=3, width=4.6, height=3.8)
    panels = [("quanta", "data", "subcritical quanta: data scaling", "dataset size D"),
              ("quanta", "model", "subcritical quanta: model scaling", "model size N (prototypes)"),
              ("dominant", "data", "supercritical manifold: data scaling", "dataset size D")]
    for ax, (kind, sweep, title, xlabel) in zip(axes.flat, panels):
        for i, (name, ex) in enumerate(TOY_EXPERIMENTS.items()):
            if ex["dataset"] != kind or ex["sweep"] != sweep:
                continue
            sel = _rows_for(rows, name)
            if not sel:
                continue
            sizes = sorted({r["size"] for r in sel})
            x = np.array([np.mean([r["n_model"] for r in sel if r["size"] == s]) for s in sizes])
            y = np.array([np.mean([r["loss"] for r in sel if r["size"] == s]) for s in sizes])
            y0 = y / y[0]
            f = fits.get(name, {})
            lab = (f"q={ex['q']:g}: fit {f.get('exponent', float('nan')):.2f} "
                   f"[{f.get('ci_lo', float('nan')):.2f},{f.get('ci_hi', float('nan')):.2f}], "
                   f"pred {f.get('predicted', float('nan')):.2f}")
            if np.isfinite(f.get("finite_size_quanta_exponent", float("nan"))):
                lab += f", finite-size {f['finite_size_quanta_exponent']:.2f}"
            (line,) = ax.loglog(x, y0, "o-", ms=3, label=lab)
            ax.loglog(x, (x / x[0]) ** -f.get("predicted", 0.0), "--", color=line.get_color(), lw=0.8)
            fs = f.get("finite_size_quanta_curve")
            if fs:
                fs = np.asarray(fs)
                ax.loglog(f["x"], fs / fs[0], ":", color=line.get_color(), lw=1.2)
            w = f.get("window")
            if w and w[0]:
                ax.axvline(w[0], color=line.get_color(), lw=0.5, ls=":")
            if w and w[1]:
                ax.axvline(w[1], color=line.get_color(), lw=0.5, ls=":")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("test loss / first point")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6.5)
    fig.suptitle("Brill toy experiment: 1-NN regression on Bethe-lattice clusters (dashed: asymptotic predicted "
                 "slope; dotted: exact finite-size unlearned-quanta fraction)",
                 fontsize=9)
    return save_figure(fig, out / "toy_scaling.png", dpi=130)


def run_toy(out, quick=True, seeds=None, experiments=None):
    """Run (or resume) the toy sweeps, fit, save ``fits.json`` and draw the figure."""
    mode = "quick" if quick else "full"
    cfg = TOY_CONFIG[mode]
    n_seeds = int(seeds or cfg["seeds"])
    names = list(experiments or TOY_EXPERIMENTS)
    cells = []
    # order: dataset seed outermost within each experiment family, so the cached dataset is reused
    for kind in ("quanta", "dominant"):
        for seed in range(n_seeds):
            for name in names:
                ex = TOY_EXPERIMENTS[name]
                if ex["dataset"] != kind:
                    continue
                for size in _sizes(mode, ex["sweep"], kind):
                    cells.append(dict(experiment=name, mode=mode, size=float(size), seed=seed, q=ex["q"],
                                      lam=ex["lam"]))
    params = {"mode": mode, "config": cfg, "experiments": {n: TOY_EXPERIMENTS[n] for n in names}}
    store = run_sweep(cells, toy_cell, out, key_fields=("experiment", "mode", "size", "seed", "q", "lam"), params=params,
                      device="cpu", desc="percolation toy", seeds=list(range(n_seeds)))
    rows = [r for r in store.rows if r["mode"] == mode]
    fits = fit_toy(rows, mode)
    write_json(out, "fits.json", fits)
    plot_toy(out)
    return fits


@reproducer("percolation-toy", "Brill toy experiment: 1-NN regression on Bethe-lattice clusters, "
                               "data/model scaling exponents vs prediction")
def reproduce_toy(out, *, quick=False, device="auto", replot=False, seeds=None):
    if replot:
        plot_toy(out)
        fits = read_json(out, "fits.json")
    else:
        fits = run_toy(out, quick=quick, seeds=seeds)
    return {name: (f"{f['exponent']:.3f} [{f['ci_lo']:.3f}, {f['ci_hi']:.3f}] vs predicted {f['predicted']:.3f}"
                   + ("" if not np.isfinite(f.get("finite_size_quanta_exponent", float("nan")))
                      else f" (finite-size quanta term {f['finite_size_quanta_exponent']:.3f})"))
            for name, f in fits.items()}


# --------------------------------------------------------------------------- theory figures
def theory_curves(quick=True, c_over_D=(0.25, 0.5, 1.0, 2.0), alpha=1.0, store=None):
    """Rows of the theoretical loss vs N and vs dataset size (Brill's Figs. 2 and 3).

    With a ``ResultStore``, each ``c/D`` is appended as soon as it is computed
    and values already stored for this mode are skipped (resumable).
    """
    from scalinglab._util import progress

    mode = "quick" if quick else "full"
    nq = 10**5 if quick else 10**6
    N = np.geomspace(10, 1e3 if quick else 1e5, 9 if quick else 17)
    Dd = np.geomspace(10, 1e5 if quick else 1e7, 9 if quick else 19)
    done = set() if store is None else {r["c_over_D"] for r in store.rows if r.get("mode") == mode}
    rows = [] if store is None else [r for r in store.rows if r.get("mode") == mode]
    for cd in progress([c for c in c_over_D if c not in done], desc="percolation theory curves"):
        LN = theory_loss_vs_model_size(N, alpha, cd, n_quanta=nq, n_rho=60 if quick else 150)
        LD = theory_loss_vs_data_size(Dd, alpha, cd, n_quanta=nq)
        new = [dict(mode=mode, axis="model", c_over_D=cd, alpha=alpha, x=float(x), loss=float(v))
               for x, v in zip(N, LN)]
        new += [dict(mode=mode, axis="data", c_over_D=cd, alpha=alpha, x=float(x), loss=float(v))
                for x, v in zip(Dd, LD)]
        for r in new:
            if store is not None:
                store.append(r)
        rows += new
    return rows


def _theory_fits(rows):
    out = {}
    for axis in ("model", "data"):
        for cd in sorted({r["c_over_D"] for r in rows}):
            sel = [r for r in rows if r["axis"] == axis and r["c_over_D"] == cd]
            x = np.array([r["x"] for r in sel])
            y = np.array([r["loss"] for r in sel])
            alpha = sel[0]["alpha"]
            # the last decade of the computed curve (explicit window)
            window = (x.max() / 10 ** 1.0, x.max())
            f = powerlaw_fit(x, y, window=window)
            pred = brill_prediction("subcritical", c=cd, D=1.0, alpha=alpha)
            out[f"{axis}:c/D={cd:g}"] = {"exponent": f.exponent, "window": f.window, "method": f.method,
                                         "predicted": pred.model_exponent if axis == "model" else pred.data_exponent}
    return out


def plot_theory(out):
    """Figures 2-4 analogues from ``out/theory.csv``."""
    out = Path(out)
    rows = load_results(out, "theory.csv")
    modes = {r.get("mode") for r in rows}
    if "full" in modes:  # draw the full curves when both are stored
        rows = [r for r in rows if r.get("mode") == "full"]
    fig, axes = new_figure(ncols=3, width=4.4, height=3.6)
    axes = list(axes.flat)
    for ax, axis, xlabel in ((axes[0], "model", "model DOF N"), (axes[1], "data", "dataset size")):
        for cd in sorted({r["c_over_D"] for r in rows}):
            sel = [r for r in rows if r["axis"] == axis and r["c_over_D"] == cd]
            ax.loglog([r["x"] for r in sel], [r["loss"] for r in sel], "-", label=f"c/D = {cd:g}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss")
        ax.set_title(f"theoretical loss vs {xlabel} (alpha = 1)", fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[2]
    ds = sorted(LATTICE_EXPONENTS)
    for c in (1.0, 2.0, 4.0):
        preds = [lattice_prediction(d, c=c) for d in ds]
        ax.plot(ds, [pr.model_ratio for pr in preds], "o-", label=f"model, c={c:g}")
        ax.plot(ds, [pr.data_ratio for pr in preds], "s--", label=f"data, c={c:g}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("lattice dimension d (6 = Bethe / mean field)")
    ax.set_ylabel("(c/D)/alpha, (c/D)/(alpha/(1+alpha))")
    ax.set_title("exponent ratios (>1: quanta-limited)", fontsize=9)
    ax.legend(fontsize=6)
    return save_figure(fig, out / "theory_scaling.png", dpi=130)


def run_theory(out, quick=True):
    from scalinglab.validate.results import ResultStore

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(out, {"quick": quick, "alpha": 1.0}, device="cpu", seeds=[])
    store = ResultStore(out, key_fields=("mode", "axis", "c_over_D", "alpha", "x"), filename="theory.csv")
    rows = theory_curves(quick=quick, store=store)
    fits = _theory_fits(rows)
    write_json(out, "fits.json", fits)
    plot_theory(out)
    return fits


@reproducer("percolation-theory", "Brill Figs. 2-4 analogues: theoretical loss vs N and dataset size, "
                                  "exponent ratios vs lattice dimension")
def reproduce_theory(out, *, quick=False, device="auto", replot=False, seeds=None):
    if replot:
        plot_theory(out)
        fits = read_json(out, "fits.json")
    else:
        fits = run_theory(out, quick=quick)
    return {k: f"{v['exponent']:.3f} (predicted {v['predicted']:.3f})" for k, v in fits.items()}


# --------------------------------------------------------------------------- demo
def demo_section(report, quick=False):
    """Percolation headline numbers for ``scalinglab demo``."""
    from scalinglab.theory.percolation import bethe_exponents, bethe_stats

    lines = ["", "== Percolation (Bethe lattice, Brill 2024) =="]
    report.section("Percolation: Bethe lattice and Brill's scaling laws")
    ex = bethe_exponents(derive=not quick)
    lines.append(f"exponents ({'sympy-derived' if not quick else 'closed form'}): tau={ex.tau:g} sigma={ex.sigma:g} "
                 f"beta={ex.beta:g} gamma={ex.gamma:g} D={ex.fractal_dim:g}")
    rows = []
    for p in (0.3, 0.45, 0.5, 0.55, 0.7):
        st = bethe_stats(p, 3)
        rows.append([p, st.regime, st.p_inf, st.finite_site_fraction, st.finite_site_fraction + st.p_inf,
                     st.mean_cluster_size, st.cutoff_size])
    report.table(["p (z=3)", "regime", "P_inf", "sum s n_s (to 1e9)", "sum + P_inf (= p)", "S(p)", "s_xi"], rows)
    err = max(abs(r[4] - r[0]) for r in rows)
    lines.append(f"identity sum_s s n_s + P_inf = p (z=3, 5 values of p, summed to s=1e9): max error {err:.1e}")
    sub = brill_prediction("subcritical", c=2.0)
    sup = brill_prediction("supercritical", c=2.0)
    lines.append(f"Brill, tau=5/2 -> alpha={sub.alpha:g}; squared loss (c=2), D=4: subcritical model exp "
                 f"{sub.model_exponent:g} ({sub.model_limited_by}), data exp {sub.data_exponent:g} "
                 f"({sub.data_limited_by}); supercritical {sup.model_exponent:g}/{sup.data_exponent:g}")
    report.add_headline("percolation", {"alpha": sub.alpha, "model_exponent_c2": sub.model_exponent,
                                        "data_exponent_c2": sub.data_exponent, "identity_max_error": err,
                                        "tau": ex.tau, "fractal_dim": ex.fractal_dim})
    # a small measured number: 1-NN data scaling on one dominant supercritical cluster (q = 2)
    from scalinglab.validate.percolation._data import data_scaling_loss, make_cluster_dataset

    ds = make_cluster_dataset(1, 0.502, cap=40_000 if quick else 200_000, seed=0, dominant=True)
    rng = np.random.default_rng(0)
    test = rng.integers(0, ds.n_sites, 5000)
    S = ds.n_sites
    Ds = np.unique(np.geomspace(S * 2e-4, S / 200, 6).astype(int))
    ys = [[data_scaling_loss(ds, n, test, q=2.0, rng=s) for s in range(2 if quick else 4)] for n in Ds]
    bf = bootstrap_powerlaw(Ds, ys, n_boot=200, seed=0)
    lines.append(f"measured (1-NN, dominant cluster, S={S}, q=2): data exponent {bf.exponent:.3f} "
                 f"[{bf.ci[0]:.3f}, {bf.ci[1]:.3f}] vs predicted c/D = 0.5")
    report.add_headline("percolation", {"measured_manifold_data_exponent_q2": bf.exponent,
                                        "measured_ci": list(bf.ci)})
    report.text("\n".join(lines[2:]))
    return lines
