// simulate --whole-iterations: leases end at whole iterations, as the emulator's do, computed
// by hand. Unit model: one iteration = 1 s on a "g" GPU. The worker's rule at a boundary B: stop
// after the first iteration if it ends at or after B, else after the first later iteration
// whose end plus half an iteration reaches B. The round's tick waits for the last lease.
#include <gtest/gtest.h>

#include <vector>

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

using Group = ClusterSpec::Group;

SimulationOptions whole_iterations() {
  SimulationOptions o;
  o.whole_iterations = true;
  return o;
}

/// (round time, control overhead) of every /rounds row.
std::vector<std::pair<double, double>> rounds(const TinyRun& run) {
  std::vector<std::pair<double, double>> out;
  for (const RoundRecord& r : run.rows.rounds) out.emplace_back(r.time, r.control_overhead);
  return out;
}

void expect_rounds(const TinyRun& run, const std::vector<std::pair<double, double>>& want) {
  const auto got = rounds(run);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i].first, want[i].first, 1e-9) << "round " << i;
    EXPECT_NEAR(got[i].second, want[i].second, 1e-9) << "round " << i;
  }
}

// 1 GPU, las, 2.4 s rounds. j0 (10 iterations) from 0; j1 (2) arrives at 1.2.
TEST(WholeIterations, PreemptionWaitsForTheIterationNearestTheBoundary) {
  auto ex = tiny_experiment({{0, 1, 10}, {1.2, 1, 2}}, {{1, 1, "g"}}, "las", 2.4, 0);
  // Exact boundaries: j0 stops at 2.4 with 2.4 iterations, j1 runs 2.4-4.4, j0 4.4-12.0.
  const TinyRun exact = run_tiny(*ex);
  EXPECT_NEAR(exact.job(1).finish, 4.4, 1e-9);
  EXPECT_NEAR(exact.job(0).finish, 12.0, 1e-9);

  const TinyRun run = run_tiny(*ex, whole_iterations());
  // B=2.4: j0's iterations end at 2 and 3; 2 + 0.5 reaches 2.4, so it stops at 2.0 with 2
  // iterations; the tick at 2.4 preempts it for j1 (2.4-4.4); j0 resumes at 4.4.
  EXPECT_NEAR(run.job(1).first_start, 2.4, 1e-9);
  EXPECT_NEAR(run.job(1).finish, 4.4, 1e-9);
  EXPECT_EQ(run.job(0).preemptions, 1);
  // B=4.8: j0's first iteration of the lease ends at 5.4: the tick waits until then (3 done).
  // B=7.2: iterations end at 6.4, 7.4: stop at 7.4 (5 done), tick 0.2 late.
  // B=9.6: 8.4, 9.4: stop at 9.4 (7 done), idle until the tick at 9.6.
  // B=12.0: 10.6, 11.6: stop at 11.6 (9 done), tick at 12.0; the last iteration ends at 13.0.
  EXPECT_NEAR(run.job(0).finish, 13.0, 1e-9);
  expect_rounds(run, {{2.4, 0}, {4.8, 0.6}, {7.2, 0.2}, {9.6, 0}, {12.0, 0}});
  // Progress rows end where the leases stopped, and the iterations add up.
  double iterations = 0;
  for (const ProgressRecord& p : run.rows.progress_rows)
    if (p.job == 0) iterations += p.iterations;
  EXPECT_NEAR(iterations, 10, 1e-9);
}

// 2 GPUs, las, 2.4 s rounds. j0 (2 iterations) from 0; j1 (10) from 0.7; j2 (1) at 2.5.
TEST(WholeIterations, ArrivalsWhileTheBoundaryWaitsTakeFreeGpus) {
  auto ex = tiny_experiment({{0, 1, 2}, {0.7, 1, 10}, {2.5, 1, 1}}, {{1, 2, "g"}}, "las", 2.4, 0);
  const TinyRun run = run_tiny(*ex, whole_iterations());
  // j0 ends on its own at 2.0. At B=2.4 j1's iterations end at 1.7 and 2.7: 1.7 is before the
  // boundary and the first, so it goes on to 2.7, and the tick waits for it. j2 arrives at 2.5,
  // while it waits, and takes the free GPU at once (2.5-3.5).
  EXPECT_NEAR(run.job(0).finish, 2.0, 1e-9);
  EXPECT_NEAR(run.job(2).first_start, 2.5, 1e-9);
  EXPECT_NEAR(run.job(2).finish, 3.5, 1e-9);
  // j1: 2 done at 2.7; B=4.8 stops it at 4.7 (4), B=7.2 at 6.8 (6), B=9.6 at 9.2 (8); renewed
  // at 9.6, it ends at 11.6.
  EXPECT_NEAR(run.job(1).finish, 11.6, 1e-9);
  EXPECT_EQ(run.summary.preemptions, 0);
  expect_rounds(run, {{2.4, 0.3}, {4.8, 0}, {7.2, 0}, {9.6, 0}});
}

// A restore that outlasts the round: the lease ends at the boundary with no iteration.
TEST(WholeIterations, RestoreLongerThanTheRoundEndsTheLeaseAtTheBoundary) {
  // 1 GPU, srtf, 1 s rounds, 2.5 s restore delay. j0 (10 iterations) from 0: each lease is one
  // iteration, ending on a boundary. j1 (1) arrives at 2 and preempts j0 there (2 done); j1
  // runs 2-3; j0 restarts at 3 and iterates from 5.5. The boundaries at 3, 4 and 5 fall inside
  // the restore: those leases end at once. From 6 on, each boundary stops j0 after the first
  // iteration of its lease, half a second late (6.5, 7.5, ... 12.5, 3 to 9 done), and the
  // tenth iteration ends the job at 13.5.
  auto ex = tiny_experiment({{0, 1, 10}, {2, 1, 1}}, {{1, 1, "g"}}, "srtf", 1, 2.5);
  const TinyRun run = run_tiny(*ex, whole_iterations());
  EXPECT_NEAR(run.job(1).finish, 3.0, 1e-9);
  EXPECT_NEAR(run.job(0).finish, 13.5, 1e-9);
  EXPECT_EQ(run.job(0).preemptions, 1);
  std::vector<std::pair<double, double>> want;
  for (int b = 1; b <= 13; ++b) want.emplace_back(b, b <= 5 ? 0.0 : 0.5);
  expect_rounds(run, want);
  double iterations = 0;
  for (const ProgressRecord& p : run.rows.progress_rows)
    if (p.job == 0) iterations += p.iterations;
  EXPECT_NEAR(iterations, 10, 1e-9);
}

}  // namespace
}  // namespace dlsched::test
