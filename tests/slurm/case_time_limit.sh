# Slurm case: a time limit cuts the emulation. With --time=2 --signal=B:USR1@30 Slurm signals the
# batch script 30-60 s before the limit (its timer ticks every ~30 s); the script forwards the
# signal, rank 0 checkpoints into the results file, the run exits 75, the script requeues the
# job, and the next run resumes with --resume. The trace needs ~100 s on two workers, so the
# first run is cut after 60-90 s and the second finishes well before its own signal.
set -euo pipefail
source "$(dirname "$0")/slurm_case_common.sh"

if ! "$DLSCHED" emulate --help | grep -q -- '--resume'; then
  echo "SKIPPED: this dlsched has no 'emulate --resume': checkpoint at the time limit is not built"
  exit 77
fi

trace=$DLSCHED_SOURCE_DIR/tests/slurm/data/time-limit.csv
submitted=$(date +%s)
jobid=$(sbatch --parsable --job-name=e2e-cut --gpus-per-node=2 --cpus-per-gpu=1 \
  --time=2 --signal=B:USR1@30 "$DLSCHED_SOURCE_DIR/slurm/emulate.sbatch" \
  --trace "$trace" --policy fifo -- "${SLURM_CASE_EMULATE_ARGS[@]}")

wait_until_completed "$jobid"
log=results/e2e-cut_$jobid.out
out=results/e2e-cut_$jobid.h5
restarts=$(job_field "$jobid" Restarts)
echo "job $jobid completed after $restarts requeue(s)"
[ "$restarts" -ge 1 ] || fail "job $jobid was never cut and requeued (raise the trace's length?)"
grep -q 'SIGUSR1 (time limit near)' "$log" || fail "the batch script never got SIGUSR1"
grep -q "checkpoint written to .*$out; requeueing job $jobid" "$log" ||
  fail "the run did not exit with the checkpoint status"
grep -q "run 2 of job $jobid: resuming" "$log" || fail "the requeued run did not resume"
grep -q "finished: .*$out" "$log" || fail "the last run did not finish"

check_emulation "$out" "$trace"
expect_trace_iterations "$out" "$trace"
echo "---- job log ($(($(date +%s) - submitted)) s from submission to the end)"
cat "$log"
echo "PASS: job $jobid was cut $restarts time(s), resumed and finished every job"
