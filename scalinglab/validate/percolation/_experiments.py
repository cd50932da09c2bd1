"""Our percolation experiments (extensions of Brill's): ``scalinglab reproduce percolation-theory|percolation-toy``.

Brill's own experiment and figures are ``brill-toy`` and ``brill-fig2..5``
(:mod:`scalinglab.validate.percolation._brill_experiments`); the two here are
ours, not his.

* ``percolation-theory``: the theoretical loss of the quanta + manifold model
  (:mod:`scalinglab.theory.percolation._brill`) against model size ``N`` and
  dataset size for ``alpha = 1`` and several ``c/D`` (analogues of Brill's
  Figs. 2 and 3), fitted asymptotic exponents against ``min(alpha, c/D)`` and
  ``min(alpha/(1+alpha), c/D)``, and the exponent ratios of Fig. 4 for the
  lattice dimensions ``d = 2..6``.
* ``percolation-toy`` (OURS, not Brill's experiment): nearest-neighbour
  regression on Bethe-lattice clusters *embedded in R^8 by random walks*
  (:mod:`scalinglab.validate.percolation._data`), z = 3 near p_c, Euclidean
  1-NN, a +-1 + linear target and |err|^q loss -- the question whether an
  embedding changes the exponents. Data-size and
  model-size sweeps in the subcritical (quanta) regime and a data-size sweep on
  one dominant supercritical cluster (manifold), exponents with bootstrap
  intervals over seeds against Brill's predictions.

Both are experiments of :mod:`scalinglab.validate.protocol` (shipped specs
``scalinglab/specs/percolation-*.toml``): rows stored per cell, figures drawn
from the stored rows. ``percolation-toy`` is also the researcher's kind for
``scalinglab run``: change the cluster sets, loss powers or grids in a copy of
its spec.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit
from scalinglab.theory.percolation import cutoff_size
from scalinglab.theory.percolation import (LATTICE_EXPONENTS, brill_prediction, lattice_prediction,
                                                   theory_loss_vs_data_size, theory_loss_vs_model_size,
                                                   unlearned_fraction_data, unlearned_fraction_model)
from scalinglab.validate import protocol
from scalinglab.validate.plots import new_figure, save_figure
from scalinglab.validate.report import md_table

__all__ = ["ClusterSet", "ToySweep", "ToyConfig", "ToyCell", "toy_cell", "fit_toy", "TheoryConfig", "TheoryCell",
           "theory_cell", "demo_section"]

# --------------------------------------------------------------------------- toy experiment
@dataclass(frozen=True)
class ClusterSet:
    """A set of embedded Bethe-lattice clusters (:func:`~scalinglab.validate.percolation.make_cluster_dataset`).

    Examples
    --------
    >>> ClusterSet(n_clusters=50, p=0.45)
    ClusterSet(n_clusters=50, p=0.45, z=3, cap=5000, d=8, dominant=False)
    """

    n_clusters: int = field(metadata={"ge": 1})
    p: float = field(metadata={"gt": 0, "lt": 1})
    z: int = field(default=3, metadata={"ge": 3})
    cap: int = field(default=5000, metadata={"ge": 1})
    d: int = field(default=8, metadata={"ge": 1})
    dominant: bool = False


@dataclass(frozen=True)
class ToySweep:
    """One toy sweep: the dataset (subcritical ``quanta`` or one ``dominant`` cluster), what is swept
    (``data`` or ``model`` size), the loss power q (Brill's c), the target slope lam, the Brill regime.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> quanta = ClusterSet(n_clusters=50, p=0.45, cap=500)
    >>> manifold = ClusterSet(n_clusters=1, p=0.55, cap=2000, dominant=True)
    >>> sweeps = (ToySweep("quanta-data", "quanta", "data", q=1.0, lam=0.1, regime="subcritical"),
    ...           ToySweep("manifold-data", "dominant", "data", q=2.0, lam=1.0, regime="supercritical"))
    >>> cfg = ToyConfig(quanta=quanta, dominant=manifold, sweeps=sweeps, n_test=500, seeds=5, n_sizes=4, n_boot=200)
    >>> cells = protocol.get("percolation-toy").cells(cfg)
    >>> len(cells), cells[0].sweep.name, cells[0].size           # 2 sweeps x 4 sizes x 5 seeds
    (40, 'quanta-data', 0.0005)
    """

    name: str
    dataset: str = field(metadata={"choices": ("quanta", "dominant")})
    sweep: str = field(metadata={"choices": ("data", "model")})
    q: float = field(metadata={"gt": 0})
    lam: float = field(metadata={"gt": 0})
    regime: str = field(metadata={"choices": ("subcritical", "supercritical")})


@dataclass(frozen=True)
class ToyConfig:
    """Config of ``percolation-toy``.

    In the quanta sweeps lam is chosen so that one prototype on the largest
    cluster leaves a loss (lam |w.dx|)^q well below the unlearned loss
    2^(q-1): the clusters then behave as quanta. Data sizes are densities
    (samples per site), as are the fit windows of the data sweeps.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> quanta = ClusterSet(n_clusters=50, p=0.45, cap=500)
    >>> manifold = ClusterSet(n_clusters=1, p=0.55, cap=2000, dominant=True)
    >>> sweeps = (ToySweep("quanta-data", "quanta", "data", q=1.0, lam=0.1, regime="subcritical"),
    ...           ToySweep("manifold-data", "dominant", "data", q=2.0, lam=1.0, regime="supercritical"))
    >>> cfg = ToyConfig(quanta=quanta, dominant=manifold, sweeps=sweeps, n_test=500, seeds=5, n_sizes=4, n_boot=200)
    >>> cells = protocol.get("percolation-toy").cells(cfg)
    >>> cfg.sizes(sweeps[1]).round(5).tolist()                    # sample densities of the manifold sweep
    [0.0001, 0.00058, 0.00342, 0.02]
    """

    quanta: ClusterSet
    dominant: ClusterSet
    sweeps: tuple[ToySweep, ...]
    n_test: int = field(default=10_000, metadata={"ge": 1})
    seeds: int = field(default=3, metadata={"ge": 1})
    n_sizes: int = field(default=8, metadata={"ge": 2})
    data_density_quanta: tuple[float, float] = field(default=(1 / 2000, 1 / 10), metadata={"gt": 0})
    data_density_dominant: tuple[float, float] = field(default=(1e-4, 1 / 50), metadata={"gt": 0})
    model_count: tuple[float, float] = field(default=(20.0, 2000.0), metadata={"ge": 1})
    #: density window of the dominant-cluster data fits (0 = from the first point); analysis only
    fit_dominant_data: tuple[float, float] = field(default=(0.0, 1 / 200), metadata={"ge": 0, "analysis": True})
    n_boot: int = field(default=400, metadata={"ge": 100, "analysis": True})

    def __post_init__(self):
        names = [s.name for s in self.sweeps]
        if len(set(names)) != len(names):
            raise ValueError(f"sweeps: names must be unique, got {names}")
        if not self.dominant.dominant or self.dominant.n_clusters != 1:
            raise ValueError("dominant: needs dominant = true and n_clusters = 1")
        # the physics of the two data sets: quanta are finite clusters below p_c, the manifold grows above it
        from scalinglab.errors import InputError

        pc_q, pc_d = 1.0 / (self.quanta.z - 1), 1.0 / (self.dominant.z - 1)
        if self.quanta.dominant or not self.quanta.p < pc_q:
            raise InputError(f"quanta.p = {self.quanta.p:g} must lie below p_c = 1/(z-1) = {pc_q:g} (z = "
                             f"{self.quanta.z}) and quanta.dominant = false: the quanta are finite subcritical "
                             "clusters")
        if not self.dominant.p > pc_d:
            raise InputError(f"dominant.p = {self.dominant.p:g} must lie above p_c = 1/(z-1) = {pc_d:g} (z = "
                             f"{self.dominant.z}): the manifold is the one cluster that grows without bound")

    def sizes(self, ex):
        if ex.sweep == "data":
            lo, hi = self.data_density_quanta if ex.dataset == "quanta" else self.data_density_dominant
            return np.geomspace(lo, hi, self.n_sizes)
        lo, hi = self.model_count
        return np.unique(np.geomspace(lo, hi, self.n_sizes).astype(int)).astype(float)


@dataclass(frozen=True)
class ToyCell:
    """One toy run: a sweep at one size (density or prototype count) and seed, on its cluster set.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> quanta = ClusterSet(n_clusters=50, p=0.45, cap=500)
    >>> manifold = ClusterSet(n_clusters=1, p=0.55, cap=2000, dominant=True)
    >>> sweeps = (ToySweep("quanta-data", "quanta", "data", q=1.0, lam=0.1, regime="subcritical"),
    ...           ToySweep("manifold-data", "dominant", "data", q=2.0, lam=1.0, regime="supercritical"))
    >>> cfg = ToyConfig(quanta=quanta, dominant=manifold, sweeps=sweeps, n_test=500, seeds=5, n_sizes=4, n_boot=200)
    >>> cells = protocol.get("percolation-toy").cells(cfg)
    >>> cells[0]
    ToyCell(sweep=ToySweep(name='quanta-data', dataset='quanta', sweep='data', q=1.0, lam=0.1, regime='subcritical'), data=ClusterSet(n_clusters=50, p=0.45, z=3, cap=500, d=8, dominant=False), n_test=500, size=0.0005, seed=0)
    """

    kind: ClassVar[str] = "percolation-toy"

    sweep: ToySweep
    data: ClusterSet
    n_test: int
    size: float
    seed: int


def _quanta_fit_window(qc):
    """Density window of the quanta data sweeps: unlearned sizes s* = 1/density in [30, s_xi/4]."""
    sxi = min(cutoff_size(qc.p, qc.z), qc.cap)
    return (4.0 / sxi, 1.0 / 30)


@functools.lru_cache(maxsize=2)
def _dataset(data, seed, lam):
    from scalinglab.validate.percolation._data import make_cluster_dataset

    return make_cluster_dataset(data.n_clusters, data.p, z=data.z, cap=data.cap, d=data.d, lam=lam, seed=seed,
                                dominant=data.dominant)


def toy_cell(cell):
    """Run one cell: returns ``{"loss", "rho", "n_sites", "n_model", "k_lo", "k_hi"}``.

    ``size`` is the sample density (data sweeps; ``D = density * S``) or the
    number of prototypes (model sweeps). ``k_lo``, ``k_hi``: ranks of the
    clusters with sizes in the Zipf range [30, s_xi/4] (quanta sets).

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> quanta = ClusterSet(n_clusters=50, p=0.45, cap=500)
    >>> manifold = ClusterSet(n_clusters=1, p=0.55, cap=2000, dominant=True)
    >>> sweeps = (ToySweep("quanta-data", "quanta", "data", q=1.0, lam=0.1, regime="subcritical"),
    ...           ToySweep("manifold-data", "dominant", "data", q=2.0, lam=1.0, regime="supercritical"))
    >>> cfg = ToyConfig(quanta=quanta, dominant=manifold, sweeps=sweeps, n_test=500, seeds=5, n_sizes=4, n_boot=200)
    >>> cells = protocol.get("percolation-toy").cells(cfg)
    >>> r = toy_cell(cells[0])
    >>> sorted(r), r["n_sites"], r["n_model"]
    (['k_hi', 'k_lo', 'loss', 'n_model', 'n_sites', 'rho'], 689, 1)
    """
    from scalinglab.validate.percolation._data import data_scaling_loss, model_scaling_loss

    ex, seed = cell.sweep, int(cell.seed)
    ds = _dataset(cell.data, seed, float(ex.lam))
    rng = np.random.default_rng([seed, 7])
    test = rng.integers(0, ds.n_sites, size=cell.n_test)
    extra = {"n_sites": ds.n_sites, "k_lo": None, "k_hi": None}
    if not cell.data.dominant:
        sxi = min(cutoff_size(cell.data.p, cell.data.z), cell.data.cap)
        extra.update(k_lo=int(np.sum(ds.sizes >= sxi / 4)), k_hi=int(np.sum(ds.sizes >= 30)))
    if ex.sweep == "data":
        n = max(1, int(round(cell.size * ds.n_sites)))
        loss = data_scaling_loss(ds, n, test, q=ex.q, rng=rng)
        return {"loss": loss, "rho": float("nan"), "n_model": n, **extra}
    loss, rho = model_scaling_loss(ds, int(cell.size), test, q=ex.q, rhos=np.geomspace(1e-5, 1.0, 11), rng=rng)
    return {"loss": loss, "rho": rho, "n_model": int(cell.size), **extra}


def _sweep_rows(rows, ex):
    recs = [r for r in rows.to_dict("records") if r["sweep.name"] == ex.name]
    sizes = sorted({r["size"] for r in recs})
    return recs, sizes


def fit_toy(rows, config):
    """Bootstrap exponent per sweep, in the stated windows, against Brill's prediction.

    The abscissa is the number of stored points (``D`` or ``N``), averaged over
    seeds at each grid value; windows are given in the same units.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> quanta = ClusterSet(n_clusters=50, p=0.45, cap=500)
    >>> manifold = ClusterSet(n_clusters=1, p=0.55, cap=2000, dominant=True)
    >>> sweeps = (ToySweep("quanta-data", "quanta", "data", q=1.0, lam=0.1, regime="subcritical"),
    ...           ToySweep("manifold-data", "dominant", "data", q=2.0, lam=1.0, regime="supercritical"))
    >>> cfg = ToyConfig(quanta=quanta, dominant=manifold, sweeps=sweeps, n_test=500, seeds=5, n_sizes=4, n_boot=200)
    >>> cells = protocol.get("percolation-toy").cells(cfg)
    >>> import pandas as pd
    >>> rows = pd.DataFrame([{**protocol.flatten(c), **toy_cell(c)} for c in cells])   # what the store holds
    >>> fit = fit_toy(rows, cfg)["manifold-data"]
    >>> fit["predicted"], fit["n_seeds"], float(fit["window"][1])    # Brill's c/D = 2/4; the stated window in D
    (0.5, 5, 10.0)
    """
    out = {}
    for ex in config.sweeps:
        sel, sizes = _sweep_rows(rows, ex)
        if not sel:
            continue
        x = np.array([np.mean([r["n_model"] for r in sel if r["size"] == s]) for s in sizes])
        ys = [[r["loss"] for r in sel if r["size"] == s] for s in sizes]
        seeds = [[r["seed"] for r in sel if r["size"] == s] for s in sizes]
        S = np.mean([r["n_sites"] for r in sel])
        if ex.sweep == "data" and ex.dataset == "quanta":
            lo, hi = _quanta_fit_window(config.quanta)
            window = (lo * S, hi * S)
        elif ex.sweep == "data":
            lo, hi = config.fit_dominant_data
            window = (None if not lo else lo * S, None if not hi else hi * S)
        else:  # model sweeps: ranks of the clusters inside the Zipf range
            window = (float(np.mean([r["k_lo"] for r in sel])), float(np.mean([r["k_hi"] for r in sel])))
        pred = brill_prediction(ex.regime, c=ex.q, D=4.0, tau=2.5)
        pexp = pred.data_exponent if ex.sweep == "data" else pred.model_exponent
        try:
            fit = bootstrap_powerlaw(x, ys, window=window, n_boot=config.n_boot, seed=0, seeds=seeds).to_dict()
        except ValueError as exc:  # too few points in the window
            fit = {"exponent": float("nan"), "ci_lo": float("nan"), "ci_hi": float("nan"), "error": str(exc)}
        # finite-size quanta term from the exact n_s of this very setting (no free parameter)
        fs_curve, fs_exp = _finite_size_quanta(config, ex, x, S)
        if fs_curve is not None:
            try:
                fs_exp = powerlaw_fit(x, fs_curve, window=window).exponent
            except ValueError:
                fs_exp = float("nan")
        out[ex.name] = {**fit, "predicted": pexp, "finite_size_quanta_exponent": fs_exp,
                        "finite_size_quanta_curve": None if fs_curve is None else [float(v) for v in fs_curve],
                        "x": [float(v) for v in x], "limited_by": (pred.data_limited_by if ex.sweep == "data"
                                                                  else pred.model_limited_by),
                        "sweep": ex.sweep, "q": ex.q, "regime": ex.regime, "window": window,
                        "n_seeds": int(min(len(y) for y in ys))}
    return out


def _finite_size_quanta(config, ex, x, S):
    """Unlearned-quanta fraction of the experiment's own setting at the swept sizes ``x``."""
    if ex.dataset != "quanta":
        return None, float("nan")
    qc = config.quanta
    if ex.sweep == "data":
        return unlearned_fraction_data(np.asarray(x) / S, qc.p, qc.z, qc.cap), float("nan")
    return unlearned_fraction_model(np.asarray(x), qc.n_clusters, qc.p, qc.z, qc.cap), float("nan")


def _nan(f, k):
    v = f.get(k)
    return float("nan") if v is None else v


def plot_toy(rows, fits, config, path):
    """The toy-experiment figure from the stored rows and the fits."""
    fig, axes = new_figure(ncols=3, width=4.6, height=3.8)
    panels = [("quanta", "data", "subcritical quanta: data scaling", "dataset size D"),
              ("quanta", "model", "subcritical quanta: model scaling", "model size N (prototypes)"),
              ("dominant", "data", "supercritical manifold: data scaling", "dataset size D")]
    for ax, (kind, sweep, title, xlabel) in zip(axes.flat, panels):
        for ex in config.sweeps:
            if ex.dataset != kind or ex.sweep != sweep:
                continue
            sel, sizes = _sweep_rows(rows, ex)
            if not sel:
                continue
            x = np.array([np.mean([r["n_model"] for r in sel if r["size"] == s]) for s in sizes])
            y = np.array([np.mean([r["loss"] for r in sel if r["size"] == s]) for s in sizes])
            y0 = y / y[0]
            f = fits.get(ex.name, {})
            lab = (f"q={ex.q:g}: fit {_nan(f, 'exponent'):.2f} [{_nan(f, 'ci_lo'):.2f},{_nan(f, 'ci_hi'):.2f}], "
                   f"pred {_nan(f, 'predicted'):.2f}")
            if np.isfinite(_nan(f, "finite_size_quanta_exponent")):
                lab += f", finite-size {f['finite_size_quanta_exponent']:.2f}"
            (line,) = ax.loglog(x, y0, "o-", ms=3, label=lab)
            ax.loglog(x, (x / x[0]) ** -(f.get("predicted") or 0.0), "--", color=line.get_color(), lw=0.8)
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
    fig.suptitle("OUR embedded variant of Brill's toy (not his experiment; his is brill-toy): Euclidean 1-NN on "
                 "z = 3 Bethe clusters embedded in R^8\n(dashed: asymptotic predicted slope; dotted: exact finite-size "
                 "unlearned-quanta fraction)", fontsize=9)
    return save_figure(fig, path, dpi=130)


def _fit_text(f):
    return (f"{_nan(f, 'exponent'):.3f} [{_nan(f, 'ci_lo'):.3f}, {_nan(f, 'ci_hi'):.3f}] vs predicted "
            f"{_nan(f, 'predicted'):.3f}"
            + ("" if not np.isfinite(_nan(f, "finite_size_quanta_exponent"))
               else f" (finite-size quanta term {f['finite_size_quanta_exponent']:.3f})"))


@protocol.experiment
class PercolationToy(protocol.Experiment):
    name = "percolation-toy"
    description = "OUR embedded variant of Brill's toy (not his experiment; his is brill-toy): Euclidean 1-NN on " \
                  "Bethe clusters embedded in R^8, exponents vs his predictions"
    title = "Our embedded variant of Brill's toy experiment (not his experiment: see brill-toy)"
    config_type = ToyConfig

    def cells(self, config):
        # dataset seed outermost within each family, so the cached dataset is reused
        cells = []
        for kind, data in (("quanta", config.quanta), ("dominant", config.dominant)):
            for seed in range(config.seeds):
                for ex in config.sweeps:
                    if ex.dataset == kind:
                        cells += [ToyCell(ex, data, config.n_test, float(sz), seed) for sz in config.sizes(ex)]
        return cells

    def group(self, cell):
        return (cell.data, cell.seed, cell.sweep.lam)

    def run(self, cells, device):
        return [toy_cell(c) for c in cells]

    def cost(self, cell):
        return 1e-6 * cell.data.cap * max(1, cell.data.n_clusters) ** 0.5 + 1e-5 * cell.n_test

    def analyse(self, rows, config):
        fits = fit_toy(rows, config)
        return {**{name: _fit_text(f) for name, f in fits.items()}, "fits": fits}

    def figures(self, rows, summary, config, folder):
        return [plot_toy(rows, summary.get("fits", {}), config, folder / "toy_scaling.png")]

    def report(self, rows, summary, config):
        tab = [[name, f["sweep"], f"{f['q']:g}", f["regime"], _fit_text(f), f["limited_by"],
                "[" + ", ".join("-" if w is None else f"{float(w):.4g}" for w in f["window"]) + "]",
                f["n_seeds"]] for name, f in summary.get("fits", {}).items()]
        return "\n".join(["This is OUR variant, not Brill's experiment (his, as he ran it, is `reproduce brill-toy`): "
                          "clusters of a z = 3 Bethe lattice near p_c embedded in R^8 by Gaussian random walks, a "
                          "+-1 + linear target, Euclidean 1-NN (prototypes for model size) and |err|^q loss; it asks "
                          "whether an embedding in R^n changes his exponents.\n",
                          "## Exponents against Brill's predictions\n",
                          f"Bootstrap ({config.n_boot} resamples over seeds) of the OLS log-log exponent of the "
                          "seed-mean loss against the number of stored points (D or N), in the stated windows; "
                          "prediction from theory.percolation.brill_prediction (D = 4, tau = 5/2).\n",
                          md_table(["sweep", "axis", "q", "regime", "measured vs predicted", "limited by",
                                    "window", "seeds"], tab)])


# --------------------------------------------------------------------------- theory figures
@dataclass(frozen=True)
class TheoryConfig:
    """Config of ``percolation-theory``: the quanta + manifold loss on log grids of N and D.

    Examples
    --------
    >>> from scalinglab.validate import protocol
    >>> cells = protocol.get("percolation-theory").cells(TheoryConfig())
    >>> len(cells), cells[0].axis, cells[0].c_over_D, len(cells[0].x)     # (model, data) x 4 values of c/D
    (8, 'model', 0.25, 9)
    """

    c_over_D: tuple[float, ...] = field(default=(0.25, 0.5, 1.0, 2.0), metadata={"gt": 0})
    alpha: float = field(default=1.0, metadata={"gt": 0})
    n_quanta: int = field(default=10**5, metadata={"ge": 1})
    n_rho: int = field(default=60, metadata={"ge": 2})
    #: log grids (lo, hi, n) of the model size N and the dataset size
    model_sizes: tuple[float, float, float] = field(default=(10.0, 1e3, 9.0), metadata={"gt": 0})
    data_sizes: tuple[float, float, float] = field(default=(10.0, 1e5, 9.0), metadata={"gt": 0})


@dataclass(frozen=True)
class TheoryCell:
    """One theoretical loss curve (``axis`` = model or data) at one c/D.

    Examples
    --------
    >>> cell = TheoryCell("data", c_over_D=0.5, alpha=1.0, x=(10.0, 100.0, 1000.0), n_quanta=10**4, n_rho=30)
    >>> [round(v, 4) for v in theory_cell(cell)["loss"]]
    [0.5442, 0.1893, 0.0616]
    """

    kind: ClassVar[str] = "percolation-theory"

    axis: str
    c_over_D: float
    alpha: float
    x: tuple[float, ...]
    n_quanta: int
    n_rho: int


def theory_cell(cell):
    """``{"loss": [...]}`` of the quanta + manifold model along ``cell.x``.

    Examples
    --------
    >>> cell = TheoryCell("model", c_over_D=0.5, alpha=1.0, x=(10.0, 100.0, 1000.0), n_quanta=10**4, n_rho=30)
    >>> [round(v, 4) for v in theory_cell(cell)["loss"]]
    [0.4838, 0.1612, 0.047]
    """
    if cell.axis == "model":
        loss = theory_loss_vs_model_size(np.asarray(cell.x), cell.alpha, cell.c_over_D, n_quanta=cell.n_quanta,
                                         n_rho=cell.n_rho)
    else:
        loss = theory_loss_vs_data_size(np.asarray(cell.x), cell.alpha, cell.c_over_D, n_quanta=cell.n_quanta)
    return {"loss": [float(v) for v in loss]}


def _grid(g):
    return tuple(float(v) for v in np.geomspace(g[0], g[1], int(g[2])))


def _theory_fits(rows):
    out = {}
    recs = rows.to_dict("records")
    for axis in ("model", "data"):
        for r in sorted((r for r in recs if r["axis"] == axis), key=lambda r: r["c_over_D"]):
            x, y, cd = np.array(r["x"]), np.array(r["loss"]), r["c_over_D"]
            # the last decade of the computed curve (explicit window)
            f = powerlaw_fit(x, y, window=(x.max() / 10 ** 1.0, x.max()))
            pred = brill_prediction("subcritical", c=cd, D=1.0, alpha=r["alpha"])
            out[f"{axis}:c/D={cd:g}"] = {"exponent": f.exponent, "window": f.window, "method": f.method,
                                         "predicted": pred.model_exponent if axis == "model" else pred.data_exponent}
    return out


@protocol.experiment
class PercolationTheory(protocol.Experiment):
    name = "percolation-theory"
    description = "OUR quanta + manifold loss model (analogues of Brill's Figs. 2-4; his closed forms are " \
                  "brill-fig2..4): loss vs N and dataset size, exponent ratios vs d"
    title = "Brill's quanta + manifold model: theoretical loss and exponents"
    config_type = TheoryConfig

    def cells(self, config):
        return [TheoryCell(axis, cd, config.alpha, _grid(g), config.n_quanta, config.n_rho if axis == "model" else 0)
                for cd in config.c_over_D for axis, g in (("model", config.model_sizes), ("data", config.data_sizes))]

    def run(self, cells, device):
        return [theory_cell(c) for c in cells]

    def cost(self, cell):
        return 2e-7 * cell.n_quanta * len(cell.x) * max(1, cell.n_rho)

    def analyse(self, rows, config):
        fits = _theory_fits(rows)
        return {**{k: f"{v['exponent']:.3f} (predicted {v['predicted']:.3f})" for k, v in fits.items()},
                "fits": fits}

    def figures(self, rows, summary, config, folder):
        recs = rows.to_dict("records")
        fig, axes = new_figure(ncols=3, width=4.4, height=3.6)
        axes = list(axes.flat)
        for ax, axis, xlabel in ((axes[0], "model", "model DOF N"), (axes[1], "data", "dataset size")):
            for r in sorted((r for r in recs if r["axis"] == axis), key=lambda r: r["c_over_D"]):
                ax.loglog(r["x"], r["loss"], "-", label=f"c/D = {r['c_over_D']:g}")
            ax.set_xlabel(xlabel)
            ax.set_ylabel("loss")
            ax.set_title(f"theoretical loss vs {xlabel} (alpha = {config.alpha:g})", fontsize=9)
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
        return [save_figure(fig, folder / "theory_scaling.png", dpi=130)]

    def report(self, rows, summary, config):
        tab = [[k, f"{v['exponent']:.4g}", f"{v['predicted']:.4g}", str(tuple(round(w, 4) for w in v["window"])),
                v["method"]] for k, v in summary.get("fits", {}).items()]
        return "\n".join(["## Fitted asymptotic exponents\n",
                          "OLS log-log over the last decade of each computed curve, against "
                          "min(alpha, c/D) (model) and min(alpha/(1+alpha), c/D) (data).\n",
                          md_table(["curve", "fitted", "predicted", "window", "method"], tab)])


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


# Brill's own experiment and figures, and the hypercubic lattices (registered on import)
from scalinglab.validate.percolation import _brill_experiments  # noqa: E402,F401
