# Helpers of the Slurm cases (sourced): checks of results files written by the batch scripts.
# Environment: DLSCHED, DLSCHED_SOURCE_DIR, CHECKER (see run_slurm_test.sh).

# Small gradients and sleep compute: a few ranks share two cores without distorting times.
SLURM_CASE_EMULATE_ARGS=(--models "$DLSCHED_SOURCE_DIR/jobs/models.toml" --comm-scale 0.001
  --round-length 1 --quiet)
export DLSCHED DLSCHED_ROOT=$DLSCHED_SOURCE_DIR

fail() {
  echo "FAIL: $*"
  exit 1
}

# Number of jobs (data rows) in a dlsched CSV trace.
trace_jobs() { grep -cv -e '^job_id,' -e '^[[:space:]]*$' "$1"; }

# A results file of a finished emulation: the checker's invariants (every job finished with
# exactly its iterations, progress rows adding up to them, no GPU held twice) and one job row
# per trace row.
check_emulation() {
  local out=$1 trace=$2 jobs
  "$CHECKER" "$out" || fail "$out: results check failed"
  jobs=$("$DLSCHED" report --format json "$out" |
    /usr/bin/python3 -c 'import json,sys; r = json.load(sys.stdin)[0]; print(r["jobs"] if r["finished"] == r["jobs"] else -1)') ||
    fail "dlsched report cannot read $out"
  [ "$jobs" -eq "$(trace_jobs "$trace")" ] ||
    fail "$out: $jobs finished jobs (-1: some unfinished), the trace has $(trace_jobs "$trace")"
}

# A root attribute of a results file equals the expected text.
expect_attribute() {
  local out=$1 name=$2 want=$3 got
  got=$(/usr/bin/python3 -c 'import h5py,sys
v = h5py.File(sys.argv[1], "r").attrs[sys.argv[2]]
print(v.decode() if isinstance(v, bytes) else v)' "$out" "$name") ||
    fail "$out: no attribute $name"
  [ "$got" = "$want" ] || fail "$out: attribute $name is '$got', expected '$want'"
}

# Every job of a dlsched CSV trace did exactly the trace's iterations, counted from the
# results file's /progress rows (what the workers reported, round by round, across restarts).
expect_trace_iterations() {
  /usr/bin/python3 - "$1" "$2" << 'PY' || fail "$1: iterations differ from the trace $2"
import csv, sys
from collections import defaultdict
import h5py
out, trace = sys.argv[1], sys.argv[2]
with open(trace) as f:
    want = {row["job_id"]: int(row["iterations"]) for row in csv.DictReader(f)}
with h5py.File(out, "r") as f:
    jobs, progress = f["jobs"][()], f["progress"][()]
name = {int(j["job"]): j["job_id"].decode() for j in jobs}
done = defaultdict(float)
for p in progress:
    done[name[int(p["job"])]] += float(p["iterations"])
bad = [f"{j}: {done.get(j, 0):g} of {n}" for j, n in want.items() if done.get(j, 0) != n]
print(f"{len(progress)} progress rows; iterations per job as in the trace: {not bad}")
if bad or set(done) != set(want):
    sys.exit("iterations per job differ: " + ", ".join(bad))
PY
}

# Waits until job (or array) JOBID, every task of it, has ended: polled every second from
# scontrol (sbatch --wait backs off up to half a minute between polls; squeue may not list a job
# in the middle of its requeue). Then checks that all of it COMPLETED.
wait_until_completed() {
  local jobid=$1 states
  while :; do
    states=$(scontrol show job "$jobid" | tr ' ' '\n' | sed -n 's/^JobState=//p' | sort -u | xargs)
    [[ " $states " =~ \ (PENDING|CONFIGURING|RUNNING|COMPLETING|REQUEUED|REQUEUE_FED|RESIZING|SUSPENDED|SIGNALING|STAGE_OUT)\  ]] ||
      break
    sleep 1
  done
  [ "$states" = COMPLETED ] ||
    fail "job $jobid ended '$states': $(scontrol show job "$jobid" | grep -o 'ExitCode=[^ ]*' | xargs)"
}

# One field of `scontrol show job JOBID` (first occurrence).
job_field() { scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
