"""Experiments for kernel / manifold scaling (Bahri et al. 2021).

Reproductions (``scalinglab reproduce NAME``):

* ``spectral-rf-regimes`` -- the linear random-feature teacher-student model
  simulated exactly (min-norm least squares, teacher average exact, draws of
  data and projection averaged) in the four regimes, against
  :func:`scalinglab.theory.spectral._learning.rf_teacher_student_loss`; fitted
  exponents with bootstrap intervals against 1 (variance-limited) and
  ``alpha_K`` (resolution-limited).
* ``spectral-gram-id`` -- Gram spectra of a Laplace kernel on flat tori of
  dimension ``d`` (``alpha_K`` against ``1/d``) and TwoNN / Levina-Bickel
  estimates of ``d``.
* ``spectral-teacher-student`` (in :mod:`scalinglab.validate.spectral._nets`)
  -- torch networks, fitted ``alpha_D`` against ``4/d``.

Every reproduction stores one row per draw / seed (resumable sweep), writes a
manifest, and draws its figure from the saved CSV.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit
from scalinglab.theory.spectral import levina_bickel, sample_manifold, twonn
from scalinglab.theory.spectral import fit_spectrum, gram_spectrum
from scalinglab.theory.spectral import (eigenlearning_curve, powerlaw_spectrum, regime_exponents,
                                        resolution_limited, rf_teacher_student_loss)
from scalinglab.validate.spectral._linear_rf import rf_loss_one_draw
from scalinglab.validate.reproduce import reproducer
from scalinglab.validate.plots import save_figure
from scalinglab.validate.results import load_results, write_json
from scalinglab.validate.sweep import grid, run_sweep

__all__ = ["RF_REGIMES", "rf_regime_point", "rf_draw_cell", "rf_cells", "analyse_rf", "run_rf_regimes",
           "gram_id_cell", "run_gram_id", "interpolation_cell", "run_interpolation", "demo_section"]

#: regime name -> (which of D, P varies, what is held, measured quantity)
RF_REGIMES = {
    "variance_D": "P fixed at P0, D -> inf: L(D,P0) - L(inf,P0) ~ D^-1",
    "variance_P": "D fixed at D0, P -> inf: L(D0,P) - L(D0,inf) ~ P^-1",
    "resolution_D": "P = inf (the full kernel), L(D) ~ D^-alpha_K",
    "resolution_P": "D = inf (population least squares), L(P) ~ P^-alpha_K",
}


def rf_regime_point(regime, x, fixed):
    """``(D, P)`` of regime ``regime`` at abscissa ``x`` (``fixed`` = P0 or D0)."""
    if regime == "variance_D":
        return float(x), float(fixed)
    if regime == "variance_P":
        return float(fixed), float(x)
    if regime == "resolution_D":
        return float(x), math.inf
    if regime == "resolution_P":
        return math.inf, float(x)
    raise ValueError(f"unknown regime {regime!r}; use one of {sorted(RF_REGIMES)}")


def rf_draw_cell(regime, x, draw, alpha_K, S, fixed, seed=0):
    """One draw of the linear RF model: the loss and the paired excess loss.

    Returns ``{"loss", "limit", "excess"}``: ``limit`` is ``L(inf, P0)`` /
    ``L(D0, inf)`` for the same projection / data in the variance-limited
    regimes (0 in the resolution-limited ones), ``excess = loss - limit``.
    """
    D, P = rf_regime_point(regime, x, fixed)
    lam = powerlaw_spectrum(int(S), float(alpha_K))
    key = [list(RF_REGIMES).index(regime), int(x), int(draw), int(seed), int(S), int(round(1000 * alpha_K))]
    rng = np.random.default_rng(key)
    if regime.startswith("variance"):
        loss, limit = rf_loss_one_draw(lam, D, P, rng, paired="projection" if regime == "variance_D" else "data")
    else:
        loss, limit = rf_loss_one_draw(lam, D, P, rng), 0.0
    return {"loss": loss, "limit": limit, "excess": loss - limit}


def rf_cells(quick=True, alpha_K=0.5, n_draws=None, seeds=None):
    """The sweep cells and parameters of ``spectral-rf-regimes``."""
    S = 800 if quick else 4000
    fixed = 24 if quick else 48
    n_draws = n_draws or seeds or (6 if quick else 24)
    res_x = np.unique(np.geomspace(8, S // (10 if quick else 16), 6 if quick else 9).astype(int))
    var_x = np.unique(np.geomspace(8 * fixed, 64 * fixed, 5 if quick else 7).astype(int))
    cells = []
    for regime in RF_REGIMES:
        xs = var_x if regime.startswith("variance") else res_x
        cells += [dict(c, regime=regime, alpha_K=alpha_K, S=S, fixed=fixed)
                  for c in grid(x=[int(v) for v in xs], draw=range(n_draws))]
    params = {"alpha_K": alpha_K, "S": S, "fixed": fixed, "n_draws": n_draws,
              "windows": {"variance": [int(var_x[0]), int(var_x[-1])], "resolution": [int(res_x[0]), int(res_x[-1])]},
              "model": "Gaussian features, C = diag(i^-(1+alpha_K)), teacher w ~ N(0, I/S), min-norm least squares"}
    return cells, params


def rf_theory(regime, xs, alpha_K, S, fixed):
    """Theory curve of a regime: the loss, or the excess over the paired limit."""
    lam = powerlaw_spectrum(int(S), float(alpha_K))
    DP = [rf_regime_point(regime, x, fixed) for x in xs]
    r = rf_teacher_student_loss([d for d, _ in DP], [p for _, p in DP], lam)
    if regime == "variance_D":
        return r.loss - r.loss_inf_data
    if regime == "variance_P":
        return r.loss - r.loss_inf_features
    return r.loss


def analyse_rf(rows, n_boot=500):
    """Fit the four regimes from stored rows; returns per-regime summaries."""
    out = {}
    for regime in RF_REGIMES:
        rr = [r for r in rows if r["regime"] == regime]
        if not rr:
            continue
        alpha_K, S, fixed = float(rr[0]["alpha_K"]), int(rr[0]["S"]), int(rr[0]["fixed"])
        xs = np.array(sorted({int(r["x"]) for r in rr}), dtype=float)
        field = "excess" if regime.startswith("variance") else "loss"
        samples = [np.array([float(r[field]) for r in rr if int(r["x"]) == x]) for x in xs]
        bf = bootstrap_powerlaw(xs, samples, window=(xs[0], xs[-1]), n_boot=n_boot, seed=1)
        theory = rf_theory(regime, xs, alpha_K, S, fixed)
        mean = np.array([s.mean() for s in samples])
        expected = 1.0 if regime.startswith("variance") else regime_exponents(alpha_K).resolution_D
        out[regime] = {"x": xs.tolist(), "mean": mean.tolist(),
                       "se": [float(s.std(ddof=1) / math.sqrt(s.size)) if s.size > 1 else float("nan")
                              for s in samples],
                       "theory": theory.tolist(), "max_rel_dev": float(np.max(np.abs(mean / theory - 1))),
                       "exponent": bf.exponent, "ci": list(bf.ci), "expected": expected,
                       "theory_exponent_in_window": powerlaw_fit(xs, theory, window=(xs[0], xs[-1])).exponent,
                       "window": list(bf.fit.window), "n_draws": int(min(s.size for s in samples)),
                       "alpha_K": alpha_K, "S": S, "fixed": fixed}
    return out


def _plot_rf(summary, path):
    from scalinglab.validate.plots import new_figure

    fig, axes = new_figure(ncols=2, nrows=2, width=4.6, height=3.6)
    for ax, (regime, s) in zip(axes.flat, summary.items()):
        x = np.array(s["x"])
        ax.errorbar(x, s["mean"], yerr=s["se"], fmt="o", ms=4, label="exact simulation")
        ax.plot(x, s["theory"], "-", label="theory")
        ax.set_xscale("log")
        ax.set_yscale("log")
        var = regime.startswith("variance")
        ax.set_xlabel(("D" if regime.endswith("_D") else "P") + (f" ({'P' if regime.endswith('_D') else 'D'}"
                                                                 f"={s['fixed']})" if var else ""))
        ax.set_ylabel("L - L(inf)" if var else "L")
        ax.set_title(f"{regime}: fit {s['exponent']:.3f} [{s['ci'][0]:.3f}, {s['ci'][1]:.3f}]\n"
                     f"theory in window {s['theory_exponent_in_window']:.3f}, asymptotic {s['expected']:.2f}",
                     fontsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(f"linear RF teacher-student, lambda_i ~ i^-(1+alpha_K), alpha_K={s['alpha_K']}, S={s['S']}",
                 fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def run_rf_regimes(out, quick=True, seeds=None, executor=None, replot=False, alpha_K=0.5):
    """Run (or resume) the four-regime sweep and draw its figure from the CSV."""
    out = Path(out)
    if not replot:
        cells, params = rf_cells(quick=quick, alpha_K=alpha_K, seeds=seeds)
        run_sweep(cells, rf_draw_cell, out, key_fields=("regime", "alpha_K", "S", "fixed", "x", "draw"),
                  params=params, device="cpu", executor=executor, desc="linear RF", seeds=None)
    summary = analyse_rf(load_results(out))
    _plot_rf(summary, out / "figures" / "rf_regimes.png")
    write_json(out, "summary.json", summary)
    return summary


@reproducer("spectral-rf-regimes", "linear random-feature teacher-student: the four scaling regimes vs theory "
                                   "(Bahri et al. 2021, Sec. 3)")
def _reproduce_rf(out, *, quick, device, replot, seeds):
    summary = run_rf_regimes(out, quick=quick, seeds=seeds, replot=replot)
    return {f"{k}_exponent": f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] (theory fitted in the same "
                             f"window {v['theory_exponent_in_window']:.3f}, asymptotic {v['expected']:.3f}; "
                             f"max |sim/theory - 1| = {v['max_rel_dev']:.3f})" for k, v in summary.items()}


# --------------------------------------------------------------------------- Gram spectra + ID
def gram_id_cell(d, n, seed, window_lo=5, window_hi=None):
    """Laplace-kernel Gram spectrum exponent and ID estimates on a flat ``d``-torus."""
    X = sample_manifold("torus", int(n), int(d), seed=int(seed))
    spec = gram_spectrum(X, "laplace")
    hi = window_hi or max(window_lo + 5, int(n) // 20)
    fit = fit_spectrum(spec.eigenvalues, window=(window_lo, hi))
    return {"alpha_K": fit.alpha_K, "alpha_K_stderr": fit.fit.stderr, "window_lo": window_lo, "window_hi": hi,
            "twonn": twonn(X).dimension, "levina_bickel": levina_bickel(X).dimension}


def run_gram_id(out, quick=True, seeds=None, replot=False, executor=None):
    """Run (or resume) the Gram-spectrum / intrinsic-dimension sweep; figure from the CSV."""
    out = Path(out)
    n = 1200 if quick else 4000
    nseeds = seeds or (2 if quick else 5)
    if not replot:
        cells = grid(d=[1, 2, 3, 4, 6, 8], n=[n], seed=range(nseeds))
        run_sweep(cells, gram_id_cell, out, key_fields=("d", "n", "seed"), executor=executor,
                  params={"kernel": "laplace (median bandwidth)", "manifold": "flat torus in R^2d",
                          "window": "ranks 5..n/20"}, device="cpu", desc="gram/id")
    rows = load_results(out)
    ds = sorted({int(r["d"]) for r in rows})
    summ = {}
    for d in ds:
        rr = [r for r in rows if int(r["d"]) == d]
        summ[d] = {k: float(np.mean([float(r[k]) for r in rr])) for k in ("alpha_K", "twonn", "levina_bickel")}
    from scalinglab.validate.plots import new_figure

    fig, axes = new_figure(ncols=2, width=4.6, height=3.6)
    axes = np.ravel(axes)
    dd = np.array(ds, dtype=float)
    axes[0].plot(dd, [summ[d]["alpha_K"] for d in ds], "o", label="Gram fit")
    fine = np.linspace(dd.min(), dd.max(), 100)
    axes[0].plot(fine, 1 / fine, "-", label="1/d")
    axes[0].set_xlabel("d")
    axes[0].set_ylabel("alpha_K (Laplace kernel)")
    axes[0].legend(fontsize=8)
    axes[1].plot(dd, [summ[d]["twonn"] for d in ds], "o", label="TwoNN")
    axes[1].plot(dd, [summ[d]["levina_bickel"] for d in ds], "s", label="Levina-Bickel")
    axes[1].plot(dd, dd, "-", label="true d")
    axes[1].set_xlabel("d")
    axes[1].set_ylabel("estimated dimension")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out / "figures" / "gram_id.png")
    write_json(out, "summary.json", summ)
    return {f"d={d}": f"alpha_K {s['alpha_K']:.3f} (1/d = {1 / d:.3f}); TwoNN {s['twonn']:.2f}; "
                      f"LB {s['levina_bickel']:.2f}" for d, s in summ.items()}


@reproducer("spectral-gram-id", "Laplace-kernel Gram spectra (alpha_K vs 1/d) and intrinsic dimension "
                                "(TwoNN, Levina-Bickel) on d-tori")
def _reproduce_gram_id(out, *, quick, device, replot, seeds):
    return run_gram_id(out, quick=quick, seeds=seeds, replot=replot)


# --------------------------------------------------------------------------- interpolation (4/d)
def _smooth_target(X):
    """A smooth (C-infinity) test function on the unit cube."""
    return np.sin(2 * np.pi * X).sum(axis=1) + np.cos(np.pi * X[:, 0] * X[:, -1])


def interpolation_cell(d, D, seed, method, n_test=4000, margin=0.15):
    """MSE and L1 error of an interpolant of ``D`` uniform samples in ``[0,1]^d``.

    ``method``: ``"linear"`` (Delaunay piecewise-linear, the ``4/d`` model)
    or ``"nearest"`` (piecewise constant: MSE ``2/d``, L1 ``1/d``). Test
    points lie in ``[margin, 1 - margin]^d`` (away from the hull boundary).
    """
    from scipy.interpolate import LinearNDInterpolator, NearestNDInterpolator

    cls = {"linear": LinearNDInterpolator, "nearest": NearestNDInterpolator}.get(method)
    if cls is None:
        raise ValueError(f"method must be 'linear' or 'nearest', got {method!r}")
    rng = np.random.default_rng([int(d), int(D), int(seed)])
    X = rng.uniform(0, 1, (int(D), int(d)))
    T = rng.uniform(margin, 1 - margin, (int(n_test), int(d)))
    err = cls(X, _smooth_target(X))(T) - _smooth_target(T)
    err = err[np.isfinite(err)]
    return {"mse": float(np.mean(err**2)), "l1": float(np.mean(np.abs(err))), "n_used": int(err.size)}


def run_interpolation(out, quick=True, seeds=None, replot=False, executor=None):
    """Interpolants on ``d``-cubes: fitted MSE / L1 exponents vs 4/d, 2/d, 1/d."""
    out = Path(out)
    ds = [2, 3, 4] if quick else [2, 3, 4, 5]
    Ds = [250, 500, 1000, 2000, 4000] if quick else [250, 500, 1000, 2000, 4000, 8000, 16000]
    nseeds = seeds or (2 if quick else 4)
    if not replot:
        cells = grid(d=ds, D=Ds, seed=range(nseeds), method=["linear", "nearest"])
        run_sweep(cells, interpolation_cell, out, key_fields=("d", "D", "seed", "method"), executor=executor,
                  params={"target": "sum sin(2 pi x) + cos(pi x_1 x_d)", "test_box": [0.15, 0.85]}, device="cpu",
                  desc="interpolation")
    rows = load_results(out)
    summ = {}
    for d in sorted({int(r["d"]) for r in rows}):
        rb = resolution_limited(d)
        for method, metric, pred in [("linear", "mse", rb.mse_piecewise_linear),
                                     ("nearest", "mse", rb.mse_piecewise_constant), ("nearest", "l1", rb.lipschitz_l1)]:
            rr = [r for r in rows if int(r["d"]) == d and r["method"] == method]
            xs = np.array(sorted({int(r["D"]) for r in rr}), dtype=float)
            samples = [np.array([float(r[metric]) for r in rr if int(r["D"]) == x]) for x in xs]
            bf = bootstrap_powerlaw(xs, samples, window=(xs[0], xs[-1]), n_boot=300, seed=3)
            summ[f"d={d} {method} {metric}"] = {"exponent": bf.exponent, "ci": list(bf.ci), "predicted": pred,
                                                "D": xs.tolist(), "mean": [float(s.mean()) for s in samples]}
    from scalinglab.validate.plots import new_figure

    fig, ax = new_figure(width=5.5, height=4.0)
    for k, (name, v) in enumerate(summ.items()):
        ax.plot(v["D"], v["mean"], "o-", ms=3, color=f"C{k}",
                label=f"{name}: {v['exponent']:.2f} (pred. {v['predicted']:.2f})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("D")
    ax.set_ylabel("error")
    ax.legend(fontsize=6)
    save_figure(fig, out / "figures" / "interpolation.png")
    write_json(out, "summary.json", summ)
    return summ


@reproducer("spectral-interpolation", "piecewise-linear / nearest-neighbour interpolants on d-cubes: error exponents "
                                      "vs 4/d, 2/d, 1/d (the manifold argument without an optimiser)")
def _reproduce_interpolation(out, *, quick, device, replot, seeds):
    s = run_interpolation(out, quick=quick, seeds=seeds, replot=replot)
    return {k: f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] vs {v['predicted']:.3f}"
            for k, v in s.items()}


# --------------------------------------------------------------------------- demo
def demo_section(report, quick=False):
    """Spectral headline: regime exponents, theory vs exact RF simulation, ID."""
    from scalinglab.validate.spectral._linear_rf import simulate_linear_rf

    a = 0.5
    ex = regime_exponents(a)
    S = 300 if quick else 800
    lam = powerlaw_spectrum(S, a)
    pts = [(40, math.inf), (math.inf, 40), (200, 25), (25, 100)] if quick else \
        [(25, math.inf), (100, math.inf), (math.inf, 25), (math.inf, 100), (400, 25), (25, 400), (200, 100),
         (50, 100)]
    rows = []
    for j, (D, P) in enumerate(pts):
        th = rf_teacher_student_loss(D, P, lam).loss[0]
        m, se, _ = simulate_linear_rf(lam, D, P, n_draws=4 if quick else 10, seed=j)
        rows.append((str(D), str(P), th, m, se, m / th))
    X = sample_manifold("sphere", 1200 if quick else 2000, 3, ambient=10, seed=0)
    tn, lb = twonn(X), levina_bickel(X)
    lc = eigenlearning_curve([10, 100, 1000], powerlaw_spectrum(20000, 1.0), powerlaw_spectrum(20000, 1.0))
    rb = resolution_limited(4)
    report.section("Kernels and manifolds (Bahri et al. 2021)")
    report.text(f"Spectrum lambda_i ~ i^-(1+alpha_K), alpha_K = {a}: loss exponents variance-limited "
                f"{ex.variance_D:g} (D), {ex.variance_P:g} (P); resolution-limited {ex.resolution_D:g} (D), "
                f"{ex.resolution_P:g} (P) ({ex.assumption}).")
    report.table(["D", "P", "theory L", "simulated L", "s.e.", "ratio"], rows)
    from scalinglab.validate.plots import new_figure

    fig, ax = new_figure()
    Dg = np.unique(np.geomspace(4, 4 * S, 60).astype(int)).astype(float)
    for k, P in enumerate((25.0, 100.0, math.inf)):
        ax.plot(Dg, rf_teacher_student_loss(Dg, P, lam).loss, color=f"C{k}", label=f"P = {P:g}")
        for D, PP, _, m, _, _ in rows:
            if D != "inf" and float(PP) == P:
                ax.plot(float(D), m, "o", color=f"C{k}", mec="k", ms=5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=3 * lam.sum() / S)
    ax.set_xlabel("D (training samples)")
    ax.set_ylabel("teacher-averaged test loss")
    ax.set_title(f"linear RF model, S={S}, alpha_K={a}: theory (lines), exact simulation (dots)", fontsize=8)
    ax.legend(fontsize=8)
    report.figure(fig, "spectral_rf_theory", "Linear random-feature model: L(D, P) from the spectrum; peaks at D = P, "
                  "variance-limited ~1/D for D >> P, resolution-limited ~D^-alpha_K for P = inf.")
    report.text(f"Intrinsic dimension of S^3 in R^10: TwoNN {tn.dimension:.2f}, Levina-Bickel {lb.dimension:.2f}. "
                f"Manifold d = 4: MSE estimate exponent 4/d = {rb.mse_piecewise_linear:g}, L1 bound 1/d = "
                f"{rb.lipschitz_l1:g}.")
    report.add_headline("spectral", {"regime_exponents": ex.to_dict(), "rf_max_rel_dev": max(abs(r[5] - 1) for r in rows),
                                     "twonn_S3": tn.dimension, "levina_bickel_S3": lb.dimension,
                                     "eigenlearning_mse_alphaK1": lc.test_mse.tolist()})
    lines = ["[spectral] Bahri et al. kernel/manifold scaling",
             f"  lambda_i ~ i^-(1+{a}): exponents var-D {ex.variance_D:g}, var-P {ex.variance_P:g}, "
             f"res-D {ex.resolution_D:g}, res-P {ex.resolution_P:g}",
             f"  linear RF theory vs exact simulation (S={S}): max |sim/theory - 1| = "
             f"{max(abs(r[5] - 1) for r in rows):.3f} over {len(rows)} (D,P) points",
             f"  ID of S^3 in R^10 ({tn.n_points} points): TwoNN {tn.dimension:.2f} +- {tn.stderr:.2f}, "
             f"Levina-Bickel {lb.dimension:.2f} +- {lb.stderr:.2f}",
             "  eigenlearning, alpha_K=1, target power = eigenvalue: MSE at n=10,100,1000: "
             + ", ".join(f"{v:.3g}" for v in lc.test_mse)]
    return lines
