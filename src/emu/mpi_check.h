// The one way dlsched checks MPI calls: a failure names host, rank, call, file and line.
#pragma once

#include <mpi.h>

#include <string>

#include "core/error.h"

namespace dlsched::emu {

/// An MPI call failed (or MPI said something impossible); what() names where.
class MpiError : public Error {
 public:
  using Error::Error;
};

/// Throws MpiError naming this host and rank, the call, file and line unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* call, const char* file, int line);

/// This process's host name (MPI_Get_processor_name), cached.
const std::string& mpi_host();
/// This process's rank in MPI_COMM_WORLD (-1 before MPI_Init).
int mpi_world_rank();
/// "host:rank" prefix for messages about this process.
std::string mpi_where();

}  // namespace dlsched::emu

/// Runs an MPI call and throws MpiError (host, rank, file, line, MPI's text) if it fails.
/// Communicators used by dlsched have MPI_ERRORS_RETURN set, so failures reach this check.
#define DLSCHED_MPI_CHECK(call) ::dlsched::emu::check_mpi((call), #call, __FILE__, __LINE__)
