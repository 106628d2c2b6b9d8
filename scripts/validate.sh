#!/usr/bin/env bash
# The validation loop of docs/validation.md on a bundled tiny trace: for fifo, las and one
# Gavel policy, simulate, emulate twice (run-to-run spread) and compare job by job.
#   usage: scripts/validate.sh [OUTDIR]
# Environment: DLSCHED (binary, default build/src/dlsched), MPIEXEC (default mpiexec),
# THROUGHPUTS (optional profile table for simulate --throughputs; when absent the simulator
# uses the trace's durations, which the emulator's sleep mode reproduces).
# Prints one summary CSV row per comparison and writes the tables to OUTDIR/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
DLSCHED=${DLSCHED:-build/src/dlsched}
MPIEXEC=${MPIEXEC:-mpiexec}
OUT=${1:-results/validation}
TRACE=tests/mpi/data/tiny-4gpu.csv
# Many ranks on few cores, possibly as root (containers).
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
LAUNCH=("$MPIEXEC" -n 5)
if "$MPIEXEC" --version 2>/dev/null | grep -q "Open MPI"; then
  LAUNCH=("$MPIEXEC" --oversubscribe -n 5)
fi
COMMON=(--models jobs/models.toml --trace "$TRACE" --cluster 1x4:v100 --quiet)
SIM_EXTRA=()
if [[ -n "${THROUGHPUTS:-}" ]]; then SIM_EXTRA=(--throughputs "$THROUGHPUTS"); fi
mkdir -p "$OUT"

# policy, then the knobs both drivers get: short rounds and restores make las preempt.
run_case() {
  local name=$1; shift
  "$DLSCHED" simulate "${COMMON[@]}" "$@" "${SIM_EXTRA[@]}" --no-progress -o "$OUT/$name-sim.h5"
  for i in 1 2; do
    "${LAUNCH[@]}" "$DLSCHED" emulate "${COMMON[@]}" "$@" --comm-scale 0.001 \
      -o "$OUT/$name-emu$i.h5"
  done
  "$DLSCHED" compare "$OUT/$name-sim.h5" "$OUT/$name-emu1.h5" > "$OUT/$name-sim-vs-emu1.txt"
  "$DLSCHED" compare "$OUT/$name-emu1.h5" "$OUT/$name-emu2.h5" > "$OUT/$name-emu1-vs-emu2.txt"
}
run_case fifo --policy fifo --round-length 1
run_case las --policy las --round-length 0.3 --restore-delay 0.1 --no-model-restore
run_case gavel --policy gavel-maxmin --round-length 1 --restore-delay 0.1 --no-model-restore

header=1
for name in fifo las gavel; do
  for pair in "sim emu1" "emu1 emu2"; do
    set -- $pair
    csv=$("$DLSCHED" compare --format csv "$OUT/$name-$1.h5" "$OUT/$name-$2.h5")
    if [[ $header == 1 ]]; then echo "case,$(head -1 <<<"$csv")"; header=0; fi
    echo "$name:$1-vs-$2,$(tail -1 <<<"$csv")"
  done
done
