// Schedules of tiresias-las and tiresias-gittins on tiny traces, computed by hand.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "sched/policies/gittins_index.h"

#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

/// Tiresias-LAS, 1 GPU, 1 s rounds, no restore delay, 2 queues split at 4 GPU-s.
std::unique_ptr<Experiment> starving_trace(const std::string& starve_factor) {
  // j0 (10 s) at 0, then three 3 s jobs arriving as each previous one ends: 4, 7, 10.
  auto ex = tiny_experiment({{0, 1, 10}, {4, 1, 3}, {7, 1, 3}, {10, 1, 3}}, {{1, 1, "g"}},
                            "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=" + starve_factor);
  return ex;
}

TEST(TiresiasLas, JobCrossingTheThresholdIsDemotedAndAStarvedOneIsPromoted) {
  // starve_factor 2, and a fifth job j4 (3 s) arriving at 13. j0 runs alone 0-4; at 4 it has
  // 4 GPU-s >= 4: demoted to Q1, and j1 (Q0) preempts it. j1 runs 4-7, j2 7-10, j3 from 10
  // (each 3 GPU-s < 4, so they stay in Q0). j0 has waited since 4 after running 4 s: it is
  // starved once 12 - 4 = 8 >= 2 x 4, so at 12 it goes back to the back of Q0, behind the
  // running j3, which finishes at 13. j4 arrives at 13 behind j0: j0 runs 13-17, reaches 4
  // GPU-s since its promotion and drops to Q1 again; j4 runs 17-20 and j0 its last 2 s 20-22.
  auto ex = tiny_experiment({{0, 1, 10}, {4, 1, 3}, {7, 1, 3}, {10, 1, 3}, {13, 1, 3}},
                            {{1, 1, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=2");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 4);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 10);
  EXPECT_DOUBLE_EQ(run.job(3).finish, 13);
  EXPECT_EQ(run.job(3).preemptions, 0);
  EXPECT_DOUBLE_EQ(run.job(4).first_start, 17);
  EXPECT_DOUBLE_EQ(run.job(4).finish, 20);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 22);
  EXPECT_EQ(run.job(0).preemptions, 2);
}

TEST(TiresiasLas, PromotionCountsEveryWaitSinceTheJobEnteredTheTopQueue) {
  // 1 GPU, 2 queues split at 4 GPU-s, starve_factor 1. A (30 s) at 0; 3 s jobs B1 at 4, B2 at
  // 8, B3 at 10, B4 at 15. A runs 0-4 and drops to Q1; B1 runs 4-7, A 7-8, B2 8-11. At 10 A
  // has waited 3 + 2 = 5 s (4-7, 8-10) and run 5 s: promoted to the back of Q0, ahead of B3
  // arriving then. It runs 11-15 and drops again; B3 runs 15-18, B4 18-21. (Counting only the
  // current wait, A would never be promoted: B3 would run 11-14 and B4 15-18.) Under
  // --mechanism tiresias the same happens at events: A's demotions are due at 4 and 15 (4 s
  // after it entered Q0), its promotion at 10 (at 8 it had run 5 s and waited 3).
  for (const char* mechanism : {"dlsched", "tiresias"}) {
    SCOPED_TRACE(mechanism);
    auto ex = tiny_experiment({{0, 1, 30}, {4, 1, 3}, {8, 1, 3}, {10, 1, 3}, {15, 1, 3}},
                              {{1, 1, "g"}}, "tiresias-las", 1, 0);
    ex->options.policy_params.set("queues=2");
    ex->options.policy_params.set("thresholds=4");
    ex->options.policy_params.set("starve_factor=1");
    ex->scheduler.mechanism = mechanism;
    TinyRun run = run_tiny(*ex);
    EXPECT_DOUBLE_EQ(run.job(2).finish, 11);
    EXPECT_DOUBLE_EQ(run.job(3).first_start, 15);
    EXPECT_DOUBLE_EQ(run.job(4).first_start, 18);
    EXPECT_DOUBLE_EQ(run.job(4).finish, 21);
  }
}

TEST(TiresiasLas, WithoutPromotionTheDemotedJobWaitsForTheQueueAbove) {
  // Same trace, promotion off: j3 runs 10-13 undisturbed, then j0 (Q1) its last 6 s: 13-19.
  TinyRun run = run_tiny(*starving_trace("0"));
  EXPECT_DOUBLE_EQ(run.job(3).finish, 13);
  EXPECT_EQ(run.job(3).preemptions, 0);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 19);
  EXPECT_EQ(run.job(0).preemptions, 1);
}

TEST(TiresiasLas, ServiceIsGpusTimesTime) {
  // 2 GPUs, 1 s rounds, threshold 4 GPU-s, no promotion. j0 (2 GPUs, 6 s) runs alone from 0
  // and has 2 x 2 s = 4 GPU-s at 2: it drops to Q1, and j1 (2 GPUs, 3 s, arrived at 1, Q0)
  // takes over at 2. At 4 j1 has 4 GPU-s too and drops to Q1, where FIFO puts j0 (earlier
  // arrival) first: j0 runs its last 4 s 4-8, j1 its last second 8-9.
  auto ex = tiny_experiment({{0, 2, 6}, {1, 2, 3}}, {{1, 2, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=4");
  ex->options.policy_params.set("starve_factor=0");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 2);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 8);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 9);
}

/// A prior file of job sizes in a temporary directory, removed with the object.
struct PriorFile {
  explicit PriorFile(const std::string& text)
      : path((std::filesystem::temp_directory_path() /
              ("dlsched-prior-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".csv"))
                 .string()) {
    std::ofstream(path) << text;
  }
  ~PriorFile() { std::filesystem::remove(path); }
  std::string path;
  static inline int counter = 0;
};

/// Two jobs on 1 GPU, one queue, quantum 1 GPU-s, prior {2, 3}: A (5 s) at 0, B (2 s) at 1.
/// The index steps, each taking G's value at the last whole GPU-second before the next sample:
///   a in [0, 2): G(1) = P(S <= 2 | S > 1) / E[min(S - 1, 1) | S > 1] = (1/2) / 1 = 1/2;
///   a in [2, 3): G(2) = 1 / 1 = 1;  a >= 3: 0 (A has outlived every sample).
std::unique_ptr<Experiment> gittins_pair(const PriorFile& prior) {
  auto ex = tiny_experiment({{0, 1, 5}, {1, 1, 2}}, {{1, 1, "g"}}, "tiresias-gittins", 1, 0);
  ex->options.policy_params.set("queues=1");
  ex->options.policy_params.set("delta=1");
  ex->options.policy_params.set("prior=" + prior.path);
  return ex;
}

TEST(TiresiasGittins, RanksByTheIndexOfThePriorEveryRound) {
  // At 1 both have 1/2 and A (earlier) keeps running; at 2 A has 1; at 3 A has 3 GPU-s and
  // index 0 < B's 1/2: B preempts it and runs 3-5 (1/2 at 4); A its last 2 s 5-7. (A prior
  // taken from this trace, {2, 5}, would give both jobs 0 at 3 and keep A running.)
  const PriorFile prior("duration\n3\n2\n");
  TinyRun run = run_tiny(*gittins_pair(prior));
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 3);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 5);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 7);
  EXPECT_EQ(run.job(0).preemptions, 1);
}

TEST(TiresiasGittins, UnderTheTiresiasMechanismRanksChangeOnlyAtEvents) {
  // Tiresias' simulator re-ranks at arrivals, completions and queue jumps only: at 1 (B's
  // arrival) both are in the first step and tie (its table: 1e6 x 0.5 / (3 // 2) = 500000)
  // and A runs; with one queue nothing happens until A ends at 5.
  const PriorFile prior("duration\n3\n2\n");
  auto ex = gittins_pair(prior);
  ex->scheduler.mechanism = "tiresias";
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 5);
  EXPECT_EQ(run.job(0).preemptions, 0);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 5);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 7);
}

TEST(GittinsIndex, StepsAtTheSamplesWithHandComputedValues) {
  // Samples {2, 4, 10}, delta 3. G(a) = P(S - a <= 3 | S > a) / E[min(S - a, 3) | S > a]:
  //   G(0) = (1/3) / ((2 + 3 + 3) / 3) = 1/8;  G(1) = (2/3) / ((1 + 3 + 3) / 3) = 2/7;
  //   G(3) = (1/2) / ((1 + 3) / 2) = 1/4;      G(9) = 1 / 1 = 1.
  const GittinsIndex g({10, 2, 4}, 3);
  EXPECT_DOUBLE_EQ(g.exact(0), 1.0 / 8);
  EXPECT_DOUBLE_EQ(g.exact(1), 2.0 / 7);
  EXPECT_DOUBLE_EQ(g.exact(3), 1.0 / 4);
  EXPECT_DOUBLE_EQ(g.exact(9), 1.0);
  EXPECT_DOUBLE_EQ(g.exact(10), 0.0);
  // The step function: below 2 it is G(1), in [2, 4) G(3), in [4, 10) G(9), then 0.
  EXPECT_DOUBLE_EQ(g.at(0), 2.0 / 7);
  EXPECT_DOUBLE_EQ(g.at(1.5), 2.0 / 7);
  EXPECT_DOUBLE_EQ(g.at(2), 1.0 / 4);
  EXPECT_DOUBLE_EQ(g.at(3.9), 1.0 / 4);
  EXPECT_DOUBLE_EQ(g.at(4), 1.0);
  EXPECT_DOUBLE_EQ(g.at(9.5), 1.0);
  EXPECT_DOUBLE_EQ(g.at(10), 0.0);
  EXPECT_DOUBLE_EQ(g.at(1e9), 0.0);
  // Samples closer than a GPU-second: the step [2, 2.5) takes G at its own start,
  // G(2) = 1 / 0.5 = 2 (only 2.5 is left, 0.5 GPU-s away).
  const GittinsIndex close({2, 2.5}, 1);
  EXPECT_DOUBLE_EQ(close.at(2.2), 2.0);
}

TEST(GittinsIndex, TheSimulatorsTableByHand) {
  // Tiresias' simulator on samples {2, 4, 10}, delta 3, at a = (sample - 1):
  //   a = 1: 2 of 3 end by 4, P = 0.66667; cost (2 + 4 + 3 x 1) // 3 = 3: 1e6 P / 3 = 222223.3333;
  //   a = 3: 1 of 2 ends by 6, P = 0.5; cost (4 + 3 x 1) // 2 = 3: 166666.6667;
  //   a = 9: 12 reaches past the largest sample, which then counts as not ending: P = 0, 0.
  const GittinsIndex g({10, 2, 4}, 3, GittinsIndex::Form::SIMULATOR);
  EXPECT_DOUBLE_EQ(g.simulator_value(1), 222223.3333);
  EXPECT_DOUBLE_EQ(g.simulator_value(3), 166666.6667);
  EXPECT_DOUBLE_EQ(g.simulator_value(9), 0.0);
  EXPECT_DOUBLE_EQ(g.at(0), 222223.3333);
  EXPECT_DOUBLE_EQ(g.at(3), 166666.6667);
  EXPECT_DOUBLE_EQ(g.at(4), 0.0);
  EXPECT_DOUBLE_EQ(g.at(10), 0.0);
}

TEST(GittinsIndex, PriorFilesAreReadFromTheirDurationColumn) {
  EXPECT_EQ(parse_service_samples("job,duration\r\na,5\r\nb, 7.5 \r\n\r\n", "p.csv"),
            (std::vector<double>{5, 7.5}));
  const auto message = [](std::string_view text) {
    try {
      parse_service_samples(text, "p.csv");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("size\n5\n"), "p.csv:1: the header has no 'duration' column (job GPU-seconds)");
  EXPECT_EQ(message("duration\n5\n-1\n"), "p.csv:3: duration '-1' is not a positive number");
  EXPECT_EQ(message("a,duration\n5\n"), "p.csv:2: 1 fields, the duration is field 2");
  EXPECT_EQ(message("duration\n"), "p.csv:1: no job sizes (a 'duration' column with one row per job)");
  EXPECT_THROW(load_service_samples("/nonexistent/prior.csv"), InputError);
  PolicyParams p;
  p.set("prior=/nonexistent/prior.csv");
  EXPECT_THROW(make_policy("tiresias-gittins", p), InputError);
}

TEST(GittinsIndex, TheBuiltInPriorIsTiresiasYarnSample) {
  // jobs/traces/tiresias-yarn-gput1000.csv: 1,001 rows; its smallest and largest durations.
  const std::vector<double> s =
      parse_service_samples(tiresias_yarn_prior_csv(), "tiresias-yarn-gput1000.csv");
  ASSERT_EQ(s.size(), 1001u);
  EXPECT_EQ(*std::min_element(s.begin(), s.end()), 121);
  EXPECT_EQ(*std::max_element(s.begin(), s.end()), 53294624);
}

TEST(TiresiasLas, UnderTheTiresiasMechanismDemotionWaitsForTheSimulatorsQueueJump) {
  // 3 GPUs, 2 queues split at 10 GPU-s; A (3 GPUs, 8 s) and B (3 GPUs, 2 s) both at 0, A
  // first. Every round: A crosses 10 GPU-s at 4 (12), is demoted, B runs 4-6, A 6-10.
  // Tiresias' simulator schedules A's queue jump floor((10 - 0 s) / 3 GPUs) = 3 s ahead: at 3
  // A has 9 < 10, and the next jump is floor((10 - 3) / 3) = 2 s later: A is demoted at 5, B
  // runs 5-7, A 7-10.
  const auto run_with = [](const std::string& mechanism) {
    auto ex = tiny_experiment({{0, 3, 8}, {0, 3, 2}}, {{1, 3, "g"}}, "tiresias-las", 1, 0);
    ex->options.policy_params.set("queues=2");
    ex->options.policy_params.set("thresholds=10");
    ex->scheduler.mechanism = mechanism;
    return run_tiny(*ex);
  };
  const TinyRun every_round = run_with("dlsched");
  EXPECT_DOUBLE_EQ(every_round.job(1).first_start, 4);
  EXPECT_DOUBLE_EQ(every_round.job(1).finish, 6);
  EXPECT_DOUBLE_EQ(every_round.job(0).finish, 10);
  const TinyRun at_events = run_with("tiresias");
  EXPECT_DOUBLE_EQ(at_events.job(1).first_start, 5);
  EXPECT_DOUBLE_EQ(at_events.job(1).finish, 7);
  EXPECT_DOUBLE_EQ(at_events.job(0).finish, 10);
  EXPECT_EQ(at_events.job(0).preemptions, 1);
}

TEST(TiresiasLas, WithOneQueueItIsFifo) {
  // One queue and no index: j0 runs 0-8 first.
  auto ex = tiny_experiment({{0, 1, 8}, {0, 1, 2}, {0, 1, 2}}, {{1, 1, "g"}}, "tiresias-las", 1, 0);
  ex->options.policy_params.set("queues=1");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 8);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 8);
}

TEST(Tiresias, ThresholdsMustMatchTheQueues) {
  const auto params = [](const std::string& thresholds) {
    PolicyParams p;
    p.set("queues=4");
    if (!thresholds.empty()) p.set("thresholds=" + thresholds);
    return p;
  };
  EXPECT_THROW(make_policy("tiresias-las", params("")), InputError);  // default has two thresholds
  EXPECT_THROW(make_policy("tiresias-las", params("100,50,200")), InputError);  // not increasing
  EXPECT_NO_THROW(make_policy("tiresias-gittins", params("50,100,200")));
}

}  // namespace
}  // namespace dlsched::test
