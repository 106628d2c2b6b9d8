// Every trace format has a fuzz target: a reader added without one would never meet malformed
// input in CI. The targets are declared in tests/fuzz/CMakeLists.txt, one
// dlsched_add_trace_fuzz_target(<format> ...) line per format.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/trace.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

/// The formats named by dlsched_add_trace_fuzz_target lines (calls, not the definition).
std::set<std::string> fuzzed_trace_formats() {
  std::ifstream in(test::source_path("tests/fuzz/CMakeLists.txt"));
  EXPECT_TRUE(in) << "tests/fuzz/CMakeLists.txt is missing";
  const std::regex call(R"(^\s*dlsched_add_trace_fuzz_target\(\s*([A-Za-z0-9_]+)[\s)])");
  std::set<std::string> formats;
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, call)) formats.insert(m[1]);
  return formats;
}

TEST(FuzzCoverage, EveryRegisteredTraceFormatHasAFuzzTarget) {
  const std::vector<std::string> registered = trace_formats();
  ASSERT_FALSE(registered.empty());
  const std::set<std::string> fuzzed = fuzzed_trace_formats();
  for (const std::string& format : registered)
    EXPECT_TRUE(fuzzed.count(format))
        << "trace format '" << format << "' has no fuzz target: add "
        << "dlsched_add_trace_fuzz_target(" << format << " SEED...) to tests/fuzz/CMakeLists.txt";
}

TEST(FuzzCoverage, EveryTraceFuzzTargetNamesARegisteredFormat) {
  // A target left behind by a removed or renamed format would fuzz nothing but the
  // "unknown trace format" message.
  const std::vector<std::string> registered = trace_formats();
  for (const std::string& format : fuzzed_trace_formats())
    EXPECT_NE(std::find(registered.begin(), registered.end(), format), registered.end())
        << "tests/fuzz/CMakeLists.txt fuzzes trace format '" << format
        << "', which no reader registers";
}

}  // namespace
}  // namespace dlsched
