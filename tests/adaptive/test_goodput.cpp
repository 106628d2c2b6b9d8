// Statistical efficiency, goodput and the agent's batch-size choice against hand computations.
#include <gtest/gtest.h>

#include <cmath>

#include "core/adaptive/batch_choice.h"
#include "core/adaptive/goodput.h"

namespace dlsched::adaptive {
namespace {

// Gradient noise scale B = init * var / sqr = 10 * 10 / 1 = 100 samples.
constexpr GradStats kGrad{1.0, 10.0};
constexpr double kInit = 10;

TEST(Efficiency, IsNoiseScalePlusInitOverNoiseScalePlusBatch) {
  // (B + init) / (B + batch) = 110 / 200 at batch 100.
  EXPECT_NEAR(efficiency(kGrad, kInit, 100), 0.55, 1e-12);
  EXPECT_NEAR(efficiency(kGrad, kInit, 1000), 110.0 / 1100.0, 1e-12);
  EXPECT_NEAR(efficiency(kGrad, kInit, kInit), 1.0, 1e-12);
  // Progress per step counts initial-size batches: 10x the samples at efficiency 0.55.
  EXPECT_NEAR(progress_gain(kGrad, kInit, 100), 5.5, 1e-12);
  // No noise: a larger batch buys nothing per sample. All noise: efficiency stays 1.
  EXPECT_NEAR(efficiency({1.0, 0.0}, kInit, 40), 0.25, 1e-12);
  EXPECT_NEAR(efficiency({0.0, 3.0}, kInit, 40), 1.0, 1e-12);
  // Without statistics the gain counts as 1.
  EXPECT_NEAR(progress_gain({0.0, 0.0}, kInit, 40), 1.0, 1e-12);
}

// One GPU computing 0.1 s + 1 ms per sample; gamma 1, so its negligible sync (1e-8 s) adds.
const PerfParams kPerf{0.1, 0.001, 0.2, 0.01, 0.05, 0.002, 1.0};

TEST(Goodput, IsThroughputTimesEfficiency) {
  const GoodputModel model(kPerf, kGrad, kInit);
  // 96 samples take 0.196 s; efficiency 110 / 196.
  EXPECT_NEAR(model.throughput(1, 1, 96, 0), 96 / (0.196 + 1e-8), 1e-9);
  EXPECT_NEAR(model.goodput(1, 1, 96, 0), 96 / 0.196 * 110 / 196, 1e-4);
  // Two accumulation steps: three passes of 96, one sync; batch 288.
  EXPECT_NEAR(model.goodput(1, 1, 96, 2), 288 / (3 * 0.196) * 110 / 388, 1e-4);
}

TEST(Goodput, BestBatchIsTheCandidateNearestTheAnalyticOptimum) {
  // goodput(b) = b / (0.1 + 0.001 b) * 110 / (100 + b) is largest where b^2 = 100 * B, at
  // b = 100. The agent tries 10 * 100^(i/49), i = 0..49: i = 24 gives 95.5 -> 96 samples,
  // i = 25 gives 104.8 -> 105; 96 / 196^2 > 105 / 205^2, so 96 wins.
  const GoodputModel model(kPerf, kGrad, kInit);
  const BatchConfig best = model.optimize(1, 1, {1000, 1, std::nullopt, false});
  EXPECT_EQ(best.atomic_bsz, 96);
  EXPECT_EQ(best.accum_steps, 0);
  EXPECT_NEAR(best.goodput, 96 / 0.196 * 110 / 196, 1e-4);
}

TEST(Goodput, ConfigurationsAboveTheAtomicLimitDoNotCount) {
  // Goodput grows up to b = 100, but no pass may exceed 20 samples and there is no
  // accumulation: the largest candidate within 20 is i = 7, 10 * 100^(7/49) = 19.3 -> 20.
  const GoodputModel model(kPerf, kGrad, kInit);
  const BatchConfig best = model.optimize(1, 1, {1000, 1, 20, false});
  EXPECT_EQ(best.atomic_bsz, 20);
  EXPECT_EQ(best.accum_steps, 0);
}

TEST(Goodput, OneReplicaAboveTheInitialBatchAccumulates) {
  // With accumulation a single replica splits any batch above the initial one into at least
  // two passes, and never runs a pass above the atomic limit.
  const GoodputModel model(kPerf, kGrad, kInit);
  const BatchConfig best = model.optimize(1, 1, {1000, 1, 32, true});
  EXPECT_GE(best.accum_steps, 1);
  EXPECT_LE(best.atomic_bsz, 32);
  EXPECT_GT(best.goodput, model.goodput(1, 1, 10, 0));
}

TEST(Goodput, SpeedupOfOneGpuIsOne) {
  const GoodputModel model(kPerf, kGrad, kInit);
  const BatchLimits limits{1000, 1, 64, true};
  EXPECT_DOUBLE_EQ(model.speedup(1, 1, limits), 1.0);
  // More GPUs on one node do better than one, and no better than linearly.
  const double four = model.speedup(1, 4, limits);
  EXPECT_GT(four, 1.0);
  EXPECT_LT(four, 4.0);
}

constexpr ApplicationLimits kLimits{32, 4096, 16, 64};

TEST(BatchChoice, FixedBatchSplitsOverReplicasAndAccumulates) {
  // 512 over 3 replicas: local ceil(170.7) = 171 > 64, so ceil(171 / 64) - 1 = 2 extra passes
  // of ceil(171 / 3) = 57.
  const BatchConfig c = choose_batch(kLimits, 1, 3, 512, nullptr);
  EXPECT_EQ(c.atomic_bsz, 57);
  EXPECT_EQ(c.accum_steps, 2);
  // One replica above the initial batch: two passes even though 64 fits in one.
  const BatchConfig one = choose_batch(kLimits, 1, 1, 64, nullptr);
  EXPECT_EQ(one.atomic_bsz, 32);
  EXPECT_EQ(one.accum_steps, 1);
}

TEST(BatchChoice, TotalStaysWithinTheLargestBatch) {
  // 512 on 2 replicas: local 256 = 4 passes of 64, but the largest batch is 100: 100 / 8 = 12.
  const ApplicationLimits small{32, 100, 8, 64};
  const BatchConfig c = choose_batch(small, 1, 2, 512, nullptr);
  EXPECT_EQ(c.accum_steps, 3);
  EXPECT_EQ(c.atomic_bsz, 12);
}

TEST(BatchChoice, WithoutAModelAJobStartsAtTheInitialBatchOrTheSmallestLocalOne) {
  // max(32, 16 x 4) = 64 over 4 replicas.
  const BatchConfig c = choose_batch(kLimits, 1, 4, std::nullopt, nullptr);
  EXPECT_EQ(c.atomic_bsz, 16);
  EXPECT_EQ(c.accum_steps, 0);
  // max(32, 16 x 1) = 32 on one replica: at the initial batch, no accumulation.
  EXPECT_EQ(choose_batch(kLimits, 1, 1, std::nullopt, nullptr).atomic_bsz, 32);
}

TEST(BatchChoice, WithAModelTheAgentMaximisesGoodput) {
  const GoodputModel model(kPerf, kGrad, 32);
  const BatchConfig chosen = choose_batch(kLimits, 2, 8, std::nullopt, &model);
  const BatchConfig best = model.optimize(2, 8, {4096, 16, 64, true});
  EXPECT_EQ(chosen.atomic_bsz, best.atomic_bsz);
  EXPECT_EQ(chosen.accum_steps, best.accum_steps);
  EXPECT_NEAR(chosen.goodput, best.goodput, 1e-9 * best.goodput);
  // A fixed batch size wins over the model.
  EXPECT_EQ(choose_batch(kLimits, 2, 8, 512, &model).atomic_bsz, 64);
}

}  // namespace
}  // namespace dlsched::adaptive
