# budget_s: 1500
# Issue 10: the seed's remaining figures and claims at their full grids (docs/results/rhm-seed.md), most valuable
# first: every reproduction at 4 seeds (a complete, cheaper picture), then at all $SEEDS. Runs are shared through
# the rhm-runs store: the i.i.d. half of rhm-fig6-distinct is rhm-fig6's grid, rhm-split-model is rhm-fig4's Zipf
# curves, rhm-fig8's v = 10 curves are Fig. 6's runs and rhm-fig9's bottom-level curve is Fig. 2's (all when step
# 30 ran first into the same $RESULTS). Estimated on one H100 (no GPU was at hand to measure; per-step costs as in
# the README's budget table: h = 1024, R = 40 about 6 ms in float32; h <= 256 launch-bound): fig6-distinct 3 min,
# split-model 0-3, fig8 1.5, fig9 1.5, fcn-onset (h = 256, FCN up to 1e5 steps) 4, fig5 (L = 4, P to 1e6, h = 256)
# 5, large-m (h = 1024, m = 10..32, P to 131072) 5: about 25 min at 10 seeds. run_all.sh's default --total-s 510
# is spent by steps 10-40; run this step with e.g. `run_all.sh --only '50-*' --total-s 1560` (or a larger
# --total-s, or --resume on the next session): every job stops at its limit, keeps its stored runs and draws its
# report from them.
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
    rhm-fig6-distinct:4 rhm-split-model:4 rhm-fig8:4 rhm-fig9:4 rhm-fcn-onset:4 rhm-fig5:4 rhm-large-m:4 \
    rhm-fig6-distinct rhm-split-model rhm-fig8 rhm-fig9 rhm-fcn-onset rhm-fig5 rhm-large-m
