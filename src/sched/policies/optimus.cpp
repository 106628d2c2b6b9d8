// Optimus (Peng, Bao, Chen, Wu, Guo, "Optimus: An Efficient Dynamic Resource Scheduler for Deep
// Learning Clusters", EuroSys'18), elastic, preemptive at round boundaries.
//  - Speed model (section 3.2): Optimus fits a job's training speed as a function of its
//    resources to a few measured points by non-negative least squares. For the data-parallel
//    (all-reduce) jobs modelled here there are no parameter servers, so the fitted form is
//        f(w) = 1 / (theta0 + theta1 / w + theta2 * w)
//    (a fixed cost, the per-worker share of the compute, and a per-worker communication and
//    synchronisation cost), fitted with theta >= 0 to ThroughputModel::progress_rate sampled at
//    w = 1, 2, 3, 4, 6, 8, 12, 16, ... up to the job's maximum, consolidated. The fit, not the
//    model, is what the allocation sees, as in Optimus.
//  - Remaining time (section 3.1): remaining iterations / f(w). Optimus estimates the
//    iterations left from the loss curve; here the trace gives them (oracle).
//  - Allocation (section 4.1): every job first gets its minimum (`min_gpus`, default 1), shortest
//    remaining time first while GPUs last; then GPUs are handed out one at a time, each to the
//    job whose remaining time drops most with one more GPU (largest marginal gain), up to its
//    maximum, until no GPU is left or no job gains. Bounds: `min_gpus` (default 1, at most the
//    request), `max_gpus` (absolute; default 0 = `max_scale` x requested, `max_scale` default 1).
//    The default does not grow a job beyond its request because the sample-trace invariants
//    (tests/support/run_checks.cpp) require JCT >= isolated time at the requested size;
//    max_scale=2 gives the elastic growth of the paper.
//  - GPU types: Optimus assumes one type. A job stays on its current type while it has room,
//    else goes to the type with most room (the core's rule) and grows only within that type.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <queue>
#include <string>

#include "sched/policies/gpu_plan.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

/// f(w) = 1 / (theta0 + theta1 / w + theta2 w), Optimus' speed model without parameter servers.
struct SpeedFit {
  std::array<double, 3> theta{};
  bool fitted = false;
  double speed(int w) const {
    const double x = theta[0] + theta[1] / w + theta[2] * w;
    return x > 0 ? 1.0 / x : 0.0;
  }
};

/// Non-negative least squares for three unknowns, exactly: the best of the unconstrained
/// least-squares fits on every subset of the unknowns whose solution is non-negative (the
/// optimum of an NNLS problem is such a fit on its support).
std::array<double, 3> nnls3(const std::vector<std::array<double, 3>>& a,
                            const std::vector<double>& b) {
  std::array<double, 3> best{};
  double best_residual = std::numeric_limits<double>::infinity();
  // Single unknowns first, so that among exact fits the simplest model wins.
  for (int mask : {1, 2, 4, 3, 5, 6, 7}) {
    int idx[3], k = 0;
    for (int i = 0; i < 3; ++i)
      if (mask & (1 << i)) idx[k++] = i;
    // Normal equations on the subset, solved by Gaussian elimination with partial pivoting.
    double m[3][4] = {};
    for (std::size_t r = 0; r < a.size(); ++r)
      for (int i = 0; i < k; ++i) {
        for (int j = 0; j < k; ++j) m[i][j] += a[r][idx[i]] * a[r][idx[j]];
        m[i][k] += a[r][idx[i]] * b[r];
      }
    bool singular = false;
    for (int c = 0; c < k && !singular; ++c) {
      int p = c;
      for (int r = c + 1; r < k; ++r)
        if (std::abs(m[r][c]) > std::abs(m[p][c])) p = r;
      if (std::abs(m[p][c]) < 1e-300) {
        singular = true;
        break;
      }
      for (int j = 0; j <= k; ++j) std::swap(m[c][j], m[p][j]);
      for (int r = 0; r < k; ++r) {
        if (r == c) continue;
        const double f = m[r][c] / m[c][c];
        for (int j = c; j <= k; ++j) m[r][j] -= f * m[c][j];
      }
    }
    if (singular) continue;
    std::array<double, 3> theta{};
    bool negative = false;
    for (int i = 0; i < k; ++i) {
      theta[idx[i]] = m[i][k] / m[i][i];
      negative = negative || theta[idx[i]] < 0;
    }
    if (negative) continue;
    double residual = 0;
    for (std::size_t r = 0; r < a.size(); ++r) {
      const double e = a[r][0] * theta[0] + a[r][1] * theta[1] + a[r][2] * theta[2] - b[r];
      residual += e * e;
    }
    if (residual < best_residual * (1 - 1e-12)) best_residual = residual, best = theta;
  }
  return best;
}

/// Worker counts Optimus would sample: every count up to 4, then 1.5x / 2x steps, and the max.
std::vector<int> sample_points(int max_w) {
  std::vector<int> w;
  for (int x = 1; x <= max_w; x = x < 4 ? x + 1 : (x % 3 == 0 ? x / 3 * 4 : x / 2 * 3))
    w.push_back(x);
  if (w.back() != max_w) w.push_back(max_w);
  return w;
}

class OptimusPolicy : public Policy {
 public:
  explicit OptimusPolicy(const PolicyParams& p)
      : min_gpus_(p.get_int("min_gpus", 1, 1, 1 << 20, "fewest GPUs a job is given")),
        max_gpus_(p.get_int("max_gpus", 0, 0, 1 << 20, "most GPUs a job is given (0: max_scale x its request)")),
        max_scale_(p.get_double("max_scale", 1.0, 1.0 / 64, 64, "most GPUs as a multiple of the request")) {}
  std::string_view name() const override { return "optimus"; }
  bool preemptive() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    plan_.begin(in, in.round_boundary);
    types_ = static_cast<int>(in.cluster->gpu_types().size());

    // Candidates: jobs whose GPUs the core does not keep anyway.
    cand_.clear();
    for (std::size_t v = 0; v < in.jobs.size(); ++v)
      if (!plan_.kept(in.jobs[v])) cand_.push_back(Candidate{v, -1, 0, 0, 0});
    for (Candidate& c : cand_) {
      const JobView& j = in.jobs[c.view];
      c.remaining = std::max(j.iterations_total - j.iterations_done, 0.0);
      c.min = std::min(min_gpus_, j.requested_gpus);
      // Ordering key: remaining time at the minimum on the job's best type.
      double best = 0;
      for (int t = 0; t < types_; ++t)
        if (c.min <= in.cluster->num_gpus_of_type(t))
          best = std::max(best, fit(in, j, t).speed(c.min));
      c.key = best > 0 ? c.remaining / best : std::numeric_limits<double>::infinity();
    }
    std::stable_sort(cand_.begin(), cand_.end(),
                     [](const Candidate& a, const Candidate& b) { return a.key < b.key; });

    // Minimum allocations, shortest remaining time first.
    free_.assign(types_, 0);
    for (int t = 0; t < types_; ++t) free_[t] = plan_.free(t);
    for (Candidate& c : cand_) {
      const JobView& j = in.jobs[c.view];
      int type = -1;
      if (j.current_type >= 0 && free_[j.current_type] >= c.min) {
        type = j.current_type;
      } else {
        for (int t = 0; t < types_; ++t)
          if (free_[t] >= c.min && (type < 0 || free_[t] > free_[type])) type = t;
      }
      if (type < 0) continue;
      c.type = type;
      c.gpus = c.min;
      free_[type] -= c.min;
    }

    // Marginal gains: one GPU at a time to the largest drop in remaining time.
    using Gain = std::pair<double, std::size_t>;  // (gain, index in cand_)
    std::priority_queue<Gain> heap;
    auto push = [&](std::size_t i) {
      const Candidate& c = cand_[i];
      if (c.type < 0 || c.gpus >= max_of(in, in.jobs[c.view], c.type)) return;
      const SpeedFit& f = fit(in, in.jobs[c.view], c.type);
      const double now_s = f.speed(c.gpus), next_s = f.speed(c.gpus + 1);
      if (now_s <= 0 || next_s <= 0) return;
      const double gain = c.remaining / now_s - c.remaining / next_s;
      if (gain > 0) heap.push(Gain{gain, i});
    };
    for (std::size_t i = 0; i < cand_.size(); ++i) push(i);
    while (!heap.empty()) {
      const std::size_t i = heap.top().second;
      heap.pop();
      Candidate& c = cand_[i];
      if (free_[c.type] <= 0) continue;  // its type is full: it cannot grow any more
      ++c.gpus;
      --free_[c.type];
      push(i);
    }

    for (const Candidate& c : cand_)
      if (c.type >= 0) plan_.add(in.jobs[c.view], c.gpus, c.type);
    plan_.add_rest();
    return plan_.take_output();
  }

 private:
  struct Candidate {
    std::size_t view;
    int type;
    int gpus;
    int min;
    double remaining;
    double key = 0;
  };

  int max_of(const PolicyInput& in, const JobView& j, int type) const {
    const int m =
        max_gpus_ > 0 ? max_gpus_ : static_cast<int>(std::floor(max_scale_ * j.requested_gpus));
    return std::min(std::max(m, std::min(min_gpus_, j.requested_gpus)),
                    in.cluster->num_gpus_of_type(type));
  }

  /// The fitted speed of a job on a type (cached: it depends only on the job and the type).
  const SpeedFit& fit(const PolicyInput& in, const JobView& j, int type) {
    const std::size_t k = static_cast<std::size_t>(j.id) * types_ + type;
    if (fits_.size() <= k) fits_.resize(k + 1);
    SpeedFit& f = fits_[k];
    if (f.fitted) return f;
    f.fitted = true;
    const int top = max_of(in, j, type);
    if (top < 1) return f;
    std::vector<std::array<double, 3>> a;
    std::vector<double> b;
    for (int w : sample_points(top)) {
      const double rate = in.throughput->progress_rate(j.id, consolidated(*in.throughput, type, w));
      if (rate <= 0) continue;
      const double y = 1.0 / rate;  // seconds per trace iteration
      // Relative errors: divide each row by y, so that fast and slow points weigh alike.
      a.push_back({1.0 / y, 1.0 / (w * y), w / y});
      b.push_back(1.0);
    }
    if (!a.empty()) f.theta = nnls3(a, b);
    return f;
  }

  int min_gpus_;
  int max_gpus_;
  double max_scale_;
  int types_ = 1;
  GpuPlan plan_;
  std::vector<SpeedFit> fits_;  // by JobId x type
  std::vector<Candidate> cand_;
  std::vector<int> free_;
};

}  // namespace

DLSCHED_REGISTER_POLICY("optimus",
                        "Optimus: fitted speed, greedy marginal-gain GPU allocation, elastic",
                        OptimusPolicy)

}  // namespace dlsched
