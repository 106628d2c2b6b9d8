// The commands that run on MPI ranks (emulate, profile) live in a runtime module, dlsched_mpi.so,
// so that no other command loads or initialises MPI. The executable lists them in its help and,
// when one is chosen, loads the module and hands it the whole command line.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace dlsched::cli {

inline constexpr const char* EMULATE_DESCRIPTION =
    "run a trace on MPI ranks: mpirun -np N+1 dlsched emulate ... (rank 0 schedules, ranks "
    "1..N each serve one GPU slot)";
inline constexpr const char* PROFILE_DESCRIPTION =
    "measure iteration times (compute and allreduce) per model, GPU type, worker count and "
    "placement: mpirun -np N+1 dlsched profile ... (rank 0 coordinates, ranks 1..N measure)";

/// The module's file name and its entry point, `int dlsched_mpi_main(int argc, char** argv)`:
/// it parses the same command line with the full emulate and profile options and runs it.
inline constexpr const char* MPI_MODULE_FILE = "dlsched_mpi.so";
inline constexpr const char* MPI_MODULE_ENTRY = "dlsched_mpi_main";
using MpiModuleMain = int (*)(int argc, char** argv);

/// Adds emulate and profile as placeholders that take the rest of the command line unparsed;
/// the returned action loads the module and runs the command there with argc/argv.
CommandAction add_mpi_module_commands(CLI::App& app, int argc, char** argv);

}  // namespace dlsched::cli
