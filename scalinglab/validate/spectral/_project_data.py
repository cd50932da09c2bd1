"""The project's own data sets as point clouds for Gram spectra and intrinsic dimension.

* ``rhm``: inputs of the Random Hierarchy Model (one-hot, flattened to
  ``v * s**L`` coordinates), drawn with :class:`scalinglab.validate.rhm._data.RHMData`.
* ``percolation``: site positions of one embedded Bethe-lattice percolation
  cluster (:func:`scalinglab.validate.percolation._data.make_cluster_dataset`,
  ``dominant=True``: one cluster grown to ``n`` sites, ``p > p_c``). Its
  fractal dimension is 4 for an embedding dimension ``d >= 8``, the "data
  manifold" dimension of Brill's supercritical regime.

Registered reproduction: ``spectral-project-data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.spectral import levina_bickel, twonn
from scalinglab.theory.spectral import fit_spectrum, gram_spectrum
from scalinglab.validate import protocol
from scalinglab.validate.plots import save_figure
from scalinglab.validate.report import md_table

__all__ = ["SOURCES", "project_points", "project_data_cell", "ProjectDataConfig", "ProjectDataCell"]

SOURCES = ("rhm", "percolation")


def project_points(source, n, seed=0, alpha=1.0, p=0.6, embed_dim=8, L=3):
    """Points of one of the project's data models.

    Parameters
    ----------
    source : {"rhm", "percolation"}
    n : int
        Number of points.
    seed : int
        Rules / data seed (RHM) or dataset seed (percolation).
    alpha : float
        RHM Zipf exponent on all levels (``-1`` = uniform rules).
    p : float
        Percolation occupation probability (``> p_c = 1/2`` for ``z = 3``).
    embed_dim : int
        Percolation embedding dimension.
    L : int
        RHM depth (``m = v = n_c = 10``, ``s = 2``).

    Returns
    -------
    (numpy.ndarray, str)
        ``(X, description)``, ``X`` of shape ``(n, coordinates)``.

    Examples
    --------
    >>> X, what = project_points("rhm", 100, seed=0, alpha=1.0)
    >>> X.shape, what
    ((100, 80), '100 RHM inputs (one-hot, alpha=1, L=3, v=m=n_c=10, s=2)')
    """
    n = int(n)
    if source == "rhm":
        from scalinglab.theory.rhm import RHMSpec
        from scalinglab.validate.rhm import RHMData, onehot

        spec = RHMSpec.make(alpha=float(alpha), L=int(L))
        batch = RHMData(spec, rules_seed=int(seed)).draw(n)
        X = onehot(batch.x, spec.v).reshape(n, -1).astype(float)
        return X, f"{n} RHM inputs (one-hot, alpha={alpha:g}, L={L}, v=m=n_c=10, s=2)"
    if source == "percolation":
        from scalinglab.validate.percolation import make_cluster_dataset

        ds = make_cluster_dataset(1, float(p), z=3, cap=n, d=int(embed_dim), seed=int(seed), dominant=True)
        return ds.X, f"{ds.n_sites} sites of a percolation cluster (z=3, p={p:g}, embedded in R^{embed_dim})"
    raise ValueError(f"unknown source {source!r}; use one of {SOURCES}")


def project_data_cell(source, param, n, seed):
    """Gram-spectrum fits and ID estimates of one data set.

    ``param`` is the RHM ``alpha`` or the percolation ``p``. RHM inputs: the
    centred linear kernel (input covariance) over ranks 3-60; percolation:
    the Laplace kernel over ranks 5-200 and ID estimators (the RHM inputs are
    discrete, so nearest-neighbour distances tie and ID estimates are not made).

    Examples
    --------
    >>> r = project_data_cell("rhm", 1.0, 300, seed=0)
    >>> r["kernel"], r["window"], len(r["top_eigs"])
    ('linear-centred', '3:60', 30)
    """
    kw = {"alpha": param} if source == "rhm" else {"p": param}
    X, _ = project_points(source, n, seed, **kw)
    out = {}
    if source == "rhm":
        spec = gram_spectrum(X, "linear", center=True)
        fit = fit_spectrum(spec.eigenvalues, window=(3, 60))
        out.update(alpha_K=fit.alpha_K, alpha_K_stderr=fit.fit.stderr, kernel="linear-centred", window="3:60",
                   top_eigs=[round(float(v), 5) for v in spec.eigenvalues[:30]])
    else:
        spec = gram_spectrum(X, "laplace")
        fit = fit_spectrum(spec.eigenvalues, window=(5, 200))
        out.update(alpha_K=fit.alpha_K, alpha_K_stderr=fit.fit.stderr, kernel="laplace", window="5:200",
                   twonn=twonn(X).dimension, lb_10_20=levina_bickel(X, 10, 20).dimension,
                   lb_30_60=levina_bickel(X, 30, 60).dimension,
                   top_eigs=[round(float(v), 6) for v in spec.eigenvalues[:30]])
    return out


@dataclass(frozen=True)
class ProjectDataConfig:
    """Config of ``spectral-project-data``: RHM inputs (alpha on all levels, m = v = n_c = 10, s = 2, L = 3;
    centred linear Gram, ranks 3-60) and percolation clusters (dominant cluster, z = 3, R^8; Laplace Gram,
    ranks 5-200; TwoNN, Levina-Bickel).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("spectral-project-data").cells(ProjectDataConfig(seeds=1))
    >>> [(c.source, c.param) for c in cells][:2], len(cells)
    ([('rhm', -1.0), ('rhm', 0.5)], 7)
    """

    rhm_alphas: tuple[float, ...] = field(default=(-1.0, 0.5, 1.0, 2.0), metadata={"ge": -1})
    percolation_p: tuple[float, ...] = field(default=(0.55, 0.6, 0.75), metadata={"gt": 0.5, "lt": 1})
    n: int = field(default=2000, metadata={"ge": 300})
    seeds: int = field(default=2, metadata={"ge": 1})


@dataclass(frozen=True)
class ProjectDataCell:
    """One data set of the project: ``source`` (rhm or percolation) at ``param`` (alpha or p), ``n`` points, seed.

    Examples
    --------
    >>> ProjectDataCell(source="percolation", param=0.6, n=2000, seed=0).kind
    'spectral-project-data'
    """

    kind: ClassVar[str] = "spectral-project-data"

    source: str
    param: float
    n: int
    seed: int


@protocol.experiment
class ProjectData(protocol.Experiment):
    name = "spectral-project-data"
    description = "Gram spectra of RHM inputs and percolation clusters; intrinsic dimension of the clusters " \
                  "(fractal dimension 4)"
    title = "Gram spectra and intrinsic dimension of the project's data"
    config_type = ProjectDataConfig

    def cells(self, config):
        cells = [ProjectDataCell("rhm", float(a), config.n, s) for a in config.rhm_alphas for s in range(config.seeds)]
        return cells + [ProjectDataCell("percolation", float(p), config.n, s) for p in config.percolation_p
                        for s in range(config.seeds)]

    def run(self, cells, device):
        return [project_data_cell(c.source, c.param, c.n, c.seed) for c in cells]

    def cost(self, cell):
        return 3e-9 * cell.n**3 + 0.1

    def analyse(self, rows, config):
        recs = rows.to_dict("records")
        summ = {}
        for src in SOURCES:
            for prm in sorted({float(r["param"]) for r in recs if r["source"] == src}):
                rr = [r for r in recs if r["source"] == src and float(r["param"]) == prm]
                keys = ["alpha_K"] + (["twonn", "lb_10_20", "lb_30_60"] if src == "percolation" else [])
                summ[f"{src} {'alpha' if src == 'rhm' else 'p'}={prm:g}"] = {
                    **{k: float(np.mean([float(r[k]) for r in rr])) for k in keys},
                    "eigs": np.mean([list(r["top_eigs"]) for r in rr], axis=0).tolist()}
        return {**{k: ", ".join(f"{a} {b:.3f}" for a, b in v.items() if a != "eigs") for k, v in summ.items()},
                "data": summ}

    def figures(self, rows, summary, config, folder):
        from scalinglab.validate.plots import new_figure

        fig, axes = new_figure(ncols=2, width=4.8, height=3.8)
        axes = np.ravel(axes)
        for name, v in summary.get("data", {}).items():
            ax = axes[0] if name.startswith("rhm") else axes[1]
            e = np.array(v["eigs"])
            ax.loglog(np.arange(1, e.size + 1), e, "o-", ms=3, label=f"{name}: alpha_K {v['alpha_K']:.2f}")
        axes[0].set_title("RHM inputs: centred linear Gram spectrum", fontsize=9)
        axes[1].set_title("percolation cluster: Laplace Gram spectrum", fontsize=9)
        for ax in axes:
            ax.set_xlabel("rank i")
            ax.set_ylabel("eigenvalue of K/N")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
        fig.tight_layout()
        return [save_figure(fig, folder / "project_data_spectra.png")]

    def report(self, rows, summary, config):
        tab = [[k, ", ".join(f"{a} {b:.3f}" for a, b in v.items() if a != "eigs")]
               for k, v in summary.get("data", {}).items()]
        return "\n".join(["## Spectrum exponents and intrinsic dimension (means over seeds)\n",
                          md_table(["data", "estimates"], tab)])
