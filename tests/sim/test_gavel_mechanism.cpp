// --mechanism gavel's round rules, computed by hand with the unit model (one iteration = 1 s
// on a "g" GPU): decisions only at round ends, a round that ends with its last lease (at most
// one round length), and nothing refilled in between.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "sched/python_random.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

void as_gavel(Experiment& ex) {
  ex.scheduler.refill_between_rounds = false;
  ex.scheduler.round_ends_with_last_lease = true;
}

// 2 GPUs, 100 s rounds. j0 (10 s) from 0; j1 (3 s) arrives at 2 while a GPU is idle.
TEST(GavelMechanism, AnArrivalWaitsForTheRoundWhichEndsWithItsLastLease) {
  auto ours = tiny_experiment({{0, 1, 10}, {2, 1, 3}}, {{1, 2, "g"}}, "fifo-backfill", 100, 0);
  const TinyRun refilled = run_tiny(*ours);
  EXPECT_NEAR(refilled.job(1).jct, 3, 1e-9) << "dlsched's rule: the idle GPU takes it at 2";

  auto gavel = tiny_experiment({{0, 1, 10}, {2, 1, 3}}, {{1, 2, "g"}}, "fifo-backfill", 100, 0);
  as_gavel(*gavel);
  const TinyRun run = run_tiny(*gavel);
  // The first round starts at 0 and ends when j0's lease does, at 10 (not 100); j1 starts
  // then and finishes at 13.
  EXPECT_NEAR(run.job(0).jct, 10, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 11, 1e-9);
  ASSERT_GE(run.rows.rounds.size(), 2u);
  EXPECT_NEAR(run.rows.rounds[0].time, 0, 1e-9);
  EXPECT_NEAR(run.rows.rounds[1].time, 10, 1e-9);
}

// 1 GPU, 4 s rounds, las: j0 (10 s) from 0, j1 (2 s) from 1. Rounds end at 4 (a full
// lease), then j1 runs 4..6 and its round ends with it at 6, j0 finishes 6..12.
TEST(GavelMechanism, RoundsLastAtMostOneRoundLength) {
  auto ex = tiny_experiment({{0, 1, 10}, {1, 1, 2}}, {{1, 1, "g"}}, "las", 4, 0);
  as_gavel(*ex);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(1).jct, 5, 1e-9);
  EXPECT_NEAR(run.job(0).jct, 12, 1e-9);
  ASSERT_GE(run.rows.rounds.size(), 3u);
  EXPECT_NEAR(run.rows.rounds[1].time, 4, 1e-9);
  EXPECT_NEAR(run.rows.rounds[2].time, 6, 1e-9);
}

void as_gavel_with_resolves(Experiment& ex) {
  as_gavel(ex);
  ex.scheduler.mechanism = "gavel";
  ex.scheduler.resolve_interval = 1920;
}

// fifo-perf, one "g" GPU and one "slow" (2 s per iteration), 10 s rounds, re-solves at least
// 1920 s apart. j0 (30 s), j1 (2 s) and j2 (10 s) arrive together. The first solve places j0
// on g and j1 on slow (4 s there); j2 finds no room. The first round ends with j0's lease at
// the arrival time + 10, after j1 finished: the set of jobs changed.
TEST(GavelMechanism, AResetAtTimeZeroDoesNotCountAsOne) {
  // Arrivals at 0: Gavel's simulator takes a last reset at t = 0 for "never reset", so the
  // change at 10 re-solves at once: j2 goes to the free slow GPU and runs 10..30 there.
  auto at_zero = tiny_experiment({{0, 1, 30}, {0, 1, 2}, {0, 1, 10}},
                                 {{1, 1, "g"}, {1, 1, "slow"}}, "fifo-perf", 10, 0);
  as_gavel_with_resolves(*at_zero);
  const TinyRun zero = run_tiny(*at_zero);
  EXPECT_NEAR(zero.job(1).jct, 4, 1e-9);
  EXPECT_NEAR(zero.job(0).jct, 30, 1e-9);
  EXPECT_NEAR(zero.job(2).jct, 30, 1e-9);

  // The same jobs arriving at 1: the reset at 1 counts, the change at 11 waits for the
  // interval, and j2 starts only when the cluster runs empty (j0 done at 31; an idle
  // cluster re-solves at once), on g: 31..41.
  auto at_one = tiny_experiment({{1, 1, 30}, {1, 1, 2}, {1, 1, 10}},
                                {{1, 1, "g"}, {1, 1, "slow"}}, "fifo-perf", 10, 0);
  as_gavel_with_resolves(*at_one);
  const TinyRun one = run_tiny(*at_one);
  EXPECT_NEAR(one.job(1).jct, 4, 1e-9);
  EXPECT_NEAR(one.job(0).jct, 30, 1e-9);
  EXPECT_NEAR(one.job(2).jct, 40, 1e-9);
}

// fifo-perf, one "g" GPU, 10 s rounds, re-solves at least 1920 s apart. j0 and j1 (5 s each)
// arrive at 1, j2 (5 s) at 100. The solve at 1 places j0; j1 has no X. At 6 j0 is done and
// the decision places nothing, but j2 is still to arrive: Gavel's simulator keeps its last
// reset (1) and waits for the arrival. At 100 its loop still saw j2 queued, so it does not
// forget the reset before adding it: that pass places nothing too, and the pass after it,
// at the same time and with every job arrived, forgets the reset and re-solves: j1 runs
// 100..105, then (the same again at 105) j2 105..110.
TEST(GavelMechanism, AnEmptyDecisionForgetsTheLastResetOnlyOnceEveryJobHasArrived) {
  auto ex = tiny_experiment({{1, 1, 5}, {1, 1, 5}, {100, 1, 5}}, {{1, 1, "g"}}, "fifo-perf", 10, 0);
  as_gavel_with_resolves(*ex);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 5, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 104, 1e-9) << "dlsched's old rule re-solved at 6: 10";
  EXPECT_NEAR(run.job(2).jct, 10, 1e-9);
}

// Gavel's fifo (its FIFOPolicy, with the fix the parity data describes): a job gets a type
// drawn by random.Random(seed).randrange among the types with room, in name order ("g",
// "slow"). CPython gives randrange(2) = 1 for seed 0 and 0 for seed 1: one 10 s job runs on
// "slow" (20 s) with --seed 0 and on "g" (10 s) with --seed 1, the same at every run.
TEST(GavelMechanism, FifoDrawsTheTypeAsGavelsRandomDoes) {
  const auto jct_with_seed = [](std::uint64_t seed) {
    auto ex = tiny_experiment({{0, 1, 10}}, {{1, 1, "g"}, {1, 1, "slow"}}, "fifo", 10, 0);
    as_gavel_with_resolves(*ex);
    ex->scheduler.seed = seed;
    return run_tiny(*ex).job(0).jct;
  };
  EXPECT_NEAR(jct_with_seed(0), 20, 1e-9);
  EXPECT_NEAR(jct_with_seed(1), 10, 1e-9);
  EXPECT_EQ(jct_with_seed(0), jct_with_seed(0));
}

// gavel-maxmin-agnostic, one job of 25 s on one "g" GPU and one "slow": X splits its share
// half and half, its priority is the same on both types, so each round it runs on the type
// that Gavel's per-round shuffle of (g, slow), drawn by random.Random(seed + 5), puts first.
TEST(GavelMechanism, AgnosticRoundsFollowGavelsTypeShuffle) {
  std::set<double> finishes;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    auto ex = tiny_experiment({{0, 1, 25}}, {{1, 1, "g"}, {1, 1, "slow"}},
                              "gavel-maxmin-agnostic", 10, 0);
    as_gavel_with_resolves(*ex);
    ex->scheduler.seed = seed;
    const TinyRun run = run_tiny(*ex);
    PythonRandom shuffler(seed + 5);
    double left = 25, t = 0;  // iterations left (1 s each on g, 2 s on slow), time
    while (left > 1e-9) {
      std::vector<int> order{0, 1};  // fastest first: g, slow
      shuffler.shuffle(order);
      const double rate = order.front() == 0 ? 1.0 : 0.5;
      const double ran = std::min(10.0, left / rate);
      left -= ran * rate;
      t += ran;
    }
    EXPECT_NEAR(run.job(0).finish, t, 1e-6) << "seed " << seed;
    finishes.insert(t);
  }
  EXPECT_GT(finishes.size(), 1u) << "the seed must matter";
}

// gavel-maxmin, two "g" GPUs, 10 s rounds, re-solves at least 1920 s apart. j0 (30 s) arrives
// at 1 and is solved for; j1 (10 s) arrives at 5. Until the next solve j1 has no allocation:
// Gavel's rounds queue it but give it no workers, so the free GPU idles. At 31 j0 is done,
// the decision places nothing, and (every job has arrived) Gavel forgets its last reset and
// re-solves at once: j1 runs 31..41.
TEST(GavelMechanism, AJobWithoutAnAllocationWaitsBesideAnIdleGpu) {
  auto ex = tiny_experiment({{1, 1, 30}, {5, 1, 10}}, {{1, 2, "g"}}, "gavel-maxmin", 10, 0);
  as_gavel_with_resolves(*ex);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 30, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 36, 1e-9) << "run on the idle GPU at 11, it would be 16";
}

// gavel-maxmin, one "g" GPU, 10 s rounds. j0 (5 s) runs 0..5; the cluster idles until j1 and
// j2 (30 s each) arrive at 100 and are solved for (X = 1/2 each; the reset at 0 counts as
// none). j1 runs first (a tie, arrival order). Gavel counts that round from the end of the
// last round that ran anything, 5, so j1 is credited 105 s, not 10: j2 (5 s + its rounds)
// stays ahead until it finishes at 140, then j1 runs 140..160. Counting 10 s, they would
// alternate: j1 done at 150, j2 at 160.
TEST(GavelMechanism, ARoundAfterAnIdleWaitCountsTheWait) {
  auto ex = tiny_experiment({{0, 1, 5}, {100, 1, 30}, {100, 1, 30}}, {{1, 1, "g"}},
                            "gavel-maxmin", 10, 0);
  as_gavel_with_resolves(*ex);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 5, 1e-9);
  EXPECT_NEAR(run.job(2).jct, 40, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 60, 1e-9);
}

}  // namespace
}  // namespace dlsched::test
