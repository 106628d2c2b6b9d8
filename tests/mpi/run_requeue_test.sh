#!/usr/bin/env bash
# A time limit under a real launcher: start `LAUNCHER dlsched emulate ...` in the background,
# send SIGNAL to the launcher DELAY seconds after the results file appears (the run has started,
# however slow the launch), expect a checkpoint in the results file and
# exit status EXPECT (75; "nonzero" where the launcher reports its own status, as Open MPI's
# mpirun does after SIGTERM); the first run already passes --resume, as a requeue script would,
# and must start a new run since the file does not exist yet; check the checkpoint against the
# rows written; check that a resume
# with another policy is refused and leaves the file alone; resume at least 3 s after the stop
# and expect every job to finish with exactly its iterations, and the time between the two
# launches to be counted apart, not as experiment time (emu_check_results --interrupted);
# resume once more and expect "finished, nothing to do".
#   run_requeue_test.sh SIGNAL DELAY EXPECT OUT CHECKER LAUNCHER... -- EMULATE_ARGS...
# EMULATE_ARGS must contain "--policy NAME" with NAME other than fifo.
set -u
signal=$1 delay=$2 expect=$3 out=$4 checker=$5
shift 5
launcher=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do launcher+=("$1"); shift; done
shift
args=("$@")
fail() { echo "FAIL: $*"; exit 1; }

# Runs the launcher; a hang is killed after 90 s and fails the test instead of blocking it.
run() { timeout -s KILL 90 "${launcher[@]}" "$@"; }

rm -f "$out"
log="$out.interrupted.log"
"${launcher[@]}" "${args[@]}" -o "$out" --resume >"$log" 2>&1 &
pid=$!
tenths=0
while [ ! -f "$out" ] && [ "$tenths" -lt 600 ] && kill -0 "$pid" 2>/dev/null; do
  sleep 0.1
  tenths=$((tenths + 1))
done
sleep "$delay"
kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "the run ended before the signal; lengthen the trace"; }
kill -s "$signal" "$pid"
for ((tenths = 0; tenths < 900; ++tenths)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"
  cat "$log"
  fail "the signalled run did not end within 90 s"
fi
wait "$pid"
rc=$?
stopped_at=$(date +%s.%N)
cat "$log"
echo "interrupted run: exit $rc"
if [ "$expect" = nonzero ]; then
  [ "$rc" -ne 0 ] || fail "the run finished although it was signalled"
else
  [ "$rc" -eq "$expect" ] || fail "exit status $rc, expected $expect"
fi
grep -q "does not exist; starting a new run" "$log" || fail "--resume of a missing file did not start a new run"
grep -q "checkpoint written to" "$log" || fail "rank 0 did not report a checkpoint"
"$checker" "$out" --checkpointed || fail "the checkpointed file is inconsistent"

# Another policy: refused, naming the field, before anything is written.
other=()
for ((i = 0; i < ${#args[@]}; ++i)); do
  other+=("${args[i]}")
  if [ "${args[i]}" = --policy ]; then other+=(fifo); i=$((i + 1)); fi
done
run "${other[@]}" -o "$out" --resume >"$out.refused.log" 2>&1
rc=$?
cat "$out.refused.log"
[ "$rc" -eq 2 ] || fail "a resume with another policy exited $rc, expected 2"
grep -q "policy differs" "$out.refused.log" || fail "the refusal does not name the policy"
"$checker" "$out" --checkpointed || fail "the refused resume changed the file"

# A stop of some seconds between allocations, as a requeue waits in the queue.
sleep 3
gap=$(awk -v a="$stopped_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
run "${args[@]}" -o "$out" --resume || fail "the resumed run failed: exit $?"
"$checker" "$out" --expect-preemptions --expect-requeue --interrupted "$gap" ||
  fail "the resumed run's results"

run "${args[@]}" -o "$out" --resume >"$out.again.log" 2>&1 || fail "resuming a finished run: exit $?"
grep -q "holds a finished run" "$out.again.log" || fail "resuming a finished run did not say so"
echo "checkpoint, refusal, resume and finished-run resume all as expected"
