// A job's communicator on GPUs: the members' MPI communicator plus an NCCL communicator.
// Members that share a GPU (NCCL refuses them: "Duplicate GPU detected") get no NCCL
// communicator; their allreduce is staged through host memory over MPI instead.
#pragma once

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <memory>
#include <vector>

#include "emu/backend.h"
#include "emu/backends/cpu/cpu_backend.h"

namespace dlsched::emu {

/// Seconds a member waits for NCCL (communicator setup, a collective, teardown) before it
/// aborts the communicator and fails the job: DLSCHED_NCCL_TIMEOUT, default 120.
double nccl_timeout_seconds();

/// MPI_Comm_create_group over the members, then (GPUs not shared) ncclCommInitRankConfig,
/// non-blocking, from an ncclUniqueId the leader broadcasts over that MPI communicator.
class NcclJobCommunicator : public JobCommunicator {
 public:
  /// Collective over `members` (ranks of `parent`); `device` is this rank's current GPU.
  NcclJobCommunicator(MPI_Comm parent, const std::vector<int>& members, int device);
  /// ncclCommFinalize then ncclCommDestroy; ncclCommAbort if finalizing fails or times out.
  ~NcclJobCommunicator() override;
  NcclJobCommunicator(const NcclJobCommunicator&) = delete;
  NcclJobCommunicator& operator=(const NcclJobCommunicator&) = delete;

  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }
  void barrier() override { mpi_.barrier(); }

  /// The members' MPI communicator (the host-staged path uses it).
  MPI_Comm mpi() const { return mpi_.comm(); }
  /// True if the allreduce goes over NCCL, false if members share a GPU.
  bool uses_nccl() const { return nccl_ != nullptr; }
  /// The NCCL communicator (null on the staged path or after an abort).
  ncclComm_t nccl() const { return nccl_; }
  /// Waits until the communicator's pending non-blocking call is done; an error or timeout
  /// aborts the communicator and throws CudaError naming `what`.
  void wait_ready(const char* what);
  /// Waits for `done` (recorded after this communicator's work on a stream) while watching
  /// the communicator for asynchronous errors, so a dead peer fails the job instead of
  /// hanging it.
  void wait_event(cudaEvent_t done, const char* what);

 private:
  [[noreturn]] void abort_and_throw(const char* what, const std::string& why);

  MpiJobCommunicator mpi_;
  ncclComm_t nccl_ = nullptr;
};

}  // namespace dlsched::emu
