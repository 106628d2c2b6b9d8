// SRTF: shortest remaining time first, preemptive at round boundaries, with oracle knowledge
// of each job's remaining run time (isolated time x remaining share of its iterations).
// Remaining time is weighted by GPU count when gpu_weighted=1 (shortest remaining service).
#include <algorithm>

#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class SrtfPolicy : public Policy {
 public:
  explicit SrtfPolicy(const PolicyParams& p) : gpu_weighted_(p.get_flag("gpu_weighted", false, "rank by remaining GPU-seconds rather than seconds")) {}
  std::string_view name() const override { return "srtf"; }
  bool preemptive() const override { return true; }
  // Only running jobs' remaining times fall between events, so no waiting job overtakes one.
  bool event_driven() const override { return true; }
  // Waiting jobs rank by their own remaining time: running ones change nothing between rounds.
  bool sees_running_jobs_between_rounds() const override { return false; }

  PolicyOutput schedule(const PolicyInput& in) override {
    order_.assign(in.jobs.size(), 0);
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    auto key = [&](const JobView& j) {
      return gpu_weighted_ ? j.remaining_time * j.requested_gpus : j.remaining_time;
    };
    // Ties go to the earlier arrival, which keeps the order stable across rounds.
    std::stable_sort(order_.begin(), order_.end(),
                     [&](std::size_t a, std::size_t b) { return key(in.jobs[a]) < key(in.jobs[b]); });
    PolicyOutput out;
    out.ranked.reserve(order_.size());
    for (std::size_t i : order_) out.ranked.push_back(Request{in.jobs[i].id, in.jobs[i].requested_gpus});
    return out;
  }

 private:
  bool gpu_weighted_;
  std::vector<std::size_t> order_;
};

}  // namespace

DLSCHED_REGISTER_POLICY("srtf", "shortest remaining time first (oracle), preemptive", SrtfPolicy)

}  // namespace dlsched
