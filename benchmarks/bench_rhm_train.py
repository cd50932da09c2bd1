"""Benchmark: stacked RHM training, the issue-9 engine against the former path (same run).

Run as a script::

    python benchmarks/bench_rhm_train.py [--quick] [--device auto|cpu|cuda|both]
        [--cases 64x4,64x40,1024x4,1024x40] [--repeat 5] [--threads 1,2] [--cell 64x4x1024]
        [--grid [--grid-h 1024] [--grid-seeds 10]] [--json] [--save PATH]

For every case ``h x R`` (CNN of width h, R stacked runs, seed model with
Zipf alpha = 1 on all levels, batch 128) and every device (the CPU always,
CUDA when present), both paths take optimiser steps on the same R runs:
``old`` is the code of commit 97d7eb2 (``benchmarks/_reference_train.py``:
one-hot floats built on the host, CPU ``randperm`` per run, per-tensor Adam;
its step is the former loop's body), ``new`` is the step of
``scalinglab.validate.train`` on the integer symbols (on CUDA: the captured
graph, after its warm-up). Blocks of one epoch's steps (P / 128) of the two
paths alternate ``--repeat`` times after a warm-up block each, so a change of
machine load hits both; the fastest block gives the time per step (the median
is printed beside it), and network-samples/s is ``R * 128`` per step. Data
preparation (one-hot for the old path, copy to the device) is timed
separately. ``--threads`` repeats h = 64, R = 40 at other torch thread counts
(CPU). ``--cell`` trains one Fig. 6 stack (uniform and alpha = 1, 2, 4, n
seeds each, one P) to the loss threshold with each path, end to end
(sampling, per-epoch work, testing; finished runs leave the new stack).
Ratios only, no timed asserts.

On CUDA it also prints the issue-9 goals: <= 0.3 ms per step at h = 64,
R = 40 on one H100, and (``--grid``) the full Fig. 6 grid (uniform and
alpha = 1, 2, 4 on all levels, 14 P from 10 to 81 920, 10 seeds; all 40 runs
of one P in one stack, ``validate.rhm.train_cells``) in <= 5 minutes at the
converged width ``--grid-h``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's scalinglab

import _reference_train as old  # noqa: E402

from scalinglab.theory.rhm import RHMSpec  # noqa: E402
from scalinglab.validate import models as new_models  # noqa: E402
from scalinglab.validate import train as new_train  # noqa: E402
from scalinglab.validate.rhm import RHMData  # noqa: E402

BATCH = 128
GOAL_STEP_MS = 0.3  # h = 64, R = 40, one H100
GOAL_GRID_S = 300.0  # full Fig. 6 grid, 10 seeds, converged width, one H100


def _sync(dev):
    if dev.startswith("cuda"):
        torch.cuda.synchronize()


def _data(spec, R, P, n_test):
    data = [RHMData(spec, s) for s in range(R)]
    tr, te = [d.train(P) for d in data], [d.test(n_test) for d in data]
    return tr, te


def _prep_old(tr, te, v, dev):
    def T(a):
        return torch.as_tensor(np.stack(a)).to(dev)

    return T([old.onehot(t.x, v) for t in tr]), T([t.y for t in tr]), T([old.onehot(t.x, v) for t in te]), \
        T([t.y for t in te])


def _prep_new(tr, te, v, dev):
    def T(a):
        return torch.from_numpy(np.stack(a)).to(dev)

    return T([t.x for t in tr]), T([t.y for t in tr]), T([t.x for t in te]), T([t.y for t in te])


def _timed(fn, dev):
    _sync(dev)
    t0 = time.perf_counter()
    out = fn()
    _sync(dev)
    return time.perf_counter() - t0, out


def _arms():
    return (("old", _prep_old, old.build_stacked, old.train_stacked),
            ("new", _prep_new, new_models.build_stacked, new_train.train_stacked))


def _new_step_fn(model, x, y, xt, yt, seeds):
    """One step of the new trainer (on CUDA: eager warm-up, then the captured graph), cycling through an epoch."""
    tr = new_train._Trainer(model, x, y, xt, yt, new_train.TrainConfig(batch_size=BATCH), None, None, seeds)
    tr.order.copy_(new_train._order(tr._salts(1), tr.P))
    count = [0]

    def step():
        if count[0] % tr.n_batches == 0:
            tr.offset.zero_()
        count[0] += 1
        tr._step()

    return step


def bench_case(h, R, dev, P, repeat=3, n_test=256):
    """Per-step time of the old and new path for one (h, R) on one device.

    Each path takes optimiser steps through one epoch of P data (P / 128
    steps, a *block*); blocks of the two paths alternate, ``repeat`` times
    after a warm-up (which includes the CUDA-graph capture), so a change of
    machine load hits both. Per-epoch work (orders, the stopping check) is left
    out: the end-to-end ``--cell`` timing includes it. Reports the fastest
    block per step and the median.
    """
    spec = RHMSpec.make(alpha=1.0)
    seeds = list(range(R))
    tr, te = _data(spec, R, P, n_test)
    out = {"h": h, "R": R, "P": P, "device": dev}
    cuda = dev.startswith("cuda")
    threads = torch.get_num_threads()
    if not cuda:
        torch.set_num_threads(new_train.cpu_threads())
    try:
        steps = {}
        for name, prep, build, _ in _arms():
            out[f"{name}_prep_s"], arrays = _timed(lambda: prep(tr, te, spec.v, dev), dev)
            model = build("cnn", spec, seeds, h=h).to(dev)
            if name == "old":
                steps[name] = old.step_fn(model, arrays[0], arrays[1], new_train.TrainConfig(batch_size=BATCH),
                                          seeds)
            else:
                steps[name] = _new_step_fn(model, *arrays, seeds)
        n_block = max(1, P // BATCH)
        times = {"old": [], "new": []}
        for rep in range(repeat + 1):
            for name, step in steps.items():
                t, _ = _timed(lambda: [step() for _ in range(n_block)], dev)
                if rep:  # the first block of each is the warm-up
                    times[name].append(t / n_block)
    finally:
        torch.set_num_threads(threads)
    for name, ts in times.items():
        out[f"{name}_step_ms"] = 1e3 * min(ts)
        out[f"{name}_step_ms_median"] = 1e3 * float(np.median(ts))
        out[f"{name}_samples_per_s"] = R * min(BATCH, P) / min(ts)
    out["speedup"] = out["old_step_ms"] / out["new_step_ms"]
    out["speedup_median"] = out["old_step_ms_median"] / out["new_step_ms_median"]
    return out


def bench_cell(h, n_seeds, dev, P, n_test=1024, max_epochs=300):
    """One Fig. 6 cell stack trained to the stopping rule (loss threshold), old path vs new, end to end.

    The stack holds ``n_seeds`` seeds of each of alpha = 1, 2, 4 (Zipf on all
    levels) and the uniform RHM at one P: data preparation + training +
    testing, as a sweep does it (the seen-path bookkeeping, the same for both,
    left out). Reports wall times and the mean test errors of both paths.
    """


    specs = [RHMSpec.make(alpha=-1.0)] + [RHMSpec.make(alpha=a) for a in (1.0, 2.0, 4.0)]
    cells = [(sp, sd) for sp in specs for sd in range(n_seeds)]
    seeds = [sd for _, sd in cells]
    v = specs[0].v
    out = {"h": h, "R": len(cells), "P": P, "device": dev}
    cfg = new_train.TrainConfig(max_epochs=max_epochs)
    for name, prep, build, train in _arms():
        def go():
            data = [RHMData(sp, sd) for sp, sd in cells]
            arrays = prep([d.train(P) for d in data], [d.test(n_test) for d in data], v, dev)
            if name == "old":
                model = build("cnn", specs[0], seeds, h=h).to(dev)
            else:
                model = build("cnn", specs[0], seeds, h=h, device=dev)
            return train(model, *arrays, cfg, seeds=seeds)

        t, res = _timed(go, dev)
        out[f"{name}_s"] = t
        out[f"{name}_test_err"] = float(np.mean(res["test_err"]))
        out[f"{name}_steps"] = int(res["steps"])
        out[f"{name}_converged"] = int(np.sum(res["converged"]))
    out["speedup"] = out["old_s"] / out["new_s"]
    return out


def bench_grid(dev, h, n_seeds, P_grid, max_steps=None):
    """Wall time of the Fig. 6 grid: for each P one stack of 4 configurations x n_seeds runs (train_cells)."""
    from scalinglab.validate.rhm import train_cells

    specs = [RHMSpec.make(alpha=-1.0)] + [RHMSpec.make(alpha=a) for a in (1.0, 2.0, 4.0)]
    cfg = new_train.TrainConfig() if max_steps is None else new_train.TrainConfig(max_steps=max_steps)
    t0 = time.perf_counter()
    per_P, n_conv = [], 0
    for P in P_grid:
        t1 = time.perf_counter()
        rows = train_cells([(sp, P, sd) for sp in specs for sd in range(n_seeds)], h=h, train=cfg, device=dev)
        n_conv += sum(r["converged"] for r in rows)
        per_P.append((P, round(time.perf_counter() - t1, 2), max(r["epochs"] for r in rows)))
    return {"device": dev, "h": h, "seeds": n_seeds, "P_grid": list(P_grid), "runs": 4 * n_seeds * len(P_grid),
            "converged": n_conv, "wall_s": time.perf_counter() - t0, "per_P_s_epochs": per_P}


def _devices(choice):
    if choice == "auto":
        return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if choice == "both":
        return ["cpu", "cuda"]
    return [new_train.resolve_device(choice)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny cases (for the test suite)")
    ap.add_argument("--device", default="auto", help="auto (CPU, and CUDA when present), cpu, cuda, both")
    ap.add_argument("--cases", default="64x4,64x40,1024x4,1024x40", help="widths x runs (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed blocks per path (default: %(default)s; 2 for the CPU cases of seconds per step)")
    ap.add_argument("--threads", default="",
                    help="CPU only: also time h=64, R=40 at these torch thread counts, e.g. 1,2 "
                         "(SCALINGLAB_TORCH_THREADS; default: only the configured count)")
    ap.add_argument("--cell", default="64x4x1024",
                    help="end-to-end cell stack h x seeds-per-configuration x P, '' to skip (default: %(default)s)")
    ap.add_argument("--grid", action="store_true", help="also time the full Fig. 6 grid (meant for a GPU)")
    ap.add_argument("--grid-h", type=int, default=1024, help="width of the grid runs (default: %(default)s)")
    ap.add_argument("--grid-seeds", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save", metavar="PATH", help="also write the results as JSON to PATH")
    a = ap.parse_args(argv)
    cases = [tuple(int(t) for t in c.split("x")) for c in a.cases.split(",")]
    if a.quick:
        cases = [(16, 2), (16, 4)]
    results, grids, cells, threads = [], [], [], []
    cell = [int(t) for t in a.cell.split("x")] if a.cell else None
    if a.quick:
        cell = [8, 1, 64]
    for dev in _devices(a.device):
        cuda = dev.startswith("cuda")
        for h, R in cases:
            big = h * h * R > 64 * 64 * 40 * 16 and not cuda  # CPU seconds per step
            P = 128 if a.quick else 256 if big else 8192 if cuda else 1024
            results.append(bench_case(h, R, dev, P, repeat=2 if big else a.repeat))
        if not cuda and a.threads:
            for t in [int(x) for x in a.threads.split(",")]:
                old_env = os.environ.get("SCALINGLAB_TORCH_THREADS")
                os.environ["SCALINGLAB_TORCH_THREADS"] = str(t)
                try:
                    threads.append({"threads": t, **bench_case(64, 40, dev, 1024, repeat=a.repeat)})
                finally:
                    if old_env is None:
                        del os.environ["SCALINGLAB_TORCH_THREADS"]
                    else:
                        os.environ["SCALINGLAB_TORCH_THREADS"] = old_env
        if cell:
            cells.append(bench_cell(cell[0], cell[1], dev, cell[2], max_epochs=5 if a.quick else 300))
        if a.grid or a.quick:
            from scalinglab.validate.protocol import shipped_spec

            FULL_P = shipped_spec("rhm-fig6")[0]["P"]  # the full Fig. 6 grid of the shipped spec
            if a.quick:
                grids.append(bench_grid(dev, 8, 1, [16, 32], max_steps=20))
            else:
                grids.append(bench_grid(dev, a.grid_h, a.grid_seeds, FULL_P))
    out = {"torch": torch.__version__, "torch_threads_cpu": new_train.cpu_threads(),
           "cuda_device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
           "cases": results, "threads": threads, "cells": cells,
           "grid": grids}
    if a.save:
        with open(a.save, "w") as fh:
            json.dump(out, fh, indent=2)
    if a.json:
        print(json.dumps(out, indent=2))
        return out
    print(f"torch {out['torch']}, CPU threads {out['torch_threads_cpu']}, CUDA: {out['cuda_device']}")
    print("per optimiser step, fastest block (median in brackets):")
    print(f"{'device':6} {'h':>5} {'R':>3} {'old ms/step':>20} {'new ms/step':>20} {'speed-up':>14} "
          f"{'new samples/s':>14} {'prep old/new s':>15}")
    for r in results:
        print(f"{r['device']:6} {r['h']:5d} {r['R']:3d} {r['old_step_ms']:9.3f} ({r['old_step_ms_median']:8.3f}) "
              f"{r['new_step_ms']:9.3f} ({r['new_step_ms_median']:8.3f}) {r['speedup']:5.2f}x ({r['speedup_median']:4.2f}x) "
              f"{r['new_samples_per_s']:14.3e} {r['old_prep_s']:7.3f}/{r['new_prep_s']:.3f}")
    for t in threads:
        print(f"cpu h=64 R=40 with {t['threads']} torch thread(s): old {t['old_step_ms']:.2f} ms/step, "
              f"new {t['new_step_ms']:.2f} ms/step")
    for c in cells:
        print(f"cell stack on {c['device']} (h={c['h']}, R={c['R']}, P={c['P']}, to the loss threshold): "
              f"old {c['old_s']:.2f} s, new {c['new_s']:.2f} s, speed-up {c['speedup']:.2f}x; mean test error "
              f"old {c['old_test_err']:.4f}, new {c['new_test_err']:.4f}; steps {c['old_steps']}/{c['new_steps']}, "
              f"converged {c['old_converged']}/{c['new_converged']} of {c['R']}")
    for r in results:
        if r["device"].startswith("cuda") and (r["h"], r["R"]) == (64, 40):
            ok = "met" if r["new_step_ms"] <= GOAL_STEP_MS else "NOT met"
            print(f"goal (one H100): <= {GOAL_STEP_MS} ms/step at h=64, R=40: {r['new_step_ms']:.3f} ms -> {ok}")
    for g in grids:
        line = (f"Fig. 6 grid on {g['device']}: h={g['h']}, {g['runs']} runs ({g['seeds']} seeds, "
                f"{len(g['P_grid'])} P), {g['converged']} converged, {g['wall_s']:.1f} s")
        if g["device"].startswith("cuda") and not a.quick:
            line += f" (goal <= {GOAL_GRID_S:.0f} s: {'met' if g['wall_s'] <= GOAL_GRID_S else 'NOT met'})"
        print(line)
    return out


if __name__ == "__main__":
    main()
