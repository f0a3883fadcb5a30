#!/usr/bin/env bash
# The prepared GPU check of issue 9: install what is missing from carried wheels (no network,
# no package index), then measure the real-size Qwen2.5-VL-7B shape with `tvbench bench`:
# the photo workload at batch sizes 1/8/32, log-likelihood, load time against a bare
# from_pretrained, the offline default run, batch-invariant mode and the compiled decode.
# Every step writes JSON (and a BENCHMARKS.md section) under --out as it finishes, and is
# skipped when the time budget would not cover it, so a partial run still leaves numbers.
set -uo pipefail

usage() {
  cat <<'USAGE'
usage: scripts/gpu_check.sh [--wheels DIR] [--out DIR] [--cpu] [--dry-run] [--budget SECONDS]
                            [--steps a,b,...] [--only-install] [--modules FILE]

  --wheels DIR      carried wheels (scripts/gpu_wheels.sh writes them; default ./wheels)
  --out DIR         results: JSON per step, BENCHMARKS.gpu.md, log.txt (default $OUT, else
                    ./gpu-check-out)
  --cpu             rehearse every step on the CPU with the small random models
  --dry-run         print the commands, run nothing
  --budget SECONDS  stop starting steps after this long (default 285 on a GPU, 900 on CPU)
  --steps LIST      among: photos,loglikelihood,load,default-run,invariant,compile
                    (default: all, in that order)
  --only-install    install missing modules, then stop
  --modules FILE    modules to check (default scripts/gpu_wheels.txt)
USAGE
}

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WHEELS="$REPO/wheels"
OUT_DIR="${OUT:-$REPO/gpu-check-out}"
MODULES="$REPO/scripts/gpu_wheels.txt"
PY="${PYTHON:-python3}"
MODE=gpu
DRY=0
ONLY_INSTALL=0
BUDGET=""
ALL_STEPS="photos,loglikelihood,load,default-run,invariant,compile"
STEPS="$ALL_STEPS"
while [ $# -gt 0 ]; do
  case "$1" in
    --wheels) WHEELS="${2:?--wheels needs a folder}"; shift 2 ;;
    --out) OUT_DIR="${2:?--out needs a folder}"; shift 2 ;;
    --cpu) MODE=cpu; shift ;;
    --dry-run) DRY=1; shift ;;
    --budget) BUDGET="${2:?--budget needs seconds}"; shift 2 ;;
    --steps) STEPS="${2:?--steps needs a list}"; shift 2 ;;
    --only-install) ONLY_INSTALL=1; shift ;;
    --modules) MODULES="${2:?--modules needs a file}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$BUDGET" in
  "") BUDGET=$([ "$MODE" = gpu ] && echo 285 || echo 900) ;;
  *[!0-9]*) echo "gpu_check.sh: --budget '$BUDGET' is not a number of seconds" >&2; exit 2 ;;
esac
for step in ${STEPS//,/ }; do
  case ",$ALL_STEPS," in
    *",$step,"*) ;;
    *) echo "gpu_check.sh: unknown step '$step' (expected some of $ALL_STEPS)" >&2; exit 2 ;;
  esac
done
[ -f "$MODULES" ] || { echo "gpu_check.sh: no module list at $MODULES" >&2; exit 2; }

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
SITE="$OUT_DIR/site"
LOG="$OUT_DIR/log.txt"
START=$(date +%s)
export PYTHONPATH="$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

say() { echo "[gpu_check $(($(date +%s) - START))s] $*" | tee -a "$LOG"; }

# ------------------------------------------------------------------ install
importable() { "$PY" -c "import $1" >/dev/null 2>&1; }

wheel_for() {  # the wheel in $WHEELS for a requirement (dist names compare with - and _ alike)
  local dist="${1%%[=<>!~ ]*}"
  dist="$(echo "$dist" | tr 'A-Z-' 'a-z_')"
  local f base
  for f in "$WHEELS"/*.whl; do
    [ -e "$f" ] || continue
    base="$(basename "$f" | cut -d- -f1 | tr 'A-Z-' 'a-z_')"
    [ "$base" = "$dist" ] && { echo "$f"; return 0; }
  done
  return 1
}

install_missing() {
  mkdir -p "$SITE"
  if ! importable tvbench_tasks; then  # a plain checkout: the tasks/ folder is the package
    ln -sfn "$REPO/tasks" "$SITE/tvbench_tasks"
  fi
  local module requirement flag wheel missing=()
  local -a wheels=()
  while read -r module requirement flag; do
    case "$module" in ""|\#*) continue ;; esac
    if importable "$module"; then
      say "present: $module"
      continue
    fi
    if wheel="$(wheel_for "$requirement")"; then
      say "installing: $module from $(basename "$wheel")"
      wheels+=("$wheel")
    elif [ "${flag:-}" = optional ]; then
      say "absent (optional, no wheel in $WHEELS): $module"
    else
      missing+=("$module")
    fi
  done < "$MODULES"
  if [ ${#wheels[@]} -gt 0 ]; then
    if [ "$DRY" = 1 ]; then
      echo "$PY -m pip install --no-index --no-deps --target $SITE ${wheels[*]}"
    else
      "$PY" -m pip install --quiet --no-index --no-deps --target "$SITE" "${wheels[@]}" \
        >>"$LOG" 2>&1 || { say "pip could not install the carried wheels (see $LOG)"; return 3; }
    fi
  fi
  if [ "$DRY" = 0 ]; then
    missing=()
    while read -r module requirement flag; do
      case "$module" in ""|\#*) continue ;; esac
      if ! importable "$module"; then
        if [ "${flag:-}" = optional ]; then
          say "unusable (optional): $module"
          rm -rf "${SITE:?}/$module"  # e.g. a torchvision built for another CUDA
        else
          missing+=("$module")
        fi
      fi
    done < "$MODULES"
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "missing, and no usable wheel in $WHEELS: ${missing[*]} (run scripts/gpu_wheels.sh)"
    return 3
  fi
  say "modules ready"
}

install_missing || [ "$DRY" = 1 ] || exit 3
[ "$ONLY_INSTALL" = 1 ] && exit 0

# ------------------------------------------------------------------ steps
if [ "$MODE" = gpu ]; then
  MODEL="random:qwen2_5_vl-7b"; DEVICE=cuda; FAMILY=qwen2_5_vl; SIZE=7b
  PHOTOS=(--items 64 --batch-sizes 1,8,32); LL=(--items 32 --batch-sizes 1,8)
  INVARIANT=(--items 16 --batch-sizes 1,8); DECODE=(--items 8 --batch-sizes 1,8)
  COMPILE=inductor; TAG=gpu
else
  MODEL="random:qwen2_5_vl-small"; DEVICE=cpu; FAMILY=qwen2_5_vl; SIZE=small
  PHOTOS=(--items 4 --batch-sizes 1,2); LL=(--items 4 --batch-sizes 1,2)
  INVARIANT=(--items 2 --batch-sizes 1,2); DECODE=(--items 2 --batch-sizes 1,2)
  COMPILE=eager; TAG=cpu-rehearsal
fi
BENCH=("$PY" -m tvbench bench --device "$DEVICE" --repeat 1 --skip-default-run
       --write "$OUT_DIR/BENCHMARKS.$TAG.md")
FAILED=0

LEFT=0  # seconds of budget left when a step starts; step functions time-limit with it
step() {  # step NAME MIN_SECONDS COMMAND...: run when the budget allows, time-limited
  local name="$1" need="$2"; shift 2
  case ",$STEPS," in *",$name,"*) ;; *) return 0 ;; esac
  LEFT=$((BUDGET - ($(date +%s) - START)))
  if [ "$DRY" = 1 ]; then echo "$*"; return 0; fi
  if [ "$LEFT" -lt "$need" ]; then
    say "skipped $name: ${LEFT}s of the budget left, it needs about ${need}s"
    return 0
  fi
  say "start $name: $*"
  local -a limit=(timeout "$LEFT")
  declare -F "$1" >/dev/null && limit=()  # a step function limits its own commands
  if "${limit[@]}" "$@" >>"$LOG" 2>&1; then
    say "done $name"
  else
    say "FAILED $name (exit $?; see $LOG)"
    FAILED=1
  fi
}

save_random() {  # a random build saved as a local checkpoint, for the load-time step
  timeout "$LEFT" "$PY" - "$1" "$DEVICE" "$FAMILY-$SIZE" <<'PY'
import sys
import torch
from tvbench.models.loading import build_random, parse_random
folder, device, name = sys.argv[1], sys.argv[2], sys.argv[3]
dtype = torch.bfloat16 if device == "cuda" else torch.float32
model, processor = build_random(parse_random("random:" + name), device=device, dtype=dtype,
                                attn=None, processor_kwargs={})
model.save_pretrained(folder)
processor.save_pretrained(folder)
PY
}

load_step() {
  local ckpt="$OUT_DIR/checkpoint-$SIZE"
  save_random "$ckpt" && timeout "$LEFT" "${BENCH[@]}" --label "load-$TAG" --model "$FAMILY:$ckpt" \
    --workload bundled --items 2 --batch-sizes 1 --load-baseline --json "$OUT_DIR/load.json"
  local rc=$?
  rm -rf "$ckpt"
  return $rc
}

default_run() {
  local t0 t1
  t0=$(date +%s.%N)
  timeout "$LEFT" "$PY" -m tvbench --quiet run --output "$OUT_DIR/default-run" --no-report \
    || return 1
  t1=$(date +%s.%N)
  "$PY" -c "import json,sys; json.dump({'default_run_s': $t1 - $t0}, sys.stdout)" \
    > "$OUT_DIR/default-run.json"
}

if [ "$DRY" = 0 ]; then
  { "$PY" -c 'import sys, torch, transformers; print("python", sys.version.split()[0],
"torch", torch.__version__, "transformers", transformers.__version__,
"cuda", torch.cuda.is_available())'
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version \
      --format=csv; } > "$OUT_DIR/environment.txt" 2>&1
  say "environment: $(tr '\n' ' ' < "$OUT_DIR/environment.txt")"
fi
step photos 100 "${BENCH[@]}" --label "photos-$TAG" --model "$MODEL" --workload photos \
  "${PHOTOS[@]}" --json "$OUT_DIR/photos.json"
step loglikelihood 25 "${BENCH[@]}" --label "loglikelihood-$TAG" --model "$MODEL" \
  --workload loglikelihood "${LL[@]}" --json "$OUT_DIR/loglikelihood.json"
step load 70 load_step
step default-run 20 default_run
step invariant 45 "${BENCH[@]}" --label "invariant-$TAG" --model "$MODEL" --workload photos \
  "${INVARIANT[@]}" --batch-invariant --json "$OUT_DIR/invariant.json"
step compile 40 "${BENCH[@]}" --label "decode-plain-$TAG" --model "$MODEL" --workload bundled \
  "${DECODE[@]}" --new-tokens 64 --json "$OUT_DIR/decode-plain.json"
step compile 60 "${BENCH[@]}" --label "decode-compiled-$TAG" --model "$MODEL" \
  --workload bundled "${DECODE[@]}" --new-tokens 64 --compile "$COMPILE" \
  --json "$OUT_DIR/decode-compiled.json"
[ "$DRY" = 1 ] || say "finished in $(($(date +%s) - START))s; results in $OUT_DIR"
exit $FAILED
