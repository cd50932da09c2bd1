"""Benchmark the percolation kernels against baselines measured in the same run.

* Lattice labelling: :func:`scalinglab.kernels.percolation.label_clusters`
  (Numba union-find) against ``scipy.ndimage.label`` on the same occupied
  arrays (2-d at the square-lattice threshold, 3-d and 5-d near theirs); the
  partitions are checked identical, and the ratio of throughputs is reported.
* Bethe clusters: Leath growth (:func:`bethe_cluster_sizes`) in cluster sites
  per second, against the plain-Python reference of ``tests/naive.py`` (run on
  a smaller sample).
* Newman-Ziff sweeps (:func:`newman_ziff`, 2-d bond percolation, all bonds
  added, largest cluster and sum of squares after every bond): against a
  straightforward pure-Python sweep on ``networkx.utils.UnionFind`` and, when it
  can be imported, pypercolate (PyPI name ``percolate`` 0.4.6, 2015). On this
  Python it needs shims to run at all (``pkg_resources`` is gone from
  setuptools >= 81; networkx 3 removed ``Graph.node``, ``nodes_iter`` and
  indexable edge views); install it with
  ``pip install --target DIR --no-deps percolate==0.4.6 future simoa`` and run
  with ``PYPERCOLATE_PATH=DIR``. The benchmark checks its largest-cluster
  sequence against a brute force on the same bond order, for tuple and for
  integer node labels: correct for both (an earlier note here called it wrong
  for integer labels; its own check says otherwise, issue 17). Every sweep
  is timed with its random orders drawn inside (ours too), the fair
  comparison; timing ours on pre-drawn orders inflated the ratio (225x
  claimed, 80-111x measured with the orders, issue 17).

For all kernels at several sizes, interleaved, see ``bench_kernels.py``.

Run: ``python benchmarks/bench_percolation.py [--quick] [--json PATH]`` (``--json`` also stores the numbers,
e.g. in ``results/reference/bench/bench_percolation.json`` for the docs). Ratios, not timed asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from timing import best_of

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]  # this checkout's package and tests/naive.py

import os  # noqa: E402
import types  # noqa: E402

from scalinglab.kernels.percolation import bethe_cluster_sizes, label_clusters, newman_ziff  # noqa: E402




def bench_labelling(quick=False):
    rng = np.random.default_rng(0)
    cases = [((1000, 1000) if quick else (3000, 3000), 0.5927),
             ((100, 100, 100) if quick else (200, 200, 200), 0.3116),
             ((24,) * 4 if quick else (40,) * 4, 0.1969),
             ((12,) * 5 if quick else (18,) * 5, 0.1408)]
    label_clusters(np.ones(4, dtype=bool), np.array([2, 2], dtype=np.int64))  # compile
    rows = []
    for shape, p in cases:
        occ = rng.random(shape) < p
        flat = occ.ravel()
        sh = np.array(shape, dtype=np.int64)
        t_ours, (lab, n) = best_of(lambda: label_clusters(flat, sh))
        t_sp, (ref, nref) = best_of(lambda: ndimage.label(occ))
        same = n == nref and np.array_equal(lab.reshape(shape), ref)
        sites = int(occ.sum())
        rows.append((f"{len(shape)}-d {shape[0]}^{len(shape)} p={p}", sites / t_ours / 1e6, sites / t_sp / 1e6,
                     t_sp / t_ours, same))
    return rows


def bench_bethe(quick=False):
    import naive

    n = 20_000 if quick else 200_000
    bethe_cluster_sizes(10, 0.5, 3, 100, 0)  # compile
    t, sizes = best_of(lambda: bethe_cluster_sizes(n, 0.49, 3, 10**6, 1))
    rate = sizes.sum() / t
    m = 500 if quick else 2000
    t0 = time.perf_counter()
    ref = naive.leath_sizes(m, 0.49, 3, 10**6, np.random.default_rng(1))
    rate_naive = ref.sum() / (time.perf_counter() - t0)
    return rate, rate_naive


def nz_networkx(L, order, edges):
    """Plain Newman-Ziff on networkx's UnionFind: s_max and sum s^2 after every bond."""
    from networkx.utils import UnionFind

    uf = UnionFind(range(L * L))
    smax, s2 = 1, L * L
    out_max = np.empty(order.size + 1, dtype=np.int64)
    out_s2 = np.empty(order.size + 1, dtype=np.int64)
    out_max[0], out_s2[0] = smax, s2
    for n, b in enumerate(order, 1):
        i, j = edges[b]
        ri, rj = uf[i], uf[j]
        if ri != rj:
            si, sj = uf.weights[ri], uf.weights[rj]
            uf.union(ri, rj)
            s2 += 2 * si * sj
            smax = max(smax, si + sj)
        out_max[n], out_s2[n] = smax, s2
    return out_max, out_s2


def torus_bonds(L):
    """Bond list of the periodic L x L lattice in the kernel's numbering (bond b = site * 2 + direction)."""
    edges = []
    for i in range(L * L):
        r, c = divmod(i, L)
        edges.append((i, ((r + 1) % L) * L + c))  # direction 0: the row index
        edges.append((i, r * L + (c + 1) % L))
    return edges


def _import_pypercolate():
    path = os.environ.get("PYPERCOLATE_PATH")
    if path:
        sys.path.insert(0, path)
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:  # setuptools >= 81 removed it; pypercolate only reads its version from it
            sys.modules["pkg_resources"] = types.SimpleNamespace(
                get_distribution=lambda name: types.SimpleNamespace(version="0.4.6"))
    try:
        import percolate
    except ImportError:
        return None
    return percolate


def _nx3_graph():
    import networkx as nx

    class G(nx.Graph):  # the networkx-1 API pypercolate calls
        def nodes_iter(self):
            return iter(self.nodes())

        @property
        def edges(self):  # networkx 1: G.edges() is an indexable list
            view = nx.classes.reportviews.EdgeView(self)
            return lambda *a, **k: list(view(*a, **k)) if (a or k) else list(view)

        @property
        def node(self):
            return self.nodes

    return G


def bench_newman_ziff(quick=False):
    import networkx as nx

    L = 64 if quick else 128
    M = 2 * L * L
    rng = np.random.default_rng(0)
    n_samples = 20 if quick else 50
    orders = np.array([rng.permutation(M) for _ in range(n_samples)], dtype=np.int64)
    newman_ziff(2, 4, True, 1, 0, -1, 1, 32, orders[:1, :32] % 32)  # compile
    empty = np.zeros((0, 0), dtype=np.int64)  # the kernel draws its own orders, timed like the baselines'
    t_ours, res = best_of(lambda: newman_ziff(2, L, True, n_samples, 0, -1, 1, M, empty))
    rate_ours = n_samples * M / t_ours
    edges = torus_bonds(L)
    t0 = time.perf_counter()
    ref_max, ref_s2 = nz_networkx(L, orders[0], edges)
    t_nx = time.perf_counter() - t0
    one = newman_ziff(2, L, True, 1, 0, -1, 1, M, orders[:1])
    same = np.array_equal(one[0], ref_max) and np.array_equal(one[2], ref_s2)
    rows = [("ours (Numba)", rate_ours, 1.0, "-"), ("pure Python, networkx UnionFind", M / t_nx, rate_ours / (M / t_nx),
                                                    str(same))]
    perc = _import_pypercolate()
    note = "pypercolate: not importable (install it as the module docstring says)"
    if perc is not None:
        G = _nx3_graph()
        g = G(nx.grid_2d_graph(L, L, periodic=True))
        t0 = time.perf_counter()
        np.random.seed(7)
        for _ in perc.sample_states(g, spanning_cluster=False, copy_result=False):
            pass
        t_pp = time.perf_counter() - t0
        rows.append(("pypercolate 0.4.6 (shimmed)", g.number_of_edges() / t_pp,
                     rate_ours / (g.number_of_edges() / t_pp), "see below"))
        # correctness on the same order: tuple labels, then integer labels
        checks = [f"{labels} labels: {'correct' if ok else 'WRONG'}"
                  for labels, ok in pypercolate_checks(perc, G).items()]
        note = "pypercolate largest cluster vs brute force on its own bond order: " + "; ".join(checks)
    return L, n_samples, rows, note


def pypercolate_checks(perc, G):
    """``{"tuple": ok, "int": ok}``: pypercolate's largest-cluster sequence against a brute force on its own order.

    A 20 x 20 periodic bond lattice, with its tuple node labels and relabelled by integers; the brute force adds
    the same bonds (same ``np.random`` seed) to a networkx graph and takes the largest component after each.
    """
    import networkx as nx

    out = {}
    for labels in ("tuple", "int"):
        gg = G(nx.grid_2d_graph(20, 20, periodic=True))
        if labels == "int":
            gg = G(nx.convert_node_labels_to_integers(gg))
        np.random.seed(11)
        got = [st["max_cluster_size"] for st in perc.sample_states(gg, spanning_cluster=False, copy_result=True)]
        np.random.seed(11)
        perm = np.random.permutation(gg.number_of_edges())
        ed = gg.edges()
        h = nx.Graph()
        h.add_nodes_from(gg.nodes())
        want = [1]
        for b in perm:
            h.add_edge(*ed[b])
            want.append(max(len(c) for c in nx.connected_components(h)))
        out[labels] = got == want
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller arrays (seconds)")
    ap.add_argument("--json", default=None, help="also write the numbers as JSON to this path")
    args = ap.parse_args(argv)
    out = {"quick": bool(args.quick), "labelling": [], "newman_ziff": {}, "bethe": {}}
    print("cluster labelling (occupied sites per second, same arrays):")
    print(f"  {'case':28s} {'ours Msites/s':>14s} {'scipy Msites/s':>15s} {'ours/scipy':>11s} identical")
    for name, ours, sp, ratio, same in bench_labelling(args.quick):
        print(f"  {name:28s} {ours:14.1f} {sp:15.1f} {ratio:11.2f} {same}")
        out["labelling"].append({"case": name, "d": int(name.split("-d")[0]), "ours_msites_s": float(ours),
                                 "scipy_msites_s": float(sp), "ratio": float(ratio), "identical": bool(same)})
    L, ns, rows, note = bench_newman_ziff(args.quick)
    print(f"Newman-Ziff, 2-d bond, periodic {L}x{L}, all {2 * L * L} bonds (ours: {ns} samples):")
    for name, rate, ratio, same in rows:
        print(f"  {name:34s} {rate / 1e6:8.3f} Mbonds/s   ours/this {ratio:7.1f}   identical {same}")
        key = "ours" if name.startswith("ours") else "pypercolate" if "pypercolate" in name else "networkx"
        out["newman_ziff"][key] = {"name": name, "mbonds_s": float(rate / 1e6), "ratio": float(ratio),
                                   "identical": bool(same) if isinstance(same, (bool, np.bool_)) else str(same)}
    print(f"  {note}")
    out["newman_ziff"].update({"L": int(L), "samples": int(ns), "note": note})
    rate, rate_naive = bench_bethe(args.quick)
    print(f"Bethe Leath growth (p=0.49, z=3): {rate / 1e6:.1f} Msites/s; plain Python {rate_naive / 1e6:.3f} "
          f"Msites/s; ratio {rate / rate_naive:.0f}x")
    out["bethe"] = {"msites_s": float(rate / 1e6), "naive_msites_s": float(rate_naive / 1e6),
                    "ratio": float(rate / rate_naive)}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
