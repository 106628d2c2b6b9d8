#include "emu/backends/cuda/cuda_check.h"

#include <fmt/format.h>

#include "emu/mpi_check.h"

namespace dlsched::emu {
namespace {

[[noreturn]] void fail(const char* call, const char* file, int line, const std::string& why) {
  throw CudaError(fmt::format("{} {}:{}: {} failed: {}", mpi_where(), file, line, call, why));
}

}  // namespace

void check_cuda(cudaError_t rc, const char* call, const char* file, int line) {
  if (rc == cudaSuccess) return;
  fail(call, file, line, fmt::format("{} ({})", cudaGetErrorString(rc), cudaGetErrorName(rc)));
}

void check_cublas(cublasStatus_t rc, const char* call, const char* file, int line) {
  if (rc == CUBLAS_STATUS_SUCCESS) return;
  fail(call, file, line,
       fmt::format("{} ({})", cublasGetStatusString(rc), cublasGetStatusName(rc)));
}

void check_nccl(ncclResult_t rc, const char* call, const char* file, int line) {
  if (rc == ncclSuccess || rc == ncclInProgress) return;
  fail(call, file, line, fmt::format("{} (ncclResult {})", ncclGetErrorString(rc),
                                     static_cast<int>(rc)));
}

}  // namespace dlsched::emu
