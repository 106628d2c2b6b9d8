// The discrete-event driver: replays a trace in virtual time around the scheduler core.
#pragma once

#include <cstdint>

#include "io/records.h"
#include "sched/experiment.h"

namespace dlsched {

/// How a simulation reports while it runs.
struct SimulationOptions {
  bool progress_bar = false;  ///< redraw a progress line on stderr
  bool check_invariants = false;  ///< verify the core's invariants after every decision
  /// Leases as the emulator runs them: at a round boundary each running job stops at the end of
  /// the iteration nearest the boundary (never inside one), and the round's decisions wait
  /// until the last has stopped; arrivals meanwhile fill free GPUs. Off: jobs stop exactly at
  /// the boundary, with fractional iterations.
  bool whole_iterations = false;
};

/// Headline figures of a finished run. JCT statistics, makespan and utilisation are NaN when
/// no job finished.
struct RunSummary {
  std::size_t jobs = 0;
  std::size_t finished = 0;
  double avg_jct = 0;
  double p50_jct = 0;
  double p99_jct = 0;
  double makespan = 0;      ///< last finish - first submit
  double utilisation = 0;   ///< allocated GPU-seconds / (GPUs x makespan)
  long preemptions = 0;
  long rounds = 0;
  long policy_calls = 0;
};

/// Runs the experiment under `policy`, sending every row to `sink`.
RunSummary simulate(const Experiment& experiment, Policy& policy, RecordSink& sink,
                    const SimulationOptions& options = {});

/// Computes the summary from the job rows (shared by simulate, emulate and report).
RunSummary summarize_jobs(const std::vector<JobRecord>& jobs, int num_gpus);

}  // namespace dlsched
