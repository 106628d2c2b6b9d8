#include "emu/backends/cuda/cuda_device.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "emu/backends/cuda/cuda_check.h"
#include "emu/mpi_check.h"

namespace dlsched::emu {

int visible_cuda_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" so a later check does not see it
    return 0;
  }
  return count;
}

std::string cuda_unavailable_reason() {
  int count = 0;
  const cudaError_t rc = cudaGetDeviceCount(&count);
  if (rc != cudaSuccess) {
    cudaGetLastError();
    return fmt::format("cudaGetDeviceCount: {} ({})", cudaGetErrorString(rc), cudaGetErrorName(rc));
  }
  return count > 0 ? "" : "cudaGetDeviceCount: 0 devices";
}

int node_local_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID",
                          "PALS_LOCAL_RANKID", "PMI_LOCAL_RANK"})
    if (const char* v = std::getenv(var); v && *v) return std::atoi(v);
  return std::max(0, mpi_world_rank());
}

int select_cuda_device() {
  const std::string why = cuda_unavailable_reason();
  if (!why.empty())
    // No host:rank prefix: the worker adds it when it reports the failure.
    throw CudaError(fmt::format("--backend cuda: no CUDA device visible ({}); run the workers on "
                                "GPU nodes or use --backend cpu",
                                why));
  const int device = node_local_rank() % visible_cuda_devices();
  DLSCHED_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

std::string cuda_device_identity(int device) {
  char bus[64] = {};
  DLSCHED_CUDA_CHECK(cudaDeviceGetPCIBusId(bus, sizeof bus, device));
  return mpi_host() + "/" + bus;
}

}  // namespace dlsched::emu
