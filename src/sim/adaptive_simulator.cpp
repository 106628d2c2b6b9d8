#include "sim/adaptive_simulator.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "run/adaptive_fleet.h"

namespace dlsched {

RunSummary simulate_adaptive(const Experiment& ex, Policy& policy, RecordSink& sink,
                             const SimulationOptions& /*options*/) {
  AdaptiveFleet fleet(ex, policy.adaptivity());
  const double interval = ex.scheduler.round_length;
  std::vector<JobRecord> records;
  long rounds = 0;
  double now = 0;
  while (!fleet.all_finished()) {
    if (now > kMaxTraceSeconds)
      throw InputError(ex.trace.path, 0,
                       fmt::format("{} of {} jobs still unfinished after {} s of simulated time "
                                   "(a job asks for more GPUs than the cluster has?)",
                                   fleet.size() - fleet.finished(), fleet.size(), now));
    for (JobId j = 0; j < fleet.size(); ++j) fleet.job(j).step(now, interval);
    now += interval;
    // A job that finished did so in the last round decided.
    for (JobRecord& r : fleet.take_finished(sink, std::max(rounds - 1, 0L))) {
      sink.job(r);
      records.push_back(std::move(r));
    }
    // The policy decides for the jobs that have arrived and not finished.
    const std::optional<RoundRecord> round = fleet.decide(policy, now, rounds, sink);
    if (!round) continue;  // as there: no decision without jobs, allocations kept
    sink.round(*round);
    sink.round_done();
    ++rounds;
  }
  sink.round_done();
  RunSummary summary = summarize_jobs(records, ex.cluster.num_gpus());
  summary.rounds = rounds;
  summary.policy_calls = fleet.decisions();
  return summary;
}

}  // namespace dlsched
