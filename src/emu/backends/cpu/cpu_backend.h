// The CPU backend: MPI communicators and allreduce, an sgemm compute kernel.
#pragma once

#include <vector>

#include "emu/backend.h"
#include "emu/gemm_plan.h"
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
/// A training step computes on a second thread while this one, the only one that calls MPI,
/// runs each bucket's MPI_Iallreduce as the backward produces it (the communication thread of
/// a framework; MPI sees one thread, so MPI_THREAD_FUNNELED suffices).
class CpuBackend : public Backend {
 public:
  CpuBackend();
  std::string_view name() const override { return "cpu"; }
  std::unique_ptr<JobCommunicator> connect(MPI_Comm parent,
                                           const std::vector<int>& members) override;
  void compute(double flops) override;
  double allreduce_gradients(JobCommunicator& comm, std::size_t bytes, std::size_t bucket_bytes,
                             float flag) override;
  StepTiming train_step(JobCommunicator& comm, const StepPlan& plan,
                        const DecideFlag& decide_flag) override;
  double last_compute_seconds() const override { return last_compute_seconds_; }
  double last_comm_seconds() const override { return last_comm_seconds_; }

 private:
  void gemm(const GemmDims& d);
  /// Runs one chunk of a step's compute: FLOPs in GEMMs, or a sleep until `due` + `work`
  /// (`due` advances by `work`).
  void run_chunk(const StepPlan& plan, double work, double& due);
  /// Sums `count` gradient floats from `offset` over the job: MPI_Allreduce, or where the
  /// compute thread runs beside it (`beside_compute`), MPI_Iallreduce progressed by tests
  /// that leave that thread the core.
  void allreduce_bucket(MPI_Comm comm, std::size_t offset, std::size_t count, bool beside_compute);
  WallClock clock_;
  double last_compute_seconds_ = 0;
  double last_comm_seconds_ = 0;
  std::vector<float> a_, b_, c_;  // kernel operands, allocated once at the largest size
  std::vector<float> gradients_;  // grows to the largest job served, plus the flag element
};

/// Matrix side of the CPU kernel's largest sgemm.
inline constexpr int CPU_KERNEL_TILE = 512;
/// Sides of the CPU kernel's other sgemms are multiples of this (SIMD width x unrolling).
inline constexpr int CPU_KERNEL_ALIGN = 16;

}  // namespace dlsched::emu
