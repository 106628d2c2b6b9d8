// Optimus+Oracle as Pollux's evaluation runs it (Qiao et al., OSDI 2021, section 5;
// petuum/adaptdl, branch osdi21-artifact, simulator/optimus.py): Optimus' greedy allocation
// (Peng et al., EuroSys 2018) with an oracle for each job's step time and remaining steps, at
// the trace's batch size (the "TunedJobs" of the paper).
//
// Every job first gets one GPU, in arrival order, while GPUs last. Then one GPU at a time goes
// to the job whose remaining time drops most with it, (T(w) - T(w + 1)) x remaining steps,
// T(w) being the oracle's seconds per step on w GPUs, up to the job's limit, until no GPU is
// left or no job gains. A job keeps its GPUs if their count is unchanged; the others, fewest
// GPUs first, take the nodes with the most free GPUs.
//
// Needs --mechanism pollux (the oracle is the application profiles).
#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <vector>

#include "core/error.h"
#include "sched/policies/node_fill.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class OptimusOraclePolicy : public Policy {
 public:
  explicit OptimusOraclePolicy(const PolicyParams&) {}
  std::string_view name() const override { return "optimus-oracle"; }
  bool preemptive() const override { return true; }
  JobAdaptivity adaptivity() const override { return JobAdaptivity::fixed_batch; }

  PolicyOutput schedule(const PolicyInput& in) override {
    const std::size_t n = in.jobs.size();
    for (const JobView& j : in.jobs)
      if (!j.adaptive || !j.adaptive->estimates)
        throw InputError(fmt::format("policy optimus-oracle needs --mechanism pollux"));
    std::vector<std::map<int, double>> step_time(n);  // memo per job and GPU count
    const auto predict = [&](std::size_t i, int gpus) {
      auto [it, fresh] = step_time[i].try_emplace(gpus, 0.0);
      if (fresh) it->second = in.jobs[i].adaptive->estimates->oracle_step_time(gpus);
      return it->second;
    };
    std::vector<double> remaining(n);
    for (std::size_t i = 0; i < n; ++i)
      remaining[i] = in.jobs[i].adaptive->estimates->oracle_remaining_steps();
    int gpus_left = in.cluster->num_gpus();
    std::vector<int> gpus(n, 0);
    std::vector<double> gain(n, 0);
    const auto update_gain = [&](std::size_t i) {
      gain[i] = gpus[i] + 1 > in.jobs[i].adaptive->max_replicas || gpus_left < 1
                    ? 0.0
                    : (predict(i, gpus[i]) - predict(i, gpus[i] + 1)) * remaining[i];
    };
    for (std::size_t i = 0; i < n; ++i) {
      if (gpus_left < 1) continue;  // gain stays 0
      gpus[i] = 1;
      --gpus_left;
      update_gain(i);
    }
    while (gpus_left > 0) {
      const std::size_t best = std::max_element(gain.begin(), gain.end()) - gain.begin();
      if (n == 0 || !(gain[best] > 0)) break;
      ++gpus[best];
      update_gain(best);
      --gpus_left;
    }
    // Placement: unchanged counts keep their GPUs; the rest, fewest GPUs first.
    const std::size_t num_nodes = in.cluster->nodes().size();
    std::vector<int> free = node_capacity(*in.cluster);
    std::vector<std::vector<int>> placed(n);
    for (std::size_t i = 0; i < n; ++i)
      if (gpus[i] > 0 && in.jobs[i].current_gpus == gpus[i]) {
        placed[i] = current_node_gpus(in.jobs[i], num_nodes);
        for (std::size_t k = 0; k < num_nodes; ++k) free[k] -= placed[i][k];
      }
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return gpus[a] < gpus[b]; });
    PolicyOutput out;
    for (std::size_t i : order) {
      if (gpus[i] == 0) continue;
      if (placed[i].empty()) placed[i] = fill_most_free(free, gpus[i]);
      out.ranked.push_back(Request{in.jobs[i].id, gpus[i], ANY_GPU_TYPE, -1, false, placed[i]});
    }
    return out;
  }
};

}  // namespace

DLSCHED_REGISTER_POLICY("optimus-oracle",
                        "Optimus+Oracle as Pollux's evaluation runs it: greedy marginal gain "
                        "with oracle step times, trace batch sizes (--mechanism pollux)",
                        OptimusOraclePolicy)

}  // namespace dlsched
