// A checkpoint of an emulation run (time limit: signal, checkpoint, requeue, --resume): what
// the results file's /checkpoint group holds (docs/results.md). Plain data: emu fills it and
// resumes from it, io/hdf5_checkpoint.cpp stores it. It sits here rather than in emu because
// io, below emu, must know it to store it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "run/run_attributes.h"
#include "sched/scheduler.h"

namespace dlsched {

/// What the driver keeps about a job beside the core: exact counts from worker reports.
struct JobProgressState {
  double iterations_done = 0;       ///< trace iterations completed
  double rate = 0;                  ///< trace iterations per second in its last lease
  double compute_seconds = 0;       ///< measured, per worker, summed over leases
  double comm_seconds = 0;
};

/// Everything a resumed run needs to continue as if never interrupted.
struct RunCheckpoint {
  /// The inputs that must be the same on resume (trace SHA-256, policy, parameters, round
  /// length, time scale, cluster, worker settings); see checkpoint_identity().
  RunAttributes identity;
  double clock = 0;              ///< experiment seconds at the checkpoint; the run goes on from here
  std::int64_t rounds = 0;       ///< round ticks so far (the next /rounds row's index)
  std::uint64_t next_arrival = 0;  ///< trace jobs whose arrival the core has seen
  double next_tick = std::numeric_limits<double>::infinity();  ///< next round boundary
  bool boundary_pending = false;  ///< a boundary was reached and not yet ticked
  double boundary_time = 0;       ///< that boundary
  std::uint64_t last_lease = 0;   ///< lease ids continue after this one
  std::string signal;             ///< what asked for the checkpoint (SIGTERM, SIGUSR1, worker failure)
  /// When it was taken, in seconds since the Unix epoch (system clock): a resume measures the
  /// wall time the run spent stopped from it. 0 if unknown (files of older versions).
  double wall_time = 0;
  SchedulerSnapshot scheduler;
  std::vector<JobProgressState> jobs;  ///< by trace index
};

/// The root attributes that make up a run's identity for resuming.
RunAttributes checkpoint_identity(const RunAttributes& run_attributes);

/// "" if a run with root attributes `resumed` may continue one whose identity is `saved`;
/// otherwise what differs, naming the first field.
std::string identity_mismatch(const RunAttributes& saved, const RunAttributes& resumed);

}  // namespace dlsched
