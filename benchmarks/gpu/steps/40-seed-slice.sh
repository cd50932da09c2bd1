# budget_s: 70
# A first slice of issue 10 in the same session as steps 10-30: the large-m study (does the exponent approach
# alpha'/(1+alpha') as m grows?) and Fig. 6 on distinct samples, 4 seeds each, most valuable first. Step 50 holds
# all of issue 10 at full seeds and needs its own session; it resumes from these runs (same results folder or
# --resume). In tiny mode step 50 covers these jobs, so this step does nothing there.
if [ "$MODE" = tiny ]; then
  echo "tiny mode: rhm-large-m and rhm-fig6-distinct run in step 50"
  exit 0
fi
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-large-m:4 rhm-fig6-distinct:4
