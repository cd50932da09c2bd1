# budget_s: 480
# Issue 20, second: seed Fig. 5 (L = 4, width 256) to P = 10^6 with the uniform curve, rhm-fig5's full spec, 4 seeds
# then all $SEEDS. One slice of at most 8 minutes, resumable (rerun until jobs.jsonl says complete). In tiny mode
# step 50 already runs rhm-fig5, so this step does nothing there.
if [ "$MODE" = tiny ]; then
  echo "tiny mode: rhm-fig5 runs in step 50"
  exit 0
fi
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-fig5:4 rhm-fig5
