// What the commands that run on MPI ranks (emulate, profile) share: one way to start and end
// MPI, and one spelling of the worker compute modes.
#pragma once

#include <functional>
#include <string>

#include "emu/protocol.h"

namespace dlsched::cli {

/// "sleep" or "kernel"; anything else is an InputError.
emu::ComputeMode parse_compute_mode(const std::string& name);

/// Runs `body` on every rank between MPI_Init and MPI_Finalize (both skipped when MPI is
/// already initialised) and returns its exit code. An exception escaping `body` is printed and
/// ends the whole run with MPI_Abort: after a failed collective no peer can be trusted to
/// finish the next one, so waiting for them could hang.
int run_on_mpi_ranks(const std::function<int()>& body);

}  // namespace dlsched::cli
