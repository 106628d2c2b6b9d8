// The discrete-event driver: replays a trace in virtual time around the scheduler core.
#pragma once

#include <cstdint>

#include "run/records.h"
#include "run/run_summary.h"
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

/// Runs the experiment under `policy`, sending every row to `sink`.
RunSummary simulate(const Experiment& experiment, Policy& policy, RecordSink& sink,
                    const SimulationOptions& options = {});

}  // namespace dlsched
