// What a hostile user tries at the command line: misspelt, narrowed and nonsensical policy
// parameters, outputs aimed at inputs, numbers beyond range. Each is refused with exit code 2,
// a message that says what is wrong, and no file changed or left behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched::test {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string simulate(const std::string& trace, const std::string& extra) {
  return "simulate --no-progress -q --models " + source_path("jobs/models.toml") + " --trace " +
         trace + " --cluster 2x4:v100 " + extra;
}

void expect_refused(const std::string& args, const std::string& expected) {
  std::string output;
  EXPECT_EQ(run_dlsched(args, output), 2) << args << "\n" << output;
  EXPECT_NE(output.find(expected), std::string::npos)
      << "wanted '" << expected << "' for: " << args << "\n" << output;
}

TEST(HostileParameters, AMisspeltKeyIsRefusedWithTheValidOnes) {
  const std::string out = scratch_dir() + "/misspelt.h5";
  const std::string trace = trace_path("tiresias-60_job.csv");
  expect_refused(simulate(trace, "-o " + out + " --policy tiresias-las --policy-param qeues=2"),
                 "policy tiresias-las has no parameter 'qeues' (valid: starve_factor, delta, "
                 "queues, thresholds)");
  expect_refused(simulate(trace, "--policy las --policy-param queues=2"),
                 "policy las has no parameter 'queues' (valid: none)");
  expect_refused(simulate(trace, "--policy gavel-maxmin --policy-param resolve_rounds=3"),
                 "no parameter 'resolve_rounds'");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST(HostileParameters, IntegersAreRangeCheckedNeverNarrowed) {
  const std::string trace = trace_path("tiresias-60_job.csv");
  // 4294967298 narrowed to 32 bits is 2, a valid queue count.
  expect_refused(simulate(trace, "--policy tiresias-las --policy-param queues=4294967298"),
                 "queues: 4294967298 is out of range [1, 64]");
  // 2^32 narrowed is 0: heterogeneity-agnostic.
  expect_refused(simulate(trace, "--policy gavel-maxmin --policy-param heterogeneity_aware=4294967296"),
                 "heterogeneity_aware: expected 0 or 1");
  expect_refused(simulate(trace, "--policy optimus --policy-param max_gpus=-5"),
                 "max_gpus: -5 is out of range");
  expect_refused(simulate(trace, "--policy allox --policy-param max_jobs=1.5"),
                 "max_jobs: expected an integer");
}

TEST(HostileParameters, NonFiniteAndNegativeNumbersAreRefused) {
  const std::string trace = trace_path("tiresias-60_job.csv");
  expect_refused(simulate(trace, "--policy tiresias-las --policy-param starve_factor=nan"),
                 "starve_factor: 'nan' is not a finite number");
  expect_refused(simulate(trace, "--policy tiresias-las --policy-param starve_factor=inf"),
                 "not a finite number");
  expect_refused(simulate(trace, "--policy optimus --policy-param max_scale=-1"),
                 "max_scale: -1 is out of range");
  expect_refused(simulate(trace, "--policy themis --policy-param fairness_knob=1e400"),
                 "fairness_knob: '1e400' is not a finite number");
}

TEST(HostileParameters, ARepeatedKeyIsRefused) {
  expect_refused(simulate(trace_path("tiresias-60_job.csv"),
                          "--policy tiresias-las --policy-param queues=2 --policy-param queues=3"),
                 "policy parameter queues is given twice");
}

TEST(HostileParameters, ValidParametersStillRun) {
  std::string output;
  EXPECT_EQ(run_dlsched(simulate(trace_path("tiresias-60_job.csv"),
                                 "--policy tiresias-las --policy-param queues=2 "
                                 "--policy-param thresholds=400 --policy-param starve_factor=8"),
                        output),
            0)
      << output;
}

TEST(HostileParameters, ListPoliciesShowsEachParameterWithDefaultAndRange) {
  std::string output;
  ASSERT_EQ(run_dlsched("simulate --list-policies", output), 0) << output;
  EXPECT_NE(output.find("queues=3 (integer, [1, 64])"), std::string::npos) << output;
  EXPECT_NE(output.find("fairness_knob=0.8 (number, [0, 1])"), std::string::npos) << output;
  EXPECT_NE(output.find("preemptive=0 (flag, 0 or 1)"), std::string::npos) << output;
  // Policies that can decide in event-driven time say so; round-based ones do not.
  const auto line_of = [&](const std::string& name) {
    const auto at = output.find("\n" + name + " ");
    return at == std::string::npos ? std::string() : output.substr(at + 1, output.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(line_of("tiresias-las").find("[event-driven"), std::string::npos) << output;
  EXPECT_EQ(line_of("gandiva").find("[event-driven"), std::string::npos) << line_of("gandiva");
}

TEST(HostileOutputs, AnOutputNamingAnInputIsRefusedAndTheInputKept) {
  const std::string trace = write_scratch_file("kept.csv", read_all(trace_path("tiresias-60_job.csv")));
  const std::string models = write_scratch_file("models.toml", read_all(source_path("jobs/models.toml")));
  const std::string before = read_all(trace);
  const std::string symlink = scratch_dir() + "/link.h5";
  const std::string hardlink = scratch_dir() + "/hard.h5";
  fs::remove(symlink);
  fs::remove(hardlink);
  fs::create_symlink(trace, symlink);
  fs::create_hard_link(trace, hardlink);
  const std::string dotted = scratch_dir() + "/./kept.csv";
  for (const std::string& out : {trace, dotted, symlink, hardlink})
    expect_refused(simulate(trace, "-o " + out), "the output would overwrite the input");
  expect_refused("simulate --no-progress -q --models " + models + " --trace " + trace +
                     " --cluster 2x4:v100 -o " + models,
                 "the output would overwrite the input " + models);
  expect_refused("trace convert " + trace + " -o " + dotted, "the output would overwrite the input");
  EXPECT_EQ(read_all(trace), before);
  EXPECT_FALSE(fs::exists(trace + ".partial"));
}

TEST(HostileOutputs, AFailedRunLeavesAnExistingResultsFileAsItWas) {
  const std::string trace = trace_path("tiresias-60_job.csv");
  const std::string out = scratch_dir() + "/previous.h5";
  std::string output;
  ASSERT_EQ(run_dlsched(simulate(trace, "-o " + out), output), 0) << output;
  const std::string previous = read_all(out);
  EXPECT_FALSE(fs::exists(out + ".partial")) << "the staged file was not renamed";
  expect_refused(simulate(trace, "-o " + out + " --policy las --policy-param nope=1"), "nope");
  EXPECT_EQ(read_all(out), previous);
}

TEST(HostileNumbers, AClusterBeyondTheGpuLimitIsRefusedBeforeItIsBuilt) {
  // 1e8 GPUs once grew past 20 GB; the limit is now 1,000,000 GPUs, checked while parsing.
  const std::string run = "simulate --no-progress -q --trace " + trace_path("tiresias-60_job.csv");
  expect_refused(run + " --cluster 1000000x100:v100", "more than 1000000 GPUs");
  expect_refused(run + " --cluster 500000x2:v100,1x1:k80", "more than 1000000 GPUs");
  const std::string file = write_scratch_file(
      "huge.toml", "[[groups]]\nnodes = 1000\ngpus_per_node = 8\ntype = \"v100\"\n\n"
                   "[[groups]]\nnodes = 200000\ngpus_per_node = 8\ntype = \"k80\"\n");
  expect_refused(run + " --cluster " + file, file + ":6: more than 1000000 GPUs");
  std::string output;
  EXPECT_EQ(run_dlsched(run + " --cluster 1000x1000:v100", output), 0) << output;
}

TEST(HostileNumbers, AThroughputBeyondDoubleRangeNamesFileLineAndKey) {
  const std::string table = write_scratch_file(
      "huge.json", "{\n  \"v100\": {\n    \"ResNet-18 (batch size 16)\": {\"null\": 1e400}\n  }\n}\n");
  expect_refused(simulate(trace_path("tiresias-60_job.csv"), "--throughputs " + table),
                 table + ":3: number 1e400 is out of range (key \"null\")");
}

std::string tiresias_row(const std::string& name, const std::string& row) {
  return write_scratch_file(name, "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n" +
                                      row + "\n");
}

TEST(HostileNumbers, LengthsAndTimesBeyondTheLimitAreRefusedAtTheirLine) {
  // Each of these ran for ever (or finished with JCT 0) before the limits were checked.
  expect_refused(simulate(tiresias_row("long.csv", "1,1,0,100,resnet50,1.2e11,0"), ""),
                 "long.csv:2: job '1': duration 120000000000 s is beyond the limit");
  expect_refused(simulate(tiresias_row("late.csv", "1,1,1e300,100,resnet50,10,0"), ""),
                 "late.csv:2: job '1': submit time 1e+300 s is beyond the limit");
  const std::string steps = write_scratch_file(
      "steps.csv", "job_id,submit_time,model,num_gpus,iterations\na,0,resnet50,1,1e15\n");
  expect_refused(simulate(steps, ""), "steps.csv:2: job a: 1000000000000000 iterations take");
}

TEST(HostileNumbers, AZeroDurationIsRefusedWhateverElseTheRowSays) {
  // With iterations it used to run for a modelled 21.58 s; without, it was reported as having
  // no duration at all.
  expect_refused(simulate(tiresias_row("zero.csv", "1,1,0,100,resnet50,0,0"), ""),
                 "zero.csv:2: job '1': duration must be a positive number of seconds");
  expect_refused(simulate(tiresias_row("zero-only.csv", "1,1,0,0,resnet50,0,0"), ""),
                 "duration must be a positive number of seconds");
}

TEST(HostileNumbers, AJobIdLongerThanTheResultsFieldIsRefused) {
  const std::string id(65, 'x');
  const std::string trace = write_scratch_file(
      "long-id.csv", "job_id,submit_time,model,num_gpus,iterations\n" + id + "a,0,resnet50,1,10\n" + id +
                         "b,0,resnet50,1,10\n");
  expect_refused(simulate(trace, ""), "long-id.csv:2: job id 'xxxxxxxxxxxxxxxx...' is longer than 64 bytes");
}

}  // namespace
}  // namespace dlsched::test
