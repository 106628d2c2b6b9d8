// Round mechanisms: the knobs that make dlsched's one scheduler core run the way a reference
// simulator runs its policies, so that a policy can be compared with the numbers its paper's
// own code gives. A mechanism only sets defaults: any knob given on the command line wins.
// docs/policies.md ("Mechanisms") lists every knob with the reference code it comes from.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dlsched {

struct Mechanism {
  std::string_view name;
  std::string_view description;
  double round_length = 300;        ///< seconds between preemptive rounds
  double restore_delay = 20;        ///< seconds charged when a preempted job restarts
  bool per_model_restore = true;    ///< models.toml's restore_seconds override restore_delay
  double suspend_delay = 1;         ///< seconds to resume a suspended job (gandiva)
  /// Are GPUs freed between rounds refilled at once (arrivals and completions ask the policy)?
  /// Gavel's simulator decides only at round ends; a job that arrives mid-round waits for it.
  bool refill_between_rounds = true;
  /// Does a round end as soon as every job it started has stopped (Gavel: a round lasts until
  /// the last job's lease of at most round_length ends, or until the next arrival when nothing
  /// runs), rather than on the fixed grid of round_length?
  bool round_ends_with_last_lease = false;
  /// Policies that compute an allocation (Gavel's LPs, fifo-perf): the least seconds between
  /// two solves; a solve happens only after the set of jobs changed. 0: every round it changed.
  double resolve_interval = 0;
  /// Does a job spread over more nodes than it needs run slower (the communication model)?
  /// Tiresias' simulator models no effect of placement on speed: a job runs at its trace speed
  /// wherever its GPUs are.
  bool placement_affects_speed = true;
  /// Does a packed job whose work is done keep its GPUs, and its partner the packed rate,
  /// until the partner's lease ends (the job finishes then)? Gavel's simulator runs a pair as
  /// one lease and reports both jobs when the lease ends.
  bool packed_pairs_end_together = false;
  /// Do jobs adapt their GPU count and batch size, simulated from measured application
  /// profiles (--applications DIR) in fixed rounds, as Pollux's simulator runs them
  /// (sim/adaptive_simulator.h)? Policies then place jobs node by node (Request::node_gpus).
  bool adaptive_jobs = false;
};

/// The mechanism called `name`; an unknown name is an InputError that lists the valid ones.
const Mechanism& find_mechanism(std::string_view name);
/// All mechanisms, the default ("dlsched") first.
const std::vector<Mechanism>& mechanisms();

}  // namespace dlsched
