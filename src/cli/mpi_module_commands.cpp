#include "cli/mpi_module.h"

#include "core/runtime_module.h"

namespace dlsched::cli {

CommandAction add_mpi_module_commands(CLI::App& app, int argc, char** argv) {
  std::vector<CLI::App*> commands;
  for (const auto& [name, description] :
       {std::pair{"emulate", EMULATE_DESCRIPTION}, std::pair{"profile", PROFILE_DESCRIPTION}}) {
    CLI::App* cmd = app.add_subcommand(name, description);
    // Everything after the command name, --help included, is parsed by the module.
    cmd->prefix_command();
    cmd->set_help_flag();
    commands.push_back(cmd);
  }
  return [commands, argc, argv]() -> int {
    for (CLI::App* cmd : commands)
      if (cmd->parsed()) {
        const std::string purpose = cmd->get_name();
        void* module = load_runtime_module(MPI_MODULE_FILE, purpose, "the MPI library");
        auto entry = reinterpret_cast<MpiModuleMain>(
            runtime_module_symbol(module, MPI_MODULE_FILE, MPI_MODULE_ENTRY));
        return entry(argc, argv);
      }
    return -1;
  };
}

}  // namespace dlsched::cli
