# budget_s: 150
# rhm-width, full grid (widths 64, 256, 1024, 2048 made in that order; alpha = 1, 2, 4; P = 10 ... 5120), $SEEDS
# seeds: where the exponent stops moving. 4 seeds first (a complete, cheaper picture), then all $SEEDS.
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" --seeds "$SEEDS" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) rhm-width:4 rhm-width
