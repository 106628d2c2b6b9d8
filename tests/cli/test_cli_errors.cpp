// Bad input through the real executable: a file:line message, exit code 2, no output file.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

#include "support/test_paths.h"

namespace dlsched::test {
namespace {

struct Outcome {
  int code;
  std::string output;  // stdout and stderr
};

Outcome run(const std::string& args) {
  const std::string cmd = dlsched_binary() + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string simulate_args(const std::string& trace, const std::string& out,
                          const std::string& extra = "") {
  return "simulate --no-progress --models " + source_path("jobs/models.toml") + " --trace " +
         trace + " -o " + out + " " + extra;
}

void expect_input_error(const Outcome& o, const std::string& expected, const std::string& out) {
  EXPECT_EQ(o.code, 2) << o.output;
  EXPECT_NE(o.output.find(expected), std::string::npos) << "wanted '" << expected << "' in: " << o.output;
  EXPECT_FALSE(std::filesystem::exists(out)) << "an output file was left behind";
}

TEST(CliErrors, BrokenTraceRowNamesFileAndLine) {
  const std::string trace = write_scratch_file(
      "broken.csv", "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n"
                    "0,1,0,100,resnet50,100,0\n"
                    "1,two,5,100,resnet50,100,0\n");
  const std::string out = scratch_dir() + "/out.h5";
  expect_input_error(run(simulate_args(trace, out)), trace + ":3:", out);
}

TEST(CliErrors, BrokenGittinsPriorNamesFileAndLine) {
  const std::string prior = write_scratch_file("prior.csv", "duration\n120\n-5\n");
  const std::string out = scratch_dir() + "/out.h5";
  expect_input_error(run(simulate_args(trace_path("tiresias-60_job.csv"), out,
                                       "--cluster 2x4:v100 --policy tiresias-gittins --policy-param prior=" + prior)),
                     prior + ":3: duration '-5' is not a positive number", out);
}

TEST(CliErrors, UnknownModelIsNamedWithItsLine) {
  const std::string trace = write_scratch_file(
      "unknown-model.csv", "job_id,submit_time,model,num_gpus,iterations\n"
                           "a,0,resnet50,1,10\n"
                           "b,1,no-such-net,1,10\n");
  const std::string out = scratch_dir() + "/out.h5";
  expect_input_error(run(simulate_args(trace, out, "--cluster 1x2:v100")),
                     trace + ":3: job b: unknown model 'no-such-net'", out);
}

TEST(CliErrors, JobLargerThanTheClusterIsRefused) {
  const std::string trace = write_scratch_file(
      "too-big.csv", "job_id,submit_time,model,num_gpus,iterations\nbig,0,resnet50,16,10\n");
  const std::string out = scratch_dir() + "/out.h5";
  expect_input_error(run(simulate_args(trace, out, "--cluster 2x4:v100")),
                     trace + ":2: job big requests 16 GPUs", out);
}

TEST(CliErrors, BadClusterShorthandAndUnknownGpuType) {
  const std::string out = scratch_dir() + "/out.h5";
  const std::string trace = trace_path("tiresias-60_job.csv");
  expect_input_error(run(simulate_args(trace, out, "--cluster 4x")), "cluster spec '4x'", out);
  expect_input_error(run(simulate_args(trace, out, "--cluster 4x8:tpu9")), "GPU type 'tpu9'", out);
}

TEST(CliErrors, UnknownPolicyAndBadKnobs) {
  const std::string out = scratch_dir() + "/out.h5";
  const std::string trace = trace_path("tiresias-60_job.csv");
  expect_input_error(run(simulate_args(trace, out, "--policy nope")), "unknown policy 'nope'", out);
  expect_input_error(run(simulate_args(trace, out, "--round-length -1")), "--round-length", out);
  expect_input_error(run(simulate_args(trace, out, "--time-scale -1")), "--time-scale", out);
  expect_input_error(run(simulate_args(trace, out, "--policy gandiva --suspend-delay -1")),
                     "--suspend-delay must be >= 0", out);
  expect_input_error(run(simulate_args(trace, out, "--mechanism nope")),
                     "unknown mechanism 'nope' (valid: dlsched, gavel, tiresias, pollux)", out);
}

TEST(CliErrors, EventDrivenTimeNeedsAPolicyAndMechanismWithoutRounds) {
  const std::string out = scratch_dir() + "/out.h5";
  const std::string trace = trace_path("tiresias-60_job.csv") + " --cluster 2x4:v100";
  // The refusal lists the policies that can run there, found by asking each.
  expect_input_error(run(simulate_args(trace, out, "--round-length 0 --policy gandiva")),
                     "policy gandiva decides in rounds; with --round-length 0 run one of:", out);
  const Outcome listed = run(simulate_args(trace, out, "--round-length 0 --policy themis"));
  EXPECT_NE(listed.output.find("tiresias-las"), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find("gandiva"), std::string::npos) << listed.output;
  expect_input_error(run(simulate_args(trace, out, "--round-length 0 --mechanism gavel")),
                     "--round-length 0 does not apply to --mechanism gavel", out);
  expect_input_error(run(simulate_args(trace, out, "--round-length 0 --whole-iterations")),
                     "event-driven time (--round-length 0) has none", out);
}

TEST(Cli, AMechanismSetsTheKnobsTheUserDidNotGive) {
  const std::string out = scratch_dir() + "/mechanism.h5";
  const std::string trace = trace_path("tiresias-60_job.csv") + " --cluster 2x4:v100";
  const Outcome gavel = run(simulate_args(trace, out, "--mechanism gavel"));
  EXPECT_EQ(gavel.code, 0) << gavel.output;
  EXPECT_NE(gavel.output.find("round 360 s"), std::string::npos) << gavel.output;
  const Outcome given = run(simulate_args(trace, out, "--mechanism gavel --round-length 300"));
  EXPECT_EQ(given.code, 0) << given.output;
  EXPECT_NE(given.output.find("round 300 s"), std::string::npos) << given.output;
  const Outcome tiresias = run(simulate_args(trace, out, "--mechanism tiresias"));
  EXPECT_NE(tiresias.output.find("round 1 s"), std::string::npos) << tiresias.output;
}

TEST(CliErrors, MissingTraceFile) {
  const std::string out = scratch_dir() + "/out.h5";
  expect_input_error(run(simulate_args(scratch_dir() + "/absent.csv", out)), "absent.csv", out);
}

TEST(Cli, SimulateWritesACompleteFileAndPrintsASummary) {
  const std::string out = scratch_dir() + "/ok.h5";
  const Outcome o = run(simulate_args(trace_path("tiresias-60_job.csv"), out, "--cluster 2x4:v100"));
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("finished 60/60"), std::string::npos) << o.output;
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(Cli, TraceConvertRoundTripsAndStatsSummarises) {
  const std::string csv = scratch_dir() + "/tiresias.csv";
  Outcome o = run("trace convert " + trace_path("tiresias-60_job.csv") + " -o " + csv);
  ASSERT_EQ(o.code, 0) << o.output;
  o = run("trace stats " + csv);
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("format dlsched"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("60"), std::string::npos) << o.output;
}

}  // namespace
}  // namespace dlsched::test
