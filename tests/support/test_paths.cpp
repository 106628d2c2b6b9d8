#include "support/test_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace dlsched::test {
namespace fs = std::filesystem;

std::string source_path(const std::string& relative) {
  return (fs::path(DLSCHED_SOURCE_DIR) / relative).string();
}

std::string trace_path(const std::string& name) { return source_path("jobs/traces/" + name); }

std::string scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string leaf = info ? std::string(info->test_suite_name()) + "." + info->name() : "global";
  for (char& c : leaf)
    if (c == '/') c = '_';
  fs::path dir = fs::temp_directory_path() / ("dlsched-test-" + std::to_string(::getpid())) / leaf;
  fs::create_directories(dir);
  return dir.string();
}

std::string write_scratch_file(const std::string& name, const std::string& text) {
  fs::path p = fs::path(scratch_dir()) / name;
  std::ofstream(p) << text;
  return p.string();
}

std::string dlsched_binary() { return DLSCHED_BINARY; }

}  // namespace dlsched::test
