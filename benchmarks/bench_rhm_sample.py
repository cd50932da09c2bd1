"""Benchmark: Numba RHM sampler against the vectorised numpy sampler (same run).

Run as a script: ``python benchmarks/bench_rhm_sample.py [--n 1000000] [--repeat 3]``.
Reports samples per second of both and their ratio (no timed asserts). The
model is the seed's default, m = v = n_c = 10, s = 2, L = 3, Zipf alpha = 1 on
every level.
"""

from __future__ import annotations

import argparse
import json

import numba
from timing import best_of

from scalinglab.kernels import rhm as K
from scalinglab.theory.rhm import RHMSpec




def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="samples per call (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions, best kept (default: %(default)s)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    spec = RHMSpec.make(alpha=1.0)
    rules = K.make_rules(spec.n_c, spec.v, spec.m, spec.s, spec.L, seed=0)
    probs = spec.probs_matrix()
    K.sample(rules, spec.n_c, probs, 1000, 0)  # compile (or load the cache) outside the timing
    t_nb = best_of(lambda: K.sample(rules, spec.n_c, probs, a.n, 1), a.repeat)[0]
    t_np = best_of(lambda: K.sample_numpy(rules, spec.n_c, probs, a.n, 1), a.repeat)[0]
    out = {"model": spec.describe(), "n": a.n, "threads": numba.get_num_threads(),
           "numba_samples_per_s": a.n / t_nb, "numpy_samples_per_s": a.n / t_np, "speedup_vs_numpy": t_np / t_nb}
    if a.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{out['model']}, n = {a.n}, numba threads = {out['threads']}")
        print(f"  numba sampler : {out['numba_samples_per_s']:.3e} samples/s")
        print(f"  numpy sampler : {out['numpy_samples_per_s']:.3e} samples/s")
        print(f"  ratio         : {out['speedup_vs_numpy']:.2f}x")
    return out


if __name__ == "__main__":
    main()
