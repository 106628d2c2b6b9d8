// The CPU backend: MPI communicators and allreduce, an sgemm compute kernel.
#pragma once

#include <vector>

#include "emu/backend.h"
#include "emu/wall_clock.h"

namespace dlsched::emu {

/// A job communicator made with MPI_Comm_create_group over the members only.
class MpiJobCommunicator : public JobCommunicator {
 public:
  MpiJobCommunicator(MPI_Comm parent, const std::vector<int>& members);
  ~MpiJobCommunicator() override;
  MpiJobCommunicator(const MpiJobCommunicator&) = delete;
  MpiJobCommunicator& operator=(const MpiJobCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void barrier() override;
  /// The MPI communicator (owned).
  MPI_Comm comm() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 0;
};

/// CPU kernels (OpenBLAS sgemm where available, a plain loop otherwise) and MPI_Allreduce.
class CpuBackend : public Backend {
 public:
  CpuBackend();
  std::string_view name() const override { return "cpu"; }
  std::unique_ptr<JobCommunicator> connect(MPI_Comm parent,
                                           const std::vector<int>& members) override;
  void compute(double flops) override;
  double allreduce_gradients(JobCommunicator& comm, std::size_t bytes, std::size_t bucket_bytes,
                             float flag) override;
  double last_compute_seconds() const override { return last_compute_seconds_; }
  double last_comm_seconds() const override { return last_comm_seconds_; }

 private:
  void gemm(int n);
  WallClock clock_;
  double last_compute_seconds_ = 0;
  double last_comm_seconds_ = 0;
  std::vector<float> a_, b_, c_;  // kernel operands, allocated once at the largest size
  std::vector<float> gradients_;  // grows to the largest job served, plus the flag element
};

/// Matrix side of the CPU kernel's largest sgemm.
inline constexpr int CPU_KERNEL_TILE = 512;

}  // namespace dlsched::emu
