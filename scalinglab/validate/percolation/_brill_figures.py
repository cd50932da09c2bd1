"""Brill's theory figures 2-5 with his parameter values, as arrays (and plain matplotlib drawings).

* Fig. 2: model scaling ``L(N)`` (raw, not normalised) for ``alpha = 1`` and
  ``c/D in {0.1, 0.5, 1, 2, 20}``, ``N`` in ``[1, 1e8]``, with his dotted
  asymptotes and the exact ones (:func:`brill_fig2`). He offsets ``b`` by
  ``1e-6`` at ``c/D = alpha`` to dodge ``b = 0``; we use the exact ``b = 0``
  limit ``N = k_br ln k_br``.
* Fig. 3: data scaling ``L(D)`` (raw), ``D`` in ``[1, 1e6]`` (:func:`brill_fig3`).
* Fig. 4: ``(c/D)/alpha`` and ``(c/D)/(alpha/(1+alpha))`` against ``d = 2..8`` for
  ``c = 2, 4, 6`` (:func:`brill_fig4`), with ``tau(d)``, ``D(d)`` from our
  lattice sweeps where given (``measured``), his literature values elsewhere.
* Fig. 5: :func:`scalinglab.validate.percolation.brill_fig5` (needs the toy clusters).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scalinglab.theory.percolation import (brill_data_asymptotes, brill_data_loss, brill_model_asymptotes,
                                           brill_model_loss, lattice_exponents)

__all__ = ["BRILL_CDS", "brill_fig2", "brill_fig3", "brill_fig4", "plot_brill_fig2", "plot_brill_fig3",
           "plot_brill_fig4", "plot_brill_fig5"]

BRILL_CDS = (0.1, 0.5, 1.0, 2.0, 20.0)


def brill_fig2(c_over_D=BRILL_CDS, alpha=1.0, n_points=400):
    """His Fig. 2 arrays: raw ``L(N)`` per ``c/D``, ``N`` log-spaced in ``[1, 1e8]``.

    Returns
    -------
    dict
        ``N``; ``loss[cD]``; ``asymptote_brill[cD]`` (his two dotted lines:
        ``(1+1/alpha) N^-alpha`` and ``(alpha/(cD+1))^-(cD+1) N^-cD`` for the
        smallest ``c/D``) and ``asymptote_exact[cD]``.

    >>> f = brill_fig2(n_points=5)
    >>> sorted(f["loss"])[:2], float(f["N"][0])
    ([0.1, 0.5], 1.0)
    """
    N = np.geomspace(1.0, 1e8, n_points)
    out = {"N": N, "alpha": alpha, "loss": {}, "asymptote_exact": {}, "asymptote_brill": {}}
    for cd in c_over_D:
        out["loss"][cd] = brill_model_loss(N, alpha, cd, normalise=False)
        a = brill_model_asymptotes(N, alpha, cd)
        out["asymptote_exact"][cd] = a["exact"]
        out["asymptote_brill"][cd] = a["brill_quanta"] if cd > alpha else a["brill_manifold"]
    return out


def brill_fig3(c_over_D=BRILL_CDS, alpha=1.0, n_points=400):
    """His Fig. 3 arrays: raw ``L(D)`` per ``c/D``, ``D`` log-spaced in ``[1, 1e6]``, and the two-term asymptotes.

    Examples
    --------
    >>> f = brill_fig3(n_points=5)
    >>> sorted(f["loss"]), float(f["D"][0]), float(f["D"][-1])
    ([0.1, 0.5, 1.0, 2.0, 20.0], 1.0, 1000000.0)
    """
    D = np.geomspace(1.0, 1e6, n_points)
    out = {"D": D, "alpha": alpha, "loss": {}, "asymptotes": {}}
    for cd in c_over_D:
        out["loss"][cd] = brill_data_loss(D, alpha, cd, normalise=False)
        out["asymptotes"][cd] = brill_data_asymptotes(D, alpha, cd)
    return out


def brill_fig4(c_values=(2, 4, 6), d_values=range(2, 9), measured=None):
    """His Fig. 4 arrays: exponent ratios against lattice dimension.

    Parameters
    ----------
    measured : dict, optional
        ``{d: {"tau": .., "D": ..}}`` from our sweeps (e.g. ``D`` for ``d <= 5``,
        ``tau = 1 + d/D`` by hyperscaling); literature elsewhere.

    Returns
    -------
    dict
        ``d``, ``tau``, ``D``, ``alpha``, ``source``, ``model_ratio[c]``
        (``(c/D)/alpha``), ``data_ratio[c]`` (``(c/D)/(alpha/(1+alpha))``).

    Examples
    --------
    >>> f = brill_fig4()
    >>> f["d"], f["D"].round(2)                                   # literature D where nothing is measured
    (array([2, 3, 4, 5, 6, 7, 8]), array([1.9 , 2.53, 3.06, 3.54, 4.  , 4.  , 4.  ]))
    >>> f["model_ratio"][2].round(2)                              # (c/D)/alpha for c = 2
    array([0.06, 0.18, 0.3 , 0.41, 0.47, 0.5 , 0.5 ])
    """
    ex = lattice_exponents(measured, d_values)
    alpha = (3 - ex["tau"]) / (ex["tau"] - 2)
    aa = alpha / (1 + alpha)
    out = {"d": ex["d"], "tau": ex["tau"], "D": ex["D"], "alpha": alpha, "source": ex["source"],
           "model_ratio": {}, "data_ratio": {}}
    for c in c_values:
        cd = c / ex["D"]
        out["model_ratio"][c] = cd / alpha
        out["data_ratio"][c] = cd / aa
    return out


def _fig(folder, name):
    import matplotlib.pyplot as plt  # the user's backend, unchanged (the CLI alone selects Agg)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return plt, folder / name


def _save(plt, fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _cd_curves(plt, x, loss, dotted=None):
    """Figure with one loss curve per c/D (``loss``: ``{c/D: values}``; ``dotted``: a dotted companion each)."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    cmap = plt.get_cmap("coolwarm")
    cds = sorted(loss)
    for i, cd in enumerate(cds):
        col = cmap(i / max(1, len(cds) - 1))
        ax.plot(x, loss[cd], color=col, lw=2, label=f"c/D = {cd:g}")
        if dotted is not None:
            ax.plot(x, dotted[cd], ":", color=col, lw=1)
    return fig, ax


def plot_brill_fig2(folder, data=None):
    """Draw Fig. 2 into ``folder/brill_fig2.png``; returns the path.

    Examples
    --------
    >>> plot_brill_fig2("figures").name                           # written under the current folder
    'brill_fig2.png'
    """
    data = brill_fig2() if data is None else data
    plt, path = _fig(folder, "brill_fig2.png")
    fig, ax = _cd_curves(plt, data["N"], data["loss"], dotted=data["asymptote_exact"])
    ax.set(xscale="log", yscale="log", xlim=(1, 1e8), ylim=(3e-6, 2), xlabel="N (model DOF)",
           ylabel="loss (raw)", title="Brill Fig. 2 (alpha = 1); dotted: exact asymptotes")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_brill_fig3(folder, data=None):
    """Draw Fig. 3 into ``folder/brill_fig3.png``.

    Examples
    --------
    >>> plot_brill_fig3("figures").as_posix()
    'figures/brill_fig3.png'
    """
    data = brill_fig3() if data is None else data
    plt, path = _fig(folder, "brill_fig3.png")
    fig, ax = _cd_curves(plt, data["D"], data["loss"])
    ax.set(xscale="log", yscale="log", xlim=(1, 1e6), ylim=(1e-3, 2), xlabel="dataset size D", ylabel="loss (raw)",
           title="Brill Fig. 3 (alpha = 1)")
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_brill_fig4(folder, data=None):
    """Draw Fig. 4 into ``folder/brill_fig4.png`` (open markers: literature exponents, filled: ours).

    Examples
    --------
    >>> plot_brill_fig4("figures").name
    'brill_fig4.png'
    """
    data = brill_fig4() if data is None else data
    plt, path = _fig(folder, "brill_fig4.png")
    fig, axes = plt.subplots(2, 1, figsize=(5, 8), sharex=True)
    cmap = plt.get_cmap("viridis")
    cs = sorted(data["model_ratio"])
    ours = np.array([s["D"] == "ours" or s["tau"] == "ours" for s in data["source"]])
    for i, c in enumerate(cs):
        col = cmap(i / max(1, len(cs) - 1))
        for ax, key in zip(axes, ("model_ratio", "data_ratio")):
            y = data[key][c]
            ax.plot(data["d"], y, color=col, label=f"c = {c}")
            ax.plot(data["d"][ours], y[ours], "o", color=col)
            ax.plot(data["d"][~ours], y[~ours], "o", mfc="none", color=col)
    for ax in axes:
        ax.axhline(1, color="k", ls=":")
    axes[0].set_ylabel("(c/D) / alpha")
    axes[1].set_ylabel("(c/D) / (alpha/(1+alpha))")
    axes[1].set_xlabel("lattice dimension d")
    axes[0].legend()
    return _save(plt, fig, path)


def plot_brill_fig5(folder, data):
    """Draw Fig. 5 (heat-map of :func:`brill_fig5` output) into ``folder/brill_fig5.png``.

    Examples
    --------
    >>> from scalinglab.validate.percolation import BrillToyConfig, brill_fig5
    >>> data = brill_fig5(BrillToyConfig(), n_points=100, simulate=False, grid=10)
    >>> plot_brill_fig5("figures", data).name
    'brill_fig5.png'
    """
    plt, path = _fig(folder, "brill_fig5.png")
    fig, ax = plt.subplots(figsize=(6, 5))
    X, Y = np.meshgrid(data["heat_b"], data["heat_kbr"], indexing="ij")
    pcm = ax.pcolormesh(X, Y, data["heat_loss"], shading="auto", cmap="magma_r")
    fig.colorbar(pcm, ax=ax, label="loss")
    ax.plot(data["predicted_b"], data["predicted_kbr"], "x", color="k", ms=12)
    ax.plot(data["best_b"], data["best_kbr"], "+", color="c", ms=12)
    ax.set(yscale="log", xlabel="b", ylabel="k_br",
           title=f"N = {data['N']:g}: best random / predicted = {data['best_over_predicted']:.3f}")
    return _save(plt, fig, path)
