#!/usr/bin/env bash
# The main job: installs what is missing, builds, then
#  1. simulates the bundled Tiresias trace (60 jobs) on two 4-GPU V100 servers under several
#     policies and prints them side by side;
#  2. runs the same experiment, shrunk 100x in time, both simulated and emulated on 9 MPI
#     ranks of this machine (rank 0 schedules, 8 CPU workers stand in for the GPUs), and
#     prints the pairs side by side.
# Results land in results/demo/*.h5, figures in results/demo/figures/.
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

# Emulation: every input is scaled by 0.01 (a 300 s round becomes 3 s, well above the
# longest iteration); gradients are
# allreduced at 1/1000 of their size, as CPU ranks sharing two cores cannot move GPU-sized
# gradients in GPU time.
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
SCALED=(--trace "$TRACE" --cluster "$CLUSTER" --time-scale 0.01 --round-length 300)
for policy in fifo las; do
  # --whole-iterations: the simulator ends leases as the emulator does (between iterations).
  "$DLSCHED" simulate "${SCALED[@]}" --policy "$policy" --whole-iterations --no-progress --quiet \
    -o "$OUT/scaled-sim-$policy.h5"
  echo "emulating $policy on 9 MPI ranks (about a minute) ..."
  mpiexec --oversubscribe -n 9 "$DLSCHED" emulate "${SCALED[@]}" --policy "$policy" \
    --comm-scale 0.001 -o "$OUT/scaled-emu-$policy.h5" > "$OUT/scaled-emu-$policy.log"
done
echo
echo "== simulated and emulated: the same trace, 100x faster, 3 s rounds"
"$DLSCHED" report "$OUT"/scaled-*.h5

# Debian's python3 (h5py, pandas, matplotlib); another python3 earlier on PATH may lack them.
/usr/bin/python3 results/plots.py "$OUT"/sim-*.h5 -o "$OUT/figures"
/usr/bin/python3 results/plots.py "$OUT"/scaled-*-las.h5 -o "$OUT/figures/scaled-las"
echo "figures: $OUT/figures/*.png"
