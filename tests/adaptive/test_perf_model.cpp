// Pollux's throughput model: step times by hand, the fit's loss and gradient, and the fit
// recovering the parameters that generated its observations.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "core/adaptive/perf_fit.h"
#include "core/adaptive/perf_params.h"
#include "core/error.h"

namespace dlsched::adaptive {
namespace {

// Compute 0.05 + 0.002 * bsz; intra-node sync 0.05 + 0.002 per replica beyond 2; inter-node
// 0.2 + 0.01 per replica beyond 2; gamma 2.
const PerfParams kTruth{0.05, 0.002, 0.2, 0.01, 0.05, 0.002, 2.0};

TEST(PerfParams, StepTimeIsTheGammaNormOfComputeAndSync) {
  // 2 nodes, 4 replicas, 50 samples: compute 0.05 + 0.1 = 0.15, sync 0.2 + 0.01 * 2 = 0.22,
  // step sqrt(0.15^2 + 0.22^2) = sqrt(0.0709).
  EXPECT_NEAR(kTruth.compute_time(50), 0.15, 1e-12);
  EXPECT_NEAR(kTruth.sync_time(2, 4), 0.22, 1e-12);
  EXPECT_NEAR(kTruth.step_time(2, 4, 50), std::sqrt(0.0709), 1e-12);
  // One node, 2 replicas: no retrogression term beyond its 1e-8 floor.
  EXPECT_NEAR(kTruth.sync_time(1, 2), 0.05, 1e-9);
  // One replica synchronises with nobody: the step is its compute time.
  EXPECT_NEAR(kTruth.step_time(1, 1, 50), 0.15, 1e-12);
  // Accumulating 3 extra batches adds 3 unsynchronised compute passes; 4 x 50 x 4 samples.
  EXPECT_NEAR(kTruth.step_time(2, 4, 50, 3), 3 * 0.15 + std::sqrt(0.0709), 1e-12);
  EXPECT_NEAR(kTruth.throughput(2, 4, 50, 3), 800 / (0.45 + std::sqrt(0.0709)), 1e-9);
  // gamma = 1 adds the two; a large gamma tends to the larger one.
  PerfParams sum = kTruth;
  sum.gamma = 1;
  EXPECT_NEAR(sum.step_time(2, 4, 50), 0.37, 1e-12);
  PerfParams overlap = kTruth;
  overlap.gamma = 10;
  EXPECT_NEAR(overlap.step_time(2, 4, 50), 0.22 * std::pow(1 + std::pow(0.15 / 0.22, 10), 0.1),
              1e-12);
}

// Observations generated from `p` on placements from 1 GPU to 4 nodes x 4 GPUs. Like a
// measured one, an observation's sync time is the part of the step not spent computing.
std::vector<StepObservation> synthetic(const PerfParams& p) {
  std::vector<StepObservation> out;
  const std::array<std::array<int, 2>, 7> placements{
      {{1, 1}, {1, 2}, {1, 4}, {2, 2}, {2, 4}, {2, 8}, {4, 16}}};
  for (const auto& [nodes, replicas] : placements)
    for (double bsz : {16.0, 32.0, 64.0, 128.0})
      out.push_back({nodes, replicas, bsz, p.step_time(nodes, replicas, bsz),
                     p.step_time(nodes, replicas, bsz) - p.compute_time(bsz)});
  return out;
}

TEST(PerfFit, LossAtTheTruthIsOnlyTheRegularisation) {
  const auto points = synthetic(kTruth);
  // Both RMSEs vanish; 1e-3 (2 - 1)^2 + 1e-2 ((0.01 / 0.2)^2 + (0.002 / 0.05)^2).
  EXPECT_NEAR(fit_loss(kTruth, points), 1e-3 + 1e-2 * (0.0025 + 0.0016), 1e-12);
}

TEST(PerfFit, GradientMatchesFiniteDifferences) {
  const auto points = synthetic(kTruth);
  const PerfParams at{0.08, 0.003, 0.15, 0.02, 0.04, 0.001, 1.7};
  std::array<double, 7> grad{};
  fit_loss(at, points, grad.data());
  auto member = [](PerfParams& p, int i) -> double& {
    double* fields[] = {&p.alpha_c, &p.beta_c, &p.alpha_n, &p.beta_n,
                        &p.alpha_r, &p.beta_r, &p.gamma};
    return *fields[i];
  };
  for (int i = 0; i < 7; ++i) {
    PerfParams plus = at, minus = at;
    const double h = 1e-6 * std::max(1.0, std::abs(member(plus, i)));
    member(plus, i) += h;
    member(minus, i) -= h;
    const double numeric = (fit_loss(plus, points) - fit_loss(minus, points)) / (2 * h);
    EXPECT_NEAR(grad[i], numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << "parameter " << i;
  }
}

TEST(PerfFit, RecoversTheParametersThatGeneratedTheData) {
  const auto points = synthetic(kTruth);
  const PerfFit fit = fit_perf_params(points);
  EXPECT_GT(fit.evaluations, 0);
  // The regularisation pulls gamma towards 1 and the betas towards 0, but with exact data the
  // error terms rise linearly away from the truth and outweigh it: the optimum is the truth.
  const PerfParams& p = fit.params;
  EXPECT_NEAR(p.alpha_c, kTruth.alpha_c, 0.02 * kTruth.alpha_c);
  EXPECT_NEAR(p.beta_c, kTruth.beta_c, 0.02 * kTruth.beta_c);
  EXPECT_NEAR(p.alpha_n, kTruth.alpha_n, 0.02 * kTruth.alpha_n);
  EXPECT_NEAR(p.beta_n, kTruth.beta_n, 0.05 * kTruth.beta_n);
  EXPECT_NEAR(p.alpha_r, kTruth.alpha_r, 0.02 * kTruth.alpha_r);
  EXPECT_NEAR(p.beta_r, kTruth.beta_r, 0.05 * kTruth.beta_r);
  EXPECT_NEAR(p.gamma, kTruth.gamma, 0.02 * kTruth.gamma);
  // And so it predicts a step it has not seen (8 nodes, 32 replicas, 100 samples) closely.
  EXPECT_NEAR(p.step_time(8, 32, 100) / kTruth.step_time(8, 32, 100), 1.0, 0.01);
}

TEST(PerfFit, SingleBatchSizeFixesAlphaCAtHalfTheMeanComputeTime) {
  // Compute times 0.1 and 0.3 at one batch size: alpha_c = 0.2 / 2.
  const std::vector<StepObservation> points{{1, 1, 32, 0.1 + 1e-8, 1e-8}, {1, 2, 32, 0.35, 0.05}};
  const PerfFit fit = fit_perf_params(points);
  EXPECT_DOUBLE_EQ(fit.params.alpha_c, (0.1 + 0.3) / 2 / 2);
}

TEST(PerfFit, WithoutMultiNodePointsCrossingNodesCostsAtLeast1Point1TimesOneNode) {
  std::vector<StepObservation> points;
  for (const StepObservation& o : synthetic(kTruth))
    if (o.num_nodes == 1) points.push_back(o);
  const PerfFit fit = fit_perf_params(points);
  EXPECT_GE(fit.params.alpha_n, 1.1 * fit.params.alpha_r * (1 - 1e-12));
  EXPECT_GE(fit.params.beta_n, 1.1 * fit.params.beta_r * (1 - 1e-12));
  EXPECT_NEAR(fit.params.alpha_r, kTruth.alpha_r, 0.02 * kTruth.alpha_r);
}

TEST(PerfFit, WithOnlyOneReplicaTheSyncParametersStayAtTheirFloor) {
  const std::vector<StepObservation> points{{1, 1, 16, 0.082, 1e-8}, {1, 1, 64, 0.178, 1e-8}};
  const PerfFit fit = fit_perf_params(points);
  // Compute 0.05 + 0.002 b fits both exactly.
  EXPECT_NEAR(fit.params.alpha_c, 0.05, 1e-3);
  EXPECT_NEAR(fit.params.beta_c, 0.002, 1e-5);
  EXPECT_DOUBLE_EQ(fit.params.alpha_r, kNegligible);
  EXPECT_DOUBLE_EQ(fit.params.beta_r, kNegligible);
  // The prior then lifts the inter-node pair to 1.1 times the intra-node one.
  EXPECT_DOUBLE_EQ(fit.params.alpha_n, 1.1 * kNegligible);
}

TEST(PerfFit, RejectsAStepNoLongerThanItsSync) {
  const std::vector<StepObservation> points{{1, 2, 16, 0.1, 0.1}};
  EXPECT_THROW(fit_perf_params(points), InvariantError);
}

}  // namespace
}  // namespace dlsched::adaptive
