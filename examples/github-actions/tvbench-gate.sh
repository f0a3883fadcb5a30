#!/usr/bin/env bash
# Evaluate a checkpoint on a fixed subset, gate it against a stored baseline run folder, and
# leave everything CI shows in one folder. Called by tvbench-gate.yml; runs anywhere tvbench
# is installed (no GitHub needed: GITHUB_STEP_SUMMARY is only appended to when it is set).
#
# Settings (environment):
#   TVBENCH_MODEL      the checkpoint: a tvbench.toml entry or FAMILY:PATH_OR_HUB_ID[@REV] (required)
#   TVBENCH_BASELINE   the baseline run folder (a committed folder or a downloaded artifact) (required)
#   TVBENCH_TASKS      comma-separated tasks (default: those of the baseline run)
#   TVBENCH_SUBSET     items per language of every task (default 50)
#   TVBENCH_SEED       which subset (default 0); the baseline must use the same subset and seed
#   TVBENCH_DATA       --data value(s), space-separated (default: the [run] data of tvbench.toml)
#   TVBENCH_OUT        output folder (default tvbench-gate)
#   TVBENCH_RUN_ARGS   extra `tvbench run` flags, e.g. "--batch-size 16 --max-new-tokens 64"
#   TVBENCH_GATE_ARGS  extra `tvbench gate` flags, e.g. "--max-drop 2 --min-items 20"
#
# Writes TVBENCH_OUT/runs/<model>.subsetN-seedS/ (the candidate run folder, the next baseline
# when uploaded), gate.md (also appended to $GITHUB_STEP_SUMMARY), junit.xml and
# report/leaderboard.{html,md} (candidate next to baseline). Exits with the gate's code:
# 0 pass, 1 regression, 2 not comparable; any other failure exits non-zero before the gate.
set -euo pipefail

: "${TVBENCH_MODEL:?set TVBENCH_MODEL to the checkpoint to evaluate}"
: "${TVBENCH_BASELINE:?set TVBENCH_BASELINE to the baseline run folder}"
subset="${TVBENCH_SUBSET:-50}"
seed="${TVBENCH_SEED:-0}"
out="${TVBENCH_OUT:-tvbench-gate}"
tvbench="${TVBENCH_CMD:-tvbench}"

if [ ! -f "$TVBENCH_BASELINE/results.json" ]; then
    echo "tvbench-gate: $TVBENCH_BASELINE has no results.json (not a run folder)" >&2
    exit 2
fi
tasks="${TVBENCH_TASKS:-$(python3 -c 'import json, sys
print(",".join(json.load(open(sys.argv[1]))["tasks"]))' "$TVBENCH_BASELINE/results.json")}"

data_args=()
for d in ${TVBENCH_DATA:-}; do data_args+=(--data "$d"); done
# shellcheck disable=SC2206  # word splitting of the extra flags is intended
extra=(${TVBENCH_RUN_ARGS:-})
# shellcheck disable=SC2206
gate_extra=(${TVBENCH_GATE_ARGS:-})

mkdir -p "$out"
$tvbench --quiet run --model "$TVBENCH_MODEL" --tasks "$tasks" --subset "$subset" \
    --seed "$seed" --output "$out/runs" --no-report "${data_args[@]}" "${extra[@]}"

candidate=""
for folder in "$out"/runs/*.subset"$subset"-seed"$seed"; do
    if [ -f "$folder/results.json" ]; then
        if [ -n "$candidate" ]; then
            echo "tvbench-gate: several subset runs in $out/runs; use a fresh TVBENCH_OUT" >&2
            exit 2
        fi
        candidate="$folder"
    fi
done
if [ -z "$candidate" ]; then
    echo "tvbench-gate: no run folder for subset $subset seed $seed in $out/runs" >&2
    exit 2
fi

status=0
$tvbench --quiet gate "$candidate" --baseline "$TVBENCH_BASELINE" \
    --markdown "$out/gate.md" --junit "$out/junit.xml" --report "$out/compare" \
    "${gate_extra[@]}" || status=$?

$tvbench --quiet report "$candidate" "$TVBENCH_BASELINE" --out "$out/report" --format md,html

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/gate.md" ]; then
    cat "$out/gate.md" >> "$GITHUB_STEP_SUMMARY"
fi
echo "tvbench-gate: candidate $candidate, gate exit $status; outputs in $out"
exit "$status"
