// AlloX (Le, Sun, Hsieh, Xu, Wang, Liu, "AlloX: Compute Allocation in Hybrid Clusters",
// EuroSys'20, sections 3-4): jobs are matched to (resource, position in that resource's queue)
// by a min-cost bipartite matching whose cost is the job's processing time weighted by its
// position (the number of jobs it delays), which minimises the sum (so the average) of
// completion times on heterogeneous resources. Solved with the Hungarian algorithm
// (allox_matching.h) whenever the policy is asked, i.e. at every arrival, completion and round.
//
// Mapping to GPU clusters: each GPU type is one AlloX resource, a pool that runs several jobs
// side by side; a job holding sf of the pool's N GPUs occupies sf/N of it, so it delays the
// jobs behind it by p sf / N (the fluid pool, see allox_matching.h), where p = remaining
// iterations / ThroughputModel::progress_rate at its requested size on the type, consolidated.
// Running jobs are not preempted (AlloX schedules a job when resources free up); their remaining
// work is the pool's backlog, which every job queued on that type waits for. With preemptive=1,
// running jobs are matched like waiting ones at round boundaries and may be moved or stopped.
//
// Parameters: max_jobs (default 64): the matching considers at most this many jobs, oldest
// first; the others follow in arrival order. preemptive (default 0).
//
// Under --mechanism gavel, "allox" runs as Gavel's simulator runs its AlloX: a job matched to
// a GPU type holds X = 1 there to completion, jobs not first in a GPU's queue wait for a later
// solve (or run on GPUs the matched jobs leave free), and X is re-solved only after arrivals
// or completions, at most every resolve interval (gavel_allox_allocation.h, gavel_rounds.h).
// The parameters above do not apply there.
#include <algorithm>
#include <limits>
#include <numeric>

#include "sched/policies/allox_matching.h"
#include "sched/policies/gavel_allox_allocation.h"
#include "sched/policies/gavel_rounds.h"
#include "sched/policies/gpu_plan.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class AlloxPolicy : public Policy {
 public:
  explicit AlloxPolicy(const PolicyParams& p)
      : max_jobs_(p.get_int("max_jobs", 64, 1, 1000000, "waiting jobs considered per matching")),
        preemptive_(p.get_flag("preemptive", false, "match running jobs too at round boundaries (may move or stop them)")) {}
  std::string_view name() const override { return "allox"; }
  // Gavel's rounds stop the jobs that run on GPUs no matched job needed once one does.
  bool preemptive() const override { return preemptive_ || gavel_.used(); }

  PolicyOutput schedule(const PolicyInput& in) override {
    if (in.mechanism == "gavel") return gavel_.schedule(in);
    const bool may_preempt = preemptive_ && in.round_boundary;
    plan_.begin(in, may_preempt);
    const int types = static_cast<int>(in.cluster->gpu_types().size());

    AlloxProblem p;
    p.backlog.assign(types, 0);
    for (int t = 0; t < types; ++t) p.gpus_per_type.push_back(in.cluster->num_gpus_of_type(t));
    jobs_.clear();
    for (std::size_t v = 0; v < in.jobs.size(); ++v) {
      const JobView& j = in.jobs[v];
      if (plan_.kept(j)) {
        // Kept on its GPUs: its remaining work is backlog of its pool.
        const double rate = in.throughput->progress_rate(
            j.id, consolidated(*in.throughput, j.current_type, j.current_gpus));
        if (rate > 0)
          p.backlog[j.current_type] +=
              remaining(j) / rate * j.current_gpus / p.gpus_per_type[j.current_type];
        continue;
      }
      if (static_cast<int>(jobs_.size()) >= max_jobs_) continue;  // beyond the cap: follows later
      jobs_.push_back(v);
      p.scale_factor.push_back(j.requested_gpus);
      for (int t = 0; t < types; ++t) {
        double proc = 0;
        if (j.requested_gpus <= p.gpus_per_type[t]) {
          const double rate =
              in.throughput->progress_rate(j.id, consolidated(*in.throughput, t, j.requested_gpus));
          if (rate > 0) proc = std::max(remaining(j) / rate, 1e-9);
        }
        p.processing.push_back(proc);
      }
    }
    const AlloxSchedule s = allox_schedule(p);

    // Serve queues by modelled start time: the pool's backlog plus the shares of the jobs
    // ahead; a later job whose GPUs are free now still starts now (pools run jobs side by side).
    std::vector<double> start(jobs_.size(), 0);
    std::vector<std::size_t> idx(jobs_.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      if (s.type[a] != s.type[b]) return s.type[a] < s.type[b];
      return s.position[a] < s.position[b];
    });
    std::vector<double> clock(p.backlog);
    for (std::size_t i : idx) {
      const int t = s.type[i];
      if (t < 0) {
        start[i] = std::numeric_limits<double>::infinity();
        continue;
      }
      start[i] = clock[t];
      clock[t] += p.processing[i * types + t] * p.scale_factor[i] / p.gpus_per_type[t];
    }
    std::stable_sort(idx.begin(), idx.end(),
                     [&](std::size_t a, std::size_t b) { return start[a] < start[b]; });
    order_.clear();
    for (std::size_t i : idx) {
      order_.push_back(jobs_[i]);
      if (s.type[i] >= 0) plan_.add(in.jobs[jobs_[i]], in.jobs[jobs_[i]].requested_gpus, s.type[i]);
    }
    // Jobs whose matched type is full now, then those beyond the cap, any type, so that no GPU
    // that fits a waiting job idles.
    for (std::size_t v = 0; v < in.jobs.size(); ++v) order_.push_back(v);
    plan_.add_rest(order_);
    return plan_.take_output();
  }

  std::string save_state() const override { return gavel_.save_state(); }
  void restore_state(std::string_view state) override { gavel_.restore_state(name(), state); }

 private:
  static double remaining(const JobView& j) {
    return std::max(j.iterations_total - j.iterations_done, 0.0);
  }

  int max_jobs_;
  bool preemptive_;
  GpuPlan plan_;
  std::vector<std::size_t> jobs_;   // view index of each matched job
  std::vector<std::size_t> order_;  // view indices in serving order (duplicates are skipped)
  // Gavel's AlloX ("AlloX_Perf": its type queues are walked fastest first).
  GavelMode<GavelAlloxAllocation> gavel_{{.shuffle_types = false, .skip_zero_priority = false},
                                         GavelAlloxAllocation{}};
};

}  // namespace

DLSCHED_REGISTER_POLICY("allox", "AlloX: min-cost matching of jobs to (GPU type, queue position)",
                        AlloxPolicy)

}  // namespace dlsched
