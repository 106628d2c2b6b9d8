// dlsched report: the per-run statistics table of one or more results files.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace dlsched::cli {

/// Adds `report` to `app` and returns the action to run when it was chosen.
CommandAction add_report_command(CLI::App& app);

}  // namespace dlsched::cli
