// The dlsched subcommands; each file adds one to the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "core/error.h"
#include "sched/experiment.h"

namespace dlsched::cli {

/// Runs the chosen subcommand after parsing; returns the process exit code.
using CommandAction = std::function<int()>;

/// Each adds its subcommand to `app` and returns the action to run when it was chosen.
CommandAction add_simulate_command(CLI::App& app);
CommandAction add_trace_command(CLI::App& app);
CommandAction add_emulate_command(CLI::App& app);
CommandAction add_profile_command(CLI::App& app);

/// Parses the command line into `app` and runs the chosen action: a parse error or an
/// InputError exits EXIT_INPUT_ERROR, any other exception EXIT_RUNTIME_ERROR, each with its
/// message. The executable and the MPI module (cli/mpi_module.h) both run through it.
int run_cli(CLI::App& app, const std::vector<CommandAction>& actions, int argc, char** argv);

/// Adds --overlap (on|off): whether a step's allreduce overlaps the backward pass, in the
/// simulator's model and on the emulator's workers alike.
void add_overlap_option(CLI::App& command, bool& overlap);

/// Adds the flags that describe an experiment (trace, cluster, catalog, policy, knobs);
/// shared by simulate and emulate so both runs describe the same experiment.
void add_experiment_options(CLI::App& command, ExperimentOptions& options,
                            std::vector<std::string>& policy_params);

}  // namespace dlsched::cli
