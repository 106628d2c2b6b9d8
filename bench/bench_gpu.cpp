// The cuda backend against bare library loops on the same GPU and shapes.
//   GEMM: TFLOP/s of CudaBackend::compute (bf16 and tf32, n = 2048, 4096, 8192) next to a bare
//   cublasGemmEx loop; ratio = harness / bare (target >= 0.9).
//   Iteration: the compute of a real training step (CudaBackend::train_step on one rank: the
//   forward and one backward chunk per DDP bucket, with their leftover GEMMs) of each sample
//   model of jobs/models.toml, next to a bare bf16 cublasGemmEx loop of 8192-tiles with the
//   same FLOPs (target >= 0.9).
//   Allreduce: the harness path (job communicator, 25 MiB DDP buckets plus the stop flag) next
//   to one bare ncclAllReduce per size, 1 MiB .. --max-mib (default 1024), nccl-tests style:
//   algbw = bytes / time, busbw = algbw x 2(n-1)/n, times averaged over ranks.
//   mpiexec -n K bench_gpu [--max-mib 1024] [--models jobs/models.toml] [--gemm-only]
//                          [--allreduce-only]
// One rank per GPU; without a visible GPU it says so and exits 0.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/model_catalog.h"
#include "emu/backends/cuda/cuda_backend.h"
#include "emu/backends/cuda/cuda_check.h"
#include "emu/backends/cuda/cuda_device.h"
#include "emu/backends/cuda/nccl_job_communicator.h"
#include "emu/mpi_check.h"
#include "emu/training_step.h"
#include "sched/experiment.h"

namespace {

using namespace dlsched::emu;
using dlsched::ModelCatalog;
using dlsched::ModelInfo;

constexpr int WARMUP = 3;
constexpr int TIMED = 20;

/// Mean over ranks of a per-rank figure.
double mean_over_ranks(double mine) {
  double sum = 0;
  int n = 1;
  DLSCHED_MPI_CHECK(MPI_Allreduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
  DLSCHED_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &n));
  return sum / n;
}

/// Seconds per call of `enqueue` on `stream`: warm-up, then `iters` back to back between two
/// events.
double time_on_stream(cudaStream_t stream, int iters, const std::function<void()>& enqueue) {
  cudaEvent_t start = nullptr, stop = nullptr;
  DLSCHED_CUDA_CHECK(cudaEventCreate(&start));
  DLSCHED_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < WARMUP; ++i) enqueue();
  DLSCHED_CUDA_CHECK(cudaStreamSynchronize(stream));
  DLSCHED_CUDA_CHECK(cudaEventRecord(start, stream));
  for (int i = 0; i < iters; ++i) enqueue();
  DLSCHED_CUDA_CHECK(cudaEventRecord(stop, stream));
  DLSCHED_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  DLSCHED_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  DLSCHED_CUDA_CHECK(cudaEventDestroy(start));
  DLSCHED_CUDA_CHECK(cudaEventDestroy(stop));
  return ms * 1e-3 / iters;
}

/// Seconds per GEMM of side n through the harness: one compute() of TIMED tiles after a
/// warm-up, timed by the backend's own events.
double harness_gemm_seconds(GemmPrecision p, int n) {
  CudaBackend backend(GemmShape{p, n});
  const double tile = 2.0 * std::pow(static_cast<double>(n), 3);
  backend.compute(WARMUP * tile);
  backend.compute(TIMED * tile);
  return backend.last_compute_seconds() / TIMED;
}

/// Seconds per bare cublasGemmEx of side n (own handle, buffers and stream).
double bare_gemm_seconds(GemmPrecision p, int n) {
  cudaStream_t stream = nullptr;
  cublasHandle_t handle = nullptr;
  DLSCHED_CUDA_CHECK(cudaStreamCreate(&stream));
  DLSCHED_CUBLAS_CHECK(cublasCreate(&handle));
  DLSCHED_CUBLAS_CHECK(cublasSetStream(handle, stream));
  const cudaDataType_t type = p == GemmPrecision::BF16 ? CUDA_R_16BF : CUDA_R_32F;
  const cublasComputeType_t math =
      p == GemmPrecision::TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  const std::size_t bytes = static_cast<std::size_t>(n) * n * (p == GemmPrecision::BF16 ? 2 : 4);
  void* m[3] = {};
  std::uint64_t seed = 1;
  for (void*& x : m) {
    DLSCHED_CUDA_CHECK(cudaMalloc(&x, bytes));
    fill_uniform(x, bytes / (p == GemmPrecision::BF16 ? 2 : 4), p, seed++);  // as the harness
  }
  const float alpha = 1, beta = 0;
  const double s = time_on_stream(stream, TIMED, [&] {
    DLSCHED_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, m[0], type,
                                      n, m[1], type, n, &beta, m[2], type, n, math,
                                      CUBLAS_GEMM_DEFAULT));
  });
  for (void* x : m) DLSCHED_CUDA_CHECK(cudaFree(x));
  DLSCHED_CUBLAS_CHECK(cublasDestroy(handle));
  DLSCHED_CUDA_CHECK(cudaStreamDestroy(stream));
  return s;
}

void bench_gemm(int rank) {
  if (rank == 0) {
    std::printf("# GEMM, TFLOP/s per GPU (mean over ranks); harness = CudaBackend::compute, "
                "bare = cublasGemmEx loop; %d timed after %d warm-up\n",
                TIMED, WARMUP);
    std::printf("%5s %6s | %10s %10s | %6s\n", "prec", "n", "harness", "bare", "ratio");
  }
  for (GemmPrecision p : {GemmPrecision::BF16, GemmPrecision::TF32})
    for (int n : {2048, 4096, 8192}) {
      const double flops = 2.0 * std::pow(static_cast<double>(n), 3);
      const double harness = mean_over_ranks(flops / harness_gemm_seconds(p, n) * 1e-12);
      const double bare = mean_over_ranks(flops / bare_gemm_seconds(p, n) * 1e-12);
      if (rank == 0)
        std::printf("%5s %6d | %10.1f %10.1f | %6.3f\n", std::string(to_string(p)).c_str(), n,
                    harness, bare, harness / bare);
    }
  std::fflush(stdout);
}

/// The compute of real training steps against bare full tiles of the same FLOPs.
void bench_iteration(int rank, const std::string& models) {
  const ModelCatalog catalog = ModelCatalog::load(models);
  const GemmShape shape;  // the harness's default: bf16, 8192 tiles
  const double bare_tile = bare_gemm_seconds(shape.precision, shape.tile);
  const double tile_flops = 2.0 * std::pow(static_cast<double>(shape.tile), 3);
  CudaBackend backend(shape);
  MPI_Comm self = MPI_COMM_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_dup(MPI_COMM_SELF, &self));
  auto job = backend.connect(self, {0});
  if (rank == 0) {
    std::printf("\n# training-step compute, TFLOP/s (mean over ranks); harness = train_step on "
                "one rank (forward + one chunk per 25 MiB bucket), bare = %s %d-tile loop\n",
                std::string(to_string(shape.precision)).c_str(), shape.tile);
    std::printf("%-12s %9s %7s | %10s %10s | %6s\n", "model", "GFLOP", "chunks", "harness",
                "bare", "ratio");
  }
  for (const char* name : {"alexnet", "googlenet", "inception3", "inception4", "resnet50",
                           "resnet101", "resnet152", "vgg11", "vgg16", "vgg19"}) {
    const ModelInfo* m = catalog.find_model(name);
    if (!m) continue;
    IterationWork w;
    w.mode = ComputeMode::KERNEL;
    w.flops = m->flops_per_sample * m->batch_size;
    w.gradient_bytes = static_cast<std::uint64_t>(m->gradient_bytes());
    w.bucket_bytes = 25ull << 20;
    w.forward_fraction = m->forward_fraction;
    const StepPlan plan = plan_step(w);
    const auto none = [] { return 0.0f; };
    for (int i = 0; i < WARMUP; ++i) backend.train_step(*job, plan, none);
    double compute = 0;
    for (int i = 0; i < TIMED; ++i) compute += backend.train_step(*job, plan, none).compute_seconds;
    const double harness = mean_over_ranks(w.flops / (compute / TIMED) * 1e-12);
    const double bare = mean_over_ranks(tile_flops / bare_tile * 1e-12);
    if (rank == 0)
      std::printf("%-12s %9.1f %7zu | %10.1f %10.1f | %6.3f\n", name, w.flops / 1e9,
                  plan.backward.size() + 1, harness, bare, harness / bare);
  }
  std::fflush(stdout);
  job.reset();
  DLSCHED_MPI_CHECK(MPI_Comm_free(&self));
}

void bench_allreduce(int rank, int size, long max_mib) {
  CudaBackend backend;
  std::vector<int> all(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) all[static_cast<std::size_t>(r)] = r;
  MPI_Comm parent = MPI_COMM_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &parent));
  auto job = backend.connect(parent, all);
  auto& nccl_job = static_cast<NcclJobCommunicator&>(*job);
  const bool bare_ok = nccl_job.uses_nccl();
  // The bare baseline: its own blocking NCCL communicator and buffer on the backend's device.
  ncclComm_t bare = nullptr;
  float* buffer = nullptr;
  cudaStream_t stream = nullptr;
  const std::size_t max_bytes = static_cast<std::size_t>(max_mib) << 20;
  if (bare_ok) {
    ncclUniqueId id{};
    if (rank == 0) DLSCHED_NCCL_CHECK(ncclGetUniqueId(&id));
    DLSCHED_MPI_CHECK(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD));
    DLSCHED_CUDA_CHECK(cudaSetDevice(backend.device()));
    DLSCHED_NCCL_CHECK(ncclCommInitRank(&bare, size, id, rank));
    DLSCHED_CUDA_CHECK(cudaStreamCreate(&stream));
    DLSCHED_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&buffer), max_bytes));
    DLSCHED_CUDA_CHECK(cudaMemset(buffer, 0, max_bytes));
  }
  const double bus = size > 1 ? 2.0 * (size - 1) / size : 0.0;
  if (rank == 0) {
    std::printf("\n# allreduce, %d ranks; harness = cuda backend (%s), 25 MiB buckets + stop "
                "flag; bare = one ncclAllReduce; GB/s\n",
                size, bare_ok ? "NCCL" : "members share a GPU: host-staged MPI, no bare NCCL");
    std::printf("%12s %5s | %10s %8s %8s | %10s %8s %8s | %6s\n", "bytes", "iters", "harness us",
                "algbw", "busbw", "bare us", "algbw", "busbw", "ratio");
  }
  for (std::size_t bytes = 1 << 20; bytes <= max_bytes; bytes *= 4) {
    const int iters =
        static_cast<int>(std::clamp<std::size_t>((std::size_t{4} << 30) / bytes, 5, 50));
    for (int i = 0; i < WARMUP; ++i) backend.allreduce_gradients(*job, bytes, 25 << 20, 0.0f);
    DLSCHED_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
    double mine = 0;
    for (int i = 0; i < iters; ++i) {
      backend.allreduce_gradients(*job, bytes, 25 << 20, 0.0f);
      mine += backend.last_comm_seconds();
    }
    const double harness = mean_over_ranks(mine / iters);
    double bare_s = 0;
    if (bare_ok) {
      DLSCHED_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
      bare_s = mean_over_ranks(time_on_stream(stream, iters, [&] {
        DLSCHED_NCCL_CHECK(ncclAllReduce(buffer, buffer, bytes / sizeof(float), ncclFloat, ncclSum,
                                         bare, stream));
      }));
    }
    if (rank == 0) {
      const double h_alg = bytes / harness * 1e-9;
      const double b_alg = bare_ok ? bytes / bare_s * 1e-9 : 0;
      std::printf("%12zu %5d | %10.1f %8.2f %8.2f | %10.1f %8.2f %8.2f | %6.3f\n", bytes, iters,
                  harness * 1e6, h_alg, h_alg * bus, bare_s * 1e6, b_alg, b_alg * bus,
                  bare_ok ? bare_s / harness : 0.0);
      std::fflush(stdout);
    }
  }
  if (bare_ok) {
    DLSCHED_CUDA_CHECK(cudaFree(buffer));
    DLSCHED_CUDA_CHECK(cudaStreamDestroy(stream));
    DLSCHED_NCCL_CHECK(ncclCommDestroy(bare));
  }
  job.reset();
  DLSCHED_MPI_CHECK(MPI_Comm_free(&parent));
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;  // training steps compute on a second thread; only this one calls MPI
  DLSCHED_MPI_CHECK(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
  int rank = 0, size = 1;
  DLSCHED_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  DLSCHED_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
  long max_mib = 1024;
  bool gemm = true, allreduce = true;
  std::string models;  // catalog of the iteration benchmark; default: jobs/models.toml
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--max-mib") && i + 1 < argc) max_mib = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "--models") && i + 1 < argc) models = argv[++i];
    else if (!std::strcmp(argv[i], "--gemm-only")) allreduce = false;
    else if (!std::strcmp(argv[i], "--allreduce-only")) gemm = false;
  }
  // Every rank sees the same machine; all skip together.
  const std::string why = cuda_unavailable_reason();
  if (!why.empty()) {
    if (rank == 0) std::printf("bench_gpu: skipped: no CUDA device visible (%s)\n", why.c_str());
    MPI_Finalize();
    return 0;
  }
  int rc = 0;
  try {
    if (gemm) bench_gemm(rank);
    if (gemm) bench_iteration(rank, models.empty() ? dlsched::default_models_path() : models);
    if (allreduce) bench_allreduce(rank, size, max_mib);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_gpu: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
    rc = 1;
  }
  MPI_Finalize();
  return rc;
}
