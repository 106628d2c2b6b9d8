// dlsched's profile table (CSV): parsing, detection by content, file:line errors, and a
// simulation that takes its iteration rates from it.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.h"
#include "core/throughput_table.h"
#include "io/hdf5_results.h"
#include "support/input_error.h"
#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

using test::write_scratch_file;

constexpr const char* kProfile =
    "# written by dlsched profile\n"
    "model,gpu_type,workers,consolidated,steps_per_second,compute_s,comm_s,stddev_s,samples\n"
    "resnet50,v100,1,1,12.5,0.07,0.01,0.002,20\n"
    "resnet50,V100,2,1,10,0.07,0.03,0.004,20\n"
    "resnet50,v100,2,0,8,0.07,0.055,0.01,20\n"
    "\"ResNet-18 (batch size 16)\",k80,4,true,3.25,,,,\n";

TEST(ProfileTable, ReadsEveryRow) {
  const auto path = write_scratch_file("profile.csv", kProfile);
  const ThroughputTable t = ThroughputTable::load_profile_csv(path);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.path(), path);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 1, true), 12.5);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 2, true), 10);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 2, false), 8);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("ResNet-18 (batch size 16)", "k80", 4, true), 3.25);
  EXPECT_FALSE(t.steps_per_second("resnet50", "v100", 4, true));
}

TEST(ProfileTable, LoadDetectsTheCsvByContent) {
  const auto path = write_scratch_file("profile.txt", kProfile);
  EXPECT_EQ(ThroughputTable::load(path).size(), 4u);
  // Columns in another order, only the required ones, Windows line ends.
  const auto reordered = write_scratch_file(
      "reordered.csv", "steps_per_second,model,workers,gpu_type,consolidated\r\n2.5,vgg16,1,t4,0\r\n");
  EXPECT_DOUBLE_EQ(*ThroughputTable::load(reordered).steps_per_second("vgg16", "t4", 1, false), 2.5);
}

TEST(ProfileTable, GavelJsonStillLoads) {
  const auto json = write_scratch_file(
      "gavel.json", R"json({"v100": {"('ResNet-50', 1)": {"null": 4.0}}})json");
  EXPECT_DOUBLE_EQ(*ThroughputTable::load(json).steps_per_second("ResNet-50", "v100", 1, true), 4.0);
}

/// The message of loading `text` as a profile table.
std::string load_error(const std::string& text) {
  const auto path = write_scratch_file("bad.csv", text);
  return test::input_error_of([&] { ThroughputTable::load_profile_csv(path); });
}

const std::string kHeader = "model,gpu_type,workers,consolidated,steps_per_second\n";

TEST(ProfileTable, BadRowsNameFileAndLine) {
  const std::string bad = test::scratch_dir() + "/bad.csv";
  auto expect_at = [&](const std::string& text, int line, const std::string& what) {
    const std::string e = load_error(text);
    EXPECT_EQ(e.rfind(bad + ":" + std::to_string(line) + ": ", 0), 0u) << e;
    EXPECT_NE(e.find(what), std::string::npos) << e;
  };
  expect_at(kHeader + "a,v100,0,1,1\n", 2, "workers must be an integer >= 1");
  expect_at(kHeader + "a,v100,1.5,1,1\n", 2, "workers must be an integer >= 1");
  expect_at(kHeader + "a,v100,1,maybe,1\n", 2, "consolidated must be 1");
  expect_at(kHeader + "a,v100,1,1,0\n", 2, "steps_per_second must be a number > 0");
  expect_at(kHeader + "a,v100,1,1,fast\n", 2, "steps_per_second must be a number > 0");
  expect_at(kHeader + "\n# comment\na,v100,1,1\n", 4, "expected 5 fields as in the header, got 4");
  expect_at(kHeader + ",v100,1,1,2\n", 2, "empty model");
  expect_at(kHeader + "\"a,v100,1,1,2\n", 2, "unclosed quote");
  expect_at(kHeader + "a,v100,1,1,2\nb,v100,1,1,2\na,V100,1,1,3\n", 4,
            "duplicate entry for a on v100 x1 consolidated (first on line 2)");
  expect_at("model,gpu_type,workers,consolidated,steps_per_second,compute_s\na,v100,1,1,2,-1\n", 2,
            "compute_s must be a number >= 0");
  expect_at("model,gpu_type,workers,consolidated,steps_per_second,speed\n", 1,
            "unknown column 'speed'");
  expect_at("model,gpu_type,workers,steps_per_second\n", 1,
            "the header lacks the column 'consolidated'");
  expect_at("model,model,gpu_type,workers,consolidated,steps_per_second\n", 1, "appears twice");
  expect_at("\n\n", 1, "empty profile table");
}

TEST(ProfileTable, LoadStillRejectsUnknownFormats) {
  const auto csv = write_scratch_file("other.csv", "job,gpu,rate\nA,k80,1.0\n");
  const std::string e = test::input_error_of([&] { ThroughputTable::load(csv); });
  EXPECT_EQ(e.rfind(csv + ":1: ", 0), 0u) << e;
  EXPECT_NE(e.find("profile CSV"), std::string::npos) << e;
}

TEST(ProfileTable, SimulateUsesItAndRecordsTheSourcePerJob) {
  // tiny-4gpu.csv: job a is resnet50 on 2 GPUs, 30 iterations; at 10 steps/s it runs 3 s.
  const auto profile = write_scratch_file(
      "sim-profile.csv", kHeader + "resnet50,v100,2,1,10\nresnet50,v100,4,1,16\n");
  const std::string out = test::scratch_dir() + "/sim-profile.h5";
  std::string log;
  ASSERT_EQ(test::run_dlsched("simulate --quiet --no-progress --trace " +
                    test::source_path("tests/mpi/data/tiny-4gpu.csv") + " --models " +
                    test::source_path("jobs/models.toml") +
                    " --cluster 1x4:v100 --policy fifo --round-length 1 --throughputs " + profile +
                    " -o " + out,
                log),
            0)
      << log;
  const ResultsFile r = read_results(out);
  EXPECT_EQ(r.attributes.at("throughputs"), profile);
  int measured = 0;
  for (const JobRecord& j : r.jobs) {
    if (j.model == "resnet50") {
      EXPECT_EQ(j.throughput_source, "measured") << j.job_id;
      ++measured;
    } else {
      EXPECT_NE(j.throughput_source, "measured") << j.job_id;
    }
    if (j.job_id == "a") {
      EXPECT_DOUBLE_EQ(j.isolated_time, 3.0);
    }
    if (j.job_id == "c") {
      EXPECT_DOUBLE_EQ(j.isolated_time, 10 / 16.0);
    }
  }
  EXPECT_EQ(measured, 2);
}

TEST(ProfileTable, SimulateRefusesABadProfileWithItsLine) {
  const auto profile = write_scratch_file("sim-bad.csv", kHeader + "resnet50,v100,2,1,-3\n");
  std::string log;
  EXPECT_EQ(test::run_dlsched("simulate --quiet --trace " +
                    test::source_path("tests/mpi/data/tiny-4gpu.csv") +
                    " --cluster 1x4:v100 --throughputs " + profile,
                log),
            2)
      << log;
  EXPECT_NE(log.find(profile + ":2: steps_per_second"), std::string::npos) << log;
}

}  // namespace
}  // namespace dlsched
