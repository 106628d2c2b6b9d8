// An experiment: every input of a run (trace, cluster, catalog, throughputs, policy, knobs),
// loaded and checked before anything runs, so that bad input never leaves a half-written file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/adaptive/application_profile.h"
#include "core/cluster.h"
#include "core/model_catalog.h"
#include "core/step_model.h"
#include "core/throughput_model.h"
#include "core/throughput_table.h"
#include "core/trace.h"
#include "sched/policy_registry.h"
#include "sched/scheduler.h"

namespace dlsched {

/// What the user asked for (flags of simulate and emulate).
struct ExperimentOptions {
  std::string trace_path;
  std::string trace_format = "auto";
  std::string cluster = "4x4:v100";  ///< file or NODESxGPUS[:type],...
  std::string models_path;           ///< empty: jobs/models.toml next to the executable's tree
  std::string throughputs_path;      ///< optional measured table
  /// Adaptive mechanisms (--mechanism pollux): the folder of application profiles
  /// (<dir>/<application>/placements.csv, ...), one per application the trace names.
  std::string applications_dir;
  std::string default_model = "ResNet-50";
  std::string policy = "fifo";
  /// The round mechanism (sched/mechanism.h): defaults for the knobs below that the user did
  /// not set, chosen to behave as a reference simulator does.
  std::string mechanism = "dlsched";
  PolicyParams policy_params;
  std::vector<std::string> policy_plugins;  ///< shared libraries loaded before the policy
  /// Seconds between preemptive rounds; 0: event-driven time (simulate only, policies whose
  /// Policy::event_driven() is true, mechanisms with no rounds of their own).
  double round_length = 300;
  /// Set by drivers that advance from event to event (simulate): only they accept
  /// round_length 0. The emulator waits in wall-time rounds.
  bool event_driven_driver = false;
  double restore_delay = 20;
  double suspend_delay = 1;  ///< resume after a suspend (suspending policies: gandiva)
  bool per_model_restore = true;
  double time_scale = 1;
  std::uint64_t seed = 1;
  /// How the analytic model times a step: overlapped or serialised allreduce, bucket size.
  StepSettings step;
  /// Knobs the user set explicitly ("round_length", "restore_delay", "suspend_delay",
  /// "per_model_restore"): the mechanism leaves those as they are.
  std::set<std::string> set_by_user;

  /// The files a run reads (trace, cluster file, catalog, throughput table, plugins): what an
  /// output file must not overwrite.
  std::vector<std::string> input_files() const;
};

/// Everything loaded and validated. Members are created in dependency order and must not
/// move after construction (the throughput model and scheduler keep references).
struct Experiment {
  ExperimentOptions options;
  Trace trace;
  ModelCatalog catalog;
  ClusterSpec cluster;
  std::optional<ThroughputTable> measured;
  std::unique_ptr<ThroughputModel> throughput;
  SchedulerConfig scheduler;
  /// Adaptive mechanisms: the profile of every application the trace names, by name.
  std::map<std::string, adaptive::ApplicationProfile> applications;

  /// Provenance for the results file: tool version, trace path and SHA-256, cluster, policy
  /// and its parameters, round length, time scale, seed and the full options as JSON.
  std::map<std::string, std::string> attributes(const std::string& mode) const;
};

/// Loads and checks all inputs; throws InputError (file:line) on the first problem.
std::unique_ptr<Experiment> load_experiment(const ExperimentOptions& options);

/// The catalog used when none is given: jobs/models.toml found next to the executable
/// (build tree or install prefix) or in the source tree.
std::string default_models_path();

}  // namespace dlsched
