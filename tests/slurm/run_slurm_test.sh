#!/usr/bin/env bash
# Runs one end-to-end case against a throwaway single-node Slurm started for it alone.
#   run_slurm_test.sh CASE_SCRIPT LIMIT_S
# Environment: DLSCHED (executable), DLSCHED_SOURCE_DIR (checkout, for slurm/ and jobs/),
# CHECKER (emu_check_results). The case runs in a fresh directory (its submit directory) under
# `timeout LIMIT_S`, so the daemons are stopped by this script's EXIT trap even when the case
# hangs; ctest's own TIMEOUT is larger. Exit 77 (ctest SKIP_RETURN_CODE): Slurm cannot run here,
# with the reason printed.
set -uo pipefail
case_script=$1
limit=$2
here=$(cd "$(dirname "$0")" && pwd)

skip() {
  echo "SKIPPED: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "a throwaway Slurm needs root (slurmd runs jobs as their user)"
for cmd in munged mungekey slurmctld slurmd sbatch srun scontrol squeue scancel; do
  command -v "$cmd" > /dev/null || skip "$cmd is not installed (scripts/install-deps.sh installs Slurm)"
done

# The cases give each job two GPUs with one CPU each, on a node of $(nproc) CPUs.
[ "$(nproc)" -ge 2 ] || skip "the cases need 2 CPUs, this machine has $(nproc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/dlsched-slurm.XXXXXX")
# shellcheck source=single_node_slurm.sh
source "$here/single_node_slurm.sh"
finish() {
  local status=$?
  trap - EXIT TERM INT HUP
  [ -n "${case_pid:-}" ] && kill -TERM "$case_pid" 2> /dev/null
  slurm_cluster_stop
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    for log in "$work"/slurm/log/*.log "$work"/run/results/*.out; do
      [ -f "$log" ] && { echo "---- tail of ${log#"$work"/}"; tail -n 40 "$log"; }
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap finish EXIT
trap 'exit 143' TERM INT HUP

slurm_cluster_start "$work/slurm" || { echo "FAIL: Slurm did not start"; exit 1; }
srun --mpi=list 2>&1 | grep -q pmix ||
  skip "this Slurm has no PMIx MPI plugin (srun --mpi=list: $(srun --mpi=list 2>&1 | tr '\n' ' '))"

mkdir -p "$work/run/results"
cd "$work/run" || exit 1
# In the background: `wait` returns when a signal arrives, so the traps run at once.
timeout --kill-after=10 "$limit" bash "$case_script" &
case_pid=$!
wait "$case_pid"
status=$?
[ "$status" -eq 124 ] && echo "FAIL: the case did not finish within $limit s"
exit "$status"
