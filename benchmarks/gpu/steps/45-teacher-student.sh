# budget_s: 45
# spectral-teacher-student, full spec (width 256, 6000 steps, D = 64 ... 8192, d = 2 ... 8): 2 seeds first, then the
# spec's own 4. One cell is one network trained alone (seconds each on a GPU), so a 45 s step covers only part of it (a job keeps 12 s back for its report: on 2026-11-26 a 30 s budget left 7 s and stored no cell).
$PY benchmarks/gpu/repro.py --results "$RESULTS" --mode "$MODE" --device "$DEVICE" \
    --deadline $(( $(date +%s) + BUDGET_S - 5 )) spectral-teacher-student:2 spectral-teacher-student
