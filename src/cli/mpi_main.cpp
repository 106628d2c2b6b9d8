// The entry point of dlsched_mpi.so: emulate and profile with their full options, parsed from
// the command line the executable received (see cli/mpi_module.h).
#include "cli/commands.h"
#include "cli/mpi_module.h"

extern "C" int dlsched_mpi_main(int argc, char** argv) {
  using namespace dlsched;
  CLI::App app{"dlsched: schedulers for deep-learning training jobs on GPU clusters, "
               "simulated and emulated"};
  app.name("dlsched");
  app.require_subcommand(1);
  const std::vector<cli::CommandAction> actions = {cli::add_emulate_command(app),
                                                   cli::add_profile_command(app)};
  return cli::run_cli(app, actions, argc, argv);
}
