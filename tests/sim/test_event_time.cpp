// Event-driven time (--round-length 0): decisions at arrivals, completions and the instants the
// policy names, nothing in between. Checked against schedules computed by hand, against one-second
// rounds (which reach the same decisions on an integer-time trace, one tick at a time) and job
// by job against Tiresias' own simulator.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "sched/policy_registry.h"
#include "sim/simulator.h"
#include "support/test_paths.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

const std::vector<ClusterSpec::Group> kOneGpu = {{1, 1, "g"}};

// A: 300 s from t=0; B: 60 s from t=50; one GPU, no restore cost.
const std::vector<TinyJob> kLongThenShort = {{0, 1, 300}, {50, 1, 60}};

TEST(EventTime, TiresiasLasDemotesAtTheInstantServiceCrossesTheThreshold) {
  auto ex = tiny_experiment(kLongThenShort, kOneGpu, "tiresias-las", /*round_length=*/0);
  ex->options.policy_params.set("queues=2");
  ex->options.policy_params.set("thresholds=100");
  const TinyRun run = run_tiny(*ex);
  // t=50: B arrives; both in the top queue, A ahead (it was there first) keeps running.
  // t=100: A's service reaches 100 GPU-s, it drops to queue 2 and B takes the GPU.
  // t=160: B done; A runs its last 200 s.
  EXPECT_DOUBLE_EQ(run.job(0).finish, 360);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 160);
  EXPECT_EQ(run.job(0).preemptions, 1);
  // Decision points at 0, 50, 100 and 160 only: B's own crossing (at 200) never comes, and no
  // time between events is visited.
  EXPECT_EQ(run.summary.rounds, 4);
}

TEST(EventTime, LasReranksAtArrivals) {
  auto ex = tiny_experiment(kLongThenShort, kOneGpu, "las", /*round_length=*/0);
  const TinyRun run = run_tiny(*ex);
  // t=50: B (0 GPU-s) ranks before A (50 GPU-s) and preempts it at once, not at a round end.
  EXPECT_DOUBLE_EQ(run.job(1).finish, 110);
  EXPECT_DOUBLE_EQ(run.job(0).finish, 360);
  EXPECT_EQ(run.job(0).preemptions, 1);
  EXPECT_EQ(run.summary.rounds, 3);  // 0, 50, 110
}

TEST(EventTime, ARestoreEndingIsADecisionPoint) {
  // A: 100 s from 0; B: 50 s from 20; C: 10 s from 75; one GPU, restarts cost 10 s.
  auto ex = tiny_experiment({{0, 1, 100}, {20, 1, 50}, {75, 1, 10}}, kOneGpu, "las", 0,
                            /*restore_delay=*/10);
  const TinyRun run = run_tiny(*ex);
  // t=20: B (0 GPU-s) preempts A (20). t=70: B done, A restarts, restoring until 80. t=75: C
  // ranks first but A keeps the GPU while it restores. Just after 80, C takes it: C done at
  // 90, A restarts (restored at 100) and runs its last 80 s. Without that decision point C
  // would wait for A's end at 160.
  EXPECT_DOUBLE_EQ(run.job(1).finish, 70);
  EXPECT_NEAR(run.job(2).finish, 90, 1e-9);
  EXPECT_NEAR(run.job(0).finish, 180, 1e-9);
  EXPECT_EQ(run.job(0).preemptions, 2);
}

TEST(EventTime, FifoNeverPreemptsAndFillsFreedGpusAtCompletions) {
  auto ex = tiny_experiment({{0, 1, 100}, {10, 2, 50}, {20, 1, 30}}, {{1, 2, "g"}}, "fifo", 0);
  const TinyRun run = run_tiny(*ex);
  // The 2-GPU job waits for A; strict order keeps C behind it although a GPU is free at 20.
  EXPECT_DOUBLE_EQ(run.job(0).finish, 100);
  EXPECT_DOUBLE_EQ(run.job(1).finish, 150);
  EXPECT_DOUBLE_EQ(run.job(2).finish, 180);
  for (JobId j = 0; j < 3; ++j) EXPECT_EQ(run.job(j).preemptions, 0);
}

TEST(EventTime, ProgressRowsNameTheDecisionPointTheyStartedIn) {
  auto ex = tiny_experiment(kLongThenShort, kOneGpu, "las", 0);
  const TinyRun run = run_tiny(*ex);
  // A runs 0-50 (decision point 0), B 50-110 (point 1), A 110-360 (point 2).
  std::map<double, std::int64_t> round_by_start;
  for (const ProgressRecord& p : run.rows.progress_rows) round_by_start[p.start] = p.round;
  EXPECT_EQ(round_by_start.at(0), 0);
  EXPECT_EQ(round_by_start.at(50), 1);
  EXPECT_EQ(round_by_start.at(110), 2);
}

/// The 60-job trace on Tiresias' 2 x 4 GPU cluster under --mechanism tiresias.
std::vector<JobRecord> tiresias_run(const std::string& policy, double round_length,
                                    const std::vector<std::string>& params = {}) {
  ExperimentOptions o;
  o.trace_path = trace_path("tiresias-60_job.csv");
  o.cluster = "2x4:v100";
  o.models_path = source_path("jobs/models.toml");
  o.policy = policy;
  o.mechanism = "tiresias";
  o.round_length = round_length;
  o.set_by_user.insert("round_length");
  o.event_driven_driver = true;
  for (const std::string& kv : params) o.policy_params.set(kv);
  auto ex = load_experiment(o);
  auto p = make_policy(policy, o.policy_params);
  MemorySink rows;
  SimulationOptions check;
  check.check_invariants = true;
  simulate(*ex, *p, rows, check);
  return rows.jobs;
}

std::map<JobId, double> finish_by_job(const std::vector<JobRecord>& jobs) {
  std::map<JobId, double> out;
  for (const JobRecord& j : jobs) out[j.job] = j.finish;
  return out;
}

struct ParityCase {
  std::string reference;  // the reference's schedule name in tiresias.json
  std::string policy;
  std::vector<std::string> params;
};

const std::vector<ParityCase> kParityCases = {
    {"fifo", "fifo", {}},
    {"dlas-gpu", "tiresias-las", {}},
    {"dlas-gpu-gittins", "tiresias-gittins", {}},
    {"dlas-gpu (2 queues, 400 GPU-s)", "tiresias-las", {"queues=2", "thresholds=400"}},
};

TEST(EventTime, SameScheduleAsOneSecondRoundsOnAnIntegerTrace) {
  // Every event of this trace falls on a whole second, so one-second rounds see each of them;
  // event-driven time must reach the same schedule without the ticks in between.
  for (const ParityCase& c : kParityCases) {
    const auto events = finish_by_job(tiresias_run(c.policy, 0, c.params));
    const auto rounds = finish_by_job(tiresias_run(c.policy, 1, c.params));
    ASSERT_EQ(events.size(), 60u) << c.reference;
    for (const auto& [job, finish] : rounds)
      EXPECT_DOUBLE_EQ(events.at(job), finish) << c.reference << ": job " << job;
  }
}

TEST(EventTime, MatchesTiresiasSimulatorJobByJob) {
  const std::filesystem::path path = source_path("../shared/parity/tiresias.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no reference results at " << path;
  std::ifstream in(path);
  const nlohmann::json cases = nlohmann::json::parse(in);
  for (const ParityCase& c : kParityCases) {
    const nlohmann::json* ref = nullptr;
    for (const nlohmann::json& r : cases)
      if (r.at("policy") == c.reference) ref = &r;
    ASSERT_NE(ref, nullptr) << "no reference case " << c.reference;
    const std::vector<double> jcts = ref->at("jcts").get<std::vector<double>>();
    const std::vector<JobRecord> ours = tiresias_run(c.policy, 0, c.params);
    ASSERT_EQ(ours.size(), jcts.size()) << c.reference;
    long preemptions = 0;
    for (const JobRecord& j : ours) {
      EXPECT_NEAR(j.jct, jcts.at(j.job), 1e-6) << c.reference << ": job " << j.job;
      preemptions += j.preemptions;
    }
    EXPECT_EQ(preemptions, ref->at("preemptions").get<long>()) << c.reference;
  }
}

}  // namespace
}  // namespace dlsched::test
