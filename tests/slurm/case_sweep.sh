# Slurm case: `sbatch slurm/sweep.sbatch` over 3 policies (a throttled job array, one emulation
# per task) gives 3 results files, which `dlsched report` reads as one table.
set -euo pipefail
source "$(dirname "$0")/slurm_case_common.sh"

trace=$DLSCHED_SOURCE_DIR/tests/mpi/data/tiny-2gpu.csv
policies=(fifo srtf las)
# Short restores: las preempts every round on this trace.
extra="${SLURM_CASE_EMULATE_ARGS[*]} --restore-delay 0.1 --no-model-restore"
jobid=$(POLICIES="${policies[*]}" TRACE=$trace EXTRA=$extra \
  sbatch --parsable --job-name=e2e-sweep --gpus-per-node=2 --cpus-per-gpu=1 \
  "$DLSCHED_SOURCE_DIR/slurm/sweep.sbatch")
wait_until_completed "$jobid"

# The script's own array range and throttle (#SBATCH --array=0-2%2) were used.
scontrol show job "$jobid" | grep -q 'ArrayTaskThrottle=2' || fail "array $jobid is not throttled to 2"
files=()
for task in 0 1 2; do
  out=results/e2e-sweep_${jobid}_$task.h5
  [ -f "$out" ] || fail "no results file $out"
  check_emulation "$out" "$trace"
  expect_attribute "$out" policy "${policies[$task]}"
  files+=("$out")
done
[ "$(find results -name '*.h5' | wc -l)" -eq 3 ] || fail "expected exactly 3 results files"

"$DLSCHED" report "${files[@]}" || fail "dlsched report cannot read the sweep"
reported=$("$DLSCHED" report --format json --group-by policy "${files[@]}" |
  /usr/bin/python3 -c 'import json,sys; print(" ".join(sorted(r["policy"] for r in json.load(sys.stdin))))')
[ "$reported" = "fifo las srtf" ] || fail "report --group-by policy lists '$reported'"
echo "PASS: array $jobid wrote ${files[*]}"
