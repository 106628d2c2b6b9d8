// Runs the built dlsched executable as a user would, for tests of the command line.
#pragma once

#include <string>

namespace dlsched::test {

/// Runs `dlsched ARGS` (ARGS as a shell would split them); returns its exit code (-1 if it did
/// not exit normally) and fills `output` with its stdout and stderr together.
int run_dlsched(const std::string& args, std::string& output);

}  // namespace dlsched::test
