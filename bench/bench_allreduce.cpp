// Allreduce through the emulation harness (cpu backend, job communicator from
// MPI_Comm_create_group, DDP-style buckets, stop flag) against a bare MPI_Allreduce loop on the
// same ranks and sizes. Figures nccl-tests style: algbw = bytes / time, busbw = algbw x 2(n-1)/n.
// Then whole training steps: the harness's step (kernel compute, buckets allreduced as the
// backward produces them) against a bare loop of the same sgemm work followed by one
// MPI_Allreduce of the gradients, and the harness with --overlap off.
//   mpiexec -n 4 bench_allreduce [--max-mib 64] [--bucket-mb 25] [--step-tiles 16]
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "emu/backends/cpu/cpu_backend.h"
#include "emu/mpi_check.h"
#include "emu/training_step.h"

namespace {

using namespace dlsched::emu;

/// Seconds per call of `op`, averaged over ranks: warm-up first, then `iters` back to back.
double time_per_call(MPI_Comm comm, int iters, const std::function<void()>& op) {
  for (int i = 0; i < 2; ++i) op();
  DLSCHED_MPI_CHECK(MPI_Barrier(comm));
  const double t0 = MPI_Wtime();
  for (int i = 0; i < iters; ++i) op();
  const double mine = (MPI_Wtime() - t0) / iters;
  double sum = 0;
  int n = 1;
  DLSCHED_MPI_CHECK(MPI_Allreduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, comm));
  DLSCHED_MPI_CHECK(MPI_Comm_size(comm, &n));
  return sum / n;
}

/// Training steps of `tiles` kernel tiles and 8 MiB .. max_mib of gradients: the bare loop
/// (compute, then one MPI_Allreduce), the harness's overlapped step and its serialised step.
void bench_steps(CpuBackend& backend, JobCommunicator& job, int n, int rank, double max_mib,
                 std::size_t bucket, double tiles) {
  const double flops = tiles * 2.0 * CPU_KERNEL_TILE * CPU_KERNEL_TILE * CPU_KERNEL_TILE;
  const auto none = [] { return 0.0f; };
  if (rank == 0) {
    std::printf("\n# training step, %d ranks: %.0f sgemm tiles of %d (%.2f GFLOP) + gradients; "
                "bare = compute then one MPI_Allreduce\n",
                n, tiles, CPU_KERNEL_TILE, flops / 1e9);
    std::printf("%10s %6s | %10s | %10s %10s %10s | %10s | %8s %8s\n", "bytes", "iters",
                "bare ms", "overlap ms", "compute ms", "comm ms", "serial ms", "ovl/bare",
                "ser/bare");
  }
  for (double mib = 8; mib <= max_mib; mib *= 2) {
    const std::size_t bytes = static_cast<std::size_t>(mib * (1 << 20));
    std::vector<float> grads(bytes / sizeof(float), 0.0f);
    const int iters = 5;
    const double t_bare = time_per_call(MPI_COMM_WORLD, iters, [&] {
      backend.compute(flops);
      DLSCHED_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, grads.data(), static_cast<int>(grads.size()),
                                      MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
    });
    grads = {};
    IterationWork w;
    w.mode = ComputeMode::KERNEL;
    w.flops = flops;
    w.gradient_bytes = bytes;
    w.bucket_bytes = bucket;
    const StepPlan overlapped = plan_step(w);
    w.overlap = false;
    const StepPlan serial = plan_step(w);
    StepTiming last;
    const double t_overlap = time_per_call(MPI_COMM_WORLD, iters, [&] {
      last = backend.train_step(job, overlapped, none);
    });
    const double t_serial = time_per_call(MPI_COMM_WORLD, iters,
                                          [&] { backend.train_step(job, serial, none); });
    if (rank == 0) {
      std::printf("%10zu %6d | %10.1f | %10.1f %10.1f %10.1f | %10.1f | %8.3f %8.3f\n", bytes,
                  iters, t_bare * 1e3, t_overlap * 1e3, last.compute_seconds * 1e3,
                  last.comm_seconds * 1e3, t_serial * 1e3, t_overlap / t_bare,
                  t_serial / t_bare);
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;  // training steps compute on a second thread; only this one calls MPI
  DLSCHED_MPI_CHECK(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided));
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  double max_mib = 64, bucket_mb = 25, step_tiles = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max-mib")) max_mib = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--bucket-mb")) bucket_mb = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--step-tiles")) step_tiles = std::atof(argv[i + 1]);
  }
  try {
    int rank = 0, n = 1;
    DLSCHED_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    DLSCHED_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &n));
    MPI_Comm parent;
    DLSCHED_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &parent));
    std::vector<int> members(static_cast<std::size_t>(n));
    std::iota(members.begin(), members.end(), 0);
    CpuBackend backend;
    auto job = backend.connect(parent, members);
    const double bus = n > 1 ? 2.0 * (n - 1) / n : 1.0;
    const std::size_t bucket = static_cast<std::size_t>(bucket_mb * (1 << 20));
    if (rank == 0) {
      std::printf(
          "# allreduce, %d ranks on %s; harness = cpu backend, %.0f MiB buckets + stop flag\n", n,
          mpi_host().c_str(), bucket_mb);
      std::printf("%10s %6s | %11s %9s %9s | %11s %9s %9s | %11s %9s | %6s\n", "bytes", "iters",
                  "bare us", "algbw", "busbw", "harness us", "algbw", "busbw", "1-bucket us",
                  "busbw", "ratio");
    }
    for (double mib = 1; mib <= max_mib; mib *= 2) {
      const std::size_t bytes = static_cast<std::size_t>(mib * (1 << 20));
      const int iters = std::max(3, std::min(50, static_cast<int>(128 / mib)));
      std::vector<float> bare(bytes / sizeof(float), 0.0f);
      const double t_bare = time_per_call(MPI_COMM_WORLD, iters, [&] {
        DLSCHED_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, bare.data(), static_cast<int>(bare.size()),
                                        MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD));
      });
      bare = {};
      const double t_harness = time_per_call(
          MPI_COMM_WORLD, iters, [&] { backend.allreduce_gradients(*job, bytes, bucket, 0); });
      const double t_one = time_per_call(
          MPI_COMM_WORLD, iters, [&] { backend.allreduce_gradients(*job, bytes, bytes, 0); });
      if (rank == 0) {
        const double gb = static_cast<double>(bytes) / 1e9;
        std::printf("%10zu %6d | %11.1f %9.3f %9.3f | %11.1f %9.3f %9.3f | %11.1f %9.3f | %6.3f\n",
                    bytes, iters, t_bare * 1e6, gb / t_bare, gb / t_bare * bus, t_harness * 1e6,
                    gb / t_harness, gb / t_harness * bus, t_one * 1e6, gb / t_one * bus,
                    t_harness / t_bare);
        std::fflush(stdout);
      }
    }
    bench_steps(backend, *job, n, rank, max_mib, bucket, step_tiles);
    job.reset();
    DLSCHED_MPI_CHECK(MPI_Comm_free(&parent));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_allreduce: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  DLSCHED_MPI_CHECK(MPI_Finalize());
  return 0;
}
