// Pollux's allocation search: the repair rules, the objectives by hand, and a search that
// must find an obvious optimum.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "sched/policies/pollux_search.h"

namespace dlsched {
namespace {

PolluxProblem two_nodes_of_four(int jobs) {
  PolluxProblem p;
  p.jobs = jobs;
  p.nodes = 2;
  p.node_gpus = {4, 4};
  p.max_replicas.assign(jobs, 8);
  p.base.assign(static_cast<std::size_t>(jobs) * 2, 0);
  p.restart_factor.assign(jobs, 1.0);
  p.speedup = [](int, int, int r) { return static_cast<double>(r); };
  return p;
}

TEST(PolluxSearch, RepairKeepsOneDistributedJobPerNode) {
  PolluxProblem p = two_nodes_of_four(2);
  SearchRandom rng(1);
  AllocationMatrix x = {1, 1,   // job 0 spans both nodes
                        2, 2};  // job 1 too: it loses both nodes
  repair_allocation(p, x, rng);
  EXPECT_EQ(x, (AllocationMatrix{1, 1, 0, 0}));
  p.avoid_interference = false;
  x = {1, 1, 2, 2};
  repair_allocation(p, x, rng);
  EXPECT_EQ(x, (AllocationMatrix{1, 1, 2, 2}));
}

TEST(PolluxSearch, RepairCapsNodesInJobOrderAndJobsAtTheirMaximum) {
  PolluxProblem p = two_nodes_of_four(2);
  SearchRandom rng(1);
  AllocationMatrix x = {3, 0,   // job 0 first: keeps its 3
                        4, 0};  // job 1 gets the 1 left
  repair_allocation(p, x, rng);
  EXPECT_EQ(x, (AllocationMatrix{3, 0, 1, 0}));
  p.max_replicas = {2, 8};
  x = {4, 0, 0, 0};
  repair_allocation(p, x, rng);
  EXPECT_EQ(x, (AllocationMatrix{2, 0, 0, 0}));
}

TEST(PolluxSearch, ObjectivesByHand) {
  PolluxProblem p = two_nodes_of_four(2);
  p.speedup_scale = 0.25;
  p.restart_factor = {0.5, 0.5};
  p.base = {4, 0, 0, 0};  // job 0 keeps its allocation, job 1 moves
  const AllocationMatrix x = {4, 0, 0, 2};
  const auto [mean, utility] = evaluate_allocation(p, x);
  // Scaled speedups 4 x 0.25 = 1 (unchanged) and 2 x 0.25 x 0.5 = 0.25 (restarted); harmonic
  // mean with the 1e-3 offset; utility: 6 speedup over the 8 GPUs of the two nodes in use.
  EXPECT_DOUBLE_EQ(mean, 2 / (1 / 1.001 + 1 / 0.251));
  EXPECT_DOUBLE_EQ(utility, 6.0 / 8);
  p.fairness_p = 0;  // geometric mean
  EXPECT_DOUBLE_EQ(evaluate_allocation(p, x).first, std::sqrt(1.0 * 0.25));
}

TEST(PolluxSearch, FindsTheAllocationThatServesBothJobs) {
  // Each job gains up to 4 GPUs on one node; spanning nodes is worth nothing more. The best
  // harmonic mean gives each job a node of its own.
  PolluxProblem p = two_nodes_of_four(2);
  p.speedup = [](int, int nodes, int r) { return nodes > 1 ? 0.5 : static_cast<double>(r); };
  SearchRandom rng(7);
  const SearchResult r = search_allocation(p, {p.base}, SearchOptions{}, rng);
  const AllocationMatrix& x = r.best;
  EXPECT_EQ(x[0] + x[1], 4);
  EXPECT_EQ(x[2] + x[3], 4);
  EXPECT_TRUE((x[0] == 4) != (x[1] == 4));
  EXPECT_NEAR(r.best_mean, 4.001, 1e-9);  // both at 4, plus the 1e-3 offset
  EXPECT_FALSE(r.front.empty());
}

}  // namespace
}  // namespace dlsched

namespace dlsched {
namespace {

TEST(PolluxSearch, RowsWiderThanAWordCountEveryNode) {
  // Ten nodes: rows are read eight entries at a time, then the rest one by one.
  PolluxProblem p;
  p.jobs = 2;
  p.nodes = 10;
  p.node_gpus.assign(10, 4);
  p.max_replicas = {16, 16};
  p.base.assign(20, 0);
  p.restart_factor = {1, 1};
  p.speedup = [](int, int nodes, int r) { return r + 0.5 * nodes; };
  AllocationMatrix x = {0, 1, 0, 2, 0, 0, 0, 3, 4, 0,   // 10 GPUs on 4 nodes
                        0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const auto [mean, utility] = evaluate_allocation(p, x);
  // Job 0: 10 + 0.5 x 4 = 12; job 1: nothing. Harmonic mean with the 1e-3 offsets; utility
  // 12 over the 16 GPUs of the 4 nodes in use.
  EXPECT_DOUBLE_EQ(mean, 2 / (1 / 12.001 + 1 / 0.001));
  EXPECT_DOUBLE_EQ(utility, 12.0 / 16);
  // A second distributed job on nodes 8 and 9 loses node 8, which job 0 holds.
  x[10 + 8] = 2;
  x[10 + 9] = 1;
  SearchRandom rng(3);
  repair_allocation(p, x, rng);
  EXPECT_EQ(x[10 + 8], 0);
  EXPECT_EQ(x[10 + 9], 1);
  EXPECT_EQ(x[8], 4);
}

}  // namespace
}  // namespace dlsched

namespace dlsched {
namespace {

TEST(PolluxSearch, NodesPastTheFirst64CountAndRepair) {
  // Seventy nodes: node sets span two 64-bit masks, rows nine 8-byte words.
  PolluxProblem p;
  p.jobs = 3;
  p.nodes = 70;
  p.node_gpus.assign(70, 4);
  p.max_replicas = {16, 16, 16};
  p.base.assign(210, 0);
  p.restart_factor = {1, 1, 1};
  p.speedup = [](int, int nodes, int r) { return r + 0.5 * nodes; };
  AllocationMatrix x(210, 0);
  x[66] = 2;            // job 0: nodes 66 and 69
  x[69] = 1;
  x[70 + 69] = 2;       // job 1 spans 3 and 69: loses 69, which job 0 holds
  x[70 + 3] = 1;
  x[140 + 67] = 4;      // job 2 on node 67 only
  const auto [mean, utility] = evaluate_allocation(p, x);
  // Speedups 3 + 1 = 4, 3 + 1 = 4 and 4 + 0.5 = 4.5; nodes 3, 66, 67 and 69 in use.
  EXPECT_DOUBLE_EQ(mean, 3 / (1 / 4.001 + 1 / 4.001 + 1 / 4.501));
  EXPECT_DOUBLE_EQ(utility, 12.5 / 16);
  x[67] = 3;            // job 0 also takes 3 GPUs of node 67 (it keeps them, job 2 gets 1)
  SearchRandom rng(5);
  repair_allocation(p, x, rng);
  EXPECT_EQ(x[70 + 69], 0);
  EXPECT_EQ(x[70 + 3], 1);
  EXPECT_EQ(x[67], 3);
  EXPECT_EQ(x[140 + 67], 1);
}

}  // namespace
}  // namespace dlsched
