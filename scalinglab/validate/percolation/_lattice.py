"""Percolation on periodic hypercubic lattices as an experiment (``percolation-lattice``), as plain functions.

A cell is one ``(d, kind, L, batch)``: a Newman-Ziff sweep of ``n_samples``
samples (:func:`scalinglab.theory.percolation.lattice_sweep`). Its row keeps
what the analysis needs and nothing of size ``L^d``: the samples' first
wrapping numbers, the largest cluster at the literature ``p_c``, the
cluster-size histogram there (nonzero bins up to ``hist_cap``), and the
canonical ``P_inf``, ``chi`` and wrapping curves on a fixed ``p`` grid.

:func:`lattice_analyse` turns rows into ``p_c`` (crossings and ``L``
extrapolation, bootstrap intervals), ``D`` (``<s_max> ∝ L^D``, ``d <= 5``)
and ``tau`` (discrete power-law MLE in a stated window at the largest ``L``,
and ``1 + d/D`` by hyperscaling for ``d <= 5``), each beside the literature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scalinglab.errors import InputError
from scalinglab.theory.percolation import (LATTICE_LITERATURE, LatticeSweep, canonical, fractal_dim, lattice_sweep,
                                           pc_crossings, pc_extrapolate, tau_estimate)
from scalinglab.theory.percolation._lattice import _tau_mle

__all__ = ["LATTICE_FULL", "LATTICE_QUICK", "LatticeGrid", "LatticeConfig", "LatticeCell", "lattice_config",
           "lattice_cells", "lattice_cell", "lattice_analyse", "lattice_fig4_measured"]

# (d, kind) -> [(L, samples)]; each size split into >= 10 cells (batches), so that tau's bootstrap
# over batches has enough groups. Sized for a few minutes on one core of the 2-core project machine
# (docs/results/percolation.md has the measured time).
LATTICE_FULL = {
    (2, "site"): [(32, 2000), (64, 1000), (128, 600), (256, 300), (512, 120), (1024, 30)],
    (2, "bond"): [(32, 1000), (64, 500), (128, 300), (256, 150)],
    (3, "site"): [(8, 2000), (16, 1000), (32, 500), (64, 120)],
    (3, "bond"): [(8, 1000), (16, 500), (32, 300)],
    (4, "site"): [(6, 2000), (8, 1000), (12, 600), (16, 300), (20, 120)],
    (5, "site"): [(4, 2000), (6, 1000), (8, 600), (10, 300), (12, 120), (16, 100)],
    (6, "site"): [(4, 1000), (5, 600), (6, 400), (8, 120), (10, 60)],
    (7, "site"): [(4, 600), (5, 400), (6, 120)],
}

LATTICE_QUICK = {
    (2, "site"): [(16, 200), (32, 100), (64, 50)],
    (3, "site"): [(6, 200), (8, 100), (12, 50)],
}

P_GRID_POINTS = 61
HIST_CAP = 100_000


@dataclass(frozen=True)
class LatticeGrid:
    """One lattice of a ``percolation-lattice`` sweep: dimension, site or bond, sizes and samples per size.

    Examples
    --------
    >>> LatticeGrid(2, "site", L=(8, 16), samples=(20, 20))
    LatticeGrid(d=2, lattice='site', L=(8, 16), samples=(20, 20))
    >>> LatticeGrid(2, "site", L=(8, 16), samples=(20,))
    Traceback (most recent call last):
    ...
    scalinglab.errors.InputError: L and samples need one entry per size, got 2 and 1
    """

    d: int = field(metadata={"ge": 2, "le": 8})
    lattice: str = field(metadata={"choices": ("site", "bond")})
    L: tuple[int, ...] = field(metadata={"ge": 3})
    samples: tuple[int, ...] = field(metadata={"ge": 1})

    def __post_init__(self):
        if len(self.L) != len(self.samples) or not self.L:
            raise InputError(f"L and samples need one entry per size, got {len(self.L)} and {len(self.samples)}")
        if len(set(self.L)) != len(self.L):
            raise InputError(f"L: sizes must be distinct, got {list(self.L)}")


@dataclass(frozen=True)
class LatticeConfig:
    """Config of ``percolation-lattice`` (and the lattice part of ``brill-fig4``).

    Attributes
    ----------
    lattices : tuple of LatticeGrid
    batch : int
        Samples per cell; 0 = ``max(10, ceil(samples/10))`` (>= ~10 cells a
        size, for the bootstrap of tau over batches).
    seed : int
        Base seed (every cell's stream also depends on its d, kind, L and batch).
    p_points : int
        Points of the stored canonical curves (``p`` in ``[0.5, 1.5] p_c``).
    hist_cap : int
        Largest cluster size kept in the stored histograms.
    n_boot : int
        Analysis only: bootstrap resamples of every interval.

    Examples
    --------
    >>> cfg = LatticeConfig(lattices=(LatticeGrid(2, "site", L=(8, 16), samples=(20, 20)),), batch=10)
    >>> cells = lattice_cells(cfg)
    >>> len(cells), cells[0].L, cells[0].n_samples                # 2 batches of 10 samples a size
    (4, 8, 10)
    """

    lattices: tuple[LatticeGrid, ...] = ()
    batch: int = field(default=0, metadata={"ge": 0})
    seed: int = field(default=0, metadata={"ge": 0})
    p_points: int = field(default=P_GRID_POINTS, metadata={"ge": 3})
    hist_cap: int = field(default=HIST_CAP, metadata={"ge": 100})
    n_boot: int = field(default=200, metadata={"ge": 100, "analysis": True})

    def __post_init__(self):
        keys = [(g.d, g.lattice) for g in self.lattices]
        if len(set(keys)) != len(keys):
            raise InputError(f"lattices: each (d, lattice) once, got {keys}")


@dataclass(frozen=True)
class LatticeCell:
    """One batch of Newman-Ziff samples of one ``(d, site|bond, L)``.

    Examples
    --------
    >>> cfg = LatticeConfig(lattices=(LatticeGrid(2, "site", L=(8, 16), samples=(20, 20)),), batch=10)
    >>> cells = lattice_cells(cfg)
    >>> cells[0]
    LatticeCell(d=2, lattice='site', L=8, n_samples=10, batch=0, seed=0, p_points=61, hist_cap=100000)
    >>> lattice_cell(2, "site", 8, 10)["M"]                       # sites of the 8 x 8 lattice
    64
    """

    kind: ClassVar[str] = "percolation-lattice"

    d: int
    lattice: str
    L: int
    n_samples: int
    batch: int
    seed: int
    p_points: int
    hist_cap: int


def lattice_config(settings=None, **kw):
    """A :class:`LatticeConfig` from a ``{(d, kind): [(L, samples)]}`` mapping (default :data:`LATTICE_FULL`).

    >>> lattice_config(LATTICE_QUICK).lattices[0]
    LatticeGrid(d=2, lattice='site', L=(16, 32, 64), samples=(200, 100, 50))
    """
    settings = LATTICE_FULL if settings is None else settings
    grids = tuple(LatticeGrid(int(d), kind, tuple(int(L) for L, _ in sz), tuple(int(n) for _, n in sz))
                  for (d, kind), sz in settings.items())
    return LatticeConfig(lattices=grids, **kw)


def lattice_cells(config=None):
    """One :class:`LatticeCell` per ``(d, kind, L, batch)`` of ``config`` (default: :data:`LATTICE_FULL`).

    >>> len(lattice_cells(lattice_config(LATTICE_QUICK)))  # 10 + 10 + 5 batches a lattice
    50
    """
    config = lattice_config() if config is None else config
    cells = []
    for g in config.lattices:
        for L, n in zip(g.L, g.samples):
            bs = int(config.batch) if config.batch else max(10, int(np.ceil(n / 10)))
            nb = max(1, int(np.ceil(n / bs)))
            for b in range(nb):
                cells.append(LatticeCell(int(g.d), g.lattice, int(L), int(min(bs, n - b * bs)), b, int(config.seed),
                                         int(config.p_points), int(config.hist_cap)))
    return cells


def _p_grid(d, kind, n=P_GRID_POINTS):
    pc = LATTICE_LITERATURE["pc_bond" if kind == "bond" else "pc_site"].get(d, 1.0 / (2 * d - 1))
    return np.linspace(0.5 * pc, min(1.0, 1.5 * pc), int(n))


def _sig(x, digits=6):
    """Round to ``digits`` significant digits (the stored curves; -1 marks values out of the sweep's range)."""
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=-1.0)
    return [float(f"{v:.{digits}g}") for v in x]


def lattice_cell(d, lattice, L, n_samples, batch=0, seed=0, p_points=P_GRID_POINTS, hist_cap=HIST_CAP):
    """Run one cell; returns its measured values (JSON-ready lists; the cell's own fields are not repeated).

    ``N``, ``M``, ``p_snap``, ``seconds``, the samples' first wrapping numbers
    ``n_wrap_x/any/all``, the largest cluster at the snapshot ``smax_snap``,
    the snapshot's size histogram (``hist_s``, ``hist_n``: nonzero bins up to
    ``hist_cap``) and the canonical curves ``P_inf``, ``chi``, ``R_x``,
    ``R_any``, ``R_all`` on ``p_grid`` (6 significant digits; -1 = outside
    the sweep's range).

    >>> row = lattice_cell(2, "site", 8, 5)
    >>> len(row["n_wrap_x"]), row["M"]
    (5, 64)
    """
    sub = int(np.random.SeedSequence([int(seed), int(batch)]).generate_state(1)[0] & 0x7FFFFFFF)
    sw = lattice_sweep(d, L, lattice, n_samples=n_samples, seed=sub, batches=1)
    h = sw.hist[0][:int(hist_cap) + 1]
    nz = np.flatnonzero(h)
    pg = _p_grid(d, lattice, p_points)
    can = canonical(sw, pg)
    row = {"N": sw.N, "M": sw.M, "p_snap": sw.p_snap, "seconds": sw.seconds,
           "n_wrap_x": sw.n_wrap[:, 0].tolist(), "n_wrap_any": sw.n_wrap[:, 1].tolist(),
           "n_wrap_all": sw.n_wrap[:, 2].tolist(), "smax_snap": sw.smax_snap.tolist(),
           "hist_s": nz.tolist(), "hist_n": h[nz].tolist(), "p_grid": _sig(pg, 8)}
    for k in ("P_inf", "chi", "R_x", "R_any", "R_all"):
        row[k] = _sig(can[k])
    return row


def _sweep_from_rows(rows):
    r0 = rows[0]
    kind = r0.get("lattice", r0.get("kind"))
    nw = np.array([[a, b, c] for r in rows for a, b, c in zip(r["n_wrap_x"], r["n_wrap_any"], r["n_wrap_all"])])
    size = max(max(r["hist_s"], default=0) for r in rows) + 1
    hist = np.zeros((len(rows), size), dtype=np.int64)
    for i, r in enumerate(rows):
        hist[i, np.asarray(r["hist_s"], dtype=np.int64)] = np.asarray(r["hist_n"], dtype=np.int64)
    z = np.zeros(1)
    return LatticeSweep(d=r0["d"], L=r0["L"], kind=kind, N=r0["N"], M=r0["M"], n_samples=int(nw.shape[0]),
                        n_max=r0["M"], smax_mean=z, smax2_mean=z, s2_mean=z, n_wrap=nw, p_snap=r0["p_snap"],
                        hist=hist, smax_snap=np.concatenate([np.asarray(r["smax_snap"]) for r in rows]),
                        seconds=float(sum(r["seconds"] for r in rows)))


def lattice_analyse(rows, n_boot=200):
    """Rows to the table of ``p_c``, ``D`` and ``tau`` estimates beside the literature.

    Returns
    -------
    dict
        ``{"d-kind": {...}}`` with ``sizes`` (``L``, samples, seconds),
        ``pc_literature``, ``pc_extrapolated`` (:func:`pc_extrapolate`, ``R_x``
        and ``R_any``), ``pc_crossings`` (:func:`pc_crossings`, ``R_x``),
        ``D`` (:func:`fractal_dim`, ``d <= 5``), ``tau_mle`` (largest ``L``) and
        ``tau_mle_by_L``, ``tau_hyperscaling`` (``1 + d/D`` with the interval
        mapped), and ``within`` flags (literature value inside the 95 % interval).

    Examples
    --------
    >>> cfg = LatticeConfig(lattices=(LatticeGrid(2, "site", L=(8, 16), samples=(20, 20)),), batch=10)
    >>> cells = lattice_cells(cfg)
    >>> import dataclasses
    >>> rows = [{**dataclasses.asdict(c), **lattice_cell(c.d, c.lattice, c.L, c.n_samples, c.batch, c.seed)}
    ...         for c in cells]
    >>> an = lattice_analyse(rows, n_boot=100)
    >>> r = an["2-site"]
    >>> r["pc_literature"], [s["L"] for s in r["sizes"]]
    (0.59274621, [8, 16])
    >>> lo, hi = r["pc_extrapolated"]["x"]["ci"]                  # tiny samples: a wide interval, but it covers
    >>> bool(lo < r["pc_literature"] < hi)
    True
    """
    import pandas as pd

    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
    if df.empty:
        raise InputError("no rows to analyse")
    if "lattice" not in df:
        raise InputError("rows need a 'lattice' column (site or bond)")
    out = {}
    df = df.sort_values([c for c in ("d", "lattice", "L", "batch", "seed") if c in df]).reset_index(drop=True)
    for (d, kind), g in df.groupby(["d", "lattice"]):
        d = int(d)
        sweeps = [_sweep_from_rows(gg.to_dict("records")) for _, gg in g.groupby("L")]
        sweeps.sort(key=lambda s: s.L)
        lit = LATTICE_LITERATURE["pc_bond" if kind == "bond" else "pc_site"].get(d)
        res = {"sizes": [{"L": s.L, "samples": s.n_samples, "seconds": s.seconds} for s in sweeps],
               "pc_literature": lit}
        if len(sweeps) >= 2:
            nu = LATTICE_LITERATURE["nu"][min(d, 8)]
            res["pc_extrapolated"] = {w: pc_extrapolate(sweeps, nu, w, n_boot=n_boot) for w in ("x", "any")}
            res["pc_crossings"] = pc_crossings(sweeps, "x", n_boot=n_boot)
            if lit is not None:
                res["within"] = {w: bool(e["ci"][0] <= lit <= e["ci"][1]) for w, e in res["pc_extrapolated"].items()}
        res["tau_literature"] = LATTICE_LITERATURE["tau"][min(d, 8)]
        res["tau_mle_by_L"] = []
        for s in sweeps:
            try:
                t = tau_estimate(s, n_boot=n_boot)
                res["tau_mle_by_L"].append({"L": s.L, "tau": t["tau"], "ci": t["ci"], "window": t["window"]})
            except InputError:
                pass
        if res["tau_mle_by_L"]:
            res["tau_mle"] = res["tau_mle_by_L"][-1]
            big = sweeps[-1]
            res["tau_mle_windows"] = []
            for lo, hi in ((8, 100), (30, 300), (100, 1000), (300, 3000)):
                if hi < big.hist.shape[1] and hi < np.mean(big.smax_snap) / 10:
                    try:
                        t = _tau_mle(big.hist.sum(axis=0), lo, hi)
                    except InputError:
                        continue
                    res["tau_mle_windows"].append({"L": big.L, "window": (lo, hi), "tau": t["tau"], "ci": t["ci"]})
        if d <= 5 and len(sweeps) >= 2:
            D = fractal_dim(sweeps)
            res["D"] = D
            res["D_literature"] = LATTICE_LITERATURE["D"][d]
            res["tau_hyperscaling"] = {"tau": 1 + d / D["D"], "ci": (1 + d / D["ci"][1], 1 + d / D["ci"][0]),
                                       "method": "1 + d/D, D from <s_max> ∝ L^D"}
        out[f"{d}-{kind}"] = res
    return out


def lattice_fig4_measured(analysis, d_max=4, kind="site"):
    """Exponents for Brill's Fig. 4 from :func:`lattice_analyse`: ``D`` and ``tau = 1 + d/D`` for ``d <= d_max``.

    ``d_max = 4`` by default: there our ``D`` agrees with the literature
    within its interval; at ``d = 5`` the reachable sizes (``L <= 12``) give a
    ``D`` above it, and for ``d >= 6`` the torus changes the largest-cluster
    scaling, so those stay literature values in :func:`brill_fig4`.

    Examples
    --------
    >>> cfg = LatticeConfig(lattices=(LatticeGrid(2, "site", L=(8, 16), samples=(20, 20)),), batch=10)
    >>> cells = lattice_cells(cfg)
    >>> import dataclasses
    >>> rows = [{**dataclasses.asdict(c), **lattice_cell(c.d, c.lattice, c.L, c.n_samples, c.batch, c.seed)}
    ...         for c in cells]
    >>> an = lattice_analyse(rows, n_boot=100)
    >>> m = lattice_fig4_measured(an, d_max=2)
    >>> sorted(m), sorted(m[2])
    ([2], ['D', 'tau'])
    """
    out = {}
    for key, res in analysis.items():
        d, k = key.split("-")
        if k != kind or int(d) > d_max or "D" not in res:
            continue
        out[int(d)] = {"D": res["D"]["D"], "tau": res["tau_hyperscaling"]["tau"]}
    return out
