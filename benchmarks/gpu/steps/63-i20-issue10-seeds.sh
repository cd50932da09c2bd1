# budget_s: 480
# Issue 20, last: every issue-10 figure at all $SEEDS (step 50's 10-seed jobs; rhm-fig5 and rhm-large-m are in
# steps 61 and 60). One slice of at most 8 minutes, resumable (rerun until jobs.jsonl says complete). In tiny mode
# step 50 runs the same jobs, so this step does nothing there.
if [ "$MODE" = tiny ]; then
  echo "tiny mode: the issue-10 jobs run in step 50"
  exit 0
fi
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
    rhm-fig6-distinct rhm-split-model rhm-fig8 rhm-fig9 rhm-fcn-onset
