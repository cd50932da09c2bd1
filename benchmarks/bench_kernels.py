"""Every public kernel against the obvious numpy/scipy (or plain-Python) call, tiny to large, in one run.

Each row times the kernel and its baseline **interleaved** (A B B A ..., ``--repeat`` rounds, each
round long enough to time: a call repeated until it takes >= 4 ms), reports the medians and their
ratio (baseline / kernel: > 1 means the kernel is faster), checks that both gave the same answer,
and puts a physical limit beside it: the bytes the kernel must move against this machine's
streaming bandwidth, random accesses against its random-access rate, or exponentials against
numpy's vectorised ``exp`` -- all three measured in the same run. The load (``os.getloadavg``)
before and after and the thread settings are stored with the rows.

Run::

    python benchmarks/bench_kernels.py [--quick] [--repeat 5] [--runs 3] [--out results/reference/kernel-bench]
    python benchmarks/bench_kernels.py --docs     # rewrite docs/results/kernels.md from the stored JSON

``--quick`` (tiny sizes only, 1 round) is the smoke run of ``tests/test_bench_kernels.py``. The full
run takes a few minutes on 2 cores. Ratios, never timed asserts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]  # this checkout's package and tests/naive.py

import numba  # noqa: E402
from scipy import ndimage  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from scalinglab.kernels import percolation as KP  # noqa: E402
from scalinglab.kernels import rhm as KR  # noqa: E402

OUT = _ROOT / "results" / "reference" / "kernel-bench"
PEER = {}  # {"path": checkout or git dir of pcsl-epfl/random-hierarchy-model} (--peer)
DOC = _ROOT / "docs" / "results" / "kernels.md"
WARMUP_S = 0.2  # seconds of warm calls per side before a race (at least one call)


# ----------------------------------------------------------------------------- timing
def _warm_number(fn, target=4e-3):
    """Warm ``fn`` up (one call, then calls for ``WARMUP_S`` seconds) and return ``(calls per timed sample of at
    least ``target`` seconds, seconds per call)``, the duration taken from the warm calls: sized on the first,
    cold call alone, the samples of the fastest kernels came out ~10x too short, and the cost of switching
    between the two sides then inflated the first race of each kernel by up to 35 % (issue 22)."""
    fn()
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        el = time.perf_counter() - t0
        if el >= WARMUP_S:
            break
    per = el / calls
    return max(1, int(target / max(per, 1e-7))), per


def race(fns, repeat, budget=8.0):
    """Median seconds per call of each ``fns[name]``, timed interleaved (order reversed every round).

    Each side is warmed up first (:func:`_warm_number`). Rounds are capped so that one race takes about
    ``budget`` seconds (at least 3 rounds)."""
    names = list(fns)
    nums, one = {}, 0.0
    for k in names:
        nums[k], per = _warm_number(fns[k])
        one += max(per * nums[k], 4e-3)
    repeat = min(repeat, max(3, int(budget / one)))
    times = {k: [] for k in names}
    gc_was = gc.isenabled()
    gc.disable()  # as timeit does: a collection triggered by one side's garbage must not land in the other's time
    try:
        for r in range(repeat):
            for k in (names if r % 2 == 0 else names[::-1]):
                f, n = fns[k], nums[k]
                t0 = time.perf_counter()
                for _ in range(n):
                    f()
                times[k].append((time.perf_counter() - t0) / n)
    finally:
        if gc_was:
            gc.enable()
    return {k: float(np.median(v)) for k, v in times.items()}, {k: float(np.min(v)) for k, v in times.items()}


# ----------------------------------------------------------------------------- machine limits
def machine_limits(quick):
    """Streaming bandwidth (copy, read + write bytes), random-access rate, numpy exp rate (one thread each)."""
    n = 2**22 if quick else 2**25  # 32 MiB / 256 MiB of float64
    a = np.ones(n)
    b = np.empty(n)
    med, _ = race({"copy": lambda: np.copyto(b, a)}, 5)
    bw = 2 * a.nbytes / med["copy"]
    idx = np.random.default_rng(0).integers(0, n, 2**20)
    med, _ = race({"gather": lambda: a.take(idx)}, 5)
    gather = idx.size / med["gather"]
    x = -np.random.default_rng(1).random(4096) * 50
    out = np.empty_like(x)
    med, _ = race({"exp": lambda: np.exp(x, out=out)}, 5)
    return {"stream_GBps": bw / 1e9, "random_access_per_s": gather, "numpy_exp_ns": med["exp"] / x.size * 1e9}


# ----------------------------------------------------------------------------- cases
def _row(kernel, size, n, baseline, med, mn, same, limit_s=None, limit_what="", **extra):
    r = {"kernel": kernel, "size": size, "n": n, "baseline": baseline,
         "kernel_ms": med["ours"] * 1e3, "baseline_ms": med["base"] * 1e3,
         "ratio": med["base"] / med["ours"], "ratio_min": mn["base"] / mn["ours"], "same": bool(same)}
    if limit_s is not None:
        r["limit_ms"] = limit_s * 1e3
        r["limit_frac"] = limit_s / med["ours"]
        r["limit"] = limit_what
    r.update(extra)
    return r


def case_decay(sizes, repeat, lim):
    rng = np.random.default_rng(0)
    P = np.geomspace(1, 1e6, 25)
    rows = []
    for size, g in sizes:
        f = rng.random(g) + 0.1
        f /= f.sum()
        lw = np.log(f * rng.integers(1, 100, g))
        lq = np.log(f)

        if g * P.size <= 2**21:
            def base():  # the same inputs as the kernel: log weights, log q, P
                return np.exp(lw[None, :] + P[:, None] * np.log1p(-np.exp(lq))[None, :]).sum(1)
        else:
            def base():
                l1p = np.log1p(-np.exp(lq))
                return np.array([np.exp(lw + p * l1p).sum() for p in P])
        med, mn = race({"ours": lambda: KR.decay_sum(lw, lq, P), "base": base}, repeat)
        same = np.allclose(KR.decay_sum(lw, lq, P), base(), rtol=1e-12, atol=0)
        terms = g * P.size
        rows.append(_row("decay_sum", size, terms, "numpy exp(log w + P log1p(-q)).sum", med, mn, same,
                         terms * lim["numpy_exp_ns"] * 1e-9 / numba.get_num_threads(),
                         "one numpy exp per term on every thread", ns_per_term=med["ours"] / terms * 1e9))

        def lbase():
            l1p = np.log1p(-np.exp(lq))
            return np.array([logsumexp(lw + p * l1p) for p in P])
        med, mn = race({"ours": lambda: KR.log_decay_sum(lw, lq, P), "base": lbase}, repeat)
        same = np.allclose(KR.log_decay_sum(lw, lq, P), lbase(), rtol=1e-12, atol=1e-12)
        rows.append(_row("log_decay_sum", size, terms, "scipy logsumexp per P", med, mn, same,
                         terms * lim["numpy_exp_ns"] * 1e-9 / numba.get_num_threads(),
                         "one numpy exp per term on every thread", ns_per_term=med["ours"] / terms * 1e9))
    return rows


def case_paths(sizes, repeat, lim):
    """Path spectrum + eps(P) on 25 P (theory layer over the kernels) against numpy over all m**L paths (no sort)."""
    from scalinglab.theory.rhm import RHMSpec, eps_of_spectrum, path_spectrum
    from scalinglab.theory.rhm._spectrum import _product_groups

    P = np.geomspace(1, 1e6, 25)
    rows = []
    for (size, L), per_level in [(sz, False) for sz in sizes] + [(sz, True) for sz in sizes]:
        # one alpha on every level, and a different alpha on each level (0.5..2): then the default ("auto")
        # spectrum is binned where exact grouping would barely group (eps within 1e-6 of the exact one)
        spec = RHMSpec(n_c=10, v=10, m=10, s=2, L=L, alpha=list(np.linspace(0.5, 2.0, L)) if per_level else 1.0)

        def base():
            f = spec.level_probs(1)
            for lv in range(2, spec.L + 1):
                f = np.multiply.outer(f, spec.level_probs(lv)).ravel()
            fp = f / spec.n_c
            l1p = np.log1p(-fp)
            lw = np.log(fp) + np.log(spec.n_c)
            return np.array([np.exp(lw + p * l1p).sum() for p in P])

        def ours():
            _product_groups.cache_clear()  # the enumeration is timed too
            return eps_of_spectrum(path_spectrum(spec), P)
        med, mn = race({"ours": ours, "base": base}, repeat)
        mode = path_spectrum(spec).mode
        same = np.allclose(ours(), base(), rtol=1e-6 if mode == "binned" else 1e-9)
        rows.append(_row("path_spectrum+eps" + (" (alpha per level)" if per_level else ""), size, 10**L,
                         "numpy over all m**L paths, eps per P (no sort)", med, mn, same, spectrum_mode=mode))
    return rows


def case_sample(sizes, repeat, lim):
    from scalinglab.theory.rhm import RHMSpec

    spec = RHMSpec.make(alpha=1.0)
    rules = KR.make_rules(10, 10, 10, 2, 3, seed=0)
    probs = spec.probs_matrix()
    rows = []
    for size, n in sizes:
        med, mn = race({"ours": lambda: KR.sample(rules, 10, probs, n, 1),
                        "base": lambda: KR.sample_numpy(rules, 10, probs, n, 1)}, repeat)
        a, b = KR.sample(rules, 10, probs, n, 1), KR.sample_numpy(rules, 10, probs, n, 1)
        # other random streams: the kernel's symbols are its derivations expanded, and both draw the same law
        # (mean rank at every node within 5 standard errors)
        se = np.sqrt(a[2].var(0) / n + b[2].var(0) / n) + 1e-12
        same = np.array_equal(a[0], KR.expand(rules, a[1], a[2])) and bool(
            np.all(np.abs(a[2].mean(0) - b[2].mean(0)) < 5 * se + 5.0 / n))
        nbytes = sum(u.nbytes for u in a)
        rows.append(_row("sample", size, n, "numpy sampler (sample_numpy, other stream)", med, mn, same,
                         nbytes / (lim["stream_GBps"] * 1e9) / 2, "writing x, y, ranks at half the copy rate",
                         ms_per_1e6=med["ours"] * 1e3 * 1e6 / n))
    if PEER.get("path"):
        import tempfile

        import torch
        from bench_rhm_sample import _load_peer

        uni = RHMSpec.make(alpha=-1.0).probs_matrix()
        with tempfile.TemporaryDirectory() as tmp:
            peer = _load_peer(PEER["path"], tmp)
            prules = peer.sample_rules(10, 10, 10, 2, 3, seed=0)
            for size, n in sizes:
                med, mn = race({"ours": lambda: KR.sample(rules, 10, uni, n, 1),
                                "base": lambda: peer.sample_with_replacement(n, 0, 1, prules)}, repeat)
                rows.append(_row("sample (uniform) vs peer", size, n,
                                 f"pcsl-epfl sample_with_replacement (torch, {torch.get_num_threads()} threads)",
                                 med, mn, True, ms_per_1e6=med["ours"] * 1e3 * 1e6 / n))
    return rows


def case_label(sizes, repeat, lim):
    rng = np.random.default_rng(0)
    pc = {2: 0.5927, 3: 0.3116, 4: 0.1969, 5: 0.1408}
    rows = []
    for size, shape in sizes:
        occ = rng.random(shape) < pc[len(shape)]
        flat = occ.ravel()
        sh = np.array(shape, dtype=np.int64)
        med, mn = race({"ours": lambda: KP.label_clusters(flat, sh), "base": lambda: ndimage.label(occ)}, repeat)
        (lab, n), (ref, nref) = KP.label_clusters(flat, sh), ndimage.label(occ)
        same = n == nref and np.array_equal(lab.reshape(shape), ref)
        nbytes = occ.size * (1 + lab.itemsize)
        rows.append(_row(f"label_clusters {len(shape)}-d", size, int(occ.size), "scipy.ndimage.label", med, mn,
                         same, nbytes / (lim["stream_GBps"] * 1e9) * 2, "read occ + write labels at the copy rate"))
    return rows


def _nz_python(L, rng, edges):
    """Newman-Ziff in plain Python on networkx's UnionFind (bench_percolation.nz_networkx), the random order
    drawn too (2-d bond, periodic; ``edges`` from bench_percolation.torus_bonds, the kernel's numbering)."""
    from bench_percolation import nz_networkx

    return nz_networkx(L, rng.permutation(2 * L * L), edges)[0]


def case_nz(sizes, repeat, lim):
    from bench_percolation import torus_bonds

    rows = []
    empty = np.zeros((0, 0), dtype=np.int64)
    for size, (L, ns) in sizes:
        M = 2 * L * L
        rng = np.random.default_rng(0)
        edges = torus_bonds(L)

        def base():
            for _ in range(ns):
                _nz_python(L, rng, edges)
        med, mn = race({"ours": lambda: KP.newman_ziff(2, L, True, ns, 0, -1, 1, M, empty), "base": base},
                       max(3, repeat // 2) if L > 64 else repeat)
        order = np.random.default_rng(5).permutation(M)[None]
        ours = KP.newman_ziff(2, L, True, 1, 0, -1, 1, M, order)[0]
        rng = np.random.default_rng(5)
        ref = _nz_python(L, rng, edges)
        same = np.array_equal(ours, ref)
        # each bond: two finds, each at least one random access (par of a site), plus the union
        rows.append(_row("newman_ziff 2-d bond", size, ns * M, "plain Python on networkx UnionFind (orders timed)",
                         med, mn, same, ns * M * 2 / lim["random_access_per_s"], "2 random accesses per bond",
                         bonds_per_s=ns * M / med["ours"]))
    if os.environ.get("PYPERCOLATE_PATH"):
        rows += _pypercolate_rows(sizes, repeat, lim)
    return rows


def nz_rates(quick, lim):
    """Additions per second of one Newman-Ziff sample at ~10**6 sites per d (out of cache), site and bond; the
    largest L whose one sample takes a minute at that rate (memory: ~90 bytes a site and 24 an addition)."""
    empty = np.zeros((0, 0), dtype=np.int64)
    out = []
    for d, L in ([(2, 64), (3, 16)] if quick else [(2, 1024), (3, 100), (4, 32), (5, 16)]):
        for bond in (False, True):
            N = L**d
            M = d * N if bond else N
            KP.newman_ziff(d, 4, bond, 1, 0, -1, 1, d * 4**d if bond else 4**d, empty)  # compile
            t0 = time.perf_counter()
            KP.newman_ziff(d, L, bond, 1, 0, -1, 1, M, empty)
            rate = M / (time.perf_counter() - t0)
            per = d if bond else 1  # additions per site
            L_min = int((60.0 * rate / per) ** (1.0 / d))
            # random accesses an addition, at least: a bond's 2 finds; a site's 2d neighbour checks
            acc = 2 if bond else 2 * d
            out.append({"d": d, "L": L, "kind": "bond" if bond else "site", "additions_per_s": rate,
                        "L_one_minute": L_min, "random_access_frac": rate * acc / lim["random_access_per_s"]})
    return out


def _pypercolate_rows(sizes, repeat, lim):
    """Against pypercolate 0.4.6 (shimmed for networkx 3; see bench_percolation.py), its own orders timed too."""
    import networkx as nx
    from bench_percolation import _import_pypercolate, _nx3_graph, pypercolate_checks

    perc = _import_pypercolate()
    G = _nx3_graph()
    rows = []
    empty = np.zeros((0, 0), dtype=np.int64)
    for size, (L, _) in sizes:
        if L > 64:
            continue
        g = G(nx.grid_2d_graph(L, L, periodic=True))
        M = g.number_of_edges()

        def base():
            for _ in perc.sample_states(g, spanning_cluster=False, copy_result=False):
                pass
        med, mn = race({"ours": lambda: KP.newman_ziff(2, L, True, 1, 0, -1, 1, M, empty), "base": base},
                       max(3, repeat // 2))
        checks = list(pypercolate_checks(perc, G).values())  # its largest cluster vs a brute force (tuple, int)
        rows.append(_row("newman_ziff 2-d bond vs pypercolate", size, M, "pypercolate 0.4.6 sample_states (orders "
                         "timed)", med, mn, all(checks), pypercolate_tuple_labels_correct=checks[0],
                         pypercolate_int_labels_correct=checks[1]))
    return rows


def case_bethe(sizes, repeat, lim):
    import naive

    rows = []
    for size, n in sizes:
        med, mn = race({"ours": lambda: KP.bethe_cluster_sizes(n, 0.45, 3, 10**5, 1),
                        "base": lambda: naive.leath_sizes(n, 0.45, 3, 10**5, np.random.default_rng(1))}, repeat)
        a = KP.bethe_cluster_sizes(20000, 0.45, 3, 10**5, 1)
        b = naive.leath_sizes(20000, 0.45, 3, 10**5, np.random.default_rng(1))
        same = abs(a.mean() - b.mean()) < 5 * np.sqrt(a.var() / a.size + b.var() / b.size)  # same law, other stream
        rows.append(_row("bethe_cluster_sizes", size, n, "plain-Python Leath growth (tests/naive.py)", med, mn, same))
    return rows


def case_tree(sizes, repeat, lim):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from scalinglab.kernels.percolation._brill_toy import _nearest_method

    rows = []
    for size, (s_target, frac) in sizes:
        parent, depth, _, offsets, _ = KP.grow_brill_clusters(1, 2, 0.5, s_target // 2, 4 * s_target, 3, 10**6)
        par = parent[offsets[0]:offsets[1]].astype(np.int64)
        dep = depth[offsets[0]:offsets[1]]
        s = par.size
        rng = np.random.default_rng(0)
        pick = rng.permutation(s)
        ntr = max(1, int(frac * s))
        train = np.sort(pick[:ntr])
        queries = pick[ntr:ntr + min(s - ntr, 10_000)]
        child = np.arange(1, s)
        g = csr_matrix((np.ones(s - 1), (child, par[1:])), shape=(s, s))

        def base():
            d = dijkstra(g, directed=False, indices=train, min_only=True, return_predecessors=False,
                         unweighted=True)
            return d[queries]
        # the row times the default (method -1: the cost model's pick); both methods are timed beside it
        med, mn = race({"ours": lambda: KP.tree_nearest(par, dep, train, queries), "base": base,
                        "climb": lambda: KP.tree_nearest(par, dep, train, queries, 0),
                        "sweep": lambda: KP.tree_nearest(par, dep, train, queries, 1)}, repeat)
        ref = base().astype(np.int64)
        same = all(np.array_equal(KP.tree_nearest(par, dep, train, queries, m)[0], ref) for m in (-1, 0, 1))
        picked = "climb" if _nearest_method(s, ntr, queries.size) == 0 else "sweep"
        rows.append(_row("tree_nearest", size, s, "scipy dijkstra(min_only) from the training sites", med, mn, same,
                         s * 16 / (lim["stream_GBps"] * 1e9), "one pass over parent + depth + 2 workspaces",
                         n_train=ntr, n_queries=int(queries.size), climb_ms=med["climb"] * 1e3,
                         sweep_ms=med["sweep"] * 1e3, picked=picked,
                         faster="climb" if med["climb"] <= med["sweep"] else "sweep"))
    return rows


def case_keys(sizes, repeat, lim):
    """datum_keys against numpy's mixed-radix dot product."""
    from scalinglab.theory.rhm import RHMSpec

    rules = KR.make_rules(10, 10, 10, 2, 3, seed=0)
    probs = RHMSpec.make(alpha=1.0).probs_matrix()
    rows = []
    for size, n in sizes:
        _, y, ranks = KR.sample(rules, 10, probs, n, 1)
        nn = ranks.shape[1]
        radix = 10 ** np.arange(nn - 1, -1, -1, dtype=np.int64)

        def base():
            return y * 10**nn + ranks.astype(np.int64) @ radix
        med, mn = race({"ours": lambda: KR.datum_keys(y, ranks, 10), "base": base}, repeat)
        same = np.array_equal(KR.datum_keys(y, ranks, 10), base())
        nbytes = y.nbytes + ranks.nbytes + 8 * n
        rows.append(_row("datum_keys", size, n, "numpy y * m**n + ranks @ m**k", med, mn, same,
                         nbytes / (lim["stream_GBps"] * 1e9) * 2, "read y, ranks + write keys at the copy rate"))
    return rows


def case_tree_walks(sizes, repeat, lim):
    """tree_depths against numpy pointer doubling, embed_tree against numpy level by level."""
    rows = []
    for size, s_target in sizes:
        parent, _, _, offsets, _ = KP.grow_brill_clusters(1, 2, 0.5, s_target // 2, 4 * s_target, 3, 10**6)
        par = parent[offsets[0]:offsets[1]].astype(np.int64)
        n = par.size

        def depth_np():  # pointer doubling: log2(height) vectorised steps
            anc = par.copy()
            dist = (anc >= 0).astype(np.int32)
            while True:
                live = anc >= 0
                if not live.any():
                    return dist
                a = np.where(live, anc, 0)
                dist = np.where(live, dist + dist[a], dist)
                anc = np.where(live, anc[a], -1)
        med, mn = race({"ours": lambda: KP.tree_depths(par), "base": depth_np}, repeat)
        dep = KP.tree_depths(par)
        rows.append(_row("tree_depths", size, n, "numpy pointer doubling", med, mn,
                         np.array_equal(dep, depth_np()), n * 12 / (lim["stream_GBps"] * 1e9),
                         "read parent + write depth once"))
        steps = np.random.default_rng(0).normal(size=(n, 3))
        order = np.argsort(dep, kind="stable")
        bounds = np.searchsorted(dep[order], np.arange(dep.max() + 2))

        def embed_np():  # depths given: one vectorised step per level
            x = np.empty_like(steps)
            for lv in range(dep.max() + 1):
                idx = order[bounds[lv]:bounds[lv + 1]]
                x[idx] = steps[idx] if lv == 0 else x[par[idx]] + steps[idx]
            return x
        med, mn = race({"ours": lambda: KP.embed_tree(par, steps), "base": embed_np}, repeat)
        rows.append(_row("embed_tree (d=3)", size, n, "numpy level by level (depths given)", med, mn,
                         np.allclose(KP.embed_tree(par, steps), embed_np(), rtol=0, atol=1e-9),
                         n * (8 + 48) / (lim["stream_GBps"] * 1e9), "read parent + steps, write x once"))
    return rows


def plan(quick):
    if quick:
        return {"decay": [("tiny", 10)], "paths": [("tiny", 3)], "sample": [("tiny", 100)],
                "label": [("tiny", (16, 16)), ("tiny", (6,) * 4)], "nz": [("tiny", (8, 2))],
                "bethe": [("tiny", 100)], "tree": [("tiny", (1000, 0.1))], "keys": [("tiny", 100)],
                "walks": [("tiny", 1000)]}
    return {"decay": [("tiny", 10), ("medium", 10**3), ("large", 10**6)],
            "paths": [("tiny", 3), ("medium", 5), ("large", 7)],
            "sample": [("tiny", 100), ("medium", 10**4), ("large", 10**6)],
            "label": [("tiny", (16, 16)), ("medium", (256, 256)), ("large", (3000, 3000)),
                      ("tiny", (8,) * 3), ("medium", (64,) * 3), ("large", (200,) * 3),
                      ("tiny", (6,) * 4), ("medium", (16,) * 4), ("large", (40,) * 4),
                      ("tiny", (4,) * 5), ("medium", (8,) * 5), ("large", (18,) * 5)],
            "nz": [("tiny", (8, 10)), ("medium", (64, 4)), ("large", (256, 1))],
            "bethe": [("tiny", 100), ("medium", 10**4)],
            "tree": [("tiny", (1000, 0.1)), ("medium", (10**5, 0.1)), ("large", (10**6, 0.1)),
                     ("large", (10**6, 0.001))],
            "keys": [("tiny", 100), ("medium", 10**4), ("large", 10**6)],
            "walks": [("tiny", 1000), ("medium", 10**5), ("large", 10**6)]}


CASES = {"decay": case_decay, "paths": case_paths, "sample": case_sample, "label": case_label, "nz": case_nz,
         "bethe": case_bethe, "tree": case_tree, "keys": case_keys, "walks": case_tree_walks}


def verdict(rows):
    """The smallest ratio (of medians, and of minima) over the rows, where it was, the lowest ratio of any single
    run, and whether every row agreed."""
    low = min(rows, key=lambda r: r["ratio"])
    worst = min(rows, key=lambda r: min(r.get("ratio_runs", [r["ratio"]])))
    return {"min_ratio": low["ratio"], "min_ratio_at": f"{low['kernel']}, {low['size']}",
            "min_ratio_of_minima": min(r["ratio_min"] for r in rows),
            "min_ratio_one_run": min(worst.get("ratio_runs", [worst["ratio"]])),
            "min_ratio_one_run_at": f"{worst['kernel']}, {worst['size']}", "all_same": all(r["same"] for r in rows)}


def combine_runs(runs):
    """Rows of several whole runs as one table: per row the median over runs of the kernel time, the baseline time,
    the ratio and the ratio of minima, each run's ratio (``ratio_runs``), and ``same`` only if every run agreed."""
    out = []
    for rows in zip(*runs):
        row = dict(rows[0])
        for k in ("kernel_ms", "baseline_ms", "ratio", "ratio_min", "limit_frac", "ns_per_term", "ms_per_1e6",
                  "bonds_per_s", "climb_ms", "sweep_ms"):
            if k in row:
                row[k] = float(np.median([r[k] for r in rows]))
        if "climb_ms" in row:
            row["faster"] = "climb" if row["climb_ms"] <= row["sweep_ms"] else "sweep"
        row["ratio_runs"] = [r["ratio"] for r in rows]
        row["same"] = all(r["same"] for r in rows)
        out.append(row)
    return out


def run(quick=False, repeat=9, only=None, runs=1):
    """``runs`` whole passes over every case (machine limits measured once, before), combined by
    :func:`combine_runs`: a disturbance of the shared machine lasting one case's race (~0.1-8 s) moves one run."""
    load0 = os.getloadavg()
    lim = machine_limits(quick)
    passes = []
    for i in range(runs):
        rows = []
        for name, sizes in plan(quick).items():
            if only and name not in only:
                continue
            t0 = time.perf_counter()
            rows += CASES[name](sizes, 1 if quick else repeat, lim)
            print(f"  run {i + 1}/{runs} {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        passes.append(rows)
    rows = combine_runs(passes)
    nz = nz_rates(quick, lim) if not only or "nz" in only else []
    return {"rows": rows, "nz_rates": nz, **verdict(rows), "runs": runs, "limits": lim, "load_before": list(load0), "load_after": list(os.getloadavg()),
            "cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(),
            "threading_layer": _layer(), "env": {k: os.environ.get(k) for k in
                                                ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_WAIT_POLICY",
                                                 "NUMBA_THREADING_LAYER")},
            "torch_threads": _torch_threads(), "peer": bool(PEER.get("path")),
            "pypercolate": bool(os.environ.get("PYPERCOLATE_PATH")), "numpy": np.__version__, "numba": numba.__version__, "python": platform.python_version(),
            "machine": platform.processor() or platform.machine(), "repeat": 1 if quick else repeat, "quick": quick,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _torch_threads():
    if "torch" not in sys.modules:
        return None
    return sys.modules["torch"].get_num_threads()


def _layer():
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return None


def show(res):
    for r in res.get("nz_rates", []):
        print(f"  newman_ziff {r['d']}-d {r['kind']} L={r['L']}: {r['additions_per_s'] / 1e6:.2f} M additions/s, "
              f"one sample in a minute up to L={r['L_one_minute']}, {r['random_access_frac']:.2f} of the random-"
              "access limit")
    print(f"load {res['load_before'][0]:.1f} -> {res['load_after'][0]:.1f}, {res['cpus']} CPUs, numba threads "
          f"{res['numba_threads']} ({res['threading_layer']}); limits: {res['limits']}")
    print(f"{'kernel':26s} {'size':7s} {'n':>10s} {'ours ms':>9s} {'base ms':>9s} {'ratio':>7s} {'limit':>6s} same")
    for r in res["rows"]:
        lf = f"{r['limit_frac']:.2f}" if "limit_frac" in r else "-"
        print(f"{r['kernel']:26s} {r['size']:7s} {r['n']:10d} {r['kernel_ms']:9.3f} {r['baseline_ms']:9.3f} "
              f"{r['ratio']:7.2f} {lf:>6s} {r['same']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, one round (smoke test)")
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--runs", type=int, default=1, help="whole passes, combined per row by their median (3 for the "
                    "stored table)")
    ap.add_argument("--only", nargs="*", help=f"cases among {sorted(CASES)}")
    ap.add_argument("--out", default=None, help="folder of summary.json (default: print only)")
    ap.add_argument("--peer", default=None, help="pcsl-epfl/random-hierarchy-model checkout or git dir (sampler row)")
    ap.add_argument("--docs", action="store_true", help="write docs/results/kernels.md from the stored summary")
    a = ap.parse_args(argv)
    if a.docs:
        import kernels_page

        DOC.write_text(kernels_page.render(json.loads((OUT / "summary.json").read_text())))
        print(f"wrote {DOC}")
        return None
    PEER["path"] = a.peer
    res = run(a.quick, a.repeat, a.only, a.runs)
    show(res)
    if a.out:
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out) / "summary.json").write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
