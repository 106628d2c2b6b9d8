#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS (default 60) on its seeds and prints the executions
# each one made. Builds the `fuzz` preset first (clang; ASan and UBSan; every library
# instrumented for coverage) into build-fuzz/. What each target learns is kept in
# build-fuzz/fuzz-corpus/<target>/ and grows from run to run; a crash, hang (10 s), leak or
# sanitizer report is saved to build-fuzz/fuzz-findings/<target>-... and makes the script
# exit 1.
#   scripts/fuzz.sh [SECONDS [TARGET...]]    (TARGET: trace_gavel, results_file, ...; all if none)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS per target [TARGET...]]" >&2; exit 2 ;; esac
shift $(($# > 0 ? 1 : 0))
only=("$@")

scripts/install-deps.sh
[ -f build-fuzz/CMakeCache.txt ] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

fuzz_dir=build-fuzz/tests/fuzz
# The results file target's seeds are files a run of dlsched writes: take them from the default
# build's fuzz_seeds_results test when it ran (test.sh runs it first), else make them here.
results_seeds=$fuzz_dir/seeds/results_file
if ! compgen -G "$results_seeds/*.h5" >/dev/null; then
  if compgen -G "build/tests/fuzz/seeds/results_file/*.h5" >/dev/null; then
    mkdir -p "$results_seeds"
    cp build/tests/fuzz/seeds/results_file/*.h5 "$results_seeds/"
  else
    cmake --build build-fuzz --target dlsched -j "$(nproc)"
    ctest --test-dir build-fuzz -R '^fuzz_seeds_results$' --output-on-failure >/dev/null
  fi
fi

mkdir -p build-fuzz/fuzz-findings build-fuzz/fuzz-logs
# Suppressions for faults inside external libraries only (see the file).
export ASAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/asan.supp${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizers/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Executions of one libFuzzer run from its log: the final stats, or for a run that ended
# without them the last status line ("#12345 ...").
executions_in() {
  local n
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
  [ -n "$n" ] || n=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1)
  echo "${n:-0}"
}

failed=()
total=0
printf '%-24s %12s  %s\n' target executions result
for binary in "$fuzz_dir"/libfuzz_*; do
  name=${binary##*/libfuzz_}
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
  corpus=build-fuzz/fuzz-corpus/$name
  log=build-fuzz/fuzz-logs/$name.log
  mkdir -p "$corpus"
  : >"$log"
  deadline=$((SECONDS + seconds))
  executions=0
  rc=0
  restarts=0
  # The first directory receives what the fuzzer finds new; the seeds stay as they are.
  # -timeout is the hang bound per input; -rss_limit_mb bounds memory (a reader must refuse
  # an input that asks for more). Leaks are findings too (ASan's default).
  while [ $((left = deadline - SECONDS)) -ge 1 ]; do
    rc=0
    "$binary" -max_total_time="$left" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="build-fuzz/fuzz-findings/$name-" "$corpus" "$fuzz_dir/seeds/$name" \
      >"$log.run" 2>&1 || rc=$?
    cat "$log.run" >>"$log"
    executions=$((executions + $(executions_in "$log.run")))
    # A results file whose HDF5 global heap is damaged can make the library fault; dlsched's
    # ReadFaultGuard then ends the process with exit code 2 and "damaged file", the refusal
    # the command line gives (io/read_fault_guard.h). That ends this libFuzzer run but is no
    # finding: go on with the corpus learnt so far for the time left.
    if [ "$rc" -eq 2 ] && tail -n 3 "$log.run" | grep -q ': damaged file ('; then
      restarts=$((restarts + 1))
      rc=0
      continue
    fi
    break
  done
  rm -f "$log.run"
  total=$((total + executions))
  if [ "$rc" -eq 0 ]; then
    printf '%-24s %12s  ok%s\n' "$name" "$executions" \
      "$([ "$restarts" -gt 0 ] && echo " ($restarts damaged-file refusals)")"
  else
    printf '%-24s %12s  FAILED (exit %s; log %s)\n' "$name" "$executions" "$rc" "$log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|fuzz property broken)' "$log" \
      | sed 's/^/    /' | head -n 8
    failed+=("$name")
  fi
done
printf '%-24s %12s\n' total "$total"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]} (inputs in build-fuzz/fuzz-findings/)" >&2
  exit 1
fi
