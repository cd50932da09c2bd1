"""The cost model that picks the nearest-training-site method (climb or sweeps), measured on this machine.

``tree_nearest`` has two exact methods with identical answers: climbing from the training sites and the
queries (cost grows with the training sites' root paths and each query's distance to its nearest training
site) and two sweeps over the whole cluster (``O(s)``). This script times both, side by side, on critical
Bethe clusters (``z = 3``, ``p = 1/2``) of about 10^3 to 3·10^6 sites, 0.03 % to 30 % training and
0.03 % to 20 % test sites, and fits

* sweeps: ``a s + b n_test + c`` (non-negative least squares, relative residuals);
* climb: ``exp(a0) s^a1 n_train^a2 + exp(b0) n_test s^b1 n_train^b2 + exp(c0)`` (least squares on ``log t``),

then reports the regret (time of the chosen method over the faster one) of the fitted rule, of "always
sweep" and of the rule used before issue 22 (``30 sqrt(n_train s) + 40 n_test sqrt(s / n_train) > s``).
The constants in ``scalinglab/kernels/percolation/_brill_toy.py`` (``_NN_CLIMB``, ``_NN_SWEEP``) are the
stored fit; ``tests/test_brill_toy.py`` checks that they match ``results/reference/kernel-bench/
nearest-method.json``.

Run::

    python benchmarks/bench_nearest_method.py --out results/reference/kernel-bench   # ~3.5 min on 2 cores
    python benchmarks/bench_nearest_method.py --refit results/reference/kernel-bench/nearest-method.json
    python benchmarks/bench_nearest_method.py --quick    # two small clusters (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT)]

from scalinglab.kernels import percolation as KP  # noqa: E402


def _median_time(fn, repeat=5):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def measure(quick=False):
    """Both methods' median times on the grid: a list of ``{s, n_train, n_test, climb_s, sweep_s}``."""
    sizes = (1000, 10_000) if quick else (1000, 10_000, 100_000, 1_000_000, 3_000_000)
    fracs = (0.001, 0.1) if quick else (0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
    tfracs = (0.001, 0.05) if quick else (0.0003, 0.001, 0.01, 0.05, 0.2)
    out = []
    for s_target in sizes:
        for seed in (3, 4):
            parent, depth, _, offsets, _ = KP.grow_brill_clusters(1, 2, 0.5, s_target // 2, 4 * s_target, seed, 10**6)
            par = parent[offsets[0]:offsets[1]].astype(np.int64)
            dep = depth[offsets[0]:offsets[1]]
            s = par.size
            rng = np.random.default_rng(seed)
            for frac in fracs:
                for tfrac in tfracs:
                    pick = rng.permutation(s)
                    ntr = max(1, int(frac * s))
                    nte = max(1, min(s - ntr, int(tfrac * s)))
                    train, q = np.sort(pick[:ntr]), pick[ntr:ntr + nte]
                    a = KP.tree_nearest(par, dep, train, q, 0)
                    b = KP.tree_nearest(par, dep, train, q, 1)
                    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                    out.append({"s": s, "n_train": ntr, "n_test": nte,
                                "climb_s": _median_time(lambda: KP.tree_nearest(par, dep, train, q, 0)),
                                "sweep_s": _median_time(lambda: KP.tree_nearest(par, dep, train, q, 1))})
    return out


def _climb_model(th, ls, lr, lq):
    a0, a1, a2, b0, b1, b2, c0 = th
    return np.exp(a0 + a1 * ls + a2 * lr) + np.exp(b0 + lq + b1 * ls + b2 * lr) + np.exp(c0)


def fit(grid):
    """Fitted constants and the regret of three rules on ``grid``."""
    from scipy.optimize import least_squares, nnls

    s = np.array([g["s"] for g in grid], float)
    ntr = np.array([g["n_train"] for g in grid], float)
    nte = np.array([g["n_test"] for g in grid], float)
    tc = np.array([g["climb_s"] for g in grid])
    ts = np.array([g["sweep_s"] for g in grid])
    F = np.stack([s, nte, np.ones_like(s)], 1)
    sweep, _ = nnls(F / ts[:, None], np.ones_like(ts))
    ls, lr, lq = np.log(s), np.log(ntr), np.log(nte)
    res = least_squares(lambda th: np.log(_climb_model(th, ls, lr, lq)) - np.log(tc),
                        x0=[-20, 0.5, 0.5, -20, 0.5, -0.5, -13])
    climb = res.x
    pc, ps = _climb_model(climb, ls, lr, lq), F @ sweep
    best = np.minimum(tc, ts)
    rules = {"fitted": np.where(pc < ps, tc, ts), "always sweep": ts,
             "rule before issue 22": np.where(30 * np.sqrt(ntr * s) + 40 * nte * np.sqrt(s / ntr) > s, ts, tc)}
    big = s > 1e5
    regret = {}
    for name, chosen in rules.items():
        r = chosen / best
        rb = r[big] if big.any() else np.array([np.nan])
        regret[name] = {"mean": float(r.mean()), "max": float(r.max()), "mean_above_1e5_sites": float(rb.mean()),
                        "max_above_1e5_sites": float(rb.max()), "off_by_10pc": int((r > 1.1).sum()),
                        "total_s": float(chosen.sum())}
    return {"sweep": [float(x) for x in sweep], "climb": [float(x) for x in climb],
            "climb_median_rel_err": float(np.median(np.abs(pc / tc - 1))),
            "sweep_median_rel_err": float(np.median(np.abs(ps / ts - 1))),
            "best_total_s": float(best.sum()), "n_cases": int(s.size), "regret": regret}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None, help="folder for nearest-method.json")
    ap.add_argument("--refit", default=None, help="refit a stored nearest-method.json (no timing)")
    a = ap.parse_args(argv)
    if a.refit:
        res = json.loads(Path(a.refit).read_text())
        res["fit"] = fit(res["grid"])
    else:
        load0 = os.getloadavg()
        grid = measure(a.quick)
        res = {"grid": grid, "fit": fit(grid), "load_before": list(load0), "load_after": list(os.getloadavg()),
               "cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
               "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "note": "median of 5 calls per method and case; tree_nearest with numpy-allocated workspaces"}
    f = res["fit"]
    print(f"sweep {f['sweep']}\nclimb {f['climb']}\nmedian relative error: climb {f['climb_median_rel_err']:.2f}, "
          f"sweep {f['sweep_median_rel_err']:.2f}")
    for name, r in f["regret"].items():
        print(f"  {name:22s} regret mean {r['mean']:.3f} max {r['max']:.2f}; above 1e5 sites mean "
              f"{r['mean_above_1e5_sites']:.3f} max {r['max_above_1e5_sites']:.2f}; total {r['total_s']:.3f} s "
              f"(best {f['best_total_s']:.3f})")
    if a.out:
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out) / "nearest-method.json").write_text(json.dumps(res, indent=1))
    elif a.refit:
        Path(a.refit).write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
