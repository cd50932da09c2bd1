"""Issue 22: the fast paths of the kernels give the reference's answer, and the benchmark suite runs.

The timings themselves are in ``benchmarks/bench_kernels.py`` (ratios, never timed asserts); here only
correctness of what was made fast, and a smoke run of the suite on tiny sizes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

from scalinglab.kernels.rhm import _sums
from scalinglab.kernels.rhm import decay_sum, log_decay_sum

ROOT = Path(__file__).resolve().parents[1]


def test_vectorised_exp_within_one_ulp_of_mpmath():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-708.3, 709, 3000), rng.uniform(-40, 0, 3000), [0.0, -1e-300, 1e-300]])
    out, ib = np.empty_like(x), np.empty(x.size, dtype=np.int64)
    _sums._exp_into(x, out, ib, ib.view(np.float64), x.size)
    with mpmath.workdps(40):
        ref = np.array([float(mpmath.exp(mpmath.mpf(v))) for v in x])
    ulp = np.spacing(ref)
    assert np.max(np.abs(out - ref) / ulp) <= 1.0
    # below the normal range the term is 0 (never a wrong normal number), -inf gives 0
    y = np.array([-708.4, -745.0, -1e4, -np.inf])
    o2, ib2 = np.empty(4), np.empty(4, dtype=np.int64)
    _sums._exp_into(y, o2, ib2, ib2.view(np.float64), 4)
    assert np.all(o2 == 0.0)


@pytest.mark.parametrize("n", [1, 7, 31, 32, 513, 5000])
def test_decay_sum_blocks_against_fsum(n):
    """Every block length (scalar tail, vector block, several blocks): relative error < 1e-14 against fsum."""
    rng = np.random.default_rng(n)
    lw = np.log(rng.uniform(1e-3, 1, n)) + rng.normal(0, 3, n)
    lq = np.log(rng.uniform(1e-7, 0.5, n))
    lw[0] = -np.inf  # a zero weight
    P = np.array([0.0, 1.0, 37.5, 1e3, 1e5])
    got = decay_sum(lw, lq, P)
    l1p = np.log1p(-np.exp(lq))
    for p, g in zip(P, got):
        ref = math.fsum(math.exp(a + (p * b if p else 0.0)) for a, b in zip(lw, l1p))
        assert g == pytest.approx(ref, rel=1e-14, abs=1e-300)
    lg = log_decay_sum(lw, lq, P)
    np.testing.assert_allclose(lg[got > 0], np.log(got[got > 0]), rtol=1e-14, atol=1e-14)


def test_serial_and_parallel_paths_agree():
    rng = np.random.default_rng(0)
    lw, lq = np.log(rng.random(3000)), np.log(rng.random(3000) * 1e-2)
    P = np.geomspace(1, 1e6, 9)
    for log_out in (False, True):
        a = _sums._sums_serial(lw, lq, P, log_out)
        b = _sums._sums_parallel(lw, lq, P, log_out, 2)
        np.testing.assert_array_equal(a, b)  # same terms, same order of addition


def test_bench_kernels_smoke(tmp_path):
    """The suite runs on tiny sizes and writes a summary whose rows carry ratios and checks."""
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_kernels.py"), "--quick", "--only", "decay",
                        "label", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads((tmp_path / "summary.json").read_text())
    kernels = {row["kernel"] for row in res["rows"]}
    assert {"decay_sum", "log_decay_sum", "label_clusters 2-d"} <= kernels
    assert all(row["same"] for row in res["rows"]) and all(row["ratio"] > 0 for row in res["rows"])
    assert res["numba_threads"] >= 1 and len(res["load_before"]) == 3


def test_newman_ziff_random_order_is_uniform():
    """The sweep's own orders: permutations, all 24 of 4 items equally likely (chi-square), keyed by sample."""
    from scipy import stats

    from scalinglab.kernels.percolation._newman_ziff import _random_order

    out = np.empty(4, dtype=np.int64)
    counts = {}
    for k in range(24_000):
        _random_order(4, 7, k, out)
        counts[tuple(out)] = counts.get(tuple(out), 0) + 1
    assert len(counts) == 24 and all(sorted(key) == [0, 1, 2, 3] for key in counts)
    assert stats.chisquare(list(counts.values())).pvalue > 1e-4
    a, b = np.empty(1000, dtype=np.int64), np.empty(1000, dtype=np.int64)
    _random_order(1000, 7, 3, a)
    _random_order(1000, 7, 3, b)
    assert np.array_equal(a, b) and np.array_equal(np.sort(a), np.arange(1000))
    _random_order(1000, 7, 4, b)
    assert not np.array_equal(a, b)


def test_auto_spectrum_bins_only_where_exact_barely_groups():
    """Issue 22's cost model: a different law on every level (10**6 distinct values) is binned by "auto",
    eps within 1e-6 of the exact one; one law on every level stays exact."""
    from scalinglab.theory.rhm import RHMSpec, eps_of_spectrum, path_spectrum

    P = np.geomspace(1, 1e6, 9)
    mixed = RHMSpec(n_c=10, v=10, m=10, s=2, L=6, alpha=[0.5, 0.8, 1.0, 1.3, 1.6, 2.0])
    auto, exact = path_spectrum(mixed), path_spectrum(mixed, mode="exact")
    assert auto.mode == "binned" and exact.mode == "exact" and auto.n_groups < exact.n_groups / 10
    np.testing.assert_allclose(eps_of_spectrum(auto, P), eps_of_spectrum(exact, P), rtol=1e-6)
    same = RHMSpec(n_c=10, v=10, m=10, s=2, L=6, alpha=1.0)
    assert path_spectrum(same).mode == "exact"
    small_mixed = RHMSpec(n_c=10, v=10, m=10, s=2, L=4, alpha=[0.5, 1.0, 1.5, 2.0])
    assert path_spectrum(small_mixed).mode == "exact"


@pytest.mark.parametrize("d,L,bond", [(2, 8, False), (2, 6, True), (3, 4, False)])
def test_newman_ziff_parallel_samples_equal_serial(d, L, bond):
    """Issue 22: samples split over threads give the serial sweep's numbers (orders keyed by sample)."""
    from scalinglab.kernels.percolation import _newman_ziff as NZ

    N = L**d
    M = d * N if bond else N
    empty = np.zeros((0, 0), dtype=np.int64)
    a = NZ._newman_ziff_serial(d, L, bond, 7, 3, M // 2, N, M, empty)
    for nt in (2, 3):
        b = NZ._newman_ziff_parallel(d, L, bond, 7, 3, M // 2, N, M, empty, nt)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 10, 31, 512])
def test_small_sums_match_block_loop_bitwise(n):
    """The one-buffer path for small spectra gives the block loop's numbers bit for bit (log or not)."""
    rng = np.random.default_rng(n)
    lw = np.log(rng.uniform(1e-3, 1, n)) + rng.normal(0, 3, n)
    lq = np.log(rng.uniform(1e-7, 0.5, n))
    if n:
        lw[0] = -np.inf
    P = np.array([0.0, 1.0, 37.5, 1e3, 1e5, 1e9])
    for log_out in (False, True):
        ref = np.empty(P.size)
        _sums._sums_range(lw, _sums._log1m(lq), P, 0, P.size, log_out, ref)
        np.testing.assert_array_equal(_sums._sums_small(lw, lq, P, log_out), ref)
        np.testing.assert_array_equal(_sums._sums_serial(lw, lq, P, log_out), ref)
    assert decay_sum(np.full(3, -np.inf), np.log([0.1, 0.2, 0.3]), P).tolist() == [0.0] * P.size
    assert decay_sum([0.0], [np.log(0.5)], [2]).tolist() == [0.25]  # lists go through asarray


@pytest.mark.parametrize("m,alpha", [(10, [0.5, 1.25, 2.0]), (4, [1.0, 1.0, 2.0, 0.3, 0.3]), (7, [-1.0, 1.0, 0.5]),
                                     (2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2])])
def test_direct_small_spectrum_equals_grouped_and_brute_force(m, alpha, monkeypatch):
    """Issue 22: a few thousand paths under several laws are enumerated directly; the spectrum is the level-grouped
    one (same counts, ln f within the merge tolerance) and the brute-force histogram of every path."""
    from scalinglab.theory.rhm import RHMSpec, path_spectrum
    from scalinglab.theory.rhm import _spectrum as S

    spec = RHMSpec(n_c=2, v=max(m, 3), m=m, s=2, L=len(alpha), alpha=alpha)
    assert m ** spec.L <= S._DIRECT_MAX_PATHS
    direct = path_spectrum(spec, mode="exact")
    monkeypatch.setattr(S, "_DIRECT_MAX_PATHS", 0)
    S._product_groups.cache_clear()
    grouped = path_spectrum(spec, mode="exact")
    np.testing.assert_array_equal(direct.counts, grouped.counts)
    np.testing.assert_allclose(direct.log_f, grouped.log_f, rtol=1e-12, atol=0)
    f = np.exp(spec.level_log_probs(1))
    for lv in range(2, spec.L + 1):
        f = np.multiply.outer(f, np.exp(spec.level_log_probs(lv))).ravel()
    assert direct.counts.sum() == f.size
    np.testing.assert_allclose(np.repeat(np.exp(direct.log_f), direct.counts), np.sort(f)[::-1], rtol=1e-11)
