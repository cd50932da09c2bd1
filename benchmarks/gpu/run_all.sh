#!/usr/bin/env bash
# The prepared device run (issue 9): the training benchmark, the width study, every RHM reproduction at its full
# grid with 10 seeds and spectral-teacher-student, in under 9 minutes on one H100, packed into <= 8 files.
#
#   benchmarks/gpu/run_all.sh [--mode full|tiny] [--device cuda|cpu|auto] [--seeds N] [--results DIR] [--out DIR]
#                             [--total-s S] [--only PATTERN] [--resume TARBALL|DIR] [--list]
#
# Runs every step file benchmarks/gpu/steps/NN-name.sh in lexical order as `timeout $BUDGET_S bash STEP` with
# RESULTS, DEVICE, MODE, SEEDS, PY and BUDGET_S set (BUDGET_S from the step's first-line comment `# budget_s: N`,
# cut to what is left of --total-s). Steps are resumable (a rerun skips stored cells), so a cut run still returns
# what it finished, and --resume TARBALL (a results.tar.gz of an earlier run) or DIR (its unpacked folder, e.g.
# results/reference/gpu) continues an earlier run.
# At the end: SUMMARY.md (digest.py), then results.tar.gz (results, manifests, summaries, reports, figures, logs),
# SUMMARY.md and run_all.log are written to --out ($OUT when set, else results/gpu-pack).
#
# Environment equivalents: MODE, DEVICE, SEEDS, RESULTS, OUT, TOTAL_S, PYTHON (default python3).
# MODE=tiny: the quick specs cut to a few tiny cells, on the CPU by default (the test suite runs it).
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

MODE="${MODE:-full}"
DEVICE="${DEVICE:-}"
SEEDS="${SEEDS:-}"
RESULTS="${RESULTS:-}"
PACK="${OUT:-}"
TOTAL_S="${TOTAL_S:-}"
ONLY="*"
RESUME=""
LIST=0
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE="$2"; shift 2 ;;
    --device) DEVICE="$2"; shift 2 ;;
    --seeds) SEEDS="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --out) PACK="$2"; shift 2 ;;
    --total-s) TOTAL_S="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --resume) RESUME="$2"; shift 2 ;;
    --list) LIST=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$MODE" in
  full) DEVICE="${DEVICE:-cuda}"; SEEDS="${SEEDS:-10}"; TOTAL_S="${TOTAL_S:-510}" ;;
  tiny) DEVICE="${DEVICE:-cpu}"; SEEDS="${SEEDS:-2}"; TOTAL_S="${TOTAL_S:-360}" ;;
  *) echo "run_all.sh: --mode must be full or tiny, got '$MODE'" >&2; exit 2 ;;
esac
case "$SEEDS$TOTAL_S" in *[!0-9]*) echo "run_all.sh: --seeds and --total-s take whole numbers" >&2; exit 2 ;; esac
RESULTS="${RESULTS:-results/gpu-run}"
PACK="${PACK:-results/gpu-pack}"
PYTHON="${PYTHON:-python3}"
export MODE DEVICE SEEDS RESULTS
export PY="env PYTHONPATH=$ROOT${PYTHONPATH:+:$PYTHONPATH} SCALINGLAB_PROGRESS=0 $PYTHON"

budget_of() { sed -n '1,3s/^# *budget_s: *\([0-9][0-9]*\).*/\1/p' "$1" | head -1; }
STEPS=()
for f in benchmarks/gpu/steps/*.sh; do
  case "$(basename "$f")" in $ONLY) STEPS+=("$f") ;; esac
done
if [ "$LIST" = 1 ]; then
  total=0
  for f in "${STEPS[@]}"; do b=$(budget_of "$f"); total=$((total + b)); echo "$(basename "$f") budget_s=$b"; done
  echo "sum of budgets ${total} s; whole run capped at ${TOTAL_S} s (mode $MODE, device $DEVICE, seeds $SEEDS)"
  exit 0
fi

START=$(date +%s)
PACK_RESERVE=35   # digest, stale replots and packing
mkdir -p "$RESULTS/logs" "$PACK"
LOG="$RESULTS/logs/run_all.log"
say() { echo "[$(( $(date +%s) - START )) s] $*" | tee -a "$LOG"; }
say "run_all.sh mode=$MODE device=$DEVICE seeds=$SEEDS results=$RESULTS out=$PACK total_s=$TOTAL_S"

if [ -n "$RESUME" ]; then
  if [ -d "$RESUME" ]; then  # an unpacked run, e.g. results/reference/gpu
    cp -a "$RESUME"/. "$RESULTS"/ && say "resumed from the folder $RESUME"
  elif [ -f "$RESUME" ]; then
    tmp="$(mktemp -d)"; tar xzf "$RESUME" -C "$tmp" && cp -a "$tmp"/*/. "$RESULTS"/ && say "resumed from $RESUME"
    rm -rf "$tmp"
  else
    say "--resume $RESUME: no such file, starting afresh"
  fi
fi

# ---------------------------------------------------------------- preflight: versions, GPU, imports, Numba warm-up
$PY - > "$RESULTS/preflight.txt" 2>&1 <<'EOF'
import importlib, platform, sys, time
t0 = time.time()
print("python", platform.python_version(), sys.executable)
for name in ("numpy", "scipy", "sympy", "matplotlib", "numba", "torch", "tqdm", "pandas", "filelock"):
    try:
        print(f"{name} {importlib.import_module(name).__version__}")
    except Exception as exc:
        print(f"{name} MISSING ({exc!r})" + ("  <- analysis/reports need it; rows are still stored" if name == "pandas"
                                            else "  <- optional (fcntl lock used)" if name == "filelock" else ""))
import torch
print("cuda", torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else "-")
from scalinglab.theory.rhm import RHMSpec
from scalinglab.validate.rhm import RHMData
RHMData(RHMSpec.make(alpha=1.0), 0).train(64)  # compiles (and caches) the Numba sampler once
print(f"preflight {time.time() - t0:.1f} s")
EOF
say "preflight: $(tr '\n' ';' < "$RESULTS/preflight.txt")"

# ---------------------------------------------------------------- CUDA self-check (full mode on a GPU)
# The CUDA tests of the suite (graph == eager for Adam and SGD, CUDA == CPU from one initialisation), which no CI
# machine can run. If a graph test fails, the whole run trains with eager steps (SCALINGLAB_CUDA_GRAPHS=0).
if [ "$MODE" = full ] && [ "${DEVICE#cuda}" != "$DEVICE" ]; then
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv > "$RESULTS/nvidia-smi.txt" 2>&1
  timeout -k 5 100 $PY -m pytest -q -p no:cacheprovider -rA tests/test_train_engine.py -k cuda \
      > "$RESULTS/cuda-tests.txt" 2>&1
  rc=$?
  say "cuda self-check: exit $rc; $(tail -1 "$RESULTS/cuda-tests.txt")"
  if [ $rc -ne 0 ] && grep -qE 'FAILED.*graph|ERROR.*graph' "$RESULTS/cuda-tests.txt"; then
    export SCALINGLAB_CUDA_GRAPHS=0
    say "a CUDA-graph test failed: training with eager steps (SCALINGLAB_CUDA_GRAPHS=0)"
  fi
fi

# ---------------------------------------------------------------- steps
: > "$RESULTS/steps.tsv"
for step in "${STEPS[@]}"; do
  name="$(basename "$step" .sh)"
  want="$(budget_of "$step")"; want="${want:-60}"
  left=$(( START + TOTAL_S - PACK_RESERVE - $(date +%s) ))
  b=$(( want < left ? want : left ))
  if [ "$b" -lt 10 ]; then
    say "$name: skipped (${left} s left)"
    printf '%s\t%s\t0\t-\tskipped: no time left\n' "$name" "$want" >> "$RESULTS/steps.tsv"
    continue
  fi
  say "$name: start, budget ${b} s (asks ${want})"
  t0=$(date +%s)
  BUDGET_S=$b timeout -k 10 "$b" bash "$step" > "$RESULTS/logs/$name.log" 2>&1
  rc=$?
  used=$(( $(date +%s) - t0 ))
  case $rc in
    0) status="complete" ;;
    124|137) status="cut at its budget (resumable)" ;;
    *) status="failed (see logs/$name.log)" ;;
  esac
  say "$name: $status, ${used} s, exit $rc"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$b" "$used" "$rc" "$status" >> "$RESULTS/steps.tsv"
done

# ---------------------------------------------------------------- digest and pack
left=$(( START + TOTAL_S - $(date +%s) ))
$PY benchmarks/gpu/digest.py "$RESULTS" --replot-stale-by $(( $(date +%s) + (left > 25 ? left - 15 : 10) )) \
    > "$RESULTS/SUMMARY.md" 2>> "$LOG" || say "digest failed"
say "done in $(( $(date +%s) - START )) s; packing into $PACK"
parent="$(cd "$(dirname "$RESULTS")" && pwd)"; base="$(basename "$RESULTS")"
tar czf "$PACK/results.tar.gz" --exclude='.claims' --exclude='.manifest.lock' --exclude='.job-running' -C "$parent" "$base"
cp "$RESULTS/SUMMARY.md" "$PACK/SUMMARY.md" 2>/dev/null
cp "$LOG" "$PACK/run_all.log"
size=$(stat -c %s "$PACK/results.tar.gz")
if [ "$size" -gt $((15 * 1024 * 1024)) ]; then  # files come back only up to 16 MiB each: split (at most 5 parts)
  split -b 15M -d -a 1 "$PACK/results.tar.gz" "$PACK/results.tar.gz.part" && rm "$PACK/results.tar.gz"
  echo "results.tar.gz was ${size} bytes: split into parts; join with: cat results.tar.gz.part* > results.tar.gz" \
    >> "$PACK/run_all.log"
fi
ls -l "$PACK" | tee -a "$PACK/run_all.log"
exit 0
