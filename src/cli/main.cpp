// dlsched: simulate, emulate and analyse GPU-cluster schedulers for deep-learning training.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/compare.h"
#include "cli/report.h"
#include "core/error.h"

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
#ifdef DLSCHED_HAVE_MPI
  actions.push_back(cli::add_emulate_command(app));
  actions.push_back(cli::add_profile_command(app));
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : cli::EXIT_INPUT_ERROR;
  }
  try {
    for (auto& action : actions)
      if (action) {
        const int rc = action();
        if (rc >= 0) return rc;
      }
  } catch (const InputError& e) {
    std::cerr << "dlsched: error: " << e.what() << "\n";
    return cli::EXIT_INPUT_ERROR;
  } catch (const std::exception& e) {
    std::cerr << "dlsched: error: " << e.what() << "\n";
    return cli::EXIT_RUNTIME_ERROR;
  }
  return 0;
}
