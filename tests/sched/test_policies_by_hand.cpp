// Schedules of fifo, fifo-backfill, srtf and las on tiny traces, computed by hand.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.h"

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

using Group = ClusterSpec::Group;

TEST(Fifo, HeadJobThatDoesNotFitBlocksTheQueue) {
  // 2 GPUs. j0 (1 GPU, 10 s) runs at 0; j1 (2 GPUs) must wait for it; j2 (1 GPU) arrives at 2
  // and, in strict order, waits behind j1: j1 runs 10-15, j2 15-18.
  auto ex = tiny_experiment({{0, 1, 10}, {1, 2, 5}, {2, 1, 3}}, {{1, 2, "g"}}, "fifo", 100);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 10);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 10);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 15);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 15);
  EXPECT_DOUBLE_EQ(run.job(2).jct, 16);
  EXPECT_EQ(run.summary.preemptions, 0);
}

TEST(FifoBackfill, LaterJobFillsTheGapWhileTheHeadWaits) {
  // Same trace: j2 runs at once in the free GPU (2-5); j1 still starts at 10.
  auto ex = tiny_experiment({{0, 1, 10}, {1, 2, 5}, {2, 1, 3}}, {{1, 2, "g"}}, "fifo-backfill", 100);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 5);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 10);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 15);
}

TEST(Srtf, ShorterArrivalPreemptsAtTheNextRoundAndTheLongJobResumes) {
  // 1 GPU, 1 s rounds. j0 (10 s) runs from 0; j1 (3 s) arrives at 2, a round boundary, with
  // less remaining than j0's 8 s: j1 runs 2-5, then j0 resumes its last 8 s: 5-13.
  auto ex = tiny_experiment({{0, 1, 10}, {2, 1, 3}}, {{1, 1, "g"}}, "srtf", 1, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 5);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 13);
  EXPECT_EQ(run.job(0).preemptions, 1);
  EXPECT_EQ(run.job(1).preemptions, 0);
}

TEST(Srtf, RestartPaysTheRestoreDelay) {
  // As above with a 2 s restore delay: j0 resumes at 5 but iterates only from 7, ends at 15.
  // j1 never ran before, so its first start is free.
  auto ex = tiny_experiment({{0, 1, 10}, {2, 1, 3}}, {{1, 1, "g"}}, "srtf", 1, 2);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 5);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 15);
}

TEST(Las, JobsTakeTurnsByAttainedService) {
  // 1 GPU, 5 s rounds. j0 runs 0-5 (j1 arrives at 1 and waits: no preemption between rounds).
  // At 5, j1 has less service (0 < 5) and runs 5-10. At 10 both have 5 s: the tie goes to the
  // earlier arrival, so j0 runs 10-15 and finishes; j1 finishes 15-20.
  auto ex = tiny_experiment({{0, 1, 10}, {1, 1, 10}}, {{1, 1, "g"}}, "las", 5, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 15);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 20);
  EXPECT_EQ(run.job(0).preemptions, 1);
  EXPECT_EQ(run.job(1).preemptions, 1);
  EXPECT_DOUBLE_EQ(run.job(0).gpu_seconds, 10);
}

TEST(Las, ServiceCountsGpusTimesTime) {
  // 2 GPUs, 4 s rounds. j0 (2 GPUs, 8 s) and j1 (1 GPU, 8 s) arrive together; j0 is first in
  // the trace and takes both GPUs. At 4, j0 has 8 GPU-s, j1 0: j1 runs 4-12 on one GPU, j0
  // cannot fit in the other. At 8 j1 has 4 < 8, at 12 j1 is done; j0 resumes for 4 s: 12-16.
  auto ex = tiny_experiment({{0, 2, 8}, {0, 1, 8}}, {{1, 2, "g"}}, "las", 4, 0);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 4);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 12);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 16);
}

TEST(Placement, ConsolidatesEachJobOnOneNodeWhenItCan) {
  // 2 nodes x 4 GPUs; 2 + 4 + 2 GPUs asked at once: the 4-GPU job gets a whole node and the
  // two 2-GPU jobs share the other, so no job spans nodes.
  auto ex = tiny_experiment({{0, 2, 10}, {0, 4, 10}, {0, 2, 10}}, {{2, 4, "g"}}, "fifo", 100);
  TinyRun run = run_tiny(*ex);
  std::map<JobId, std::set<int>> nodes;
  for (const AllocationRecord& a : run.rows.allocations)
    if (a.event == 1) nodes[a.job].insert(a.node);
  ASSERT_EQ(nodes.size(), 3u);
  for (const auto& [job, used] : nodes) EXPECT_EQ(used.size(), 1u) << "job " << job;
  EXPECT_NE(*nodes[1].begin(), *nodes[0].begin());
  EXPECT_EQ(*nodes[0].begin(), *nodes[2].begin());
}

TEST(Placement, RunningJobsKeepTheirGpusAcrossRounds) {
  // Two jobs fit together: LAS re-decides every second but never moves them.
  auto ex = tiny_experiment({{0, 1, 5}, {0, 1, 5}}, {{1, 2, "g"}}, "las", 1, 0);
  TinyRun run = run_tiny(*ex);
  int starts = 0, stops = 0;
  for (const AllocationRecord& a : run.rows.allocations) {
    starts += a.event == 1;
    stops += a.event == 0;
  }
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(stops, 0);
  EXPECT_GE(run.summary.rounds, 4);
}

TEST(Placement, HeterogeneousJobRunsSlowerOnTheSlowType) {
  // One "g" and one "slow" GPU: the second job lands on "slow" and needs 2 s per iteration.
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "fifo-backfill", 100);
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 10);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 20);
  EXPECT_DOUBLE_EQ(run.job(1).isolated_time, 10);  // alone it would take the fast GPU
}

TEST(Registry, UnknownPolicyNamesTheKnownOnes) {
  try {
    make_policy("no-such-policy");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-policy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("las"), std::string::npos);
  }
}

}  // namespace
}  // namespace dlsched::test
