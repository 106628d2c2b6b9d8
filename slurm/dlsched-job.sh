# Shared body of dlsched's batch scripts (emulate, sweep, simulate, profile); sourced, never
# submitted. It finds the binary, chooses the backend, lays out MPI ranks over the allocation
# and runs the emulation with checkpoint-and-requeue at the time limit.
#
# Rank layout: worker ranks 1..N each own one GPU; rank 0 (the scheduler) needs no GPU and
# little CPU, so it shares the first node with that node's workers. The step runs N+1 tasks
# with --distribution=arbitrary from a host file listing node 0 once for rank 0, then every
# node once per GPU. On node 0 the workers therefore have local ids 1..G and take GPUs
# 1..G-1 and 0 (dlsched uses local id mod visible GPUs): every GPU is used exactly once.

# Exit status of `dlsched emulate` after it wrote a checkpoint on SIGUSR1/SIGTERM.
readonly DLSCHED_EXIT_CHECKPOINTED=75

dlsched_job_die() {
  echo "${DLSCHED_SCRIPT:-dlsched-job}: error: $*" >&2
  exit 2
}

# The dlsched executable: $DLSCHED, else the checkout's build, else `dlsched` on PATH.
dlsched_job_binary() {
  local candidate=${DLSCHED:-$DLSCHED_ROOT/build/src/dlsched}
  if [ -x "$candidate" ]; then
    echo "$candidate"
  elif [ -z "${DLSCHED:-}" ] && command -v dlsched > /dev/null; then
    command -v dlsched
  else
    dlsched_job_die "no dlsched executable at $candidate (build it, or set DLSCHED=/path/to/dlsched)"
  fi
}

# Whether the cuda backend module was built for this binary: dlsched looks for it in
# $DLSCHED_MODULE_DIR, beside the executable (a build tree) and in ../lib/dlsched (installed).
dlsched_job_has_cuda_module() {
  local dir
  dir=$(dirname "$(readlink -f "$1")")
  for d in ${DLSCHED_MODULE_DIR:+"$DLSCHED_MODULE_DIR"} "$dir" "$dir/../lib/dlsched"; do
    [ -e "$d/dlsched_backend_cuda.so" ] && return 0
  done
  return 1
}

# Backend for the workers: $BACKEND unless it is auto; auto is cuda when nvidia-smi lists a GPU
# on this node and the binary was built with the cuda backend module, else cpu.
dlsched_job_backend() {
  local binary=$1 wanted=${BACKEND:-auto}
  if [ "$wanted" != auto ]; then
    echo "$wanted"
  elif command -v nvidia-smi > /dev/null && nvidia-smi -L 2> /dev/null | grep -q '^GPU' &&
    dlsched_job_has_cuda_module "$binary"; then
    echo cuda
  else
    echo cpu
  fi
}

# Worker ranks per node: $WORKERS_PER_NODE, else the GPUs per node of the allocation
# (--gpus-per-node=4 or =a100:4; with --gres=gpu:4, the GPUs of this node).
dlsched_job_workers_per_node() {
  local per_node=${WORKERS_PER_NODE:-${SLURM_GPUS_PER_NODE:-${SLURM_GPUS_ON_NODE:-}}}
  per_node=${per_node##*:}
  [[ "$per_node" =~ ^[1-9][0-9]*$ ]] ||
    dlsched_job_die "cannot tell how many workers per node: submit with --gpus-per-node=G" \
      "(or set WORKERS_PER_NODE=G for a CPU-only emulation); got '${per_node}'"
  echo "$per_node"
}

# Writes the host file of the rank layout described above; prints the number of ranks.
dlsched_job_rank_layout() {
  local hostfile=$1 per_node nodes
  per_node=$(dlsched_job_workers_per_node) || exit 2
  mapfile -t nodes < <(scontrol show hostnames "$SLURM_JOB_NODELIST")
  [ ${#nodes[@]} -gt 0 ] || dlsched_job_die "no nodes in SLURM_JOB_NODELIST='${SLURM_JOB_NODELIST:-}'"
  {
    echo "${nodes[0]}"
    for node in "${nodes[@]}"; do
      for ((i = 0; i < per_node; i++)); do echo "$node"; done
    done
  } > "$hostfile"
  echo $((${#nodes[@]} * per_node + 1))
}

# The srun command line of one MPI step with the layout above, into the array DLSCHED_SRUN:
#   dlsched_job_srun_command HOSTFILE NTASKS; "${DLSCHED_SRUN[@]}" command...
# A command line rather than a function, so that `"${DLSCHED_SRUN[@]}" ... &` makes srun itself
# the background process (env execs it) and a signal sent to $! reaches srun, not a subshell.
# --overcommit lets rank 0 share node 0's CPUs with its workers; the allocation's
# --ntasks-per-node (if any) is the job's shape, not this step's, so it is not passed on.
dlsched_job_srun_command() {
  DLSCHED_SRUN=(env -u SLURM_NTASKS_PER_NODE "SLURM_HOSTFILE=$1"
    srun --mpi=pmix --distribution=arbitrary "--ntasks=$2" --overcommit)
}

# Results file of this job: results/<job name>_<job id>.h5, or <array job id>_<task id> in an
# array. A requeued job keeps its id, so its next run finds the same file to resume.
dlsched_job_default_out() {
  local id=${SLURM_JOB_ID:-local}
  [ -n "${SLURM_ARRAY_JOB_ID:-}" ] && id=${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}
  echo "${RESULTS:-${SLURM_SUBMIT_DIR:-.}/results}/${SLURM_JOB_NAME:-dlsched}_${id}.h5"
}

# Trap handler of dlsched_job_emulate: passes SIGNAL on to the step (srun forwards it to every
# task), or keeps it for when the step has started. Uses the caller's `step` and `pending`.
dlsched_job_on_signal() {
  echo "dlsched-job: SIG$1 ($2): asking the run to checkpoint"
  if [ -n "$step" ]; then kill -s "$1" "$step" 2> /dev/null; else pending=$1; fi
}

# Runs `dlsched emulate` over the allocation and handles the time limit:
#   dlsched_job_emulate OUT dlsched-emulate-args...
# Slurm sends SIGUSR1 to this script only (--signal=B:USR1@S); it is forwarded to the step
# (srun passes it to every task), rank 0 finishes its round, writes a checkpoint into OUT and
# every rank exits with 75. The script then requeues the job; the next run (restart count > 0)
# continues with --resume. Any other non-zero status ends the job with that status.
dlsched_job_emulate() {
  local out=$1 binary backend hostfile ntasks
  shift
  binary=$(dlsched_job_binary) || exit 2
  backend=$(dlsched_job_backend "$binary")
  hostfile=$(mktemp "${TMPDIR:-/tmp}/dlsched-hosts.XXXXXX")
  ntasks=$(dlsched_job_rank_layout "$hostfile") || exit 2
  mkdir -p "$(dirname "$out")"
  local resume=()
  if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
    resume=(--resume)
    echo "dlsched-job: run $((SLURM_RESTART_COUNT + 1)) of job $SLURM_JOB_ID: resuming $out"
  fi
  echo "dlsched-job: $((ntasks - 1)) workers + rank 0 on $SLURM_JOB_NODELIST, backend $backend," \
    "results $out"

  # The traps are set before the step starts, so that an early signal is kept, not fatal.
  local step="" pending="" status
  trap 'dlsched_job_on_signal USR1 "time limit near"' USR1
  trap 'dlsched_job_on_signal TERM "job ending"' TERM
  dlsched_job_srun_command "$hostfile" "$ntasks"
  "${DLSCHED_SRUN[@]}" "$binary" emulate --backend "$backend" --out "$out" "${resume[@]}" "$@" &
  step=$!
  [ -n "$pending" ] && kill -s "$pending" "$step" 2> /dev/null
  # `wait` returns early when a trapped signal arrives; wait again until the step is gone.
  # (Written as an `if`: the batch scripts run under set -e.)
  while :; do
    if wait "$step"; then status=0; else status=$?; fi
    kill -0 "$step" 2> /dev/null || break
  done
  trap - USR1 TERM
  rm -f "$hostfile"

  if [ "$status" -eq "$DLSCHED_EXIT_CHECKPOINTED" ]; then
    echo "dlsched-job: checkpoint written to $out; requeueing job $SLURM_JOB_ID"
    scontrol requeue "$SLURM_JOB_ID" || dlsched_job_die "scontrol requeue $SLURM_JOB_ID failed;" \
      "resubmit with the same OUT to continue: the checkpoint is in $out"
    exit 0
  fi
  [ "$status" -eq 0 ] && echo "dlsched-job: finished: $out"
  exit "$status"
}

# One cell of a policy x seed sweep for array task $SLURM_ARRAY_TASK_ID: sets SWEEP_POLICY,
# SWEEP_SEED and SWEEP_ARGS (extra arguments of that line). Cells come from $SWEEP_LIST (lines
# `policy seed [dlsched args...]`, # comments) or from $POLICIES x $SEEDS, policy-major.
dlsched_job_sweep_cell() {
  local task=${SLURM_ARRAY_TASK_ID:-0} cells=()
  if [ -n "${SWEEP_LIST:-}" ]; then
    [ -r "$SWEEP_LIST" ] || dlsched_job_die "cannot read SWEEP_LIST=$SWEEP_LIST"
    mapfile -t cells < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SWEEP_LIST")
  else
    local policies seeds
    read -r -a policies <<< "${POLICIES:-fifo srtf las}"
    read -r -a seeds <<< "${SEEDS:-1}"
    for p in "${policies[@]}"; do for s in "${seeds[@]}"; do cells+=("$p $s"); done; done
  fi
  [ ${#cells[@]} -gt 0 ] || dlsched_job_die "the sweep has no cells"
  if ! [[ "$task" =~ ^[0-9]+$ ]] || [ "$task" -ge ${#cells[@]} ]; then
    dlsched_job_die "array task $task, but the sweep has ${#cells[@]} cells" \
      "(submit with --array=0-$((${#cells[@]} - 1))%N)"
  fi
  local fields
  read -r -a fields <<< "${cells[$task]}"
  SWEEP_POLICY=${fields[0]}
  SWEEP_SEED=${fields[1]:-1}
  SWEEP_ARGS=("${fields[@]:2}")
  [[ "$SWEEP_SEED" =~ ^[0-9]+$ ]] ||
    dlsched_job_die "${SWEEP_LIST:-SEEDS}: cell $task: seed '$SWEEP_SEED' is not a number"
}
