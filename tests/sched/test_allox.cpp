// AlloX (EuroSys'20): the Hungarian algorithm and AlloX's matching against brute force on small
// random cases (fixed seeds), and schedules computed by hand on the unit model.
#include <gtest/gtest.h>

#include <map>
#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "sched/policies/allox_matching.h"
#include "support/run_checks.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

TEST(Hungarian, MatchesBruteForceOnRandomMatrices) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> cost(0, 100);
  for (int trial = 0; trial < 60; ++trial) {
    const int rows = 1 + trial % 5, cols = rows + trial % 3;
    std::vector<double> c(static_cast<std::size_t>(rows) * cols);
    for (double& x : c) x = trial % 2 ? cost(rng) : std::round(cost(rng) / 20);  // ties too
    const std::vector<int> col = min_cost_assignment(c, rows, cols);
    double got = 0;
    std::vector<char> used(cols, 0);
    for (int r = 0; r < rows; ++r) {
      ASSERT_GE(col[r], 0);
      ASSERT_FALSE(used[col[r]]) << "column used twice";
      used[col[r]] = 1;
      got += c[r * cols + col[r]];
    }
    // Brute force: every ordered choice of `rows` distinct columns (permutations of all
    // columns, first `rows` entries).
    std::vector<int> perm(cols);
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
      double s = 0;
      for (int r = 0; r < rows; ++r) s += c[r * cols + perm[r]];
      best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    EXPECT_NEAR(got, best, 1e-9) << "trial " << trial;
  }
}

TEST(AlloxMatching, IsOptimalAgainstEverySchedule) {
  // Random jobs on two GPU types; brute force tries every job order (all permutations) and
  // every choice of type per job, and scores each with the same fluid-pool completion times.
  std::mt19937 rng(2020);
  std::uniform_real_distribution<double> proc(1, 50), speedup(0.3, 3), backlog(0, 20);
  std::uniform_int_distribution<int> gpus(1, 4), jobs(1, 6);
  for (int trial = 0; trial < 25; ++trial) {
    AlloxProblem p;
    p.gpus_per_type = {gpus(rng), gpus(rng)};
    p.backlog = {trial % 3 ? 0.0 : backlog(rng), backlog(rng)};
    const int n = jobs(rng);
    for (int j = 0; j < n; ++j) {
      p.scale_factor.push_back(
          std::min(gpus(rng), std::max(p.gpus_per_type[0], p.gpus_per_type[1])));
      const double base = proc(rng);
      for (int t = 0; t < 2; ++t)
        p.processing.push_back(
            p.scale_factor.back() <= p.gpus_per_type[t] ? base * (t ? speedup(rng) : 1) : 0);
    }
    const AlloxSchedule s = allox_schedule(p);
    for (int j = 0; j < n; ++j) {
      ASSERT_GE(s.type[j], 0);
      EXPECT_GT(p.processing[j * 2 + s.type[j]], 0) << "job on a type it cannot use";
    }
    double best = std::numeric_limits<double>::infinity();
    std::vector<int> order(n), rank(n), type(n);
    for (int mask = 0; mask < (1 << n); ++mask) {
      bool ok = true;
      for (int j = 0; j < n; ++j) {
        type[j] = (mask >> j) & 1;
        ok = ok && p.processing[j * 2 + type[j]] > 0;
      }
      if (!ok) continue;
      std::iota(order.begin(), order.end(), 0);
      do {
        for (int k = 0; k < n; ++k) rank[order[k]] = k;
        best = std::min(best, allox_total_completion(p, type, rank));
      } while (std::next_permutation(order.begin(), order.end()));
    }
    EXPECT_NEAR(s.total_completion, best, 1e-6 * best) << "trial " << trial;
  }
}

TEST(Allox, ShortestFirstOnOneGpu) {
  // One GPU, three jobs at t = 0 of 5, 1 and 3 s. On one resource the matching puts the
  // largest processing time at the last position: order j1, j2, j0, finishing at 1, 4, 9.
  auto ex = tiny_experiment({{0, 1, 5}, {0, 1, 1}, {0, 1, 3}}, {{1, 1, "g"}}, "allox", 100, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 1);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 4);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 9);
}

TEST(Allox, LongJobWaitsForTheFastGpu) {
  // One "g" GPU and one "slow" (2 s per iteration); jobs of 1, 1 and 10 iterations at t = 0.
  // Sums of completion times: g {1, 1, 10} 1 + 2 + 12 = 15; g {1, 10} + slow {1} 1 + 11 + 2 = 14;
  // g {10} + slow {1, 1} 10 + 2 + 4 = 16; g {1, 1} + slow {10} 23. So one short job runs on g,
  // the other on slow, and the long one waits for g: it ends at 1 + 10 = 11, the shorts at
  // 1 (g) and 2 (slow).
  auto ex = tiny_experiment({{0, 1, 1}, {0, 1, 1}, {0, 1, 10}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "allox", 100, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 1);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 11);
  EXPECT_DOUBLE_EQ(std::min(run.job(0).finish, run.job(1).finish), 1);
  EXPECT_DOUBLE_EQ(std::max(run.job(0).finish, run.job(1).finish), 2);
}

TEST(Allox, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "allox", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

TEST(AlloxPreemptive, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "allox", 1, 3);
    ex->options.policy_params =
        PolicyParams(std::map<std::string, std::string>{{"preemptive", "1"}});
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

}  // namespace
}  // namespace dlsched::test
