"""Benchmark: grouped path spectrum and eps(P) kernels against a plain numpy
baseline (outer product of the level probabilities over all m**L tuples and a
vectorised eps over every path; no sort: eps does not need one, and sorting made
the baseline 1.8x slower, issue 17), measured in the same run.

Run: python benchmarks/bench_rhm_paths.py   (prints a table of ratios)
"""

from __future__ import annotations


import numpy as np
from timing import best_of

from scalinglab.theory.rhm import RHMSpec, eps_of_spectrum, path_spectrum
from scalinglab.theory.rhm._spectrum import _product_groups




def numpy_baseline(spec, P):
    f = spec.level_probs(1)
    for l in range(2, spec.L + 1):
        f = np.multiply.outer(f, spec.level_probs(l)).ravel()
    fp = f / spec.n_c
    eps = np.array([spec.n_c * np.sum(fp * np.exp(p * np.log1p(-fp))) for p in P])
    return f, eps


def main():
    P = np.geomspace(1, 1e6, 25)
    rows = []
    # warm up the JIT (cache=True: compiled once per machine)
    eps_of_spectrum(path_spectrum(RHMSpec.make(alpha=1.0)), P)
    for m, L in [(10, 4), (10, 6), (10, 7)]:
        spec = RHMSpec(n_c=10, v=m, m=m, s=2, L=L, alpha=1.0)
        t_base, (f, eps_ref) = best_of(lambda: numpy_baseline(spec, P), repeat=1 if m**L > 1e6 else 3)

        def ours():
            _product_groups.cache_clear()  # time the enumeration too, not a cached result
            sp = path_spectrum(spec)
            return sp, eps_of_spectrum(sp, P)

        t_ours, (sp, eps) = best_of(ours)
        assert np.allclose(eps, eps_ref, rtol=1e-9), "benchmark results disagree"
        rows.append((f"m={m}, L={L}", m**L, sp.n_groups, t_base, t_ours, t_base / t_ours))
    print(f"{'case':14s} {'paths/class':>12s} {'groups':>8s} {'numpy [s]':>10s} {'ours [s]':>9s} {'speed-up':>9s}")
    for r in rows:
        print(f"{r[0]:14s} {r[1]:12.3g} {r[2]:8d} {r[3]:10.4f} {r[4]:9.4f} {r[5]:8.1f}x")
    print("\nsizes the numpy baseline cannot hold (8 bytes per path):")
    for m, L in [(10, 12), (1000, 4)]:
        spec = RHMSpec(n_c=10, v=m, m=m, s=2, L=L, alpha=1.0)
        t, sp = best_of(lambda: (_product_groups.cache_clear(), path_spectrum(spec))[1])
        te, _ = best_of(lambda: eps_of_spectrum(sp, P))
        print(f"m={m}, L={L}: {sp.n_groups} groups ({sp.mode}) in {t:.3f} s, eps on {P.size} P in {te:.3f} s; "
              f"baseline would need {8 * m**L / 2**30:,.0f} GiB")


if __name__ == "__main__":
    main()
