#!/usr/bin/env bash
# The main job: installs what is missing, builds, then simulates the bundled Tiresias trace
# (60 jobs) on two 4-GPU V100 servers under several policies and prints them side by side.
# Results land in results/demo/*.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
DLSCHED=build/src/dlsched
TRACE=jobs/traces/tiresias-60_job.csv
CLUSTER=2x4:v100
OUT=results/demo
mkdir -p "$OUT"
for policy in fifo fifo-backfill srtf las; do
  "$DLSCHED" simulate --trace "$TRACE" --cluster "$CLUSTER" --policy "$policy" \
    --round-length 60 --no-progress --quiet -o "$OUT/sim-$policy.h5"
done
echo
echo "== simulated: $TRACE on $CLUSTER, 60 s rounds"
"$DLSCHED" report "$OUT"/sim-*.h5
# Debian's python3 (h5py, pandas, matplotlib); another python3 earlier on PATH may lack them.
/usr/bin/python3 results/plots.py "$OUT"/sim-*.h5 -o "$OUT/figures"
echo "figures: $OUT/figures/*.png"
