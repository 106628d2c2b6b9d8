#!/usr/bin/env bash
# Simulates every registered policy on one trace and prints the comparison table of
# docs/policy-comparison.md. Defaults: Gavel's medium trace on a 3-type cluster (4 V100 +
# 4 P100 + 4 K80) with Gavel's measured throughputs, under `--mechanism gavel` (Gavel's
# simulator's rounds: 360 s, its priorities and resets, every job re-placed each round).
# Under MECHANISM=dlsched the rounds are 360 s too, and Gandiva (then the OSDI'18 policy) also
# runs with packing off (gandiva-no-packing.h5), to show what packing changes.
# Policies that run only under another mechanism (pollux, optimus-oracle) are left out.
#   usage: [MECHANISM=dlsched] scripts/compare-policies.sh [TRACE [CLUSTER [OUTDIR]]]
set -euo pipefail
cd "$(dirname "$0")/.."
DLSCHED=${DLSCHED:-build/src/dlsched}
MECHANISM=${MECHANISM:-gavel}
TRACE=${1:-jobs/traces/gavel-medium_test.trace}
CLUSTER=${2:-1x4:v100,1x4:p100,1x4:k80}
OUT=${3:-results/policy-comparison-$MECHANISM}
mkdir -p "$OUT"
run() {
  "$DLSCHED" simulate --quiet --no-progress --trace "$TRACE" --cluster "$CLUSTER" \
    --throughputs jobs/traces/gavel-simulation_throughputs.json --mechanism "$MECHANISM" \
    ${ROUND:+--round-length "$ROUND"} "$@"
}
files=()
ROUND=""
[[ $MECHANISM == dlsched ]] && ROUND=360
for policy in $("$DLSCHED" simulate --list-policies | awk '/^[a-z]/ {print $1}'); do
  case "$policy" in pollux | optimus-oracle) continue ;; esac
  run --policy "$policy" -o "$OUT/$policy.h5"
  files+=("$OUT/$policy.h5")
done
if [[ $MECHANISM == dlsched ]]; then
  run --policy gandiva --policy-param packing=0 -o "$OUT/gandiva-no-packing.h5"
  files+=("$OUT/gandiva-no-packing.h5")
fi
"$DLSCHED" report "${files[@]}"
