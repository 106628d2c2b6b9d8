#!/usr/bin/env bash
# The validation loop of docs/validation.md: profile the trace's models on the ranks, then for
# fifo, las and one Gavel policy simulate (with the profile; with it and the emulator's
# whole-iteration leases; without it, for contrast), emulate twice (run-to-run spread) and
# compare job by job.
#   usage: scripts/validate.sh [OUTDIR]
# Environment (defaults in brackets):
#   DLSCHED [build/src/dlsched]  MPIEXEC [mpiexec]
#   TRACE [tests/mpi/data/tiny-4gpu.csv]  CLUSTER [1x4:v100]: a NODESxGPUS[:type],... spec;
#     the runs start one driver rank plus one worker rank per GPU
#   COMPUTE [sleep] or kernel, FLOPS_SCALE [1]: how the workers compute (profile and emulate)
#   KNOBS: more flags for every run, e.g. "--time-scale 0.1"
#   FIFO_ROUND [1], LAS_ROUND [0.3], GAVEL_ROUND [1]: round lengths (before --time-scale)
#   POLICIES ["fifo las gavel"]: which of the three cases to run
#   PROFILE_ARGS ["--warmup 2 --iterations 10 --repetitions 3"]: the profile's repetitions
#   THROUGHPUTS: an existing profile table to use instead of profiling
# Prints one summary CSV row per comparison and writes the tables to OUTDIR/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
DLSCHED=${DLSCHED:-build/src/dlsched}
MPIEXEC=${MPIEXEC:-mpiexec}
OUT=${1:-results/validation}
TRACE=${TRACE:-tests/mpi/data/tiny-4gpu.csv}
CLUSTER=${CLUSTER:-1x4:v100}
COMPUTE=${COMPUTE:-sleep}
FLOPS_SCALE=${FLOPS_SCALE:-1}
read -r -a KNOBS <<<"${KNOBS:-}"
read -r -a PROFILE_ARGS <<<"${PROFILE_ARGS:---warmup 2 --iterations 10 --repetitions 3}"
POLICIES=${POLICIES:-fifo las gavel}
# Many ranks on few cores, possibly as root (containers).
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One driver rank plus one worker rank per GPU of the cluster spec.
GPUS=0
IFS=',' read -r -a GROUPS_ <<<"$CLUSTER"
for g in "${GROUPS_[@]}"; do
  shape=${g%%:*}
  GPUS=$((GPUS + ${shape%%x*} * ${shape##*x}))
done
NP=$((GPUS + 1))
LAUNCH=("$MPIEXEC" -n "$NP")
if "$MPIEXEC" --version 2>/dev/null | grep -q "Open MPI"; then
  LAUNCH=("$MPIEXEC" --oversubscribe -n "$NP")
fi
COMMON=(--models jobs/models.toml --trace "$TRACE" --cluster "$CLUSTER" "${KNOBS[@]}" --quiet)
WORK=(--compute "$COMPUTE" --flops-scale "$FLOPS_SCALE" --comm-scale 0.001)
mkdir -p "$OUT"

TABLE=${THROUGHPUTS:-}
if [[ -z "$TABLE" ]]; then
  TABLE=$OUT/profile.csv
  "${LAUNCH[@]}" "$DLSCHED" profile --models jobs/models.toml --trace "$TRACE" \
    --cluster "$CLUSTER" "${WORK[@]}" "${PROFILE_ARGS[@]}" \
    --out "$OUT/profile.h5" --table "$TABLE" > "$OUT/profile.txt"
fi

# policy, then the knobs both drivers get: short rounds and restores make las preempt.
run_case() {
  local name=$1; shift
  "$DLSCHED" simulate "${COMMON[@]}" "$@" --throughputs "$TABLE" --no-progress \
    -o "$OUT/$name-sim.h5"
  "$DLSCHED" simulate "${COMMON[@]}" "$@" --throughputs "$TABLE" --whole-iterations \
    --no-progress -o "$OUT/$name-whole.h5"
  "$DLSCHED" simulate "${COMMON[@]}" "$@" --no-progress -o "$OUT/$name-uncal.h5"
  for i in 1 2; do
    "${LAUNCH[@]}" "$DLSCHED" emulate "${COMMON[@]}" "$@" "${WORK[@]}" -o "$OUT/$name-emu$i.h5"
  done
  "$DLSCHED" compare "$OUT/$name-sim.h5" "$OUT/$name-emu1.h5" > "$OUT/$name-sim-vs-emu1.txt"
  "$DLSCHED" compare "$OUT/$name-whole.h5" "$OUT/$name-emu1.h5" > "$OUT/$name-whole-vs-emu1.txt"
  "$DLSCHED" compare "$OUT/$name-uncal.h5" "$OUT/$name-emu1.h5" > "$OUT/$name-uncal-vs-emu1.txt"
  "$DLSCHED" compare "$OUT/$name-emu1.h5" "$OUT/$name-emu2.h5" > "$OUT/$name-emu1-vs-emu2.txt"
}
for name in $POLICIES; do
  case $name in
    fifo) run_case fifo --policy fifo --round-length "${FIFO_ROUND:-1}" ;;
    las) run_case las --policy las --round-length "${LAS_ROUND:-0.3}" --restore-delay 0.1 \
           --no-model-restore ;;
    gavel) run_case gavel --policy gavel-maxmin --round-length "${GAVEL_ROUND:-1}" \
             --restore-delay 0.1 --no-model-restore ;;
    *) echo "validate.sh: unknown case '$name' (fifo, las, gavel)" >&2; exit 2 ;;
  esac
done

header=1
for name in $POLICIES; do
  for pair in "sim emu1" "whole emu1" "uncal emu1" "emu1 emu2"; do
    set -- $pair
    csv=$("$DLSCHED" compare --format csv "$OUT/$name-$1.h5" "$OUT/$name-$2.h5")
    if [[ $header == 1 ]]; then echo "case,$(head -1 <<<"$csv")"; header=0; fi
    echo "$name:$1-vs-$2,$(tail -1 <<<"$csv")"
  done
done
