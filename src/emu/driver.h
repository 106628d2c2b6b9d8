// The driver (rank 0): a wall-clock event loop around the scheduler core. It feeds trace
// arrivals (in scaled time), round ticks and worker reports to the same Scheduler the
// simulator uses, and turns its decisions into leases for the worker ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "emu/channel.h"
#include "emu/comm_cache.h"
#include "emu/protocol.h"
#include "io/records.h"
#include "io/run_checkpoint.h"
#include "sched/experiment.h"
#include "sim/simulator.h"

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
};

/// Runs the experiment on the workers of `channel` (ranks 1..N serve GPUs 0..N-1) until every
/// job has finished, or until a stop signal (then every job is stopped at one instant and the
/// outcome carries the checkpoint), then shuts the workers down. `resume`: continue from a
/// checkpoint instead of the start. Throws Error if a worker fails or breaks the protocol; the
/// caller then aborts the run.
DriveOutcome drive(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
                   const DriverSettings& settings, const DriverResume* resume = nullptr);

/// Modelled work of one iteration of `job` on placement `shape` (what a lease carries).
IterationWork iteration_work(const Experiment& ex, JobId job, const PlacementShape& shape,
                             const DriverSettings& settings);

}  // namespace dlsched::emu
