# budget_s: 480
# Issue 20, third: alpha_c at L = 4 on a finer grid, rhm-fig5-alphac (alpha = 0.5 ... 1.2 by 0.1, P to P* = 10^5),
# 4 seeds then all $SEEDS. One slice of at most 8 minutes, resumable (rerun until jobs.jsonl says complete).
# Tiny mode: rhm-fig5 (the same experiment class) runs in step 50, so this step does nothing there.
if [ "$MODE" = tiny ]; then
  echo "tiny mode: rhm-fig5 (same experiment class) runs in step 50"
  exit 0
fi
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-fig5-alphac:4 rhm-fig5-alphac
