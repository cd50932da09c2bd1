"""Shared plotting style (matplotlib).

The backend is left alone (a notebook keeps its own); the command line selects
the headless Agg backend itself (:func:`scalinglab.cli.main`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

__all__ = ["new_figure", "plt", "slope_triangle", "save_figure"]


def new_figure(ncols=1, nrows=1, width=5.0, height=3.8, **kw):
    """A figure with ``nrows x ncols`` axes of the house style."""
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False, **kw)
    for ax in axes.flat:
        ax.grid(True, which="major", alpha=0.3)
    return fig, (axes[0, 0] if axes.size == 1 else axes)


def save_figure(fig, path, dpi=120):
    """Save ``fig`` to ``path`` (PNG; parent folders created), close it, return the path."""
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def slope_triangle(ax, x0, y0, slope, width_decades=0.5, label=None, color="k"):
    """Draw a log-log slope triangle with its corner at (x0, y0)."""
    import numpy as np

    x1 = x0 * 10**width_decades
    y1 = y0 * (x1 / x0) ** slope
    ax.plot([x0, x1, x1, x0], [y0, y0, y1, y0], color=color, lw=1)
    ax.text(x1 * 1.15, np.sqrt(y0 * y1), label if label is not None else f"{slope:.2f}", color=color, fontsize=8,
            va="center")
