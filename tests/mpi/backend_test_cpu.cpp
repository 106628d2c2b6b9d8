// The backend test body on the cpu backend (always built).
#include "emu/backends/cpu/cpu_backend.h"
#include "mpi/backend_test_body.h"

namespace dlsched::emu::test {

const BackendCase TEST_BACKEND{"cpu", 2.0 * CPU_KERNEL_TILE * CPU_KERNEL_TILE * CPU_KERNEL_TILE,
                               nullptr};

}  // namespace dlsched::emu::test
