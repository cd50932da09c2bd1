"""Reproductions of the Zipf-RHM note's network experiments (seed Figs. 2, 4, 6, 7), and ``rhm-curve``.

Every experiment here is a sweep of :class:`RHMSweep` (shipped specs
``scalinglab/specs/rhm-*.toml``): learning curves (an RHM + a network kind)
over a grid of P and seeds. The shipped figures use the seed's model
m = v = n_c = 10, s = 2, L = 3 (P* = n_c m^L = 10^4) and networks as in
Cagnetta et al. (PRX 14, 031001, 2024): a CNN of L layers with filter size =
stride = s, ReLU, a linear read-out, cross-entropy. Our training choices (the
seed gives none): Adam (lr 3e-3, batch 128), width h = 64, trained until the
mean training cross-entropy of an epoch falls below 1e-2 (or 300 epochs /
20000 steps), test error on fresh test data; the seeds of a (curve, P) are
trained stacked (one batched model). The patchwise perceptron cannot
interpolate, so its curves stop early on a fresh validation set instead
(``stop = "val"`` in the spec).

Every trained network is one row of a shared store ``OUT/../rhm-runs`` (the
reproductions share runs: Fig. 6's Zipf curves are Fig. 4's runs); each
reproduction exports the rows it uses to ``OUT/results.csv`` and draws its
figures from the stored rows (``--replot`` redraws without training).

``rhm-curve`` is the researcher's kind: any RHM (n_c, v, m, s, L, per-level
alpha / Zipf levels) and network, the measured test error against the path
theory's eps(P) and its exponent against alpha'/(1+alpha').

Choices the seed leaves open (stated in every output):
* Fig. 2 uses alpha = 1 on the Zipf levels.
* "Where the drop starts": the P at which the seed-averaged test error first
  falls below 90 % of chance (0.9 * (1 - 1/n_c) = 0.81), log-interpolated on
  the P grid; also the P where it falls below 0.5. The path theory's scale is
  that of the most frequent path, ``1/f_max = n_c / prod_l f^(l)_1``.
* Exponents: OLS on log-log of the seed-averaged error over a stated P window,
  95 % percentile bootstrap over seeds (scalinglab.theory.fitting).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, interval_method_text, powerlaw_fit
from scalinglab.validate import protocol
from scalinglab.validate.report import md_table
from scalinglab.validate.rhm._runs import (Curve, Net, RHMSizes, alpha_label, by_P, curve_cells, run_block)
from scalinglab.validate.train import TrainConfig

__all__ = ["RHMSweep", "onset", "path_scale", "split_table", "exponent_table", "demo_section"]

ONSET_FRAC = 0.9
#: Smallest split (test data with k seen paths, pooled over seeds) whose accuracy enters a summary.
MIN_SPLIT = 50


def _check_sweep(config, models):
    """Checks shared by the RHM sweep configs (:class:`RHMSweep` and ``SeedSweep``): non-empty curves, models
    and P, an ordered fit window, and every curve's RHM on every model (a one-line error naming the curve)."""
    if not config.curves:
        raise ValueError("curves: give at least one curve")
    if not models:
        raise ValueError("models: give at least one RHM size")
    if not config.P:
        raise ValueError("P: give at least one training-set size")
    if config.fit_window[0] >= config.fit_window[1]:
        raise ValueError(f"fit_window must be (lo, hi) with lo < hi, got {config.fit_window}")
    for md in models:
        for c in config.curves:
            md.alphas(c.alpha, c.zipf_levels)


@dataclass(frozen=True)
class RHMSweep:
    """Config of every RHM experiment: learning curves over a grid of P and seeds.

    Attributes
    ----------
    curves : tuple of Curve
        The curves (data model + network kind) of the sweep.
    P : tuple of int
        Training-set sizes.
    seeds : int
        Seeds 0..seeds-1 per (curve, P); a seed fixes rules, data, init and batch order.
    n_test : int
        Fresh test data per run.
    rhm : RHMSizes
        n_c, v, m, s, L shared by the curves.
    net : Net
        Network (a curve's ``model`` overrides its kind).
    train : TrainConfig
        Optimiser and stopping rule (a curve's ``stop`` overrides the rule).
    fit_window : (float, float)
        P window of the exponent fits (analysis only).
    n_boot : int
        Bootstrap resamples of the exponent intervals (analysis only).
    local_points : int
        Consecutive P of the sliding windows of the local-exponent table (analysis only; 4 on a doubling
        grid is a factor 8 in P).

    Examples
    --------
    >>> cfg = RHMSweep(curves=(Curve(alpha=2.0), Curve(alpha=-1.0)), P=(64, 256), seeds=3)
    >>> len(cfg.curve_cells(cfg.curves[0])), round(cfg.chance, 2), cfg.net
    (6, 0.9, Net(kind='cnn', width=64, depth=0))
    >>> from scalinglab.validate import protocol
    >>> len(protocol.get("rhm-fig6").cells(cfg))      # every curve x P x seed
    12
    """

    curves: tuple[Curve, ...]
    P: tuple[int, ...] = field(metadata={"ge": 1})
    seeds: int = field(default=2, metadata={"ge": 1})
    n_test: int = field(default=4096, metadata={"ge": 1})
    rhm: RHMSizes = RHMSizes()
    net: Net = Net()
    train: TrainConfig = TrainConfig()
    fit_window: tuple[float, float] = field(default=(16.0, 4096.0), metadata={"gt": 0, "analysis": True})
    n_boot: int = field(default=1000, metadata={"ge": 100, "analysis": True})
    local_points: int = field(default=4, metadata={"ge": 3, "analysis": True})

    def __post_init__(self):
        _check_sweep(self, (self.rhm,))

    def curve_cells(self, curve):
        return curve_cells(curve, self.rhm, self.net, self.train, self.n_test, self.P, self.seeds)

    @property
    def chance(self):
        return 1 - 1 / self.rhm.n_c


class _RHMExperiment(protocol.Experiment):
    config_type = RHMSweep
    shared_rows = "rhm-runs"
    uses_device = True

    def cells(self, config):
        return [c for cv in config.curves for c in config.curve_cells(cv)]

    def group(self, cell):
        # runs of equal shape train as one stack: every seed, and every Zipf exponent of a (sizes, P)
        return replace(cell, seed=0, alpha=())

    def run(self, cells, device):
        return run_block(cells, device)

    def notes(self, config):
        from scalinglab.validate.rhm._width import width_note

        return width_note(config)

    def run_checks(self, rows, config):
        return underfit_check(rows)

    def cost(self, cell):
        P, tr = cell.P, cell.train
        steps = min(tr.max_steps, tr.max_epochs * max(1, P // min(tr.batch_size, P)))
        per_step = 1.5e-3 * max(1.0, cell.net.width / 64) * (cell.spec().input_size / 8)
        return steps * per_step + 1e-5 * cell.n_test

    # shared analysis pieces ---------------------------------------------------
    @staticmethod
    def curves(rows, config):
        """``[(curve, first cell, rows of the curve)]`` with at least one stored row."""
        out = []
        for cv in config.curves:
            cells = config.curve_cells(cv)
            sub = protocol.select(rows, cells)
            if len(sub):
                out.append((cv, cells[0], sub))
        return out


def underfit_mask(rows):
    """Boolean array over ``rows``: the runs that ended **underfit**, with the training loss above their tolerance.

    A run stopped on the loss (``train.stop = "loss"``) that ends with ``train_loss > train.loss_tol`` hit its step
    or epoch budget before interpolating its training set: its test error is what an undertrained network gives,
    not the network's. (Runs stopped on a validation set are not counted: they may stop before interpolating.)

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"train_loss": [0.005, 0.29, 0.13], "train.loss_tol": [0.01] * 3,
    ...                      "train.stop": ["loss", "loss", "val"]})
    >>> underfit_mask(rows).tolist()
    [False, True, False]
    """
    import pandas as pd

    if not len(rows) or "train_loss" not in rows:
        return np.zeros(len(rows), bool)
    loss = pd.to_numeric(rows["train_loss"], errors="coerce").to_numpy(float)
    tol = pd.to_numeric(rows["train.loss_tol"], errors="coerce").to_numpy(float) if "train.loss_tol" in rows \
        else np.full(len(rows), np.nan)
    stop = rows["train.stop"].to_numpy() if "train.stop" in rows else np.full(len(rows), "loss")
    with np.errstate(invalid="ignore"):
        return (stop == "loss") & (loss > tol)


def underfit_check(rows):
    """``(summary fields, report notes)`` counting the underfit runs (:func:`underfit_mask`) of an RHM experiment.

    Fields: ``n_runs``, ``n_underfit`` and ``underfit`` (per network kind, width and P: the count and the largest
    final training loss against the tolerance).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"train_loss": [0.005, 0.29, 0.13], "train.loss_tol": [0.01] * 3,
    ...                      "train.stop": ["loss"] * 3, "net.kind": ["cnn", "fcn", "fcn"],
    ...                      "net.width": [256] * 3, "P": [4000, 40000, 80000]})
    >>> f, notes = underfit_check(rows)
    >>> f["n_underfit"], f["n_runs"], notes[0]
    (2, 3, '2 of 3 runs ended underfit (training loss above its tolerance at the step or epoch budget; their test error is that of an undertrained network): fcn h = 256 at P = 40000 (1, loss up to 0.29 vs 0.01), 80000 (1, loss up to 0.13 vs 0.01)')
    """
    bad = underfit_mask(rows)
    fields = {"n_runs": int(len(rows)), "n_underfit": int(bad.sum()), "underfit": []}
    if not bad.any():
        note = (f"0 of {len(rows)} runs ended underfit (every run stopped on the loss reached its training-loss "
                "tolerance)")
        return fields, [note]
    sub = rows.loc[bad]
    kind = sub["net.kind"] if "net.kind" in sub else ["?"] * len(sub)
    width = sub["net.width"] if "net.width" in sub else [0] * len(sub)
    groups = {}
    for k, w, P, loss, tol in zip(kind, width, sub["P"], sub["train_loss"], sub["train.loss_tol"]):
        g = groups.setdefault((str(k), int(w), int(P)), [0, 0.0, float(tol)])
        g[0] += 1
        g[1] = max(g[1], float(loss))
    fields["underfit"] = [{"net": k, "width": w, "P": P, "n": g[0], "max_train_loss": g[1], "loss_tol": g[2]}
                          for (k, w, P), g in sorted(groups.items())]
    parts = {}
    for (k, w, P), g in sorted(groups.items()):
        parts.setdefault((k, w), []).append(f"{P} ({g[0]}, loss up to {g[1]:.2g} vs {g[2]:g})")
    note = (f"{int(bad.sum())} of {len(rows)} runs ended underfit (training loss above its tolerance at the step or "
            "epoch budget; their test error is that of an undertrained network): " +
            "; ".join(f"{k} h = {w} at P = " + ", ".join(v) for (k, w), v in parts.items()))
    return fields, [note]


def _methods(records):
    """The interval methods of table records (``interval_method``), each once, for a report's method line."""
    ms = list(dict.fromkeys(r["interval_method"] for r in records if r.get("interval_method")))
    return "; ".join(ms) if ms else "95 % bootstrap over whole seeds"


def onset(P, err, level):
    """First P where ``err`` falls below ``level``, log-interpolated (nan if never; P[0] if at once).

    Examples
    --------
    >>> round(onset([16, 64, 256], [0.9, 0.85, 0.5], level=0.81), 1)    # between 64 and 256, log-interpolated
    75.0
    >>> onset([16, 64], [0.9, 0.85], level=0.81)
    nan
    """
    P, err = np.asarray(P, float), np.asarray(err, float)
    below = np.flatnonzero(err < level)
    if below.size == 0:
        return float("nan")
    i = below[0]
    if i == 0:
        return float(P[0])
    x0, x1, e0, e1 = math.log(P[i - 1]), math.log(P[i]), err[i - 1], err[i]
    return float(math.exp(x0 + (e0 - level) / (e0 - e1) * (x1 - x0)))


def path_scale(spec):
    """Training-set scale of the most frequent path, ``n_c / prod_l f^(l)_1`` (seed eq. 6).

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> round(path_scale(RHMSpec.make(alpha=1.0)), 1), round(path_scale(RHMSpec.make(alpha=-1.0)))
    (37.2, 10000)
    """
    return float(spec.n_c / np.prod([spec.level_probs(l)[0] for l in range(1, spec.L + 1)]))


def _theory_eps(spec, P):
    from scalinglab.theory.rhm import learning_curve

    return learning_curve(spec, np.asarray(P, float)).eps


def _fmt(x, nd=3):
    return "nan" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{nd}g}"


def _means(errs):
    return np.array([e.mean() for e in errs])


def seed_sem(errs):
    """Standard error of the seed mean at each point (0 with one seed); ``errs``: per-point seed arrays, or a
    matrix ``[seed, point]`` (NaN = missing).

    >>> seed_sem([np.array([1.0, 3.0]), np.array([2.0])]).tolist()
    [1.0, 0.0]
    """
    if isinstance(errs, np.ndarray) and errs.ndim == 2:
        errs = [c[np.isfinite(c)] for c in errs.T]
    return np.array([np.std(e, ddof=1) / np.sqrt(e.size) if e.size > 1 else 0.0 for e in errs])


def seed_errorbar(ax, x, mean, sem, fmt, logy=True, **kw):
    """Seed means with +-1 s.e. error bars across seeds (clipped above 0 on a log axis)."""
    mean, sem = np.asarray(mean, float), np.nan_to_num(np.asarray(sem, float))
    lo = np.minimum(sem, 0.95 * mean) if logy else sem
    return ax.errorbar(x, mean, yerr=[lo, sem], fmt=fmt, capsize=2, elinewidth=0.8, **kw)


def _save(fig, folder, name):
    from scalinglab.validate.plots import save_figure

    return save_figure(fig, folder / f"{name}.png")


# --------------------------------------------------------------------------- Fig. 6 / rhm-curve (exponents)
def _curve_name(cell):
    a = cell.alpha
    name = f"alpha={a[0]:g}" if len(set(a)) == 1 and a[0] != -1.0 else alpha_label(a)
    return name if cell.net.kind == "cnn" else f"{cell.net.kind} {name}"


def exponent_table(rows, config):
    """Measured learning-curve exponents (bootstrap CI) against the path theory, one record per Zipf curve.

    For each curve with a Zipf level: the exponent of the seed-averaged test
    error fitted over ``config.fit_window`` (restricted to P with a non-zero
    mean error), its 95 % bootstrap interval, the predicted
    ``alpha'/(1+alpha')`` (theory.rhm, alpha' over the full per-class
    spectrum), and the exponent of the theory's ``eps(P)`` fitted over the
    same P points.

    Examples
    --------
    >>> import pandas as pd
    >>> from scalinglab.validate.protocol import cell_key
    >>> cfg = RHMSweep(curves=(Curve(alpha=2.0),), P=(16, 64, 256, 1024), seeds=5, n_boot=200)
    >>> rows = pd.DataFrame([{"key": cell_key(c), "P": c.P, "seed": c.seed,
    ...                       "test_err": 0.9 * c.P**-0.45 * (1 + 0.01 * c.seed)}       # synthetic: exponent 0.45
    ...                      for c in cfg.curve_cells(cfg.curves[0])])
    >>> t = exponent_table(rows, cfg)[0]
    >>> t["curve"], round(t["measured"], 3), round(t["predicted"], 3), round(t["eps_exponent"], 3)
    ('alpha=2', 0.45, 0.561, 0.446)
    """
    from scalinglab.theory.rhm import alpha_prime

    out = []
    window = config.fit_window
    for cv, c0, sub in _RHMExperiment.curves(rows, config):
        if all(a == -1.0 for a in c0.alpha):
            continue
        P, errs, seeds = by_P(sub, with_seeds=True)
        mean = _means(errs)
        ok = (P >= window[0]) & (P <= window[1]) & (mean > 0)
        rec = {"curve": _curve_name(c0), "label": c0.label,
               "window": (float(P[ok].min()), float(P[ok].max())) if ok.sum() >= 2 else None}
        spec = c0.spec()
        ap = alpha_prime(spec)
        rec["alpha_prime"] = ap.alpha_prime
        rec["predicted"] = ap.predicted_exponent
        if ok.sum() >= 3:
            b = bootstrap_powerlaw(P[ok], [errs[i] for i in np.flatnonzero(ok)], window=rec["window"],
                                   n_boot=config.n_boot, seeds=[seeds[i] for i in np.flatnonzero(ok)])
            rec.update(measured=b.exponent, ci=b.ci, stderr=b.fit.stderr, ci_method=b.ci_method, n_seeds=b.n_seeds,
                       interval_method=interval_method_text(b.n_seeds, b.n_boot, b.level, expanded=b.expanded))
            eps = _theory_eps(spec, P[ok])
            rec["eps_exponent"] = powerlaw_fit(P[ok], eps).exponent
            rec["err_over_eps"] = (mean[ok] / eps).tolist()
            rec["P_fit"] = P[ok].tolist()
        else:
            rec.update(measured=float("nan"), ci=(float("nan"), float("nan")), eps_exponent=float("nan"),
                       note=f"fewer than 3 P with results in the window {window}")
        out.append(rec)
    return out


def local_windows(P, errs, spec, k, n_boot, seeds=None):
    """Local exponents of one learning curve: the seed-mean fit on every run of ``k`` consecutive P.

    ``P`` ascending, ``errs`` the per-seed errors at each P (``seeds`` their
    seed labels; without them every P must hold the same seeds in the same
    order); P with a zero mean error end a run. Each window: the measured exponent (OLS log-log of the
    seed mean) with its 95 % bootstrap interval over seeds, and the exponent
    of the theory's eps(P) of ``spec`` on the same P.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> P = np.array([16.0, 32, 64, 128, 256])
    >>> errs = [np.array([0.9, 1.1]) * p**-0.5 for p in P]             # two seeds of an exact P^-0.5
    >>> w = local_windows(P, errs, RHMSpec.make(alpha=1.0), k=4, n_boot=200)
    >>> [(v["P_lo"], v["P_hi"], round(v["measured"], 6)) for v in w]
    [(16.0, 128.0, 0.5), (32.0, 256.0, 0.5)]
    """
    mean = _means(errs)
    good = np.flatnonzero(mean > 0)
    wins = []
    for i in range(len(good) - k + 1):
        idx = good[i:i + k]
        if np.any(np.diff(idx) != 1):
            continue
        Pw = P[idx]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FewSeedsWarning: the reports state the seeds
            b = bootstrap_powerlaw(Pw, [errs[j] for j in idx], n_boot=n_boot,
                                   seeds=None if seeds is None else [seeds[j] for j in idx])
        eps = powerlaw_fit(Pw, _theory_eps(spec, Pw)).exponent
        wins.append({"P_lo": float(Pw[0]), "P_hi": float(Pw[-1]), "P_mid": float(np.exp(np.log(Pw).mean())),
                     "measured": b.exponent, "ci": list(b.ci), "ci_method": b.ci_method, "eps_exponent": eps})
    return wins


def _local_spans(curves):
    """Rows of a local-exponent table: ``[(span label, [window of each curve or None])]``, spans ascending.

    ``curves``: lists of windows (:func:`local_windows`), one per table column.
    """
    spans = sorted({(v["P_lo"], v["P_hi"]) for w in curves for v in w})
    by_span = [{(v["P_lo"], v["P_hi"]): v for v in w} for w in curves]
    return [(f"{lo:g}-{hi:g}", [b.get((lo, hi)) for b in by_span]) for lo, hi in spans]


def _plot_local(ax, windows, color, label):
    """Measured local exponents of ``windows`` (:func:`local_windows`) against the window centre, with their
    intervals; returns the centres."""
    x = np.array([v["P_mid"] for v in windows])
    y = np.array([v["measured"] for v in windows])
    lo, hi = (np.array([v["ci"][j] for v in windows]) for j in (0, 1))
    ax.errorbar(x, y, yerr=[np.maximum(y - lo, 0), np.maximum(hi - y, 0)], fmt="o-", ms=3, capsize=2,
                color=color, label=label)
    return x


def local_exponent_table(rows, config):
    """Local learning-curve exponents: the fit of :func:`exponent_table` on sliding windows.

    For each Zipf curve, every run of ``config.local_points`` consecutive P
    (with a non-zero mean error) is one window: the measured exponent with its
    95 % bootstrap interval over seeds and the exponent of the theory's eps(P)
    on the same P points (:func:`local_windows`). A single fit window hides
    where measurement and theory part; this table shows whether a gap is a
    property of the whole curve or of one range of P.
    """
    out = []
    for cv, c0, sub in _RHMExperiment.curves(rows, config):
        if all(a == -1.0 for a in c0.alpha):
            continue
        P, errs, seeds = by_P(sub, with_seeds=True)
        out.append({"curve": _curve_name(c0),
                    "windows": local_windows(P, errs, c0.spec(), config.local_points, config.n_boot, seeds)})
    return out


class _ExponentExperiment(_RHMExperiment):
    figure_name = "rhm_curves"

    def analyse(self, rows, config):
        tab = exponent_table(rows, config)
        summary = {f"exponent[{r['curve']}]": {"measured": r["measured"], "ci": list(r["ci"]),
                                               "predicted": r["predicted"], "eps_fit": r["eps_exponent"],
                                               "window": r["window"], "ci_method": r.get("ci_method"),
                                               "n_seeds": r.get("n_seeds")} for r in tab}
        summary["table"] = tab
        summary["local"] = local_exponent_table(rows, config)
        return summary

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure, plt, slope_triangle

        fig, ax = new_figure(width=6)
        cols = plt.get_cmap("tab10")
        for i, (cv, c0, sub) in enumerate(self.curves(rows, config)):
            P, errs = by_P(sub)
            if P.size == 0:
                continue
            mean = _means(errs)
            good = mean > 0
            seed_errorbar(ax, P[good], mean[good], seed_sem(errs)[good], "o-", color=cols(i % 10), ms=3,
                          label=_curve_name(c0))
            Pf = np.geomspace(P.min(), P.max(), 60)
            ax.plot(Pf, _theory_eps(c0.spec(), Pf), "--", color=cols(i % 10), lw=0.8)
            for rec in summary.get("table", []):
                if rec["curve"] == _curve_name(c0) and rec["window"] and math.isfinite(rec["predicted"]) \
                        and rec.get("P_fit"):
                    P0 = rec["window"][0]
                    y0 = np.interp(np.log(P0), np.log(rec["P_fit"]), np.array(rec["err_over_eps"]) *
                                   _theory_eps(c0.spec(), rec["P_fit"])) * 0.5
                    slope_triangle(ax, P0, y0, -rec["predicted"], width_decades=0.6, color=cols(i % 10),
                                   label=f"{rec['predicted']:.2f}")
        ax.set(xscale="log", yscale="log", xlabel="training-set size P", ylabel="test error",
               title=f"{config.net.kind.upper()}, RHM n_c={config.rhm.n_c} v={config.rhm.v} m={config.rhm.m} "
                     f"s={config.rhm.s} L={config.rhm.L} (dashed: eps(P))")
        ax.legend(fontsize=7)
        paths = [_save(fig, folder, self.figure_name)]
        local = [c for c in summary.get("local", []) if c["windows"]]
        if local:
            fig, ax = new_figure(width=6)
            pred = {r["curve"]: r["predicted"] for r in summary.get("table", [])}
            for i, c in enumerate(local):
                col = cols(i % 10)
                x = _plot_local(ax, c["windows"], col, f"{c['curve']} measured")
                ax.plot(x, [v["eps_exponent"] for v in c["windows"]], "--", color=col, lw=1,
                        label=f"{c['curve']} eps(P)")
                if math.isfinite(pred.get(c["curve"], float("nan"))):
                    ax.axhline(pred[c["curve"]], color=col, ls=":", lw=0.8)
            ax.set(xscale="log", xlabel="window centre (geometric mean of its P)",
                   ylabel="local exponent of the test error",
                   title=f"local exponents, windows of {config.local_points} consecutive P, 95 % bootstrap "
                         "(dotted: alpha'/(1+alpha'))")
            ax.title.set_fontsize(8)
            ax.legend(fontsize=6, ncol=2)
            paths.append(_save(fig, folder, f"{self.figure_name}_local"))
        return paths

    def report(self, rows, summary, config):
        lines = ["## Exponents\n",
                 f"Fit: OLS of log(mean test error) on log P over the window (P with non-zero error inside "
                 f"{tuple(config.fit_window)}); interval: {_methods(summary.get('table', []))}. "
                 "alpha': theory.rhm.alpha_prime over the full per-class spectrum [1, m^L]. eps exponent: the same "
                 "fit applied to the theory's eps(P) on the same P points. Figure: test error vs P; dashed eps(P); "
                 "triangles: predicted alpha'/(1+alpha').\n"]
        tab = []
        for rec in summary.get("table", []):
            ci = rec["ci"]
            tab.append([rec["curve"], _fmt(rec["alpha_prime"]), _fmt(rec["predicted"]),
                        f"{_fmt(rec['measured'])} [{_fmt(ci[0])}, {_fmt(ci[1])}]", _fmt(rec["eps_exponent"]),
                        str(rec["window"]), " ".join(_fmt(x, 2) for x in rec.get("err_over_eps", []))])
        lines.append(md_table(["curve", "alpha'", "alpha'/(1+alpha')", "measured [95% CI]", "eps(P) exponent",
                               "P window", "err/eps on the window"], tab))
        local = [c for c in summary.get("local", []) if c["windows"]]
        if local:
            lines.append(f"\n## Local exponents\n\nThe same fit on sliding windows of {config.local_points} "
                         "consecutive P (with non-zero mean error): measured [95 % interval over whole seeds, the "
                         "same method as above] / eps(P) "
                         f"on the same P (figure `{self.figure_name}_local.png`).\n")
            tab = [[span] + ["" if v is None else f"{_fmt(v['measured'])} [{_fmt(v['ci'][0])}, "
                             f"{_fmt(v['ci'][1])}] / {_fmt(v['eps_exponent'])}" for v in vs]
                   for span, vs in _local_spans([c["windows"] for c in local])]
            lines.append(md_table(["P window"] + [f"{c['curve']}: measured [CI] / eps" for c in local], tab))
        return "\n".join(lines)


@protocol.experiment
class Fig6(_ExponentExperiment):
    name = "rhm-fig6"
    description = "seed Fig. 6: CNN test error vs P, Zipf on all levels, slope alpha'/(1+alpha') and eps(P)"
    title = "Seed Fig. 6: learning-curve exponents against the path theory"
    figure_name = "rhm_fig6"


@protocol.experiment
class RHMCurve(_ExponentExperiment):
    name = "rhm-curve"
    description = "your RHM learning curves (any n_c, v, m, s, L, per-level alpha, network) vs eps(P) and " \
                  "alpha'/(1+alpha')"
    title = "RHM learning curves against the path theory"


# --------------------------------------------------------------------------- Fig. 2
@protocol.experiment
class Fig2(_RHMExperiment):
    name = "rhm-fig2"
    description = "seed Fig. 2: CNN test error vs P, uniform RHM vs Zipf (alpha=1) on level 3, 2-3, 1-3"
    title = "Seed Fig. 2: where the test error starts to drop"

    def analyse(self, rows, config):
        summary, table = {}, []
        for cv, c0, sub in self.curves(rows, config):
            P, errs = by_P(sub)
            mean = _means(errs)
            on, half = onset(P, mean, ONSET_FRAC * config.chance), onset(P, mean, 0.5)
            key = "uniform" if all(a == -1.0 for a in c0.alpha) else \
                "-".join(str(i + 1) for i, a in enumerate(c0.alpha) if a != -1.0)
            summary[f"onset_P[{key}]"] = round(on, 1) if math.isfinite(on) else None
            summary[f"half_P[{key}]"] = round(half, 1) if math.isfinite(half) else None
            table.append([c0.label, _fmt(path_scale(c0.spec())), _fmt(on), _fmt(half), _fmt(float(mean[0])),
                          _fmt(float(mean[-1])), f"{int(P[0])}-{int(P[-1])}", int(min(e.size for e in errs))])
        summary["table"] = table
        return summary

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        fig, ax = new_figure(width=6)
        styles = [":", "-.", "--", "-"]
        for i, (cv, c0, sub) in enumerate(self.curves(rows, config)):
            P, errs = by_P(sub)
            mean = _means(errs)
            sem = np.array([e.std(ddof=1) / math.sqrt(e.size) if e.size > 1 else 0 for e in errs])
            fmt = "-k" if all(a == -1.0 for a in c0.alpha) else styles[i % len(styles)]
            ax.errorbar(P, mean, yerr=sem, fmt=fmt + "o", ms=3, capsize=2, label=c0.label)
        ax.axhline(config.chance, color="grey", lw=0.8, ls="--")
        ax.axvline(config.rhm.spec([-1.0] * config.rhm.L).P_star, color="grey", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="training-set size P", ylabel="test error",
               title=f"RHM m={config.rhm.m} v={config.rhm.v} n_c={config.rhm.n_c}, s={config.rhm.s}, "
                     f"L={config.rhm.L}; {config.net.kind.upper()}")
        ax.legend(fontsize=7)
        return [_save(fig, folder, "rhm_fig2")]

    def report(self, rows, summary, config):
        alphas = sorted({a for cv in config.curves for a in np.atleast_1d(cv.alpha) if a != -1.0})
        return "\n".join([
            "## Test error against P\n",
            f"Onset: P where the seed-averaged error first falls below {ONSET_FRAC:g} x chance "
            f"= {ONSET_FRAC * config.chance:.3g} (log-interpolated). Path scale: n_c / prod_l f_1 (seed eq. 6). "
            f"Zipf alpha = {', '.join(f'{a:g}' for a in alphas)}. Figure: mean +- s.e.m. over seeds.\n",
            md_table(["configuration", "path scale 1/f_max", "onset P", "P at err 0.5", "err at P_min",
                      "err at P_max", "P range", "seeds"], summary.get("table", []))])


# --------------------------------------------------------------------------- Fig. 4 / 7 (split accuracy)
def split_table(rows, K):
    """Pooled split accuracy of the rows of one curve: ``{P: (acc_k array (K+1,), n_k array)}`` over seeds.

    Examples
    --------
    >>> rows = [{"P": 64, "seed": s, "n_0": 10, "acc_0": 0.1, "n_1": 30, "acc_1": 0.5, "n_2": 60, "acc_2": 0.9}
    ...         for s in range(2)]                     # K = 2 paths per datum, 2 seeds
    >>> split_table(rows, K=2)
    {64: (array([0.1, 0.5, 0.9]), array([ 20.,  60., 120.]))}
    """
    import pandas as pd

    out = {}
    recs = rows.to_dict("records") if hasattr(rows, "to_dict") else rows
    for r in recs:
        def val(k, name):
            v = r.get(f"{name}_{k}")
            return 0.0 if v is None or pd.isna(v) else float(v)

        n = np.array([val(k, "n") for k in range(K + 1)], float)
        acc = np.array([val(k, "acc") for k in range(K + 1)], float)
        tot_n, tot_c = out.get(int(r["P"]), (np.zeros(K + 1), np.zeros(K + 1)))
        out[int(r["P"])] = (tot_n + n, tot_c + acc * n)
    return {P: (np.where(n > 0, c / np.maximum(n, 1), np.nan), n) for P, (n, c) in sorted(out.items())}


def _split_panel(ax, tab, K, ls="-", label_prefix=""):
    from scalinglab.validate.plots import plt

    cmap = plt.get_cmap("viridis")
    Ps = np.array(sorted(tab))
    for k in range(K + 1):
        acc = np.array([tab[P][0][k] for P in Ps])
        n = np.array([tab[P][1][k] for P in Ps])
        ok = n > 0
        if not ok.any():
            continue
        col = cmap(k / max(K, 1))
        ax.plot(Ps[ok], acc[ok], ls, color=col, lw=1, label=f"{label_prefix}{k} seen")
        ax.scatter(Ps[ok], acc[ok], s=4 * np.log10(n[ok]) ** 2 + 2, color=col)
    ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="P")


def _seen_check(rows, spec):
    """Measured fraction of test data with k seen paths vs theory's seen_paths_distribution."""
    from scalinglab.theory.rhm import seen_paths_distribution

    per = {}
    for r in rows.to_dict("records"):
        n = np.array([r.get(f"n_{k}") or 0 for k in range(spec.K + 1)], float)
        per.setdefault(int(r["P"]), []).append(n / n.sum())
    Ps = np.array(sorted(per), float)
    meas = np.array([np.mean(per[int(P)], axis=0) for P in Ps])
    se = np.array([np.std(per[int(P)], axis=0, ddof=1) / np.sqrt(len(per[int(P)])) if len(per[int(P)]) > 1
                   else np.full(spec.K + 1, np.nan) for P in Ps])
    th = seen_paths_distribution(spec, Ps, n_test=2000, seed=1)
    return Ps, meas, se, th


def _rounded(acc):
    return [None if not np.isfinite(x) else round(float(x), 3) for x in acc]


@protocol.experiment
class Fig4(_RHMExperiment):
    name = "rhm-fig4"
    description = "seed Fig. 4: CNN accuracy split by number of seen paths (of K=4), several alpha"
    title = "Seed Fig. 4: accuracy split by the number of seen paths"

    def analyse(self, rows, config):
        summary, check = {}, []
        for cv, c0, sub in self.curves(rows, config):
            spec = c0.spec()
            tab = split_table(sub, spec.K)
            P_mid = sorted(tab)[len(tab) // 2]
            a = c0.alpha[0]
            summary[f"acc_by_k[alpha={a:g}, P={P_mid}]"] = _rounded(tab[P_mid][0])
            Ps, meas, se, th = _seen_check(sub, spec)
            dev = float(np.abs(meas - th.pk).max())
            seed_se = float(np.nanmax(se)) if np.isfinite(se).any() else float("nan")
            check.append([c0.label, _fmt(dev), _fmt(seed_se), _fmt(float(np.abs(th.pk - th.binomial).max()))])
            summary[f"max|p_k meas - theory|[alpha={a:g}]"] = round(dev, 4)
        summary["seen_check"] = check
        return summary

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        curves = self.curves(rows, config)
        fig, axes = new_figure(ncols=len(curves), width=3.6, height=3.2)
        axes = np.atleast_1d(axes).ravel()
        for ax, (cv, c0, sub) in zip(axes, curves):
            K = c0.spec().K
            _split_panel(ax, split_table(sub, K), K)
            ax.set_title(alpha_label(c0.alpha), fontsize=8)
        axes[0].legend(fontsize=6)
        axes[0].set_ylabel("test accuracy of the split")
        return [_save(fig, folder, "rhm_fig4")]

    def report(self, rows, summary, config):
        return "\n".join([
            "## Split accuracy\n",
            "Accuracy of the test data with k of their K paths seen (position-specific) in training, pooled over "
            "seeds; marker size ~ log of the split's size.\n",
            "## Check: distribution of the number of seen paths against the theory\n",
            "Measured fraction of test data with k seen paths (pooled over seeds: one training set each) against "
            "scalinglab.theory.rhm.seen_paths_distribution (exact over training sets); the binomial (independent "
            "paths) column shows how much the shared upper choices matter. With few seeds the measured fractions "
            "fluctuate with the training set (s.e. column); tests/test_rhm_validate.py checks the agreement over 60 "
            "training sets.\n",
            md_table(["configuration", "max_k,P |measured - exact|", "max_k,P s.e. between seeds",
                      "max_k,P |exact - binomial|"], summary.get("seen_check", []))])


def _by_alpha(rows, config):
    """``{alpha: {model: (first cell, rows)}}`` of the curves with rows (Fig. 7's pairs)."""
    out = {}
    for cv, c0, sub in _RHMExperiment.curves(rows, config):
        out.setdefault(c0.alpha[0], {})[c0.net.kind] = (c0, sub)
    return out


@protocol.experiment
class Fig7(_RHMExperiment):
    name = "rhm-fig7"
    description = "seed Fig. 7: CNN against a patchwise perceptron, split accuracy, alpha = 0.5, 2, 4"
    title = "Seed Fig. 7: CNN against the patchwise perceptron"

    def analyse(self, rows, config):
        summary, table = {}, []
        for a, pair in _by_alpha(rows, config).items():
            if "cnn" not in pair or "perceptron" not in pair:
                continue
            K = pair["cnn"][0].spec().K
            tabs = {m: split_table(pair[m][1], K) for m in ("cnn", "perceptron")}
            errs = {m: by_P(pair[m][1]) for m in ("cnn", "perceptron")}
            for i, P in enumerate(errs["cnn"][0]):
                j = np.flatnonzero(errs["perceptron"][0] == P)
                if j.size:
                    table.append([f"{a:g}", int(P), _fmt(errs["cnn"][1][i].mean()),
                                  _fmt(errs["perceptron"][1][j[0]].mean())])
            diffs = []
            for P in [P for P in tabs["cnn"] if P in tabs["perceptron"]]:  # splits >= MIN_SPLIT in both
                big = (tabs["cnn"][P][1] >= MIN_SPLIT) & (tabs["perceptron"][P][1] >= MIN_SPLIT)
                if big.any():
                    diffs.append((P, float(np.max(np.abs(tabs["cnn"][P][0] - tabs["perceptron"][P][0])[big]))))
            if diffs:
                summary[f"split-acc gap cnn-perceptron by P [alpha={a:g}]"] = {P: round(d, 3) for P, d in diffs}
        summary["table"] = table
        return summary

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        groups = _by_alpha(rows, config)
        fig, axes = new_figure(ncols=max(1, len(groups)), width=3.6, height=3.2)
        axes = np.atleast_1d(axes).ravel()
        for ax, (a, pair) in zip(axes, groups.items()):
            for m, ls in (("cnn", "-"), ("perceptron", ":")):
                if m in pair:
                    _split_panel(ax, split_table(pair[m][1], pair[m][0].spec().K), pair[m][0].spec().K, ls=ls,
                                 label_prefix=f"{m[:4]} ")
            ax.set_title(f"zipf a={a:g} on all levels; CNN solid, perceptron dotted", fontsize=7)
        axes[0].legend(fontsize=5, ncol=2)
        axes[0].set_ylabel("test accuracy of the split")
        return [_save(fig, folder, "rhm_fig7")]

    def report(self, rows, summary, config):
        return "\n".join([
            "## Split accuracy, CNN vs patchwise perceptron\n",
            "Figure: split accuracy, CNN (solid) vs perceptron (dotted). Headline: largest |CNN - perceptron| split "
            f"accuracy at each P over splits with >= {MIN_SPLIT} test data in both.\n",
            md_table(["alpha", "P", "CNN test error", "perceptron test error"], summary.get("table", []))])


# --------------------------------------------------------------------------- CNN vs FCN (seed section 2)
@protocol.experiment
class FCN(_RHMExperiment):
    name = "rhm-fcn"
    description = "seed section 2 / Cagnetta et al.: CNN against a fully connected net on the uniform RHM"
    title = "CNN against FCN on the uniform RHM"

    def analyse(self, rows, config):
        summary, curves = {}, {}
        for cv, c0, sub in self.curves(rows, config):
            P, errs = by_P(sub)
            curves[c0.net.kind] = (P, errs)
            half = onset(P, _means(errs), 0.5)
            summary[f"half_P[{c0.net.kind}]"] = round(half, 1) if math.isfinite(half) else None
            summary[f"not_converged[{c0.net.kind}]"] = int((~sub["converged"].astype(bool)).sum())
        table = []
        if "cnn" in curves and "fcn" in curves:
            (Pc, ec), (Pf, ef) = curves["cnn"], curves["fcn"]
            for i, P in enumerate(Pc):
                j = np.flatnonzero(Pf == P)
                if j.size:
                    table.append([int(P), _fmt(ec[i].mean()), _fmt(ef[j[0]].mean())])
        summary["table"] = table
        return summary

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        fig, ax = new_figure(width=6)
        for cv, c0, sub in self.curves(rows, config):
            P, errs = by_P(sub)
            lab = f"FCN ({c0.net.depth or c0.rhm.L} hidden layers)" if c0.net.kind == "fcn" else \
                c0.net.kind.upper()
            seed_errorbar(ax, P, _means(errs), seed_sem(errs), "o-", logy=False, ms=3, label=lab)
        ax.axvline(config.rhm.n_c * config.rhm.m ** config.rhm.L, color="grey", lw=0.8, ls=":")
        ax.set(xscale="log", xlabel="training-set size P", ylabel="test error",
               title=f"uniform RHM, m={config.rhm.m} v={config.rhm.v} n_c={config.rhm.n_c}, s={config.rhm.s}, "
                     f"L={config.rhm.L}")
        ax.legend(fontsize=7)
        return [_save(fig, folder, "rhm_fcn")]

    def report(self, rows, summary, config):
        return "\n".join([
            "## Test error against P\n",
            "P* = n_c m^L (dotted). The seed says an FCN needs about 2^L P*; Cagnetta et al. find its sample "
            "complexity grows much faster than the CNN's. FCN runs that hit the step budget are counted in the "
            "headline (not_converged).\n",
            md_table(["P", "CNN test error", "FCN test error"], summary.get("table", []))])


# --------------------------------------------------------------------------- demo section
def demo_section(report, quick=False):
    """A small CPU validation: CNN on Zipf (alpha=2, all levels) against eps(P)."""
    import time

    import torch

    from scalinglab.validate.plots import new_figure

    t0 = time.perf_counter()
    torch.manual_seed(0)
    a = 2.0
    P_grid = [32, 128] if quick else [32, 128, 512, 2048, 8192]
    seeds = 1 if quick else 2
    n_test = 1024 if quick else 2048
    net, train, sizes = Net(width=32), TrainConfig(), RHMSizes()
    rows = []
    for P in P_grid:
        cells = curve_cells(Curve(alpha=a), sizes, net, train, n_test, [P], seeds)
        rows += run_block(cells, "cpu")
        for r, c in zip(rows[-len(cells):], cells):
            r["P"] = c.P
    spec = cells[0].spec()
    P, errs = by_P(rows)
    _, seen = by_P(rows, "seen_frac")
    mean = _means(errs)
    eps = _theory_eps(spec, P)
    lines = [f"RHM validation (CNN h={net.width}, {spec.describe()}, {seeds} seed(s), n_test={n_test}):",
             "     P   test err   eps(P)   unseen-path frac"]
    tab = []
    for i in range(P.size):
        uns = 1 - seen[i].mean()
        lines.append(f"{int(P[i]):6d}   {mean[i]:.4f}    {eps[i]:.4f}   {uns:.4f}")
        tab.append([int(P[i]), float(mean[i]), float(eps[i]), float(uns)])
    report.section("RHM: networks against the path theory")
    report.text(f"CNN (L=3, filter = stride = 2, width {net.width}) trained with Adam to train loss < "
                f"{train.loss_tol:g} on {spec.describe()}; test error on fresh data against Hutter's seen-path error "
                "eps(P) of theory.rhm, and the measured fraction of test paths not seen in training (its "
                "expectation is exactly eps(P)).")
    report.table(["P", "test error", "eps(P)", "unseen-path fraction"], tab)
    if P.size >= 2:
        fig, ax = new_figure()
        lo = np.array([e.min() for e in errs])
        hi = np.array([e.max() for e in errs])
        spread = f"bars: range over {seeds} seeds" if seeds > 1 else "one seed: no bars"
        ax.errorbar(P, mean, yerr=np.vstack([mean - lo, hi - mean]) if seeds > 1 else None, fmt="o-", capsize=3,
                    label=f"CNN test error (mean; {spread})")
        ax.plot(P, eps, "--", label="eps(P) (path theory)")
        ax.plot(P, [1 - s.mean() for s in seen], "x:", label="unseen-path fraction")
        ax.set(xscale="log", yscale="log", xlabel="P (training set size)", ylabel="error")
        ax.set_title(f"RHM: CNN (h = {net.width}) against the path theory, alpha = {a:g}", fontsize=9)
        ax.legend(fontsize=7)
        report.figure(fig, "rhm_demo_validation", f"CNN test error (mean over {seeds} seed(s); {spread}) and eps(P)")
    if P.size >= 3 and np.all(mean > 0):
        b = bootstrap_powerlaw(P, errs, n_boot=500)
        eps_exp = powerlaw_fit(P, eps).exponent
        method = _methods([{'interval_method': interval_method_text(b.n_seeds, b.n_boot, expanded=b.expanded)}])
        measured = (f"measured exponent {b.exponent:.3f} [{method}: {b.ci[0]:.3f}, {b.ci[1]:.3f}] "
                    f"(OLS of log error on log P, P = {int(P[0])}..{int(P[-1])}); eps(P) exponent on the same P: "
                    f"{eps_exp:.3f}")
        lines.append(measured)
        report.text(measured[0].upper() + measured[1:] + ".")  # the report says what the console says
        report.add_headline("rhm_validation", {"exponent": b.exponent, "ci": b.ci, "eps_exponent": eps_exp})
    report.add_headline("rhm_validation", {"P": P, "test_err": mean, "eps": eps, "alpha": a,
                                           "wall_s": round(time.perf_counter() - t0, 1)})
    return lines
