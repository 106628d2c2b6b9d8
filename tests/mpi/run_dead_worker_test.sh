#!/usr/bin/env bash
# A worker killed with SIGKILL (or stopped with SIGSTOP: hung) mid-run under a real launcher:
# rank 0 must notice (a dead process on its host at once, a hung one by the lease timeout), name
# the rank and its host, write a checkpoint of every reported lease and end the run non-zero within a
# bound (Open MPI's mpiexec signals the other ranks at once and kills them a second later, so
# nothing may wait); the file must read back (report) with the rounds before the failure; a
# resume on a new launch must finish every job with exactly its iterations.
#   run_dead_worker_test.sh SIGNAL VICTIM DELAY BOUND OUT CHECKER DLSCHED LAUNCHER... -- ARGS...
# SIGNAL: KILL or STOP, sent to world rank VICTIM (a worker, >= 1) DELAY seconds after the
# results file appears; BOUND: seconds within which the launcher must have ended after it.
set -u
signal=$1 victim=$2 delay=$3 bound=$4 out=$5 checker=$6 dlsched=$7
shift 7
if [ "$signal" = KILL ]; then
  named="worker rank $victim on host [^ ]+ failed \(its process exited\)"
else
  named="worker (rank [0-9]+ on host [^ ]+, )*rank $victim on host [^ ]+(, rank [0-9]+ on host [^ ]+)* stopped answering"
fi
launcher=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do launcher+=("$1"); shift; done
shift
args=("$@")
fail() { echo "FAIL: $*"; exit 1; }

# The launcher's child whose environment says it is world rank $1 (Open MPI and PMIx
# launchers set these variables); each launcher starts its local ranks as its children.
rank_pid() {
  local p
  for p in $(pgrep -P "$pid"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
        grep -qxE "(OMPI_COMM_WORLD_RANK|PMIX_RANK|PMI_RANK)=$1"; then
      echo "$p"
      return
    fi
  done
}

rm -f "$out"
log="$out.failed.log"
"${launcher[@]}" "${args[@]}" -o "$out" >"$log" 2>&1 &
pid=$!
for ((tenths = 0; tenths < 600; ++tenths)); do
  [ -f "$out" ] || ! kill -0 "$pid" 2>/dev/null && break
  sleep 0.1
done
sleep "$delay"
kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "the run ended before the signal; lengthen the trace"; }
target=$(rank_pid "$victim")
[ -n "$target" ] || { kill -KILL "$pid"; fail "no process of rank $victim among the launcher's children"; }
killed_at=$(date +%s%N)
kill -"$signal" "$target"
for ((tenths = 0; tenths < 10 * bound; ++tenths)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  for p in $(pgrep -P "$pid"); do kill -KILL "$p"; done
  kill -KILL "$pid"
  cat "$log"
  fail "the run did not end within $bound s of the signal"
fi
wait "$pid"
rc=$?
ended_at=$(date +%s%N)
stopped_at=$(date +%s.%N)
cat "$log"
[ -f "$out" ] || fail "no results file"
written_at=$(date -r "$out" +%s%N)
echo "run with a failed worker (SIG$signal): exit $rc; checkpoint written $(((written_at - killed_at) / 1000000)) ms" \
  "and the launcher ended $(((ended_at - killed_at) / 1000000)) ms after the signal"
[ "$rc" -ne 0 ] || fail "the run exited 0 although a worker died"
grep -qE "$named" "$log" || fail "no message naming rank $victim and its host"
grep -q "checkpoint written to" "$log" || fail "rank 0 did not report a checkpoint"
"$checker" "$out" --checkpointed || fail "the checkpoint does not match the rows written"
"$dlsched" report "$out" >"$out.report.txt" 2>&1 || { cat "$out.report.txt"; fail "report failed on the file"; }
cat "$out.report.txt"
grep -q "incomplete (status checkpointed)" "$out.report.txt" || fail "report does not call the run incomplete"

sleep 3  # the new allocation comes some time later; that time is not experiment time
gap=$(awk -v a="$stopped_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
timeout -s KILL 90 "${launcher[@]}" "${args[@]}" -o "$out" --resume >"$out.resumed.log" 2>&1
rc=$?
cat "$out.resumed.log"
[ "$rc" -eq 0 ] || fail "the resumed run failed: exit $rc"
grep -q "resuming .* from its checkpoint" "$out.resumed.log" || fail "the second run did not resume"
"$checker" "$out" --expect-requeue --interrupted "$gap" || fail "the resumed run's results"
echo "dead worker named, checkpoint written, report reads it, resume finished every job"
