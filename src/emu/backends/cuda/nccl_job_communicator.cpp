#include "emu/backends/cuda/nccl_job_communicator.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "emu/backends/cuda/cuda_check.h"
#include "emu/backends/cuda/cuda_device.h"
#include "emu/mpi_check.h"
#include "emu/wall_clock.h"

namespace dlsched::emu {

namespace {
constexpr int IDENTITY_CHARS = 256;

/// True if two members report the same host and PCI bus id.
bool members_share_a_gpu(MPI_Comm comm, int size, int device) {
  char mine[IDENTITY_CHARS] = {};
  std::strncpy(mine, cuda_device_identity(device).c_str(), IDENTITY_CHARS - 1);
  std::vector<char> all(static_cast<std::size_t>(size) * IDENTITY_CHARS);
  DLSCHED_MPI_CHECK(
      MPI_Allgather(mine, IDENTITY_CHARS, MPI_CHAR, all.data(), IDENTITY_CHARS, MPI_CHAR, comm));
  std::set<std::string> seen;
  for (int r = 0; r < size; ++r)
    if (!seen.emplace(all.data() + static_cast<std::size_t>(r) * IDENTITY_CHARS).second)
      return true;
  return false;
}
}  // namespace

double nccl_timeout_seconds() {
  const char* v = std::getenv("DLSCHED_NCCL_TIMEOUT");
  const double s = v && *v ? std::atof(v) : 0;
  return s > 0 ? s : 120;
}

NcclJobCommunicator::NcclJobCommunicator(MPI_Comm parent, const std::vector<int>& members,
                                         int device)
    : mpi_(parent, members) {
  // Every member reaches the same decision from the same gathered list. The leader says
  // which path the job takes, so that a run's log shows what its allreduces measured.
  const bool shared = members_share_a_gpu(mpi_.comm(), mpi_.size(), device);
  if (mpi_.rank() == 0)
    std::cerr << fmt::format("dlsched: cuda: {}: job of {} member(s): {}\n", mpi_where(),
                             mpi_.size(),
                             shared ? "host-staged allreduce over MPI (members share a GPU)"
                                    : "NCCL allreduce");
  if (shared) return;
  ncclUniqueId id{};
  if (mpi_.rank() == 0) DLSCHED_NCCL_CHECK(ncclGetUniqueId(&id));
  DLSCHED_MPI_CHECK(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, mpi_.comm()));
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  // Non-blocking: a member whose peer never arrives times out here instead of hanging.
  config.blocking = 0;
  const ncclResult_t rc = ncclCommInitRankConfig(&nccl_, mpi_.size(), id, mpi_.rank(), &config);
  // A failed start may still have made a communicator: abort it, or it leaks (the destructor
  // does not run for a constructor that throws).
  if (rc != ncclSuccess && rc != ncclInProgress) {
    if (nccl_) ncclCommAbort(nccl_);
    nccl_ = nullptr;
    check_nccl(rc, "ncclCommInitRankConfig", __FILE__, __LINE__);
  }
  wait_ready("ncclCommInitRankConfig");  // aborts the communicator if it fails
}

NcclJobCommunicator::~NcclJobCommunicator() {
  if (!nccl_) return;
  // Destructors must not throw: a communicator that does not finalize in time is aborted.
  const ncclResult_t rc = ncclCommFinalize(nccl_);
  const bool clean = rc == ncclSuccess || rc == ncclInProgress;
  const WallClock clock;
  const double timeout = nccl_timeout_seconds();
  ncclResult_t state = ncclInProgress;
  while (clean && ncclCommGetAsyncError(nccl_, &state) == ncclSuccess && state == ncclInProgress) {
    if (clock.now() > timeout) break;
    std::this_thread::yield();
  }
  if (clean && state == ncclSuccess)
    ncclCommDestroy(nccl_);
  else
    ncclCommAbort(nccl_);
}

void NcclJobCommunicator::abort_and_throw(const char* what, const std::string& why) {
  if (nccl_) ncclCommAbort(nccl_);
  nccl_ = nullptr;
  throw CudaError(fmt::format("{}: {}: {} (NCCL communicator of {} members aborted)", mpi_where(),
                              what, why, mpi_.size()));
}

void NcclJobCommunicator::wait_ready(const char* what) {
  if (!nccl_) abort_and_throw(what, "the communicator was aborted earlier");
  const WallClock clock;
  const double deadline = clock.now() + nccl_timeout_seconds();
  for (;;) {
    ncclResult_t state = ncclInProgress;
    DLSCHED_NCCL_CHECK(ncclCommGetAsyncError(nccl_, &state));
    if (state == ncclSuccess) return;
    if (state != ncclInProgress)
      abort_and_throw(what,
                      fmt::format("{}: {}", ncclGetErrorString(state), ncclGetLastError(nccl_)));
    if (clock.now() > deadline)
      abort_and_throw(what, fmt::format("timed out after {} s (DLSCHED_NCCL_TIMEOUT)",
                                        nccl_timeout_seconds()));
    std::this_thread::yield();
  }
}

void NcclJobCommunicator::wait_event(cudaEvent_t done, const char* what) {
  const WallClock clock;
  const double deadline = clock.now() + nccl_timeout_seconds();
  for (;;) {
    const cudaError_t rc = cudaEventQuery(done);
    if (rc == cudaSuccess) return;
    if (rc != cudaErrorNotReady) check_cuda(rc, what, __FILE__, __LINE__);
    ncclResult_t state = ncclSuccess;
    if (nccl_) DLSCHED_NCCL_CHECK(ncclCommGetAsyncError(nccl_, &state));
    if (state != ncclSuccess && state != ncclInProgress)
      abort_and_throw(what,
                      fmt::format("{}: {}", ncclGetErrorString(state), ncclGetLastError(nccl_)));
    if (clock.now() > deadline)
      abort_and_throw(what, fmt::format("timed out after {} s (DLSCHED_NCCL_TIMEOUT)",
                                        nccl_timeout_seconds()));
    std::this_thread::yield();
  }
}

}  // namespace dlsched::emu
