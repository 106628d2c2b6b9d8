#!/usr/bin/env bash
# Builds examples/custom_policy out of tree against this build's dlsched package, then
# simulates with the plugin it produced.   usage: SOURCE_DIR BUILD_DIR DLSCHED
set -euo pipefail
src=$1 build=$2 dlsched=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake -S "$src/examples/custom_policy" -B "$work/build" -G Ninja -Ddlsched_DIR="$build" >/dev/null
cmake --build "$work/build" >/dev/null
plugin="$work/build/libsmallest_first.so"
# Captured first: grep -q stops reading at the match, and the writer's SIGPIPE would fail the
# pipeline under pipefail.
listed=$("$dlsched" simulate --policy-plugin "$plugin" --list-policies)
grep -q "^smallest-first " <<<"$listed"
"$dlsched" simulate --no-progress --policy-plugin "$plugin" --policy smallest-first \
  --trace "$src/jobs/traces/tiresias-60_job.csv" --cluster 2x4:v100 -o "$work/run.h5" | tee "$work/out.txt"
grep -q "finished 60/60" "$work/out.txt"
grep -q "policy smallest-first" "$work/out.txt"
echo "example plugin: built out of tree and ran"
