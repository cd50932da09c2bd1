"""Brill's toy experiment: our Numba pipeline against a straightforward numpy/scipy/networkx one, same run.

Steps of one seed (his notebook): grow clusters breadth-first on the Bethe
lattice z = 200 at p_c until 316 have 300..3e7 sites, random-walk targets,
per-cluster scale-factor fits (50 evaluations), model and data scaling
(2 x 50 evaluations); one *evaluation* draws test/training sites in every
cluster and predicts each test site from its nearest training site (tree
distance) with his shrinkage.

Baselines, written the plain way:

* growth: a Python deque BFS with numpy's batched binomial draws (his method);
  targets by numpy, one BFS level at a time;
* nearest training site: ``scipy.sparse.csgraph.dijkstra(..., min_only=True)``
  from all training sites at once (multi-source, C); and networkx
  (``multi_source_dijkstra``) on the clusters small enough for it.

Both sides are timed on the same reduced data set (``s_max = 3e5``, 31
clusters), giving per-site ratios; our full seed (316 clusters, 3e7 cap) is
timed too and the baselines extrapolated to it by their per-site rates.

Run: ``python benchmarks/bench_brill_toy.py [--quick]``. Ratios, not timed asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from pathlib import Path

import numpy as np
from timing import best_of

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from scalinglab.validate.percolation import (BrillToyConfig, brill_clusters, brill_losses,  # noqa: E402
                                              brill_p_train, brill_scale_factors, brill_toy_cells)
from scalinglab.validate.percolation import _brill_toy as bt  # noqa: E402


def grow_numpy(cfg, seed):
    """His growth loop, plainly: deque BFS, batched numpy binomials; returns kept parent arrays."""
    rng = np.random.default_rng(seed)
    n1, p = cfg.z - 1, cfg.p_occ
    kept, grown_sites = [], 0
    while len(kept) < cfg.k_clusters:
        parent = [-1]
        queue = deque([0])
        draws = rng.binomial(n1, p, size=256)
        di = 0
        big = False
        while queue:
            v = queue.popleft()
            if di == draws.size:
                draws = rng.binomial(n1, p, size=256)
                di = 0
            k = int(draws[di]) + (int(rng.random() < p) if v == 0 else 0)
            di += 1
            if len(parent) + k > cfg.s_max:
                big = True
                break
            for _ in range(k):
                queue.append(len(parent))
                parent.append(v)
        grown_sites += len(parent)
        if not big and len(parent) >= cfg.s_min:
            kept.append(np.array(parent, dtype=np.int64))
    return kept, grown_sites


def targets_numpy(parent, rng):
    """Random walk by BFS level with numpy, standardised."""
    n = parent.size
    depth = np.zeros(n, dtype=np.int64)
    for i in range(1, n):  # parents precede children
        depth[i] = depth[parent[i]] + 1
    value = np.zeros(n)
    order = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[order], np.arange(depth.max() + 2))
    for lvl in range(1, depth.max() + 1):
        idx = order[bounds[lvl]:bounds[lvl + 1]]
        value[idx] = value[parent[idx]] + rng.standard_normal(idx.size)
    value -= value.mean()
    return value / value.std()


def nearest_scipy(parent, train, test):
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra

    n = parent.size
    i = np.arange(1, n)
    adj = sparse.csr_matrix((np.ones(n - 1), (i, parent[1:])), shape=(n, n))
    dist, _, src = dijkstra(adj, directed=False, indices=train, min_only=True, return_predecessors=True)
    return dist[test], src[test]


def nearest_networkx(parent, train, test):
    import networkx as nx

    g = nx.Graph()
    g.add_edges_from((i, int(parent[i])) for i in range(1, parent.size))
    g.add_node(0)
    dist, paths = nx.multi_source_dijkstra(g, {int(t) for t in train})
    return np.array([dist[int(u)] for u in test]), np.array([paths[int(u)][0] for u in test])


def evaluate_baseline(parents, values, p_train, p_valid, rng, nearest):
    """One evaluation, plainly (his predict/compute_loss): returns the loss."""
    sse, nt = 0.0, 0
    for par, val, pt in zip(parents, values, p_train):
        s = par.size
        n_test = int(round(p_valid * s))
        if n_test == 0:
            continue
        n_train = rng.binomial(s - n_test, min(1.0, pt / (1 - p_valid)))
        pick = rng.choice(s, size=n_train + n_test, replace=False)
        train, test = np.sort(pick[:n_train]), pick[n_train:]
        if n_train == 0:
            pred = np.zeros(n_test)
        else:
            d, w = nearest(par, train, test)
            pred = val[w] / (1 + d / np.sqrt(s))
        sse += float(((pred - val[test]) ** 2).sum())
        nt += n_test
    return sse / nt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="reduced setting only (about a minute)")
    ap.add_argument("--json", default=None, help="also write the numbers as JSON to this path "
                    "(results/reference/bench/bench_brill_toy.json for the docs)")
    args = ap.parse_args(argv)
    out = {"quick": bool(args.quick)}

    def dump():
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    small = BrillToyConfig(s_max=300_000)
    brill_clusters(BrillToyConfig(s_max=3000, n_clusters=3), 0)  # compile
    brill_losses(brill_clusters(BrillToyConfig(s_max=3000, n_clusters=3), 0), 0.1, 0.1, 0)

    # --- growth, reduced setting
    t_ours, cl = best_of(lambda: brill_clusters(small, 1), repeat=2)
    t0 = time.perf_counter()
    parents, grown = grow_numpy(small, 1)
    rng = np.random.default_rng(2)
    values = [targets_numpy(p, rng) for p in parents]
    t_base = time.perf_counter() - t0
    kept_sites = sum(p.size for p in parents)
    print(f"reduced setting: {small.k_clusters} clusters of {small.s_min}..{small.s_max:.0e} sites")
    print(f"  growth + targets: ours {t_ours:.2f} s ({cl.n_sites} kept sites), numpy deque {t_base:.2f} s "
          f"({kept_sites} kept, {grown} grown sites)")
    rate_ours = cl.meta["sites_grown"] / t_ours
    rate_base = grown / t_base
    print(f"  per grown site: ours {rate_ours / 1e6:.2f} Msites/s ({cl.meta['sites_grown']} grown), numpy "
          f"{rate_base / 1e6:.3f} Msites/s, ratio {rate_ours / rate_base:.0f}x")
    out["reduced"] = {"clusters": int(small.k_clusters), "s_min": int(small.s_min), "s_max": int(small.s_max),
                      "growth_ratio_per_site": float(rate_ours / rate_base)}

    # --- one evaluation (data mode, n = 1000), same clusters for the baselines
    sizes = np.array([p.size for p in parents], dtype=float)
    p_tr = np.full(sizes.size, 1000 * 5.0 / sizes.sum())
    t_sc = time.perf_counter()
    loss_sc = evaluate_baseline(parents, values, p_tr, small.p_valid, np.random.default_rng(3), nearest_scipy)
    t_sc = time.perf_counter() - t_sc
    pt_ours = brill_p_train("data", 1000, cl.sizes, np.full(cl.sizes.size, 5.0), small)
    t_ev, r = best_of(lambda: brill_losses(cl, pt_ours, small.p_valid, 4))
    print(f"  one evaluation (data, n = 1000, f = 5): ours {t_ev * 1e3:.1f} ms on {cl.n_sites} sites "
          f"(loss {r['loss']:.3f}); scipy dijkstra {t_sc * 1e3:.0f} ms on {kept_sites} sites (loss {loss_sc:.3f}); "
          f"per-site ratio {(t_sc / kept_sites) / (t_ev / cl.n_sites):.0f}x")
    out["reduced"]["evaluation_ratio_per_site"] = float((t_sc / kept_sites) / (t_ev / cl.n_sites))
    small_par = [p for p in parents if p.size <= 20_000]
    small_val = [v for p, v in zip(parents, values) if p.size <= 20_000]
    ns = sum(p.size for p in small_par)
    t_nx = time.perf_counter()
    evaluate_baseline(small_par, small_val, np.full(len(small_par), 0.01), 0.05, np.random.default_rng(5),
                      nearest_networkx)
    t_nx = time.perf_counter() - t_nx
    t_sc2 = time.perf_counter()
    evaluate_baseline(small_par, small_val, np.full(len(small_par), 0.01), 0.05, np.random.default_rng(5),
                      nearest_scipy)
    t_sc2 = time.perf_counter() - t_sc2
    print(f"  clusters <= 2e4 sites ({len(small_par)}, {ns} sites, 5 % test, 1 % train): networkx "
          f"{t_nx * 1e3:.0f} ms, scipy {t_sc2 * 1e3:.0f} ms")
    out["reduced"]["networkx_over_scipy"] = float(t_nx / t_sc2)

    if args.quick:
        dump()
        return
    # --- our full seed; baselines extrapolated by their per-site rates
    full = BrillToyConfig()
    t0 = time.perf_counter()
    clf = brill_clusters(full, 0)
    t_grow = time.perf_counter() - t0
    t0 = time.perf_counter()
    sf = brill_scale_factors(clf, full, 0)
    t_fit = time.perf_counter() - t0
    bt._SEED_CACHE.clear()
    bt._SEED_CACHE[(bt.brill_data(full), 0)] = (clf, sf)
    t0 = time.perf_counter()
    for cell in brill_toy_cells(BrillToyConfig(seeds=1)):
        bt.brill_toy_cell(full, cell["mode"], cell["n_dof"], 0)
    t_cells = time.perf_counter() - t0
    total = t_grow + t_fit + t_cells
    n_eval = full.fit_points + 2 * full.n_points
    base_eval = t_sc / kept_sites * clf.n_sites
    base_grow = clf.meta["sites_grown"] / rate_base
    base_total = base_grow + n_eval * base_eval
    print(f"full seed 0: {clf.n_sites} kept sites ({clf.attempts} clusters grown, {clf.n_large} above 3e7)")
    print(f"  ours: growth {t_grow:.1f} s, scale factors {t_fit:.1f} s, 100 cells {t_cells:.1f} s, total {total:.1f} s")
    print(f"  numpy/scipy extrapolated: growth {base_grow:.0f} s ({clf.meta['sites_grown']} grown sites), "
          f"{n_eval} evaluations x {base_eval:.1f} s; total ~{base_total:.0f} s; ratio ~{base_total / total:.0f}x")
    print(f"  scale factors: {sf.summary}")
    out["full_seed0"] = {"sites": int(clf.n_sites), "growth_s": float(t_grow), "scale_factors_s": float(t_fit),
                         "cells_s": float(t_cells), "total_s": float(total), "baseline_total_s": float(base_total),
                         "ratio": float(base_total / total)}
    dump()


if __name__ == "__main__":
    main()
