#include "sched/experiment.h"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sched/mechanism.h"
#include "sched/plugin_loader.h"

namespace dlsched {
namespace fs = std::filesystem;

std::string default_models_path() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // Build tree (build/src/dlsched -> jobs/) or install prefix (bin/ -> share/dlsched/).
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      if (fs::exists(dir / "jobs" / "models.toml")) return (dir / "jobs" / "models.toml").string();
      if (fs::exists(dir / "share" / "dlsched" / "models.toml"))
        return (dir / "share" / "dlsched" / "models.toml").string();
    }
  }
#ifdef DLSCHED_DATA_DIR
  // An out-of-tree build directory: the source tree it was configured from.
  if (fs::exists(fs::path(DLSCHED_DATA_DIR) / "models.toml"))
    return (fs::path(DLSCHED_DATA_DIR) / "models.toml").string();
#endif
  return "jobs/models.toml";
}

std::vector<std::string> ExperimentOptions::input_files() const {
  std::vector<std::string> files{trace_path, models_path.empty() ? default_models_path() : models_path,
                                 throughputs_path};
  std::error_code ec;
  if (fs::is_regular_file(cluster, ec)) files.push_back(cluster);  // not a NODESxGPUS string
  files.insert(files.end(), policy_plugins.begin(), policy_plugins.end());
  return files;
}

namespace {

/// Loads the profile of every application `trace` names from `dir`. A job whose application
/// has no folder there, or whose batch size lies outside the application's measured range
/// (its validation runs), is an InputError at the job's trace line.
std::map<std::string, adaptive::ApplicationProfile> load_applications(const Trace& trace,
                                                                      const std::string& dir) {
  std::map<std::string, adaptive::ApplicationProfile> apps;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(fmt::format("--applications {}: not a folder", dir));
  for (const JobSpec& job : trace.jobs) {
    auto it = apps.find(job.model);
    if (it == apps.end()) {
      if (!fs::is_directory(fs::path(dir) / job.model, ec))
        throw InputError(trace.path, job.source_line,
                         fmt::format("application '{}' has no profile: no folder {}", job.model,
                                     (fs::path(dir) / job.model).string()));
      it = apps.emplace(job.model,
                        adaptive::ApplicationProfile::load(
                            dir, job.model, adaptive::pollux_reference_options(job.model)))
               .first;
    }
    const adaptive::ApplicationProfile& app = it->second;
    if (job.batch_size &&
        (*job.batch_size < app.init_batch_size() || *job.batch_size > app.max_batch_size()))
      throw InputError(trace.path, job.source_line,
                       fmt::format("batch_size {} is outside the measured range [{}, {}] of "
                                   "application '{}' (its validation runs in {})",
                                   *job.batch_size, app.init_batch_size(), app.max_batch_size(),
                                   job.model, (fs::path(dir) / job.model).string()));
  }
  return apps;
}

/// Event-driven time (--round-length 0) needs a driver that jumps from event to event, a
/// mechanism without rounds of its own and a policy that names every instant its answer may
/// change (Policy::event_driven()).
void check_event_driven(const ExperimentOptions& options, const Mechanism& mechanism,
                        const Policy& policy) {
  if (!options.event_driven_driver)
    throw InputError("--round-length 0 (event-driven time) is for simulate; this driver decides "
                     "in rounds of a positive length");
  if (mechanism.round_ends_with_last_lease || !mechanism.refill_between_rounds ||
      mechanism.adaptive_jobs)
    throw InputError(fmt::format("--round-length 0 does not apply to --mechanism {}: its rounds "
                                 "are part of how it decides",
                                 mechanism.name));
  if (policy.event_driven()) return;
  std::string able;
  for (const PolicyInfo& info : registered_policies())
    if (runs_event_driven(info.name)) able += (able.empty() ? "" : ", ") + info.name;
  throw InputError(fmt::format("policy {} decides in rounds; with --round-length 0 run one of: {}",
                               options.policy, able));
}

/// The options with the mechanism's value for every knob the user did not set.
ExperimentOptions with_mechanism_defaults(ExperimentOptions options) {
  const Mechanism& m = find_mechanism(options.mechanism);
  // A knob keeps its value if the user gave it, or if a caller of this library set it to
  // something other than its default.
  const ExperimentOptions defaults;
  const auto unset = [&](const char* knob, auto value, auto default_value) {
    return options.set_by_user.count(knob) == 0 && value == default_value;
  };
  if (unset("round_length", options.round_length, defaults.round_length))
    options.round_length = m.round_length;
  if (unset("restore_delay", options.restore_delay, defaults.restore_delay))
    options.restore_delay = m.restore_delay;
  if (unset("per_model_restore", options.per_model_restore, defaults.per_model_restore))
    options.per_model_restore = m.per_model_restore;
  if (unset("suspend_delay", options.suspend_delay, defaults.suspend_delay))
    options.suspend_delay = m.suspend_delay;
  return options;
}

}  // namespace

std::unique_ptr<Experiment> load_experiment(const ExperimentOptions& requested) {
  const ExperimentOptions options = with_mechanism_defaults(requested);
  const Mechanism& mechanism = find_mechanism(options.mechanism);
  if (options.trace_path.empty()) throw InputError("--trace is required");
  if (!(options.round_length >= 0) || !std::isfinite(options.round_length))
    throw InputError(fmt::format("--round-length must be a positive number of seconds, or 0 for "
                                 "event-driven time, got {}", options.round_length));
  if (!(options.time_scale > 0) || !std::isfinite(options.time_scale))
    throw InputError(fmt::format("--time-scale must be positive, got {}", options.time_scale));
  if (!(options.restore_delay >= 0))
    throw InputError(fmt::format("--restore-delay must be >= 0, got {}", options.restore_delay));
  if (!(options.suspend_delay >= 0) || !std::isfinite(options.suspend_delay))
    throw InputError(fmt::format("--suspend-delay must be >= 0, got {}", options.suspend_delay));
  for (const std::string& plugin : options.policy_plugins) load_policy_plugin(plugin);
  // Unknown name or bad parameter: fail early.
  const std::unique_ptr<Policy> policy = make_policy(options.policy, options.policy_params);
  if (policy->adaptivity() != JobAdaptivity::fixed && !mechanism.adaptive_jobs)
    throw InputError(fmt::format("policy {} changes jobs' GPU counts and batch sizes; it runs "
                                 "under --mechanism pollux (with --applications DIR)",
                                 options.policy));
  if (options.round_length == 0) check_event_driven(options, mechanism, *policy);

  auto ex = std::make_unique<Experiment>();
  ex->options = options;
  const std::string models = options.models_path.empty() ? default_models_path() : options.models_path;
  ex->catalog = ModelCatalog::load(models);
  ex->cluster = ClusterSpec::parse(options.cluster);
  for (const auto& type : ex->cluster.gpu_types())
    if (!ex->catalog.find_gpu_type(type))
      throw InputError(fmt::format("cluster '{}': GPU type '{}' is not in {}", options.cluster,
                                   type, ex->catalog.path()));
  TraceOptions trace_options;
  trace_options.format = options.trace_format;
  trace_options.default_model = options.default_model;
  ex->trace = read_trace(options.trace_path, trace_options);
  if (ex->trace.jobs.empty()) throw InputError(options.trace_path, 0, "the trace has no jobs");
  if (!options.throughputs_path.empty()) ex->measured = ThroughputTable::load(options.throughputs_path);
  ex->throughput = std::make_unique<ThroughputModel>(
      ex->catalog, ex->cluster, ex->measured ? &*ex->measured : nullptr, options.step);
  // Adaptive jobs run from their applications' profiles (loaded below), not the catalog.
  if (!mechanism.adaptive_jobs) {
    ex->throughput->prepare(ex->trace.jobs, ex->trace.path);
    for (const JobSpec& job : ex->trace.jobs)
      if (const double t = ex->throughput->isolated_time(job.index); !(t <= kMaxTraceSeconds))
        throw InputError(ex->trace.path, job.source_line,
                         fmt::format("job {}: {} iterations take {:.3g} s alone, beyond the limit "
                                     "of {} s", job.id, job.iterations, t, kMaxTraceSeconds));
  }
  apply_time_scale(ex->trace.jobs, options.time_scale);
  if (mechanism.adaptive_jobs) {
    if (options.applications_dir.empty())
      throw InputError(fmt::format("--mechanism {} needs --applications DIR (a folder of "
                                   "application profiles, docs/adaptive.md)",
                                   mechanism.name));
    if (options.time_scale != 1)
      throw InputError(fmt::format("--mechanism {} runs in the profiles' own time; "
                                   "--time-scale must be 1", mechanism.name));
    ex->applications = load_applications(ex->trace, options.applications_dir);
  }

  ex->scheduler.round_length = options.round_length * options.time_scale;
  ex->scheduler.restore_delay = options.restore_delay;
  ex->scheduler.suspend_delay = options.suspend_delay;
  ex->scheduler.per_model_restore = options.per_model_restore;
  ex->scheduler.time_scale = options.time_scale;
  ex->scheduler.mechanism = std::string(mechanism.name);
  ex->scheduler.refill_between_rounds = mechanism.refill_between_rounds;
  ex->scheduler.round_ends_with_last_lease = mechanism.round_ends_with_last_lease;
  ex->scheduler.packed_pairs_end_together = mechanism.packed_pairs_end_together;
  ex->scheduler.resolve_interval = mechanism.resolve_interval * options.time_scale;
  ex->scheduler.placement_affects_speed = mechanism.placement_affects_speed;
  ex->scheduler.seed = options.seed;
  return ex;
}

std::map<std::string, std::string> Experiment::attributes(const std::string& mode) const {
  nlohmann::json params = options.policy_params.values();
  nlohmann::json config = {
      {"trace", options.trace_path},
      {"trace_format", trace.format},
      {"cluster", options.cluster},
      {"models", catalog.path()},
      {"throughputs", options.throughputs_path},
      {"applications", options.applications_dir},
      {"default_model", options.default_model},
      {"policy", options.policy},
      {"mechanism", options.mechanism},
      {"policy_params", params},
      {"policy_plugins", options.policy_plugins},
      {"round_length", options.round_length},
      {"restore_delay", options.restore_delay},
      {"suspend_delay", options.suspend_delay},
      {"per_model_restore", options.per_model_restore},
      {"time_scale", options.time_scale},
      {"seed", options.seed},
      {"step_overlap", options.step.overlap},
      {"bucket_bytes", options.step.bucket_bytes},
  };
  std::map<std::string, std::string> a;
  a["tool"] = "dlsched";
  a["tool_version"] = DLSCHED_VERSION;
  a["mode"] = mode;
  a["policy"] = options.policy;
  a["mechanism"] = options.mechanism;
  a["policy_params"] = params.dump();
  a["trace"] = trace.path;
  a["trace_format"] = trace.format;
  a["trace_sha256"] = trace.sha256;
  a["jobs"] = std::to_string(trace.jobs.size());
  a["cluster"] = cluster.describe();
  a["cluster_spec"] = options.cluster;
  a["gpus"] = std::to_string(cluster.num_gpus());
  a["round_length"] = fmt::format("{}", options.round_length);
  a["time_scale"] = fmt::format("{}", options.time_scale);
  a["restore_delay"] = fmt::format("{}", options.restore_delay);
  a["suspend_delay"] = fmt::format("{}", options.suspend_delay);
  a["seed"] = std::to_string(options.seed);
  a["step_overlap"] = options.step.overlap ? "on" : "off";
  a["models"] = catalog.path();
  a["throughputs"] = options.throughputs_path;
  a["applications"] = options.applications_dir;
  a["config"] = config.dump();
  return a;
}

}  // namespace dlsched
