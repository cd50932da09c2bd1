# budget_s: 40
# The training benchmark (benchmarks/bench_rhm_train.py): per-step time of the issue-9 engine against the former
# path, h = 64 and 1024, R = 4 and 40, on $DEVICE, with the goal line (<= 0.3 ms per step at h = 64, R = 40
# on one H100); the end-to-end Fig. 6 stack at h = 64, 10 seeds, P = 1024. The full-grid goal (Fig. 6 at the
# converged width in <= 5 min) is read off the stored runs by digest.py at the end.
mkdir -p "$RESULTS/bench"
if [ "$MODE" = tiny ]; then
  $PY benchmarks/bench_rhm_train.py --quick --device "$DEVICE" --save "$RESULTS/bench/bench_rhm_train.json"
else
  $PY benchmarks/bench_rhm_train.py --device "$DEVICE" --cases 64x4,64x40,1024x4,1024x40 --repeat 3 \
      --cell 64x10x1024 --save "$RESULTS/bench/bench_rhm_train.json"
fi
