#include "sched/mechanism.h"

#include <fmt/format.h>

#include "core/error.h"

namespace dlsched {

const std::vector<Mechanism>& mechanisms() {
  static const std::vector<Mechanism> all = [] {
    std::vector<Mechanism> m;
    Mechanism ours;
    ours.name = "dlsched";
    ours.description = "300 s rounds, freed GPUs refilled at once, 20 s restore on each restart";
    m.push_back(ours);

    // Gavel's trace-driven simulator (scheduler/scheduler.py, simulate() and
    // _update_priorities()): --time_per_iteration 360, re-solves at least
    // --minimum_time_between_allocation_resets 1920 s apart and only after a job arrived or
    // completed, no checkpoint or restore cost, decisions only at round ends, and a round that
    // ends when its last lease does.
    Mechanism gavel;
    gavel.name = "gavel";
    gavel.description =
        "Gavel's simulator: 360 s rounds that end with their last lease, no mid-round refill, "
        "no restore cost, allocations re-solved at most every 1920 s";
    gavel.round_length = 360;
    gavel.restore_delay = 0;
    gavel.per_model_restore = false;
    gavel.suspend_delay = 0;
    gavel.refill_between_rounds = false;
    gavel.round_ends_with_last_lease = true;
    gavel.resolve_interval = 1920;
    gavel.packed_pairs_end_together = true;
    m.push_back(gavel);

    // Tiresias' simulator (simulator/run_sim.py): decisions at every arrival, completion and
    // queue-threshold crossing, in whole seconds, with no preemption cost. One-second rounds
    // reproduce that on its integer-time traces. Placement does not change a job's speed there
    // (simulator/README.md: it cannot simulate the performance impact of placement).
    Mechanism tiresias;
    tiresias.name = "tiresias";
    tiresias.description =
        "Tiresias' simulator: decisions every second (its events fall on whole seconds), "
        "no preemption or restore cost, no effect of placement on speed";
    tiresias.round_length = 1;
    tiresias.restore_delay = 0;
    tiresias.per_model_restore = false;
    tiresias.suspend_delay = 0;
    tiresias.placement_affects_speed = false;
    m.push_back(tiresias);

    // Pollux's simulator (petuum/adaptdl, branch osdi21-artifact, simulator/simulator.py):
    // jobs step in 60 s intervals (--interval default), the policy decides after each, and a
    // job whose allocation changed restarts for 30 s (Job.reallocate, rescale_time = 30).
    // Throughput and efficiency come from the applications' measured profiles.
    Mechanism pollux;
    pollux.name = "pollux";
    pollux.description =
        "Pollux's simulator: 60 s rounds, 30 s restart on every reallocation, adaptive jobs "
        "run from measured application profiles (--applications DIR)";
    pollux.round_length = 60;
    pollux.restore_delay = 30;
    pollux.per_model_restore = false;
    pollux.suspend_delay = 0;
    pollux.adaptive_jobs = true;
    m.push_back(pollux);
    return m;
  }();
  return all;
}

const Mechanism& find_mechanism(std::string_view name) {
  std::string valid;
  for (const Mechanism& m : mechanisms()) {
    if (m.name == name) return m;
    valid += valid.empty() ? "" : ", ";
    valid += m.name;
  }
  throw InputError(fmt::format("unknown mechanism '{}' (valid: {})", name, valid));
}

}  // namespace dlsched
