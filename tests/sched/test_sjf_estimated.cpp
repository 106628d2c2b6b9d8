// Schedules of sjf-est and srtf-est on tiny traces, computed by hand, against the oracle srtf.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include <set>

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

/// Gives job i the model models[i]: copies of the unit model under other names, so that
/// run-time estimates can tell jobs apart while every job keeps 1 s per iteration.
void use_models(Experiment& ex, const std::vector<std::string>& models) {
  for (const std::string& name : std::set<std::string>(models.begin(), models.end())) {
    ModelInfo m = ex.catalog.model("unit");
    m.name = name;
    ex.catalog.add_model(m);
  }
  for (std::size_t i = 0; i < models.size(); ++i) ex.trace.jobs[i].model = models[i];
  ex.throughput = std::make_unique<ThroughputModel>(ex.catalog, ex.cluster);
  ex.throughput->prepare(ex.trace.jobs, ex.trace.path);
}

/// 1 GPU, 100 s rounds, no restore delay. j0 (model A, 2 s) and j1 (B, 1 s) at 0; j2 (B, 8 s)
/// and j3 (A, 1 s) at 5.
std::unique_ptr<Experiment> learning_trace(const std::string& policy) {
  auto ex = tiny_experiment({{0, 1, 2}, {0, 1, 1}, {5, 1, 8}, {5, 1, 1}}, {{1, 1, "g"}}, policy, 100, 0);
  use_models(*ex, {"A", "B", "B", "A"});
  return ex;
}

TEST(SjfEst, ArrivalOrderUntilAJobFinishesThenLearnedEstimates) {
  // At 0 nothing has finished: arrival order, j0 runs 0-2 (the oracle would pick j1, 1 s).
  // j1 runs 2-3. Learned: A = 2 s, B = 1 s. At 5 the estimates are j2 (B) 1 s, j3 (A) 2 s, so
  // j2 runs first, 5-13, although it is the long one; j3 runs 13-14.
  TinyRun run = run_tiny(*learning_trace("sjf-est"));
  EXPECT_DOUBLE_EQ(run.job(0).finish, 2);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 13);
  EXPECT_DOUBLE_EQ(run.job(3).first_start, 13);
  EXPECT_DOUBLE_EQ(run.job(3).finish, 14);
}

TEST(SjfEst, OracleSrtfOrdersTheSameTraceByTrueLength) {
  // The oracle runs j1 0-1, j0 1-3, then j3 (1 s) 5-6 before j2 6-14.
  TinyRun run = run_tiny(*learning_trace("srtf"));
  EXPECT_DOUBLE_EQ(run.job(1).finish, 1);
  EXPECT_DOUBLE_EQ(run.job(3).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 14);
}

TEST(SjfEst, UnseenModelFallsBackToTheMeanOfAllFinishedJobs) {
  // j0 (A, 2 s) and j1 (B, 1 s) at 0 run in arrival order, 0-2 and 2-3, as above. At 5 j2 (A,
  // 1 s) and j3 (C, 1 s) arrive. No C has finished, so j3's estimate is the mean of all
  // finished jobs, (2 + 1) / 2 = 1.5 s, below j2's 2 s (model A): j3 runs 5-6, j2 6-7.
  auto ex = tiny_experiment({{0, 1, 2}, {0, 1, 1}, {5, 1, 1}, {5, 1, 1}}, {{1, 1, "g"}}, "sjf-est", 100, 0);
  use_models(*ex, {"A", "B", "A", "C"});
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(3).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 6);
}

TEST(SrtfEst, PreemptsForAShorterEstimateWhereTheOracleWouldNot) {
  // 1 GPU, 1 s rounds. j0 (A, 2 s) and j1 (B, 6 s) at 0: no history, arrival order, j0 0-2;
  // j1 runs 2-8 alone. Learned: A = 2 s, B = 6 s. j2 (B, really 3 s) runs alone from 9. At the
  // round at 10, j3 (A, really 5 s) arrives: estimated remaining j2 = 6 - 1 = 5 s, j3 = 2 s, so
  // j3 preempts j2 (the oracle, seeing 2 s left for j2 and 5 s for j3, would not). From 12 on
  // j3 has outlived its estimate (remaining floored at 1 ms) and keeps the GPU: 10-15. j2
  // resumes for its last 2 s: 15-17.
  auto ex = tiny_experiment({{0, 1, 2}, {0, 1, 6}, {9, 1, 3}, {10, 1, 5}}, {{1, 1, "g"}}, "srtf-est", 1, 0);
  use_models(*ex, {"A", "B", "B", "A"});
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 2);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 8);
  EXPECT_DOUBLE_EQ(run.job(3).first_start, 10);
  EXPECT_DOUBLE_EQ(run.job(3).finish, 15);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 17);
  EXPECT_EQ(run.job(2).preemptions, 1);
}

TEST(SrtfEst, OracleKeepsTheShorterRemainingJob) {
  // Same trace under srtf: at 10 j2 has 2 s left < j3's 5 s: j2 runs 9-12, j3 12-17.
  auto ex = tiny_experiment({{0, 1, 2}, {0, 1, 6}, {9, 1, 3}, {10, 1, 5}}, {{1, 1, "g"}}, "srtf", 1, 0);
  use_models(*ex, {"A", "B", "B", "A"});
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 12);
  EXPECT_DOUBLE_EQ(run.job(3).finish, 17);
}

}  // namespace
}  // namespace dlsched::test
