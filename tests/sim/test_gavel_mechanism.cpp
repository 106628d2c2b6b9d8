// --mechanism gavel's round rules, computed by hand with the unit model (one iteration = 1 s
// on a "g" GPU): decisions only at round ends, a round that ends with its last lease (at most
// one round length), and nothing refilled in between.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dlsched::test
