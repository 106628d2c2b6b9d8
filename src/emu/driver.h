// The driver (rank 0): a wall-clock event loop around the scheduler core. It feeds trace
// arrivals (in scaled time), round ticks and worker reports to the same Scheduler the
// simulator uses, and turns its decisions into leases for the worker ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emu/channel.h"
#include "emu/comm_cache.h"
#include "emu/protocol.h"
#include "emu/rank_processes.h"
#include "run/records.h"
#include "run/run_checkpoint.h"
#include "run/run_summary.h"
#include "sched/experiment.h"

namespace dlsched::emu {

/// How the driver turns a job into per-iteration work.
struct DriverSettings {
  ComputeMode compute = ComputeMode::SLEEP;
  double flops_scale = 1;  ///< KERNEL: multiplies the model's FLOPs per iteration
  double comm_scale = 1;   ///< multiplies the model's gradient bytes
  std::uint64_t bucket_bytes = 25ull << 20;
  std::vector<double> slowdown;     ///< per GPU type of the cluster (1 = fastest)
  bool inject_bad_message = false;  ///< test hook: send worker 1 a message of unknown type
  /// SIGTERM / SIGUSR1 (emu/stop_signal.h) stop the run at the end of the current round with
  /// a checkpoint; a second signal stops it after the iterations under way.
  bool stop_on_signal = true;
  /// A lease whose report is this many wall seconds past its deadline (or past a stop) means
  /// its silent members failed: the run checkpoints the progress of every reported lease and
  /// ends. It must exceed the longest iteration plus the building of a job communicator.
  double worker_timeout = 60;
  /// Where the ranks live: worker processes on rank 0's host that exit are noticed within
  /// 0.1 s, and a dead worker is told from a stuck one (may be null: then only the lease
  /// timeout finds failures, and every silent member is named as not answering).
  const RankProcesses* processes = nullptr;
};

/// Workers that stopped answering, found by rank 0's lease timeout.
struct WorkerFailure {
  std::vector<int> gone;    ///< ranks whose process has exited (seen from rank 0's host)
  std::vector<int> silent;  ///< ranks that did not report in time and were not seen gone
  double detected_at = 0;   ///< experiment seconds
  std::string what;         ///< one line naming the ranks, their hosts and the late lease
};

/// Where a resumed run starts: its checkpoint and the /jobs rows written before it.
struct DriverResume {
  RunCheckpoint checkpoint;
  std::vector<JobRecord> finished_before;
};

/// How a drive() ended.
struct DriveOutcome {
  RunSummary summary;                     ///< of every job finished so far
  std::optional<RunCheckpoint> checkpoint;  ///< set if a stop signal ended it early
  CommCounts communicators;                 ///< job communicators built, reused and freed
  /// Set if a worker failed: the checkpoint then holds every job's progress up to its last
  /// lease that was fully reported, and the workers were not shut down (some may hang in a
  /// collective with the dead one): the caller must abort the run.
  std::optional<WorkerFailure> failure;
  /// Restore delays charged in this run to jobs restarted after the checkpoint it resumed
  /// from requeued them (each job once, as the simulator charges a restart): the part of
  /// their JCTs that the interruption added.
  double requeue_restore_seconds = 0;
};

/// Runs the experiment on the workers of `channel` (ranks 1..N serve GPUs 0..N-1) until every
/// job has finished, or until a stop signal (then every job is stopped at one instant and the
/// outcome carries the checkpoint), then shuts the workers down; or until a worker stops
/// answering (outcome.failure, with a checkpoint; no shutdown). `resume`: continue from a
/// checkpoint instead of the start. Throws Error if a worker reports a failure or breaks the
/// protocol; the caller then aborts the run.
DriveOutcome drive(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
                   const DriverSettings& settings, const DriverResume* resume = nullptr);

/// Modelled work of one iteration of `job` on placement `shape` (what a lease carries).
IterationWork iteration_work(const Experiment& ex, JobId job, const PlacementShape& shape,
                             const DriverSettings& settings);

}  // namespace dlsched::emu
