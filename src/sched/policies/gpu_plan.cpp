#include "sched/policies/gpu_plan.h"

#include <algorithm>

namespace dlsched {

void GpuPlan::begin(const PolicyInput& in, bool may_preempt) {
  in_ = &in;
  ++pass_;
  out_ = PolicyOutput{};
  out_.ranked.reserve(in.jobs.size());
  const int types = static_cast<int>(in.cluster->gpu_types().size());
  free_.assign(types, 0);
  for (int t = 0; t < types; ++t) free_[t] = in.cluster->num_gpus_of_type(t);
  JobId largest = 0;
  for (const JobView& j : in.jobs) largest = std::max(largest, j.id);
  if (kept_.size() <= largest) {
    kept_.resize(static_cast<std::size_t>(largest) + 1, 0);
    named_.resize(static_cast<std::size_t>(largest) + 1, 0);
  }
  auto is_kept = [&](const JobView& j) { return j.running && (!may_preempt || j.restoring); };
  for (const JobView& j : in.jobs)
    if (is_kept(j)) kept_[j.id] = pass_;
  for (const JobView& j : in.jobs) {
    if (!is_kept(j)) continue;
    // A packed pair holds its GPUs once: count them with the lower id of the two.
    const long p = j.packed_with;
    if (p < 0 || static_cast<JobId>(p) > j.id || static_cast<std::size_t>(p) >= kept_.size() ||
        kept_[p] != pass_)
      free_[j.current_type] -= j.current_gpus;
    // Naming it with its current grant is what the core does anyway.
    name(j.id);
    out_.ranked.push_back(Request{j.id, j.current_gpus, j.current_type});
  }
}

void GpuPlan::name(JobId job) { named_[job] = pass_; }

int GpuPlan::untyped_choice(const JobView& job, int gpus) const {
  if (job.current_type >= 0 && fits(job.current_type, gpus)) return job.current_type;
  int best = -1;
  for (int t = 0; t < num_types(); ++t)
    if (free_[t] >= gpus && (best < 0 || free_[t] > free_[best])) best = t;
  return best;
}

bool GpuPlan::add(const JobView& job, int gpus, int type) {
  if (named(job.id) || !fits(type, gpus)) return false;
  free_[type] -= gpus;
  name(job.id);
  out_.ranked.push_back(Request{job.id, gpus, type});
  return true;
}

bool GpuPlan::add_pair(const JobView& host, const JobView& guest, int gpus, int type) {
  if (named(host.id) || named(guest.id) || !fits(type, gpus)) return false;
  free_[type] -= gpus;
  name(host.id);
  name(guest.id);
  out_.ranked.push_back(Request{host.id, gpus, type});
  out_.ranked.push_back(Request{guest.id, gpus, type, static_cast<long>(host.id)});
  return true;
}

bool GpuPlan::hold(const JobView& job, int gpus, int type) {
  if (named(job.id) || !fits(type, gpus)) return false;
  free_[type] -= gpus;
  name(job.id);
  return true;
}

bool GpuPlan::add_any(const JobView& job, int gpus) {
  if (named(job.id) || gpus <= 0) return false;
  const int type = untyped_choice(job, gpus);
  if (type < 0) return false;
  free_[type] -= gpus;
  name(job.id);
  out_.ranked.push_back(Request{job.id, gpus, ANY_GPU_TYPE});
  return true;
}

void GpuPlan::add_rest(std::span<const std::size_t> order) {
  auto add_one = [&](const JobView& j) {
    if (named(j.id)) return;
    name(j.id);
    out_.ranked.push_back(Request{j.id, j.requested_gpus, ANY_GPU_TYPE});
    const int type = untyped_choice(j, j.requested_gpus);
    if (type >= 0) free_[type] -= j.requested_gpus;
  };
  if (order.empty()) {
    for (const JobView& j : in_->jobs) add_one(j);
  } else {
    for (std::size_t i : order) add_one(in_->jobs[i]);
  }
}

PlacementShape consolidated(const ThroughputModel& model, int type, int workers) {
  return PlacementShape{type, workers, model.min_nodes(type, workers)};
}

}  // namespace dlsched
