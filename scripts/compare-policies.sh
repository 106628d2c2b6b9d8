#!/usr/bin/env bash
# Simulates every registered policy on one trace and prints the comparison table of
# docs/policy-comparison.md. Defaults: Gavel's medium trace on a 3-type cluster (4 V100 +
# 4 P100 + 4 K80) with Gavel's measured throughputs and 360 s rounds. Gandiva also runs with
# packing off (gandiva-no-packing.h5), to show what packing changes.
#   usage: scripts/compare-policies.sh [TRACE [CLUSTER [OUTDIR]]]
set -euo pipefail
cd "$(dirname "$0")/.."
DLSCHED=${DLSCHED:-build/src/dlsched}
TRACE=${1:-jobs/traces/gavel-medium_test.trace}
CLUSTER=${2:-1x4:v100,1x4:p100,1x4:k80}
OUT=${3:-results/policy-comparison}
mkdir -p "$OUT"
for policy in $("$DLSCHED" simulate --list-policies | awk '{print $1}'); do
  "$DLSCHED" simulate --quiet --no-progress --trace "$TRACE" --cluster "$CLUSTER" \
    --throughputs jobs/traces/gavel-simulation_throughputs.json --round-length 360 \
    --policy "$policy" -o "$OUT/$policy.h5"
done
"$DLSCHED" simulate --quiet --no-progress --trace "$TRACE" --cluster "$CLUSTER" \
  --throughputs jobs/traces/gavel-simulation_throughputs.json --round-length 360 \
  --policy gandiva --policy-param packing=0 -o "$OUT/gandiva-no-packing.h5"
"$DLSCHED" report "$OUT"/*.h5
