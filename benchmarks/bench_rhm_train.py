"""Benchmark: R stacked training runs (one batched model) against R runs one by one.

Run as a script: ``python benchmarks/bench_rhm_train.py [--R 4] [--P 1024] [--epochs 5] [--model cnn]``.
Both arms do exactly the same work (same data, same initialisations, fixed
number of epochs, the loss-threshold stop disabled); the ratio of wall times
says whether stacking pays on this device. No timed asserts.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.models import build_stacked
from scalinglab.validate.rhm import RHMData, onehot
from scalinglab.validate.train import TrainConfig, resolve_device, train_stacked


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--R", type=int, default=4, help="runs (default: %(default)s)")
    ap.add_argument("--P", type=int, default=1024, help="training-set size (default: %(default)s)")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per run (default: %(default)s)")
    ap.add_argument("--h", type=int, default=64, help="width (default: %(default)s)")
    ap.add_argument("--model", default="cnn", choices=["cnn", "fcn", "perceptron"])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    dev = resolve_device(a.device)
    spec = RHMSpec.make(alpha=1.0)
    seeds = list(range(a.R))
    data = [RHMData(spec, s) for s in seeds]
    tr, te = [d.train(a.P) for d in data], [d.test(1024) for d in data]

    def T(arr):
        return torch.as_tensor(np.stack(arr)).to(dev)

    X, Y = T([onehot(t.x, spec.v) for t in tr]), T([t.y for t in tr])
    Xt, Yt = T([onehot(t.x, spec.v) for t in te]), T([t.y for t in te])
    cfg = TrainConfig(max_epochs=a.epochs, loss_tol=1e-30, max_steps=10**9)

    def stacked():
        train_stacked(build_stacked(a.model, spec, seeds, h=a.h).to(dev), X, Y, Xt, Yt, cfg, seeds=seeds)

    def one_by_one():
        for r, s in enumerate(seeds):
            train_stacked(build_stacked(a.model, spec, [s], h=a.h).to(dev), X[r:r + 1], Y[r:r + 1],
                          Xt[r:r + 1], Yt[r:r + 1], cfg, seeds=[s])

    res = {}
    for name, fn in (("stacked", stacked), ("sequential", one_by_one)):
        fn() if name == "stacked" else None  # warm-up
        t0 = time.perf_counter()
        fn()
        res[name + "_s"] = time.perf_counter() - t0
    out = {"device": dev, "model": a.model, "R": a.R, "P": a.P, "epochs": a.epochs, "h": a.h,
           "torch_threads": torch.get_num_threads(), **res, "speedup_stacked": res["sequential_s"] / res["stacked_s"]}
    print(json.dumps(out, indent=2) if a.json else
          f"{a.model} h={a.h}, R={a.R} runs, P={a.P}, {a.epochs} epochs on {dev}: stacked {res['stacked_s']:.2f} s, "
          f"one by one {res['sequential_s']:.2f} s, ratio {out['speedup_stacked']:.2f}x")
    return out


if __name__ == "__main__":
    main()
