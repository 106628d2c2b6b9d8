// AlloX and Gandiva under --mechanism gavel, as Gavel's simulator runs its baselines, computed
// by hand on tiny traces (unit model: one iteration takes 1 s on "g", 2 s on "slow"); and the
// Python-compatible random numbers that make Gandiva's pairs those of the reference's seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "sched/python_random.h"
#include "support/run_checks.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

using Group = ClusterSpec::Group;

/// The knobs of --mechanism gavel (mechanism.cpp), with a chosen re-solve interval.
void as_gavel(Experiment& ex, double resolve_interval) {
  ex.scheduler.mechanism = "gavel";
  ex.scheduler.refill_between_rounds = false;
  ex.scheduler.round_ends_with_last_lease = true;
  ex.scheduler.packed_pairs_end_together = true;
  ex.scheduler.resolve_interval = resolve_interval;
  ex.scheduler.suspend_delay = 0;
}

/// Gives job i the model models[i] (the unit model under that name) with `table` as the
/// measured throughputs, so that co-location entries apply to those names.
void use_models(Experiment& ex, const std::vector<std::string>& models, ThroughputTable table) {
  const ModelInfo unit = *ex.catalog.find_model("unit");
  for (std::size_t i = 0; i < models.size(); ++i) {
    ModelInfo m = unit;
    m.name = models[i];
    ex.catalog.add_model(m);
    ex.trace.jobs[i].model = models[i];
  }
  ex.measured = std::move(table);
  ex.throughput = std::make_unique<ThroughputModel>(ex.catalog, ex.cluster, &*ex.measured);
  ex.throughput->prepare(ex.trace.jobs, ex.trace.path);
}

/// 1 it/s alone on "g" for every model on 1 or 2 GPUs; every pair packs at `packed` it/s each
/// on 1 GPU (no entry for 2).
ThroughputTable packing_table(const std::vector<std::string>& models, double packed) {
  ThroughputTable t;
  for (const std::string& m : models) {
    t.set(m, "g", 1, true, 1.0);
    t.set(m, "g", 2, true, 1.0);
  }
  for (const std::string& a : models)
    for (const std::string& b : models)
      if (a != b) t.set_colocated(a, b, "g", 1, packed);
  return t;
}

// One "g" and one "slow" GPU, 100 s rounds, one solve until the cluster empties. Two 1 s jobs
// and a 30 s job. AlloX's matching (cost = position from the end x time on the GPU's type):
// the long job last on g (30), one short job ahead of it there (2 x 1) and the other alone on
// slow (2): 34, less than any other (both short jobs on g: 30 + 2 + 3 = 35; the long job on
// slow: 60 + ...). Only the first job of each GPU's queue gets a share, so the long job waits.
// Round 0 runs the short jobs (on g until 1, on slow until 2) and ends with the last lease at
// 2; the cluster is then empty, so X is re-solved at once and the long job runs on g 2..32.
TEST(GavelAllox, OnlyTheFirstJobOfEachGpuQueueGetsAShareTheOthersWaitForTheNextSolve) {
  auto ex = tiny_experiment({{0, 1, 1}, {0, 1, 1}, {0, 1, 30}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "allox", 100);
  as_gavel(*ex, 1000);
  const TinyRun run = run_tiny(*ex);
  const std::multiset<double> short_jcts{run.job(0).jct, run.job(1).jct};
  EXPECT_EQ(short_jcts, (std::multiset<double>{1, 2}));
  EXPECT_NEAR(run.job(2).jct, 32, 1e-9);
}

// The same jobs under dlsched's own mechanism keep today's AlloX: the long job does not wait
// for a solve; it starts on the first GPU that frees up (g at 1, or slow at 2).
TEST(GavelAllox, DlschedMechanismKeepsTheWorkConservingAllox) {
  auto ex = tiny_experiment({{0, 1, 1}, {0, 1, 1}, {0, 1, 30}}, {{1, 1, "g"}, {1, 1, "slow"}},
                            "allox", 100);
  const TinyRun run = run_tiny(*ex);
  EXPECT_LT(run.job(2).jct, 32);
}

// One "g" and one "slow" GPU, 4 s rounds, a solve whenever the jobs change; two 10 s jobs.
// Not oversubscribed, so Gavel's Gandiva gives each job N_t / m = 1/2 of every type. Each
// round, per type (g first), the job that ran least there (time since the reset, which
// starts at half a round) goes first; ties go to the earlier job:
//   0-4: j0 on g (4 it), j1 on slow (2 it);   4-8: j1 on g, j0 on slow: both at 6 it;
//   8-12: tie, j0 on g finishes at 12 (the round ends with its lease), j1 on slow has 8 it;
//   12: j0 left, re-solve; j1 on g finishes its 2 it at 14.
TEST(GavelGandiva, EqualSharesRotateJobsAcrossTypesEveryRound) {
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}}, {{1, 1, "g"}, {1, 1, "slow"}}, "gandiva", 4);
  as_gavel(*ex, 0);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 12, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 14, 1e-9);
}

// One "g" GPU, two 1-GPU jobs: oversubscribed, so they are paired (the only pair). Packed, a
// runs at 0.75 it/s and b at 0.5 (normalised packed throughput 1.25 >= 1, so the pair
// stays), and the pair gets the whole GPU. a's 3 it are done at 4 and b's 4 it at 8. Gavel runs
// a pair as one lease: a finishes with it, at 8. Without that rule a finishes at 4, and b
// runs alone at 1 it/s from 4 and finishes its last 2 it at 6.
TEST(GavelGandiva, OversubscribedJobsRunAsAPairWhoseLeaseEndsTogether) {
  const auto make = [] {
    auto ex = tiny_experiment({{0, 1, 3}, {0, 1, 4}}, {{1, 1, "g"}}, "gandiva", 100);
    as_gavel(*ex, 0);
    ThroughputTable t;
    t.set("a", "g", 1, true, 1.0);
    t.set("b", "g", 1, true, 1.0);
    t.set_colocated("a", "b", "g", 1, 0.75);
    t.set_colocated("b", "a", "g", 1, 0.5);
    use_models(*ex, {"a", "b"}, t);
    return ex;
  };
  auto together = make();
  const TinyRun run = run_tiny(*together);
  EXPECT_NEAR(run.job(0).jct, 8, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 8, 1e-9);

  auto apart = make();
  apart->scheduler.packed_pairs_end_together = false;
  const TinyRun alone = run_tiny(*apart);
  EXPECT_NEAR(alone.job(0).jct, 4, 1e-9);
  EXPECT_NEAR(alone.job(1).jct, 6, 1e-9);
}

// The same oversubscription where the driver packs nothing (emulate): no pairs, each of the two
// jobs (3 s and 4 s) gets X = 1/2 of the GPU, and 2 s rounds alternate them, ties to the earlier
// job: j0 0-2, j1 2-4, j0 4-5 (done; the round ends with its lease), then j1 alone 5-7.
TEST(GavelGandiva, WithoutPackingOversubscribedJobsOnlyTimeShare) {
  auto ex = tiny_experiment({{0, 1, 3}, {0, 1, 4}}, {{1, 1, "g"}}, "gandiva", 2);
  as_gavel(*ex, 0);
  ex->scheduler.packing = false;
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 5, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 7, 1e-9);
}

// Two "g" GPUs, 10 s rounds, re-solves at most every 100 s. j0 (30 s) alone at the first
// solve gets X = 1; j1 (5 s) arrives at 1. At the rounds at 10 and 20 no re-solve is due, and
// j1, in no allocation yet, takes the idle GPU in Gavel's queue walk but is given no worker:
// the GPU idles. j0 finishes at 30, the cluster is empty, X is re-solved, j1 runs 30..35.
TEST(GavelGandiva, AJobThatArrivedAfterTheSolveWaitsForTheNextOneBesideAnIdleGpu) {
  auto ex = tiny_experiment({{0, 1, 30}, {1, 1, 5}}, {{1, 2, "g"}}, "gandiva", 10);
  as_gavel(*ex, 100);
  const TinyRun run = run_tiny(*ex);
  EXPECT_NEAR(run.job(0).jct, 30, 1e-9);
  EXPECT_NEAR(run.job(1).jct, 34, 1e-9);
}

// Four jobs of different lengths on one GPU: which pairs form is random. The same --seed gives
// the same run; over ten seeds at least two different pairings show up.
TEST(GavelGandiva, SeedChoosesThePairsAndTheSameSeedRepeatsTheRun) {
  const std::vector<std::string> models{"a", "b", "c", "d"};
  const auto jcts = [&](std::uint64_t seed) {
    auto ex = tiny_experiment({{0, 1, 3}, {0, 1, 5}, {0, 1, 7}, {0, 1, 11}}, {{1, 1, "g"}},
                              "gandiva", 10);
    as_gavel(*ex, 0);
    ex->scheduler.seed = seed;
    use_models(*ex, models, packing_table(models, 0.6));
    const TinyRun run = run_tiny(*ex);
    std::vector<double> out;
    for (JobId j = 0; j < 4; ++j) out.push_back(run.job(j).jct);
    return out;
  };
  std::set<std::vector<double>> seen;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const std::vector<double> first = jcts(seed);
    EXPECT_EQ(first, jcts(seed)) << "seed " << seed;
    seen.insert(first);
  }
  EXPECT_GE(seen.size(), 2u);
}

/// Ten jobs of 1-2 GPUs arriving over 20 s, 1-30 s long, in arrival order.
std::vector<TinyJob> random_jobs(std::mt19937& rng) {
  std::uniform_int_distribution<int> gpus(1, 2), submit(0, 20), seconds(1, 30);
  std::vector<TinyJob> jobs;
  for (int j = 0; j < 10; ++j)
    jobs.push_back(
        {static_cast<double>(submit(rng)), gpus(rng), static_cast<double>(seconds(rng))});
  std::sort(jobs.begin(), jobs.end(),
            [](const TinyJob& a, const TinyJob& b) { return a.submit < b.submit; });
  return jobs;
}

// Random traces under Gavel's rules (3 s rounds, re-solves at most every 5 s): every job
// finishes with all its work, no GPU serves two jobs unless they are a pair with a
// co-location entry (1-GPU pairs only: 2-GPU pairs form but can never run), and no job
// starts before it arrives (checked from the rows, and by the core after every decision).
TEST(GavelBaselines, RandomTracesKeepTheInvariants) {
  std::mt19937 rng(13);
  const std::vector<std::string> models{"a", "b", "c", "d", "a", "b", "c", "d", "a", "b"};
  for (int trial = 0; trial < 8; ++trial) {
    const std::vector<TinyJob> jobs = random_jobs(rng);
    auto allox = tiny_experiment(jobs, {{2, 2, "g"}, {1, 4, "slow"}}, "allox", 3);
    as_gavel(*allox, 5);
    const TinyRun a = run_tiny(*allox);
    EXPECT_EQ(a.summary.finished, jobs.size()) << "allox, trial " << trial;
    expect_run_invariants(*allox, a.rows);

    auto gandiva = tiny_experiment(jobs, {{1, 3, "g"}}, "gandiva", 3);
    as_gavel(*gandiva, 5);
    gandiva->scheduler.seed = static_cast<std::uint64_t>(trial);
    use_models(*gandiva, models, packing_table({"a", "b", "c", "d"}, 0.6));
    const TinyRun g = run_tiny(*gandiva);
    EXPECT_EQ(g.summary.finished, jobs.size()) << "gandiva, trial " << trial;
    expect_run_invariants(*gandiva, g.rows);
  }
}

// CPython 3: random.Random(0).bits(32) three times, random.Random(1) twice, and
// random.Random(0).sample(range(10), 2) then .sample(range(30), 2) (a pool below 22 items, a
// set of drawn positions above).
TEST(PythonRandom, DrawsWhatCpythonDrawsForTheSameSeed) {
  PythonRandom zero(0);
  EXPECT_EQ(zero.bits(32), 3626764237u);
  EXPECT_EQ(zero.bits(32), 1654615998u);
  EXPECT_EQ(zero.bits(32), 3255389356u);
  PythonRandom one(1);
  EXPECT_EQ(one.bits(32), 577090037u);
  EXPECT_EQ(one.bits(32), 2444712010u);
  PythonRandom sampler(0);
  EXPECT_EQ(sampler.sample_positions(10, 2), (std::vector<std::size_t>{6, 9}));
  EXPECT_EQ(sampler.sample_positions(30, 2), (std::vector<std::size_t>{1, 8}));
}

}  // namespace
}  // namespace dlsched::test
