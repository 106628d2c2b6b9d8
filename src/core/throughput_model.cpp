#include "core/throughput_model.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "core/error.h"

namespace dlsched {

const char* to_string(ThroughputSource s) {
  switch (s) {
    case ThroughputSource::MEASURED: return "measured";
    case ThroughputSource::TRACE: return "trace";
    case ThroughputSource::ANALYTIC: return "analytic";
  }
  return "?";
}

ThroughputModel::ThroughputModel(const ModelCatalog& catalog, const ClusterSpec& cluster,
                                 const ThroughputTable* measured, StepSettings step)
    : catalog_(catalog), cluster_(cluster), measured_(measured), step_(step) {
  max_gpus_per_node_.assign(cluster.gpu_types().size(), 0);
  for (const Node& n : cluster.nodes())
    max_gpus_per_node_[n.gpu_type] = std::max(max_gpus_per_node_[n.gpu_type], n.num_gpus);
}

double ThroughputModel::analytic_compute_time(const ModelInfo& model, int per_worker_batch,
                                              int gpu_type) const {
  const GpuTypeInfo& gpu = catalog_.gpu_type(cluster_.gpu_types()[gpu_type]);
  return model.flops_per_sample * per_worker_batch / (gpu.peak_tflops * 1e12 * gpu.efficiency);
}

double ThroughputModel::analytic_allreduce_time(double bytes, int workers, int nodes) const {
  if (workers <= 1) return 0;
  const Interconnect& l = cluster_.links();
  const bool one_node = nodes <= 1;
  const double bw = (one_node ? l.intra_node_gb_per_s : l.inter_node_gb_per_s) * 1e9;
  const double lat = (one_node ? l.intra_node_latency_us : l.inter_node_latency_us) * 1e-6;
  const double n = workers;
  // Ring allreduce: 2(n-1) steps, each moving bytes/n over the bottleneck link.
  return 2.0 * (n - 1) / n * bytes / bw + 2.0 * (n - 1) * lat;
}

double ThroughputModel::analytic_iteration_time(const ModelInfo& model, int per_worker_batch,
                                                const PlacementShape& p) const {
  const double compute = analytic_compute_time(model, per_worker_batch, p.gpu_type);
  if (!step_.overlap || p.workers <= 1)
    return compute + analytic_allreduce_time(model.gradient_bytes(), p.workers, p.nodes);
  const auto buckets = gradient_buckets(static_cast<std::uint64_t>(model.gradient_bytes()),
                                        step_.bucket_bytes);
  return overlapped_step_seconds(compute, model.forward_fraction, buckets, [&](double bytes) {
    return analytic_allreduce_time(bytes, p.workers, p.nodes);
  });
}

double ThroughputModel::analytic_exposed_comm_time(const ModelInfo& model, int per_worker_batch,
                                                   const PlacementShape& p) const {
  return analytic_iteration_time(model, per_worker_batch, p) -
         analytic_compute_time(model, per_worker_batch, p.gpu_type);
}

int ThroughputModel::min_nodes(int gpu_type, int workers) const {
  const int per = std::max(1, max_gpus_per_node_[gpu_type]);
  return (workers + per - 1) / per;
}

void ThroughputModel::prepare(std::vector<JobSpec>& jobs, const std::string& trace_path) {
  const int types = static_cast<int>(cluster_.gpu_types().size());
  DLSCHED_EXPECTS(types > 0, "cluster has no GPU types");
  for (const auto& name : cluster_.gpu_types()) catalog_.gpu_type(name);  // unknown type => error
  anchors_.assign(jobs.size(), Anchor{});
  int largest_type = 0;
  for (int t = 0; t < types; ++t) largest_type = std::max(largest_type, cluster_.num_gpus_of_type(t));
  for (JobSpec& job : jobs) {
    const ModelInfo* model = catalog_.find_model(job.model);
    if (!model)
      throw InputError(trace_path, job.source_line,
                       fmt::format("job {}: unknown model '{}' (not in {})", job.id, job.model,
                                   catalog_.path()));
    if (job.num_gpus > largest_type)
      throw InputError(trace_path, job.source_line,
                       fmt::format("job {} requests {} GPUs; the cluster's largest GPU type "
                                   "group has {} (a job runs on one GPU type)",
                                   job.id, job.num_gpus, largest_type));
    Anchor& a = anchors_[job.index];
    a.model = model;
    a.requested = job.num_gpus;
    a.batch = job.batch_size ? std::max(1, *job.batch_size / job.num_gpus) : model->batch_size;
    a.measured_consolidated.assign(types, 0);
    a.measured_spread.assign(types, 0);
    bool any_measured = false;
    if (measured_) {
      for (int t = 0; t < types; ++t) {
        const std::string& type = cluster_.gpu_types()[t];
        if (auto r = measured_->steps_per_second(job.model, type, job.num_gpus, true)) {
          a.measured_consolidated[t] = *r;
          any_measured = true;
        }
        if (auto r = measured_->steps_per_second(job.model, type, job.num_gpus, false)) {
          a.measured_spread[t] = *r;
          any_measured = true;
        }
      }
    }
    const PlacementShape ref{0, job.num_gpus, min_nodes(0, job.num_gpus)};
    if (job.iterations <= 0) {
      if (job.duration && *job.duration > 0) {
        // Length known only as time (Philly): count iterations of the modelled step time.
        job.iterations = std::max(1.0, std::round(*job.duration / iteration_time_unanchored(job, ref)));
      } else if (model->epochs && model->dataset_samples) {
        const double global_batch = job.batch_size ? *job.batch_size : a.batch * job.num_gpus;
        job.iterations = std::max(1.0, std::ceil(*model->epochs * *model->dataset_samples / global_batch));
      } else {
        throw InputError(trace_path, job.source_line,
                         fmt::format("job {}: no iterations, no duration, and model '{}' has no "
                                     "epochs x dataset_samples in {}",
                                     job.id, job.model, catalog_.path()));
      }
    }
    if (any_measured) {
      a.source = ThroughputSource::MEASURED;
    } else if (job.duration && *job.duration > 0) {
      a.source = ThroughputSource::TRACE;
      a.trace_iteration_time = *job.duration / job.iterations;
    }
  }
  jobs_ = &jobs;
}

double ThroughputModel::iteration_time_unanchored(const JobSpec& job, const PlacementShape& p) const {
  const Anchor& a = anchors_[job.index];
  return analytic_iteration_time(*a.model, a.batch, p);
}

double ThroughputModel::iteration_time(JobId job, const PlacementShape& p) const {
  const Anchor& a = anchors_[job];
  const double analytic = analytic_iteration_time(*a.model, a.batch, p);
  if (p.workers == a.requested) {
    const bool consolidated = p.nodes <= 1;
    const double r = consolidated ? a.measured_consolidated[p.gpu_type] : a.measured_spread[p.gpu_type];
    if (r > 0) return 1.0 / r;
  }
  if (a.source == ThroughputSource::MEASURED) {
    // Measured for another placement: scale the closest measurement (same type first,
    // consolidated first) by the analytic model's ratio.
    const int types = static_cast<int>(a.measured_consolidated.size());
    for (int k = 0; k < types; ++k) {
      const int t = k == 0 ? p.gpu_type : (k <= p.gpu_type ? k - 1 : k);
      for (bool consolidated : {true, false}) {
        const double r = consolidated ? a.measured_consolidated[t] : a.measured_spread[t];
        if (r <= 0) continue;
        const PlacementShape there{t, a.requested, consolidated ? 1 : std::max(2, min_nodes(t, a.requested))};
        return (1.0 / r) * analytic / analytic_iteration_time(*a.model, a.batch, there);
      }
    }
  }
  if (a.source == ThroughputSource::TRACE) {
    const PlacementShape ref{0, a.requested, min_nodes(0, a.requested)};
    return a.trace_iteration_time * analytic / analytic_iteration_time(*a.model, a.batch, ref);
  }
  return analytic;
}

double ThroughputModel::progress_rate(JobId job, const PlacementShape& p) const {
  const Anchor& a = anchors_[job];
  return (static_cast<double>(p.workers) / a.requested) / iteration_time(job, p);
}

std::optional<double> ThroughputModel::colocated_progress_rate(JobId job, JobId other,
                                                              const PlacementShape& p) const {
  if (!measured_ || job == other) return std::nullopt;
  const Anchor& a = anchors_[job];
  if (p.workers != a.requested || anchors_[other].requested != a.requested) return std::nullopt;
  const std::string& type = cluster_.gpu_types()[p.gpu_type];
  const std::string& model = (*jobs_)[job].model;
  const std::string& other_model = (*jobs_)[other].model;
  const auto packed = measured_->colocated_steps_per_second(model, other_model, type, p.workers);
  const auto reverse = measured_->colocated_steps_per_second(other_model, model, type, p.workers);
  const auto alone = measured_->steps_per_second(model, type, p.workers, true);
  if (!packed || !reverse || !alone) return std::nullopt;
  // Sharing a GPU never speeds a job up; a ratio above 1 would be measurement noise.
  return progress_rate(job, p) * std::min(1.0, *packed / *alone);
}

double ThroughputModel::isolated_time(JobId job) const {
  const Anchor& a = anchors_[job];
  double best = 0;
  for (int t = 0; t < static_cast<int>(cluster_.gpu_types().size()); ++t) {
    if (cluster_.num_gpus_of_type(t) < a.requested) continue;
    const double rate = progress_rate(job, PlacementShape{t, a.requested, min_nodes(t, a.requested)});
    best = std::max(best, rate);
  }
  if (best <= 0) {  // no single type holds it: the best mixed placement is not modelled
    best = progress_rate(job, PlacementShape{0, a.requested, min_nodes(0, a.requested)});
  }
  return (*jobs_)[job].iterations / best;
}

ThroughputSource ThroughputModel::source(JobId job) const { return anchors_[job].source; }
const ModelInfo& ThroughputModel::model_of(JobId job) const { return *anchors_[job].model; }
int ThroughputModel::per_worker_batch(JobId job) const { return anchors_[job].batch; }

void apply_time_scale(std::vector<JobSpec>& jobs, double factor) {
  if (factor == 1) return;
  for (JobSpec& j : jobs) {
    j.submit_time *= factor;
    const double scaled = std::max(1.0, std::round(j.iterations * factor));
    if (j.duration) *j.duration *= scaled / j.iterations;
    j.iterations = scaled;
  }
}

}  // namespace dlsched
