// Schedules of themis on tiny traces, computed by hand.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include "core/error.h"

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

/// 1 GPU, 20 s rounds (leases), no restore delay. j0 (40 s) arrives at 0 and runs alone; j1
/// (10 s) arrives at 1 and j2 (10 s) at 19, both waiting for the round at 20.
std::unique_ptr<Experiment> three_jobs(const std::string& knob) {
  auto ex = tiny_experiment({{0, 1, 40}, {1, 1, 10}, {19, 1, 10}}, {{1, 1, "g"}}, "themis", 20, 0);
  ex->options.policy_params.set("fairness_knob=" + knob);
  return ex;
}

// At the round at 20 (E = elapsed, R = remaining, T = isolated time, L = 20):
//   j0 runs: rho = (E + R) / T = (20 + 20) / 40 = 1.0
//            gain = log(rho if it waits a lease / rho) = log(((20 + 20 + 20) / 40) / 1.0) = 0.405
//   j1 waits: rho = (E + L + R) / T = (19 + 20 + 10) / 10 = 4.9
//            gain = log(4.9 / ((19 + 10) / 10)) = log(49 / 29) = 0.525
//   j2 waits: rho = (1 + 20 + 10) / 10 = 3.1, gain = log(31 / 11) = 1.036
TEST(Themis, TheWorstRhoJobIsOfferedTheGpuFirst) {
  // f = 0.8: ceil(0.2 x 3) = 1 job offered, the worst rho: j1 runs 20-30 (j0 is preempted).
  // At 30 (j1 done): j0 waits, rho = (30 + 20 + 20) / 40 = 1.75; j2 rho = (11 + 20 + 10) / 10
  // = 4.1: j2 is offered and runs 30-40; j0 its last 20 s, 40-60.
  TinyRun run = run_tiny(*three_jobs("0.8"));
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 20);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 30);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 30);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 40);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 60);
  EXPECT_EQ(run.job(0).preemptions, 1);
}

TEST(Themis, KnobZeroOffersEveryJobAndTheLargestGainWins) {
  // f = 0: all 3 offered, ranked by gain: j2 (1.036) runs 20-30. At 30: j1 gain
  // log(((29 + 20 + 10) / 10) / ((29 + 10) / 10)) = log(59 / 39) = 0.414 beats j0's
  // log(((30 + 20 + 20) / 40) / ((30 + 20) / 40)) = log(70 / 50) = 0.336: j1 runs 30-40, j0 40-60.
  TinyRun run = run_tiny(*three_jobs("0"));
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 20);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 30);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 30);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 40);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 60);
}

TEST(Themis, LeftoverGpusGoToJobsNotOffered) {
  // 2 GPUs, f = 0.8, three 1-GPU jobs at 0: only one is offered, yet two run at once and the
  // third takes the first GPU freed. At 0 all have E = 0 and rho = (0 + 20 + T) / T: j0
  // (T = 10) 3.0, j1 (T = 20) 2.0, j2 (T = 5) 5.0. Offered: j2; then j0, then j1. j2 runs 0-5
  // and j0 0-10; j1 takes j2's GPU at 5 and, with 20 s rounds, runs undisturbed to 25.
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 20}, {0, 1, 5}}, {{1, 2, "g"}}, "themis", 20, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 5);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 10);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 25);
}

TEST(Themis, KnobOutsideTheUnitIntervalIsAnInputError) {
  PolicyParams p;
  p.set("fairness_knob=1.5");
  EXPECT_THROW(make_policy("themis", p), InputError);
}

}  // namespace
}  // namespace dlsched::test
