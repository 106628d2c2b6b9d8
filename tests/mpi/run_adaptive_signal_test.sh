#!/usr/bin/env bash
# A stop signal during an emulation of adaptive jobs, which keeps no checkpoint: SIGUSR1 to the
# launcher DELAY seconds after the results file appears must end the run within 20 s, non-zero,
# with rank 0 saying why; the rows flushed so far stay readable (an incomplete run for report).
#   run_adaptive_signal_test.sh DELAY OUT DLSCHED LAUNCHER... -- EMULATE_ARGS...
set -u
delay=$1 out=$2 dlsched=$3
shift 3
launcher=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do launcher+=("$1"); shift; done
shift
fail() { echo "FAIL: $*"; exit 1; }

rm -f "$out"
log="$out.log"
"${launcher[@]}" "$@" -o "$out" >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -e "$out" ] && break; sleep 0.1; done
[ -e "$out" ] || fail "no results file after 10 s"
sleep "$delay"
kill -USR1 "$pid"
start=$SECONDS
# A run still there after 20 s is killed and fails the test instead of blocking it.
for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  kill -KILL "$pid"
  cat "$log"
  fail "the run did not end within 20 s of the signal"
fi
wait "$pid"
rc=$?
cat "$log"
[ "$rc" -ne 0 ] || fail "the run exited 0 after a stop signal"
grep -q "SIGUSR1 at t=.*a run of adaptive jobs keeps no checkpoint" "$log" ||
  fail "rank 0 did not say why it stopped"
"$dlsched" report "$out" >"$out.report" 2>&1 || fail "report could not read $out: $(cat "$out.report")"
grep -q "incomplete" "$out.report" || fail "report did not call the run incomplete"
echo "stopped with exit $rc in $((SECONDS - start)) s"
