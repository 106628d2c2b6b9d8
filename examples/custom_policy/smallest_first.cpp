// Smallest job first: fewest requested GPUs first, then the least GPU-service still needed,
// preemptive at round boundaries. A complete policy in one file, to copy for your own.
#include <sched/plugin.h>

#include <algorithm>

namespace {

class SmallestFirst : public dlsched::Policy {
 public:
  explicit SmallestFirst(const dlsched::PolicyParams& params)
      : preemptive_(params.get_flag("preemptive", true, "take GPUs from running jobs at round boundaries")) {}

  std::string_view name() const override { return "smallest-first"; }
  bool preemptive() const override { return preemptive_; }

  dlsched::PolicyOutput schedule(const dlsched::PolicyInput& in) override {
    std::vector<const dlsched::JobView*> jobs;
    for (const dlsched::JobView& j : in.jobs) jobs.push_back(&j);
    auto service_left = [](const dlsched::JobView* j) { return j->remaining_time * j->requested_gpus; };
    std::stable_sort(jobs.begin(), jobs.end(), [&](const auto* a, const auto* b) {
      if (a->requested_gpus != b->requested_gpus) return a->requested_gpus < b->requested_gpus;
      return service_left(a) < service_left(b);
    });
    dlsched::PolicyOutput out;  // backfill: a job that does not fit lets the next one try
    for (const auto* j : jobs) out.ranked.push_back({j->id, j->requested_gpus});
    return out;
  }

 private:
  bool preemptive_;
};

}  // namespace

DLSCHED_POLICY_PLUGIN("smallest-first", "fewest GPUs first, then least service left (example plugin)",
                      SmallestFirst)
