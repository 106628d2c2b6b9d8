# A throwaway single-node Slurm (munged, slurmctld, slurmd) inside one directory, for tests.
# Sourced by run_slurm_test.sh:
#   slurm_cluster_start DIR   generates a munge key, writes slurm.conf and gres.conf, starts the
#                             three daemons (in the foreground, as our children, so we know
#                             their pids) and waits until the node is idle; exports SLURM_CONF
#   slurm_cluster_stop        cancels every job, ends the job steps, stops the daemons it started
# Nothing outside DIR is written: no /etc/slurm, no /run/munge, no system services.
# Needs root: slurmd starts jobs as the submitting user and must be allowed to.

# Fake GPUs, so that jobs ask for them as on a real cluster (--gpus-per-node). gres/gpu drops
# GPUs without a character device file, so each is a link of ours to /dev/null; nothing opens
# it (task/none constrains no devices), and the emulation itself runs the cpu backend.
SLURM_TEST_GPUS_PER_NODE=4
slurm_cluster_pids=()

slurm_cluster_log() { echo "slurm-test: $*"; }

# Two TCP ports nobody listens on now (the kernel picks them), for slurmctld and slurmd.
slurm_cluster_free_ports() {
  /usr/bin/python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

slurm_cluster_write_conf() {
  local dir=$1 host=$2 ctld_port=$3 slurmd_port=$4
  cat > "$dir/etc/slurm.conf" <<EOF
ClusterName=dlschedtest
# Addresses given, so nothing depends on how (or whether) the host name resolves.
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
# cred_expire: how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
MpiDefault=pmix
# No cgroup hierarchy is ours to manage in a container: track processes through /proc (and see
# cgroup.conf below).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Look at pending jobs every few seconds (default 60 and 30): a requeued job starts soon after
# it becomes eligible.
SchedulerParameters=sched_interval=2,bf_interval=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobRequeue=1
ReturnToService=2
# Keep finished jobs visible to scontrol while the test inspects them.
MinJobAge=600
KillWait=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/etc/plugstack.conf
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) Gres=gpu:$SLURM_TEST_GPUS_PER_NODE State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  mkdir -p "$dir/dev"
  for ((i = 0; i < SLURM_TEST_GPUS_PER_NODE; i++)); do ln -s /dev/null "$dir/dev/gpu$i"; done
  echo "NodeName=$host Name=gpu File=$dir/dev/gpu[0-$((SLURM_TEST_GPUS_PER_NODE - 1))]" \
    > "$dir/etc/gres.conf"
  : > "$dir/etc/plugstack.conf"
  # slurmd initialises a cgroup plugin even with proctrack/linuxproc and task/none, and stops
  # when /sys/fs/cgroup holds no hierarchy it recognises (e.g. an empty one in a container).
  # Pointed at an empty directory of ours, the v1 plugin loads and no real cgroup is touched;
  # this works alike with a v1, a v2 or no cgroup file system.
  mkdir -p "$dir/cgroup"
  printf 'CgroupPlugin=cgroup/v1\nCgroupMountpoint=%s\n' "$dir/cgroup" > "$dir/etc/cgroup.conf"
}

# Waits until `scontrol show node` says the node takes jobs, or fails after 60 s.
slurm_cluster_wait_idle() {
  local host=$1 state=""
  for _ in $(seq 120); do
    state=$(scontrol show node "$host" 2>/dev/null | sed -n 's/.*State=\([^ ]*\).*/\1/p')
    case $state in IDLE*|MIXED*|ALLOCATED*) return 0 ;; esac
    for pid in "${slurm_cluster_pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { slurm_cluster_log "a daemon (pid $pid) died"; return 1; }
    done
    sleep 0.5
  done
  slurm_cluster_log "node $host is '$state' after 60 s"
  return 1
}

slurm_cluster_start() {
  local dir=$1 host ports
  host=$(hostname -s)
  mkdir -p "$dir"/{etc,munge,state,spool,tmp,run,log}
  chmod 700 "$dir/munge"
  read -r -a ports <<< "$(slurm_cluster_free_ports)"
  slurm_cluster_write_conf "$dir" "$host" "${ports[0]}" "${ports[1]}"
  export SLURM_CONF=$dir/etc/slurm.conf

  mungekey --create --keyfile="$dir/munge/munge.key" || return 1
  munged --foreground --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
    > "$dir/log/munged.out" 2>&1 &
  slurm_cluster_pids+=($!)
  for _ in $(seq 40); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.25; done
  [ -S "$dir/munge/munge.socket" ] || { slurm_cluster_log "munged did not start"; return 1; }

  slurmctld -D -i -f "$SLURM_CONF" > "$dir/log/slurmctld.out" 2>&1 &
  slurm_cluster_pids+=($!)
  slurmd -D -f "$SLURM_CONF" > "$dir/log/slurmd.out" 2>&1 &
  slurm_cluster_pids+=($!)
  slurm_cluster_wait_idle "$host" || return 1
  slurm_cluster_log "Slurm up on $host (ports ${ports[*]}, $(nproc) CPUs, state in $dir)"
}

slurm_cluster_stop() {
  [ -n "${SLURM_CONF:-}" ] || return 0
  # Let slurmd end the job steps it started (they are not our children), then the daemons.
  if [ ${#slurm_cluster_pids[@]} -ge 3 ] && kill -0 "${slurm_cluster_pids[2]}" 2>/dev/null; then
    scancel --quiet --full "--user=$(id -un)" 2>/dev/null
    for _ in $(seq 40); do
      [ -z "$(squeue --noheader --states=RUNNING,COMPLETING,PENDING,CONFIGURING 2>/dev/null)" ] \
        && break
      sleep 0.5
    done
    # Whatever a stuck step left behind, by the pids slurmd tracked for its jobs.
    local leftovers
    leftovers=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1}')
    [ -n "$leftovers" ] && kill -KILL $leftovers 2>/dev/null
  fi
  local i
  for ((i = ${#slurm_cluster_pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${slurm_cluster_pids[i]}" 2>/dev/null
  done
  for pid in "${slurm_cluster_pids[@]}"; do
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  slurm_cluster_pids=()
  slurm_cluster_log "Slurm stopped"
}
