#include "cli/commands.h"

namespace dlsched::cli {

void add_overlap_option(CLI::App& cmd, bool& overlap) {
  cmd.add_option("--overlap", overlap,
                 "on: each gradient bucket's allreduce overlaps the rest of the backward pass, as "
                 "in PyTorch DDP; off: the allreduce follows the whole backward (docs/design.md)")
      ->default_str("on");
}

void add_experiment_options(CLI::App& cmd, ExperimentOptions& o,
                            std::vector<std::string>& policy_params) {
  cmd.add_option("--trace", o.trace_path, "trace file (dlsched, Tiresias, Gavel, Pollux or Philly); required");
  cmd.add_option("--trace-format", o.trace_format, "trace format, or auto to detect")
      ->capture_default_str();
  cmd.add_option("--cluster", o.cluster,
                 "cluster file (jobs/clusters/*.toml) or NODESxGPUS[:type],... e.g. 8x4:v100,8x4:p100")
      ->capture_default_str();
  cmd.add_option("--models", o.models_path, "model catalog (default: jobs/models.toml)");
  cmd.add_option("--throughputs", o.throughputs_path,
                 "measured throughput table (e.g. Gavel's simulation_throughputs.json)");
  cmd.add_option("--applications", o.applications_dir,
                 "folder of application profiles (<app>/placements.csv, scalability.csv, "
                 "validation-<batch>.csv) for --mechanism pollux");
  cmd.add_option("--default-model", o.default_model, "model for traces that name none (Philly)")
      ->capture_default_str();
  cmd.add_option("--policy", o.policy, "scheduling policy (dlsched simulate --list-policies)")
      ->capture_default_str();
  cmd.add_option("--mechanism", o.mechanism,
                 "round mechanism: dlsched, or gavel / tiresias / pollux to behave as that project's "
                 "simulator (sets the round length, restore and suspend delays and the refill rule "
                 "unless given; docs/policies.md)")
      ->capture_default_str();
  cmd.add_option("--policy-param", policy_params, "policy parameter key=value (repeatable)");
  cmd.add_option("--policy-plugin", o.policy_plugins,
                 "shared library with out-of-tree policies (repeatable; see docs/policies.md)");
  // The mechanism's defaults apply to the knobs below that the user does not give.
  const auto set_by_user = [&o](const char* knob) {
    return [&o, knob](const std::string&) { o.set_by_user.insert(knob); };
  };
  cmd.add_option("--round-length", o.round_length,
                 "seconds between preemptive scheduling rounds; simulate: 0 for event-driven time "
                 "(decisions with preemption at every arrival, completion and queue-threshold "
                 "crossing the policy names; fifo, las, srtf, tiresias-las, tiresias-gittins)")
      ->capture_default_str()
      ->each(set_by_user("round_length"));
  cmd.add_option("--restore-delay", o.restore_delay,
                 "checkpoint + restore seconds charged per restart (models.toml may override)")
      ->capture_default_str()
      ->each(set_by_user("restore_delay"));
  cmd.add_option("--suspend-delay", o.suspend_delay,
                 "seconds to resume a suspended job on the nodes it left (policies that suspend "
                 "instead of checkpointing: gandiva)")
      ->capture_default_str()
      ->each(set_by_user("suspend_delay"));
  cmd.add_flag("!--no-model-restore", o.per_model_restore,
               "ignore per-model restore_seconds; charge --restore-delay everywhere")
      ->each(set_by_user("per_model_restore"));
  cmd.add_option("--time-scale", o.time_scale,
                 "shrink the experiment: submit times, job lengths, round length and restore "
                 "delays are multiplied by this")
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "seed for anything random")->capture_default_str();
  add_overlap_option(cmd, o.step.overlap);
}

}  // namespace dlsched::cli
