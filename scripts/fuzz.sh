#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS (default 60) on its seeds and prints the executions
# each one made. Builds the `fuzz` preset first (clang; ASan and UBSan; every library
# instrumented for coverage) into build-fuzz/. What each target learns is kept in
# build-fuzz/fuzz-corpus/<target>/ and grows from run to run; a crash, hang (10 s), leak or
# sanitizer report is saved to build-fuzz/fuzz-findings/<target>-... and makes the script
# exit 1.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS per target]" >&2; exit 2 ;; esac

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
failed=()
total=0
printf '%-24s %12s  %s\n' target executions result
for binary in "$fuzz_dir"/libfuzz_*; do
  name=${binary##*/libfuzz_}
  corpus=build-fuzz/fuzz-corpus/$name
  log=build-fuzz/fuzz-logs/$name.log
  mkdir -p "$corpus"
  # The first directory receives what the fuzzer finds new; the seeds stay as they are.
  # -timeout is the hang bound per input; -rss_limit_mb bounds memory (a reader must refuse
  # an input that asks for more). Leaks are findings too (ASan's default).
  rc=0
  "$binary" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build-fuzz/fuzz-findings/$name-" "$corpus" "$fuzz_dir/seeds/$name" \
    >"$log" 2>&1 || rc=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  total=$((total + ${executions:-0}))
  if [ "$rc" -eq 0 ]; then
    printf '%-24s %12s  ok\n' "$name" "${executions:-?}"
  else
    printf '%-24s %12s  FAILED (exit %s; log %s)\n' "$name" "${executions:-?}" "$rc" "$log"
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
