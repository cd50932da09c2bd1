# budget_s: 900
# Issue 17: rhm-fcn-onset at its full spec with the adaptive budget (every run trains until its training loss is
# below the tolerance, up to 400 000 steps / 5000 epochs) and the denser P grid (factors of sqrt 2 between P* and
# 16 P*), first at 4 seeds, then at $SEEDS. The earlier H100 run (100 000 steps, 9 P) took 108 s at 4 seeds and
# left 16 FCN runs underfit at 4 P* ... 32 P* (L = 3). Not yet measured with the larger budget: the 4-seed job
# comes first so that a cut run still returns a complete, cheaper grid; every job stops at its limit, keeps its
# stored runs and draws its report (grid brackets, underfit runs counted) from them. Run it alone with
# `run_all.sh --only '55-*' --total-s 940` and adopt it into results/reference/gpu (docs/developer/gpu-run.md).
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
    rhm-fcn-onset:4 rhm-fcn-onset
