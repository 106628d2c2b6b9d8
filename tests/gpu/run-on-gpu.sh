#!/usr/bin/env bash
# Every GPU check of the cuda backend in one run, for the GPU test machine (see README.md):
# the backend tests on 1 and 2 ranks (overlapped and serialised training steps included),
# `dlsched emulate --backend cuda` on one worker and on two workers sharing the GPU (checked
# with emu_check_results), the no-GPU error path, and bench_gpu (GEMMs, the real iteration's
# GEMM sequence, allreduce busbw against bare NCCL).
# Expects .device/bin and .device/lib.tar.xz (tests/gpu/stage.sh) and .device/rt
# (make-bundle.sh). Writes at most 8 files under $OUT (default ./gpu-out): summary.txt (one line
# per step), bench_gpu.txt, and logs.tar.gz (every step's log, GoogleTest XML, results files,
# nvidia-smi, ldd). A step that fails, times out or skips (no usable GPU, a missing library)
# fails the run; the whole run ends within 7 minutes. Exit status: 0 if every step passed.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-./gpu-out}
mkdir -p "$OUT"
LOGS=$(mktemp -d)
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"
START=$SECONDS
BUDGET=${GPU_CHECK_BUDGET:-420}  # seconds for the whole run
failed=()

say() { echo "$*" | tee -a "$SUMMARY"; }
finish() {
  say "date: $(date -u); host: $(hostname); $((SECONDS - START)) s"
  say "failed steps: ${failed[*]:-none}"
  tar -C "$LOGS" -czf "$OUT/logs.tar.gz" . 2>/dev/null
  rm -rf "$LOGS"
  [[ ${#failed[@]} -eq 0 ]]
  exit $?
}

[[ -f .device/rt/env.sh ]] && . .device/rt/env.sh
# stage.sh packs the Debian libraries the GPU machine lacks (fmt, GLPK, OpenBLAS ...).
[[ -f .device/lib.tar.xz && ! -d .device/lib ]] && tar -C .device -xJf .device/lib.tar.xz

# CUDA, cuBLAS and NCCL from wherever the toolkit, the distribution or pip wheels put them.
cuda_dirs=()
for d in /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu \
         /usr/lib64 /opt/nvidia/*/lib; do
  [[ -d $d ]] && cuda_dirs+=("$d")
done
for py in python3 /usr/bin/python3; do
  if site=$("$py" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null); then
    for d in "$site"/nvidia/*/lib; do [[ -d $d ]] && cuda_dirs+=("$d"); done
    break
  fi
done
libpath=$(IFS=:; echo "${cuda_dirs[*]}")
# The bundle's Open MPI and HDF5 first, then the staged Debian libraries, then CUDA's.
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.device/lib${libpath:+:$libpath}
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export DLSCHED_NCCL_TIMEOUT=30  # a hung collective fails its step, not the run
BIN=.device/bin
MPI=(mpirun --oversubscribe --allow-run-as-root --bind-to none)
COMMON=(--models jobs/models.toml --quiet --compute kernel --backend cuda)

{ nvidia-smi; nvidia-smi topo -m; } >"$LOGS/nvidia-smi.txt" 2>&1
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
say "GPUs: $gpus ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1))"
for b in "$BIN"/*; do echo "# $b"; ldd "$b"; done >"$LOGS/ldd.txt" 2>&1
if grep -q "not found" "$LOGS/ldd.txt"; then
  say "missing libraries (searched: ${libpath:-nothing}):"
  grep "not found" "$LOGS/ldd.txt" | sort -u | tee -a "$SUMMARY"
  failed+=(libraries)
  finish
fi

# step NAME LIMIT CMD...: runs CMD within LIMIT seconds (less if the run's budget is nearly
# spent), its output in NAME.log; a GoogleTest skip or a "skipped" line is a failure.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET - (SECONDS - START)))
  ((limit > left)) && limit=$left
  if ((limit < 5)); then
    say "step $name: NOT RUN (the run's $BUDGET s are spent)"
    failed+=("$name")
    return
  fi
  local t0=$SECONDS rc=0
  timeout -k 5 "$limit" "$@" >"$LOGS/$name.log" 2>&1 || rc=$?
  local verdict=ok
  if ((rc == 124 || rc == 137)); then
    verdict="TIMED OUT after $limit s"
  elif ((rc != 0)); then
    verdict="FAILED (exit $rc)"
  elif grep -qE '\[  SKIPPED \]|: skipped' "$LOGS/$name.log"; then
    verdict="SKIPPED: $(grep -m1 -oE '\[  SKIPPED \].*|: skipped.*' "$LOGS/$name.log")"
  fi
  [[ $verdict == ok ]] || failed+=("$name")
  say "step $name: $verdict ($((SECONDS - t0)) s)$(path_of "$name")"
}

# The allreduce path each job took, from the cuda backend's line per job communicator.
path_of() {
  local nccl staged
  nccl=$(grep -c 'NCCL allreduce' "$LOGS/$1.log")
  staged=$(grep -c 'host-staged' "$LOGS/$1.log")
  ((nccl + staged > 0)) && echo "; job communicators: $nccl NCCL, $staged host-staged"
}

# expect_failure NAME LIMIT REGEX CMD...: CMD must exit non-zero within LIMIT, printing REGEX.
expect_failure() {
  local name=$1 limit=$2 regex=$3
  shift 3
  local t0=$SECONDS rc=0
  timeout -k 5 "$limit" "$@" >"$LOGS/$name.log" 2>&1 || rc=$?
  if ((rc != 0 && rc != 124 && rc != 137)) && grep -qE "$regex" "$LOGS/$name.log"; then
    say "step $name: ok (exit $rc, says: $(grep -m1 -oE "$regex" "$LOGS/$name.log")) ($((SECONDS - t0)) s)"
  else
    failed+=("$name")
    say "step $name: FAILED (exit $rc, expected a non-zero exit saying '$regex') ($((SECONDS - t0)) s)"
  fi
}

# One rank: the cases that need two members are left out rather than skipped.
step backend_cuda_np1 45 "${MPI[@]}" -n 1 "$BIN/test_backend_cuda" --gtest_color=no \
  --gtest_filter='-*AllreduceSumsFlagsOfAllMembers:*OverlappedStep*' \
  --gtest_output="xml:$LOGS/backend_cuda_np1.xml"
# Two ranks: on a one-GPU machine they share it, and the multi-member cases run the
# host-staged path (NCCL refuses a communicator whose ranks share a GPU).
((gpus == 1)) && say "note: one GPU: 2-rank steps share it and take the host-staged allreduce"
step backend_cuda_np2 60 "${MPI[@]}" -n 2 "$BIN/test_backend_cuda" --gtest_color=no \
  --gtest_output="xml:$LOGS/backend_cuda_np2.xml"
step backend_cpu_np2 30 "${MPI[@]}" -n 2 "$BIN/test_backend_cpu" --gtest_color=no

# One worker, 1-GPU jobs, LAS with 0.5 s rounds on one GPU: preemptions and resumes.
step emulate_cuda_1worker 60 "${MPI[@]}" -n 2 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/gpu/one-gpu-trace.csv --policy las --cluster 1x1:h100 --round-length 0.5 \
  --restore-delay 0.1 --no-model-restore -o "$LOGS/emulate_cuda_1worker.h5"
step check_cuda_1worker 15 "$BIN/emu_check_results" "$LOGS/emulate_cuda_1worker.h5" \
  --expect-preemptions
# Two workers (one per GPU where there are two; sharing it otherwise), a 2-GPU job among
# 1-GPU ones: the pair's communicator is freed when the 1-GPU jobs take its ranks.
step emulate_cuda_2workers 60 "${MPI[@]}" -n 3 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/mpi/data/tiny-2gpu.csv --policy fifo --cluster 1x2:h100 --round-length 0.5 \
  -o "$LOGS/emulate_cuda_2workers.h5"
step check_cuda_2workers 15 "$BIN/emu_check_results" "$LOGS/emulate_cuda_2workers.h5" \
  --expect-released
# No visible device: a clear error and a non-zero exit, no hang.
expect_failure emulate_cuda_no_device 30 "no CUDA device visible" \
  env CUDA_VISIBLE_DEVICES= "${MPI[@]}" -n 2 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/gpu/one-gpu-trace.csv --policy las --cluster 1x1:h100 --round-length 0.5

step bench_gpu 100 "${MPI[@]}" -n 1 "$BIN/bench_gpu" --max-mib 256 --models jobs/models.toml
cp "$LOGS/bench_gpu.log" "$OUT/bench_gpu.txt"
finish
