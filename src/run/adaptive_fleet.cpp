#include "run/adaptive_fleet.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace dlsched {
namespace {

// Pollux's simulator, simulator.py (Cluster.__init__, get_pollux_job_info,
// get_optimus_job_info): ncf runs at a fixed batch size of 32768 even for Pollux, and on one
// GPU at most for Pollux and Optimus+Oracle; no job is given more than 64 GPUs.
constexpr int kMaxReplicas = 64;
constexpr const char* kSingleGpuApplication = "ncf";
constexpr int kSingleGpuApplicationBatch = 32768;

std::optional<int> fixed_batch_for(const JobSpec& spec, JobAdaptivity mode,
                                   const std::string& trace_path) {
  if (mode == JobAdaptivity::adaptive)
    return spec.model == kSingleGpuApplication ? std::optional<int>(kSingleGpuApplicationBatch)
                                               : std::nullopt;
  if (!spec.batch_size)
    throw InputError(trace_path, spec.source_line,
                     fmt::format("job {}: the policy runs jobs at the trace's batch size, and "
                                 "this row gives none",
                                 spec.id));
  return spec.batch_size;
}

int max_replicas_for(const JobSpec& spec, const AdaptiveJob& job, JobAdaptivity mode) {
  const bool single = spec.model == kSingleGpuApplication;
  switch (mode) {
    case JobAdaptivity::adaptive:
      if (single) return 1;
      return std::min({std::max(2 * job.max_profiled_replicas(), 1), kMaxReplicas,
                       job.limits().max_batch_size / job.limits().min_local_bsz});
    case JobAdaptivity::fixed_batch:
      if (single) return 1;
      return std::max(1, *job.fixed_batch_size() / job.limits().min_local_bsz);
    case JobAdaptivity::fixed:
      return spec.num_gpus;
  }
  return 1;
}

/// GPUs per node, zeros dropped, in node order: the placement the profile times.
std::vector<int> placement_of(const std::vector<int>& node_gpus) {
  std::vector<int> p;
  for (int g : node_gpus)
    if (g > 0) p.push_back(g);
  return p;
}

}  // namespace

std::string placement_string(const std::vector<int>& node_gpus) {
  std::string s;
  for (std::size_t n = 0; n < node_gpus.size(); ++n)
    if (node_gpus[n] > 0) s += fmt::format("{}{}:{}", s.empty() ? "" : ",", n, node_gpus[n]);
  return s;
}

AdaptiveFleet::AdaptiveFleet(const Experiment& ex, JobAdaptivity mode) : ex_(ex), mode_(mode) {
  const ClusterSpec& cluster = ex.cluster;
  slots_.reserve(ex.trace.jobs.size());
  for (const JobSpec& spec : ex.trace.jobs) {
    if (mode == JobAdaptivity::fixed && spec.num_gpus > cluster.num_gpus())
      throw InputError(ex.trace.path, spec.source_line,
                       fmt::format("job {} asks for {} GPUs; the cluster has {}", spec.id,
                                   spec.num_gpus, cluster.num_gpus()));
    const auto& app = ex.applications.at(spec.model);
    slots_.push_back({&spec,
                      std::make_unique<AdaptiveJob>(app, spec.submit_time,
                                                    fixed_batch_for(spec, mode, ex.trace.path),
                                                    ex.scheduler.restore_delay, fits_.get()),
                      std::vector<int>(cluster.nodes().size(), 0)});
  }
}

AdaptiveRecord AdaptiveFleet::row_of(const Slot& s, double time, std::int64_t round) const {
  const AdaptiveJob& j = *s.job;
  AdaptiveRecord r;
  r.time = time;
  r.round = round;
  r.job = s.spec->index;
  if (!j.finished()) {
    r.gpus = j.replicas();
    r.nodes = static_cast<std::int32_t>(j.placement().size());
    r.placement = placement_string(s.node_gpus);
    if (r.gpus > 0) {
      r.batch_size = j.batch_size();
      r.atomic_bsz = j.atomic_bsz();
      r.accum_steps = j.accum_steps();
    }
  }
  r.progress = j.progress();
  r.samples = j.samples();
  return r;
}

std::vector<JobRecord> AdaptiveFleet::take_finished(RecordSink& sink, std::int64_t round) {
  std::vector<JobRecord> out;
  for (Slot& s : slots_)
    if (s.job->finished() && !s.recorded) {
      s.recorded = true;
      ++finished_;
      JobRecord r;
      r.job = s.spec->index;
      r.job_id = s.spec->id;
      r.model = s.spec->model;
      r.submit = s.spec->submit_time;
      r.first_start = s.first_start;
      r.finish = s.job->completion_time();
      r.jct = r.finish - r.submit;
      r.num_gpus = s.spec->num_gpus;
      const auto& app = s.job->profile();
      r.iterations = app.epoch_progress(app.max_epochs());
      r.iterations_done = s.job->progress();
      r.preemptions = s.job->restarts();
      r.gpu_seconds = s.job->attained_service();
      r.throughput_source = "profile";
      r.status = 1;
      out.push_back(std::move(r));
      s.last_row = row_of(s, s.job->completion_time(), round);
      sink.adaptive(*s.last_row);
    }
  return out;
}

std::vector<std::vector<int>> AdaptiveFleet::place(const PolicyOutput& out, const Policy& policy,
                                                   double now) const {
  // Node-by-node requests as given, count-only ones on the nodes with the most free GPUs
  // (lowest index first among equals).
  const ClusterSpec& cluster = ex_.cluster;
  const std::size_t num_nodes = cluster.nodes().size();
  std::vector<int> free_gpus(num_nodes);
  for (std::size_t n = 0; n < num_nodes; ++n) free_gpus[n] = cluster.nodes()[n].num_gpus;
  std::vector<std::vector<int>> next(slots_.size());
  for (const Request& r : out.ranked) {
    DLSCHED_EXPECTS(r.job < slots_.size(), "a request names no job of the trace");
    const Slot& s = slots_[r.job];
    if (s.job->finished() || s.spec->submit_time > now || !next[r.job].empty()) continue;
    std::vector<int> want(num_nodes, 0);
    if (!r.node_gpus.empty()) {
      if (r.node_gpus.size() != num_nodes)
        throw InvariantError(fmt::format("policy {}: job {} asks for GPUs on {} nodes of {}",
                                         policy.name(), s.spec->id, r.node_gpus.size(),
                                         num_nodes));
      want = r.node_gpus;
      for (std::size_t n = 0; n < num_nodes; ++n)
        if (want[n] < 0 || want[n] > free_gpus[n])
          throw InvariantError(fmt::format("policy {}: job {} asks for {} GPUs on node {}, "
                                           "{} free",
                                           policy.name(), s.spec->id, want[n], n, free_gpus[n]));
    } else {
      const int total = std::accumulate(free_gpus.begin(), free_gpus.end(), 0);
      if (r.gpus < 1 || r.gpus > total) continue;
      std::vector<int> avail = free_gpus;
      for (int left = r.gpus; left > 0;) {
        const auto most = std::max_element(avail.begin(), avail.end()) - avail.begin();
        const int take = std::min(left, avail[most]);
        want[most] += take;
        avail[most] -= take;
        left -= take;
      }
    }
    if (std::accumulate(want.begin(), want.end(), 0) == 0) continue;
    for (std::size_t n = 0; n < num_nodes; ++n) free_gpus[n] -= want[n];
    next[r.job] = std::move(want);
  }
  return next;
}

std::optional<RoundRecord> AdaptiveFleet::decide(Policy& policy, double now, std::int64_t round,
                                                 RecordSink& sink) {
  const ClusterSpec& cluster = ex_.cluster;
  const std::size_t num_nodes = cluster.nodes().size();
  const auto active = [&](const Slot& s) {
    return s.spec->submit_time <= now && !s.job->finished();
  };
  views_.clear();
  adaptive_views_.clear();
  // Every AdaptiveView first: the JobViews point into the vector, which must not grow after.
  for (const Slot& s : slots_)
    if (active(s)) {
      AdaptiveView a;
      a.estimates = s.job.get();
      a.min_replicas = 0;
      a.max_replicas = max_replicas_for(*s.spec, *s.job, mode_);
      a.fixed_batch_size = s.job->fixed_batch_size();
      a.restarts = s.job->restarts();
      a.age = now - s.spec->submit_time;
      a.epoch = s.job->epoch();
      a.node_gpus = s.node_gpus;
      adaptive_views_.push_back(std::move(a));
    }
  std::size_t k = 0;
  for (const Slot& s : slots_)
    if (active(s)) {
      JobView v;
      v.id = s.spec->index;
      v.spec = s.spec;
      v.submit_time = s.spec->submit_time;
      v.requested_gpus = s.spec->num_gpus;
      v.iterations_total = s.job->profile().epoch_progress(s.job->profile().max_epochs());
      v.iterations_done = s.job->progress();
      v.attained_gpu_seconds = s.job->attained_service();
      v.current_gpus = s.job->replicas();
      v.running = v.current_gpus > 0;
      v.nodes = static_cast<int>(s.job->placement().size());
      v.preemptions = s.job->restarts();
      v.adaptive = &adaptive_views_[k++];
      views_.push_back(v);
    }
  if (views_.empty()) return std::nullopt;

  PolicyInput in;
  in.now = now;
  in.round_boundary = true;
  in.jobs = views_;
  in.cluster = &cluster;
  in.throughput = ex_.throughput.get();
  in.round_length = ex_.scheduler.round_length;
  in.seed = ex_.scheduler.seed;
  in.decides_only_at_rounds = true;
  in.arrivals_pending = std::any_of(slots_.begin(), slots_.end(),
                                    [&](const Slot& s) { return s.spec->submit_time > now; });
  in.mechanism = ex_.scheduler.mechanism;
  const PolicyOutput out = policy.schedule(in);
  ++calls_;

  const std::vector<std::vector<int>> next = place(out, policy, now);
  int busy = 0, running = 0;
  for (std::size_t j = 0; j < slots_.size(); ++j) {
    Slot& s = slots_[j];
    std::vector<int> alloc = next[j].empty() ? std::vector<int>(num_nodes, 0) : next[j];
    if (alloc != s.node_gpus) {
      s.job->reallocate(placement_of(alloc));
      s.node_gpus = alloc;
      if (s.job->replicas() > 0 && s.first_start < 0) s.first_start = now;
    }
    const int g = std::accumulate(s.node_gpus.begin(), s.node_gpus.end(), 0);
    busy += g;
    running += g > 0;
    // A row when the allocation or the batch size changed since the job's last one.
    if (s.job->finished() || (!s.last_row && g == 0)) continue;
    AdaptiveRecord row = row_of(s, now, round);
    const auto same = [](const AdaptiveRecord& a, const AdaptiveRecord& b) {
      return a.placement == b.placement && a.batch_size == b.batch_size &&
             a.atomic_bsz == b.atomic_bsz && a.accum_steps == b.accum_steps;
    };
    if (s.last_row && same(*s.last_row, row)) continue;
    sink.adaptive(row);
    s.last_row = std::move(row);
  }
  return RoundRecord{round, now, busy, running,
                     static_cast<std::int32_t>(views_.size()) - running,
                     static_cast<std::int32_t>(finished_), 0};
}

}  // namespace dlsched
