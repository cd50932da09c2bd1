# budget_s: 480
# Issue 20, most valuable first: the networks at large m. rhm-large-m-24-32 (m = 24, 32 at width 1024, P from
# P*/8192 to P*/2) and the width check rhm-large-m-w2048 (m = 32 at width 2048), 4 seeds first, then all $SEEDS.
# One slice of at most 8 minutes; rerun it (same results folder, or run_all.sh --resume) until every job reports
# complete in jobs.jsonl: each run stores its finished cells and resumes from them. Not measured on a GPU yet.
# Tiny mode (the CPU test of the plumbing) runs the one-model width check only.
if [ "$MODE" != tiny ]; then
  $PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
      --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
      rhm-large-m-24-32:4 rhm-large-m-w2048:4 rhm-large-m-24-32 rhm-large-m-w2048
else
  $PY benchmarks/gpu/repro.py --results "$RESULTS" --mode tiny --device "$DEVICE" --seeds "$SEEDS" \
      --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-large-m-w2048
fi
