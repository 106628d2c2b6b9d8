// dlsched simulate --mechanism pollux on the command line: a run worked out by hand on the
// made-up application tests/adaptive/data/toy, and the file:line errors of bad inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

const char* kHeader = "name,time,application,num_replicas,batch_size\n";

std::string pollux_args(const std::string& policy, const std::string& trace,
                        const std::string& applications) {
  return "simulate --mechanism pollux --policy " + policy + " --applications " + applications +
         " --trace " + trace + " --cluster 1x1 --no-progress";
}

std::string toy_apps() { return test::source_path("tests/adaptive/data"); }

TEST(PolluxMechanism, OneJobRunsAsWorkedOutByHand) {
  // Batch 64 on one GPU: 0.18 s a step, gain 1. First decision at 60 s, 30 s restart, then
  // epochs of 16.2 -> 16 s, (200 - 167.8) x 0.18 = 5.8 -> 6 s after the 120 s round, 18 s.
  const std::string trace =
      test::write_scratch_file("one-toy.csv", std::string(kHeader) + "j0,0,toy,1,64\n");
  for (const char* policy : {"tiresias", "optimus-oracle", "pollux"}) {
    std::string text;
    ASSERT_EQ(test::run_dlsched(pollux_args(policy, trace, toy_apps()), text), 0) << text;
    EXPECT_NE(text.find("finished 1/1"), std::string::npos) << policy << ": " << text;
    if (std::string(policy) != "pollux")  // fixed batch 64: the hand-worked 144 s
      EXPECT_NE(text.find("avg JCT 144.0 s"), std::string::npos) << policy << ": " << text;
  }
}

TEST(PolluxMechanism, ReportShowsTheAllocationAndBatchSizeOverTime) {
  // The run worked out by hand above under tiresias: one GPU from the first decision at 60 s,
  // batch 64 = 64 x 1 pass (the initial batch size: gain 1, so 64 samples per unit of
  // progress), finished at 144 s in round 1 (decided at 120 s) with all 300 of its progress.
  const std::string trace =
      test::write_scratch_file("report-toy.csv", std::string(kHeader) + "j0,0,toy,1,64\n");
  const std::string out = (std::filesystem::path(test::scratch_dir()) / "report-toy.h5").string();
  std::string text;
  ASSERT_EQ(test::run_dlsched(pollux_args("tiresias", trace, toy_apps()) + " -o " + out, text), 0)
      << text;
  ASSERT_EQ(test::run_dlsched("report --adaptive --format csv " + out, text), 0) << text;
  std::istringstream lines(text);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);)
    if (line.find("report-toy.h5,") != std::string::npos) rows.push_back(line);
  ASSERT_EQ(rows.size(), 2u) << text;
  EXPECT_NE(rows[0].find(",j0,toy,60,0,1,1,0:1,64,64,0,0,0"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find(",j0,toy,144,1,0,0,,0,0,0,300,"), std::string::npos) << rows[1];
  const double samples = std::stod(rows[1].substr(rows[1].rfind(',') + 1));
  EXPECT_NEAR(samples, 300 * 64, 0.02 * 300 * 64) << rows[1];  // epoch ends round to seconds

  // The table names the job once and says when it finished; a run without adaptive jobs is
  // refused with the file's name.
  ASSERT_EQ(test::run_dlsched("report --adaptive " + out, text), 0) << text;
  EXPECT_NE(text.find("finished"), std::string::npos) << text;
  const std::string fixed = (std::filesystem::path(test::scratch_dir()) / "fixed.h5").string();
  ASSERT_EQ(test::run_dlsched("simulate --trace " +
                                  test::source_path("tests/mpi/data/tiny-2gpu.csv") +
                                  " --cluster 1x2 --no-progress -o " + fixed,
                              text),
            0)
      << text;
  EXPECT_EQ(test::run_dlsched("report --adaptive " + fixed, text), 2);
  EXPECT_NE(text.find("fixed.h5: no /adaptive rows"), std::string::npos) << text;
}

TEST(PolluxMechanism, BadInputsNameFileAndLine) {
  std::string text;
  const std::string trace =
      test::write_scratch_file("nosuch.csv", std::string(kHeader) + "j0,0,toy,1,64\nj1,5,nosuch,1,64\n");
  EXPECT_EQ(test::run_dlsched(pollux_args("pollux", trace, toy_apps()), text), 2);
  EXPECT_NE(text.find("nosuch.csv:3: application 'nosuch' has no profile"), std::string::npos)
      << text;

  const std::string big =
      test::write_scratch_file("big.csv", std::string(kHeader) + "j0,0,toy,1,1024\n");
  EXPECT_EQ(test::run_dlsched(pollux_args("tiresias", big, toy_apps()), text), 2);
  EXPECT_NE(text.find("big.csv:2: batch_size 1024 is outside the measured range [64, 256]"),
            std::string::npos)
      << text;

  const std::string ok =
      test::write_scratch_file("ok.csv", std::string(kHeader) + "j0,0,toy,1,64\n");
  EXPECT_EQ(test::run_dlsched("simulate --mechanism pollux --policy pollux --trace " + ok +
                                  " --cluster 1x1 --no-progress",
                              text),
            2);
  EXPECT_NE(text.find("needs --applications DIR"), std::string::npos) << text;

  // A profile whose placements.csv lacks a column.
  namespace fs = std::filesystem;
  const fs::path apps = fs::path(test::scratch_dir()) / "bad-apps";
  fs::create_directories(apps / "toy");
  for (const auto& e : fs::directory_iterator(toy_apps() + "/toy"))
    fs::copy_file(e.path(), apps / "toy" / e.path().filename(),
                  fs::copy_options::overwrite_existing);
  std::ofstream(apps / "toy" / "placements.csv") << "placement,local_bsz,step_time\n1,32,0.1\n";
  EXPECT_EQ(test::run_dlsched(pollux_args("pollux", ok, apps.string()), text), 2);
  EXPECT_NE(text.find("placements.csv:1:"), std::string::npos) << text;
  EXPECT_NE(text.find("sync_time"), std::string::npos) << text;

  // Tiresias runs jobs at their trace's GPUs: more than the cluster has never run.
  const std::string wide =
      test::write_scratch_file("wide.csv", std::string(kHeader) + "j0,0,toy,2,64\n");
  EXPECT_EQ(test::run_dlsched(pollux_args("tiresias", wide, toy_apps()), text), 2);
  EXPECT_NE(text.find("wide.csv:2: job j0 asks for 2 GPUs; the cluster has 1"),
            std::string::npos)
      << text;

  // pollux needs the adaptive mechanism.
  EXPECT_EQ(test::run_dlsched("simulate --policy pollux --trace " + ok + " --no-progress", text),
            2);
  EXPECT_NE(text.find("--mechanism pollux"), std::string::npos) << text;
}

}  // namespace
}  // namespace dlsched
