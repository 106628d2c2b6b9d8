// Gandiva's time-slicing, packing and migration on tiny traces, computed by hand; and the
// core's rules for suspends, packed pairs and migrations that it relies on.
// Unit model: one iteration = 1 s on a "g" GPU, so a job's seconds are its run time alone.
#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "sched/scheduler.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

using Group = ClusterSpec::Group;

/// Gives job i the model models[i] (a copy of the unit model under that name) and loads
/// `table` as the measured throughputs, so co-location entries apply to those names.
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

/// Models "a" and "b" at 1 it/s alone on "g"; packed, a runs at `a_packed`, b at `b_packed`
/// (no co-location entry when both are 0).
ThroughputTable pair_table(double a_packed, double b_packed) {
  ThroughputTable t;
  t.set("a", "g", 1, true, 1.0);
  t.set("b", "g", 1, true, 1.0);
  if (a_packed > 0) {
    t.set_colocated("a", "b", "g", 1, a_packed);
    t.set_colocated("b", "a", "g", 1, b_packed);
  }
  return t;
}

/// Seconds a job held GPUs without iterating (resume delays), from its /progress rows.
double stalled_seconds(const TinyRun& run, JobId job) {
  double held = 0, iterating = 0;
  for (const ProgressRecord& p : run.rows.progress_rows)
    if (p.job == job) held += p.end - p.start, iterating += p.seconds;
  return held - iterating;
}

TEST(Gandiva, ThreeJobsTimeSliceTwoGpusRoundRobinPayingOnlySuspendDelays) {
  // 2 GPUs on one node, three 8 s jobs, 2 s turns, 0.5 s suspend-resume, 100 s restore.
  // Each turn the job that waited longest resumes and the one that ran longest is suspended:
  //   0-2 A B | 2-4 A C | 4-6 B C | 6-8 A B | 8-10 A C | 10-12 B C | 12- A B
  // A resumed turn starts iterating 0.5 s late. By t=12 A and B have 0.5 and 1 s left and
  // end at 13 (A resumed at 12.5); C, 0.5 s left, resumes on A's GPU at 13 and ends at 14.
  auto ex = tiny_experiment({{0, 1, 8}, {0, 1, 8}, {0, 1, 8}}, {{1, 2, "g"}}, "gandiva", 2, 100);
  ex->scheduler.suspend_delay = 0.5;
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 13);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 13);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 14);
  EXPECT_DOUBLE_EQ(run.job(2).first_start, 2);
  for (JobId j = 0; j < 3; ++j) {
    EXPECT_EQ(run.job(j).preemptions, 2) << "job " << j;
    // Two resumes on the node each was suspended on: 2 x 0.5 s, never the 100 s restore.
    EXPECT_DOUBLE_EQ(stalled_seconds(run, j), 1.0) << "job " << j;
  }
}

TEST(Gandiva, ResumingOnAnotherNodeIsACheckpointRestore) {
  // Two 1-GPU nodes, three 8 s jobs, 2 s turns. At 4, B (suspended at 2 on node 1, where C
  // now runs) resumes on node 0, which A leaves: its state must travel, so it pays the 3 s
  // restore, not the 0.5 s suspend delay.
  auto ex = tiny_experiment({{0, 1, 8}, {0, 1, 8}, {0, 1, 8}}, {{2, 1, "g"}}, "gandiva", 2, 3);
  ex->scheduler.suspend_delay = 0.5;
  TinyRun run = run_tiny(*ex);
  bool resumed_elsewhere = false;
  for (const AllocationRecord& a : run.rows.allocations)
    if (a.job == 1 && a.event == 1 && a.time == 4) resumed_elsewhere = a.node == 0;
  ASSERT_TRUE(resumed_elsewhere);
  for (const ProgressRecord& p : run.rows.progress_rows) {
    if (p.job == 1 && p.start == 4) {
      EXPECT_DOUBLE_EQ(p.end - p.start - p.seconds, 3);
    }
  }
}

TEST(Gandiva, PacksAFavourablePairAtTheCoLocatedRates) {
  // One GPU. x (model a, 6 s) and y (model b, 3 s) arrive at 0. Packed, a runs at 0.75 it/s
  // and b at 0.5: 1.25 GPUs' worth of work, more than time-slicing them, so y shares x's GPU.
  // y ends at 3 / 0.5 = 6; x has done 4.5 by then and runs its last 1.5 alone: ends at 7.5.
  auto ex = tiny_experiment({{0, 1, 6}, {0, 1, 3}}, {{1, 1, "g"}}, "gandiva", 100);
  use_models(*ex, {"a", "b"}, pair_table(0.75, 0.5));
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).first_start, 0);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 0);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 6);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 7.5);
  // A packed GPU is allocated half to each job.
  EXPECT_DOUBLE_EQ(run.job(1).gpu_seconds, 3);
  EXPECT_DOUBLE_EQ(run.job(0).gpu_seconds, 4.5);
  EXPECT_EQ(run.summary.preemptions, 0);
}

TEST(Gandiva, DoesNotPackAnUnfavourablePair) {
  // Packed, each would run at 0.4 it/s: 0.8 GPUs' worth, worse than taking turns. y waits.
  auto ex = tiny_experiment({{0, 1, 6}, {0, 1, 3}}, {{1, 1, "g"}}, "gandiva", 100);
  use_models(*ex, {"a", "b"}, pair_table(0.4, 0.4));
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 6);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 6);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 9);
}

TEST(Gandiva, DoesNotPackWithoutACoLocationEntry) {
  auto ex = tiny_experiment({{0, 1, 6}, {0, 1, 3}}, {{1, 1, "g"}}, "gandiva", 100);
  use_models(*ex, {"a", "b"}, pair_table(0, 0));
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 6);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 9);
}

TEST(Gandiva, DoesNotPackWithPackingOff) {
  auto ex = tiny_experiment({{0, 1, 6}, {0, 1, 3}}, {{1, 1, "g"}}, "gandiva", 100);
  use_models(*ex, {"a", "b"}, pair_table(0.75, 0.5));
  ex->options.policy_params.set("packing=0");
  TinyRun run = run_tiny(*ex);
  EXPECT_DOUBLE_EQ(run.job(1).first_start, 6);
}

/// Drives the core by hand: arrivals at 0, then rounds with chosen progress reports.
struct HandDriven {
  std::unique_ptr<Experiment> ex;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Scheduler> sched;
  explicit HandDriven(std::unique_ptr<Experiment> e, bool packing = true) : ex(std::move(e)) {
    policy = make_policy(ex->options.policy, ex->options.policy_params);
    SchedulerConfig config = ex->scheduler;
    config.packing = packing;
    sched = std::make_unique<Scheduler>(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, config);
  }
  std::vector<Decision> arrive_all() {
    for (const JobSpec& j : ex->trace.jobs) sched->observe(Event{Event::Kind::ARRIVAL, 0, j.index});
    return sched->decide(0);
  }
};

TEST(Gandiva, UnpacksAPairWhoseMeasuredRatesDisappointAndNeverRepacksIt) {
  // The table promises 1.25 GPUs' worth, so x and y are packed at 0; at the round at 1 both
  // report 0.3 it/s (0.6 GPUs' worth): the pair is split, and stays split at later rounds.
  auto ex = tiny_experiment({{0, 1, 100}, {0, 1, 100}}, {{1, 1, "g"}}, "gandiva", 1);
  use_models(*ex, {"a", "b"}, pair_table(0.75, 0.5));
  HandDriven run(std::move(ex));
  run.arrive_all();
  Scheduler& s = *run.sched;
  ASSERT_EQ(s.state(1).packed_with, 0);
  EXPECT_DOUBLE_EQ(s.state(0).progress_rate, 0.75);
  EXPECT_DOUBLE_EQ(s.state(1).progress_rate, 0.5);
  EXPECT_EQ(s.check_invariants(), "");
  s.observe(Event{Event::Kind::PROGRESS, 1, 0, 0.3, 0.3});
  s.observe(Event{Event::Kind::PROGRESS, 1, 1, 0.3, 0.3});
  s.observe(Event{Event::Kind::ROUND_TICK, 1});
  const std::vector<Decision> split = s.decide(1);
  EXPECT_EQ(s.state(0).packed_with, -1);
  EXPECT_EQ(s.state(1).packed_with, -1);
  EXPECT_EQ(s.running_jobs(), 1u);
  int stops = 0, rate_changes = 0;
  for (const Decision& d : split) {
    stops += d.kind == Decision::Kind::STOP;
    rate_changes += d.kind == Decision::Kind::RATE;
  }
  EXPECT_EQ(stops, 1);
  EXPECT_EQ(rate_changes, 1);  // the one left runs alone, at its own rate again
  EXPECT_EQ(s.check_invariants(), "");
  for (double t : {2.0, 3.0, 4.0}) {
    s.observe(Event{Event::Kind::ROUND_TICK, t});
    s.decide(t);
    EXPECT_EQ(s.running_jobs(), 1u) << "t=" << t;
    EXPECT_EQ(s.check_invariants(), "");
  }
}

TEST(Gandiva, EmulateWithoutPackingTimeSlicesInstead) {
  // The core tells the policy packing is off (as emulate does); the favourable pair takes
  // turns instead of sharing.
  auto ex = tiny_experiment({{0, 1, 100}, {0, 1, 100}}, {{1, 1, "g"}}, "gandiva", 1);
  use_models(*ex, {"a", "b"}, pair_table(0.75, 0.5));
  HandDriven run(std::move(ex), /*packing=*/false);
  run.arrive_all();
  EXPECT_EQ(run.sched->running_jobs(), 1u);
  EXPECT_EQ(run.sched->state(0).packed_with, -1);
}

/// Asks to pack every job after the first onto the first.
class PackEverythingPolicy : public Policy {
 public:
  std::string_view name() const override { return "pack-everything"; }
  bool preemptive() const override { return true; }
  bool may_pack() const override { return true; }
  PolicyOutput schedule(const PolicyInput& in) override {
    PolicyOutput out;
    for (std::size_t i = 0; i < in.jobs.size(); ++i)
      out.ranked.push_back(Request{in.jobs[i].id, 1, ANY_GPU_TYPE, i == 0 ? -1 : long{in.jobs[0].id}});
    return out;
  }
};

TEST(Packing, CoreRefusesPackingWhereTheDriverCannotRunIt) {
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}}, {{1, 1, "g"}}, "fifo", 1);
  use_models(*ex, {"a", "b"}, pair_table(0.75, 0.5));
  PackEverythingPolicy policy;
  SchedulerConfig config = ex->scheduler;
  config.packing = false;
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, policy, config);
  s.observe(Event{Event::Kind::ARRIVAL, 0, 0});
  s.observe(Event{Event::Kind::ARRIVAL, 0, 1});
  EXPECT_THROW(s.decide(0), Error);
}

TEST(Packing, CorePacksOnlyPairsWithAnEntryAndAtMostTwoPerGpu) {
  // Three jobs ask to share job 0's GPU: a has entries with b only. Job 1 (b) is packed;
  // job 2 (model a, no entry with a) is not, and would be a third job anyway.
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}, {0, 1, 10}}, {{1, 2, "g"}}, "fifo", 1);
  use_models(*ex, {"a", "b", "a"}, pair_table(0.75, 0.5));
  PackEverythingPolicy policy;
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, policy, ex->scheduler);
  for (JobId j = 0; j < 3; ++j) s.observe(Event{Event::Kind::ARRIVAL, 0, j});
  s.decide(0);
  EXPECT_EQ(s.state(1).packed_with, 0);
  EXPECT_EQ(s.state(0).packed_with, 1);
  EXPECT_EQ(s.state(1).gpus, s.state(0).gpus);
  EXPECT_EQ(s.state(2).status, JobState::Status::WAITING);
  EXPECT_EQ(s.busy_gpus(), 1);
  // The second GPU is idle while job 2 waits: pack-everything is not work-conserving, which
  // the invariant check reports; the packed pair itself is fine.
  EXPECT_NE(s.check_invariants().find("waits while"), std::string::npos);
}

TEST(Gandiva, MigratesASpreadJobOntoOneNodeWhenItFreesUp) {
  // Two 4-GPU nodes; gradients of 4 GB, 8 GB/s inside a node, 2 GB/s between nodes, no
  // latency; the serialised step (compute, then the whole allreduce), whose times are round. A (3 GPUs, 3 it) takes node 0 and B (3 GPUs, long) node 1; C (2 GPUs) gets one
  // GPU on each: 1 s compute + 2(1/2) 4 GB / 2 GB/s = 3 s per iteration. A ends at
  // 3 x (1 + 2(2/3) 4/8) = 5. At the round at 6 node 0 is free: C (2 of its 10 it done)
  // moves there, pays the 1 s restore and runs at 1 + 4/8 = 1.5 s per iteration: 7 + 8 x 1.5.
  for (const bool migration : {true, false}) {
    auto ex = tiny_experiment({{0, 3, 3}, {0, 3, 100}, {0, 2, 10}}, {{2, 4, "g"}}, "gandiva", 2, 1);
    ModelInfo big = *ex->catalog.find_model("unit");
    big.name = "big";
    big.parameters = 1e9;  // 4 GB of gradients
    ex->catalog.add_model(big);
    for (JobSpec& j : ex->trace.jobs) j.model = "big";
    Interconnect links;
    links.intra_node_gb_per_s = 8;
    links.inter_node_gb_per_s = 2;
    links.intra_node_latency_us = 0;
    links.inter_node_latency_us = 0;
    ex->cluster = ClusterSpec::from_groups({{2, 4, "g"}}, links);
    for (JobSpec& j : ex->trace.jobs) j.iterations = j.index == 0 ? 3 : j.index == 1 ? 100 : 10;
    ex->throughput = std::make_unique<ThroughputModel>(ex->catalog, ex->cluster, nullptr,
                                                       StepSettings{.overlap = false});
    ex->throughput->prepare(ex->trace.jobs, ex->trace.path);
    if (!migration) ex->options.policy_params.set("migration=0");
    TinyRun run = run_tiny(*ex);
    EXPECT_NEAR(run.job(0).finish, 5, 1e-9);
    if (!migration) {
      EXPECT_NEAR(run.job(2).finish, 30, 1e-9);
      continue;
    }
    EXPECT_NEAR(run.job(2).finish, 19, 1e-9);
    EXPECT_EQ(run.job(2).preemptions, 0);  // a migration is not a preemption
    EXPECT_EQ(run.job(1).preemptions, 0);
    std::set<int> stopped_nodes, started_nodes;
    for (const AllocationRecord& a : run.rows.allocations) {
      if (a.job != 2 || a.time != 6) continue;
      (a.event == 0 ? stopped_nodes : started_nodes).insert(a.node);
    }
    EXPECT_EQ(stopped_nodes, (std::set<int>{0, 1}));
    EXPECT_EQ(started_nodes, (std::set<int>{0}));
  }
}

}  // namespace
}  // namespace dlsched::test
