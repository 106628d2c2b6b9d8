// Checkpoint and resume of the scheduler core: a snapshot restores the same state, and a
// scheduler restored mid-run decides exactly as the one that was never interrupted, for every
// policy (stateful ones save what they remember through Policy::save_state).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"
#include "support/event_replay.h"
#include "support/test_paths.h"
#include "support/tiny_experiment.h"

namespace dlsched::test {
namespace {

struct Sample {
  std::string name;
  std::string trace;
  std::string cluster;
  std::string throughputs;
  double round_length;
  std::string mechanism = "dlsched";
};

void PrintTo(const Sample& s, std::ostream* os) { *os << s.name; }

std::vector<Sample> samples() {
  return {{"tiresias", "tiresias-60_job.csv", "2x4:v100", "", 60},
          {"gavel_small", "gavel-small_test.trace", "1x4:v100,1x4:p100,1x4:k80",
           trace_path("gavel-simulation_throughputs.json"), 360}};
}

std::unique_ptr<Experiment> load(const Sample& s, const std::string& policy) {
  ExperimentOptions o;
  o.trace_path = trace_path(s.trace);
  o.cluster = s.cluster;
  o.throughputs_path = s.throughputs;
  o.models_path = source_path("jobs/models.toml");
  o.policy = policy;
  o.round_length = s.round_length;
  o.mechanism = s.mechanism;
  return load_experiment(o);
}

/// Runs `a` until a third of the jobs have finished; returns the events fed so far.
std::size_t run_to_a_third(EventReplay& replay, Scheduler& a, std::size_t jobs) {
  std::size_t events = 0;
  while (a.finished_jobs() < jobs / 3) {
    const auto e = replay.next(a);
    EXPECT_TRUE(e.has_value());
    if (!e) break;
    replay.apply(a, *e);
    ++events;
  }
  return events;
}

class ResumeEveryPolicy : public ::testing::TestWithParam<std::tuple<Sample, std::string>> {};

TEST_P(ResumeEveryPolicy, RestoredMidRunDecidesExactlyAsTheUninterruptedRun) {
  const auto& [sample, name] = GetParam();
  auto ex = load(sample, name);
  const std::size_t n = ex->trace.jobs.size();
  auto policy_a = make_policy(name);
  Scheduler a(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_a, ex->scheduler);
  EventReplay replay(*ex);
  ASSERT_GT(run_to_a_third(replay, a, n), 0u);
  const SchedulerSnapshot snap = a.snapshot();

  auto policy_b = make_policy(name);
  Scheduler b(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_b, ex->scheduler);
  b.restore(snap);
  EXPECT_EQ(describe(b.snapshot()), describe(snap));
  EXPECT_EQ(b.gpu_owner(), a.gpu_owner());
  EXPECT_EQ(b.busy_gpus(), a.busy_gpus());
  EXPECT_EQ(b.running_jobs(), a.running_jobs());
  EXPECT_EQ(b.finished_jobs(), a.finished_jobs());
  EXPECT_EQ(b.active_jobs(), a.active_jobs());
  EXPECT_EQ(b.check_invariants(), "");

  // The same events from here on: every decision must be the same, to the last bit.
  std::size_t events = 0, decisions = 0;
  while (const auto e = replay.next(a)) {
    ASSERT_LT(++events, 200000u) << "the run does not end";
    const std::vector<Decision> da = replay.apply(a, *e);
    const std::vector<Decision> db = b.handle(*e);
    ASSERT_EQ(da.size(), db.size()) << "event " << events << " at t=" << e->time;
    for (std::size_t i = 0; i < da.size(); ++i)
      ASSERT_EQ(describe(da[i]), describe(db[i])) << "event " << events << " at t=" << e->time;
    decisions += da.size();
  }
  EXPECT_EQ(a.finished_jobs(), n);
  EXPECT_EQ(b.finished_jobs(), n);
  EXPECT_GT(decisions, 0u);
  EXPECT_EQ(describe(b.snapshot()), describe(a.snapshot()));
}

std::vector<std::string> policy_names() {
  std::vector<std::string> names;
  // Policies that adapt jobs run only under --mechanism pollux (tests/cli/test_pollux_mechanism).
  for (const PolicyInfo& p : registered_policies())
    if (p.make({})->adaptivity() == JobAdaptivity::fixed) names.push_back(p.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllSamples, ResumeEveryPolicy,
                         ::testing::Combine(::testing::ValuesIn(samples()),
                                            ::testing::ValuesIn(policy_names())),
                         [](const auto& info) {
                           std::string n = std::get<0>(info.param).name + "_" +
                                           std::get<1>(info.param);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// Under --mechanism tiresias the Tiresias policies keep their last decision between the
// simulator's events: that memory must survive a checkpoint too.
INSTANTIATE_TEST_SUITE_P(TiresiasMechanism, ResumeEveryPolicy,
                         ::testing::Combine(::testing::Values(Sample{"tiresias_mechanism",
                                                                     "tiresias-60_job.csv",
                                                                     "2x4:v100", "", 1, "tiresias"}),
                                            ::testing::Values("tiresias-las", "tiresias-gittins")),
                         [](const auto& info) {
                           std::string n = std::get<1>(info.param);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });
// Policies that run differently under --mechanism gavel (Gavel's AlloX and Gandiva baseline)
// remember other things there.
INSTANTIATE_TEST_SUITE_P(GavelMechanism, ResumeEveryPolicy,
                         ::testing::Combine(::testing::Values(Sample{
                                                "gavel_small_gavel_mechanism",
                                                "gavel-small_test.trace",
                                                "1x4:v100,1x4:p100,1x4:k80",
                                                trace_path("gavel-simulation_throughputs.json"),
                                                360, "gavel"}),
                                            ::testing::Values("allox", "gandiva")),
                         [](const auto& info) { return std::string(std::get<1>(info.param)); });

class ForgetPolicyState
    : public ::testing::TestWithParam<std::tuple<std::size_t, std::string, std::string>> {};

TEST_P(ForgetPolicyState, RestoredWithAFreshPolicyStateDecidesDifferently) {
  // The determinism test has teeth: a stateful policy restored with the state of a newly made
  // one (Gavel's time received per type, learned run times) decides otherwise on the same
  // events. (Tiresias' saved queues matter only after a starvation promotion, which these
  // samples do not reach a third of the way in; its round trip is checked above.)
  const auto& [sample, name, param] = GetParam();
  const Sample s = samples()[sample];
  auto ex = load(s, name);
  PolicyParams params;
  if (!param.empty()) params.set(param);
  auto policy_a = make_policy(name, params);
  Scheduler a(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_a, ex->scheduler);
  EventReplay replay(*ex);
  run_to_a_third(replay, a, ex->trace.jobs.size());
  SchedulerSnapshot snap = a.snapshot();
  auto policy_b = make_policy(name, params);
  ASSERT_NE(snap.policy_state, policy_b->save_state());
  snap.policy_state = policy_b->save_state();
  Scheduler b(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_b, ex->scheduler);
  b.restore(snap);
  bool differs = false;
  while (const auto e = replay.next(a)) {
    std::vector<std::string> da, db;
    for (const Decision& d : replay.apply(a, *e)) da.push_back(describe(d));
    if (e->kind == Event::Kind::COMPLETION &&
        b.state(e->job).status != JobState::Status::RUNNING) {
      differs = true;  // b does not run the job a completes: the schedules have parted
      break;
    }
    for (const Decision& d : b.handle(*e)) db.push_back(describe(d));
    if (da != db) {
      differs = true;
      break;
    }
  }
  EXPECT_TRUE(differs);
}

INSTANTIATE_TEST_SUITE_P(StatefulPolicies, ForgetPolicyState,
                         ::testing::Values(
                             std::tuple{std::size_t{0}, "gavel-maxmin", ""},
                             std::tuple{std::size_t{0}, "srtf-est", ""}),
                         [](const auto& info) {
                           std::string n = std::get<1>(info.param) + "_" +
                                           samples()[std::get<0>(info.param)].name;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(SchedulerSnapshot, RequeueStopsEveryRunningJobWithoutCountingAPreemption) {
  // Two 1-GPU jobs of 10 s (unit model: 1 iteration per second) on two GPUs, restore delay 5.
  auto ex = tiny_experiment({{0, 1, 10}, {0, 1, 10}}, {{1, 2, "g"}}, "las", 100, 5);
  auto policy = make_policy("las");
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, ex->scheduler);
  s.observe(Event{Event::Kind::ARRIVAL, 0, 0});
  s.observe(Event{Event::Kind::ARRIVAL, 0, 1});
  ASSERT_EQ(s.decide(0).size(), 2u);
  const std::vector<Decision> stops = s.requeue_all(3);
  ASSERT_EQ(stops.size(), 2u);
  for (const Decision& d : stops) {
    EXPECT_EQ(d.kind, Decision::Kind::STOP);
    EXPECT_FALSE(d.preempted);
    EXPECT_EQ(d.gpus.size(), 1u);
  }
  for (JobId j : {0u, 1u}) {
    EXPECT_EQ(s.state(j).status, JobState::Status::WAITING);
    EXPECT_EQ(s.state(j).requeues, 1);
    EXPECT_EQ(s.state(j).preemptions, 0);
    EXPECT_DOUBLE_EQ(s.state(j).progress_iterations, 3);  // 3 s at 1 iteration/s
  }
  EXPECT_EQ(s.busy_gpus(), 0);
  // Restarted at once, they pay the 5 s restore delay: iterating again from t = 8.
  const std::vector<Decision> starts = s.decide(3);
  ASSERT_EQ(starts.size(), 2u);
  for (const Decision& d : starts) {
    EXPECT_EQ(d.kind, Decision::Kind::START);
    EXPECT_DOUBLE_EQ(d.resume_at, 8);
  }
  EXPECT_DOUBLE_EQ(s.iterations_done(0, 10), 5);  // 3 before, 2 after t = 8
  EXPECT_EQ(s.check_invariants(), "");
}

TEST(SchedulerSnapshot, RestoreRefusesASnapshotThatDoesNotFit) {
  auto ex = tiny_experiment({{0, 2, 4}, {0, 1, 4}}, {{1, 2, "g"}}, "fifo");
  auto policy = make_policy("fifo");
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, ex->scheduler);
  s.observe(Event{Event::Kind::ARRIVAL, 0, 0});
  s.observe(Event{Event::Kind::ARRIVAL, 0, 1});
  s.decide(0);
  SchedulerSnapshot snap = s.snapshot();

  SchedulerSnapshot fewer = snap;
  fewer.jobs.pop_back();
  auto p1 = make_policy("fifo");
  Scheduler other(ex->trace.jobs, ex->cluster, *ex->throughput, *p1, ex->scheduler);
  try {
    other.restore(fewer);
    FAIL() << "a snapshot with 1 job was restored on a 2-job trace";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "checkpoint has 1 jobs, the trace 2");
  }

  SchedulerSnapshot doubled = snap;
  doubled.jobs[1].status = JobState::Status::RUNNING;
  doubled.jobs[1].gpu_type = 0;
  doubled.jobs[1].gpus = {snap.jobs[0].gpus.front()};
  try {
    other.restore(doubled);
    FAIL() << "a GPU held by two jobs was restored";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("held by jobs"), std::string::npos) << e.what();
  }

  SchedulerSnapshot stateful = snap;
  stateful.policy_state = "1 2 3";
  try {
    other.restore(stateful);
    FAIL() << "fifo accepted a saved state";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("fifo"), std::string::npos) << e.what();
  }
  // Nothing of a refused snapshot was applied.
  EXPECT_EQ(other.active_jobs(), 0u);
  other.restore(snap);
  EXPECT_EQ(other.gpu_owner(), s.gpu_owner());
}

TEST(PolicyState, NumbersAndTextReadBackExactly) {
  const double third = 1.0 / 3, tiny = 4.9e-324, inf = std::numeric_limits<double>::infinity();
  PolicyStateWriter w;
  w.put(third).put(0.1 + 0.2).put(tiny).put(-inf).put(std::int64_t{-9007199254740993}).put(true);
  w.put_text("model with spaces").put_text("").put(std::size_t{7});
  PolicyStateReader r("p", w.str());
  EXPECT_EQ(r.get_double(), third);
  EXPECT_EQ(r.get_double(), 0.1 + 0.2);
  EXPECT_EQ(r.get_double(), tiny);
  EXPECT_EQ(r.get_double(), -inf);
  EXPECT_EQ(r.get_int(), -9007199254740993);
  EXPECT_TRUE(r.get_bool());
  EXPECT_EQ(r.get_text(), "model with spaces");
  EXPECT_EQ(r.get_text(), "");
  EXPECT_EQ(r.get_count(7), 7u);
  EXPECT_NO_THROW(r.finish());
}

TEST(PolicyState, DamagedStateIsAnErrorNamingThePolicy) {
  PolicyStateReader r("tiresias-las", "3 x");
  EXPECT_EQ(r.get_count(10), 3u);
  try {
    r.get_double();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "policy tiresias-las: saved state is damaged at byte 3: 'x' is not a number");
  }
  PolicyStateReader big("p", "12");
  EXPECT_THROW(big.get_count(10), Error);
  PolicyStateReader extra("p", "1 2");
  extra.get_int();
  EXPECT_THROW(extra.finish(), Error);
}

}  // namespace
}  // namespace dlsched::test
