// Schedules of tiresias-las and tiresias-gittins on tiny traces, computed by hand.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include "core/error.h"

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

/// Tiresias-LAS, 1 GPU, 1 s rounds, no restore delay, 2 queues split at 4 GPU-s.
std::unique_ptr<Experiment> starving_trace(const std::string& starve_factor) {
  // j0 (10 s) at 0, then three 3 s jobs arriving as each previous one ends: 4, 7, 10.
  auto ex = tiny_experiment({{0, 1, 10}, {4, 1, 3}, {7, 1, 3}, {10, 1, 3}}, {{1, 1, "g"}},
                            "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=" + starve_factor);
  return ex;
}

TEST(TiresiasLas, JobCrossingTheThresholdIsDemotedAndAStarvedOneIsPromoted) {
  // starve_factor 2, and a fifth job j4 (3 s) arriving at 13. j0 runs alone 0-4; at 4 it has
  // 4 GPU-s >= 4: demoted to Q1, and j1 (Q0) preempts it. j1 runs 4-7, j2 7-10, j3 from 10
  // (each 3 GPU-s < 4, so they stay in Q0). j0 has waited since 4 after running 4 s: it is
  // starved once 12 - 4 = 8 >= 2 x 4, so at 12 it goes back to the back of Q0, behind the
  // running j3, which finishes at 13. j4 arrives at 13 behind j0: j0 runs 13-17, reaches 4
  // GPU-s since its promotion and drops to Q1 again; j4 runs 17-20 and j0 its last 2 s 20-22.
  auto ex = tiny_experiment({{0, 1, 10}, {4, 1, 3}, {7, 1, 3}, {10, 1, 3}, {13, 1, 3}},
                            {{1, 1, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=2");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 4);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 10);
  EXPECT_DOUBLE_EQ(run.job(3).finish, 13);
  EXPECT_EQ(run.job(3).preemptions, 0);
  EXPECT_DOUBLE_EQ(run.job(4).first_start, 17);
  EXPECT_DOUBLE_EQ(run.job(4).finish, 20);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 22);
  EXPECT_EQ(run.job(0).preemptions, 2);
}

TEST(TiresiasLas, WithoutPromotionTheDemotedJobWaitsForTheQueueAbove) {
  // Same trace, promotion off: j3 runs 10-13 undisturbed, then j0 (Q1) its last 6 s: 13-19.
  TinyRun run = run_tiny(*starving_trace("0"));
  EXPECT_DOUBLE_EQ(run.job(3).finish, 13);
  EXPECT_EQ(run.job(3).preemptions, 0);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 19);
  EXPECT_EQ(run.job(0).preemptions, 1);
}

TEST(TiresiasLas, ServiceIsGpusTimesTime) {
  // 2 GPUs, 1 s rounds, threshold 4 GPU-s, no promotion. j0 (2 GPUs, 6 s) runs alone from 0
  // and has 2 x 2 s = 4 GPU-s at 2: it drops to Q1, and j1 (2 GPUs, 3 s, arrived at 1, Q0)
  // takes over at 2. At 4 j1 has 4 GPU-s too and drops to Q1, where FIFO puts j0 (earlier
  // arrival) first: j0 runs its last 4 s 4-8, j1 its last second 8-9.
  auto ex = tiny_experiment({{0, 2, 6}, {1, 2, 3}}, {{1, 2, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=0");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 8);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 9);
}

TEST(TiresiasGittins, RanksByGittinsIndexOfTheServiceDistribution) {
  // 1 GPU, 1 s rounds, one queue (index order only), quantum delta = 2 GPU-s. Jobs of 8, 2
  // and 2 s arrive at 0, so the service distribution is {2, 2, 8}. With
  //   G(a) = P(a < S <= a + 2 | S > a) / E[min(S - a, 2) | S > a]:
  //   G(0) = (2/3) / ((2 + 2 + 2) / 3) = 1/3 for all three: tie, j0 (first) runs 0-1;
  //   at 1: G(1) = (2/3) / ((1 + 1 + 2) / 3) = 1/2 > 1/3, j0 keeps running;
  //   at 2: only S = 8 exceeds 2 and it does not end within 2 more: G(2) = 0. j0 must be the
  //   long job; j1 (1/3) preempts it and runs 2-4 (G(1) = 1/2 at 3), j2 4-6, j0 6-12.
  auto ex = tiny_experiment({{0, 1, 8}, {0, 1, 2}, {0, 1, 2}}, {{1, 1, "g"}}, "tiresias-gittins", 1, 0);
  ex->options.policy_params.set("queues=1");
  ex->options.policy_params.set("delta=2");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 4);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 4);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 6);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 12);
  EXPECT_EQ(run.job(0).preemptions, 1);
}

TEST(TiresiasLas, WithOneQueueItIsFifo) {
  // Contrast with the Gittins test's trace: one queue and no index, so j0 runs 0-8 first.
  auto ex = tiny_experiment({{0, 1, 8}, {0, 1, 2}, {0, 1, 2}}, {{1, 1, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=1");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 8);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 8);
}

TEST(Tiresias, ThresholdsMustMatchTheQueues) {
  const auto params = [](const std::string& thresholds) {
    PolicyParams p;
    p.set("queues=4");
    if (!thresholds.empty()) p.set("thresholds=" + thresholds);
    return p;
  };
  EXPECT_THROW(make_policy("tiresias-las", params("")), InputError);  // default has two thresholds
  EXPECT_THROW(make_policy("tiresias-las", params("100,50,200")), InputError);  // not increasing
  EXPECT_NO_THROW(make_policy("tiresias-gittins", params("50,100,200")));
}

}  // namespace
}  // namespace dlsched::test
