// dlsched simulate on the command line: what --whole-iterations records and says.
#include <gtest/gtest.h>

#include "io/hdf5_results.h"
#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

std::string simulate_args(const std::string& policy, const std::string& out) {
  return "simulate --models " + test::source_path("jobs/models.toml") + " --trace " +
         test::trace_path("tiresias-60_job.csv") + " --cluster 2x4:v100 --time-scale 0.01 " +
         "--round-length 300 --no-progress --policy " + policy + " -o " + out;
}

TEST(SimulateCommand, WholeIterationsIsRecordedAndTheTickWaitsShow) {
  const std::string out = test::scratch_dir() + "/whole-las.h5";
  std::string text;
  ASSERT_EQ(test::run_dlsched(simulate_args("las", out) + " --whole-iterations", text), 0) << text;
  const ResultsFile r = read_results(out);
  EXPECT_EQ(r.attributes.at("whole_iterations"), "true");
  // Iterations of up to a second against 3 s rounds: some boundary waits for one.
  double longest = 0;
  for (const RoundRecord& round : r.rounds) longest = std::max(longest, round.control_overhead);
  EXPECT_GT(longest, 0.05);
  EXPECT_LT(longest, 3.0);

  const std::string exact = test::scratch_dir() + "/exact-las.h5";
  ASSERT_EQ(test::run_dlsched(simulate_args("las", exact), text), 0) << text;
  const ResultsFile e = read_results(exact);
  EXPECT_EQ(e.attributes.count("whole_iterations"), 0u);
  for (const RoundRecord& round : e.rounds) EXPECT_EQ(round.control_overhead, 0);
}

TEST(SimulateCommand, WholeIterationsTurnsPackingOffAndSaysSo) {
  const std::string out = test::scratch_dir() + "/whole-gandiva.h5";
  std::string text;
  ASSERT_EQ(test::run_dlsched(simulate_args("gandiva", out) + " --whole-iterations", text), 0)
      << text;
  EXPECT_NE(text.find("runs with packing off"), std::string::npos) << text;
}

}  // namespace
}  // namespace dlsched
