// Themis: K. Mahajan et al., "Themis: Fair and Efficient GPU Cluster Scheduling", NSDI 2020,
// section 3 (finish-time fairness) and section 4 (round-based partial allocation auctions and
// the fairness knob f, which the evaluation sets to 0.8).
//
// Finish-time fairness of a job is rho = T_shared / T_isolated: the time it will have taken in
// the shared cluster over its run time alone (JobView::isolated_time, at its requested size).
// T_shared is estimated as time since arrival + remaining time at the current allocation; a
// job that holds GPUs keeps its current rate; a job without GPUs would never finish at its
// current (empty) allocation, so it is valued as if it got its request after one more lease
// (round): elapsed + round length + remaining time at its requested size.
//
// Each round, GPUs are offered to the ceil((1 - f) N) jobs with the worst rho (at least one).
// The paper runs a partial allocation auction among them: each offered job bids its rho for
// the bundles it could get, the arbiter picks the allocation that maximises the product of
// rho_old / rho_new (Nash social welfare), and hidden payments withhold a share of each grant,
// which goes, with everything not bid for, to the jobs left out of the offer. Here a job's
// only bundle is its requested GPU count (jobs are gangs of fixed size), so the auction reduces
// to choosing which offered jobs get GPUs this lease. We approximate the welfare maximisation
// greedily: offered jobs are ranked by the gain log(rho_without / rho_with) of getting their
// request for this lease, where rho_without assumes it waits one more round, and the core
// grants them in that order while GPUs last. Hidden payments are not modelled: with gangs of
// fixed size a partial grant cannot run. The jobs not offered follow, worst rho first, so GPUs
// the offered jobs cannot use are still handed out (work conservation), as the paper does with
// leftovers.
//
// Parameters:
//   fairness_knob=0.8   f in [0, 1]: 0 offers to every job (efficiency), near 1 only to the
//                       worst off (fairness).
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <vector>

#include "core/error.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class ThemisPolicy : public Policy {
 public:
  explicit ThemisPolicy(const PolicyParams& p) : knob_(p.get_double("fairness_knob", 0.8, 0, 1, "f: each round GPUs go to the ceil((1 - f) N) jobs with the worst finish-time fairness")) {
    if (!(knob_ >= 0 && knob_ <= 1))
      throw InputError(fmt::format("policy parameter fairness_knob: {} is not in [0, 1]", knob_));
  }
  std::string_view name() const override { return "themis"; }
  bool preemptive() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    const std::size_t n = in.jobs.size();
    bids_.clear();
    bids_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) bids_.push_back(bid(in, i));
    // The worst off first; ties go to the earlier arrival (views come in arrival order).
    std::stable_sort(bids_.begin(), bids_.end(), [](const Bid& a, const Bid& b) { return a.rho > b.rho; });
    // The epsilon keeps e.g. (1 - 0.8) x 5 = 1.0000000000000002 from offering to 2 jobs.
    const auto offered = static_cast<std::size_t>(
        std::clamp(std::ceil((1.0 - knob_) * static_cast<double>(n) - 1e-9), 1.0, static_cast<double>(n)));
    std::stable_sort(bids_.begin(), bids_.begin() + static_cast<std::ptrdiff_t>(std::min(offered, n)),
                     [](const Bid& a, const Bid& b) { return a.gain > b.gain; });
    PolicyOutput out;
    out.ranked.reserve(n);
    for (const Bid& b : bids_) out.ranked.push_back(Request{in.jobs[b.pos].id, in.jobs[b.pos].requested_gpus});
    return out;
  }

 private:
  struct Bid {
    std::size_t pos;  // index into PolicyInput::jobs
    double rho;       // finish-time fairness at the current allocation
    double gain;      // log(rho_without / rho_with) of getting the request for this lease
  };

  static Bid bid(const PolicyInput& in, std::size_t pos) {
    const JobView& j = in.jobs[pos];
    const double elapsed = in.now - j.submit_time;
    const double isolated = std::max(j.isolated_time, 1e-9);
    const double without = (elapsed + in.round_length + j.remaining_time) / isolated;
    if (!j.running || in.throughput == nullptr) {
      const double with = std::max((elapsed + j.remaining_time) / isolated, 1e-12);
      return Bid{pos, without, std::log(without / with)};
    }
    // Running: it finishes at its current placement's rate (consolidation assumed).
    const PlacementShape here{j.current_type, j.current_gpus,
                              in.throughput->min_nodes(j.current_type, j.current_gpus)};
    const double rate = in.throughput->progress_rate(j.id, here);
    const double left = std::max(0.0, j.iterations_total - j.iterations_done);
    const double remaining = rate > 0 ? left / rate : std::numeric_limits<double>::infinity();
    const double with = std::max((elapsed + remaining) / isolated, 1e-12);
    return Bid{pos, with, std::log(without / with)};
  }

  double knob_;
  std::vector<Bid> bids_;  // reused buffer
};

}  // namespace

DLSCHED_REGISTER_POLICY("themis",
                        "Themis finish-time fairness: leases offered to the worst-rho jobs, preemptive",
                        ThemisPolicy)

}  // namespace dlsched
