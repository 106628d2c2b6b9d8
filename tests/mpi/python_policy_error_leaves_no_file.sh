#!/usr/bin/env bash
# emulate with a Python policy that answers with an unknown job: the run stops with a message
# naming the policy and the round, exits non-zero, and leaves no results file behind.
# usage: MPIEXEC DLSCHED SOURCE_DIR
set -uo pipefail
mpiexec=$1 dlsched=$2 src=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'job_id,submit_time,model,num_gpus,iterations\na,0,resnet50,1,20\nb,0,resnet50,1,20\n' > "$work/t.csv"
"$mpiexec" --oversubscribe --allow-run-as-root -n 3 "$dlsched" emulate --trace "$work/t.csv" \
  --cluster 1x2:v100 --comm-scale 0.001 --time-scale 0.01 \
  --policy "python:$src/tests/mpi/data/bad_python_policy.py:Bad" -o "$work/run.h5" > "$work/out.txt" 2>&1
rc=$?
cat "$work/out.txt"
[ "$rc" -ne 0 ] || { echo "FAIL: exit 0"; exit 1; }
grep -q "python policy Bad: round 0" "$work/out.txt" || { echo "FAIL: no message naming the policy and round"; exit 1; }
[ ! -e "$work/run.h5" ] || { echo "FAIL: results file left behind"; exit 1; }
echo "ok: refused, no results file"
