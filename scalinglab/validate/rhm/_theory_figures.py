"""Figures of the RHM path theory and the RHM section of ``scalinglab demo``.

Figures (theory side of the seed): the Zipf plot of paths for L = 2..5 (seed
Fig. 3), alpha' against alpha with alpha_c marked, and predicted eps(P) for
Zipf rules on level 3 only / levels 2-3 / all levels / none (seed Fig. 2).
"""

from __future__ import annotations

import time

import numpy as np

from scalinglab.theory.rhm import (RHMSpec, alpha_c, alpha_c_table, alpha_prime, learning_curve, local_alpha_prime,
                                   path_spectrum)
from scalinglab.validate.plots import new_figure, slope_triangle

__all__ = ["zipf_paths_figure", "alpha_prime_figure", "eps_figure", "fig2_configs", "demo_section", "drop_scale"]

SEED_ALPHA_C = {3: 0.2, 4: 0.8}  # the seed's "numerically alpha_c ~" for m = 10


def fig2_configs(alpha=1.0, m=10, v=10, n_c=10, s=2, L=3):
    """The four rule settings of seed Fig. 2: {label: RHMSpec}.

    Examples
    --------
    >>> {k: s.describe() for k, s in fig2_configs().items()}["Zipf on levels 2-3"]
    'RHM(n_c=10, v=10, m=10, s=2, L=3, levels=[uniform, zipf(1), zipf(1)])'
    """
    mk = lambda lv: RHMSpec.make(n_c=n_c, v=v, m=m, s=s, L=L, alpha=alpha, zipf_levels=lv)  # noqa: E731
    return {
        "Zipf on level 3 only": mk([3]),
        "Zipf on levels 2-3": mk([2, 3]),
        "Zipf on all levels": mk([1, 2, 3]),
        "uniform": RHMSpec.make(n_c=n_c, v=v, m=m, s=s, L=L, alpha=-1.0),
    }


def drop_scale(spec, level=0.9):
    """Predicted start of the drop: the smallest P with ``eps(P) <= level``, and
    ``1/f_max``, the scale at which the most frequent path is seen once.

    Examples
    --------
    >>> from scalinglab.theory.rhm import RHMSpec
    >>> d = drop_scale(RHMSpec.make(alpha=1.0))
    >>> round(d["P_eps_0.9"], 1), round(d["first_path_scale"], 1)
    (12.6, 37.2)
    """
    sp = path_spectrum(spec)
    P = np.geomspace(1, 1e8, 801)
    eps = learning_curve(sp, P).eps
    idx = np.flatnonzero(eps <= level)
    return {"P_eps_%g" % level: float(P[idx[0]]) if idx.size else float("nan"),
            "first_path_scale": float(1 / sp.freq[0])}


def zipf_paths_figure(m=10, Ls=(2, 3, 4, 5), alpha=1.0):
    """Seed Fig. 3: per-class path frequency against rank, with the alpha' fit
    (left), and the local exponent alpha'(rank) (right, half-width 0.5 decade).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = zipf_paths_figure(Ls=(2, 3))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['path frequency  ∏ f_i', "local α'(rank)"]
    >>> plt.close(fig)
    """
    fig, axes = new_figure(ncols=2)
    ax, ax2 = axes[0]
    for L in Ls:
        sp = path_spectrum(RHMSpec(n_c=1, v=m, m=m, s=2, L=L, alpha=alpha))
        fit = alpha_prime(sp)
        r = np.concatenate([[1], sp.rank_hi])
        (line,) = ax.step(r, np.concatenate([sp.f, sp.f[-1:]]), where="post",
                          label=f"L={L}: α'={fit.alpha_prime:.2f}")
        loc = local_alpha_prime(sp, ranks=np.geomspace(1, m**L, 40))
        ax2.plot(loc.ranks, loc.alpha_prime, color=line.get_color(), label=f"L={L}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rank of path (per class)")
    ax.set_ylabel("path frequency  ∏ f_i")
    ax.set_title(f"Zipf plot of paths, m={m}, α={alpha:g} on every level")
    ax.legend(fontsize=8)
    ax2.axhline(alpha, color="k", ls=":", lw=1, label="α (one level)")
    ax2.axhline(0, color="gray", lw=0.8)
    ax2.set_xscale("log")
    ax2.set_xlabel("rank of path (per class)")
    ax2.set_ylabel("local α'(rank)")
    ax2.set_title("local exponent (OLS over ±0.5 decade)")
    ax2.legend(fontsize=8)
    return fig


def alpha_prime_figure(m=10, Ls=(2, 3, 4, 5), alphas=None):
    """alpha' (full window, log-uniform ranks) against alpha, alpha_c marked.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = alpha_prime_figure(Ls=(2,), alphas=[0.0, 1.0])
    >>> fig.axes[0].get_ylabel()
    "path exponent α'"
    >>> plt.close(fig)
    """
    alphas = np.linspace(-0.9, 3.0, 40) if alphas is None else np.asarray(alphas)
    fig, ax = new_figure()
    ax.plot(alphas, alphas, "k:", lw=1, label="L=1: α'=α")
    for L in Ls:
        ap = [alpha_prime(RHMSpec(n_c=1, v=m, m=m, s=2, L=L, alpha=a)).alpha_prime for a in alphas]
        ac = alpha_c(m, L).alpha_c
        (line,) = ax.plot(alphas, ap, label=f"L={L}  (α_c = {ac:.3f})")
        ax.plot([ac], [0], "o", color=line.get_color())
    ax.axhline(0, color="gray", lw=0.8)
    ax.set_xlabel("level exponent α  (f_i ∝ i^-(1+α) on every level)")
    ax.set_ylabel("path exponent α'")
    ax.set_title(f"α' against α, m={m}; dots: α_c (full window)")
    ax.legend(fontsize=8)
    return fig


def eps_figure(alpha=1.0, P=None):
    """Theory side of seed Fig. 2: predicted eps(P) for the four rule settings.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = eps_figure(P=[1, 10, 100, 1000])
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:4]
    ['Zipf on level 3 only', 'Zipf on levels 2-3', 'Zipf on all levels', 'uniform']
    >>> plt.close(fig)
    """
    P = np.geomspace(1, 1e6, 200) if P is None else P
    fig, ax = new_figure()
    styles = {"Zipf on level 3 only": ":", "Zipf on levels 2-3": "-.", "Zipf on all levels": "-", "uniform": "--"}
    for label, spec in fig2_configs(alpha).items():
        lc = learning_curve(spec, P)
        ax.plot(P, lc.eps, styles[label], label=label)
    spec = fig2_configs(alpha)["Zipf on all levels"]
    pe = learning_curve(spec, [1e3]).predicted_exponent
    if np.isfinite(pe):
        slope_triangle(ax, 3e2, 0.04, -pe, label=f"α'/(1+α') = {pe:.2f}")
    ax.axvline(spec.P_star, color="gray", lw=0.8)
    ax.text(spec.P_star * 1.1, 0.6, "P* = n_c m^L", fontsize=7, color="gray")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(1e-3, 1.5)
    ax.set_xlabel("training-set size P")
    ax.set_ylabel("ε(P) = Σ f (1-f)^P")
    ax.set_title(f"Predicted seen-path error, m=v=n_c=10, L=3, α={alpha:g}")
    ax.legend(fontsize=8)
    return fig


def demo_section(report, quick=False):
    """RHM headline predictions, the alpha_c table and the three theory figures."""
    lines = ["== Zipf Random Hierarchy Model: path theory =="]
    report.section("Zipf Random Hierarchy Model: path theory")
    Ls = (2, 3, 4) if quick else (2, 3, 4, 5, 6)
    # alpha' at alpha = 1
    aps = {L: alpha_prime(RHMSpec(n_c=10, v=10, m=10, s=2, L=L, alpha=1.0)) for L in Ls}
    lines.append("alpha' (m=10, alpha=1 on every level, full window, 200 log-uniform ranks):")
    lines += [f"  L={L}: alpha'={a.alpha_prime:.3f}  ->  predicted exponent alpha'/(1+alpha')={a.predicted_exponent:.3f}"
              for L, a in aps.items()]
    report.table(["L", "α' (α=1)", "α'/(1+α')"],
                 [[L, a.alpha_prime, a.predicted_exponent] for L, a in aps.items()])
    # alpha_c table
    rows = alpha_c_table(10, Ls=Ls)
    lines.append("alpha_c (m=10) by rank window [1, r_hi] (log-uniform OLS):")
    for L in Ls:
        cells = [f"{r['window']}={r['alpha_c']:.3f}" for r in rows if r["L"] == L]
        seed = f"   (seed: ~{SEED_ALPHA_C[L]})" if L in SEED_ALPHA_C else ""
        lines.append(f"  L={L}: " + ", ".join(cells) + seed)
    report.text("α_c(m=10, L, window): the α shared by all levels where the fitted α' vanishes; window [1, r_hi] "
                "in per-class rank, α' by OLS of ln f on ln rank over 200 log-uniform integer ranks.")
    report.table(["L", "window", "r_hi", "α_c"], [[r["L"], r["window"], r["r_hi"], r["alpha_c"]] for r in rows])
    report.add_headline("rhm", {"alpha_prime_alpha1": {L: a.alpha_prime for L, a in aps.items()},
                                "alpha_c": rows})
    # Fig. 2 settings
    lines.append("seed Fig. 2 settings (m=v=n_c=10, L=3, alpha=1): predicted start of the drop")
    drops = {}
    for label, spec in fig2_configs(1.0).items():
        d = drop_scale(spec)
        drops[label] = d
        lines.append(f"  {label:22s} 1/f_max = {d['first_path_scale']:9.3g}   eps(P)<=0.9 from P = {d['P_eps_0.9']:9.3g}")
    lines.append("  (seed: drop starts near 1e3, 1e2, 1e1 for Zipf on 1, 2, 3 levels; uniform at P* = 1e4)")
    report.table(["rules", "1/f_max", "P where ε ≤ 0.9"],
                 [[k, v["first_path_scale"], v["P_eps_0.9"]] for k, v in drops.items()])
    report.add_headline("rhm", {"fig2_drop_scales": drops})
    # sizes the engine handles
    t0 = time.perf_counter()
    sp1 = path_spectrum(RHMSpec(n_c=10, v=10, m=10, s=2, L=12, alpha=1.0))
    t1 = time.perf_counter()
    sp2 = path_spectrum(RHMSpec(n_c=10, v=1000, m=1000, s=2, L=4, alpha=1.0))
    t2 = time.perf_counter()
    lines.append(f"spectrum m=10, L=12: {sp1.n_groups} groups ({sp1.mode}) in {t1 - t0:.2f} s; "
                 f"m=1000, L=4: {sp2.n_groups} groups ({sp2.mode}, |Δln f| <= {sp2.log_tol:g}) in {t2 - t1:.2f} s")
    # figures
    report.figure(zipf_paths_figure(Ls=(2, 3, 4, 5)), "rhm_zipf_paths",
                  "Zipf plot of paths (seed Fig. 3): deeper hierarchies flatten the spectrum; right: the "
                  "local exponent, which drifts with rank, so α' depends on the window.")
    report.figure(alpha_prime_figure(Ls=(2, 3, 4, 5), alphas=np.linspace(-0.9, 3.0, 16 if quick else 40)),
                  "rhm_alpha_prime", "α' against α; dots mark α_c.")
    report.figure(eps_figure(1.0), "rhm_eps_fig2",
                  "Predicted ε(P) for the seed's Fig. 2 settings (theory side), with the α'/(1+α') slope.")
    return lines
