// Iteration time of a data-parallel job on a given placement (see docs/design.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/job.h"
#include "core/model_catalog.h"
#include "core/step_model.h"
#include "core/throughput_table.h"

namespace dlsched {

/// Where a job's iteration time comes from, best first.
enum class ThroughputSource { MEASURED, TRACE, ANALYTIC };
const char* to_string(ThroughputSource s);

/// How a job's workers sit on the cluster.
struct PlacementShape {
  int gpu_type = 0;  ///< index into ClusterSpec::gpu_types
  int workers = 1;
  int nodes = 1;     ///< distinct nodes the workers span
};

/// t = step(t_compute(model, gpu type, per-worker batch), t_allreduce(bucket, workers, placement)):
/// the compute plus the part of the bucketed allreduce the backward does not hide
/// (core/step_model.h), or their sum where the step does not overlap. A job's own anchor (a measured rate, or the trace's duration / iterations at its requested
/// size) fixes the absolute time; the analytic model scales it to other placements.
class ThroughputModel {
 public:
  ThroughputModel(const ModelCatalog& catalog, const ClusterSpec& cluster,
                  const ThroughputTable* measured = nullptr, StepSettings step = {});

  /// Resolves each job's model and anchor, and fills iterations for jobs whose trace gives
  /// none (from duration / isolated iteration time, or epochs x dataset samples / global
  /// batch). Throws InputError (trace file:line) for an unknown model, a job larger than the
  /// cluster or a job whose length cannot be known. Call once, before the queries below.
  void prepare(std::vector<JobSpec>& jobs, const std::string& trace_path);

  /// Seconds per iteration of `model` from first principles (no anchor).
  double analytic_iteration_time(const ModelInfo& model, int per_worker_batch,
                                 const PlacementShape& p) const;
  /// Compute and communication parts of the analytic iteration time.
  double analytic_compute_time(const ModelInfo& model, int per_worker_batch, int gpu_type) const;
  double analytic_allreduce_time(double bytes, int workers, int nodes) const;
  /// The part of the analytic allreduce that the backward does not hide: the analytic
  /// iteration time less the compute.
  double analytic_exposed_comm_time(const ModelInfo& model, int per_worker_batch,
                                    const PlacementShape& p) const;
  const StepSettings& step() const { return step_; }

  /// Seconds per worker iteration of a prepared job on placement p.
  double iteration_time(JobId job, const PlacementShape& p) const;
  /// Progress rate in trace iterations per second (a trace iteration is one step at the
  /// job's requested size; more workers process proportionally more samples per step).
  double progress_rate(JobId job, const PlacementShape& p) const;
  /// Progress rate of `job` on placement p while a worker of `other` shares each of its GPUs
  /// (packing): its rate alone on p times the measured co-located / isolated steps ratio for
  /// the pair on p's GPU type (at most 1). nullopt unless the table has co-location entries
  /// for the pair in both orders and both jobs run at their requested size, which must match.
  std::optional<double> colocated_progress_rate(JobId job, JobId other, const PlacementShape& p) const;
  /// Could any pair of jobs be packed (the measured table has co-location entries)?
  bool has_colocation() const { return measured_ && measured_->has_colocated(); }
  /// Run time alone on the best GPU type, consolidated, at the requested size.
  double isolated_time(JobId job) const;
  ThroughputSource source(JobId job) const;
  const ModelInfo& model_of(JobId job) const;
  int per_worker_batch(JobId job) const;
  /// Best (smallest) number of nodes that can host `workers` GPUs of a type.
  int min_nodes(int gpu_type, int workers) const;

  const ClusterSpec& cluster() const { return cluster_; }
  const ModelCatalog& catalog() const { return catalog_; }

 private:
  double iteration_time_unanchored(const JobSpec& job, const PlacementShape& p) const;

  struct Anchor {
    const ModelInfo* model = nullptr;
    int requested = 1;
    int batch = 1;                      // per worker
    ThroughputSource source = ThroughputSource::ANALYTIC;
    std::vector<double> measured_consolidated;  // per gpu type, 0 = not measured
    std::vector<double> measured_spread;        // per gpu type, 0 = not measured
    double trace_iteration_time = 0;    // duration / iterations at requested size on ref type
  };
  const ModelCatalog& catalog_;
  const ClusterSpec& cluster_;
  const ThroughputTable* measured_;
  StepSettings step_;
  std::vector<Anchor> anchors_;
  const std::vector<JobSpec>* jobs_ = nullptr;
  std::vector<int> max_gpus_per_node_;  // per gpu type
};

/// Shrinks an experiment in time: submit times, iterations and durations scale by `factor`
/// (iterations rounded, at least 1, durations kept consistent with the rounded iterations).
/// Apply after ThroughputModel::prepare so that per-iteration times stay as anchored.
void apply_time_scale(std::vector<JobSpec>& jobs, double factor);

}  // namespace dlsched
