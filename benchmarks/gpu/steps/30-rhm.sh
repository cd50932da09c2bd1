# budget_s: 190
# Every RHM reproduction at its full grid (14 P from 10 to 81 920, the converged width 1024), most valuable first:
# 4 seeds of Fig. 6 (exponents against eps(P)), Fig. 2 and Fig. 4, then Fig. 6 at $SEEDS seeds, Fig. 7 and the FCN at 4,
# then the rest at $SEEDS, and rhm-width's remaining cells. Runs are shared between them (rhm-runs store).
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) \
    rhm-fig6:4 rhm-fig2:4 rhm-fig4:4 rhm-fig6 rhm-fig7:4 rhm-fcn:4 rhm-fig2 rhm-fig4 rhm-fig7 rhm-fcn rhm-width
