// An adaptive job run as Pollux's simulator runs it, on the made-up application data/toy
// (init batch 64, max batch 256, local batch 32-64, epochs ending at progress 90, 200, 300),
// with times worked out by hand.
#include <gtest/gtest.h>

#include "core/adaptive/application_profile.h"
#include "sim/adaptive_job.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

adaptive::ApplicationProfile toy() {
  return adaptive::ApplicationProfile::load(test::source_path("tests/adaptive/data/toy"));
}

TEST(AdaptiveJob, RunsEpochByEpochAfterTheRestartDelay) {
  const auto app = toy();
  AdaptiveJob job(app, 0, 64, 30);
  job.reallocate({1});
  // Batch 64 on one GPU: no accumulation (64 is the initial batch), 0.18 s a step, gain 1, so
  // 1/0.18 progress a second. After the 30 s restart, epoch 0 (to progress 90) takes
  // 16.2 s -> 16 s, then 14 s bring progress to 90 + 14 / 0.18.
  job.step(0, 60);
  EXPECT_EQ(job.epoch(), 1);
  EXPECT_NEAR(job.progress(), 90 + 14 / 0.18, 1e-9);
  EXPECT_FALSE(job.finished());
  // Epoch 1 ends after (200 - progress) x 0.18 = 5.8 s -> 6 s, epoch 2 after 100 x 0.18 = 18 s.
  job.step(60, 60);
  ASSERT_TRUE(job.finished());
  EXPECT_DOUBLE_EQ(job.completion_time(), 60 + 6 + 18);
  EXPECT_DOUBLE_EQ(job.attained_service(), 84);  // one GPU from 0 to 84
  EXPECT_EQ(job.restarts(), 0);
}

TEST(AdaptiveJob, NoGpusNoProgressAndRestartsCount) {
  const auto app = toy();
  AdaptiveJob job(app, 0, 128, 30);
  job.step(0, 60);
  EXPECT_EQ(job.progress(), 0);
  job.reallocate({0, 2, 0});  // two GPUs on the second node: placement {2}
  EXPECT_EQ(job.placement(), (std::vector<int>{2}));
  EXPECT_EQ(job.atomic_bsz(), 64);
  EXPECT_EQ(job.accum_steps(), 0);
  job.step(0, 20);  // all restart
  EXPECT_EQ(job.progress(), 0);
  EXPECT_DOUBLE_EQ(job.attained_service(), 40);
  job.reallocate({1});
  // 128 on one GPU: 2 passes of 64, and a single GPU above the initial batch accumulates.
  EXPECT_EQ(job.atomic_bsz(), 64);
  EXPECT_EQ(job.accum_steps(), 1);
  EXPECT_EQ(job.batch_size(), 128);
  EXPECT_EQ(job.restarts(), 1);
  job.reallocate({});
  EXPECT_EQ(job.replicas(), 0);
}

TEST(AdaptiveJob, AnAgentWithoutAModelStartsAtTheInitialBatch) {
  const auto app = toy();
  AdaptiveJob job(app, 0, std::nullopt, 30);
  EXPECT_FALSE(job.has_model());
  EXPECT_EQ(job.goodput(1, 1), 0);
  job.reallocate({2});
  // max(init 64, min local 32 x 2 GPUs) = 64: 32 per GPU.
  EXPECT_EQ(job.batch_size(), 64);
  EXPECT_EQ(job.atomic_bsz(), 32);
  job.step(0, 60);
  EXPECT_TRUE(job.has_model());  // fitted to what it ran on
  EXPECT_EQ(job.max_profiled_replicas(), 2);
  EXPECT_GT(job.goodput(1, 2), 0);
}

TEST(AdaptiveJob, OracleStepTimesAndRemainingSteps) {
  const auto app = toy();
  AdaptiveJob job(app, 0, 128, 30);
  // 2 GPUs: 64 each, placement {2}: 0.22 s.
  EXPECT_DOUBLE_EQ(job.oracle_step_time(2), 0.22);
  // 1 GPU: 2 passes of 64: 0.18 + (0.18 - 0.001) = 0.359 s.
  EXPECT_DOUBLE_EQ(job.oracle_step_time(1), 0.18 + 0.179);
  AdaptiveJob at64(app, 0, 64, 30);
  // Iterations at batch 64: 100 at the end of epoch 0, 300 at the end of epoch 2.
  EXPECT_DOUBLE_EQ(at64.oracle_remaining_steps(), 200);
}

}  // namespace
}  // namespace dlsched

namespace dlsched {
namespace {

// Emulation tells a job of whole optimiser steps (run_steps) instead of stepping it in time.

TEST(AdaptiveJobSteps, WholeStepsAtTheInitialBatchMakeOneProgressEach) {
  const auto app = toy();
  AdaptiveJob job(app, 0, 64, 30);
  job.reallocate({1});
  EXPECT_EQ(job.restart_left(), 30);
  // Batch 64 = the initial batch: gain 1 a step, so 300 steps to the last epoch's end.
  EXPECT_EQ(job.steps_to_finish(), 300);
  // A lease that waited out 20 s of the restart and held its GPU 25 s in all: 100 steps pass
  // the end of epoch 0 (progress 90).
  EXPECT_DOUBLE_EQ(job.run_steps(20, 100, 25, 25), 100);
  EXPECT_EQ(job.restart_left(), 10);
  EXPECT_EQ(job.epoch(), 1);
  EXPECT_DOUBLE_EQ(job.samples(), 100 * 64);
  EXPECT_DOUBLE_EQ(job.attained_service(), 25);
  EXPECT_EQ(job.steps_to_finish(), 200);
  EXPECT_DOUBLE_EQ(job.run_steps(10, 200, 50, 75), 200);
  ASSERT_TRUE(job.finished());
  EXPECT_EQ(job.completion_time(), 75);
  EXPECT_EQ(job.progress(), 300);
  EXPECT_DOUBLE_EQ(job.samples(), 300 * 64);
}

TEST(AdaptiveJobSteps, ALargerBatchGainsLessPerSampleAndTheJobEndsAtExactlyItsProgress) {
  const auto app = toy();
  AdaptiveJob job(app, 0, 128, 30);
  job.reallocate({2});  // 64 per GPU, no accumulation
  ASSERT_EQ(job.batch_size(), 128);
  // Gradient statistics at batch 128, a third of the way from the runs at 64 to 256:
  // epoch 0: sqr 4 - 2/3, var 8 + 8/3, gain (var + sqr) / (var / 2 + sqr) = 14 / (26/3) =
  // 21/13; 56 steps pass 90 (55.7 would reach it), to 56 x 21/13 = 90.46. Epoch 1: sqr 5/3,
  // var 28/3, gain 33/19; 64 steps to 201.62. Epoch 2: sqr 5/6, var 8, gain 53/29; 54 steps.
  EXPECT_EQ(job.steps_to_finish(), 56 + 64 + 54);
  EXPECT_NEAR(job.run_steps(30, 56, 40, 40), 56 * 21.0 / 13, 1e-9);
  EXPECT_EQ(job.epoch(), 1);
  EXPECT_EQ(job.steps_to_finish(), 64 + 54);
  // One step short of the end leaves it running; the last one ends it at exactly 300, not at
  // the 300.31 its gain would reach.
  job.run_steps(0, 64 + 53, 10, 50);
  EXPECT_FALSE(job.finished());
  EXPECT_EQ(job.steps_to_finish(), 1);
  job.run_steps(0, 1, 1, 51);
  ASSERT_TRUE(job.finished());
  EXPECT_EQ(job.progress(), 300);
  EXPECT_DOUBLE_EQ(job.samples(), 174 * 128);
  EXPECT_DOUBLE_EQ(job.attained_service(), 2 * (40 + 10 + 1));
}

}  // namespace
}  // namespace dlsched
