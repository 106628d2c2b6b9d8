// Allreduce through the emulation harness (cpu backend, job communicator from
// MPI_Comm_create_group, DDP-style buckets, stop flag) against a bare MPI_Allreduce loop on the
// same ranks and sizes. Figures nccl-tests style: algbw = bytes / time, busbw = algbw x 2(n-1)/n.
//   mpiexec -n 4 bench_allreduce [--max-mib 64] [--bucket-mb 25]
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

}  // namespace

int main(int argc, char** argv) {
  DLSCHED_MPI_CHECK(MPI_Init(&argc, &argv));
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  double max_mib = 64, bucket_mb = 25;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--max-mib")) max_mib = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--bucket-mb")) bucket_mb = std::atof(argv[i + 1]);
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
    job.reset();
    DLSCHED_MPI_CHECK(MPI_Comm_free(&parent));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_allreduce: %s\n", e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  DLSCHED_MPI_CHECK(MPI_Finalize());
  return 0;
}
