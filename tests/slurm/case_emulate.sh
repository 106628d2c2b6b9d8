# Slurm case: `sbatch --wait slurm/emulate.sbatch` on a small trace with the cpu backend (the
# node has no GPUs that nvidia-smi sees, so auto picks cpu), then a check of the results file.
# Runs in its submit directory with results/ in it; see run_slurm_test.sh for the environment.
set -euo pipefail
source "$(dirname "$0")/slurm_case_common.sh"

trace=$DLSCHED_SOURCE_DIR/tests/mpi/data/tiny-2gpu.csv
# Two GPUs of the node, one CPU each: rank 0 shares them with the two workers (--overcommit
# of the step), as on a real node.
jobid=$(sbatch --parsable --wait --job-name=e2e-emu --gpus-per-node=2 --cpus-per-gpu=1 \
  "$DLSCHED_SOURCE_DIR/slurm/emulate.sbatch" --trace "$trace" --policy fifo \
  -- "${SLURM_CASE_EMULATE_ARGS[@]}") || fail "the batch job failed (sbatch --wait: $?)"

out=results/e2e-emu_$jobid.h5
log=results/e2e-emu_$jobid.out
[ -f "$out" ] || fail "no results file $out"
grep -q "2 workers + rank 0 on $(hostname -s), backend cpu" "$log" ||
  fail "the job log does not show 2 workers + rank 0 with the cpu backend"
check_emulation "$out" "$trace"
expect_trace_iterations "$out" "$trace"
expect_attribute "$out" policy fifo
expect_attribute "$out" backend cpu
echo "PASS: job $jobid wrote $out"
