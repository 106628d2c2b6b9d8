#include "emu/backends/cpu/cpu_backend.h"

#include <algorithm>
#include <cmath>

#include "emu/mpi_check.h"

#ifdef DLSCHED_HAVE_CBLAS
#include <cblas.h>
#endif

namespace dlsched::emu {

MpiJobCommunicator::MpiJobCommunicator(MPI_Comm parent, const std::vector<int>& members) {
  MPI_Group parent_group = MPI_GROUP_NULL, group = MPI_GROUP_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_group(parent, &parent_group));
  DLSCHED_MPI_CHECK(
      MPI_Group_incl(parent_group, static_cast<int>(members.size()), members.data(), &group));
  // The tag only separates concurrent creations that share a member; a rank builds one
  // communicator at a time, so one tag serves every job.
  constexpr int CREATE_TAG = 7100;
  DLSCHED_MPI_CHECK(MPI_Comm_create_group(parent, group, CREATE_TAG, &comm_));
  DLSCHED_MPI_CHECK(MPI_Group_free(&group));
  DLSCHED_MPI_CHECK(MPI_Group_free(&parent_group));
  if (comm_ == MPI_COMM_NULL) throw MpiError(mpi_where() + ": MPI_Comm_create_group: not a member");
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DLSCHED_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  DLSCHED_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

MpiJobCommunicator::~MpiJobCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void MpiJobCommunicator::barrier() { DLSCHED_MPI_CHECK(MPI_Barrier(comm_)); }

CpuBackend::CpuBackend() {
#ifdef DLSCHED_HAVE_CBLAS
  // Many ranks share a node's cores: one BLAS thread per rank, no oversubscription inside.
  openblas_set_num_threads(1);
#endif
  const std::size_t n = static_cast<std::size_t>(CPU_KERNEL_TILE) * CPU_KERNEL_TILE;
  a_.assign(n, 0.5f);
  b_.assign(n, 0.25f);
  c_.assign(n, 0.0f);
}

std::unique_ptr<JobCommunicator> CpuBackend::connect(MPI_Comm parent,
                                                     const std::vector<int>& members) {
  return std::make_unique<MpiJobCommunicator>(parent, members);
}

void CpuBackend::gemm(int n) {
#ifdef DLSCHED_HAVE_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a_.data(), n, b_.data(), n,
              0.0f, c_.data(), n);
#else
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const float aik = a_[static_cast<std::size_t>(i) * n + k];
      for (int j = 0; j < n; ++j)
        c_[static_cast<std::size_t>(i) * n + j] += aik * b_[static_cast<std::size_t>(k) * n + j];
    }
#endif
}

void CpuBackend::compute(double flops) {
  const double t0 = clock_.now();
  // Full tiles first, then one smaller sgemm for the rest: 2 n^3 FLOPs each.
  const double tile_flops = 2.0 * std::pow(static_cast<double>(CPU_KERNEL_TILE), 3);
  double left = flops;
  while (left >= tile_flops) {
    gemm(CPU_KERNEL_TILE);
    left -= tile_flops;
  }
  const int rest = static_cast<int>(std::cbrt(left / 2.0));
  if (rest >= 1) gemm(rest);
  last_compute_seconds_ = clock_.now() - t0;
}

double CpuBackend::allreduce_gradients(JobCommunicator& comm, std::size_t bytes,
                                       std::size_t bucket_bytes, float flag) {
  const double t0 = clock_.now();
  auto& mpi = static_cast<MpiJobCommunicator&>(comm);
  const std::size_t elems = std::max<std::size_t>(1, bytes / sizeof(float));
  const std::size_t bucket = std::max<std::size_t>(1, bucket_bytes / sizeof(float));
  // Gradients stay zero so sums never overflow or turn denormal and slow the adds down.
  if (gradients_.size() < elems + 1) gradients_.assign(elems + 1, 0.0f);
  gradients_[elems] = flag;
  for (std::size_t off = 0; off < elems; off += bucket) {
    std::size_t count = std::min(bucket, elems - off);
    if (off + count == elems) ++count;  // the last bucket carries the stop flag
    DLSCHED_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, gradients_.data() + off, static_cast<int>(count),
                                    MPI_FLOAT, MPI_SUM, mpi.comm()));
  }
  const double sum = gradients_[elems];
  gradients_[elems] = 0.0f;
  last_comm_seconds_ = clock_.now() - t0;
  return sum;
}

DLSCHED_REGISTER_BACKEND("cpu", CpuBackend)

}  // namespace dlsched::emu
