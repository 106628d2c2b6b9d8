#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest); then, with
# DLSCHED_TEST_FULL=1, the fuzz stage (every libFuzzer target for DLSCHED_FUZZ_SECONDS,
# default 15, on its seeds) and the sanitizer stage (unit and simulator tests under ASan and
# UBSan), which compile a second, sanitized build. docs/testing.md says what each stage
# covers and how long it takes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset default "$@"
[ "${DLSCHED_TEST_FULL:-0}" = 1 ] || exit 0

stage() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: passed in $((SECONDS - start)) s"
}
stage fuzz scripts/fuzz.sh "${DLSCHED_FUZZ_SECONDS:-15}"
stage sanitize scripts/sanitize.sh
