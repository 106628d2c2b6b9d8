// The one way the cuda backend checks CUDA, cuBLAS and NCCL calls: a failure names host, rank,
// call, file, line and the library's error text, like DLSCHED_MPI_CHECK does for MPI.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include "core/error.h"

namespace dlsched::emu {

/// A CUDA, cuBLAS or NCCL call failed, or no device is usable; what() names where.
class CudaError : public Error {
 public:
  using Error::Error;
};

/// Throws CudaError (host, rank, call, file, line, CUDA's text) unless rc is cudaSuccess.
void check_cuda(cudaError_t rc, const char* call, const char* file, int line);
/// The same for cuBLAS.
void check_cublas(cublasStatus_t rc, const char* call, const char* file, int line);
/// The same for NCCL; ncclInProgress (a non-blocking communicator still working) is success,
/// the caller polls ncclCommGetAsyncError for the outcome.
void check_nccl(ncclResult_t rc, const char* call, const char* file, int line);

}  // namespace dlsched::emu

#define DLSCHED_CUDA_CHECK(call) ::dlsched::emu::check_cuda((call), #call, __FILE__, __LINE__)
#define DLSCHED_CUBLAS_CHECK(call) ::dlsched::emu::check_cublas((call), #call, __FILE__, __LINE__)
#define DLSCHED_NCCL_CHECK(call) ::dlsched::emu::check_nccl((call), #call, __FILE__, __LINE__)
