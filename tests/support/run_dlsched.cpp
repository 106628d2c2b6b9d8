#include "support/run_dlsched.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

#include "support/test_paths.h"

namespace dlsched::test {

int run_dlsched(const std::string& args, std::string& output) {
  const std::string command = dlsched_binary() + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer{};
  output.clear();
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace dlsched::test
