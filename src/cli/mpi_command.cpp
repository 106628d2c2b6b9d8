#include "cli/mpi_command.h"

#include <fmt/format.h>
#include <mpi.h>

#include <cstdlib>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "emu/mpi_check.h"

namespace dlsched::cli {

emu::ComputeMode parse_compute_mode(const std::string& name) {
  if (name == "sleep") return emu::ComputeMode::SLEEP;
  if (name == "kernel") return emu::ComputeMode::KERNEL;
  throw InputError(fmt::format("--compute must be sleep or kernel, got '{}'", name));
}

int run_on_mpi_ranks(const std::function<int()>& body) {
  // Idle ranks sleep between probes; inside collectives Open MPI should yield rather than spin,
  // since many ranks share few cores. A value the user set wins.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  int initialized = 0;
  DLSCHED_MPI_CHECK(MPI_Initialized(&initialized));
  // Workers compute on a second thread during a training step; only this one calls MPI.
  int provided = 0;
  if (!initialized)
    DLSCHED_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
  int code = 0;
  try {
    code = body();
  } catch (const std::exception& e) {
    std::cerr << "dlsched: error: " << e.what() << std::endl;
    MPI_Abort(MPI_COMM_WORLD, EXIT_RUNTIME_ERROR);
  }
  if (!initialized) DLSCHED_MPI_CHECK(MPI_Finalize());
  return code;
}

}  // namespace dlsched::cli
