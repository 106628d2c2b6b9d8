// Every policy on every bundled sample trace: invariants hold and runs are deterministic.
#include <gtest/gtest.h>

#include "sched/policy_registry.h"
#include "sim/simulator.h"
#include "support/run_checks.h"
#include "support/test_paths.h"

namespace dlsched::test {
namespace {

struct Sample {
  std::string name;
  std::string trace;
  std::string cluster;
  std::string throughputs;  // empty: analytic / trace-anchored
  double round_length;
  bool check_every_decision;  // per-decision core checks (too slow for 82k jobs)
};

// Names the sample in test output instead of dumping its bytes.
void PrintTo(const Sample& s, std::ostream* os) { *os << s.name; }

std::vector<Sample> samples() {
  const std::string gavel_table = trace_path("gavel-simulation_throughputs.json");
  return {
      {"tiresias", "tiresias-60_job.csv", "2x4:v100", "", 60, true},
      {"gavel_small", "gavel-small_test.trace", "1x4:v100,1x4:p100,1x4:k80", gavel_table, 360, true},
      {"gavel_medium", "gavel-medium_test.trace", "source:jobs/clusters/gavel-heterogeneous.toml",
       gavel_table, 360, true},
      {"pollux", "pollux-workload-1.csv", "16x4:t4", "", 60, true},
      {"philly", "philly-82k.csv", "source:jobs/clusters/philly-2048.toml", "", 300, false},
  };
}

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  // Policies that adapt jobs run only under --mechanism pollux (tests/cli/test_pollux_mechanism).
  for (const PolicyInfo& p : registered_policies())
    if (p.make({})->adaptivity() == JobAdaptivity::fixed) names.push_back(p.name);
  return names;
}

ExperimentOptions options_for(const Sample& s, const std::string& policy) {
  ExperimentOptions o;
  o.trace_path = trace_path(s.trace);
  o.cluster = s.cluster.rfind("source:", 0) == 0 ? source_path(s.cluster.substr(7)) : s.cluster;
  o.throughputs_path = s.throughputs;
  o.models_path = source_path("jobs/models.toml");
  o.policy = policy;
  o.round_length = s.round_length;
  return o;
}

class SampleTraces : public ::testing::TestWithParam<std::tuple<Sample, std::string>> {};

/// "<sample>_<policy>", with anything but letters and digits as '_'.
std::string case_name(const ::testing::TestParamInfo<std::tuple<Sample, std::string>>& info) {
  std::string n = std::get<0>(info.param).name + "_" + std::get<1>(info.param);
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

TEST_P(SampleTraces, EveryJobFinishesAndInvariantsHold) {
  const auto& [sample, policy_name] = GetParam();
  auto ex = load_experiment(options_for(sample, policy_name));
  auto policy = make_policy(policy_name);
  MemorySink rows;
  SimulationOptions opt;
  opt.check_invariants = sample.check_every_decision;
  const RunSummary s = simulate(*ex, *policy, rows, opt);
  EXPECT_EQ(s.finished, ex->trace.jobs.size());
  expect_run_invariants(*ex, rows);
}

// The emulator's leases (whole iterations, the tick waiting for the last, no packing): the same
// invariants hold and every job still finishes. Philly's 82k jobs are left to the test above.
class WholeIterationSamples : public SampleTraces {};

TEST_P(WholeIterationSamples, EveryJobFinishesAndInvariantsHold) {
  const auto& [sample, policy_name] = GetParam();
  auto ex = load_experiment(options_for(sample, policy_name));
  ex->scheduler.packing = false;
  auto policy = make_policy(policy_name);
  MemorySink rows;
  SimulationOptions opt;
  opt.check_invariants = true;
  opt.whole_iterations = true;
  const RunSummary s = simulate(*ex, *policy, rows, opt);
  EXPECT_EQ(s.finished, ex->trace.jobs.size());
  expect_run_invariants(*ex, rows);
  for (const RoundRecord& r : rows.rounds) EXPECT_GE(r.control_overhead, 0) << "round " << r.round;
}

INSTANTIATE_TEST_SUITE_P(
    AllPolicies, SampleTraces, ::testing::Combine(::testing::ValuesIn(samples()),
                                                  ::testing::ValuesIn(policy_names())),
    case_name);

std::vector<Sample> checked_samples() {
  std::vector<Sample> out;
  for (const Sample& s : samples())
    if (s.check_every_decision) out.push_back(s);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    AllPolicies, WholeIterationSamples,
    ::testing::Combine(::testing::ValuesIn(checked_samples()), ::testing::ValuesIn(policy_names())),
    case_name);

bool same_rows(const MemorySink& a, const MemorySink& b) {
  auto eq_jobs = [](const JobRecord& x, const JobRecord& y) {
    return x.job == y.job && x.first_start == y.first_start && x.finish == y.finish &&
           x.preemptions == y.preemptions && x.gpu_seconds == y.gpu_seconds;
  };
  auto eq_alloc = [](const AllocationRecord& x, const AllocationRecord& y) {
    return x.time == y.time && x.job == y.job && x.gpu == y.gpu && x.event == y.event;
  };
  return std::equal(a.jobs.begin(), a.jobs.end(), b.jobs.begin(), b.jobs.end(), eq_jobs) &&
         std::equal(a.allocations.begin(), a.allocations.end(), b.allocations.begin(),
                    b.allocations.end(), eq_alloc) &&
         a.progress_rows.size() == b.progress_rows.size() && a.rounds.size() == b.rounds.size();
}

TEST(Determinism, TwoRunsGiveIdenticalRows) {
  for (const std::string policy : {"fifo", "las", "srtf"}) {
    const Sample s = samples()[0];
    MemorySink first, second;
    for (MemorySink* rows : {&first, &second}) {
      auto ex = load_experiment(options_for(s, policy));
      auto p = make_policy(policy);
      simulate(*ex, *p, *rows);
    }
    EXPECT_FALSE(first.jobs.empty());
    EXPECT_TRUE(same_rows(first, second)) << policy;
  }
}

}  // namespace
}  // namespace dlsched::test
