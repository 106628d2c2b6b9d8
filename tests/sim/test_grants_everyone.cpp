// The event-driven shortcut Policy::grants_everyone(): where every active job fits at once, the
// core starts the newcomers without a ranking. Runs with the shortcut must be the runs without
// it, decision point for decision point, and the shortcut must actually be taken.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sched/policy_registry.h"
#include "sim/simulator.h"
#include "support/test_paths.h"

namespace dlsched::test {
namespace {

/// Forwards everything to `inner`; `shortcut` false hides its grants_everyone() (the core then
/// always asks schedule()), true forwards it and counts the answers.
class Forwarding : public Policy {
 public:
  Forwarding(std::unique_ptr<Policy> inner, bool shortcut)
      : inner_(std::move(inner)), shortcut_(shortcut) {}
  std::string_view name() const override { return inner_->name(); }
  bool preemptive() const override { return inner_->preemptive(); }
  PolicyOutput schedule(const PolicyInput& in) override {
    ++rankings;
    return inner_->schedule(in);
  }
  bool work_conserving() const override { return inner_->work_conserving(); }
  bool sees_running_jobs_between_rounds() const override {
    return inner_->sees_running_jobs_between_rounds();
  }
  bool event_driven() const override { return inner_->event_driven(); }
  double next_decision_time() const override { return inner_->next_decision_time(); }
  bool grants_everyone(const PolicyInput& in) override {
    if (!shortcut_) return false;
    const bool granted = inner_->grants_everyone(in);
    (granted ? shortcuts : refusals) += 1;
    return granted;
  }

  long rankings = 0;
  long shortcuts = 0;
  long refusals = 0;

 private:
  std::unique_ptr<Policy> inner_;
  bool shortcut_;
};

struct ShortcutRun {
  RunSummary summary;
  MemorySink rows;
  long rankings = 0;
  long shortcuts = 0;
  long refusals = 0;
};

ShortcutRun simulate_event_driven(const std::string& trace, const std::string& cluster,
                                  const std::string& mechanism, bool shortcut,
                                  const std::string& thresholds = "3250,7200") {
  ExperimentOptions o;
  o.trace_path = trace;
  o.cluster = cluster;
  o.models_path = source_path("jobs/models.toml");
  o.policy = "tiresias-las";
  o.mechanism = mechanism;
  o.round_length = 0;
  o.set_by_user.insert("round_length");
  o.event_driven_driver = true;
  o.policy_params.set("thresholds=" + thresholds);
  auto ex = load_experiment(o);
  Forwarding policy(make_policy(o.policy, o.policy_params), shortcut);
  ShortcutRun run;
  SimulationOptions check;
  check.check_invariants = true;
  run.summary = simulate(*ex, policy, run.rows, check);
  run.rankings = policy.rankings;
  run.shortcuts = policy.shortcuts;
  run.refusals = policy.refusals;
  return run;
}

void expect_same_runs(const ShortcutRun& with, const ShortcutRun& without,
                      const std::string& what) {
  EXPECT_EQ(with.summary.rounds, without.summary.rounds) << what;
  EXPECT_EQ(with.summary.policy_calls, without.summary.policy_calls) << what;
  ASSERT_EQ(with.rows.jobs.size(), without.rows.jobs.size()) << what;
  for (std::size_t i = 0; i < with.rows.jobs.size(); ++i) {
    const JobRecord& a = with.rows.jobs[i];
    const JobRecord& b = without.rows.jobs[i];
    EXPECT_EQ(a.job, b.job) << what;
    EXPECT_EQ(a.first_start, b.first_start) << what << ": job " << a.job;
    EXPECT_EQ(a.finish, b.finish) << what << ": job " << a.job;
    EXPECT_EQ(a.preemptions, b.preemptions) << what << ": job " << a.job;
  }
  // The same GPUs at the same instants.
  ASSERT_EQ(with.rows.allocations.size(), without.rows.allocations.size()) << what;
  for (std::size_t i = 0; i < with.rows.allocations.size(); ++i) {
    EXPECT_EQ(with.rows.allocations[i].time, without.rows.allocations[i].time) << what;
    EXPECT_EQ(with.rows.allocations[i].job, without.rows.allocations[i].job) << what;
    EXPECT_EQ(with.rows.allocations[i].gpu, without.rows.allocations[i].gpu) << what;
  }
}

struct Case {
  std::string cluster;
  std::string mechanism;
  std::string thresholds;
};

TEST(GrantsEveryone, SameRunsWithAndWithoutTheShortcut) {
  // Tiresias' 60 jobs on its own 8 GPUs (queues form, most points rank) and on 64 (nearly
  // everything fits), under its mechanism (reference jumps) and in exact crossings; with its
  // default queue limits and with low ones, which jobs cross while everything fits (the
  // shortcut must then move them down and name their next jumps as a ranking would).
  const std::vector<Case> cases = {
      {"2x4:v100", "tiresias", "3250,7200"}, {"8x8:v100", "tiresias", "3250,7200"},
      {"8x8:v100", "tiresias", "100,400"},   {"8x8:v100", "dlsched", "100,400"},
      {"3x4:v100", "dlsched", "100,400"},    {"2x4:v100", "tiresias", "100,400"},
  };
  const std::string trace = trace_path("tiresias-60_job.csv");
  for (const Case& c : cases) {
    const std::string what = c.cluster + " " + c.mechanism + " " + c.thresholds;
    const ShortcutRun with =
        simulate_event_driven(trace, c.cluster, c.mechanism, true, c.thresholds);
    const ShortcutRun without =
        simulate_event_driven(trace, c.cluster, c.mechanism, false, c.thresholds);
    ASSERT_EQ(with.rows.jobs.size(), 60u) << what;
    expect_same_runs(with, without, what);
    // Each decision point either ranks or takes the shortcut.
    EXPECT_EQ(with.rankings + with.shortcuts, without.rankings) << what;
  }
}

TEST(GrantsEveryone, TakenWhereEverythingFitsRefusedWhereJobsWait) {
  const std::string trace = trace_path("tiresias-60_job.csv");
  const ShortcutRun roomy = simulate_event_driven(trace, "8x8:v100", "tiresias", true);
  EXPECT_GT(roomy.shortcuts, roomy.rankings);  // 64 GPUs: most points need no ranking
  const ShortcutRun tight = simulate_event_driven(trace, "2x4:v100", "tiresias", true);
  EXPECT_GT(tight.rankings, 0);
  EXPECT_GT(tight.shortcuts, 0);
}

}  // namespace
}  // namespace dlsched::test
