#!/usr/bin/env bash
# Runs the unit and simulator tests (ctest labels core, sched, sim, io, cli, adaptive) built
# with AddressSanitizer and UndefinedBehaviorSanitizer: the `fuzz` preset's build in
# build-fuzz/, which scripts/fuzz.sh shares, so that CI compiles one sanitized build for both
# stages. A sanitizer report fails its test. Left out: the MPI, Python, plugin and parity
# tests, which spend their time in processes the build does not instrument (mpiexec,
# python3) and take minutes each under ASan, and every policy on the 82k-job Philly trace
# (SampleTraces/philly_*: 20 s to over 3 min each under ASan; the same policies run on the
# other sample traces). Suppressions (scripts/sanitizers/) are only for faults inside
# external libraries, each with its reason.
#   scripts/sanitize.sh [extra ctest arguments, e.g. -R TraceReaders]
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD

scripts/install-deps.sh
[ -f build-fuzz/CMakeCache.txt ] || cmake --preset fuzz >/dev/null
cmake --build build-fuzz -j "$(nproc)" \
  --target dlsched test_core test_sched test_sim test_io test_cli test_adaptive

# halt_on_error: the first report ends the test, with the report in its output; leaks are
# reported too (LeakSanitizer, on by default with ASan on Linux).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:suppressions=$here/scripts/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$here/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/scripts/sanitizers/ubsan.supp"
ctest --preset sanitize "$@"
