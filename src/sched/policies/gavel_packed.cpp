// Gavel with space sharing (Narayanan et al., OSDI'20, section 3.1; its simulator's "_packed"
// policies): the allocation X also gives job pairs a share of each GPU type (gavel_packed_lp.h),
// and the round mechanism (gavel_rounds.h) runs a pair as one unit: both jobs on the same
// GPUs, each at its co-located rate from the throughput table's co-location entries.
//   gavel-maxmin-packed    max-min fairness   (Gavel: max_min_fairness_packed)
//   gavel-ftf-packed       finish-time fairness (finish_time_fairness_packed)
//   gavel-makespan-packed  minimum makespan   (min_total_duration_packed)
//   gavel-throughput-packed maximum total throughput (Gavel's packed throughput policy is the
//                          cost-normalised one with SLOs; with equal costs and no SLOs its
//                          objective is this one)
// Pairs are formed only between jobs of the same scale factor, on a type where the table
// measures both orders (a pair Gavel's table marks 0 never runs). Jobs of the same model and
// scale factor (and so the same rates) form a class, as in Gavel's job-type formulation.
// Without co-location entries, or where the driver runs no packed jobs (emulate), these are
// their unpacked counterparts. As in Gavel, the types are visited fastest first every round.
#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "sched/policies/gavel_packed_lp.h"
#include "sched/policies/gavel_rounds.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

class GavelPackedPolicy : public Policy {
 public:
  GavelPackedPolicy(const PolicyParams& p, GavelObjective objective, std::string name)
      : objective_(objective),
        name_(std::move(name)),
        resolve_interval_(p.get_double("resolve_interval", -1, 0, std::numeric_limits<double>::max(), "least seconds between LP solves (unset: the mechanism's)")),
        rounds_(GavelRounds::Options{.shuffle_types = false, .skip_zero_priority = false}) {}

  std::string_view name() const override { return name_; }
  bool preemptive() const override { return true; }
  bool may_pack() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    PolicyInput input = in;
    if (resolve_interval_ >= 0) input.resolve_interval = resolve_interval_;
    return rounds_.schedule(
        input, [&](const JobView& j) { return thr_.of(input, j); },
        [&](const PolicyInput& at) { return solve(at); });
  }

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
  GavelRounds::Solution solve(const PolicyInput& in) {
    GavelPackedProblem p;
    GavelProblem& q = p.jobs;
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    for (int t = 0; t < types; ++t) q.gpus_per_type.push_back(in.cluster->num_gpus_of_type(t));
    // Classes: same model, scale factor and rates alone; the first member stands for its class.
    std::map<std::tuple<std::string, int, std::vector<double>>, int> class_of;
    std::vector<std::size_t> representative;
    for (std::size_t v = 0; v < in.jobs.size(); ++v) {
      const JobView& j = in.jobs[v];
      const double* thr = thr_.of(in, j);
      for (int t = 0; t < types; ++t) q.throughput.push_back(thr[t]);
      q.scale_factor.push_back(j.requested_gpus);
      q.weight.push_back(j.spec && j.spec->priority > 0 ? j.spec->priority : 1.0);
      q.remaining.push_back(std::max(j.iterations_total - j.iterations_done, 0.0));
      q.total.push_back(j.iterations_total);
      q.elapsed.push_back(std::max(in.now - j.submit_time, 0.0));
      auto key = std::make_tuple(j.spec ? j.spec->model : std::string(), j.requested_gpus,
                                 std::vector<double>(thr, thr + types));
      const auto [it, fresh] = class_of.try_emplace(std::move(key), static_cast<int>(representative.size()));
      if (fresh) representative.push_back(v);
      p.job_class.push_back(it->second);
    }
    // No pair can share GPUs (no co-location entries, or a driver that packs nothing): the
    // LP has no pair columns and is Gavel's unpacked one, solved by its faster solver.
    const bool packing = in.packing_allowed && in.throughput->has_colocation();
    if (!packing) return GavelRounds::Solution(solve_gavel_allocation(q, objective_).share);
    p.num_classes = static_cast<int>(representative.size());
    const int classes = p.num_classes;
    p.colocated.assign(static_cast<std::size_t>(classes) * classes * types, 0.0);
    for (int a = 0; a < classes; ++a)
      for (int b = 0; b < classes; ++b) {
        const JobView& ja = in.jobs[representative[a]];
        const JobView& jb = in.jobs[representative[b]];
        if (ja.requested_gpus != jb.requested_gpus) continue;
        for (int t = 0; t < types; ++t) {
          if (ja.requested_gpus > q.gpus_per_type[t]) continue;
          const PlacementShape shape = consolidated(*in.throughput, t, ja.requested_gpus);
          // Two members of one class: the class's rate with a copy of itself.
          const JobId other = a == b ? static_cast<JobId>(-1) : jb.id;
          const auto rate = a == b ? same_model_rate(in, ja, shape)
                                   : in.throughput->colocated_progress_rate(ja.id, other, shape);
          if (rate) p.colocated[(static_cast<std::size_t>(a) * classes + b) * types + t] = *rate;
        }
      }
    const GavelPackedAllocation x = solve_gavel_packed_allocation(p, objective_);
    GavelRounds::Solution out(x.alone.share);
    out.pairs.reserve(x.pairs.size());
    for (const GavelPairShare& s : x.pairs)
      out.pairs.push_back(GavelRounds::PairShare{static_cast<std::size_t>(s.a),
                                                 static_cast<std::size_t>(s.b), s.x});
    return out;
  }

  /// A class's rate when another member of it shares its GPUs: any second member will do
  /// (they run at the same rates); none when the class has one job.
  static std::optional<double> same_model_rate(const PolicyInput& in, const JobView& j,
                                               const PlacementShape& shape) {
    for (const JobView& other : in.jobs)
      if (other.id != j.id && other.requested_gpus == j.requested_gpus && other.spec && j.spec &&
          other.spec->model == j.spec->model)
        return in.throughput->colocated_progress_rate(j.id, other.id, shape);
    return std::nullopt;
  }

  GavelObjective objective_;
  std::string name_;
  double resolve_interval_;  // < 0: the mechanism's
  GavelRounds rounds_;
  TypeThroughputs thr_;
};

struct GavelMaxMinPacked : GavelPackedPolicy {
  explicit GavelMaxMinPacked(const PolicyParams& p)
      : GavelPackedPolicy(p, GavelObjective::MAX_MIN_FAIRNESS, "gavel-maxmin-packed") {}
};
struct GavelFtfPacked : GavelPackedPolicy {
  explicit GavelFtfPacked(const PolicyParams& p)
      : GavelPackedPolicy(p, GavelObjective::FINISH_TIME_FAIRNESS, "gavel-ftf-packed") {}
};
struct GavelMakespanPacked : GavelPackedPolicy {
  explicit GavelMakespanPacked(const PolicyParams& p)
      : GavelPackedPolicy(p, GavelObjective::MIN_MAKESPAN, "gavel-makespan-packed") {}
};
struct GavelThroughputPacked : GavelPackedPolicy {
  explicit GavelThroughputPacked(const PolicyParams& p)
      : GavelPackedPolicy(p, GavelObjective::MAX_THROUGHPUT, "gavel-throughput-packed") {}
};

}  // namespace

DLSCHED_REGISTER_POLICY("gavel-maxmin-packed",
                        "Gavel max-min fairness with space sharing: LP over jobs and job pairs "
                        "(co-location entries), pairs run on shared GPUs",
                        GavelMaxMinPacked)
DLSCHED_REGISTER_POLICY("gavel-ftf-packed",
                        "Gavel finish-time fairness with space sharing", GavelFtfPacked)
DLSCHED_REGISTER_POLICY("gavel-makespan-packed", "Gavel minimum makespan with space sharing",
                        GavelMakespanPacked)
DLSCHED_REGISTER_POLICY("gavel-throughput-packed",
                        "Gavel maximum total throughput with space sharing", GavelThroughputPacked)

}  // namespace dlsched
