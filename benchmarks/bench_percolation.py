"""Benchmark the percolation kernels against baselines measured in the same run.

* Lattice labelling: :func:`scalinglab.kernels.percolation.label_clusters`
  (Numba union-find) against ``scipy.ndimage.label`` on the same occupied
  arrays (2-d at the square-lattice threshold, 3-d and 5-d near theirs); the
  partitions are checked identical, and the ratio of throughputs is reported.
* Bethe clusters: Leath growth (:func:`bethe_cluster_sizes`) in cluster sites
  per second, against the plain-Python reference of ``tests/naive.py`` (run on
  a smaller sample).

Run: ``python benchmarks/bench_percolation.py [--quick]``. Ratios, not timed asserts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from timing import best_of

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]  # this checkout's package and tests/naive.py

from scalinglab.kernels.percolation import bethe_cluster_sizes, label_clusters  # noqa: E402




def bench_labelling(quick=False):
    rng = np.random.default_rng(0)
    cases = [((1000, 1000) if quick else (3000, 3000), 0.5927),
             ((100, 100, 100) if quick else (200, 200, 200), 0.3116),
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller arrays (seconds)")
    args = ap.parse_args(argv)
    print("cluster labelling (occupied sites per second, same arrays):")
    print(f"  {'case':28s} {'ours Msites/s':>14s} {'scipy Msites/s':>15s} {'ours/scipy':>11s} identical")
    for name, ours, sp, ratio, same in bench_labelling(args.quick):
        print(f"  {name:28s} {ours:14.1f} {sp:15.1f} {ratio:11.2f} {same}")
    rate, rate_naive = bench_bethe(args.quick)
    print(f"Bethe Leath growth (p=0.49, z=3): {rate / 1e6:.1f} Msites/s; plain Python {rate_naive / 1e6:.3f} "
          f"Msites/s; ratio {rate / rate_naive:.0f}x")


if __name__ == "__main__":
    main()
