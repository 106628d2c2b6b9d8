#include "emu/profile_subjects.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"

namespace dlsched::emu {

ProfileExperiment load_profile_experiment(const SubjectOptions& o) {
  if (o.trace_path.empty() && o.models.empty())
    throw InputError("nothing to profile: give --trace FILE and/or --model NAME");
  ProfileExperiment out;
  auto ex = std::make_unique<Experiment>();
  ex->options.trace_path = o.trace_path;
  ex->options.trace_format = o.trace_format;
  ex->options.default_model = o.default_model;
  ex->options.cluster = o.cluster;
  ex->options.models_path = o.models_path.empty() ? default_models_path() : o.models_path;
  ex->catalog = ModelCatalog::load(ex->options.models_path);
  ex->cluster = ClusterSpec::parse(o.cluster);
  for (const auto& type : ex->cluster.gpu_types())
    if (!ex->catalog.find_gpu_type(type))
      throw InputError(fmt::format("cluster '{}': GPU type '{}' is not in {}", o.cluster, type,
                                   ex->catalog.path()));
  if (!o.trace_path.empty()) {
    TraceOptions to;
    to.format = o.trace_format;
    to.default_model = o.default_model;
    ex->trace = read_trace(o.trace_path, to);
    if (ex->trace.jobs.empty()) throw InputError(o.trace_path, 0, "the trace has no jobs");
  }
  // The first job of each model stands for it; --model names the trace lacks get a job of
  // their own with the catalog's figures (one GPU, one iteration: only its rate matters).
  std::map<std::string, JobId> first;
  for (const JobSpec& j : ex->trace.jobs)
    if (first.emplace(j.model, j.index).second) out.subjects.push_back({j.model, j.index, 1});
  for (const std::string& name : o.models) {
    const ModelInfo* m = ex->catalog.find_model(name);
    if (!m)
      throw InputError(
          fmt::format("--model '{}': unknown model (not in {})", name, ex->catalog.path()));
    if (first.count(name) || first.count(m->name)) continue;
    JobSpec j;
    j.index = static_cast<JobId>(ex->trace.jobs.size());
    j.id = "--model " + m->name;
    j.model = m->name;
    j.num_gpus = 1;
    j.iterations = 1;
    ex->trace.jobs.push_back(j);
    first.emplace(m->name, j.index);
    out.subjects.push_back({m->name, j.index, 1});
  }
  ex->throughput = std::make_unique<ThroughputModel>(ex->catalog, ex->cluster, nullptr, o.step);
  ex->throughput->prepare(ex->trace.jobs, o.trace_path.empty() ? "--model" : o.trace_path);
  for (ProfileSubject& s : out.subjects) s.batch = ex->throughput->per_worker_batch(s.job);
  out.experiment = std::move(ex);
  return out;
}

std::vector<std::string> subject_warnings(const ProfileExperiment& p,
                                          const DriverSettings& settings) {
  const Experiment& ex = *p.experiment;
  const auto& slow = settings.slowdown;
  const int ref = static_cast<int>(std::min_element(slow.begin(), slow.end()) - slow.begin());
  const PlacementShape one{ref, 1, 1};
  auto differs = [](double a, double b) { return std::abs(a - b) > 0.01 * std::max(a, b); };
  std::vector<std::string> out;
  for (const ProfileSubject& s : p.subjects) {
    const IterationWork w = iteration_work(ex, s.job, one, settings);
    std::vector<std::string> others;
    for (const JobSpec& j : ex.trace.jobs) {
      if (j.model != s.model || j.index == s.job) continue;
      const IterationWork v = iteration_work(ex, j.index, one, settings);
      if (ex.throughput->per_worker_batch(j.index) != s.batch || differs(v.flops, w.flops) ||
          differs(v.compute_seconds, w.compute_seconds))
        others.push_back(j.id);
    }
    if (others.empty()) continue;
    std::string names;
    for (std::size_t i = 0; i < others.size() && i < 5; ++i) names += (i ? ", " : "") + others[i];
    if (others.size() > 5) names += fmt::format(" and {} more", others.size() - 5);
    out.push_back(fmt::format(
        "model {}: measured as job {} runs it (per-worker batch {}); jobs {} iterate at another "
        "modelled speed, which one table row per model cannot describe",
        s.model, ex.trace.jobs[s.job].id, s.batch, names));
  }
  return out;
}

}  // namespace dlsched::emu
