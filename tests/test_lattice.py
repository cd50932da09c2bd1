"""Hypercubic-lattice percolation (issue 13): Newman-Ziff kernel, canonical curves, p_c, tau, labelling."""

import json

import numpy as np
import pytest
from scipy import ndimage, stats

import naive
from scalinglab.errors import InputError
from scalinglab.kernels.percolation import label_clusters, newman_ziff
from scalinglab.theory.percolation import (LATTICE_LITERATURE, canonical, fractal_dim, label_lattice,
                                           lattice_clusters, lattice_sweep, pc_crossings, pc_extrapolate,
                                           tau_estimate, wrapping_probability)
from scalinglab.theory.percolation._lattice import _tau_mle


@pytest.mark.parametrize("d,L,bond", [(1, 5, False), (2, 4, False), (2, 3, True), (3, 3, False), (2, 4, True)])
def test_newman_ziff_equals_bfs_relabelling(d, L, bond, rng):
    N = L**d
    M = d * N if bond else N
    orders = np.array([rng.permutation(M) for _ in range(3)], dtype=np.int64)
    n_snap = M // 2
    smax, smax2, s2, nw, hist, snap = newman_ziff(d, L, bond, 3, 0, n_snap, N, M, orders)
    ref_smax = np.zeros(M + 1)
    ref_s2 = np.zeros(M + 1)
    for k in range(3):
        sm, ss, first = naive.torus_sweep(d, L, bond, orders[k])
        ref_smax += sm
        ref_s2 += ss
        assert list(nw[k]) == first
        assert snap[k] == sm[n_snap]
    assert np.array_equal(smax, ref_smax) and np.array_equal(s2, ref_s2)


def _torus_cluster_sizes(occ):
    """Cluster sizes of a square occupied array on the torus: scipy's labels merged across the periodic edges."""
    L = occ.shape[0]
    lab, _ = ndimage.label(occ)
    par = list(range(lab.max() + 1))

    def f(a):
        while par[a] != a:
            a = par[a]
        return a
    for i in range(L):
        for a, b in ((lab[i, 0], lab[i, -1]), (lab[0, i], lab[-1, i])):
            if a and b:
                par[f(a)] = f(b)
    roots = np.array([f(x) for x in lab.ravel() if x])
    return np.bincount(np.unique(roots, return_inverse=True)[1])


def test_snapshot_histogram_matches_labelling(rng):
    """Site snapshot at n: histogram of the kernel = periodic labelling of the same occupied set."""
    L, d = 12, 2
    order = rng.permutation(L * L).astype(np.int64)
    n = 80
    _, _, _, _, hist, _ = newman_ziff(d, L, False, 1, 0, n, L * L, L * L, order[None, :])
    occ = np.zeros(L * L, bool)
    occ[order[:n]] = True
    sizes = _torus_cluster_sizes(occ.reshape(L, L))
    assert np.array_equal(hist[:sizes.max() + 1], np.bincount(sizes, minlength=sizes.max() + 1))


def test_canonical_is_the_binomial_average(rng):
    sw = lattice_sweep(2, 8, "site", n_samples=40, seed=3, p_max=1.0)
    p = np.array([0.3, 0.6, 0.8])
    c = canonical(sw, p)
    w = stats.binom.pmf(np.arange(sw.M + 1)[None, :], sw.M, p[:, None])
    assert np.allclose(c["P_inf"], w @ sw.smax_mean / sw.N)
    direct = np.array([np.mean([stats.binom.sf(n - 1, sw.M, q) for n in sw.n_wrap[:, 0]]) for q in p])
    assert np.allclose(c["R_x"], direct)
    assert np.all(np.diff(wrapping_probability(sw.n_wrap[:, 1], sw.M, np.linspace(0.1, 0.9, 9))) >= -1e-12)


def test_canonical_pinf_matches_fixed_p_simulation(rng):
    """Canonical P_inf at fixed p = direct fixed-p samples labelled on the torus (statistical)."""
    L, p = 16, 0.62
    sw = lattice_sweep(2, L, "site", n_samples=300, seed=5, p_max=1.0)
    c = canonical(sw, [p])
    direct = []
    for _ in range(300):
        occ = rng.random((L, L)) < p
        direct.append(_torus_cluster_sizes(occ).max() / L**2)
    se = np.hypot(np.std(direct) / np.sqrt(300), c["P_inf_se"][0])
    assert abs(np.mean(direct) - c["P_inf"][0]) < 4 * se


def test_pc_2d_site_quick_within_interval():
    sws = [lattice_sweep(2, L, "site", n_samples=n, seed=1) for L, n in ((16, 600), (32, 300), (64, 150))]
    e = pc_extrapolate(sws, 4 / 3, "x", n_boot=100)
    lit = LATTICE_LITERATURE["pc_site"][2]
    assert e["ci"][0] <= lit <= e["ci"][1] and e["ci"][1] - e["ci"][0] < 0.02
    cr = pc_crossings(sws, "x", n_boot=100)
    assert all(abs(r["pc"] - lit) < 0.02 for r in cr)
    # a wrong threshold is excluded (the test can fail)
    assert not (e["ci"][0] <= 0.58 <= e["ci"][1])


def test_pc_2d_bond_quick():
    sws = [lattice_sweep(2, L, "bond", n_samples=n, seed=2) for L, n in ((16, 400), (32, 200))]
    e = pc_extrapolate(sws, 4 / 3, "x", n_boot=100)
    assert e["ci"][0] <= 0.5 <= e["ci"][1]


def test_tau_mle_on_histograms_against_grid_and_coverage():
    """The histogram adapter of fitting.discrete_powerlaw_fit: brute-force likelihood grid, ~95 % coverage."""
    rng = np.random.default_rng(7)
    s = np.arange(1, 2001)
    cover = 0
    for rep in range(40):
        p = s ** -2.2
        p /= p.sum()
        c = np.bincount(rng.choice(s, size=3000, p=p), minlength=2001)
        r = _tau_mle(c, 1, 2000)
        cover += r["ci"][0] <= 2.2 <= r["ci"][1]
        if rep == 0:  # brute-force likelihood on a grid
            grid = np.linspace(2.0, 2.4, 4001)
            ll = [-(t * (c[1:] * np.log(s)).sum()) - c.sum() * np.log((s ** -t).sum()) for t in grid]
            assert r["tau"] == pytest.approx(grid[int(np.argmax(ll))], abs=2e-4)
    assert 33 <= cover <= 40  # ~95 % coverage
    with pytest.raises(InputError):
        _tau_mle(np.ones(10), 5, 20)
    with pytest.raises(InputError):
        _tau_mle(np.zeros(30), 5, 20)


def test_tau_and_dimension_estimators_run():
    sws = [lattice_sweep(2, L, "site", n_samples=n, seed=4, batches=10) for L, n in ((32, 200), (64, 100))]
    t = tau_estimate(sws[-1], n_boot=50)
    assert 1.8 < t["tau"] < 2.2 and t["ci"][0] < t["tau"] < t["ci"][1]
    D = fractal_dim(sws, n_boot=50)
    assert 1.7 < D["D"] < 2.1


def test_label_clusters_refuses_wrong_size():
    # kernels import nothing of ours, so the kernel says ValueError (InputError is its subclass elsewhere)
    with pytest.raises(ValueError, match="prod"):
        label_clusters(np.ones(5, dtype=bool), np.array([2, 2]))
    with pytest.raises(ValueError):
        label_clusters(np.ones((2, 2), dtype=bool), np.array([2, 2]))


@pytest.mark.parametrize("shape,p", [((40, 37), 0.59), ((1, 9), 0.7), ((9, 1), 0.7), ((12, 11, 10), 0.31),
                                     ((1, 5, 7), 0.6), ((6, 1, 6), 0.6), ((5, 6, 1), 0.5), ((4, 4, 4, 4), 0.2)])
def test_label_kernels_equal_bfs_and_scipy(shape, p, rng):
    occ = rng.random(shape) < p
    lab, n = label_clusters(occ.ravel(), np.array(shape))
    ref, nr = naive.bfs_label(occ)
    assert n == nr and np.array_equal(lab.reshape(shape), ref)
    sl, sn = ndimage.label(occ)
    assert sn == n and np.array_equal(sl, ref)
    ll, ln = label_lattice(occ)
    assert ln == n and np.array_equal(ll, ref)


def test_lattice_clusters_unchanged_api(rng):
    labels, sizes = lattice_clusters((30, 30), 0.6, seed=1)
    occ = np.random.default_rng(1).random((30, 30)) < 0.6
    ref, n = ndimage.label(occ)
    assert np.array_equal(labels, ref) and sizes.sum() == occ.sum() and labels.dtype == np.int64


def test_lattice_cells_rows_and_analysis():
    from dataclasses import asdict

    from scalinglab.validate.percolation import (LATTICE_QUICK, lattice_analyse, lattice_cell, lattice_cells,
                                                  lattice_config, lattice_fig4_measured)

    cfg = lattice_config({(2, "site"): LATTICE_QUICK[(2, "site")]}, batch=25)
    cells = lattice_cells(cfg)
    assert len(cells) == 8 + 4 + 2
    rows = [{**asdict(c), **lattice_cell(**asdict(c))} for c in cells]
    again = lattice_cell(**asdict(cells[0]))
    assert again["n_wrap_x"] == rows[0]["n_wrap_x"]  # a cell depends on its coordinates only
    a = lattice_analyse(rows, n_boot=100)["2-site"]
    assert a == lattice_analyse(rows[::-1], n_boot=100)["2-site"]  # row order does not matter
    e = a["pc_extrapolated"]["x"]
    assert e["ci"][0] <= 0.59274621 <= e["ci"][1]
    assert 1.7 < a["D"]["D"] < 2.1 and a["tau_mle"]["L"] == 64
    m = lattice_fig4_measured({"2-site": a})
    assert set(m) == {2} and m[2]["tau"] == pytest.approx(1 + 2 / a["D"]["D"])


# --------------------------------------------------------------------------- benchmarks (ratios, same run)
def _bench(name):
    import importlib
    import sys
    from pathlib import Path

    path = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, path)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(path)


def test_percolation_benchmark_quick_runs(capsys, monkeypatch, tmp_path):
    """bench_percolation --quick: labelling vs scipy (identical labels), Newman-Ziff vs networkx (identical); the
    --json file (what docs/results/percolation.md quotes) holds the printed ratios."""
    monkeypatch.delenv("PYPERCOLATE_PATH", raising=False)
    _bench("bench_percolation").main(["--quick", "--json", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    lab = [ln for ln in out.splitlines() if "-d " in ln and "p=" in ln]
    assert len(lab) == 4 and all(ln.rstrip().endswith("True") for ln in lab), out
    nx = [ln for ln in out.splitlines() if "networkx UnionFind" in ln]
    assert nx and nx[0].rstrip().endswith("True") and "ours/this" in nx[0]
    stored = json.loads((tmp_path / "b.json").read_text())
    assert [r["d"] for r in stored["labelling"]] == [2, 3, 4, 5] and all(r["identical"] for r in stored["labelling"])
    assert [f"{r['ratio']:.2f}" for r in stored["labelling"]] == [ln.split()[-2] for ln in lab]
    assert f"{stored['newman_ziff']['networkx']['ratio']:7.1f}" in nx[0]


def test_brill_toy_benchmark_quick_runs(capsys, tmp_path):
    _bench("bench_brill_toy").main(["--quick", "--json", str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert "per grown site" in out and "per-site ratio" in out
    stored = json.loads((tmp_path / "b.json").read_text())["reduced"]
    assert f"ratio {stored['growth_ratio_per_site']:.0f}x" in out
    assert f"per-site ratio {stored['evaluation_ratio_per_site']:.0f}x" in out
