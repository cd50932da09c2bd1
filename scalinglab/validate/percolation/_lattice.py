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

import numpy as np

from scalinglab.errors import InputError
from scalinglab.theory.percolation import (LATTICE_LITERATURE, LatticeSweep, canonical, fractal_dim, lattice_sweep,
                                           pc_crossings, pc_extrapolate, powerlaw_mle_discrete, tau_estimate)

__all__ = ["LATTICE_FULL", "LATTICE_QUICK", "lattice_cells", "lattice_cell", "lattice_analyse",
           "lattice_fig4_measured"]

# (d, kind) -> [(L, samples)]; each size split into >= 10 cells (batches), so that tau's bootstrap
# over batches has enough groups. Sized for a few minutes on one core of the 2-core project machine
# (docs/percolation-brill.md has the measured time).
LATTICE_FULL = {
    (2, "site"): [(32, 2000), (64, 1000), (128, 600), (256, 300), (512, 120), (1024, 30)],
    (2, "bond"): [(32, 1000), (64, 500), (128, 300), (256, 150)],
    (3, "site"): [(8, 2000), (16, 1000), (32, 500), (64, 120)],
    (3, "bond"): [(8, 1000), (16, 500), (32, 300)],
    (4, "site"): [(6, 2000), (8, 1000), (12, 600), (16, 300), (20, 120)],
    (5, "site"): [(4, 2000), (6, 1000), (8, 600), (10, 300), (12, 120)],
    (6, "site"): [(4, 1000), (5, 600), (6, 400), (8, 120)],
    (7, "site"): [(4, 600), (5, 400), (6, 120)],
}

LATTICE_QUICK = {
    (2, "site"): [(16, 200), (32, 100), (64, 50)],
    (3, "site"): [(6, 200), (8, 100), (12, 50)],
}

P_GRID_POINTS = 61
HIST_CAP = 100_000


def lattice_cells(settings=None, batch=None, seed=0):
    """One cell per ``(d, kind, L, batch)`` of ``settings`` (default :data:`LATTICE_FULL`).

    ``batch``: samples per cell; default ``max(10, ceil(samples/10))`` (at
    least ~10 cells per size, few enough that per-cell overhead stays small).

    Returns
    -------
    list of dict
        ``{"d", "kind", "L", "n_samples", "batch", "seed"}``.
    """
    settings = LATTICE_FULL if settings is None else settings
    cells = []
    for (d, kind), sizes in settings.items():
        for L, n in sizes:
            bs = int(batch) if batch is not None else max(10, int(np.ceil(n / 10)))
            nb = max(1, int(np.ceil(n / bs)))
            for b in range(nb):
                cells.append({"d": int(d), "kind": kind, "L": int(L),
                              "n_samples": int(min(bs, n - b * bs)), "batch": b, "seed": int(seed)})
    return cells


def _p_grid(d, kind):
    pc = LATTICE_LITERATURE["pc_bond" if kind == "bond" else "pc_site"].get(d, 1.0 / (2 * d - 1))
    return np.linspace(0.5 * pc, min(1.0, 1.5 * pc), P_GRID_POINTS)


def lattice_cell(d, kind, L, n_samples, batch=0, seed=0):
    """Run one cell; returns its row (JSON-ready lists).

    >>> row = lattice_cell(2, "site", 8, 5)
    >>> len(row["n_wrap_x"]), row["M"]
    (5, 64)
    """
    sub = int(np.random.SeedSequence([int(seed), int(batch)]).generate_state(1)[0] & 0x7FFFFFFF)
    sw = lattice_sweep(d, L, kind, n_samples=n_samples, seed=sub, batches=1)
    h = sw.hist[0][:HIST_CAP + 1]
    nz = np.flatnonzero(h)
    pg = _p_grid(d, kind)
    can = canonical(sw, pg)
    row = {"d": int(d), "kind": kind, "L": int(L), "n_samples": int(n_samples), "batch": int(batch),
           "seed": int(seed), "N": sw.N, "M": sw.M, "p_snap": sw.p_snap, "seconds": sw.seconds,
           "n_wrap_x": sw.n_wrap[:, 0].tolist(), "n_wrap_any": sw.n_wrap[:, 1].tolist(),
           "n_wrap_all": sw.n_wrap[:, 2].tolist(), "smax_snap": sw.smax_snap.tolist(),
           "hist_s": nz.tolist(), "hist_n": h[nz].tolist(), "p_grid": pg.tolist()}
    for k in ("P_inf", "chi", "R_x", "R_any", "R_all"):
        row[k] = np.nan_to_num(can[k], nan=-1.0).tolist()
    return row


def _sweep_from_rows(rows):
    r0 = rows[0]
    nw = np.array([[a, b, c] for r in rows for a, b, c in zip(r["n_wrap_x"], r["n_wrap_any"], r["n_wrap_all"])])
    size = max(max(r["hist_s"], default=0) for r in rows) + 1
    hist = np.zeros((len(rows), size), dtype=np.int64)
    for i, r in enumerate(rows):
        hist[i, r["hist_s"]] = r["hist_n"]
    z = np.zeros(1)
    return LatticeSweep(d=r0["d"], L=r0["L"], kind=r0["kind"], N=r0["N"], M=r0["M"], n_samples=int(nw.shape[0]),
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
    """
    import pandas as pd

    df = pd.DataFrame(list(rows)) if not isinstance(rows, pd.DataFrame) else rows
    if df.empty:
        raise InputError("no rows to analyse")
    out = {}
    for (d, kind), g in df.groupby(["d", "kind"]):
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
                        t = powerlaw_mle_discrete(big.hist.sum(axis=0), lo, hi)
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
    """
    out = {}
    for key, res in analysis.items():
        d, k = key.split("-")
        if k != kind or int(d) > d_max or "D" not in res:
            continue
        out[int(d)] = {"D": res["D"]["D"], "tau": res["tau_hyperscaling"]["tau"]}
    return out
