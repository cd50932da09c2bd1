"""Benchmark: the Numba RHM sampler against the numpy sampler and the peer's i.i.d. sampler (same run).

Run as a script::

    python benchmarks/bench_rhm_sample.py [--n 1000000] [--repeat 5] [--peer PATH] [--quick] [--json]

``--peer PATH``: a checkout (or the bare git directory of a fetched snapshot)
of ``pcsl-epfl/random-hierarchy-model``; its i.i.d. sampler
(``datasets.random_hierarchy_model.sample_with_replacement``, torch, uniform
rules only) is imported from there at run time, nothing of it is copied here.
Compared on the uniform RHM of the seed's shape (m = v = n_c = 10, s = 2,
L = 3), the only one the peer's i.i.d. sampler draws, and for ours also with
Zipf alpha = 1 on every level. Each sampler runs with its own defaults (Numba
and torch on all cores). Raw draws only: symbols, labels and, for ours and
numpy, the derivations too.

It also times the step after sampling, ``--repeat`` times with the spread
(issue 9 saw 0.82 s against 0.30 s for the host one-hot with competing
thread pools): the training path's one-hot (in torch, per batch of a 40-run
stack, inside the models, on the training threads) against the former host
path (numpy, all data at once). Ratios only, no
timed asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's scalinglab

import numba  # noqa: E402

from scalinglab.kernels import rhm as K  # noqa: E402
from scalinglab.theory.rhm import RHMSpec  # noqa: E402


def _times(fn, repeat):
    out = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return np.array(out)


def _load_peer(path, tmp):
    """The peer's module from a checkout or a bare git directory (extracted into ``tmp``)."""
    if not os.path.isdir(os.path.join(path, "datasets")):
        data = subprocess.run(["git", f"--git-dir={path}", "archive", "HEAD", "datasets"], capture_output=True,
                              check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=data, check=True)
        path = tmp
    sys.path.insert(0, path)
    from datasets import random_hierarchy_model as peer

    return peer


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="samples per call (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=5, help="repetitions, best kept (default: %(default)s)")
    ap.add_argument("--peer", default=None, help="path of pcsl-epfl/random-hierarchy-model (checkout or git dir)")
    ap.add_argument("--quick", action="store_true", help="10**4 samples, 2 repetitions (for the test suite)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    n, repeat = (10_000, 2) if a.quick else (a.n, a.repeat)
    uni, zipf = RHMSpec.make(alpha=-1.0), RHMSpec.make(alpha=1.0)
    rules = K.make_rules(10, 10, 10, 2, 3, seed=0)
    K.sample(rules, 10, uni.probs_matrix(), 1000, 0)  # compile (or load the cache) outside the timing
    res = {"model": "RHM(n_c=10, v=10, m=10, s=2, L=3)", "n": n, "numba_threads": numba.get_num_threads()}
    for name, spec in (("uniform", uni), ("zipf1", zipf)):
        probs = spec.probs_matrix()
        res[f"ours_{name}_s"] = _times(lambda: K.sample(rules, 10, probs, n, 1), repeat).min()
        res[f"numpy_{name}_s"] = _times(lambda: K.sample_numpy(rules, 10, probs, n, 1), repeat).min()
    import torch

    res["torch_threads"] = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as tmp:
        if a.peer:
            peer = _load_peer(a.peer, tmp)
            prules = peer.sample_rules(10, 10, 10, 2, 3, seed=0)
            peer.sample_with_replacement(1000, 0, 1, prules)
            res["peer_uniform_s"] = _times(lambda: peer.sample_with_replacement(n, 0, 1, prules), repeat).min()
            res["speedup_vs_peer"] = res["peer_uniform_s"] / res["ours_uniform_s"]
    # the symbols as training uses them: to torch, one-hot in torch (the models' encoding)
    from scalinglab.validate.models import build_model
    from scalinglab.validate.train import cpu_threads

    x, _, _ = K.sample(rules, 10, zipf.probs_matrix(), n, 1)
    net = build_model("cnn", zipf, R=1, h=8)
    xt = torch.from_numpy(x).long()
    batch = 40 * 128  # a 40-run stack's batch: what one training step encodes

    def to_onehot():  # the training path: per batch, inside the model, on the training thread(s)
        for i in range(0, n, batch):
            net._onehot(xt[None, i:i + batch], 1, "dv")

    def host_onehot():  # the former path: one-hot floats built on the host with numpy
        out = np.zeros((x.shape[0], 10, x.shape[1]), dtype=np.float32)
        np.put_along_axis(out, x[:, None, :].astype(np.int64), 1.0, axis=1)
        return out

    threads = torch.get_num_threads()
    torch.set_num_threads(cpu_threads())
    to_onehot()
    t = _times(to_onehot, repeat)
    torch.set_num_threads(threads)
    t_host = _times(host_onehot, repeat)
    res.update(onehot_torch_min_s=t.min(), onehot_torch_max_s=t.max(), onehot_host_min_s=t_host.min(),
               onehot_host_max_s=t_host.max())
    res["speedup_vs_numpy"] = res["numpy_uniform_s"] / res["ours_uniform_s"]
    if a.json:
        print(json.dumps(res, indent=2))
        return res
    print(f"{res['model']}, n = {n}, numba threads = {res['numba_threads']}, torch threads = {res['torch_threads']}")
    for name in ("uniform", "zipf1"):
        print(f"  ours  ({name:7}): {n / res[f'ours_{name}_s']:.3e} samples/s")
        print(f"  numpy ({name:7}): {n / res[f'numpy_{name}_s']:.3e} samples/s")
    if "peer_uniform_s" in res:
        print(f"  peer  (uniform): {n / res['peer_uniform_s']:.3e} samples/s  (pcsl-epfl i.i.d. sampler)")
        print(f"  ours / peer    : {res['speedup_vs_peer']:.2f}x")
    print(f"  ours / numpy   : {res['speedup_vs_numpy']:.2f}x (uniform)")
    print(f"  one-hot of all n, torch per batch of 40 x 128 (models): {res['onehot_torch_min_s'] * 1e3:.1f} ms best, "
          f"{res['onehot_torch_max_s'] * 1e3:.1f} ms worst of {repeat}")
    print(f"  one-hot of all n, numpy at once (former host path): {res['onehot_host_min_s'] * 1e3:.1f} ms best, "
          f"{res['onehot_host_max_s'] * 1e3:.1f} ms worst of {repeat}")
    return res


if __name__ == "__main__":
    main()
