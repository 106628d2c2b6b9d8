// Golden runs: a few small simulations whose full result tables are checked in
// (tests/golden/*.txt) and compared line by line. Determinism tests compare a run with another
// run of the same build; these compare it with the last reviewed behaviour, so any change in a
// schedule shows up as a diff in review. After a deliberate change, regenerate with
//   DLSCHED_UPDATE_GOLDEN=1 ctest -R Golden
// and commit the new files with the change that explains them.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sched/policy_registry.h"
#include "sim/simulator.h"
#include "support/test_paths.h"

namespace dlsched::test {
namespace {

struct GoldenCase {
  std::string name;
  std::string trace;
  std::string cluster;
  std::string policy;
  std::string mechanism;
  double round_length;  // 0: the mechanism's
  bool gavel_throughputs;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

std::vector<GoldenCase> golden_cases() {
  const std::string gavel_cluster = "1x4:v100,1x4:p100,1x4:k80";
  return {
      {"tiresias_fifo", "tiresias-60_job.csv", "2x4:v100", "fifo", "dlsched", 60, false},
      {"tiresias_las", "tiresias-60_job.csv", "2x4:v100", "las", "dlsched", 60, false},
      {"tiresias_srtf", "tiresias-60_job.csv", "2x4:v100", "srtf", "dlsched", 60, false},
      {"tiresias_themis", "tiresias-60_job.csv", "2x4:v100", "themis", "dlsched", 60, false},
      {"tiresias_2dlas", "tiresias-60_job.csv", "2x4:v100", "tiresias-las", "tiresias", 0, false},
      {"gavel_small_maxmin", "gavel-small_test.trace", gavel_cluster, "gavel-maxmin", "gavel", 0,
       true},
      {"gavel_small_gandiva", "gavel-small_test.trace", gavel_cluster, "gandiva", "dlsched", 360,
       true},
  };
}

// Twelve significant digits: any change of schedule moves a time far more than that, while the
// last bits of a sum are left out of the comparison.
std::string num(double v) { return fmt::format("{:.12g}", v); }

/// Every row of every table, one line each, in the order the simulator produced them.
std::string render(const MemorySink& rows) {
  std::ostringstream out;
  out << "# jobs: job id model submit first_start finish jct gpus iterations done preemptions "
         "gpu_seconds isolated compute comm source status\n";
  for (const JobRecord& j : rows.jobs)
    out << fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n", j.job, j.job_id,
                       j.model, num(j.submit), num(j.first_start), num(j.finish), num(j.jct),
                       j.num_gpus, num(j.iterations), num(j.iterations_done), j.preemptions,
                       num(j.gpu_seconds), num(j.isolated_time), num(j.compute_seconds),
                       num(j.comm_seconds), j.throughput_source, int(j.status));
  out << "# allocations: time job gpu node event\n";
  for (const AllocationRecord& a : rows.allocations)
    out << fmt::format("{} {} {} {} {}\n", num(a.time), a.job, a.gpu, a.node, int(a.event));
  out << "# progress: start end job round iterations seconds compute comm workers\n";
  for (const ProgressRecord& p : rows.progress_rows)
    out << fmt::format("{} {} {} {} {} {} {} {} {}\n", num(p.start), num(p.end), p.job, p.round,
                       num(p.iterations), num(p.seconds), num(p.compute_seconds),
                       num(p.comm_seconds), p.workers);
  out << "# rounds: round time busy running queued finished\n";
  for (const RoundRecord& r : rows.rounds)
    out << fmt::format("{} {} {} {} {} {}\n", r.round, num(r.time), r.busy_gpus, r.running_jobs,
                       r.queued_jobs, r.finished_jobs);
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, TablesMatchTheCheckedInRun) {
  const GoldenCase& c = GetParam();
  ExperimentOptions o;
  o.trace_path = trace_path(c.trace);
  o.cluster = c.cluster;
  o.models_path = source_path("jobs/models.toml");
  if (c.gavel_throughputs) o.throughputs_path = trace_path("gavel-simulation_throughputs.json");
  o.policy = c.policy;
  o.mechanism = c.mechanism;
  if (c.round_length > 0) {
    o.round_length = c.round_length;
    o.set_by_user.insert("round_length");
  }
  auto ex = load_experiment(o);
  auto policy = make_policy(c.policy);
  MemorySink rows;
  simulate(*ex, *policy, rows, SimulationOptions{});
  const std::string actual = render(rows);

  const std::string path = source_path("tests/golden/" + c.name + ".txt");
  if (std::getenv("DLSCHED_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: run with DLSCHED_UPDATE_GOLDEN=1 to create it";
  std::ostringstream expected;
  expected << in.rdbuf();

  const auto want = lines_of(expected.str());
  const auto got = lines_of(actual);
  std::size_t differing = 0, first = 0;
  for (std::size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    const bool same = i < want.size() && i < got.size() && want[i] == got[i];
    if (!same && differing++ == 0) first = i;
  }
  EXPECT_EQ(differing, 0u) << c.name << ": " << differing << " of " << want.size()
                           << " lines differ; first at " << path << ":" << first + 1
                           << "\n  want: " << (first < want.size() ? want[first] : "(none)")
                           << "\n  got:  " << (first < got.size() ? got[first] : "(none)");
}

INSTANTIATE_TEST_SUITE_P(SmallRuns, Golden, ::testing::ValuesIn(golden_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace dlsched::test
