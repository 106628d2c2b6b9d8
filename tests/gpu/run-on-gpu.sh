#!/usr/bin/env bash
# Every GPU check of the cuda backend in one run, for the H100 test machine (see README.md):
# backend unit tests on 1 and 2 ranks, `dlsched emulate --backend cuda` on one worker (1-GPU
# jobs, LAS with short rounds: preemptions) and on two workers sharing the GPU (host-staged
# allreduce), each checked with emu_check_results, the no-GPU error path, and bench_gpu.
# Expects .device/bin and .device/lib.tar.xz (tests/gpu/stage.sh) and .device/rt
# (make-bundle.sh); writes logs, results files and figures under $OUT (default ./gpu-out).
# Exit status: 0 if every step passed.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-./gpu-out}
mkdir -p "$OUT"
. .device/rt/env.sh
# stage.sh packs the Debian libraries the GPU machine lacks (fmt, GLPK, OpenBLAS ...).
[[ -f .device/lib.tar.xz && ! -d .device/lib ]] && tar -C .device -xJf .device/lib.tar.xz
# The bundle's Open MPI and HDF5 first, then the staged Debian libraries, then CUDA's.
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$PWD/.device/lib:/usr/local/cuda/lib64
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_mpi_yield_when_idle=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
BIN=.device/bin
MPI=(mpirun --oversubscribe --allow-run-as-root)
COMMON=(--models jobs/models.toml --quiet --compute kernel --backend cuda)
failed=()

# step NAME TIMEOUT CMD...: runs CMD with a time limit, its output in $OUT/NAME.log.
step() {
  local name=$1 limit=$2
  shift 2
  echo "== $name: $*"
  local t0=$SECONDS
  if timeout "$limit" "$@" >"$OUT/$name.log" 2>&1; then
    echo "   ok ($((SECONDS - t0)) s)"
  else
    echo "   FAILED (exit $?, $((SECONDS - t0)) s); last lines:"
    failed+=("$name")
  fi
  tail -n 25 "$OUT/$name.log" | sed 's/^/   | /'
}

# expect_failure NAME TIMEOUT REGEX CMD...: CMD must exit non-zero within TIMEOUT, printing REGEX.
expect_failure() {
  local name=$1 limit=$2 regex=$3
  shift 3
  echo "== $name (must fail): $*"
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -qE "$regex" "$OUT/$name.log"; then
    echo "   ok (exit $rc, says: $(grep -oE "$regex" "$OUT/$name.log" | head -1))"
  else
    echo "   FAILED (exit $rc)"
    failed+=("$name")
  fi
  tail -n 10 "$OUT/$name.log" | sed 's/^/   | /'
}

{ nvidia-smi; nvidia-smi topo -m; } >"$OUT/nvidia-smi.txt" 2>&1
for b in "$BIN"/*; do echo "# $b"; ldd "$b"; done >"$OUT/ldd.txt" 2>&1
if grep -q "not found" "$OUT/ldd.txt"; then
  echo "missing libraries:"; grep "not found" "$OUT/ldd.txt" | sort -u
fi

step backend_cuda_np1 120 "${MPI[@]}" -n 1 "$BIN/test_backend_cuda" \
  --gtest_output="xml:$OUT/backend_cuda_np1.xml"
# Two ranks on one GPU: the multi-member case runs the host-staged path (NCCL refuses a
# communicator whose ranks share a GPU).
step backend_cuda_np2 120 "${MPI[@]}" -n 2 "$BIN/test_backend_cuda" \
  --gtest_output="xml:$OUT/backend_cuda_np2.xml"
step backend_cpu_np2 120 "${MPI[@]}" -n 2 "$BIN/test_backend_cpu"

# One worker, 1-GPU jobs, LAS with 0.5 s rounds on one GPU: preemptions and resumes.
step emulate_cuda_1worker 180 "${MPI[@]}" -n 2 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/gpu/one-gpu-trace.csv --policy las --cluster 1x1:h100 --round-length 0.5 \
  --restore-delay 0.1 --no-model-restore -o "$OUT/emulate_cuda_1worker.h5"
step check_cuda_1worker 60 "$BIN/emu_check_results" "$OUT/emulate_cuda_1worker.h5" \
  --expect-preemptions
# The same in tf32.
step emulate_cuda_1worker_tf32 180 env DLSCHED_CUDA_PRECISION=tf32 "${MPI[@]}" -n 2 \
  "$BIN/dlsched" emulate "${COMMON[@]}" --trace tests/gpu/one-gpu-trace.csv --policy las \
  --cluster 1x1:h100 --round-length 0.5 --restore-delay 0.1 --no-model-restore \
  -o "$OUT/emulate_cuda_1worker_tf32.h5"
step check_cuda_1worker_tf32 60 "$BIN/emu_check_results" "$OUT/emulate_cuda_1worker_tf32.h5"
# Two workers on the one GPU, a 2-GPU job among 1-GPU ones: host-staged allreduce, and the
# pair's communicator freed when the 1-GPU jobs take its ranks (each gets a one-rank NCCL one).
step emulate_cuda_2workers 180 "${MPI[@]}" -n 3 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/mpi/data/tiny-2gpu.csv --policy fifo --cluster 1x2:h100 --round-length 0.5 \
  -o "$OUT/emulate_cuda_2workers.h5"
step check_cuda_2workers 60 "$BIN/emu_check_results" "$OUT/emulate_cuda_2workers.h5" \
  --expect-released
# No visible device: a clear error and a non-zero exit, no hang.
expect_failure emulate_cuda_no_device 60 "no CUDA device visible" \
  env CUDA_VISIBLE_DEVICES= "${MPI[@]}" -n 2 "$BIN/dlsched" emulate "${COMMON[@]}" \
  --trace tests/gpu/one-gpu-trace.csv --policy las --cluster 1x1:h100 --round-length 0.5

step bench_gpu 300 "${MPI[@]}" -n 1 "$BIN/bench_gpu" --max-mib 1024
cp "$OUT/bench_gpu.log" "$OUT/bench_gpu.txt"

{
  echo "date: $(date -u)"
  echo "host: $(hostname)"
  echo "failed steps: ${failed[*]:-none}"
} | tee "$OUT/summary.txt"
[[ ${#failed[@]} -eq 0 ]]
