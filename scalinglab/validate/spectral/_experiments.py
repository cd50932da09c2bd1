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

Every reproduction is an experiment of :mod:`scalinglab.validate.protocol`
(shipped specs ``scalinglab/specs/spectral-*.toml``): one row per draw /
seed, figures drawn from the stored rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, interval_method_text, powerlaw_fit
from scalinglab.theory.spectral import levina_bickel, sample_manifold, twonn
from scalinglab.theory.spectral import fit_spectrum, gram_spectrum
from scalinglab.theory.spectral import (eigenlearning_curve, powerlaw_spectrum, regime_exponents,
                                        resolution_limited, rf_teacher_student_loss)
from scalinglab.validate import protocol
from scalinglab.validate.plots import save_figure
from scalinglab.validate.report import md_table
from scalinglab.validate.spectral._linear_rf import rf_loss_one_draw

__all__ = ["RF_REGIMES", "rf_regime_point", "rf_draw_cell", "RFConfig", "RFCell", "analyse_rf", "GramIDConfig",
           "GramIDCell", "gram_id_cell", "InterpolationConfig", "InterpolationCell", "interpolation_cell",
           "log_int_grid", "demo_section"]

#: regime name -> (which of D, P varies, what is held, measured quantity)
RF_REGIMES = {
    "variance_D": "P fixed at P0, D -> inf: L(D,P0) - L(inf,P0) ~ D^-1",
    "variance_P": "D fixed at D0, P -> inf: L(D0,P) - L(D0,inf) ~ P^-1",
    "resolution_D": "P = inf (the full kernel), L(D) ~ D^-alpha_K",
    "resolution_P": "D = inf (population least squares), L(P) ~ P^-alpha_K",
}


def rf_regime_point(regime, x, fixed):
    """``(D, P)`` of regime ``regime`` at abscissa ``x`` (``fixed`` = P0 or D0).

    Examples
    --------
    >>> rf_regime_point("variance_D", 100, fixed=24), rf_regime_point("resolution_P", 100, fixed=24)
    ((100.0, 24.0), (inf, 100.0))
    """
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

    Examples
    --------
    >>> r = rf_draw_cell("variance_D", 192, draw=0, alpha_K=0.5, S=200, fixed=24)
    >>> sorted(r), bool(r["excess"] == r["loss"] - r["limit"] > 0)
    (['excess', 'limit', 'loss'], True)
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


def log_int_grid(grid):
    """Distinct integers of a log grid ``(lo, hi, n)``: ``unique(geomspace(lo, hi, n).astype(int))``.

    Examples
    --------
    >>> log_int_grid((8, 80, 6))
    [8, 12, 20, 31, 50, 80]
    """
    return [int(v) for v in np.unique(np.geomspace(grid[0], grid[1], int(grid[2])).astype(int))]


@dataclass(frozen=True)
class RFConfig:
    """Config of ``spectral-rf-regimes``: the linear random-feature teacher-student model.

    Gaussian features of covariance ``diag(i^-(1+alpha_K))`` (S modes), teacher
    ``w ~ N(0, I/S)``, min-norm least squares; ``seeds`` draws per point;
    ``fixed`` is P0 (variance_D) or D0 (variance_P); grids ``(lo, hi, n)``.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("spectral-rf-regimes").cells(RFConfig(seeds=1))
    >>> len(cells), cells[0]
    (22, RFCell(regime='variance_D', x=192, draw=0, alpha_K=0.5, S=800, fixed=24))
    """

    alpha_K: float = field(default=0.5, metadata={"gt": 0})
    S: int = field(default=800, metadata={"ge": 2})
    fixed: int = field(default=24, metadata={"ge": 1})
    seeds: int = field(default=6, metadata={"ge": 1})
    resolution_x: tuple[float, float, float] = field(default=(8.0, 80.0, 6.0), metadata={"ge": 1})
    variance_x: tuple[float, float, float] = field(default=(192.0, 1536.0, 5.0), metadata={"ge": 1})
    n_boot: int = field(default=500, metadata={"ge": 100, "analysis": True})


@dataclass(frozen=True)
class RFCell:
    """One draw of the linear RF model in one regime at abscissa x.

    Examples
    --------
    >>> c = RFCell(regime="resolution_D", x=32, draw=0, alpha_K=0.5, S=400, fixed=24)
    >>> RFCell.kind, sorted(rf_draw_cell(c.regime, c.x, c.draw, c.alpha_K, c.S, c.fixed))
    ('spectral-rf', ['excess', 'limit', 'loss'])
    """

    kind: ClassVar[str] = "spectral-rf"

    regime: str
    x: int
    draw: int
    alpha_K: float
    S: int
    fixed: int


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


def _draw_interval_method(bf):
    """The method of a :func:`bootstrap_powerlaw` interval over whole draws, in words (issue 17)."""
    text = interval_method_text(bf.n_seeds, bf.n_boot, bf.level, method=bf.ci_method, expanded=bf.expanded)
    return (text + "; the resampled unit is a draw index k with its points at every x (each (x, k) has its own "
                   "random stream, so the points are independent across x)")


def analyse_rf(rows, n_boot=500):
    """Fit the four regimes from stored rows (a DataFrame or list of dicts); returns per-regime summaries.

    Examples
    --------
    >>> rows = [dict(regime="resolution_D", x=x, draw=k, alpha_K=0.5, S=400, fixed=24,
    ...              **rf_draw_cell("resolution_D", x, k, 0.5, 400, 24)) for x in (8, 16, 32, 64) for k in range(5)]
    >>> s = analyse_rf(rows, n_boot=200)["resolution_D"]
    >>> round(s["theory_exponent_in_window"], 2), s["n_draws"], bool(s["max_rel_dev"] < 0.1)
    (0.6, 5, True)
    """
    rows = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    out = {}
    for regime in RF_REGIMES:
        rr = [r for r in rows if r["regime"] == regime]
        if not rr:
            continue
        alpha_K, S, fixed = float(rr[0]["alpha_K"]), int(rr[0]["S"]), int(rr[0]["fixed"])
        xs = np.array(sorted({int(r["x"]) for r in rr}), dtype=float)
        field = "excess" if regime.startswith("variance") else "loss"
        samples = [np.array([float(r[field]) for r in rr if int(r["x"]) == x]) for x in xs]
        draws = [[int(r["draw"]) for r in rr if int(r["x"]) == x] for x in xs]
        if xs.size < 3:
            continue
        bf = bootstrap_powerlaw(xs, samples, window=(xs[0], xs[-1]), n_boot=n_boot, seed=1, seeds=draws)
        theory = rf_theory(regime, xs, alpha_K, S, fixed)
        mean = np.array([s.mean() for s in samples])
        expected = 1.0 if regime.startswith("variance") else regime_exponents(alpha_K).resolution_D
        out[regime] = {"x": xs.tolist(), "mean": mean.tolist(),
                       "se": [float(s.std(ddof=1) / math.sqrt(s.size)) if s.size > 1 else float("nan")
                              for s in samples],
                       "theory": theory.tolist(), "max_rel_dev": float(np.max(np.abs(mean / theory - 1))),
                       "exponent": bf.exponent, "ci": list(bf.ci), "expected": expected,
                       "interval_method": _draw_interval_method(bf),
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
    return save_figure(fig, path)


@protocol.experiment
class RFRegimes(protocol.Experiment):
    name = "spectral-rf-regimes"
    description = "linear random-feature teacher-student: the four scaling regimes vs theory (Bahri et al. 2021, " \
                  "Sec. 3)"
    title = "Linear random-feature teacher-student model: the four scaling regimes"
    config_type = RFConfig

    def cells(self, config):
        cells = []
        for regime in RF_REGIMES:
            xs = log_int_grid(config.variance_x if regime.startswith("variance") else config.resolution_x)
            cells += [RFCell(regime, x, k, config.alpha_K, config.S, config.fixed)
                      for x in xs for k in range(config.seeds)]
        return cells

    def run(self, cells, device):
        return [rf_draw_cell(c.regime, c.x, c.draw, c.alpha_K, c.S, c.fixed) for c in cells]

    def cost(self, cell):
        D, P = rf_regime_point(cell.regime, cell.x, cell.fixed)
        m = max(v for v in (D, P, cell.S) if math.isfinite(v))
        return 3e-10 * cell.S * m * m + 1e-3

    def analyse(self, rows, config):
        s = analyse_rf(rows, n_boot=config.n_boot)
        return {**{f"{k}_exponent": f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] (theory fitted in "
                                    f"the same window {v['theory_exponent_in_window']:.3f}, asymptotic "
                                    f"{v['expected']:.3f}; max |sim/theory - 1| = {v['max_rel_dev']:.3f})"
                    for k, v in s.items()}, "regimes": s}

    def figures(self, rows, summary, config, folder):
        if not summary.get("regimes"):
            return []
        return [_plot_rf(summary["regimes"], folder / "rf_regimes.png")]

    def report(self, rows, summary, config):
        tab = [[k, f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]", f"{v['theory_exponent_in_window']:.3f}",
                f"{v['expected']:.3f}", f"{v['max_rel_dev']:.3f}", str(v["window"]), v["n_draws"]]
               for k, v in summary.get("regimes", {}).items()]
        return "\n".join(["## Exponents of the four regimes\n", "\n".join(f"* {k}: {v}" for k, v in RF_REGIMES.items()),
                          f"\nBootstrap ({config.n_boot} resamples over draws) of the OLS log-log exponent over the "
                          "whole grid; the theory (rf_teacher_student_loss) fitted in the same window.\n",
                          "Intervals: " + "; ".join(sorted({v["interval_method"] for v in summary.get("regimes", {}).values()
                                                           if "interval_method" in v})) + ".\n",
                          md_table(["regime", "measured [95% CI]", "theory in window", "asymptotic",
                                    "max |sim/theory - 1|", "window", "draws"], tab)])


# --------------------------------------------------------------------------- Gram spectra + ID
def gram_id_cell(d, n, seed, window_lo=5, window_hi=None):
    """Laplace-kernel Gram spectrum exponent and ID estimates on a flat ``d``-torus.

    Examples
    --------
    >>> r = gram_id_cell(2, 300, seed=0)
    >>> r["window_lo"], r["window_hi"], round(r["levina_bickel"], 1)
    (5, 15, 2.0)
    """
    X = sample_manifold("torus", int(n), int(d), seed=int(seed))
    spec = gram_spectrum(X, "laplace")
    hi = window_hi or max(window_lo + 5, int(n) // 20)
    fit = fit_spectrum(spec.eigenvalues, window=(window_lo, hi))
    return {"alpha_K": fit.alpha_K, "alpha_K_stderr": fit.fit.stderr, "window_lo": window_lo, "window_hi": hi,
            "twonn": twonn(X).dimension, "levina_bickel": levina_bickel(X).dimension}


@dataclass(frozen=True)
class GramIDConfig:
    """Config of ``spectral-gram-id``: uniform points on flat d-tori (in R^2d), Laplace kernel (median bandwidth).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> protocol.get("spectral-gram-id").cells(GramIDConfig(dims=(2, 3), seeds=1))
    [GramIDCell(d=2, n=1200, seed=0, window_lo=5, window_hi=0), GramIDCell(d=3, n=1200, seed=0, window_lo=5, window_hi=0)]
    """

    dims: tuple[int, ...] = field(default=(1, 2, 3, 4, 6, 8), metadata={"ge": 1})
    n: int = field(default=1200, metadata={"ge": 20})
    seeds: int = field(default=2, metadata={"ge": 1})
    #: rank window of the Gram fits; window_hi = 0: max(window_lo + 5, n // 20)
    window_lo: int = field(default=5, metadata={"ge": 1})
    window_hi: int = field(default=0, metadata={"ge": 0})


@dataclass(frozen=True)
class GramIDCell:
    """One Gram-spectrum and intrinsic-dimension measurement: ``n`` points of a flat ``d``-torus, seed ``seed``.

    Examples
    --------
    >>> c = GramIDCell(d=2, n=300, seed=0, window_lo=5, window_hi=0)
    >>> round(gram_id_cell(c.d, c.n, c.seed, c.window_lo, c.window_hi or None)["twonn"], 1)
    2.1
    """

    kind: ClassVar[str] = "spectral-gram-id"

    d: int
    n: int
    seed: int
    window_lo: int
    window_hi: int


@protocol.experiment
class GramID(protocol.Experiment):
    name = "spectral-gram-id"
    description = "Laplace-kernel Gram spectra (alpha_K vs 1/d) and intrinsic dimension (TwoNN, Levina-Bickel) on " \
                  "d-tori"
    title = "Gram spectra and intrinsic dimension on flat tori"
    config_type = GramIDConfig

    def cells(self, config):
        return [GramIDCell(d, config.n, s, config.window_lo, config.window_hi)
                for d in config.dims for s in range(config.seeds)]

    def run(self, cells, device):
        out = []
        for c in cells:
            r = gram_id_cell(c.d, c.n, c.seed, c.window_lo, c.window_hi or None)
            # the window is the cell's; the upper end actually used (window_hi = 0: derived from n) is stored apart
            hi = r.pop("window_hi")
            r.pop("window_lo")
            out.append({**r, "fit_window_hi": hi})
        return out

    def cost(self, cell):
        return 2e-9 * cell.n**3 + 0.05

    def analyse(self, rows, config):
        recs = rows.to_dict("records")
        summ = {}
        for d in sorted({int(r["d"]) for r in recs}):
            rr = [r for r in recs if int(r["d"]) == d]
            summ[d] = {k: float(np.mean([float(r[k]) for r in rr])) for k in ("alpha_K", "twonn", "levina_bickel")}
        return {**{f"d={d}": f"alpha_K {s['alpha_K']:.3f} (1/d = {1 / d:.3f}); TwoNN {s['twonn']:.2f}; "
                             f"LB {s['levina_bickel']:.2f}" for d, s in summ.items()},
                "by_d": {str(d): v for d, v in summ.items()}}

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        summ = {int(d): v for d, v in summary.get("by_d", {}).items()}
        ds = sorted(summ)
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
        return [save_figure(fig, folder / "gram_id.png")]

    def report(self, rows, summary, config):
        tab = [[d, f"{v['alpha_K']:.3f}", f"{1 / int(d):.3f}", f"{v['twonn']:.2f}", f"{v['levina_bickel']:.2f}"]
               for d, v in summary.get("by_d", {}).items()]
        return "\n".join(["## Gram-spectrum exponent and intrinsic dimension (means over seeds)\n",
                          md_table(["d", "alpha_K", "1/d", "TwoNN", "Levina-Bickel"], tab)])


# --------------------------------------------------------------------------- interpolation (4/d)
def _smooth_target(X):
    """A smooth (C-infinity) test function on the unit cube."""
    return np.sin(2 * np.pi * X).sum(axis=1) + np.cos(np.pi * X[:, 0] * X[:, -1])


def interpolation_cell(d, D, seed, method, n_test=4000, margin=0.15):
    """MSE and L1 error of an interpolant of ``D`` uniform samples in ``[0,1]^d``.

    ``method``: ``"linear"`` (Delaunay piecewise-linear, the ``4/d`` model)
    or ``"nearest"`` (piecewise constant: MSE ``2/d``, L1 ``1/d``). Test
    points lie in ``[margin, 1 - margin]^d`` (away from the hull boundary).

    Examples
    --------
    >>> a = interpolation_cell(2, 1000, seed=0, method="linear", n_test=2000)
    >>> b = interpolation_cell(2, 4000, seed=0, method="linear", n_test=2000)
    >>> import math
    >>> round(math.log(a["mse"] / b["mse"]) / math.log(4), 1)     # 4/d = 2
    1.9
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


@dataclass(frozen=True)
class InterpolationConfig:
    """Config of ``spectral-interpolation``: interpolants of ``D`` uniform samples on ``[0,1]^d``.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("spectral-interpolation").cells(InterpolationConfig(dims=(2,), D=(250,), seeds=1))
    >>> [c.method for c in cells]
    ['linear', 'nearest']
    """

    dims: tuple[int, ...] = field(default=(2, 3, 4), metadata={"ge": 1})
    D: tuple[int, ...] = field(default=(250, 500, 1000, 2000, 4000), metadata={"ge": 2})
    seeds: int = field(default=2, metadata={"ge": 1})
    methods: tuple[str, ...] = field(default=("linear", "nearest"), metadata={"choices": ("linear", "nearest")})
    n_test: int = field(default=4000, metadata={"ge": 1})
    margin: float = field(default=0.15, metadata={"ge": 0, "lt": 0.5})
    n_boot: int = field(default=300, metadata={"ge": 100, "analysis": True})


@dataclass(frozen=True)
class InterpolationCell:
    """One interpolant: ``D`` uniform samples in ``[0,1]^d`` (seed ``seed``), ``method`` linear or nearest.

    Examples
    --------
    >>> c = InterpolationCell(d=2, D=250, seed=0, method="nearest", n_test=500, margin=0.15)
    >>> r = interpolation_cell(c.d, c.D, c.seed, c.method, c.n_test, c.margin)
    >>> r["n_used"], bool(r["mse"] > 0)
    (500, True)
    """

    kind: ClassVar[str] = "spectral-interpolation"

    d: int
    D: int
    seed: int
    method: str
    n_test: int
    margin: float


@protocol.experiment
class Interpolation(protocol.Experiment):
    name = "spectral-interpolation"
    description = "piecewise-linear / nearest-neighbour interpolants on d-cubes: error exponents vs 4/d, 2/d, 1/d " \
                  "(the manifold argument without an optimiser)"
    title = "Interpolants on d-cubes: the manifold exponents without an optimiser"
    config_type = InterpolationConfig

    def cells(self, config):
        return [InterpolationCell(d, D, s, m, config.n_test, config.margin)
                for d in config.dims for D in config.D for s in range(config.seeds) for m in config.methods]

    def run(self, cells, device):
        return [interpolation_cell(c.d, c.D, c.seed, c.method, c.n_test, c.margin) for c in cells]

    def cost(self, cell):
        return 2e-5 * cell.D * 2 ** cell.d + 1e-5 * cell.n_test * cell.d

    def analyse(self, rows, config):
        recs = rows.to_dict("records")
        summ = {}
        for d in sorted({int(r["d"]) for r in recs}):
            rb = resolution_limited(d)
            for method, metric, pred in [("linear", "mse", rb.mse_piecewise_linear),
                                         ("nearest", "mse", rb.mse_piecewise_constant),
                                         ("nearest", "l1", rb.lipschitz_l1)]:
                rr = [r for r in recs if int(r["d"]) == d and r["method"] == method]
                xs = np.array(sorted({int(r["D"]) for r in rr}), dtype=float)
                if xs.size < 3:
                    continue
                samples = [np.array([float(r[metric]) for r in rr if int(r["D"]) == x]) for x in xs]
                seeds = [[int(r["seed"]) for r in rr if int(r["D"]) == x] for x in xs]
                bf = bootstrap_powerlaw(xs, samples, window=(xs[0], xs[-1]), n_boot=config.n_boot, seed=3,
                                        seeds=seeds)
                summ[f"d={d} {method} {metric}"] = {"exponent": bf.exponent, "ci": list(bf.ci), "predicted": pred,
                                                    "ci_method": bf.ci_method, "n_seeds": bf.n_seeds,
                                                    "D": xs.tolist(), "mean": [float(s.mean()) for s in samples],
                                                    "sem": np.nan_to_num(bf.y_sem).tolist()}
        return {**{k: f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}] vs {v['predicted']:.3f}"
                   for k, v in summ.items()}, "fits": summ}

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        fig, ax = new_figure(width=5.5, height=4.0)
        for k, (name, v) in enumerate(summary.get("fits", {}).items()):
            m_, se = np.asarray(v["mean"], float), np.asarray(v.get("sem", np.zeros(len(v["D"]))), float)
            ax.errorbar(v["D"], m_, yerr=[np.minimum(se, 0.95 * m_), se], fmt="o-", ms=3, capsize=2, elinewidth=0.8,
                        color=f"C{k}", label=f"{name}: {v['exponent']:.2f} (pred. {v['predicted']:.2f})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("D")
        ax.set_ylabel("error")
        ax.legend(fontsize=6)
        return [save_figure(fig, folder / "interpolation.png")]

    def report(self, rows, summary, config):
        tab = [[k, f"{v['exponent']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]", f"{v['predicted']:.3f}"]
               for k, v in summary.get("fits", {}).items()]
        return "\n".join(["## Error exponents against the manifold predictions\n",
                          "Target sum sin(2 pi x) + cos(pi x_1 x_d); test points in the box [margin, 1 - margin]^d. "
                          f"Bootstrap ({config.n_boot} resamples over seeds) of the OLS log-log exponent over all D.\n",
                          md_table(["d, method, metric", "measured [95% CI]", "predicted"], tab)])


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
