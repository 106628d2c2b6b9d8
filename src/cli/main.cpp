// dlsched: simulate, emulate and analyse GPU-cluster schedulers for deep-learning training.
// The executable itself needs no MPI, CUDA or Python: emulate and profile run from the MPI
// module, the cuda backend and python: policies from their own modules, each loaded only when
// used (core/runtime_module.h), so every other command starts light.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/compare.h"
#include "cli/report.h"
#ifdef DLSCHED_MPI_MODULE
#include "cli/mpi_module.h"
#endif

int main(int argc, char** argv) {
  using namespace dlsched;
  CLI::App app{"dlsched: schedulers for deep-learning training jobs on GPU clusters, "
               "simulated and emulated"};
  app.set_version_flag("--version", std::string("dlsched ") + DLSCHED_VERSION);
  app.require_subcommand(1);
  std::vector<cli::CommandAction> actions;
  actions.push_back(cli::add_simulate_command(app));
  actions.push_back(cli::add_trace_command(app));
  actions.push_back(cli::add_report_command(app));
  actions.push_back(cli::add_compare_command(app));
#ifdef DLSCHED_MPI_MODULE
  actions.push_back(cli::add_mpi_module_commands(app, argc, argv));
#endif
  return cli::run_cli(app, actions, argc, argv);
}
