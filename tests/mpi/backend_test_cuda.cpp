// The backend test body on the cuda backend; it skips, saying why, where no GPU is visible.
#include <string>

#include "emu/backends/cuda/cuda_backend.h"
#include "emu/backends/cuda/cuda_device.h"
#include "mpi/backend_test_body.h"

namespace dlsched::emu::test {
namespace {

std::string cuda_unavailable() {
  const std::string why = cuda_unavailable_reason();
  return why.empty() ? "" : "no CUDA device visible (" + why + ")";
}

}  // namespace

const BackendCase TEST_BACKEND{"cuda", 2.0 * 8192.0 * 8192.0 * 8192.0, cuda_unavailable};

}  // namespace dlsched::emu::test
