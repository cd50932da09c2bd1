"""Brill's experiment and figures, and percolation on hypercubic lattices: ``scalinglab reproduce NAME``.

* ``brill-toy`` -- his toy experiment as he ran it (``percolation.ipynb``):
  Bethe lattice ``z = 200`` at ``p_c``, 316 size-biased clusters of
  300..3e7 sites, tree-distance nearest neighbour with his shrinkage, MSE,
  per-cluster scale factors, model scaling with his allocation and data
  scaling with a uniform fraction; median and 16-84 % band over seeds
  against his closed forms (:mod:`scalinglab.validate.percolation._brill_toy`).
* ``brill-fig2``, ``brill-fig3`` -- his closed-form model and data scaling
  for ``alpha = 1`` and ``c/D in {0.1, 0.5, 1, 2, 20}`` with his dotted
  asymptotes and the exact ones.
* ``brill-fig4`` -- his exponent ratios against lattice dimension for
  ``c = 2, 4, 6``, ``tau(d)``, ``D(d)`` from our own lattice sweeps where they
  are reachable (rows shared with ``percolation-lattice``), literature elsewhere.
* ``brill-fig5`` -- random allocations ``n_k ∝ k^(b-1)`` (``k <= k_br``) at
  ``N = 500`` on his data set: loss heat-map over ``(b, k_br)``, his
  predicted optimum marked, and how far the best random allocation beats or
  trails it.
* ``percolation-lattice`` -- Newman-Ziff sweeps (site and bond) on periodic
  hypercubic lattices: ``p_c`` by finite-size scaling, ``D`` and ``tau``
  against the literature, with intervals.

Every figure is drawn from stored rows; every number in a report is
computed from them (and from closed forms).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.fitting import powerlaw_fit
from scalinglab.theory.percolation import (brill_b, brill_data_asymptotes, brill_data_loss,
                                           brill_kbr, brill_model_asymptotes, brill_model_loss)
from scalinglab.validate import protocol
from scalinglab.validate.percolation._brill_figures import brill_fig4
from scalinglab.validate.percolation._brill_toy import (BRILL_REPORTED, BrillData, BrillToyConfig, _expected_sites,
                                                        brill_data, brill_fig5_chunk, brill_fig5_predicted,
                                                        brill_fig5_summary, brill_toy_analyse, brill_toy_cell,
                                                        brill_toy_clusters_row)
from scalinglab.validate.percolation._lattice import (LatticeConfig, lattice_analyse, lattice_cell, lattice_cells,
                                                      lattice_fig4_measured)
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.report import md_table

__all__ = ["BrillToyCell", "BrillCurveConfig", "BrillFig2Config", "BrillFig3Config", "BrillCurveCell",
           "BrillFig4Config", "BrillFig5Config", "BrillFig5Cell", "LATTICE_ROWS"]

#: Rows store shared by ``percolation-lattice`` and ``brill-fig4`` (``OUT/../percolation-lattice-runs``).
LATTICE_ROWS = "percolation-lattice-runs"


def _f(x, nd=3):
    return "nan" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def _ci(ci, nd=3):
    return f"[{_f(ci[0], nd)}, {_f(ci[1], nd)}]"


def _wall(rows):
    return float(rows["wall_s"].sum()) if "wall_s" in rows else float("nan")


# =========================================================================== brill-toy
@dataclass(frozen=True)
class BrillToyCell:
    """One cell of ``brill-toy``: a seed's data set (``mode = "clusters"``) or one loss at ``n_dof``.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> tiny = BrillToyConfig(s_max=3000, n_clusters=4, n_max=30.0, n_points=4, fit_points=4, p_valid=0.05, seeds=1)
    >>> cells = protocol.get("brill-toy").cells(tiny)
    >>> len(cells), [(c.mode, c.seed) for c in cells[:2]]        # the seed's clusters row, then 2 x 4 losses
    (9, [('clusters', 0), ('model', 0)])
    """

    kind: ClassVar[str] = "brill-toy"

    data: BrillData
    mode: str
    n_dof: float
    seed: int


def _toy_cells(config):
    data = brill_data(config)
    cells = []
    for s in range(config.seeds):
        cells.append(BrillToyCell(data, "clusters", 0.0, s))
        cells += [BrillToyCell(data, m, float(n), s) for m in ("model", "data") for n in config.n_grid]
    return cells


@functools.lru_cache(maxsize=8)
def _sites(data):
    return _expected_sites(data)


def _measured(row, cell_fields=("mode", "n_dof", "seed")):
    return {k: v for k, v in row.items() if k not in cell_fields}


def _plot_toy(summary, config, path):
    fig, axes = new_figure(ncols=2, width=5.0, height=4.0)
    for ax, mode, title in ((axes[0, 0] if axes.ndim == 2 else axes[0], "model", "model scaling (his allocation n_k)"),
                            (axes[0, 1] if axes.ndim == 2 else axes[1], "data", "data scaling (uniform fraction)")):
        s = summary.get(mode)
        if not s:
            continue
        n = np.array(s["n"])
        ax.fill_between(n, s["q16"], s["q84"], alpha=0.3, color="C0", label="16-84 % over seeds")
        ax.loglog(n, s["median"], "o-", ms=3, color="C0", label=f"median, {s['n_seeds']} seeds")
        ax.loglog(n, s["theory"], "k--", lw=1.2, label="his closed form")
        ax.loglog(n, s["theory_finite"], "k:", lw=1.2, label="his loss model, 316 expected clusters")
        f = s.get("fit")
        if f:
            ax.set_title(f"{title}\nfit [{f['window'][0]:g}, {f['window'][1]:g}]: {f['exponent']:.3f} "
                         f"{_ci(f['ci95'])}, his curve {f['theory_exponent']:.3f}", fontsize=9)
        else:
            ax.set_title(title, fontsize=9)
        ax.set_xlabel("training degrees of freedom")
        ax.set_ylabel("loss (MSE of standardised targets)")
        ax.legend(fontsize=7)
    fig.suptitle(f"Brill's toy experiment as he ran it: Bethe z = {config.z} at p_c, {config.k_clusters} clusters of "
                 f"{config.s_min}..{config.s_max:.0e} sites, tree-distance NN", fontsize=9, y=1.04)
    return save_figure(fig, path, dpi=120)


def _plot_toy_clusters(rows, summary, config, path):
    cl = rows[rows["mode"] == "clusters"].sort_values("seed")
    fig, axes = new_figure(ncols=2, width=5.0, height=4.0)
    ax1, ax2 = (axes[0, 0], axes[0, 1]) if axes.ndim == 2 else (axes[0], axes[1])
    if len(cl):
        sizes = np.sort(np.concatenate([np.asarray(s, dtype=float) for s in cl["sizes"]]))
        ccdf = 1.0 - np.arange(sizes.size) / sizes.size
        ax1.loglog(sizes, ccdf, "-", label=f"kept clusters, {len(cl)} seeds pooled")
        s = np.geomspace(config.s_min, config.s_max, 50)
        ax1.loglog(s, (s / config.s_min) ** (2 - config.tau), "k--", label=f"(s/{config.s_min})^(2-tau)")
        ax1.set(xlabel="cluster size s", ylabel="fraction of kept clusters >= s", title="size-biased cluster sizes")
        ax1.legend(fontsize=7)
        r0 = cl.iloc[0]
        ax2.loglog(np.asarray(r0["sizes"], dtype=float), np.asarray(r0["factors"], dtype=float), ".", ms=4,
                   label=f"seed {int(r0['seed'])}")
        b = BRILL_REPORTED["scale_factor_percentiles"]
        for q, v in b.items():
            ax2.axhline(v, color="k", ls=":", lw=0.8)
        ax2.axhline(BRILL_REPORTED["scale_factor_mean"], color="r", ls="--", lw=0.8, label="his mean 5.5")
        ax2.set(xlabel="cluster size s", ylabel="scale factor (training points per DOF)",
                title="per-cluster scale factors (dotted: his 2.5/50/97.5 %)")
        ax2.legend(fontsize=7)
    return save_figure(fig, path, dpi=120)


@protocol.experiment
class BrillToy(protocol.Experiment):
    name = "brill-toy"
    description = "Brill's toy experiment as he ran it: Bethe z=200 at p_c, 316 clusters, tree-distance NN, MSE; " \
                  "model/data scaling vs his closed forms"
    title = "Brill's toy experiment as he ran it (his notebook's settings)"
    config_type = BrillToyConfig

    def cells(self, config):
        return _toy_cells(config)

    def group(self, cell):
        return (cell.data, cell.seed)

    def run(self, cells, device):
        out = []
        for c in cells:
            row = (brill_toy_clusters_row(c.data, c.seed) if c.mode == "clusters"
                   else brill_toy_cell(c.data, c.mode, c.n_dof, c.seed))
            out.append(_measured(row))
        return out

    def cost(self, cell):
        sites = _sites(cell.data)
        # measured here: ~1.5 us a site for growth + 50 scale-factor evaluations; ~25 ns a site an evaluation
        return 1.5e-6 * sites if cell.mode == "clusters" else 2.5e-8 * sites

    def analyse(self, rows, config):
        s = brill_toy_analyse(rows, config)
        s["wall_s"] = _wall(rows)
        if "wall_s" in rows:
            per = rows.groupby("seed")["wall_s"].sum()
            s["wall_s_per_seed"] = {"mean": float(per.mean()), "min": float(per.min()), "max": float(per.max())}
        for mode in ("model", "data"):
            f = s.get(mode, {}).get("fit")
            if f:
                s[f"{mode}_exponent"] = (f"{f['exponent']:.3f} {_ci(f['ci95'])} over n in [{f['window'][0]:g}, "
                                         f"{f['window'][1]:g}] (his closed form {f['theory_exponent']:.3f}, his loss "
                                         f"model on the finite clusters {f['theory_finite_exponent']:.3f})")
        return s

    def figures(self, rows, summary, config, folder):
        return [_plot_toy(summary, config, folder / "brill_toy_scaling.png"),
                _plot_toy_clusters(rows, summary, config, folder / "brill_toy_clusters.png")]

    def report(self, rows, summary, config):
        lines = [f"His setting: Bethe lattice z = {config.z} at p = {config.p_occ:.6g} (p_c = 1/{config.z - 1}), "
                 f"{config.k_clusters} size-biased clusters of {config.s_min}..{config.s_max:g} sites per seed, "
                 f"random-walk targets standardised per cluster, nearest training site by tree distance with his "
                 f"shrinkage, MSE (c/D = {config.c_over_D:g}, alpha = {config.alpha:g}); n = "
                 f"{config.n_min:g}..{config.n_max:g} ({config.n_points} points); {config.seeds} seeds "
                 f"(he ran 50).\n"]
        ds = summary.get("data_set")
        sf = summary.get("scale_factors", {})
        tab = []
        if ds:
            tab.append(["sites per seed", f"{ds['brill_seed0']['n_sites']:,} (seed 0)",
                        f"{ds['n_sites_seed0']:,.0f} (seed 0); {ds['n_sites_min']:.3g}..{ds['n_sites_max']:.3g}, "
                        f"mean {ds['n_sites_mean']:.3g} (expected {ds['expected_sites']:.3g} from the exact n_s)"])
            tab.append(["clusters discarded below s_min / above s_max", f"{ds['brill_seed0']['n_small']} / 0 (seed 0)",
                        f"{ds['n_small_mean']:.0f} / {ds['n_large_mean']:.2f} (mean per seed)"])
        names = {"mean": "scale factor mean", "weighted_mean": "scale factor size-weighted mean",
                 "p2_5": "scale factor 2.5 %", "p50": "scale factor median", "p97_5": "scale factor 97.5 %"}
        for k, label in names.items():
            if k in sf:
                v = sf[k]
                tab.append([label, f"{sf['brill_seed0'][k]:g} (seed 0)",
                            f"{v['seed0']:.3g} (seed 0); mean over {sf['n_seeds']} seeds {v['mean']:.3g} "
                            f"[{v['min']:.3g}, {v['max']:.3g}]"])
        for mode, rng in (("model", BRILL_REPORTED["loss_model_range"]), ("data", BRILL_REPORTED["loss_data_range"])):
            s = summary.get(mode)
            if not s:
                continue
            tab.append([f"{mode} loss, median over seeds, n = {s['n'][0]:g} -> {s['n'][-1]:g}",
                        f"~{rng[0]:g} -> ~{rng[1]:g} (read off his plot)",
                        f"{s['median'][0]:.3g} [{s['q16'][0]:.3g}, {s['q84'][0]:.3g}] -> {s['median'][-1]:.3g} "
                        f"[{s['q16'][-1]:.3g}, {s['q84'][-1]:.3g}] (16-84 %)"])
            f = s.get("fit")
            if f:
                tab.append([f"{mode} exponent, n in [{f['window'][0]:g}, {f['window'][1]:g}]",
                            f"none fitted; his closed form gives {f['theory_exponent']:.3f}",
                            f"{f['exponent']:.3f} {_ci(f['ci95'])} (95 %, {f['n_seeds']} seeds); his loss model "
                            f"on the finite clusters {f['theory_finite_exponent']:.3f}"])
        lines.append(md_table(["quantity", "Brill", "ours"], tab))
        lines.append("Exponent fits: " + (summary.get("model", {}).get("fit", {}).get("method", "") or "") + ".\n")
        w = summary.get("wall_s_per_seed")
        if w:
            lines.append(f"Wall time (this machine, rows' `wall_s`): {summary['wall_s']:.1f} s in all, "
                         f"{w['mean']:.1f} s a seed ({w['min']:.1f}..{w['max']:.1f}). The same steps in numpy/scipy "
                         "(deque BFS, multi-source Dijkstra) are ~35x slower a seed: `python "
                         "benchmarks/bench_brill_toy.py`.\n")
        return "\n".join(lines)


# =========================================================================== brill-fig2, brill-fig3
@dataclass(frozen=True)
class BrillCurveConfig:
    """Config of his closed-form figures: ``alpha``, the ``c/D`` values, the abscissa grid.

    Examples
    --------
    >>> BrillCurveConfig().x_max, BrillFig3Config().x_max          # his ranges: N up to 1e8, D up to 1e6
    (100000000.0, 1000000.0)
    """

    c_over_D: tuple[float, ...] = field(default=(0.1, 0.5, 1.0, 2.0, 20.0), metadata={"gt": 0})
    alpha: float = field(default=1.0, metadata={"gt": 0})
    x_min: float = field(default=1.0, metadata={"gt": 0})
    x_max: float = field(default=1e8, metadata={"gt": 0})
    n_points: int = field(default=400, metadata={"ge": 10})
    #: decades at the end of the range over which the final exponent is fitted (analysis only)
    fit_decades: float = field(default=1.0, metadata={"gt": 0, "analysis": True})

    def __post_init__(self):
        if not self.x_min < self.x_max:
            raise ValueError(f"need x_min < x_max, got {self.x_min}, {self.x_max}")


@dataclass(frozen=True)
class BrillFig2Config(BrillCurveConfig):
    """``brill-fig2``: model scaling ``L(N)``, ``N`` in ``[1, 1e8]`` (his range).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> protocol.get("brill-fig2").cells(BrillFig2Config(c_over_D=(0.5, 2.0), n_points=10))[1]
    BrillCurveCell(axis='model', c_over_D=2.0, alpha=1.0, x_min=1.0, x_max=100000000.0, n_points=10)
    """


@dataclass(frozen=True)
class BrillFig3Config(BrillCurveConfig):
    """``brill-fig3``: data scaling ``L(D)``, ``D`` in ``[1, 1e6]`` (his range).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> protocol.get("brill-fig3").cells(BrillFig3Config(c_over_D=(0.5,), n_points=10))
    [BrillCurveCell(axis='data', c_over_D=0.5, alpha=1.0, x_min=1.0, x_max=1000000.0, n_points=10)]
    """

    x_max: float = field(default=1e6, metadata={"gt": 0})


@dataclass(frozen=True)
class BrillCurveCell:
    """One closed-form curve (``axis`` model or data) at one ``c/D``.

    Examples
    --------
    >>> cell = BrillCurveCell("model", c_over_D=0.5, alpha=1.0, x_min=1.0, x_max=1e8, n_points=10)
    >>> r = brill_curve_cell(cell)
    >>> sorted(r), len(r["x"])
    (['asymptote_brill', 'asymptote_exact', 'loss', 'x'], 10)
    """

    kind: ClassVar[str] = "brill-curve"

    axis: str
    c_over_D: float
    alpha: float
    x_min: float
    x_max: float
    n_points: int


def _g(v, digits=10):
    return [float(f"{x:.{digits}g}") if np.isfinite(x) else None for x in np.asarray(v, dtype=float)]


def brill_curve_cell(cell):
    """The raw curve and its asymptotes (his dotted lines and the exact ones) of one cell."""
    x = np.geomspace(cell.x_min, cell.x_max, int(cell.n_points))
    if cell.axis == "model":
        a = brill_model_asymptotes(x, cell.alpha, cell.c_over_D)
        return {"x": _g(x), "loss": _g(brill_model_loss(x, cell.alpha, cell.c_over_D, normalise=False)),
                "asymptote_exact": _g(a["exact"]),
                "asymptote_brill": _g(a["brill_quanta"] if cell.c_over_D > cell.alpha else a["brill_manifold"])}
    a = brill_data_asymptotes(x, cell.alpha, cell.c_over_D)
    return {"x": _g(x), "loss": _g(brill_data_loss(x, cell.alpha, cell.c_over_D, normalise=False)),
            "asymptote_quanta": _g(a["quanta"]), "asymptote_manifold": _g(a["manifold"])}


def _curve_fits(rows, config, axis):
    out = {}
    for r in sorted(rows.to_dict("records"), key=lambda r: r["c_over_D"]):
        x, y = np.asarray(r["x"], dtype=float), np.asarray(r["loss"], dtype=float)
        cd, al = float(r["c_over_D"]), float(r["alpha"])
        w = (x.max() / 10 ** config.fit_decades, x.max())
        f = powerlaw_fit(x, y, window=w)
        aa = al / (1 + al)
        pred = min(al, cd) if axis == "model" else min(aa, cd)
        limited = ("quanta (alpha)" if cd > al else "manifold (c/D)" if cd < al else "both (log-corrected)") \
            if axis == "model" else ("quanta (alpha/(1+alpha))" if cd > aa else "manifold (c/D)" if cd < aa
                                     else "both (log-corrected)")
        rec = {"c_over_D": cd, "alpha": al, "exponent": f.exponent, "window": list(f.window), "method": f.method,
               "predicted": pred, "limited_by": limited, "loss_at_max": float(y[-1])}
        if axis == "model":
            ex = r["asymptote_exact"][-1]
            rec["b"] = float(brill_b(al, cd))
            rec["kbr_at_max"] = float(brill_kbr(x.max(), rec["b"])[0])
            # his dotted lines: (1 + 1/alpha) N^-alpha for every c/D > alpha, and the manifold line of the
            # smallest c/D only; none for the others
            drawn = cd > al or cd == min(config.c_over_D) < al
            rec["brill_asymptote_over_loss"] = float(r["asymptote_brill"][-1] / y[-1]) if drawn else None
            rec["exact_asymptote_over_loss"] = None if ex is None else float(ex / y[-1])
        else:
            q, m = r["asymptote_quanta"][-1], r["asymptote_manifold"][-1]
            rec["two_terms_over_loss"] = None if q is None else float((q + m) / y[-1])
        out[f"{cd:g}"] = rec
    return out


def _plot_curves(rows, summary, config, path, axis):
    fig, ax = new_figure(width=6.0, height=4.6)
    cmap = __import__("matplotlib").pyplot.get_cmap("coolwarm")
    recs = sorted(rows.to_dict("records"), key=lambda r: r["c_over_D"])
    for i, r in enumerate(recs):
        col = cmap(i / max(1, len(recs) - 1))
        x = np.asarray(r["x"], dtype=float)
        ax.loglog(x, r["loss"], color=col, lw=2, label=f"c/D = {r['c_over_D']:g}")
        if axis == "model":
            ax.loglog(x, np.array(r["asymptote_exact"], dtype=float), "--", color=col, lw=0.7)
    # his two dotted lines: the manifold line of the smallest c/D and the quanta line (model: valid for every
    # c/D > alpha; data: the A D^-aa term of the largest c/D and the B D^-cD term of the smallest)
    lo, hi = recs[0], recs[-1]
    x = np.asarray(lo["x"], dtype=float)
    if axis == "model":
        for r, ok in ((lo, lo["c_over_D"] < config.alpha), (hi, hi["c_over_D"] > config.alpha)):
            if ok:
                ax.loglog(x, np.array(r["asymptote_brill"], dtype=float), "k:", lw=1.2)
        ax.set(xlim=(config.x_min, config.x_max), ylim=(3e-6, 2), xlabel="N (model DOF)", ylabel="loss (raw)",
               title=f"Brill Fig. 2 (alpha = {config.alpha:g}); black dotted: his two asymptotes, dashed: the "
                     "exact asymptote of each curve")
    else:
        ax.loglog(x, np.array(hi["asymptote_quanta"], dtype=float), "k:", lw=1.2)
        ax.loglog(x, np.array(lo["asymptote_manifold"], dtype=float), "k:", lw=1.2)
        ax.set(xlim=(config.x_min, config.x_max), ylim=(1e-3, 3), xlabel="dataset size D", ylabel="loss (raw)",
               title=f"Brill Fig. 3 (alpha = {config.alpha:g}); dotted: his lines A D^-aa (c/D = {hi['c_over_D']:g}) "
                     f"and B D^-cD (c/D = {lo['c_over_D']:g})")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=120)


class _BrillCurves(protocol.Experiment):
    axis = "model"

    def cells(self, config):
        return [BrillCurveCell(self.axis, float(cd), config.alpha, config.x_min, config.x_max, config.n_points)
                for cd in config.c_over_D]

    def run(self, cells, device):
        return [brill_curve_cell(c) for c in cells]

    def cost(self, cell):
        return 1e-4 * cell.n_points

    def analyse(self, rows, config):
        fits = _curve_fits(rows, config, self.axis)
        return {**{f"c/D={k}": f"final exponent {v['exponent']:.4f} over [{v['window'][0]:.3g}, {v['window'][1]:.3g}] "
                               f"(asymptotic {v['predicted']:g}, {v['limited_by']})" for k, v in fits.items()},
                "fits": fits}

    def figures(self, rows, summary, config, folder):
        return [_plot_curves(rows, summary, config, folder / f"brill_fig{2 if self.axis == 'model' else 3}.png",
                             self.axis)]


@protocol.experiment
class BrillFig2(_BrillCurves):
    name = "brill-fig2"
    description = "Brill Fig. 2: closed-form model scaling L(N), alpha = 1, c/D in {0.1, 0.5, 1, 2, 20}, with his " \
                  "and the exact asymptotes"
    title = "Brill's Fig. 2: model scaling from his closed forms"
    config_type = BrillFig2Config
    axis = "model"

    def report(self, rows, summary, config):
        tab = []
        for k, v in summary.get("fits", {}).items():
            ea = v["exact_asymptote_over_loss"]
            ba = v["brill_asymptote_over_loss"]
            tab.append([k, f"N^-{v['predicted']:g} ({v['limited_by']})", f"{v['exponent']:.4f}",
                        f"{v['b']:.4f}", f"{v['kbr_at_max']:.4g}", "- (none drawn)" if ba is None else f"{ba:.3f}",
                        "log-corrected (none)" if ea is None else f"{ea:.4f}"])
        return "\n".join([
            f"Raw L(N) = (N/k_br + 1/alpha) k_br^-alpha with N = k_br (1 - k_br^-b)/b (b = 0: k_br ln k_br), "
            f"alpha = {config.alpha:g}, N in [{config.x_min:g}, {config.x_max:g}] ({config.n_points} log-spaced "
            f"points). Closed forms: no sampling, so no intervals; the 'final exponent' is an OLS fit in log-log over "
            f"the last {config.fit_decades:g} decade(s). His statement: the curves approach N^-min(alpha, c/D) "
            "(his two dotted lines: (1 + 1/alpha) N^-alpha, and (alpha/(c/D+1))^-(c/D+1) N^-c/D for the smallest c/D); "
            "the ratio columns show how far his dotted line (where he drew one) and the exact asymptote lie from the "
            "curve at the largest N.\n",
            md_table(["c/D", "his asymptote", "final exponent (ours)", "b", "k_br at N max",
                      "his dotted line / curve at N max", "exact asymptote / curve at N max"], tab)])


@protocol.experiment
class BrillFig3(_BrillCurves):
    name = "brill-fig3"
    description = "Brill Fig. 3: closed-form data scaling L(D), alpha = 1, c/D in {0.1, 0.5, 1, 2, 20}, log " \
                  "correction at c/D = alpha/(1+alpha)"
    title = "Brill's Fig. 3: data scaling from his closed forms"
    config_type = BrillFig3Config
    axis = "data"

    def report(self, rows, summary, config):
        tab = []
        for k, v in summary.get("fits", {}).items():
            tt = v["two_terms_over_loss"]
            tab.append([k, f"D^-{v['predicted']:g} ({v['limited_by']})", f"{v['exponent']:.4f}",
                        "log form (terms merge)" if tt is None else f"{tt:.6f}"])
        return "\n".join([
            f"Raw L(D) = A D^-aa + B D^-cD (aa = alpha/(1+alpha)), at cD = aa the log form "
            f"alpha^-(aa+1) D^-aa (1 + aa ln(alpha D)); alpha = {config.alpha:g}, D in [{config.x_min:g}, "
            f"{config.x_max:g}] ({config.n_points} points), one expression exact for every c/D "
            "(theory.percolation.brill_data_loss). Closed forms: no intervals; final exponent = OLS log-log over the "
            f"last {config.fit_decades:g} decade(s). At c/D = 1/2 (his toy experiment) the local exponent stays "
            "below 1/2 by the log factor.\n",
            md_table(["c/D", "his asymptote", "final exponent (ours)", "(A D^-aa + B D^-cD) / curve at D max"], tab)])


# =========================================================================== brill-fig4
class _LatticeRowsExperiment(protocol.Experiment):
    """Experiments on ``percolation-lattice`` cells (a :class:`LatticeConfig`'s), stored in the shared
    ``percolation-lattice-runs`` folder: ``brill-fig4`` and ``percolation-lattice``."""

    shared_rows = LATTICE_ROWS

    def cells(self, config):
        return lattice_cells(config)

    def run(self, cells, device):
        return [lattice_cell(c.d, c.lattice, c.L, c.n_samples, c.batch, c.seed, c.p_points, c.hist_cap)
                for c in cells]

    def cost(self, cell):
        M = cell.L ** cell.d * (cell.d if cell.lattice == "bond" else 1)
        return 6e-8 * M * cell.n_samples + 0.01


@dataclass(frozen=True)
class BrillFig4Config:
    """Config of ``brill-fig4``: the lattice sweeps behind the measured exponents, and the figure's axes.

    ``lattice`` is a :class:`LatticeConfig` (its cells are ``percolation-lattice``
    cells, stored in the shared ``percolation-lattice-runs`` folder, so the
    two experiments share every sweep they have in common).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> from scalinglab.validate.percolation._lattice import LATTICE_QUICK, lattice_config
    >>> cells = protocol.get("brill-fig4").cells(BrillFig4Config(lattice=lattice_config(LATTICE_QUICK)))
    >>> len(cells), cells[0].kind                                 # percolation-lattice cells, shared with that experiment
    (50, 'percolation-lattice')
    """

    lattice: LatticeConfig = field(default_factory=LatticeConfig)
    c_values: tuple[float, ...] = field(default=(2.0, 4.0, 6.0), metadata={"gt": 0, "analysis": True})
    d_min: int = field(default=2, metadata={"ge": 2, "analysis": True})
    d_max: int = field(default=8, metadata={"ge": 2, "analysis": True})
    #: our D and tau = 1 + d/D are used for d <= measured_d_max (site lattices); literature above
    measured_d_max: int = field(default=4, metadata={"ge": 0, "analysis": True})
    #: "d_max": ours for every d <= measured_d_max (plain fits of percolation-lattice); "agree": the finite-size
    #: scaling fits (corrections, d >= 6 torus form) per quantity, ours where the literature value lies inside our
    #: 95 % interval, literature elsewhere (said per point)
    measured_rule: str = field(default="d_max", metadata={"choices": ("d_max", "agree"), "analysis": True})


def _fig4_intervals(an, measured, c_values):
    """Ratios at the ends of D's 95 % interval (tau = 1 + d/D moves with D)."""
    out = {}
    for d, m in measured.items():
        ci = an[f"{d}-site"]["D"]["ci"]
        vals = {"model": {c: [] for c in c_values}, "data": {c: [] for c in c_values}}
        for D in ci:
            tau = 1 + d / D
            alpha = (3 - tau) / (tau - 2)
            for c in c_values:
                vals["model"][c].append((c / D) / alpha)
                vals["data"][c].append((c / D) / (alpha / (1 + alpha)))
        out[d] = {k: {f"{c:g}": [float(min(v[c])), float(max(v[c]))] for c in c_values} for k, v in vals.items()}
    return out


@protocol.experiment
class BrillFig4(_LatticeRowsExperiment):
    name = "brill-fig4"
    description = "Brill Fig. 4: exponent ratios vs lattice dimension d = 2..8 for c = 2, 4, 6; tau(d), D(d) from " \
                  "our lattice sweeps where reachable"
    title = "Brill's Fig. 4: exponent ratios against lattice dimension"
    config_type = BrillFig4Config

    def cells(self, config):
        return lattice_cells(config.lattice)

    def analyse(self, rows, config):
        if config.measured_rule == "agree":
            return self._analyse_agree(rows, config)
        an = lattice_analyse(rows, n_boot=config.lattice.n_boot)
        measured = lattice_fig4_measured(an, d_max=config.measured_d_max)
        f = brill_fig4(config.c_values, range(config.d_min, config.d_max + 1), measured)
        lit = brill_fig4(config.c_values, range(config.d_min, config.d_max + 1), None)
        out = {"d": f["d"].tolist(), "tau": f["tau"].tolist(), "D": f["D"].tolist(), "alpha": f["alpha"].tolist(),
               "source": f["source"], "tau_literature": lit["tau"].tolist(), "D_literature": lit["D"].tolist(),
               "model_ratio": {f"{c:g}": f["model_ratio"][c].tolist() for c in config.c_values},
               "data_ratio": {f"{c:g}": f["data_ratio"][c].tolist() for c in config.c_values},
               "model_ratio_literature": {f"{c:g}": lit["model_ratio"][c].tolist() for c in config.c_values},
               "data_ratio_literature": {f"{c:g}": lit["data_ratio"][c].tolist() for c in config.c_values},
               "measured": {str(d): {"D": an[f"{d}-site"]["D"]["D"], "D_ci": list(an[f"{d}-site"]["D"]["ci"]),
                                     "tau": m["tau"], "tau_ci": list(an[f"{d}-site"]["tau_hyperscaling"]["ci"]),
                                     "L": an[f"{d}-site"]["D"]["L"]} for d, m in measured.items()},
               "ratio_intervals": {str(k): v for k, v in _fig4_intervals(an, measured, config.c_values).items()},
               "wall_s": _wall(rows)}
        return out

    def _analyse_agree(self, rows, config):
        """Fig. 4 from the finite-size-scaling fits where they agree with the literature (issue 23)."""
        from scalinglab.validate.percolation._lattice_fss import lattice_fss

        fss = lattice_fss(rows, n_boot=config.lattice.n_boot)
        ds = range(config.d_min, config.d_max + 1)
        measured, verdicts, cis = {}, {}, {}
        for d in ds:
            r = fss.get(d)
            if r is None or d > config.measured_d_max:
                continue
            lit = r["literature"]
            D_ci = r["D"]["ci"]
            tau_src = r["tau_mle"] if "tau_mle" in r else None
            v = {"D": {"ours": r["D"]["D"], "ci": D_ci, "literature": lit["D"],
                       "agree": bool(D_ci[0] <= lit["D"] <= D_ci[1])}}
            if tau_src is not None:
                v["tau"] = {"ours": tau_src["tau"], "ci": tau_src["ci"], "literature": lit["tau"],
                            "agree": bool(tau_src["ci"][0] <= lit["tau"] <= tau_src["ci"][1]), "method": "MLE"}
            th = r["tau_hyperscaling"]
            if "tau" not in v or not v["tau"]["agree"]:
                if th["ci"][0] <= lit["tau"] <= th["ci"][1]:
                    v["tau"] = {"ours": th["tau"], "ci": th["ci"], "literature": lit["tau"], "agree": True,
                                "method": "1 + d/D_eff"}
            m = {k: v[k]["ours"] for k in ("D", "tau") if k in v and v[k]["agree"]}
            if m:
                measured[d] = m
                cis[d] = {k: v[k]["ci"] for k in m}
            verdicts[str(d)] = v
        f = brill_fig4(config.c_values, ds, measured)
        lit = brill_fig4(config.c_values, ds, None)
        ivals = {}
        for d, ci in cis.items():
            i = list(f["d"]).index(d)
            Ds = ci.get("D", [f["D"][i]] * 2)
            taus = ci.get("tau", [f["tau"][i]] * 2)
            vals = {"model": {}, "data": {}}
            for c in config.c_values:
                mr, dr = [], []
                for D in Ds:
                    for tau in taus:
                        alpha = (3 - tau) / (tau - 2)
                        mr.append((c / D) / alpha)
                        dr.append((c / D) / (alpha / (1 + alpha)))
                vals["model"][f"{c:g}"] = [float(min(mr)), float(max(mr))]
                vals["data"][f"{c:g}"] = [float(min(dr)), float(max(dr))]
            ivals[str(d)] = vals
        return {"d": f["d"].tolist(), "tau": f["tau"].tolist(), "D": f["D"].tolist(), "alpha": f["alpha"].tolist(),
                "source": f["source"], "tau_literature": lit["tau"].tolist(), "D_literature": lit["D"].tolist(),
                "model_ratio": {f"{c:g}": f["model_ratio"][c].tolist() for c in config.c_values},
                "data_ratio": {f"{c:g}": f["data_ratio"][c].tolist() for c in config.c_values},
                "model_ratio_literature": {f"{c:g}": lit["model_ratio"][c].tolist() for c in config.c_values},
                "data_ratio_literature": {f"{c:g}": lit["data_ratio"][c].tolist() for c in config.c_values},
                "measured": {str(d): {"D": m.get("D"), "D_ci": cis[d].get("D"), "tau": m.get("tau"),
                                      "tau_ci": cis[d].get("tau"),
                                      "L": [s["L"] for s in fss[d]["sizes"]]} for d, m in measured.items()},
                "verdicts": verdicts, "rule": "agree", "ratio_intervals": ivals, "wall_s": _wall(rows)}

    def figures(self, rows, summary, config, folder):
        import matplotlib.pyplot as plt

        d = np.array(summary["d"])
        ours = np.array([s["D"] == "ours" or s["tau"] == "ours" for s in summary["source"]])
        fig, axes = new_figure(nrows=2, width=5.5, height=3.8, sharex=True)
        axes = axes[:, 0] if axes.ndim == 2 else axes
        cmap = plt.get_cmap("viridis")
        cs = list(summary["model_ratio"])
        for i, c in enumerate(cs):
            col = cmap(i / max(1, len(cs) - 1))
            for ax, key in zip(axes, ("model_ratio", "data_ratio")):
                y = np.array(summary[key][c])
                ax.plot(d, summary[key + "_literature"][c], ":", color=col, lw=1)
                ax.plot(d, y, "-", color=col, label=f"c = {c}")
                ax.plot(d[~ours], y[~ours], "o", mfc="none", color=col)
                for dd in d[ours]:
                    lo, hi = summary["ratio_intervals"][str(int(dd))][key.split("_")[0]][c]
                    yy = y[list(d).index(dd)]
                    ax.errorbar([dd], [yy], yerr=[[yy - lo], [hi - yy]], fmt="o", color=col, capsize=3)
        for ax in axes:
            ax.axhline(1, color="k", ls="--", lw=0.8)
            ax.set_yscale("log")
        axes[0].set_ylabel("(c/D) / alpha  (model)")
        axes[1].set_ylabel("(c/D) / (alpha/(1+alpha))  (data)")
        axes[1].set_xlabel("lattice dimension d")
        axes[0].set_title("Brill Fig. 4; filled: tau, D from our sweeps (95 %), open: literature; dotted: all "
                          "literature", fontsize=8)
        axes[0].legend(fontsize=8)
        return [save_figure(fig, folder / "brill_fig4.png", dpi=120)]

    def report(self, rows, summary, config):
        cs = list(summary["model_ratio"])
        tab = []
        for i, d in enumerate(summary["d"]):
            m = summary["measured"].get(str(d))
            vd = summary.get("verdicts", {}).get(str(d), {})

            def why(key):
                v = vd.get(key)
                return "" if not v else (f"; ours {v['ours']:.3f} {_ci(v['ci'])} leaves it" if not v["agree"] else "")
            tau = (f"{summary['tau'][i]:.4f} {_ci(m['tau_ci'], 4)} (ours"
                   + (f", {vd['tau']['method']})" if vd.get("tau", {}).get("method") else ")")
                   if m and m.get("tau") is not None
                   else f"{summary['tau'][i]:.4g} (lit.{why('tau')})")
            D = (f"{summary['D'][i]:.3f} {_ci(m['D_ci'])} (ours)" if m and m.get("D") is not None
                 else f"{summary['D'][i]:.3g} (lit.{why('D')})")
            row = [d, tau, f"{summary['tau_literature'][i]:.4g}", D, f"{summary['D_literature'][i]:.4g}"]
            for axis in ("model", "data"):
                for c in cs:
                    iv = summary["ratio_intervals"].get(str(d))
                    ours = f"{summary[f'{axis}_ratio'][c][i]:.3g}"
                    if iv:
                        ours += f" {_ci(iv[axis][c], 3)}"
                    row.append(f"{ours} / his {summary[f'{axis}_ratio_literature'][c][i]:.3g}")
            tab.append(row)
        grids = "; ".join(f"{g.d}-d {g.lattice}: L = {', '.join(map(str, g.L))} ({', '.join(map(str, g.samples))} "
                          "samples)" for g in config.lattice.lattices)
        if summary.get("rule") == "agree":
            head = ("Ratios (c/D)/alpha (model) and (c/D)/(alpha/(1+alpha)) (data), alpha = (3 - tau)/(tau - 2); a "
                    "ratio above 1 means quanta-limited scaling. Per point and quantity: ours (the finite-size-scaling "
                    "fits of percolation-lattice: D with the leading L^-omega correction, d >= 6 in the torus form "
                    "D = (6/d) D_eff; tau by the corrected MLE, or 1 + d/D_eff) where the literature value lies "
                    "inside our 95 % interval, the literature value (his) where it does not or where nothing was "
                    f"measured (d > {max(g.d for g in config.lattice.lattices)}); the ratio intervals take the ends "
                    f"of our intervals. Sweeps: {grids}.\n")
            return "\n".join([head, md_table(["d", "tau", "tau lit.", "D", "D lit."]
                                              + [f"model ratio c={c}" for c in cs]
                                              + [f"data ratio c={c}" for c in cs], tab)])
        return "\n".join([
            f"Ratios (c/D)/alpha (model) and (c/D)/(alpha/(1+alpha)) (data), alpha = (3 - tau)/(tau - 2); a ratio "
            f"above 1 means quanta-limited scaling. Ours: D from <s_max> ∝ L^D at the literature p_c and tau = 1 + "
            f"d/D (hyperscaling) for site lattices d <= {config.measured_d_max} (95 % bootstrap intervals, the "
            f"ratios at the ends of D's interval); literature values (his) elsewhere. Sweeps: {grids}.\n",
            md_table(["d", "tau", "tau lit.", "D", "D lit."] + [f"model ratio c={c}" for c in cs]
                     + [f"data ratio c={c}" for c in cs], tab)])


# =========================================================================== brill-fig5
@dataclass(frozen=True)
class BrillFig5Config:
    """Config of ``brill-fig5``: his data set (``[data]``), ``N``, the random allocations, seeds.

    Attributes
    ----------
    data : BrillData
        His data set (defaults: z = 200 at p_c, 316 clusters of 300..3e7 sites).
    N : float
        Total DOF (his 500).
    n_points : int
        Random allocations a seed (his 2000), run in cells of ``chunk``.
    b_range : (float, float)
        ``b`` uniform in this range (his [-5.05, 5.05]).
    kbr_max : float
        ``k_br`` log-uniform in ``[1, min(kbr_max, n_clusters)]`` (his 1000, i.e. 316).
    predicted_repeats : int
        Evaluations of the predicted allocation (fresh training/test sites each).
    seeds : int
        Data sets (he ran one).
    grid : int
        Analysis only: heat-map grid (nearest neighbour over ``(b, log k_br)``).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("brill-fig5").cells(BrillFig5Config(n_points=250, chunk=100))
    >>> [(c.chunk, c.count, c.repeats) for c in cells]            # the predicted allocation, then chunks
    [(-1, 0, 20), (0, 100, 0), (1, 100, 0), (2, 50, 0)]
    """

    data: BrillData = field(default_factory=BrillData)
    N: float = field(default=500.0, metadata={"gt": 0})
    n_points: int = field(default=2000, metadata={"ge": 2})
    chunk: int = field(default=100, metadata={"ge": 1})
    b_range: tuple[float, float] = (-5.05, 5.05)
    kbr_max: float = field(default=1000.0, metadata={"ge": 1})
    predicted_repeats: int = field(default=20, metadata={"ge": 2})
    seeds: int = field(default=1, metadata={"ge": 1})
    grid: int = field(default=200, metadata={"ge": 10, "analysis": True})

    def __post_init__(self):
        if not self.b_range[0] < self.b_range[1]:
            raise ValueError(f"b_range: need lo < hi, got {self.b_range}")


@dataclass(frozen=True)
class BrillFig5Cell:
    """A chunk of random allocations (``chunk >= 0``) or the predicted one repeated (``chunk = -1``).

    Examples
    --------
    >>> cell = BrillFig5Cell(BrillData(), N=500.0, b_range=(-5.05, 5.05), kbr_max=1000.0, chunk=0, count=100,
    ...                      repeats=0, seed=0)
    >>> cell.kind, cell.data.k_clusters
    ('brill-fig5', 316)
    """

    kind: ClassVar[str] = "brill-fig5"

    data: BrillData
    N: float
    b_range: tuple[float, float]
    kbr_max: float
    chunk: int
    count: int
    repeats: int
    seed: int


def _fig5_arrays(rows, seed):
    r = rows[rows["seed"] == seed]
    ch = r[r["chunk"] >= 0].sort_values("chunk")
    pr = r[r["chunk"] < 0]
    cat = {k: np.concatenate([np.asarray(v, dtype=float) for v in ch[k]]) if len(ch) else np.zeros(0)
           for k in ("b", "kbr", "loss", "loss_model")}
    pred = pr.iloc[0].to_dict() if len(pr) else None
    if pred is not None:
        pred = {"b": float(pred["b_pred"]), "kbr": float(pred["kbr_pred"]), "loss_model": float(pred["loss_model_pred"]),
                "losses": [float(v) for v in pred["losses"]]}
    return cat, pred


def _fig5_one(cat, pred, config, grid=None):
    grid = config.grid if grid is None else grid
    sim = brill_fig5_summary(cat["b"], cat["kbr"], cat["loss"], pred, config.N, grid, "loss")
    mod = brill_fig5_summary(cat["b"], cat["kbr"], cat["loss_model"], pred, config.N, grid, "loss_model")
    return sim, mod


def _fig5_loss_model_optimum(config, n_b=201, n_k=120):
    """Optimum of his loss model over a dense ``(b, k_br)`` grid on the expected cluster sizes (no noise, no draws)."""
    from scalinglab.theory.percolation import allocation_nk, bethe_quanta, quanta_allocation_loss

    d = config.data
    K = d.k_clusters
    q = bethe_quanta(K, d.z, d.p_occ, d.s_min, d.s_max)
    bs = np.linspace(config.b_range[0], config.b_range[1], n_b)
    ks = np.geomspace(1.0, float(min(config.kbr_max, K)), n_k)
    B, KB = np.meshgrid(bs, ks, indexing="ij")
    nk = allocation_nk(float(config.N), K, B.ravel(), KB.ravel())
    loss = quanta_allocation_loss(nk, q.freqs, d.c_over_D).reshape(B.shape)
    i, j = np.unravel_index(int(np.argmin(loss)), loss.shape)
    return {"b": float(bs[i]), "kbr": float(ks[j]), "loss": float(loss[i, j]), "grid": [int(n_b), int(n_k)]}


def _fig5_across_seeds(per_seed, config):
    """Distribution over seeds of predicted/best and of the best allocation's ``(b, k_br)``, whole-seed intervals."""
    import warnings

    from scalinglab.theory.fitting import seed_bootstrap

    out = {"n_seeds": len(per_seed), "n_points": per_seed[0]["simulated"]["n_points"],
           "predicted_b": per_seed[0]["simulated"]["predicted_b"],
           "predicted_kbr": per_seed[0]["simulated"]["predicted_kbr"]}
    labels = [p["seed"] for p in per_seed]
    for which in ("simulated", "loss_model"):
        v = [p[which] for p in per_seed]
        ratio = np.array([x["predicted_loss"] / x["best_loss"] for x in v])  # predicted / best random
        b = np.array([x["best_b"] for x in v])
        lk = np.log(np.array([x["best_kbr"] for x in v]))
        fb = np.array([x["frac_better"] for x in v])
        res = {"predicted_over_best": ratio.tolist(), "best_b": b.tolist(), "best_kbr": np.exp(lk).tolist(),
               "frac_better": fb.tolist()}
        if len(v) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # fewer than 5 seeds: jackknife-t, stated in ci_method
                for key, arr, stat in (("predicted_over_best_mean", ratio, np.mean),
                                       ("best_b_mean", b, np.mean), ("best_log_kbr_mean", lk, np.mean),
                                       ("frac_better_mean", fb, np.mean)):
                    si = seed_bootstrap(arr, stat, n_boot=1000, seed=0, labels=labels)
                    res[key] = {"estimate": float(si.estimate), "ci95": [float(si.ci[0]), float(si.ci[1])],
                                "ci_method": si.ci_method}
            kb = res["best_log_kbr_mean"]
            res["best_kbr_geomean"] = {"estimate": float(np.exp(kb["estimate"])),
                                       "ci95": [float(np.exp(kb["ci95"][0])), float(np.exp(kb["ci95"][1]))]}
        res["median_predicted_over_best"] = float(np.median(ratio))
        res["range_predicted_over_best"] = [float(ratio.min()), float(ratio.max())]
        res["seeds_predicted_not_beaten"] = int(np.sum(fb == 0))
        out[which] = res
    out["loss_model_optimum"] = opt = _fig5_loss_model_optimum(config)
    out["budget"] = _fig5_budget(config, opt)
    return out


def _fig5_budget(config, opt):
    """His predicted allocation's DOF total and its loss-model loss, beside the same shape scaled to exactly N.

    His ``n_k = a k^(b-1)`` takes ``a`` from the continuum integral, so the discrete sum over ``k < k_br`` exceeds
    ``N`` (``b < 1``: the sum of a decreasing function beats its integral); the random allocations of Fig. 5 are
    scaled to exactly ``N``.
    """
    from scalinglab.theory.percolation import (allocation_nk, bethe_quanta, brill_b, brill_kbr, brill_nk,
                                               quanta_allocation_loss)

    d = config.data
    K = d.k_clusters
    q = bethe_quanta(K, d.z, d.p_occ, d.s_min, d.s_max)
    nk = brill_nk(float(config.N), np.arange(1, K + 1, dtype=float), d.alpha, d.c_over_D)
    b = float(brill_b(d.alpha, d.c_over_D))
    kbr = float(brill_kbr(float(config.N), b)[0])
    same = allocation_nk(float(config.N), K, np.array([b]), np.array([kbr]))
    his_loss = float(quanta_allocation_loss(nk[None, :], q.freqs, d.c_over_D)[0])
    same_loss = float(quanta_allocation_loss(same, q.freqs, d.c_over_D)[0])
    return {"his_dof_total": float(nk.sum()), "N": float(config.N), "loss_model_his": his_loss,
            "loss_model_same_shape_N": same_loss, "loss_model_optimum": opt["loss"],
            "same_shape_N_over_optimum": same_loss / opt["loss"], "his_over_optimum": his_loss / opt["loss"]}


def _plot_fig5_seeds(summary, path):
    a = summary.get("across_seeds")
    if not a or a["n_seeds"] < 2:
        return None
    fig, axes = new_figure(ncols=3, width=4.0, height=3.4)
    axes = axes[0]
    for which, col in (("simulated", "C0"), ("loss_model", "C1")):
        v = a[which]
        axes[0].hist(v["predicted_over_best"], bins=12, alpha=0.5, color=col, label=which)
        axes[1].semilogy(v["best_b"], v["best_kbr"], "o", color=col, ms=4, label=f"best random, {which}")
    axes[0].axvline(1.0, color="k", ls=":", lw=1)
    axes[0].set(xlabel="predicted loss / best random loss", ylabel="seeds",
                title=f"{a['n_seeds']} seeds x {a['n_points']} allocations")
    axes[1].plot(a["predicted_b"], a["predicted_kbr"], "kx", ms=12, mew=2, label="his predicted optimum")
    o = a["loss_model_optimum"]
    axes[1].plot(o["b"], o["kbr"], "k+", ms=12, mew=1.5, label="loss-model optimum (dense grid)")
    axes[1].set(xlabel="b", ylabel="k_br", title="best allocation per seed")
    axes[2].hist(a["simulated"]["frac_better"], bins=12, color="C0", alpha=0.6)
    axes[2].set(xlabel="fraction of random allocations below predicted (simulated)", ylabel="seeds",
                title="how often the prediction is beaten")
    for ax in axes:
        ax.title.set_fontsize(9)
        ax.legend(fontsize=6) if ax.get_legend_handles_labels()[0] else None
    return save_figure(fig, path, dpi=110)


@protocol.experiment
class BrillFig5(protocol.Experiment):
    name = "brill-fig5"
    description = "Brill Fig. 5: 2000 random DOF allocations at N = 500 on his data set; loss heat-map over (b, " \
                  "k_br), predicted optimum vs the best random one"
    title = "Brill's Fig. 5: random allocations against his predicted optimum"
    config_type = BrillFig5Config

    def cells(self, config):
        cells = []
        for s in range(config.seeds):
            cells.append(BrillFig5Cell(config.data, config.N, config.b_range, config.kbr_max, -1, 0,
                                       config.predicted_repeats, s))
            for ch, start in enumerate(range(0, config.n_points, config.chunk)):
                cells.append(BrillFig5Cell(config.data, config.N, config.b_range, config.kbr_max, ch,
                                           min(config.chunk, config.n_points - start), 0, s))
        return cells

    def group(self, cell):
        return (cell.data, cell.seed)

    def run(self, cells, device):
        out = []
        for c in cells:
            if c.chunk < 0:
                p = brill_fig5_predicted(c.data, c.N, c.repeats, c.seed)
                out.append({"b_pred": p["b"], "kbr_pred": p["kbr"], "loss_model_pred": p["loss_model"],
                            "losses": p["losses"]})
            else:
                out.append(brill_fig5_chunk(c.data, c.N, c.b_range, c.kbr_max, c.count, c.chunk, c.seed))
        return out

    def cost(self, cell):
        sites = _sites(cell.data)
        return 2.5e-8 * sites * max(cell.count, cell.repeats) + 1.5e-6 * sites / 21

    def analyse(self, rows, config):
        per_seed = []
        for s in sorted(rows["seed"].unique()):
            cat, pred = _fig5_arrays(rows, s)
            if pred is None or not cat["b"].size:
                continue
            sim, mod = _fig5_one(cat, pred, config, grid=10)
            keep = ("N", "n_points", "predicted_b", "predicted_kbr", "predicted_loss", "predicted_loss_sd",
                    "predicted_loss_se", "best_loss", "best_b", "best_kbr", "best_over_predicted", "frac_better",
                    "rank_of_predicted")
            per_seed.append({"seed": int(s), "simulated": {k: sim[k] for k in keep},
                             "loss_model": {k: mod[k] for k in keep}})
        out = {"per_seed": per_seed, "wall_s": _wall(rows)}
        if per_seed:
            r = np.array([p["simulated"]["best_over_predicted"] for p in per_seed])
            fb = np.array([p["simulated"]["frac_better"] for p in per_seed])
            out["best_over_predicted"] = {"mean": float(r.mean()), "min": float(r.min()), "max": float(r.max())}
            out["frac_better"] = {"mean": float(fb.mean()), "min": float(fb.min()), "max": float(fb.max())}
            out["across_seeds"] = _fig5_across_seeds(per_seed, config)
            p0 = per_seed[0]["simulated"]
            out["headline"] = (f"seed 0: best of {p0['n_points']} random allocations / predicted = "
                               f"{p0['best_over_predicted']:.3f} (predicted loss {p0['predicted_loss']:.4f} ± "
                               f"{p0['predicted_loss_sd']:.4f} a draw; {100 * p0['frac_better']:.1f} % of the random "
                               f"allocations below it)")
        return out

    def figures(self, rows, summary, config, folder):
        paths = []
        seeds = sorted(rows["seed"].unique())
        if not seeds:
            return paths
        cat, pred = _fig5_arrays(rows, seeds[0])
        if pred is None or not cat["b"].size:
            return paths
        sim, mod = _fig5_one(cat, pred, config)
        fig, axes = new_figure(ncols=2, width=6.4, height=4.8)
        axes = axes[0] if axes.ndim == 2 else axes
        for ax, d, what in ((axes[0], sim, f"simulated on seed {int(seeds[0])}'s clusters (his Fig. 5)"),
                            (axes[1], mod, "his loss model over the expected cluster sizes")):
            X, Y = np.meshgrid(d["heat_b"], d["heat_kbr"], indexing="ij")
            pcm = ax.pcolormesh(X, Y, d["heat_loss"], shading="auto", cmap="magma_r")
            fig.colorbar(pcm, ax=ax, label="loss")
            ax.plot(d["predicted_b"], d["predicted_kbr"], "x", color="k", ms=12, mew=2, label="predicted (his cross)")
            ax.plot(d["best_b"], d["best_kbr"], "+", color="c", ms=12, mew=2, label="best random")
            ax.set(yscale="log", xlabel="b", ylabel="k_br")
            ax.set_title(f"{what}\nN = {d['N']:g}: best random / predicted = {d['best_over_predicted']:.3f}; "
                         f"{100 * d['frac_better']:.1f} % below predicted", fontsize=8)
            ax.legend(fontsize=7, loc="lower left")
        paths.append(save_figure(fig, folder / "brill_fig5.png", dpi=120))
        extra = _plot_fig5_seeds(summary, folder / "brill_fig5_seeds.png")
        if extra is not None:
            paths.append(extra)
        return paths

    def report(self, rows, summary, config):
        tab = []
        for p in summary.get("per_seed", []):
            for which in ("simulated", "loss_model"):
                v = p[which]
                pl = (f"{v['predicted_loss']:.4f} ± {v['predicted_loss_sd']:.4f} (sd of one draw, "
                      f"{config.predicted_repeats} draws)" if which == "simulated" else f"{v['predicted_loss']:.4f}")
                tab.append([p["seed"], which, f"b = {v['predicted_b']:.4f}, k_br = {v['predicted_kbr']:.1f}", pl,
                            f"{v['best_loss']:.4f} (b = {v['best_b']:.2f}, k_br = {v['best_kbr']:.1f})",
                            f"{v['best_over_predicted']:.3f}", f"{100 * v['frac_better']:.1f} %"])
        d = config.data
        return "\n".join([
            f"His setting: {config.n_points} random allocations n_k ∝ k^(b-1) for k <= k_br at N = {config.N:g} DOF, "
            f"b uniform in [{config.b_range[0]:g}, {config.b_range[1]:g}], k_br log-uniform in [1, "
            f"{min(config.kbr_max, d.k_clusters):g}], on " + ("one seed's" if config.seeds == 1 else
                                                   f"each of {config.seeds} seeds'") + f" {d.k_clusters} clusters (z = {d.z} at p_c, "
            f"{d.s_min}..{d.s_max:g} sites); cluster k gets n_k x its scale factor training sites; one evaluation "
            "(fresh training and test sites) per allocation, as in his notebook. His statement (caption): 'A black "
            "cross indicates the parameters predicted to be optimal for model scaling.' Ours: where the best random "
            "allocation lies against the predicted one. A single evaluation is noisy (the sd column), so the "
            "minimum over many random allocations is biased low by about 2-3 sd; the loss-model rows (no noise) "
            "show the comparison without it.\n",
            md_table(["seed", "loss", "predicted allocation", "predicted loss", "best random allocation",
                      "best / predicted", "random below predicted"], tab), _fig5_seeds_text(summary)])


def _fig5_seeds_text(summary):
    a = summary.get("across_seeds")
    if not a or a["n_seeds"] < 2:
        return ""
    rows = []
    for which in ("simulated", "loss_model"):
        v = a[which]
        r, b, k, fb = (v["predicted_over_best_mean"], v["best_b_mean"], v["best_kbr_geomean"], v["frac_better_mean"])
        rows.append([which, f"{r['estimate']:.3f} {_ci(r['ci95'])}; median {v['median_predicted_over_best']:.3f}, "
                            f"range {_ci(v['range_predicted_over_best'])}",
                     f"{b['estimate']:.2f} {_ci(b['ci95'], 2)}", f"{k['estimate']:.1f} {_ci(k['ci95'], 1)}",
                     f"{100 * fb['estimate']:.1f} % {_ci([100 * x for x in fb['ci95']], 1)}",
                     f"{v['seeds_predicted_not_beaten']} of {a['n_seeds']}"])
    o = a["loss_model_optimum"]
    bu = a["budget"]
    return "\n".join([
        f"\n## Across {a['n_seeds']} seeds\n",
        f"Each seed is a fresh data set and a fresh set of {a['n_points']} random allocations. Predicted optimum: "
        f"b = {a['predicted_b']:.4f}, k_br = {a['predicted_kbr']:.1f}; the optimum of his loss model on the expected "
        f"cluster sizes over a dense {o['grid'][0]} x {o['grid'][1]} grid is b = {o['b']:.2f}, k_br = {o['kbr']:.1f}. "
        "Means over seeds with 95 % intervals resampling whole seeds (seed_bootstrap); 'predicted / best' > 1 means "
        "the best random allocation beat the prediction (the minimum of noisy single evaluations is biased low).\n",
        md_table(["loss", "predicted / best random (mean [95 %])", "best b (mean)", "best k_br (geometric mean)",
                  "random below predicted", "seeds where none beat it"], rows),
        f"\nBudget: his predicted allocation n_k = a k^(b-1) (a from the continuum integral) spends "
        f"{bu['his_dof_total']:.1f} DOF at N = {bu['N']:g} (the discrete sum of a decreasing power exceeds its "
        f"integral); the random allocations spend exactly N. In his loss model on the expected clusters: his "
        f"allocation {bu['loss_model_his']:.4f}, the same (b, k_br) scaled to N {bu['loss_model_same_shape_N']:.4f}, "
        f"the dense-grid optimum {bu['loss_model_optimum']:.4f} (same shape at N / optimum = "
        f"{bu['same_shape_N_over_optimum']:.3f}).\n"])


# =========================================================================== percolation-lattice
def _plot_lattice_pc(an, path):
    keys = list(an)
    ncols = min(4, len(keys))
    nrows = int(math.ceil(len(keys) / ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=3.6, height=3.1)
    axes = np.atleast_1d(axes).ravel()
    for ax, k in zip(axes, keys):
        r = an[k]
        e = r.get("pc_extrapolated", {}).get("x")
        if not e:
            ax.set_visible(False)
            continue
        x = np.asarray(e["L"], dtype=float) ** (-1.0 / e["nu"])
        ax.errorbar(x, e["p_half"], yerr=1.96 * np.asarray(e["p_half_se"]), fmt="o", ms=3, label="p_1/2(L), R_x")
        xx = np.linspace(0, x.max() * 1.05, 20)
        ax.plot(xx, e["pc"] + e["a"] * xx, "-", lw=1, label=f"fit: {e['pc']:.5f} {_ci(e['ci'], 5)}")
        if r.get("pc_literature") is not None:
            ax.axhline(r["pc_literature"], color="k", ls=":", lw=1, label=f"literature {r['pc_literature']:.7g}")
        ax.set_title(f"{k}: p_c", fontsize=9)
        ax.set_xlabel(f"L^(-1/nu), nu = {e['nu']:.4g}")
        ax.legend(fontsize=6)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    return save_figure(fig, path, dpi=110)


def _plot_lattice_exponents(an, path):
    fig, axes = new_figure(ncols=2, width=5.0, height=4.0)
    axes = axes[0] if axes.ndim == 2 else axes
    for k, r in an.items():
        if "D" in r:
            L = np.asarray(r["D"]["L"], dtype=float)
            sm = np.asarray(r["D"]["smax"], dtype=float)
            (ln,) = axes[0].loglog(L, sm / L ** r["D_literature"], "o-", ms=3,
                                   label=f"{k}: D = {r['D']['D']:.3f} {_ci(r['D']['ci'])} (lit. {r['D_literature']:.3g})")
    axes[0].set(xlabel="L", ylabel="<s_max> / L^D_lit", title="largest cluster at p_c")
    axes[0].title.set_fontsize(9)
    axes[0].legend(fontsize=6)
    for i, (k, r) in enumerate(an.items()):
        t = r.get("tau_mle_by_L") or []
        if not t:
            continue
        L = np.array([v["L"] for v in t], dtype=float)
        tau = np.array([v["tau"] for v in t])
        ci = np.array([v["ci"] for v in t])
        (ln,) = axes[1].semilogx(L * (1 + 0.02 * i), tau, "o", ms=3, label=k)
        axes[1].vlines(L * (1 + 0.02 * i), ci[:, 0], ci[:, 1], color=ln.get_color(), lw=1)
        axes[1].axhline(r["tau_literature"], color=ln.get_color(), ls=":", lw=0.8)
    axes[1].set(xlabel="L", ylabel="tau (MLE, window [30, <s_max>/100])",
                title="tau at p_c (dotted: literature)")
    axes[1].title.set_fontsize(9)
    axes[1].legend(fontsize=6, ncol=2)
    return save_figure(fig, path, dpi=110)


def _inside(ci, v):
    return "yes" if v is not None and ci[0] <= v <= ci[1] else "no"


def _lattice_fss_text(fss):
    """The finite-size-scaling section of the ``percolation-lattice`` report (issue 23)."""
    if not fss:
        return ""
    tab = []
    for d, r in sorted(fss.items(), key=lambda kv: int(kv[0])):
        lit = r["literature"]
        nu, D = r["nu"], r["D"]
        corr = f"omega = {r['omega']:g}" if (r["omega"] and D["corrected"]) else "none"
        tab.append([d, r["form"], corr,
                    f"{nu['nu']:.3f} {_ci(nu['nu_ci'])}" + (f"; omega/2..2 omega: {_ci(nu['omega_range_nu'])}"
                                                            if nu["omega_range_nu"] else ""),
                    f"{lit['nu']:.4g} ({_inside(nu['nu_ci'], lit['nu'])})",
                    f"{D['D']:.3f} {_ci(D['ci'])}" + (f"; {_ci(D['omega_range'])}" if D["omega_range"] else "")
                    + (f" (D_eff = {D['D_eff']:.3f})" if int(d) >= 6 else ""),
                    f"{lit['D']:.4g} ({_inside(D['ci'], lit['D'])})",
                    "-" if "tau_mle" not in r else
                    f"{r['tau_mle']['tau']:.3f} {_ci(r['tau_mle']['ci'])} [{r['tau_mle']['window'][0]}, "
                    f"{r['tau_mle']['window'][1]}]" + (f", Omega = {r['tau_mle']['Omega']:.3g}"
                                                       if r["tau_mle"]["Omega"] else ", no correction"),
                    f"{r['tau_hyperscaling']['tau']:.3f} {_ci(r['tau_hyperscaling']['ci'])}",
                    f"{lit['tau']:.4g} (MLE {_inside(r['tau_mle']['ci'], lit['tau']) if 'tau_mle' in r else '-'}, "
                    f"1 + d/D {_inside(r['tau_hyperscaling']['ci'], lit['tau'])})",
                    f"{r['largest']['L']} ({r['largest']['samples']} samples, {r['largest']['seconds']:.0f} s)"])
    notes = []
    for d, r in sorted(fss.items(), key=lambda kv: int(kv[0])):
        D = r["D"]
        if D.get("omega_scan"):
            notes.append(f"d = {d}: local exponents of <s_max> between consecutive L (in D units): "
                         + ", ".join(f"{v:.2f}" for v in D["local"]) + "; with an L^-omega term (no literature "
                         "omega here) D = " + ", ".join(f"{v:.3f} (omega = {k})" for k, v in D["omega_scan"].items())
                         + (f"; at D = 4 exactly a multiplicative (ln L)^x fits with x = {D['log_power_at_D4']:.2f}"
                            if "log_power_at_D4" in D else "") + ".")
    return "\n".join([
        "\n## Finite-size scaling as the literature does it (issue 23)\n",
        "nu fitted from the spread of the samples' wrapping thresholds, sigma(L) ∝ L^(-1/nu) (1 + b L^-omega); D from "
        "<s_max>(L) ∝ L^D (1 + B L^-omega); tau by the discrete MLE of s^-tau (1 + a s^-Omega) on [8, <s_max>/20] at "
        "the largest L, and 1 + d/D. Literature omega: 3/2 (d = 2), 1.2 (d = 3), 1.13 (d = 4), 1 (d = 5, one-loop); "
        "the fits with omega halved and doubled give the second interval (systematic). d >= 6 on a torus: lengths "
        "L^(d/6) (Kenna & Berche 2017), so <s_max> ∝ L^(2d/3) and sigma ∝ L^(-d/3); D = (6/d) D_eff and "
        "1/nu = (6/d) y_eff; no correction term there (at d = 6 multiplicative logarithms are expected and not "
        "fitted). 95 % intervals: bootstrap over the stored batches of each size.\n",
        md_table(["d", "form", "correction", "nu (95 %)", "nu lit. (inside)", "D (95 %)", "D lit. (inside)",
                  "tau MLE (95 %)", "tau = 1 + d/D_eff", "tau lit. (inside)", "largest L (wall time)"], tab),
        "\n".join(f"* {n}" for n in notes) + ("\n" if notes else "")])


def _plot_lattice_fss(fss, path):
    fig, axes = new_figure(ncols=2, width=5.0, height=4.0)
    axes = axes[0] if axes.ndim == 2 else axes
    for k, (d, r) in enumerate(sorted(fss.items(), key=lambda kv: int(kv[0]))):
        L = np.asarray(r["nu"]["no_correction_largest3"]["L"], dtype=float)
        Ls = np.array([s["L"] for s in r["sizes"]], dtype=float)
        col = f"C{k}"
        De = r["D"]["expected_D_eff"]
        axes[0].loglog(Ls, np.asarray(r["D"]["smax"]) / Ls ** De, "o-", ms=3, color=col,
                       label=f"d = {d}: D = {r['D']['D']:.3f} {_ci(r['D']['ci'])}")
        ye = r["nu"]["expected_y_eff"]
        axes[1].loglog(Ls, np.asarray(r["nu"]["sigma"]) * Ls ** ye, "o-", ms=3, color=col,
                       label=f"d = {d}: nu = {r['nu']['nu']:.3f} {_ci(r['nu']['nu_ci'])}")
        del L
    axes[0].set(xlabel="L", ylabel="<s_max> / L^D_eff(lit.)  (d >= 6: L^(2d/3))")
    axes[0].set_title("largest cluster at p_c, divided by the literature power (flat = agreement)", fontsize=8)
    axes[1].set(xlabel="L", ylabel="sigma(p_wrap) x L^(1/nu lit.)  (d >= 6: L^(d/3))")
    axes[1].set_title("spread of the wrapping thresholds, times the literature power", fontsize=8)
    for ax in axes:
        ax.legend(fontsize=6)
    return save_figure(fig, path, dpi=110)


def _lattice_interval_method(n_boot):
    """How percolation-lattice's intervals are made (issue 17): the randomised unit is a lattice sample, not a seed."""
    return (f"95 % percentile bootstrap over lattice samples (the randomised unit here: one Newman-Ziff sweep of one "
            f"random lattice; there are no seeds to resample): p_c (extrapolated and crossings) resamples each "
            f"size's samples, {n_boot} resamples; D the same, 300 resamples; tau MLE the wider of the profile "
            f"likelihood-ratio interval and a percentile bootstrap over the stored batches of samples ({n_boot} "
            f"resamples); finite-size-scaling fits: percentile bootstrap over the stored batches of each size "
            f"({n_boot} resamples)")


@protocol.experiment
class PercolationLattice(_LatticeRowsExperiment):
    name = "percolation-lattice"
    description = "Percolation on periodic hypercubic lattices d = 2..7 (Newman-Ziff, site and bond): p_c, D and " \
                  "tau against the literature with intervals"
    title = "Percolation on hypercubic lattices: p_c, D and tau against the literature"
    config_type = LatticeConfig

    def analyse(self, rows, config):
        from scalinglab.validate.percolation._lattice_fss import lattice_fss

        an = lattice_analyse(rows, n_boot=config.n_boot)
        out = {"lattices": an, "wall_s": _wall(rows), "interval_method": _lattice_interval_method(config.n_boot)}
        fss = lattice_fss(rows, n_boot=config.n_boot)
        if fss:
            out["fss"] = {str(d): v for d, v in fss.items()}
        for k, r in an.items():
            e = r.get("pc_extrapolated", {}).get("x")
            if e:
                out[f"pc {k}"] = (f"{e['pc']:.6f} {_ci(e['ci'], 6)} (literature "
                                  f"{r['pc_literature']}; within: {r.get('within', {}).get('x')})")
        return out

    def figures(self, rows, summary, config, folder):
        an = summary.get("lattices", {})
        if not an:
            return []
        paths = [_plot_lattice_pc(an, folder / "lattice_pc.png"),
                 _plot_lattice_exponents(an, folder / "lattice_exponents.png")]
        if summary.get("fss"):
            paths.append(_plot_lattice_fss(summary["fss"], folder / "lattice_fss.png"))
        return paths

    def report(self, rows, summary, config):
        an = summary.get("lattices", {})
        pc_tab, ex_tab = [], []
        for k, r in an.items():
            sizes = r["sizes"]
            Ls = f"{sizes[0]['L']}..{sizes[-1]['L']} ({len(sizes)} sizes, {sum(s['samples'] for s in sizes)} samples)"
            e = r.get("pc_extrapolated", {})
            cr = r.get("pc_crossings") or []
            last = cr[-1] if cr else None
            if e:
                pc_tab.append([k, f"{r['pc_literature']:.8g}" if r["pc_literature"] is not None else "-",
                               f"{e['x']['pc']:.6f} {_ci(e['x']['ci'], 6)}", r.get("within", {}).get("x"),
                               f"{e['any']['pc']:.6f} {_ci(e['any']['ci'], 6)}", r.get("within", {}).get("any"),
                               "-" if last is None else f"{last['pc']:.5f} {_ci(last['ci'], 5)} (L = {last['L1']}, "
                                                        f"{last['L2']})", Ls])
            t = r.get("tau_mle")
            D = r.get("D")
            th = r.get("tau_hyperscaling")
            ex_tab.append([k, "-" if not D else f"{D['D']:.3f} {_ci(D['ci'])}",
                           f"{r['D_literature']:.4g}" if "D_literature" in r else "-",
                           "-" if not th else f"{th['tau']:.3f} {_ci(th['ci'])}",
                           "-" if not t else f"{t['tau']:.3f} {_ci(t['ci'])} (L = {t['L']}, window "
                                             f"[{t['window'][0]}, {t['window'][1]}])",
                           f"{r['tau_literature']:.4g}"])
        return "\n".join([
            f"Intervals: {summary.get('interval_method') or _lattice_interval_method(config.n_boot)}.\n",
            "Newman-Ziff sweeps on periodic L^d lattices (one pass per sample: wrapping numbers, the largest "
            "cluster and the size histogram at the literature p_c). p_c: p_1/2(L) (where R = 1/2) extrapolated in "
            f"L^(-1/nu) by weighted least squares, nu from the literature, 95 % bootstrap over samples "
            f"({config.n_boot}); R_x = wrapping in direction 0, R_any = in any direction; the last crossing of "
            "R_x for consecutive sizes beside it.\n",
            md_table(["lattice", "literature p_c", "ours, R_x (95 %)", "lit. inside", "ours, R_any (95 %)",
                      "lit. inside", "crossing R_x, largest pair", "L used"], pc_tab),
            "D by OLS of log <s_max> on log L at the literature p_c (bootstrap over samples; d <= 5: above d = 6 the "
            "largest cluster on a torus grows as L^(2d/3)); tau = 1 + d/D by hyperscaling, and the direct MLE "
            "(fitting.discrete_powerlaw_fit on the window, the wider of the likelihood-ratio and the "
            "batch-bootstrap intervals) at the largest L.\n",
            md_table(["lattice", "D ours (95 %)", "D lit.", "tau = 1 + d/D", "tau MLE", "tau lit."], ex_tab),
            f"Wall time of the stored cells (rows' `wall_s`): {summary.get('wall_s', float('nan')):.0f} s.\n",
            _lattice_fss_text(summary.get("fss"))])

