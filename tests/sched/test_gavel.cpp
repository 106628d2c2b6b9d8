// Gavel (OSDI'20): the allocation LPs against hand-solved optima, and the round mechanism
// against the allocation it realises, on tiny traces (unit model: 1 iteration = 1 s on "g").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "sched/policies/gavel_lp.h"
#include "support/run_checks.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

GavelSolveOptions lp_only() {
  GavelSolveOptions o;
  o.closed_form_single_type = false;
  return o;
}

TEST(GavelLp, MaxMinThreeJobsTwoTypesMatchesTheHandSolvedLp) {
  // Types A and B, one GPU each; three 1-GPU jobs of weight 1 with throughputs
  //   j0: A 4, B 1    j1: A 2, B 1    j2: A 1, B 1   (iterations/s).
  // Equal-share throughput (half of each GPU's time): j0 2.5, j1 1.5, j2 1, so the normalised
  // coefficients c = T / norm are j0 (1.6, 0.4), j1 (4/3, 2/3), j2 (1, 1).
  // Guess: j0 only on A (a), j2 only on B (1 - b), j1 takes the rest (1 - a on A, b on B), all
  // ratios equal z: 1.6 a = z, (4/3)(1 - a) + (2/3) b = z, 1 - b = z  =>  z = 2 - 1.5 z,
  // z = 0.8, a = 0.5, b = 0.2. Optimal: the dual y = (1.25, 1.5, 1) p_B, p_A = 2 p_B,
  // p_B = 1 / 3.75 gives p_A + p_B = 0.8 = z and is feasible (j0 on B: 1.25 x 0.4 = 0.5 <= 1;
  // j2 on A: 1 <= 2, in units of p_B); both unused pairs have positive reduced cost, so X is
  // unique.
  GavelProblem p;
  p.gpus_per_type = {1, 1};
  p.throughput = {4, 1, 2, 1, 1, 1};
  p.scale_factor = {1, 1, 1};
  p.weight = {1, 1, 1};
  const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(a.objective, 0.8, 1e-6);
  EXPECT_NEAR(a.x(0, 0), 0.5, 1e-6);
  EXPECT_NEAR(a.x(0, 1), 0.0, 1e-6);
  EXPECT_NEAR(a.x(1, 0), 0.5, 1e-6);
  EXPECT_NEAR(a.x(1, 1), 0.2, 1e-6);
  EXPECT_NEAR(a.x(2, 0), 0.0, 1e-6);
  EXPECT_NEAR(a.x(2, 1), 0.8, 1e-6);
}

TEST(GavelLp, WeightsAndScaleFactorsWaterFillOneType) {
  // One type, 3 GPUs. c_j = sf_j / w_j (the throughput cancels): j0 (sf 1, w 1) 1,
  // j1 (sf 2, w 1) 2, j2 (sf 1, w 2) 0.5. Demand 4 > 3 GPUs. Water level lambda with
  // x_j = min(1, lambda / c_j): all uncapped needs sum sf/c = 2 + 1 + 1 = 4, lambda = 3/4 > 0.5,
  // so j2 is capped at x = 1 (1 GPU); the rest: lambda = (3 - 1) / (1 + 1) = 1 <= c_j0.
  // x = (1, 0.5, 1): one GPU each; the smallest ratio is j2's 0.5 x 1 = 0.5.
  GavelProblem p;
  p.gpus_per_type = {3};
  p.throughput = {5, 7, 3};
  p.scale_factor = {1, 2, 1};
  p.weight = {1, 1, 2};
  for (const GavelSolveOptions& o : {GavelSolveOptions{}, lp_only()}) {
    const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::MAX_MIN_FAIRNESS, o);
    EXPECT_NEAR(a.objective, 0.5, 1e-6);
    EXPECT_NEAR(a.x(0, 0), 1.0, 1e-6);
    EXPECT_NEAR(a.x(1, 0), 0.5, 1e-6);
    EXPECT_NEAR(a.x(2, 0), 1.0, 1e-6);
  }
}

TEST(GavelLp, MakespanEqualisesFinishTimes) {
  // One GPU, two jobs at 1 iteration/s with 10 and 30 iterations left: finishing together
  // needs x0 / 10 = x1 / 30 with x0 + x1 = 1, so x = (0.25, 0.75) and T x / R = 0.025 (both
  // finish after 40 s).
  GavelProblem p;
  p.gpus_per_type = {1};
  p.throughput = {1, 1};
  p.scale_factor = {1, 1};
  p.remaining = {10, 30};
  for (const GavelSolveOptions& o : {GavelSolveOptions{}, lp_only()}) {
    const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::MIN_MAKESPAN, o);
    EXPECT_NEAR(a.objective, 0.025, 1e-9);
    EXPECT_NEAR(a.x(0, 0), 0.25, 1e-6);
    EXPECT_NEAR(a.x(1, 0), 0.75, 1e-6);
  }
}

TEST(GavelLp, FinishTimeFairnessSolvesTheGoldenRatio) {
  // One GPU, two jobs at 1 iteration/s: j0 10 iterations, waiting for 10 s already; j1 20, new.
  // An equal 1/n share is half the GPU, so alone-on-a-share finish times are D = (20, 40).
  // rho_0 = (10 + 10 / x0) / 20, rho_1 = (20 / x1) / 40, x1 = 1 - x0. Equal rhos:
  // 1 + 1/x0 = 1/(1 - x0)  =>  x0^2 + x0 - 1 = 0  =>  x0 = (sqrt 5 - 1) / 2 = 0.618...,
  // rho = 1 / (2 x1) = 1.309...
  GavelProblem p;
  p.gpus_per_type = {1};
  p.throughput = {1, 1};
  p.scale_factor = {1, 1};
  p.remaining = {10, 20};
  p.total = {10, 20};
  p.elapsed = {10, 0};
  const double x0 = (std::sqrt(5.0) - 1) / 2;
  for (const GavelSolveOptions& o : {GavelSolveOptions{}, lp_only()}) {
    const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::FINISH_TIME_FAIRNESS, o);
    EXPECT_NEAR(a.objective, 1 / (2 * (1 - x0)), 1e-4);
    EXPECT_NEAR(a.x(0, 0), x0, 1e-4);
    EXPECT_NEAR(a.x(1, 0), 1 - x0, 1e-4);
  }
}

TEST(GavelLp, ThroughputMaximisesTheRawSumAsGavelDoes) {
  // Types A, B with one GPU each; j0 runs 10 and 8 iterations/s there, j1 2 and 1. The raw sum
  // is largest with j0 on A and j1 on B (11 against 10). Normalised by each job's best speed
  // the other way round would win (0.8 + 1 against 1 + 0.5): Gavel's policy is the raw one.
  GavelProblem p;
  p.gpus_per_type = {1, 1};
  p.throughput = {10, 8, 2, 1};
  p.scale_factor = {1, 1};
  const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::MAX_THROUGHPUT);
  EXPECT_NEAR(a.objective, 11, 1e-9);
  EXPECT_NEAR(a.x(0, 0), 1, 1e-9);
  EXPECT_NEAR(a.x(1, 1), 1, 1e-9);
}

TEST(GavelLp, JobLargerThanEveryTypeGetsNothing) {
  // Two types of 2 GPUs; j0 asks for 4 (it cannot run on either), j1 for 1. j0 gets X = 0 and
  // is left out of the minimum; j1 alone takes all its time: x = 1 on its faster type A.
  GavelProblem p;
  p.gpus_per_type = {2, 2};
  p.throughput = {5, 5, 2, 1};
  p.scale_factor = {4, 1};
  p.weight = {1, 1};
  const GavelAllocation a = solve_gavel_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_EQ(a.x(0, 0), 0);
  EXPECT_EQ(a.x(0, 1), 0);
  EXPECT_NEAR(a.x(1, 0), 1, 1e-9);
  EXPECT_NEAR(a.x(1, 1), 0, 1e-9);
  p.scale_factor = {4, 4};  // nobody fits: nothing to solve
  const GavelAllocation none = solve_gavel_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_EQ(none.objective, 0);
}

TEST(GavelLp, ClosedFormOnOneTypeAgreesWithTheLp) {
  // Random one-type problems: the water-filling closed form and the LP water-filling agree.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> sf(1, 4), count(1, 12);
  std::uniform_real_distribution<double> w(0.5, 3), thr(0.1, 5), rem(1, 100);
  for (int trial = 0; trial < 40; ++trial) {
    GavelProblem p;
    p.gpus_per_type = {count(rng)};
    const int n = count(rng);
    for (int j = 0; j < n; ++j) {
      p.throughput.push_back(thr(rng));
      p.scale_factor.push_back(std::min(sf(rng), p.gpus_per_type[0]));
      p.weight.push_back(w(rng));
      p.remaining.push_back(rem(rng));
    }
    for (GavelObjective obj : {GavelObjective::MAX_MIN_FAIRNESS, GavelObjective::MIN_MAKESPAN}) {
      const GavelAllocation closed = solve_gavel_allocation(p, obj);
      const GavelAllocation lp = solve_gavel_allocation(p, obj, lp_only());
      EXPECT_NEAR(closed.objective, lp.objective, 1e-6 * std::max(1.0, lp.objective))
          << "trial " << trial;
      for (int j = 0; j < n; ++j)
        EXPECT_NEAR(closed.x(j, 0), lp.x(j, 0), 1e-5) << "trial " << trial << " job " << j;
    }
  }
}

TEST(GavelLp, GroupedIdenticalJobsGetTheSameFairValuesAsOneColumnPerJob) {
  // Random three-type problems whose jobs are copies of a few kinds: max-min fairness solved
  // with one LP job per group of identical jobs gives every job the normalised throughput it
  // gets with a column per job (the fair values are unique), identical jobs the same X, and
  // no type more GPUs than it has.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> kinds(1, 4), copies(1, 9), sf(1, 4), gpus(2, 8);
  std::uniform_real_distribution<double> thr(0.1, 5);
  std::uniform_int_distribution<int> weight(1, 2);
  int grouped_problems = 0;
  for (int trial = 0; trial < 30; ++trial) {
    GavelProblem p;
    p.gpus_per_type = {gpus(rng), gpus(rng), gpus(rng)};
    std::vector<int> kind_of;
    const int k = kinds(rng);
    for (int kind = 0; kind < k; ++kind) {
      const double t0 = thr(rng), t1 = thr(rng), t2 = thr(rng);
      const int s = sf(rng);
      const double w = weight(rng);
      for (int c = copies(rng); c > 0; --c) {
        p.throughput.insert(p.throughput.end(), {t0, t1, t2});
        p.scale_factor.push_back(s);
        p.weight.push_back(w);
        kind_of.push_back(kind);
      }
    }
    // Shuffle the jobs so that members of a group are not neighbours.
    const int n = p.num_jobs();
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    GavelProblem q = p;
    std::vector<int> kind_q(n);
    for (int j = 0; j < n; ++j) {
      const int from = order[j];
      std::copy_n(p.throughput.begin() + 3 * from, 3, q.throughput.begin() + 3 * j);
      q.scale_factor[j] = p.scale_factor[from];
      q.weight[j] = p.weight[from];
      kind_q[j] = kind_of[from];
    }
    grouped_problems += n > k;
    GavelSolveOptions per_job;
    per_job.group_identical_jobs = false;
    const GavelAllocation grouped = solve_gavel_allocation(q, GavelObjective::MAX_MIN_FAIRNESS);
    const GavelAllocation single = solve_gavel_allocation(q, GavelObjective::MAX_MIN_FAIRNESS, per_job);
    EXPECT_NEAR(grouped.objective, single.objective, 1e-6 * std::max(1.0, single.objective))
        << "trial " << trial;
    std::vector<double> used(3, 0);
    for (int j = 0; j < n; ++j) {
      double mine = 0, theirs = 0;
      for (int t = 0; t < 3; ++t) {
        const double x = grouped.x(j, t);
        mine += q.throughput[3 * j + t] * x;
        theirs += q.throughput[3 * j + t] * single.x(j, t);
        used[t] += x * q.scale_factor[j];
        for (int i = 0; i < j; ++i) {
          if (kind_q[i] == kind_q[j]) {
            EXPECT_NEAR(grouped.x(i, t), x, 1e-9) << "trial " << trial;
          }
        }
      }
      EXPECT_NEAR(mine, theirs, 1e-5 * std::max(1.0, theirs)) << "trial " << trial << " job " << j;
    }
    for (int t = 0; t < 3; ++t) EXPECT_LE(used[t], q.gpus_per_type[t] * (1 + 1e-6)) << "trial " << trial;
  }
  EXPECT_GT(grouped_problems, 20);  // the grouping was exercised, not skipped
}

/// Seconds each job held GPUs of each GPU id in [0, until), from the /allocations rows.
std::map<std::pair<JobId, int>, double> held_until(const TinyRun& run, double until) {
  std::map<std::pair<JobId, int>, double> held, since;
  for (const AllocationRecord& a : run.rows.allocations) {
    const auto key = std::make_pair(static_cast<JobId>(a.job), static_cast<int>(a.gpu));
    if (a.event == 1) {
      since[key] = a.time;
    } else {
      held[key] += std::max(0.0, std::min(a.time, until) - std::min(since[key], until));
    }
  }
  return held;
}

TEST(GavelRounds, WeightedJobsGetRoundsInProportionToX) {
  // One GPU, 1 s rounds, two 100 s jobs at t = 0 with weights 1 and 3. X (one type, c = sf/w):
  // c = (1, 1/3), lambda = 1 / (1 + 3) = 1/4, x = (1/4, 3/4). Priorities X / share make the
  // received shares track X: over the first 40 rounds j0 runs 10 and j1 30 (+-1 for the
  // order in which ties and the first rounds fall).
  auto ex = tiny_experiment({{0, 1, 100}, {0, 1, 100}}, {{1, 1, "g"}}, "gavel-maxmin", 1, 0);
  ex->trace.jobs[0].priority = 1;
  ex->trace.jobs[1].priority = 3;
  TinyRun run = run_tiny(*ex);
  const auto held = held_until(run, 40);
  EXPECT_NEAR(held.at({0, 0}), 10, 1.0);
  EXPECT_NEAR(held.at({1, 0}), 30, 1.0);
  // All 200 s of work on one GPU, never idle: the last job ends at 200.
  EXPECT_DOUBLE_EQ(std::max(run.job(0).finish, run.job(1).finish), 200);
}

TEST(GavelRounds, TwoJobsShareTheFastTypeHalfAndHalf) {
  // One "g" GPU (GPU 0, 1 s/iteration) and one "slow" (GPU 1, 2 s/iteration); two 1-GPU jobs
  // of 100 iterations. Normalised c = (1 / 0.75, 0.5 / 0.75) = (4/3, 2/3) for both; max-min
  // needs (4/3) xg + (2/3) xs = 1 for each with both GPUs full: xg = xs = 1/2, unique. The
  // rounds alternate the jobs between the types: in 20 rounds each has 10 s on each GPU.
  auto ex = tiny_experiment({{0, 1, 100}, {0, 1, 100}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "gavel-maxmin", 1, 0);
  TinyRun run = run_tiny(*ex);
  const auto held = held_until(run, 20);
  for (JobId j : {0u, 1u})
    for (int gpu : {0, 1}) EXPECT_NEAR(held.at({j, gpu}), 10, 1.0) << "job " << j << " gpu " << gpu;
  // Each iterates at 1/2 + 1/4 = 3/4 per second on average: both finish near 100 / 0.75 = 133.
  EXPECT_NEAR(run.job(0).finish, 133.3, 1.5);
  EXPECT_NEAR(run.job(1).finish, 133.3, 1.5);
}

TEST(GavelRounds, AgnosticVariantIgnoresTypes) {
  // Same cluster, three 1-GPU jobs: the agnostic LP pools the two GPUs (x = 2/3 each) and
  // leaves types to the core; every job still gets 2/3 of the rounds: 20 of the first 30 s.
  auto ex = tiny_experiment({{0, 1, 100}, {0, 1, 100}, {0, 1, 100}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "gavel-maxmin-agnostic", 1, 0);
  TinyRun run = run_tiny(*ex);
  const auto held = held_until(run, 30);
  for (JobId j : {0u, 1u, 2u}) {
    double total = 0;
    for (int gpu : {0, 1})
      if (held.count({j, gpu})) total += held.at({j, gpu});
    EXPECT_NEAR(total, 20, 1.0) << "job " << j;
  }
}

TEST(GavelRounds, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "gavel-maxmin", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

TEST(GavelFtfRounds, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(2);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "gavel-ftf", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

TEST(GavelMakespanRounds, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "gavel-makespan", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

TEST(GavelThroughputRounds, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(4);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "gavel-throughput", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

TEST(GavelAgnosticRounds, RandomTracesWithRestoresLongerThanRoundsKeepTheInvariants) {
  // Restores (3 s) longer than rounds (1 s) on two GPU types: the core keeps restoring jobs on
  // their GPUs whatever the policy says; the policy must plan around them so that no waiting
  // job that fits is left beside idle GPUs (checked after every decision).
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> gpus(1, 4), submit(0, 20), seconds(1, 30);
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<TinyJob> jobs;
    for (int j = 0; j < 10; ++j)
      jobs.push_back(
          {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
    std::sort(jobs.begin(), jobs.end(),
              [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
    auto ex = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "gavel-maxmin-agnostic", 1, 3);
    TinyRun run = run_tiny(*ex);
    EXPECT_EQ(run.summary.finished, jobs.size()) << "trial " << trial;
    expect_run_invariants(*ex, run.rows);
  }
}

}  // namespace
}  // namespace dlsched::test
