"""Shared timing helper for the benchmark scripts (run them as
``python benchmarks/bench_*.py``; this folder is then first on sys.path)."""

from __future__ import annotations

import time

__all__ = ["best_of"]


def best_of(fn, repeat=3):
    """Run ``fn()`` ``repeat`` times; return ``(best wall time in s, last result)``.

    The minimum is the least noisy estimate on a shared machine; ratios are
    taken between baselines and kernels timed this way in the same run.
    """
    best = float("inf")
    out = None
    for _ in range(max(1, int(repeat))):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
