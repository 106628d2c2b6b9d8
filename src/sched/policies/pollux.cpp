// Pollux (Qiao et al., "Pollux: Co-adaptive Cluster Scheduling for Goodput-Optimized Deep
// Learning", OSDI 2021, section 4.2), as its simulator runs it (petuum/adaptdl, branch
// osdi21-artifact, simulator/pollux.py). Each job's agent reports its goodput estimates
// (JobView::adaptive); the scheduler searches for the allocation, GPUs of each job on each node,
// that maximises the generalised mean (exponent p = -1) of the jobs' speedups, where a job's
// speedup is its goodput over its goodput on a fair share (one node, ceil(GPUs / jobs) GPUs;
// a job with no model yet counts its GPUs over that share) scaled so that one node's share
// counts 1. A job whose allocation would change has its speedup multiplied by
// max(age - restarts x 30, 0) / (age + 30), so that young and often restarted jobs are moved
// less. At most one job spanning several nodes may use a node (interference avoidance).
// The search is NSGA-II with Pollux's crossover, mutation and repair (pollux_search.h), on the
// mean speedup and the cluster's utility, seeded with the previous decision's final front; the
// allocation with the best mean on the final front wins. Jobs are ordered by attained service
// then submission (earlier rows win contested GPUs in the repair).
//
// Parameters (defaults: pollux.py):
//   p=-1                 fairness exponent of the generalised mean (0: geometric mean).
//   population=100       NSGA2(pop_size=100).
//   generations=100      ("n_gen", 100).
//   restart_penalty=30   seconds in the restart factor (Problem._evaluate, delay = 30).
//   avoid_interference=1 at most one distributed job per node (Problem._repair).
//
// Needs --mechanism pollux.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <numeric>

#include "core/error.h"
#include "sched/policies/pollux_search.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class PolluxPolicy : public Policy {
 public:
  explicit PolluxPolicy(const PolicyParams& p)
      : p_(p.get_double("p", -1, -100, 100, "fairness exponent of the mean of speedups")),
        restart_penalty_(p.get_double("restart_penalty", 30, 0, 1e6,
                                      "seconds of the restart factor")),
        avoid_interference_(p.get_flag("avoid_interference", true,
                                       "at most one distributed job per node")) {
    options_.population = p.get_int("population", 100, 2, 100000, "genetic search population");
    options_.generations = p.get_int("generations", 100, 1, 100000, "genetic search generations");
  }
  std::string_view name() const override { return "pollux"; }
  bool preemptive() const override { return true; }
  JobAdaptivity adaptivity() const override { return JobAdaptivity::adaptive; }

  PolicyOutput schedule(const PolicyInput& in) override {
    if (!seeded_) {
      rng_.seed(in.seed);
      seeded_ = true;
    }
    PolicyOutput out;
    if (in.jobs.empty()) return out;
    for (const JobView& j : in.jobs)
      if (!j.adaptive || !j.adaptive->estimates)
        throw InputError(fmt::format("policy pollux needs --mechanism pollux"));
    std::vector<std::size_t> order(in.jobs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const JobView &x = in.jobs[a], &y = in.jobs[b];
      return x.attained_gpu_seconds != y.attained_gpu_seconds
                 ? x.attained_gpu_seconds < y.attained_gpu_seconds
                 : x.submit_time < y.submit_time;
    });

    const auto& nodes = in.cluster->nodes();
    const int J = static_cast<int>(order.size()), N = static_cast<int>(nodes.size());
    const int G = in.cluster->num_gpus();
    PolluxProblem problem;
    problem.jobs = J;
    problem.nodes = N;
    for (const Node& n : nodes) {
      if (n.num_gpus > 255)
        throw InputError(fmt::format("policy pollux: node {} has {} GPUs; at most 255 per node",
                                     n.name, n.num_gpus));
      problem.node_gpus.push_back(n.num_gpus);
    }
    problem.avoid_interference = avoid_interference_;
    problem.fairness_p = p_;
    // A replica's share of the cluster is 1 / G GPUs; a fair share is ceil(G / J) GPUs on
    // ceil(N / G) nodes, and one node's share counts 1 (Problem.__init__, _evaluate).
    const double fair_replicas = std::ceil(static_cast<double>(G) / J);
    const int fair_nodes = static_cast<int>(std::ceil(static_cast<double>(N) / G));
    problem.speedup_scale = static_cast<double>(N) / G;
    problem.base.assign(static_cast<std::size_t>(J) * N, 0);
    std::vector<const AdaptiveEstimates*> est(J);
    std::vector<double> base_goodput(J, 0);
    for (int j = 0; j < J; ++j) {
      const JobView& v = in.jobs[order[j]];
      const AdaptiveView& a = *v.adaptive;
      est[j] = a.estimates;
      problem.max_replicas.push_back(a.max_replicas);
      const double age = a.age;
      problem.restart_factor.push_back(
          std::max(age - a.restarts * restart_penalty_, 0.0) / (age + restart_penalty_));
      for (int n = 0; n < N && n < static_cast<int>(a.node_gpus.size()); ++n)
        problem.base[j * N + n] = static_cast<std::uint8_t>(a.node_gpus[n]);
      if (est[j]->has_model())
        base_goodput[j] = est[j]->goodput(fair_nodes, static_cast<int>(fair_replicas));
    }
    // The search memoises these per job, nodes and replicas.
    problem.speedup = [&](int j, int n, int r) {
      return base_goodput[j] > 0 ? est[j]->goodput(n, r) / base_goodput[j] : r / fair_replicas;
    };

    std::vector<AllocationMatrix> seeds;
    if (prev_front_.empty()) {
      seeds.push_back(problem.base);
    } else {
      // The last front, its rows moved to where their jobs now are (new jobs: nothing).
      std::map<JobId, int> row_of;
      for (int j = 0; j < static_cast<int>(prev_jobs_.size()); ++j) row_of[prev_jobs_[j]] = j;
      for (const AllocationMatrix& prev : prev_front_) {
        AllocationMatrix x(static_cast<std::size_t>(J) * N, 0);
        for (int j = 0; j < J; ++j) {
          const auto it = row_of.find(in.jobs[order[j]].id);
          if (it == row_of.end() || prev_nodes_ != N) continue;
          std::copy_n(prev.begin() + it->second * N, N, x.begin() + j * N);
        }
        seeds.push_back(std::move(x));
      }
    }
    SearchResult result = search_allocation(problem, std::move(seeds), options_, rng_);
    prev_front_ = std::move(result.front);
    prev_jobs_.clear();
    for (int j = 0; j < J; ++j) prev_jobs_.push_back(in.jobs[order[j]].id);
    prev_nodes_ = N;

    for (int j = 0; j < J; ++j) {
      std::vector<int> row(result.best.begin() + j * N, result.best.begin() + (j + 1) * N);
      const int gpus = std::accumulate(row.begin(), row.end(), 0);
      if (gpus == 0) continue;
      out.ranked.push_back(
          Request{in.jobs[order[j]].id, gpus, ANY_GPU_TYPE, -1, false, std::move(row)});
    }
    return out;
  }

 private:
  double p_;
  double restart_penalty_;
  bool avoid_interference_;
  SearchOptions options_;
  SearchRandom rng_;
  bool seeded_ = false;
  std::vector<AllocationMatrix> prev_front_;
  std::vector<JobId> prev_jobs_;
  int prev_nodes_ = 0;
};

}  // namespace

DLSCHED_REGISTER_POLICY("pollux",
                        "Pollux: genetic search for the allocation maximising the fairness-"
                        "weighted mean of goodput speedups (--mechanism pollux)",
                        PolluxPolicy)

}  // namespace dlsched
