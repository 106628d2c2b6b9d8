// The driver (rank 0): a wall-clock event loop around the scheduler core. It feeds trace
// arrivals (in scaled time), round ticks and worker reports to the same Scheduler the
// simulator uses, and turns its decisions into leases for the worker ranks.
#pragma once

#include <cstdint>
#include <vector>

#include "emu/channel.h"
#include "emu/protocol.h"
#include "io/records.h"
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
};

/// Runs the experiment on the workers of `channel` (ranks 1..N serve GPUs 0..N-1) until every
/// job has finished, then shuts the workers down. Throws Error if a worker fails or breaks
/// the protocol; the caller then aborts the run.
RunSummary drive(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
                 const DriverSettings& settings);

/// Modelled work of one iteration of `job` on placement `shape` (what a lease carries).
IterationWork iteration_work(const Experiment& ex, JobId job, const PlacementShape& shape,
                             const DriverSettings& settings);

}  // namespace dlsched::emu
