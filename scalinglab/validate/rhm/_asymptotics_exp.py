"""``scalinglab reproduce rhm-asymptotics``: the closed-form asymptotic learning curve and the regime map.

CPU only, no training. Three kinds of cells:

* ``closed``: L levels sharing ``Zipf(alpha)`` with m rules: eps(P) summed over the exact/binned path
  spectrum (the kernels) against the truncations of :func:`asymptotic_learning_curve` (leading term,
  + first correction, ..., full main term), normalised at the same m; relative errors;
* ``levels``: per-level exponents (:func:`asymptotic_learning_curve_levels`) against the kernels;
* ``regime``: :func:`rhm_regime_map` at (alpha, L, m);
* ``threshold``: :func:`asymptotic_m_threshold` at (alpha, L).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.rhm import (RHMSpec, asymptotic_learning_curve, asymptotic_learning_curve_levels,
                                   asymptotic_m_threshold, eps_of_spectrum, path_spectrum, rhm_regime_map)
from scalinglab.validate import protocol
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.report import md_table

__all__ = ["AsymptoticsConfig", "AsymptoticsCell", "asymptotics_cell"]


@dataclass(frozen=True)
class AsymptoticsConfig:
    """Config of ``rhm-asymptotics``.

    Examples
    --------
    >>> cells = protocol.get("rhm-asymptotics").cells(AsymptoticsConfig())
    >>> sorted({c.what for c in cells})
    ['closed', 'levels', 'regime', 'threshold']
    """

    alphas: tuple[float, ...] = field(default=(0.5, 1.0, 2.0, 4.0), metadata={"gt": 0})
    n_c: int = field(default=10, metadata={"ge": 1})
    #: closed-form checks: depths, m, P grid
    closed_Ls: tuple[int, ...] = field(default=(2, 3, 4, 5), metadata={"ge": 1, "le": 8})
    closed_ms: tuple[int, ...] = field(default=(100, 1000, 10000), metadata={"ge": 2, "le": 10**6})
    closed_P: tuple[float, ...] = field(default=(1e2, 1e3, 1e4, 1e5, 1e6), metadata={"gt": 1})
    #: per-level exponents (one tuple per case, L = its length), at m = levels_m
    level_cases: tuple[tuple[float, ...], ...] = ((1.0, 2.0, 2.0), (0.5, 1.0, 2.0), (1.0, 1.0, 2.0), (2.0, 4.0))
    levels_m: int = field(default=10000, metadata={"ge": 2, "le": 10**6})
    #: regime map: depths and m
    regime_Ls: tuple[int, ...] = field(default=(3,), metadata={"ge": 1, "le": 8})
    regime_ms: tuple[int, ...] = field(default=(10, 16, 24, 32, 1000, 10**6), metadata={"ge": 2})
    tol: float = field(default=0.05, metadata={"gt": 0, "lt": 1})
    min_decades: float = field(default=1.0, metadata={"gt": 0})
    #: m threshold: depths, upper end of the search, bin width in ln f
    threshold_Ls: tuple[int, ...] = field(default=(2, 3, 4), metadata={"ge": 1, "le": 8})
    threshold_m_max: float = field(default=1e12, metadata={"gt": 10})
    bin_width: float = field(default=1e-2, metadata={"gt": 0})


@dataclass(frozen=True)
class AsymptoticsCell:
    """One computation of ``rhm-asymptotics`` (``what`` = closed, levels, regime or threshold).

    Examples
    --------
    >>> c = AsymptoticsCell("closed", alphas=(1.0, 1.0), m=1000, P=(1e3,), n_c=10)
    >>> r = asymptotics_cell(c)
    >>> r["n_terms"], abs(json.loads(r["rel_err"])[-1][0]) < 0.01     # full main term at P = 1000, m = 1000
    (2, True)
    """

    kind: ClassVar[str] = "rhm-asymptotics"

    what: str
    alphas: tuple[float, ...]
    m: int = 0
    P: tuple[float, ...] = ()
    n_c: int = 10
    tol: float = 0.05
    min_decades: float = 1.0
    m_max: float = 0.0
    bin_width: float = 1e-2


def _kernel_eps(alphas, m, P, n_c):
    spec = RHMSpec.make(n_c=n_c, v=max(m, n_c), m=m, L=len(alphas), alpha=tuple(alphas))
    return eps_of_spectrum(path_spectrum(spec), np.asarray(P, dtype=float))


def asymptotics_cell(cell):
    """The row of one cell (lists as JSON strings where nested)."""
    c = cell
    if c.what == "closed":
        a, L = c.alphas[0], len(c.alphas)
        ref = _kernel_eps(c.alphas, c.m, c.P, c.n_c)
        ac = asymptotic_learning_curve(L)
        errs = [list(ac.eps(a, np.asarray(c.P), n_c=c.n_c, terms=t, m=c.m) / ref - 1) for t in range(1, L + 1)]
        return {"eps": [float(v) for v in ref], "rel_err": json.dumps(errs), "n_terms": L,
                "A": float(ac.numeric_coeffs(a, c.n_c)[0]),
                "B": float(ac.numeric_coeffs(a, c.n_c)[1] / ac.numeric_coeffs(a, c.n_c)[0]) if L > 1 else 0.0}
    if c.what == "levels":
        ref = _kernel_eps(c.alphas, c.m, c.P, c.n_c)
        la = asymptotic_learning_curve_levels(c.alphas, n_c=c.n_c, m=c.m)
        errs = [list(la.eps(np.asarray(c.P), terms=t) / ref - 1) for t in range(1, len(la.terms) + 1)]
        return {"eps": [float(v) for v in ref], "rel_err": json.dumps(errs), "n_terms": len(la.terms),
                "A": la.A, "B": float(la.exponent), "terms": json.dumps(la.terms)}
    if c.what == "regime":
        rm = rhm_regime_map(c.alphas[0], len(c.alphas), c.m, n_c=c.n_c, tol=c.tol, min_decades=c.min_decades)
        return {"regime": json.dumps(rm.to_dict()), "local_exponent": [float(v) for v in rm.local_exponent],
                "P_grid": [float(v) for v in rm.P]}
    if c.what == "threshold":
        th = asymptotic_m_threshold(c.alphas[0], len(c.alphas), n_c=c.n_c, tol=c.tol, min_decades=c.min_decades,
                                    m_max=c.m_max, bin_width=c.bin_width)
        return {"m_min": th.m_min, "bracket": [float(v) for v in th.bracket],
                "window": [float(v) for v in th.window]}
    raise ValueError(f"unknown cell {c.what!r}")  # pragma: no cover


def _fmt_err(x):
    return f"{100 * x:+.2g} %" if abs(x) >= 1e-4 else f"{100 * x:+.1e} %"


@protocol.experiment
class RHMAsymptotics(protocol.Experiment):
    name = "rhm-asymptotics"
    description = ("closed-form asymptotic eps(P) (sympy) vs exact/binned eps at large m; regime map and the m "
                   "from which eps(P) shows alpha/(1+alpha) (CPU, no training)")
    title = "RHM: the asymptotic learning curve, its truncations and the regime map"
    config_type = AsymptoticsConfig

    def cells(self, config):
        out = []
        for L in config.closed_Ls:
            for a in config.alphas:
                for m in config.closed_ms:
                    out.append(AsymptoticsCell("closed", (float(a),) * L, m, tuple(config.closed_P), config.n_c))
        for case in config.level_cases:
            out.append(AsymptoticsCell("levels", tuple(float(v) for v in case), config.levels_m,
                                       tuple(config.closed_P), config.n_c))
        for L in config.regime_Ls:
            for a in config.alphas:
                for m in config.regime_ms:
                    out.append(AsymptoticsCell("regime", (float(a),) * L, m, (), config.n_c, config.tol,
                                               config.min_decades))
        for L in config.threshold_Ls:
            for a in config.alphas:
                out.append(AsymptoticsCell("threshold", (float(a),) * L, 0, (), config.n_c, config.tol,
                                           config.min_decades, config.threshold_m_max, config.bin_width))
        return out

    def run(self, cells, device):
        return [asymptotics_cell(c) for c in cells]

    def cost(self, cell):
        return {"closed": 0.3, "levels": 0.5, "regime": 0.5, "threshold": 4.0}[cell.what]

    # -- analysis
    def analyse(self, rows, config):
        recs = rows.to_dict("records")
        closed = []
        for r in (r for r in recs if r["what"] == "closed"):
            errs = json.loads(r["rel_err"])
            closed.append({"L": len(r["alphas"]), "alpha": r["alphas"][0], "m": r["m"], "P": list(r["P"]),
                           "rel_err": errs, "A": r["A"], "B": r["B"]})
        levels = [{"alphas": list(r["alphas"]), "m": r["m"], "P": list(r["P"]), "rel_err": json.loads(r["rel_err"]),
                   "terms": json.loads(r["terms"])} for r in recs if r["what"] == "levels"]
        regime = [json.loads(r["regime"]) for r in recs if r["what"] == "regime"]
        thresholds = [{"alpha": r["alphas"][0], "L": len(r["alphas"]), "m_min": r["m_min"],
                       "bracket": list(r["bracket"]), "window": list(r["window"])}
                      for r in recs if r["what"] == "threshold"]
        out = {"closed": closed, "levels": levels, "regime": regime, "thresholds": thresholds,
               "tol": config.tol, "min_decades": config.min_decades}
        # the quotable sentence: alpha = 1, L = 3, m = 10
        q = [g for g in regime if g["alpha"] == 1.0 and g["L"] == 3 and g["m"] == 10]
        t = [th for th in thresholds if th["alpha"] == 1.0 and th["L"] == 3]
        if q and t:
            th = t[0]
            out["quote"] = {"m10_shows_a": q[0]["shows_a"], "m10_decades_a": q[0]["decades_a"],
                            "m_min": th["m_min"], "bracket": th["bracket"], "window": th["window"],
                            "m10_shows_b": q[0]["shows_b"], "m10_decades_b": q[0]["decades_b"]}
        # m = oo: where the main term's own local exponent comes within tol of alpha/(1+alpha)
        inf = {}
        for L in sorted({c["L"] for c in closed}):
            ac = asymptotic_learning_curve(L)
            for a in config.alphas:
                lam = np.linspace(1.0, 2000.0, 40000)
                le = ac.local_exponent(a, np.exp(np.minimum(lam, 700.0)))
                ok = np.abs(le / (a / (1 + a)) - 1) <= config.tol
                ok &= lam <= 700.0
                inf[f"L={L},alpha={a:g}"] = float(lam[np.argmax(ok)] / math.log(10)) if ok.any() else None
        out["log10_P_tol_m_inf"] = inf
        return out

    def figures(self, rows, summary, config, folder):
        recs = rows.to_dict("records")
        fig, axes = new_figure(ncols=3, width=4.4, height=3.6)
        axes = list(axes.flat)
        ax = axes[0]
        big = max(config.closed_ms)
        for r in (r for r in recs if r["what"] == "closed" and r["m"] == big and r["alphas"][0] == 1.0):
            errs = json.loads(r["rel_err"])
            L = len(r["alphas"])
            for t, e in enumerate(errs):
                ax.semilogx(r["P"], np.abs(e), ["-", "--", ":", "-."][t % 4], color=f"C{L}",
                            label=f"L={L}, {t + 1} term{'s' * (t > 0)}" if t in (0, L - 1) else None)
        ax.set_yscale("log")
        ax.set_xlabel("P")
        ax.set_ylabel("|asymptote / ε(P) − 1|")
        ax.set_title(f"truncations vs ε(P), α = 1, m = {big}", fontsize=9)
        ax.legend(fontsize=6)
        ax = axes[1]
        for r in (r for r in recs if r["what"] == "regime" and r["alphas"][0] == 1.0):
            ax.semilogx(r["P_grid"], r["local_exponent"], label=f"m = {r['m']}")
        ax.axhspan(0.5 * (1 - config.tol), 0.5 * (1 + config.tol), color="k", alpha=0.12, label="α/(1+α) ± 5 %")
        ax.set_ylim(0, 1.2)
        ax.set_xlabel("P")
        ax.set_ylabel("−d ln ε/d ln P")
        ax.set_title("local exponent, α = 1, L = 3", fontsize=9)
        ax.legend(fontsize=6)
        ax = axes[2]
        for L in sorted({th["L"] for th in summary["thresholds"]}):
            ths = sorted((th for th in summary["thresholds"] if th["L"] == L), key=lambda x: x["alpha"])
            ax.semilogy([th["alpha"] for th in ths], [th["m_min"] for th in ths], "o-", label=f"L = {L}")
        ax.set_xlabel("α")
        ax.set_ylabel("smallest m with a window (a)")
        ax.set_title("m needed to see α/(1+α) over a decade", fontsize=9)
        ax.legend(fontsize=7)
        return [save_figure(fig, folder / "rhm_asymptotics.png", dpi=130)]

    def report(self, rows, summary, config):
        big = max(config.closed_ms)
        tab = []
        for c in summary["closed"]:
            if c["m"] != big:
                continue
            for j, P in enumerate(c["P"]):
                tab.append([c["L"], f"{c['alpha']:g}", f"{P:.0e}"] + [_fmt_err(e[j]) for e in c["rel_err"]]
                           + [""] * (5 - len(c["rel_err"])))
        lev = []
        for c in summary["levels"]:
            for j, P in enumerate(c["P"]):
                lev.append([str(tuple(c["alphas"])), f"{P:.0e}"] + [_fmt_err(e[j]) for e in c["rel_err"]][:4]
                           + [""] * (4 - min(4, len(c["rel_err"]))))
        reg = [[g["L"], f"{g['alpha']:g}", g["m"], f"{g['P_star']:.3g}", f"{g['decades_a']:.2f}",
                f"{g['note_exponent']:.3f}" if g.get("note_exponent") is not None else "-",
                f"{g['decades_b']:.2f}"] for g in summary["regime"]]
        thr = [[th["L"], f"{th['alpha']:g}", f"{th['m_min']:.3g}", f"{th['bracket'][0]:.3g} .. {th['bracket'][1]:.3g}",
                f"{th['window'][0]:.2g} .. {th['window'][1]:.2g}"] for th in summary["thresholds"]]
        q = summary.get("quote")
        quote = (f"At m = 10, L = 3 (alpha = 1) no P window shows the asymptotic exponent (longest run within "
                 f"{100 * config.tol:g} %: {q['m10_decades_a']:.2f} decades); it needs m >= {q['m_min']:.3g}."
                 if q else "")
        return "\n".join([
            "## Closed form against eps(P)\n",
            f"Relative error (asymptote/eps - 1) of the truncations of the m -> oo main term "
            f"(1 term = A P^-b (ln P)^(L-1), 2 = + first correction, L = full main term), normalised by Z_m, "
            f"against eps(P) from the exact/binned spectrum at m = {big}.\n",
            md_table(["L", "alpha", "P", "1 term", "2 terms", "3 terms", "4 terms", "5 terms"], tab),
            "\n## Per-level exponents\n",
            md_table(["alphas", "P", "1 term", "2 terms", "3 terms", "4 terms"], lev),
            "\n## Regime map\n",
            f"Longest P window below P*/10 where the local exponent is within {100 * config.tol:g} % of "
            "alpha/(1+alpha) (a) and of alpha'/(1+alpha') (b, full-window alpha'), in decades.\n",
            md_table(["L", "alpha", "m", "P*", "decades (a)", "alpha'/(1+alpha')", "decades (b)"], reg),
            "\n## m threshold\n",
            md_table(["L", "alpha", "m_min", "bracket", "window (a) at m_min"], thr),
            "", quote])



def guide_markdown(summary):
    """The generated block of docs/guide/rhm.md (the sentence and two tables) from a stored summary.

    ``tests/test_rhm_asymptotics.py`` checks that the guide holds exactly this text for
    ``results/reference/rhm-asymptotics/summary.json``.
    """
    q = summary["quote"]
    tol = 100 * summary["tol"]
    lines = [f"At m = 10, L = 3 (α = 1) no P window shows the asymptotic exponent: the longest run of P within "
             f"{tol:g} % of α/(1+α) spans {q['m10_decades_a']:.2f} decades, and within {tol:g} % of the note's "
             f"α′/(1+α′) {q['m10_decades_b']:.2f}; one decade at α/(1+α) needs m ≥ {q['m_min']:.3g} "
             f"(bisection bracket {q['bracket'][0]:.4g} … {q['bracket'][1]:.4g}), where it lies at "
             f"P = {q['window'][0]:.2g} … {q['window'][1]:.2g}.", ""]
    lines += ["| L | α | m_min (window (a) ≥ 1 decade) | its window in P | m = ∞: P from which the local exponent "
              "is within tol |", "|---|---|---|---|---|"]
    inf = summary.get("log10_P_tol_m_inf", {})
    for th in sorted(summary["thresholds"], key=lambda t: (t["L"], t["alpha"])):
        key = f"L={th['L']},alpha={th['alpha']:g}"
        v = inf.get(key)
        lines.append(f"| {th['L']} | {th['alpha']:g} | {th['m_min']:.3g} | {th['window'][0]:.2g} … "
                     f"{th['window'][1]:.2g} | {'10^%.1f' % v if v is not None else '—'} |")
    lines += ["", "| L | α | m | P* | decades (a) | α′/(1+α′) | decades (b) |", "|---|---|---|---|---|---|---|"]
    for g in sorted(summary["regime"], key=lambda g: (g["L"], g["alpha"], g["m"])):
        ne = g.get("note_exponent")
        lines.append(f"| {g['L']} | {g['alpha']:g} | {g['m']} | {g['P_star']:.3g} | {g['decades_a']:.2f} | "
                     f"{'%.3f' % ne if ne is not None else '—'} | {g['decades_b']:.2f} |")
    big = max(c["m"] for c in summary["closed"])
    Ps = summary["closed"][0]["P"]
    lines += ["", f"Relative error in % of the truncations against ε(P) at m = {big}, each cell "
              "`leading / + first correction / full main term`:", "",
              "| L | α | " + " | ".join(f"P = {P:.0e}" for P in Ps) + " |", "|---|---|" + "---|" * len(Ps)]
    for c in sorted((c for c in summary["closed"] if c["m"] == big), key=lambda c: (c["L"], c["alpha"])):
        e = c["rel_err"]
        cells = [" / ".join(f"{100 * e[t][j]:+.2g}" for t in (0, 1, len(e) - 1)) for j in range(len(Ps))]
        lines.append(f"| {c['L']} | {c['alpha']:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
