#include "emu/mpi_check.h"

#include <fmt/format.h>

namespace dlsched::emu {

const std::string& mpi_host() {
  static const std::string host = [] {
    char name[MPI_MAX_PROCESSOR_NAME] = {};
    int len = 0;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized && MPI_Get_processor_name(name, &len) == MPI_SUCCESS)
      return std::string(name, static_cast<std::size_t>(len));
    return std::string("?");
  }();
  return host;
}

int mpi_world_rank() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return -1;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

std::string mpi_where() { return fmt::format("{}:rank {}", mpi_host(), mpi_world_rank()); }

void check_mpi(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  throw MpiError(fmt::format("{} {}:{}: {} failed: {}", mpi_where(), file, line, call,
                             len > 0 ? std::string(text, static_cast<std::size_t>(len))
                                     : fmt::format("error code {}", rc)));
}

}  // namespace dlsched::emu
