// Gavel with space sharing: the packed allocation LP against hand-solved optima, and runs of
// gavel-maxmin-packed whose pairs share GPUs at their co-located rates.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "sched/policies/gavel_packed_lp.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

/// One GPU type of `gpus` GPUs; jobs of 1 GPU at 1 iteration/s alone, weight 1, in the given
/// classes; `rate[a][b]`: a class-a job's iterations/s with a class-b job on its GPU.
GavelPackedProblem one_type(int gpus, const std::vector<int>& classes,
                            const std::vector<std::vector<double>>& rate) {
  GavelPackedProblem p;
  p.jobs.gpus_per_type = {gpus};
  for (std::size_t j = 0; j < classes.size(); ++j) {
    p.jobs.throughput.push_back(1);
    p.jobs.scale_factor.push_back(1);
    p.jobs.weight.push_back(1);
    p.jobs.remaining.push_back(1);
    p.jobs.total.push_back(1);
    p.jobs.elapsed.push_back(0);
  }
  p.job_class = classes;
  p.num_classes = static_cast<int>(rate.size());
  for (const auto& row : rate) p.colocated.insert(p.colocated.end(), row.begin(), row.end());
  return p;
}

double pair_share(const GavelPackedAllocation& a, int j, int k) {
  for (const GavelPairShare& s : a.pairs)
    if (s.a == std::min(j, k) && s.b == std::max(j, k)) return s.x[0];
  return 0;
}

TEST(GavelPackedLp, MaxMinTwoJobsOneGpuMatchesTheHandSolvedLp) {
  // One GPU; jobs a and b run 1 it/s alone, 0.75 and 0.5 when they share it (1.25 GPUs'
  // worth: packing pays). Both normalise to 1 (alone on the whole cluster's equal share), so
  // with xa, xb alone and p together: max min(xa + 0.75 p, xb + 0.5 p) subject to
  // xa + xb + p <= 1 (the pair holds the GPU once), xa + p <= 1, xb + p <= 1.
  // Equal levels z with the GPU full: xa = z - 0.75 p, xb = z - 0.5 p, so 2 z - 1.25 p = 1 - p,
  // z = (1 + 0.25 p) / 2, growing with p until xa reaches 0: z = 0.75 p, p = 0.8, z = 0.6,
  // xb = 0.2. Beyond, xa = 0 and z <= min(0.75 p, 1 - 0.5 p), again at most 0.6: unique.
  const GavelPackedProblem p = one_type(1, {0, 1}, {{0, 0.75}, {0.5, 0}});
  const GavelPackedAllocation a = solve_gavel_packed_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(a.objective, 0.6, 1e-6);
  EXPECT_NEAR(a.alone.x(0, 0), 0.0, 1e-6);
  EXPECT_NEAR(a.alone.x(1, 0), 0.2, 1e-6);
  ASSERT_EQ(a.pairs.size(), 1u);
  EXPECT_NEAR(pair_share(a, 0, 1), 0.8, 1e-6);
}

TEST(GavelPackedLp, UnprofitablePairsAreLeftOut) {
  // Packed at 0.4 it/s each the pair does 0.8 GPUs' worth: time-slicing is better, X = 1/2
  // each alone and no pair, as without space sharing.
  const GavelPackedProblem p = one_type(1, {0, 1}, {{0, 0.4}, {0.4, 0}});
  const GavelPackedAllocation a = solve_gavel_packed_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(a.objective, 0.5, 1e-6);
  EXPECT_NEAR(a.alone.x(0, 0), 0.5, 1e-6);
  EXPECT_NEAR(a.alone.x(1, 0), 0.5, 1e-6);
  EXPECT_TRUE(a.pairs.empty());
}

TEST(GavelPackedLp, TwoJobsOfOneClassPairWithEachOther) {
  // Two jobs of one model on one GPU, 0.6 it/s each when together. By symmetry x alone each
  // and p together: 2 x + p <= 1, level x + 0.6 p = 0.5 + 0.1 p, largest at p = 1: z = 0.6,
  // all time shared. A lone job of a class has no partner of its class (third case).
  const GavelPackedProblem p = one_type(1, {0, 0}, {{0.6}});
  const GavelPackedAllocation a = solve_gavel_packed_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(a.objective, 0.6, 1e-6);
  EXPECT_NEAR(pair_share(a, 0, 1), 1.0, 1e-6);
  EXPECT_NEAR(a.alone.x(0, 0) + a.alone.x(1, 0), 0.0, 1e-6);
  const GavelPackedProblem lone = one_type(1, {0, 1}, {{0.6, 0}, {0, 0.6}});
  const GavelPackedAllocation b = solve_gavel_packed_allocation(lone, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(b.objective, 0.5, 1e-6);
  EXPECT_TRUE(b.pairs.empty());
}

TEST(GavelPackedLp, ClassSharesSplitIntoPairsThatBalance) {
  // Two GPUs; two jobs of class a and two of class b, each a-b pair at 0.8 it/s for both
  // (1.6 GPUs' worth), a-a and b-b not packable. Every job normalises to 1 (its
  // rate alone x 2 GPUs / 2 GPUs). With p_j a job's paired time, its alone time is at most
  // 1 - p_j and must give level L - 0.8 p_j; the GPUs hold sum (L - 0.8 p_j + p_j / 2) =
  // 4 L - 0.3 sum p <= 2 and L <= 1 - 0.2 p_j: L = 0.8 with every p_j = 1, all time paired.
  // The class shares (each a-job: 1 with class b) split by the product rule: each of the four
  // a-b pairs gets 1 x 1 / 2 = 0.5, and every job's pairs sum to its share.
  const GavelPackedProblem p = one_type(2, {0, 0, 1, 1}, {{0, 0.8}, {0.8, 0}});
  const GavelPackedAllocation a = solve_gavel_packed_allocation(p, GavelObjective::MAX_MIN_FAIRNESS);
  EXPECT_NEAR(a.objective, 0.8, 1e-6);
  for (int i : {0, 1})
    for (int k : {2, 3}) EXPECT_NEAR(pair_share(a, i, k), 0.5, 1e-6) << i << "-" << k;
  EXPECT_NEAR(pair_share(a, 0, 1), 0.0, 1e-9);
  EXPECT_NEAR(pair_share(a, 2, 3), 0.0, 1e-9);
}

TEST(GavelPackedLp, ThroughputAndMakespanUseThePairs) {
  // The first case's jobs: the most iterations/s is the pair all the time (1.25 > 1).
  const GavelPackedProblem p = one_type(1, {0, 1}, {{0, 0.75}, {0.5, 0}});
  const GavelPackedAllocation t = solve_gavel_packed_allocation(p, GavelObjective::MAX_THROUGHPUT);
  EXPECT_NEAR(t.objective, 1.25, 1e-6);
  EXPECT_NEAR(pair_share(t, 0, 1), 1.0, 1e-6);
  // Makespan, 6 and 3 iterations left: max min(T_a / 6, T_b / 3) with T_a = xa + 0.75 p,
  // T_b = xb + 0.5 p. Equal finish: T_a = 2 T_b. All time packed gives 0.75 and 0.5, a short
  // of 2 x 0.5: move GPU time to a alone: xa = 1 - p, T_a = 1 - 0.25 p = 2 x 0.5 p = p,
  // p = 0.8, level 0.8 / 6.
  GavelPackedProblem m = p;
  m.jobs.remaining = {6, 3};
  const GavelPackedAllocation s = solve_gavel_packed_allocation(m, GavelObjective::MIN_MAKESPAN);
  EXPECT_NEAR(s.objective, 0.8 / 6, 1e-6);
  EXPECT_NEAR(pair_share(s, 0, 1), 0.8, 1e-6);
  EXPECT_NEAR(s.alone.x(0, 0), 0.2, 1e-6);
}

// ---- Runs ---------------------------------------------------------------------------------

/// Gives job i the model models[i] (a copy of the unit model) with `table` as measured rates.
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

/// Models a and b at 1 it/s alone on "g"; sharing a GPU, a runs at 0.75 and b at 0.5.
ThroughputTable pair_table() {
  ThroughputTable t;
  t.set("a", "g", 1, true, 1.0);
  t.set("b", "g", 1, true, 1.0);
  t.set_colocated("a", "b", "g", 1, 0.75);
  t.set_colocated("b", "a", "g", 1, 0.5);
  return t;
}

TEST(GavelMaxMinPacked, APairSharesTheGpuAtItsCoLocatedRates) {
  // One GPU, x (model a, 6 s) and y (model b, 3 s) at 0, long rounds. X (first LP case):
  // pair 0.8, y alone 0.2, x alone 0. Every entry starts with the same time, so the pair,
  // largest X, runs first: y ends at 3 / 0.5 = 6; x has done 0.75 x 6 = 4.5 and runs its
  // last 1.5 alone: 7.5.
  auto ex = tiny_experiment({{0, 1, 6}, {0, 1, 3}}, {{1, 1, "g"}}, "gavel-maxmin-packed", 100);
  use_models(*ex, {"a", "b"}, pair_table());
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).first_start, 0);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 0);
  EXPECT_NEAR(run.job(1).finish, 6, 1e-9);
  EXPECT_NEAR(run.job(0).finish, 7.5, 1e-9);
  EXPECT_EQ(run.summary.preemptions, 0);
}

TEST(GavelMaxMinPacked, PairsShareOnlyTheirGpusAndProgressAtThePairRates) {
  // Two GPUs, 2 s rounds, six jobs of models a and b (a-b pairs only: no a-a or b-b entry).
  // run_tiny checks after every decision that no GPU serves more than a packed pair with an
  // entry. Here: every stretch a job iterates runs at its rate alone (1) or at its rate in an
  // a-b pair (a 0.75, b 0.5), and a packed stretch has its partner on the same GPUs then.
  const std::vector<std::string> models{"a", "b", "a", "b", "a", "b"};
  auto ex = tiny_experiment({{0, 1, 7}, {0, 1, 5}, {0, 1, 9}, {1, 1, 4}, {3, 1, 6}, {3, 1, 8}},
                            {{1, 2, "g"}}, "gavel-maxmin-packed", 2);
  use_models(*ex, models, pair_table());
  TinyRun run = run_tiny(*ex);
  // No restore delay: a job iterates over its whole stretch.
  const std::map<std::string, double> packed{{"a", 0.75}, {"b", 0.5}};
  auto rate_of = [](const ProgressRecord& r) { return r.iterations / (r.end - r.start); };
  int packed_rows = 0;
  for (const ProgressRecord& r : run.rows.progress_rows) {
    if (r.end - r.start <= 1e-9) continue;
    const double rate = rate_of(r);
    const std::string& model = models[r.job];
    if (std::abs(rate - 1.0) < 1e-6) continue;
    ASSERT_NEAR(rate, packed.at(model), 1e-6) << "job " << r.job << " at " << r.start;
    ++packed_rows;
    // Its partner (the other model) iterates at its own packed rate over the same stretch.
    bool partner = false;
    for (const ProgressRecord& o : run.rows.progress_rows)
      if (o.job != r.job && models[o.job] != model && o.start < r.end - 1e-9 &&
          o.end > r.start + 1e-9 && std::abs(rate_of(o) - packed.at(models[o.job])) < 1e-6)
        partner = true;
    EXPECT_TRUE(partner) << "job " << r.job << " ran packed at " << r.start << " alone";
  }
  EXPECT_GT(packed_rows, 0);
  for (JobId j = 0; j < 6; ++j) EXPECT_GT(run.job(j).finish, 0) << "job " << j;
}

}  // namespace
}  // namespace dlsched::test
