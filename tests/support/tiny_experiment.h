// Small hand-made experiments whose schedules can be computed by hand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "run/records.h"
#include "sched/experiment.h"
#include "sim/simulator.h"

namespace dlsched::test {

/// A job of the unit model: one iteration takes exactly 1 s on a GPU of type "g" (2 s on
/// "slow"), at any worker count (no gradient traffic), so `seconds` is its isolated run time.
struct TinyJob {
  double submit = 0;
  int gpus = 1;
  double seconds = 1;
};

/// Builds an experiment in memory: unit model, GPU types "g" and "slow", the given cluster
/// groups, round length and restore delay.
std::unique_ptr<Experiment> tiny_experiment(const std::vector<TinyJob>& jobs,
                                            const std::vector<ClusterSpec::Group>& groups,
                                            const std::string& policy, double round_length = 1,
                                            double restore_delay = 0);

/// A finished simulation with every row kept.
struct TinyRun {
  RunSummary summary;
  MemorySink rows;
  /// The /jobs row of a job by trace index.
  const JobRecord& job(JobId id) const;
};

/// Simulates with invariant checks on after every decision (whatever `options` says).
TinyRun run_tiny(const Experiment& ex, SimulationOptions options = {});

}  // namespace dlsched::test
