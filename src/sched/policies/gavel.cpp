// Gavel: heterogeneity-aware scheduling policies (Narayanan, Santhanam, Kazhamiaka, Phanishayee,
// Zaharia, "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads",
// OSDI'20). Two parts:
//  - sections 3-4: an allocation X (job x GPU type -> share of time) from a linear program over
//    effective throughputs, for one of four objectives (gavel_lp.h): max-min fairness
//    ("gavel-maxmin", weighted LAS), finish-time fairness ("gavel-ftf"), minimum makespan
//    ("gavel-makespan") and maximum total throughput ("gavel-throughput");
//  - section 5: the round-based mechanism that realises X (gavel_rounds.h), with Gavel's
//    priorities, deficits, resets and per-type queues.
// "gavel-maxmin-agnostic" is the paper's heterogeneity-agnostic baseline, as Gavel's simulator
// runs it (its max_min_fairness policy): the same LP with every throughput set to 1, so X
// splits time without regard to speed, and the type queues walked in a random order each round
// (--seed), so jobs rotate across types.
//
// Throughput T[j][t] is ThroughputModel::progress_rate at the job's requested size on t,
// consolidated. X is re-solved only after jobs arrived or finished, at most once every
// PolicyInput::resolve_interval seconds (--mechanism gavel: 1920 s, as Gavel's simulator);
// the policy parameter resolve_interval overrides it.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sched/policies/gavel_lp.h"
#include "sched/policies/gavel_rounds.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

class GavelPolicy : public Policy {
 public:
  GavelPolicy(const PolicyParams& p, GavelObjective objective, std::string name, bool aware)
      : objective_(objective),
        name_(std::move(name)),
        aware_(p.get_flag("heterogeneity_aware", aware, "use per-type throughputs (0: every throughput 1)")),
        resolve_interval_(p.get_double("resolve_interval", -1, 0, std::numeric_limits<double>::max(), "least seconds between LP solves (unset: the mechanism's)")),
        rounds_(GavelRounds::Options{.shuffle_types = !aware_, .skip_zero_priority = false}) {}

  std::string_view name() const override { return name_; }
  bool preemptive() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    PolicyInput input = in;
    if (resolve_interval_ >= 0) input.resolve_interval = resolve_interval_;
    return rounds_.schedule(
        input, [&](const JobView& j) { return throughputs(input, j); },
        [&](const PolicyInput& at) { return solve(at); });
  }

  /// The round bookkeeping; the throughput cache is rebuilt on demand (it depends only on the
  /// job and the GPU type).
  std::string save_state() const override {
    PolicyStateWriter w;
    rounds_.save(w);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name_, state);
    rounds_.restore(r);
    r.finish();
  }

 private:
  const double* throughputs(const PolicyInput& in, const JobView& j) { return thr_.of(in, j); }

  std::vector<double> solve(const PolicyInput& in) {
    GavelProblem p;
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    for (int t = 0; t < types; ++t) p.gpus_per_type.push_back(in.cluster->num_gpus_of_type(t));
    for (const JobView& j : in.jobs) {
      const double* thr = throughputs(in, j);
      for (int t = 0; t < types; ++t)
        // Agnostic: a unit of time on any type is worth the same (where the job fits).
        p.throughput.push_back(aware_ ? thr[t] : (thr[t] > 0 ? 1.0 : 0.0));
      p.scale_factor.push_back(j.requested_gpus);
      p.weight.push_back(j.spec && j.spec->priority > 0 ? j.spec->priority : 1.0);
      p.remaining.push_back(std::max(j.iterations_total - j.iterations_done, 0.0));
      p.total.push_back(j.iterations_total);
      p.elapsed.push_back(std::max(in.now - j.submit_time, 0.0));
    }
    std::vector<double> x = solve_gavel_allocation(p, objective_).share;
    if (!aware_) spread_over_types(p, x);
    return x;
  }

  /// With unit throughputs only a job's total share matters to the LP, and any split of it
  /// over the types is optimal. Gavel's interior-point solvers return the centre of that
  /// face, which (when every job fits every type) is each job's share split over the types
  /// in proportion to their GPUs (exact for equal-sized types by symmetry); a simplex vertex
  /// would instead pin jobs to one type. Splitting keeps every constraint: each type then
  /// holds the same fraction of the jobs' total GPU share as of the cluster's GPUs.
  static void spread_over_types(const GavelProblem& p, std::vector<double>& x) {
    const int types = p.num_types();
    for (double thr : p.throughput)
      if (thr <= 0) return;  // a job that cannot run on some type: keep the LP's split
    double gpus = 0;
    for (int g : p.gpus_per_type) gpus += g;
    for (int j = 0; j < p.num_jobs(); ++j) {
      double* row = &x[static_cast<std::size_t>(j) * static_cast<std::size_t>(types)];
      double total = 0;
      for (int t = 0; t < types; ++t) total += row[t];
      // The solver's last bits would otherwise break the ties between equal jobs, which
      // Gavel's rounds break by arrival order.
      total = std::round(total * 1e6) / 1e6;
      for (int t = 0; t < types; ++t) row[t] = total * p.gpus_per_type[t] / gpus;
    }
  }

  GavelObjective objective_;
  std::string name_;
  bool aware_;
  double resolve_interval_;  // < 0: the mechanism's
  GavelRounds rounds_;
  TypeThroughputs thr_;
};

struct GavelMaxMin : GavelPolicy {
  explicit GavelMaxMin(const PolicyParams& p)
      : GavelPolicy(p, GavelObjective::MAX_MIN_FAIRNESS, "gavel-maxmin", true) {}
};
struct GavelMaxMinAgnostic : GavelPolicy {
  explicit GavelMaxMinAgnostic(const PolicyParams& p)
      : GavelPolicy(p, GavelObjective::MAX_MIN_FAIRNESS, "gavel-maxmin-agnostic", false) {}
};
struct GavelFtf : GavelPolicy {
  explicit GavelFtf(const PolicyParams& p)
      : GavelPolicy(p, GavelObjective::FINISH_TIME_FAIRNESS, "gavel-ftf", true) {}
};
struct GavelMakespan : GavelPolicy {
  explicit GavelMakespan(const PolicyParams& p)
      : GavelPolicy(p, GavelObjective::MIN_MAKESPAN, "gavel-makespan", true) {}
};
struct GavelThroughput : GavelPolicy {
  explicit GavelThroughput(const PolicyParams& p)
      : GavelPolicy(p, GavelObjective::MAX_THROUGHPUT, "gavel-throughput", true) {}
};

}  // namespace

DLSCHED_REGISTER_POLICY("gavel-maxmin",
                        "Gavel max-min fairness (weighted LAS), heterogeneity-aware LP + rounds",
                        GavelMaxMin)
DLSCHED_REGISTER_POLICY("gavel-maxmin-agnostic",
                        "Gavel max-min fairness, heterogeneity-agnostic: unit throughputs, "
                        "types visited in random order",
                        GavelMaxMinAgnostic)
DLSCHED_REGISTER_POLICY("gavel-ftf",
                        "Gavel finish-time fairness (Themis' rho), heterogeneity-aware", GavelFtf)
DLSCHED_REGISTER_POLICY("gavel-makespan", "Gavel minimum makespan, heterogeneity-aware",
                        GavelMakespan)
DLSCHED_REGISTER_POLICY("gavel-throughput", "Gavel maximum total throughput, heterogeneity-aware",
                        GavelThroughput)

}  // namespace dlsched
