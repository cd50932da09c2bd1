"""Benchmark :func:`scalinglab.theory.fitting.bootstrap_powerlaw` (scipy.stats.bootstrap,
vectorised) against the hand-rolled double loop it replaced, timed in the same run.

The old implementation is kept here only, as the baseline: seeds resampled
with replacement at every x by a Python loop over resamples and points, the
mean curve refitted by :func:`powerlaw_fit` each time, percentile interval.
Both are run on the same synthetic curves; the ratio of wall times and the two
intervals are printed (the new one is the expanded interval by default; with
``expanded=False`` it is the plain percentile interval of the old code, which
the script checks agrees with the old interval to bootstrap noise).

Run: ``python benchmarks/bench_bootstrap.py [--quick]``. Ratios, not timed asserts.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from timing import best_of

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT)]  # this checkout's package

from scalinglab.theory.fitting import bootstrap_powerlaw, powerlaw_fit, _window_mask  # noqa: E402


def old_bootstrap_powerlaw(x, y_samples, window=None, n_boot=1000, level=0.95, seed=0):
    """The replaced implementation (a Python double loop), returning ``(exponent, ci)``."""
    x = np.asarray(x, dtype=float)
    ys = [np.asarray(v, dtype=float).ravel() for v in y_samples]
    mean = np.array([v.mean() for v in ys])
    fit = powerlaw_fit(x, mean, window=window)
    mask, _ = _window_mask(x, window)
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    idx = np.flatnonzero(mask)
    for b in range(n_boot):
        yb = mean.copy()
        for i in idx:
            v = ys[i]
            yb[i] = v[rng.integers(0, v.size, v.size)].mean()
        try:
            out[b] = powerlaw_fit(x, yb, window=window).exponent
        except ValueError:
            out[b] = np.nan
    good = out[np.isfinite(out)]
    a = (1 - level) / 2
    return fit.exponent, (float(np.quantile(good, a)), float(np.quantile(good, 1 - a)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer resamples and repeats")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    warnings.simplefilter("ignore")  # the 3-seed case warns (fewer than 5 seeds), by design
    n_boot = 300 if args.quick else 1000
    print(f"bootstrap_powerlaw: scipy.stats.bootstrap (vectorised) vs the old Python double loop, "
          f"{n_boot} resamples; best of 3")
    print(f"{'points x seeds':>15s} {'old [s]':>9s} {'new [s]':>9s} {'ratio':>7s}   old CI / new CI (plain) / new CI")
    for n_pts, n_seeds in ((8, 3), (8, 10), (16, 5), (30, 20)):
        x = np.geomspace(10, 1e4, n_pts)
        ys = 0.5 * x[:, None] ** -0.4 * np.exp(rng.normal(0, 0.2, (n_pts, n_seeds)))
        t_old, (e_old, ci_old) = best_of(lambda: old_bootstrap_powerlaw(x, ys, n_boot=n_boot), repeat=3)
        t_new, new = best_of(lambda: bootstrap_powerlaw(x, ys, n_boot=n_boot), repeat=3)
        plain = bootstrap_powerlaw(x, ys, n_boot=n_boot, expanded=False)
        assert abs(e_old - new.exponent) < 1e-12
        width = ci_old[1] - ci_old[0]
        assert abs(plain.ci[0] - ci_old[0]) < 0.25 * width and abs(plain.ci[1] - ci_old[1]) < 0.25 * width
        print(f"{f'{n_pts} x {n_seeds}':>15s} {t_old:9.4f} {t_new:9.4f} {t_old / t_new:7.0f}   "
              f"[{ci_old[0]:.4f}, {ci_old[1]:.4f}] / [{plain.ci[0]:.4f}, {plain.ci[1]:.4f}] / "
              f"[{new.ci[0]:.4f}, {new.ci[1]:.4f}]")


if __name__ == "__main__":
    main()
