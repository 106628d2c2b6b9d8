#include "emu/rank0_setup.h"

#include <exception>
#include <iostream>

#include "core/error.h"
#include "emu/mpi_check.h"

namespace dlsched::emu {

int setup_on_rank0(MPI_Comm world, int rank, const std::function<SetupStatus()>& setup) {
  int status = SETUP_OK;
  if (rank == 0) {
    try {
      status = setup();
    } catch (const InputError& e) {
      std::cerr << "dlsched: error: " << e.what() << "\n";
      status = SETUP_INPUT_ERROR;
    } catch (const std::exception& e) {
      std::cerr << "dlsched: error: " << e.what() << "\n";
      status = SETUP_RUNTIME_ERROR;
    }
  }
  DLSCHED_MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, world));
  return status;
}

}  // namespace dlsched::emu
