// The start of every MPI command: rank 0 alone reads and checks the inputs, and every rank
// learns whether to go on, so bad input ends the run on all ranks with one clear message.
#pragma once

#include <mpi.h>

#include <functional>

#include "core/error.h"

namespace dlsched::emu {

/// How rank 0's setup went; every rank receives it.
enum SetupStatus : int {
  SETUP_OK = 0,
  SETUP_RUNTIME_ERROR = EXIT_RUNTIME_ERROR,  // the statuses double as exit codes
  SETUP_INPUT_ERROR = EXIT_INPUT_ERROR,
  SETUP_ALREADY_FINISHED = 3,  // emulate --resume of a finished run: nothing to do, exit 0
};

/// Runs `setup` on rank 0 (the other ranks skip it) and broadcasts its status over `world`.
/// An InputError becomes SETUP_INPUT_ERROR and any other exception SETUP_RUNTIME_ERROR, each
/// printed by rank 0 as "dlsched: error: ...". Collective over `world`.
int setup_on_rank0(MPI_Comm world, int rank, const std::function<SetupStatus()>& setup);

}  // namespace dlsched::emu
