// dlsched compare: a simulated and an emulated run of one experiment, job by job.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace dlsched::cli {

/// Adds `compare` to `app` and returns the action to run when it was chosen.
CommandAction add_compare_command(CLI::App& app);

}  // namespace dlsched::cli
