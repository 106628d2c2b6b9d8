// Between rounds the core shows a policy that ranks waiting jobs on their own
// (sees_running_jobs_between_rounds() false) only the waiting jobs. That must be a saving and
// nothing else: the same policy shown every active job gives the same rows.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sched/policy_registry.h"
#include "sim/simulator.h"
#include "support/test_paths.h"

namespace dlsched::test {
namespace {

/// The policy unchanged, except that it asks to see every active job between rounds.
class ShownEverything : public Policy {
 public:
  explicit ShownEverything(std::unique_ptr<Policy> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return inner_->name(); }
  bool preemptive() const override { return inner_->preemptive(); }
  bool work_conserving() const override { return inner_->work_conserving(); }
  PolicyOutput schedule(const PolicyInput& in) override { return inner_->schedule(in); }

 private:
  std::unique_ptr<Policy> inner_;
};

MemorySink run(const std::string& policy, bool waiting_only) {
  ExperimentOptions o;
  o.trace_path = trace_path("tiresias-60_job.csv");
  o.cluster = "2x4:v100";
  o.models_path = source_path("jobs/models.toml");
  o.policy = policy;
  o.round_length = 60;
  auto ex = load_experiment(o);
  std::unique_ptr<Policy> p = make_policy(policy);
  if (!waiting_only) p = std::make_unique<ShownEverything>(std::move(p));
  MemorySink rows;
  SimulationOptions check;
  check.check_invariants = true;
  simulate(*ex, *p, rows, check);
  return rows;
}

TEST(WaitingViews, ShowingOnlyWaitingJobsBetweenRoundsChangesNoRow) {
  for (const std::string policy : {"fifo", "fifo-backfill", "las", "srtf"}) {
    ASSERT_FALSE(make_policy(policy)->sees_running_jobs_between_rounds()) << policy;
    const MemorySink saving = run(policy, true);
    const MemorySink full = run(policy, false);
    ASSERT_EQ(saving.jobs.size(), full.jobs.size()) << policy;
    for (std::size_t i = 0; i < full.jobs.size(); ++i) {
      EXPECT_EQ(saving.jobs[i].job, full.jobs[i].job) << policy;
      EXPECT_EQ(saving.jobs[i].finish, full.jobs[i].finish) << policy << ": job " << full.jobs[i].job;
      EXPECT_EQ(saving.jobs[i].preemptions, full.jobs[i].preemptions) << policy;
    }
    ASSERT_EQ(saving.allocations.size(), full.allocations.size()) << policy;
    for (std::size_t i = 0; i < full.allocations.size(); ++i) {
      EXPECT_EQ(saving.allocations[i].time, full.allocations[i].time) << policy;
      EXPECT_EQ(saving.allocations[i].gpu, full.allocations[i].gpu) << policy;
    }
  }
}

}  // namespace
}  // namespace dlsched::test
