// A job whose last iteration ends after the core stopped it (the emulator's workers finish the
// iteration under way when a preemption reaches them) completes at once, holding no GPUs,
// instead of waiting to be restarted only to finish.
#include <gtest/gtest.h>

#include "sched/policy_registry.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

TEST(CompletionWhileStopped, AStoppedJobCompletesAtOnceAndFreesItsPlace) {
  // Two 1-GPU jobs of 10 s on one GPU under LAS with 4 s rounds: job 0 runs first; at the
  // t = 4 round LAS preempts it for job 1, which has attained nothing.
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}}, {{1, 1, "g"}}, "las", 4, 0);
  auto policy = make_policy("las");
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, ex->scheduler);
  s.observe(Event{Event::Kind::ARRIVAL, 0, 0});
  s.observe(Event{Event::Kind::ARRIVAL, 0, 1});
  ASSERT_EQ(s.decide(0).size(), 1u);
  ASSERT_EQ(s.state(0).status, JobState::Status::RUNNING);
  s.observe(Event{Event::Kind::ROUND_TICK, 4});
  const std::vector<Decision> swap = s.decide(4);
  ASSERT_EQ(swap.size(), 2u);
  ASSERT_EQ(s.state(0).status, JobState::Status::WAITING);
  ASSERT_EQ(s.state(1).status, JobState::Status::RUNNING);

  // Job 0's worker reports at t = 4.5 that it did all 10 iterations (pretend it was that
  // close): the core completes it there, though it holds no GPUs.
  s.observe(Event{Event::Kind::PROGRESS, 4.5, 0, 10, 0});
  s.observe(Event{Event::Kind::COMPLETION, 4.5, 0});
  EXPECT_EQ(s.state(0).status, JobState::Status::DONE);
  EXPECT_DOUBLE_EQ(s.state(0).finish, 4.5);
  EXPECT_TRUE(s.state(0).gpus.empty());
  EXPECT_EQ(s.finished_jobs(), 1u);
  EXPECT_EQ(s.busy_gpus(), 1);
  EXPECT_EQ(s.check_invariants(), "");

  // It is gone from what the policy sees: the next round keeps job 1 and starts nothing.
  s.observe(Event{Event::Kind::ROUND_TICK, 8});
  for (const Decision& d : s.decide(8)) EXPECT_NE(d.job, 0u);
  EXPECT_EQ(s.active_jobs(), 1u);
  EXPECT_EQ(s.state(1).status, JobState::Status::RUNNING);
}

TEST(CompletionWhileStopped, AJobThatNeverArrivedCannotComplete) {
  auto ex = tiny_experiment({{0, 1, 10}}, {{1, 1, "g"}}, "fifo");
  auto policy = make_policy("fifo");
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, ex->scheduler);
  EXPECT_ANY_THROW(s.observe(Event{Event::Kind::COMPLETION, 1, 0}));
}

}  // namespace
}  // namespace dlsched::test
