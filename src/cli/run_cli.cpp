#include <iostream>

#include "cli/commands.h"
#include "core/error.h"

namespace dlsched::cli {

int run_cli(CLI::App& app, const std::vector<CommandAction>& actions, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : EXIT_INPUT_ERROR;
  }
  try {
    for (const auto& action : actions)
      if (action) {
        const int rc = action();
        if (rc >= 0) return rc;
      }
  } catch (const InputError& e) {
    std::cerr << "dlsched: error: " << e.what() << "\n";
    return EXIT_INPUT_ERROR;
  } catch (const std::exception& e) {
    std::cerr << "dlsched: error: " << e.what() << "\n";
    return EXIT_RUNTIME_ERROR;
  }
  return 0;
}

}  // namespace dlsched::cli
