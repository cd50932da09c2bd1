# budget_s: 1500
# Issue 10: the seed's remaining figures and claims at their full grids (docs/results/rhm-seed.md), most valuable
# first: every reproduction at 4 seeds (a complete, cheaper picture), then at all $SEEDS. Runs are shared through
# the rhm-runs store: the i.i.d. half of rhm-fig6-distinct is rhm-fig6's grid, rhm-split-model is rhm-fig4's Zipf
# curves, rhm-fig8's v = 10 curves are Fig. 6's runs and rhm-fig9's bottom-level curve is Fig. 2's (all when step
# 30 ran first into the same $RESULTS). Measured on one H100 (2026-11-26, results/reference/gpu/SUMMARY.md), 4 seeds:
# fig6-distinct 56 s, split-model 3 s (runs shared), fig8 38 s, fig9 35 s, fcn-onset 108 s; fig5 (L = 4, h = 256)
# stored P <= 16384 (144 of 288 cells) in 28 s, large-m (h = 1024) m = 10 and 16 (192 of 448 cells) in 46 s before
# their limits. What is left at 4 seeds (fig5's large P, large-m's m = 24, 32) plus every job at 10 seeds is
# estimated at 20 min or more (fig5 to P = 10^6 dominates; not measured). run_all.sh's default --total-s 510
# is spent by steps 10-45; run this step with e.g. `run_all.sh --only '50-*' --total-s 1560` (or a larger
# --total-s, or --resume on the next session): every job stops at its limit, keeps its stored runs and draws its
# report from them.
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
    rhm-fig6-distinct:4 rhm-split-model:4 rhm-fig8:4 rhm-fig9:4 rhm-fcn-onset:4 rhm-fig5:4 rhm-large-m:4 \
    rhm-fig6-distinct rhm-split-model rhm-fig8 rhm-fig9 rhm-fcn-onset rhm-fig5 rhm-large-m
