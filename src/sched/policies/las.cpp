// LAS: least attained service first, preemptive at round boundaries. Service is GPU x time
// allocated so far (the 2D attained service of Tiresias, without its discretisation into
// queues), so a job that has held many GPUs for long yields to newer, smaller ones.
#include <algorithm>

#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class LasPolicy : public Policy {
 public:
  explicit LasPolicy(const PolicyParams&) {}
  std::string_view name() const override { return "las"; }
  bool preemptive() const override { return true; }
  // Event-driven time re-ranks at arrivals and completions only: continuous LAS has no finite
  // set of crossing instants (two jobs at equal service would swap places without end), so a
  // running job is not overtaken between events. tiresias-las discretises service into queues
  // and names its crossings.
  bool event_driven() const override { return true; }
  // Waiting jobs rank by their own service: running ones change nothing between rounds.
  bool sees_running_jobs_between_rounds() const override { return false; }

  PolicyOutput schedule(const PolicyInput& in) override {
    order_.resize(in.jobs.size());
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    // Ties (e.g. all new jobs at zero) go to the earlier arrival.
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      return in.jobs[a].attained_gpu_seconds < in.jobs[b].attained_gpu_seconds;
    });
    PolicyOutput out;
    out.ranked.reserve(order_.size());
    for (std::size_t i : order_) out.ranked.push_back(Request{in.jobs[i].id, in.jobs[i].requested_gpus});
    return out;
  }

 private:
  std::vector<std::size_t> order_;
};

}  // namespace

DLSCHED_REGISTER_POLICY("las", "least attained GPU-service first, preemptive", LasPolicy)

}  // namespace dlsched
