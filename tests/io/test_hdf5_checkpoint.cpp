// The /checkpoint group of a results file: a checkpoint written mid-run reads back field by
// field, a scheduler restored from the file decides as the uninterrupted one, a resumed writer
// appends after the rows already there, and a resume with other inputs is refused by name.
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "core/error.h"
#include "io/hdf5_results.h"
#include "run/run_checkpoint.h"
#include "sched/policy_registry.h"
#include "support/event_replay.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

namespace fs = std::filesystem;

std::string scratch_file(const std::string& name) {
  return (fs::path(test::scratch_dir()) / name).string();
}

/// The Gavel small trace on three GPU types under gavel-maxmin: a policy with state (time
/// received per type, the last allocation) and jobs of several sizes.
std::unique_ptr<Experiment> gavel_experiment() {
  ExperimentOptions o;
  o.trace_path = test::trace_path("gavel-small_test.trace");
  o.cluster = "1x4:v100,1x4:p100,1x4:k80";
  o.throughputs_path = test::trace_path("gavel-simulation_throughputs.json");
  o.models_path = test::source_path("jobs/models.toml");
  o.policy = "gavel-maxmin";
  o.round_length = 360;
  return load_experiment(o);
}

RunAttributes run_attributes(const Experiment& ex) {
  RunAttributes a = ex.attributes("emulate");
  a["backend"] = "cpu";
  a["comm_scale"] = "0.001";
  return a;
}

RunCheckpoint checkpoint_of(const Scheduler& s, const Experiment& ex, double clock) {
  RunCheckpoint c;
  c.identity = checkpoint_identity(run_attributes(ex));
  c.clock = clock;
  c.rounds = 17;
  c.next_arrival = 5;
  c.next_tick = 720;
  c.boundary_pending = true;
  c.boundary_time = 360;
  c.last_lease = 42;
  c.signal = "SIGUSR1";
  c.wall_time = 1796461890.953827;
  c.scheduler = s.snapshot();
  for (JobId j = 0; j < ex.trace.jobs.size(); ++j)
    c.jobs.push_back(
        JobProgressState{s.iterations_done(j, clock), 0.25 * j, 1.5 * j, 0.5 / (j + 1)});
  return c;
}

TEST(Hdf5Checkpoint, ReadsBackEveryFieldAndRestoresAnIdenticalScheduler) {
  auto ex = gavel_experiment();
  auto policy_a = make_policy("gavel-maxmin");
  Scheduler a(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_a, ex->scheduler);
  test::EventReplay replay(*ex);
  double now = 0;
  while (a.finished_jobs() < ex->trace.jobs.size() / 3) {
    const auto e = replay.next(a);
    ASSERT_TRUE(e.has_value());
    replay.apply(a, *e);
    now = e->time;
  }
  ASSERT_GT(a.running_jobs(), 0u) << "the snapshot should hold running jobs and their GPUs";
  const RunCheckpoint written = checkpoint_of(a, *ex, now);
  ASSERT_GT(written.scheduler.policy_state.size(), 256u) << "spans several stored pieces";

  const std::string path = scratch_file("checkpoint.h5");
  {
    Hdf5ResultsWriter w(path, run_attributes(*ex));
    w.progress(ProgressRecord{0, 1, 0, 0, 2, 1, 0.5, 0.5, 1});
    w.close_checkpointed(written);
  }
  const ResultsFile file = read_results(path);
  EXPECT_EQ(file.checkpoint, "pending");
  EXPECT_EQ(file.attributes.at("status"), "checkpointed");
  EXPECT_EQ(file.progress.size(), 1u);

  const RunCheckpoint read = read_checkpoint(path);
  EXPECT_EQ(read.identity, written.identity);
  EXPECT_EQ(read.clock, written.clock);
  EXPECT_EQ(read.rounds, 17);
  EXPECT_EQ(read.next_arrival, 5u);
  EXPECT_EQ(read.next_tick, 720);
  EXPECT_TRUE(read.boundary_pending);
  EXPECT_EQ(read.boundary_time, 360);
  EXPECT_EQ(read.last_lease, 42u);
  EXPECT_EQ(read.signal, "SIGUSR1");
  EXPECT_EQ(read.wall_time, written.wall_time);
  EXPECT_EQ(test::describe(read.scheduler), test::describe(written.scheduler));
  ASSERT_EQ(read.jobs.size(), written.jobs.size());
  for (std::size_t j = 0; j < read.jobs.size(); ++j) {
    EXPECT_EQ(read.jobs[j].iterations_done, written.jobs[j].iterations_done);
    EXPECT_EQ(read.jobs[j].rate, written.jobs[j].rate);
    EXPECT_EQ(read.jobs[j].compute_seconds, written.jobs[j].compute_seconds);
    EXPECT_EQ(read.jobs[j].comm_seconds, written.jobs[j].comm_seconds);
  }

  // Restored from the file, the scheduler goes on exactly as the one never interrupted.
  auto policy_b = make_policy("gavel-maxmin");
  Scheduler b(ex->trace.jobs, ex->cluster, *ex->throughput, *policy_b, ex->scheduler);
  b.restore(read.scheduler);
  std::size_t decisions = 0;
  while (const auto e = replay.next(a)) {
    const auto da = replay.apply(a, *e);
    const auto db = b.handle(*e);
    ASSERT_EQ(da.size(), db.size()) << "at t=" << e->time;
    for (std::size_t i = 0; i < da.size(); ++i)
      ASSERT_EQ(test::describe(da[i]), test::describe(db[i])) << "at t=" << e->time;
    decisions += da.size();
  }
  EXPECT_GT(decisions, 0u);
  EXPECT_EQ(b.finished_jobs(), ex->trace.jobs.size());
}

TEST(Hdf5Checkpoint, AResumedWriterAppendsAfterTheRowsAndConsumesTheCheckpoint) {
  auto ex = gavel_experiment();
  auto policy = make_policy("gavel-maxmin");
  Scheduler s(ex->trace.jobs, ex->cluster, *ex->throughput, *policy, ex->scheduler);
  const std::string path = scratch_file("resumed.h5");
  {
    Hdf5ResultsWriter w(path, run_attributes(*ex));
    w.cluster({GpuRecord{0, 0, "h", 0, "V100"}});
    w.progress(ProgressRecord{0, 1, 3, 0, 2, 1, 0.5, 0.5, 1});
    w.allocation(AllocationRecord{1, 3, 0, 0, 3});
    w.close_checkpointed(checkpoint_of(s, *ex, 1));
  }
  {
    auto w = Hdf5ResultsWriter::append_to(path);
    const ResultsFile during = read_results(path);
    EXPECT_EQ(during.checkpoint, "consumed");
    EXPECT_EQ(during.attributes.at("status"), "running");
    w->progress(ProgressRecord{5, 6, 3, 5, 4, 1, 0.5, 0.5, 1});
    w->round(RoundRecord{0, 5, 1, 1, 0, 0, 0.01});
    w->close();
  }
  const ResultsFile r = read_results(path);
  EXPECT_EQ(r.attributes.at("status"), "complete");
  EXPECT_EQ(r.attributes.at("policy"), "gavel-maxmin");  // the first run's attributes stay
  EXPECT_EQ(r.checkpoint, "consumed");
  ASSERT_EQ(r.progress.size(), 2u);
  EXPECT_EQ(r.progress[0].iterations, 2);
  EXPECT_EQ(r.progress[1].iterations, 4);
  EXPECT_EQ(r.allocations.size(), 1u);
  EXPECT_EQ(r.rounds.size(), 1u);
  EXPECT_EQ(r.cluster.size(), 1u);
  try {
    read_checkpoint(path);
    FAIL() << "a consumed checkpoint was read as pending";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("already resumed from"), std::string::npos) << e.what();
  }

  // A second checkpoint in the same file replaces the group and counts it.
  {
    auto w = Hdf5ResultsWriter::append_to(path);
    w->close_checkpointed(checkpoint_of(s, *ex, 9));
  }
  EXPECT_EQ(read_results(path).checkpoint, "pending");
  EXPECT_EQ(read_checkpoint(path).clock, 9);
}

TEST(Hdf5Checkpoint, AFileWithoutCheckpointHasNoneToRead) {
  const std::string path = scratch_file("plain.h5");
  {
    Hdf5ResultsWriter w(path, {{"mode", "emulate"}});
    w.close();
  }
  EXPECT_EQ(read_results(path).checkpoint, "");
  try {
    read_checkpoint(path);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": the file holds no checkpoint");
  }
}

TEST(CheckpointIdentity, AResumeWithOtherInputsIsRefusedNamingTheField) {
  auto ex = gavel_experiment();
  const RunAttributes run = run_attributes(*ex);
  const RunAttributes saved = checkpoint_identity(run);
  EXPECT_EQ(saved.at("trace_sha256"), ex->trace.sha256);
  EXPECT_EQ(saved.count("hostnames"), 0u) << "hosts may change across a requeue";
  EXPECT_EQ(identity_mismatch(saved, run), "");

  RunAttributes other = run;
  other["round_length"] = "300";
  EXPECT_EQ(identity_mismatch(saved, other),
            "round_length differs: the run in the file has round_length = 360, this run has "
            "round_length = 300");
  other = run;
  other["trace_sha256"] = "0000";
  EXPECT_EQ(identity_mismatch(saved, other).rfind("trace_sha256 differs", 0), 0u);
  other = run;
  other["trace"] = "/elsewhere/gavel-small_test.trace";  // a moved file with the same content
  other["hostnames"] = "node7,node8";
  EXPECT_EQ(identity_mismatch(saved, other), "");
  other = run;
  other.erase("comm_scale");
  EXPECT_EQ(identity_mismatch(saved, other),
            "comm_scale differs: the run in the file has comm_scale = 0.001, this run has "
            "comm_scale = (not set)");
}

}  // namespace
}  // namespace dlsched
