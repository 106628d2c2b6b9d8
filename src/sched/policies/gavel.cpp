// Gavel: heterogeneity-aware scheduling policies (Narayanan, Santhanam, Kazhamiaka, Phanishayee,
// Zaharia, "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning Workloads",
// OSDI'20). Two parts:
//  - section 3-4: an allocation X (job x GPU type -> share of time) from a linear program over
//    effective throughputs, for one of four objectives (gavel_lp.h): max-min fairness
//    ("gavel-maxmin", weighted LAS), finish-time fairness ("gavel-ftf"), minimum makespan
//    ("gavel-makespan") and maximum total throughput ("gavel-throughput");
//  - section 5: the round-based mechanism that realises X: each round, job j's priority on
//    type t is X[j][t] divided by the share of time it has received on t so far; (job, type)
//    pairs are served in decreasing priority, each job at its scale factor on one type.
// "gavel-maxmin-agnostic" is the paper's heterogeneity-agnostic baseline: the same LP with all
// GPUs pooled as one type, every job at its GPU-weighted average speed (for max-min fairness
// this is plain weighted LAS on GPU time); the core picks the types.
//
// Throughput T[j][t] is ThroughputModel::progress_rate at the job's requested size on t,
// consolidated. X is recomputed at a round boundary when the set of active jobs changed (as
// Gavel does on arrivals and completions), or every `resolve_rounds` rounds if set.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sched/policies/gavel_lp.h"
#include "sched/policies/gpu_plan.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

class GavelPolicy : public Policy {
 public:
  GavelPolicy(const PolicyParams& p, GavelObjective objective, std::string name, bool aware)
      : objective_(objective),
        name_(std::move(name)),
        aware_(p.get_int("heterogeneity_aware", aware ? 1 : 0) != 0),
        resolve_rounds_(p.get_int("resolve_rounds", 0)) {}

  std::string_view name() const override { return name_; }
  bool preemptive() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    lanes_ = aware_ ? types : 1;
    account(in);
    if (in.round_boundary) {
      ++rounds_since_solve_;
      if (needs_solve(in)) solve(in);
    }
    plan_.begin(in, in.round_boundary);
    rank(in);
    return plan_.take_output();
  }

  /// Time received per lane, the last solve (its jobs and X) and the round bookkeeping. The
  /// throughput cache is rebuilt on demand: it depends only on the job and the GPU type.
  std::string save_state() const override {
    PolicyStateWriter w;
    w.put(lanes_).put(rounds_since_solve_).put(last_now_).put(has_last_);
    w.put(tracks_.size());
    for (const Track& t : tracks_) {
      w.put(t.row).put(t.time_on.size());
      for (double v : t.time_on) w.put(v);
    }
    w.put(solved_ids_.size());
    for (JobId id : solved_ids_) w.put(static_cast<std::int64_t>(id));
    w.put(allocation_.num_types).put(allocation_.objective).put(allocation_.share.size());
    for (double v : allocation_.share) w.put(v);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name_, state);
    constexpr std::size_t kMax = std::size_t{1} << 32;
    lanes_ = static_cast<int>(r.get_int());
    rounds_since_solve_ = static_cast<int>(r.get_int());
    last_now_ = r.get_double();
    has_last_ = r.get_bool();
    tracks_.resize(r.get_count(kMax));
    for (Track& t : tracks_) {
      t.row = static_cast<int>(r.get_int());
      t.time_on.resize(r.get_count(1024));
      for (double& v : t.time_on) v = r.get_double();
    }
    solved_ids_.resize(r.get_count(kMax));
    for (JobId& id : solved_ids_) id = static_cast<JobId>(r.get_count(kMax));
    allocation_.num_types = static_cast<int>(r.get_int());
    allocation_.objective = r.get_double();
    allocation_.share.resize(r.get_count(kMax));
    for (double& v : allocation_.share) v = r.get_double();
    r.finish();
  }

 private:
  struct Pair {
    double priority;
    double x;
    std::size_t view;  // index in PolicyInput::jobs
    int lane;
  };

  struct Track {
    std::vector<double> time_on;  // seconds received per lane (GPU type, or one pooled lane)
    int row = -1;                 // row in allocation_, -1 if not in the last solve
  };

  Track& track(JobId id) {
    if (tracks_.size() <= id) tracks_.resize(static_cast<std::size_t>(id) + 1);
    Track& t = tracks_[id];
    if (static_cast<int>(t.time_on.size()) != lanes_) t.time_on.assign(lanes_, 0);
    return t;
  }

  /// Adds the time since the previous call to every job that ran through it: a job running now
  /// has held its GPUs since the previous call, when the core last changed anything.
  void account(const PolicyInput& in) {
    const double dt = has_last_ ? in.now - last_now_ : 0;
    last_now_ = in.now;
    has_last_ = true;
    if (dt <= 0) return;
    for (const JobView& j : in.jobs)
      if (j.running) track(j.id).time_on[aware_ ? j.current_type : 0] += dt;
  }

  bool needs_solve(const PolicyInput& in) const {
    if (resolve_rounds_ > 0 && rounds_since_solve_ >= resolve_rounds_) return true;
    if (in.jobs.size() != solved_ids_.size()) return true;
    for (std::size_t i = 0; i < in.jobs.size(); ++i)
      if (in.jobs[i].id != solved_ids_[i]) return true;
    return false;
  }

  /// Iterations/s of a job on each lane, cached (they depend only on the job and the type).
  const double* throughputs(const PolicyInput& in, const JobView& j) {
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    const std::size_t stride = static_cast<std::size_t>(types) + 1;  // types, then pooled
    if (thr_.size() < (static_cast<std::size_t>(j.id) + 1) * stride) {
      thr_.resize((static_cast<std::size_t>(j.id) + 1) * stride, -1);
    }
    double* row = &thr_[static_cast<std::size_t>(j.id) * stride];
    if (row[0] < 0) {
      double pooled = 0;
      for (int t = 0; t < types; ++t) {
        const int n = in.cluster->num_gpus_of_type(t);
        row[t] = j.requested_gpus <= n
                     ? in.throughput->progress_rate(
                           j.id, consolidated(*in.throughput, t, j.requested_gpus))
                     : 0;
        pooled += row[t] * n / in.cluster->num_gpus();
      }
      // Agnostic: every GPU counts as an average one.
      row[types] = pooled;
    }
    return aware_ ? row : row + types;
  }

  void solve(const PolicyInput& in) {
    rounds_since_solve_ = 0;
    solved_ids_.clear();
    for (const JobView& j : in.jobs) solved_ids_.push_back(j.id);
    GavelProblem p;
    if (aware_) {
      for (int t = 0; t < lanes_; ++t) p.gpus_per_type.push_back(in.cluster->num_gpus_of_type(t));
    } else {
      p.gpus_per_type.push_back(in.cluster->num_gpus());
    }
    for (const JobView& j : in.jobs) {
      track(j.id).row = p.num_jobs();
      const double* thr = throughputs(in, j);
      p.throughput.insert(p.throughput.end(), thr, thr + lanes_);
      p.scale_factor.push_back(j.requested_gpus);
      p.weight.push_back(j.spec && j.spec->priority > 0 ? j.spec->priority : 1.0);
      p.remaining.push_back(std::max(j.iterations_total - j.iterations_done, 0.0));
      p.total.push_back(j.iterations_total);
      p.elapsed.push_back(std::max(in.now - j.submit_time, 0.0));
    }
    allocation_ = solve_gavel_allocation(p, objective_);
  }

  /// Section 5: priorities X[j][t] / (share of time received on t), pairs served greedily.
  void rank(const PolicyInput& in) {
    pairs_.clear();
    for (std::size_t v = 0; v < in.jobs.size(); ++v) {
      const JobView& j = in.jobs[v];
      if (plan_.kept(j)) continue;
      Track& tr = track(j.id);
      const double* thr = throughputs(in, j);
      const double elapsed = in.now - j.submit_time;
      double best_thr = 0;
      for (int l = 0; l < lanes_; ++l) best_thr = std::max(best_thr, thr[l]);
      for (int l = 0; l < lanes_; ++l) {
        if (thr[l] <= 0) continue;
        double x;
        if (tr.row >= 0 && static_cast<std::size_t>(tr.row) < solved_ids_.size() &&
            solved_ids_[tr.row] == j.id) {
          x = allocation_.x(tr.row, l);
        } else {
          // Arrived since the last solve: it has received nothing, so Gavel would rank it
          // first; among its types, the fastest first.
          x = 1 + thr[l] / best_thr;
        }
        const double share = elapsed > 0 ? tr.time_on[l] / elapsed : 0;
        const double priority = x <= 0 ? 0 : (share > 0 ? x / share : INF);
        pairs_.push_back(Pair{priority, x, v, l});
      }
    }
    std::sort(pairs_.begin(), pairs_.end(), [](const Pair& a, const Pair& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.x != b.x) return a.x > b.x;
      if (a.view != b.view) return a.view < b.view;
      return a.lane < b.lane;
    });
    order_.clear();
    for (const Pair& p : pairs_) {
      const JobView& j = in.jobs[p.view];
      if (plan_.named(j.id)) continue;
      order_.push_back(p.view);
      if (aware_) {
        plan_.add(j, j.requested_gpus, p.lane);
      } else {
        plan_.add_any(j, j.requested_gpus);
      }
    }
    // Whatever did not fit on a type Gavel chose is still offered, any type, in priority order.
    plan_.add_rest(order_);
  }

  GavelObjective objective_;
  std::string name_;
  bool aware_;
  int resolve_rounds_;
  int lanes_ = 1;
  GpuPlan plan_;
  std::vector<Track> tracks_;      // by JobId
  std::vector<double> thr_;        // by JobId x (types + 1), -1 = not computed
  std::vector<JobId> solved_ids_;  // the jobs of allocation_, by row
  GavelAllocation allocation_;
  int rounds_since_solve_ = 0;
  double last_now_ = 0;
  bool has_last_ = false;
  std::vector<Pair> pairs_;
  std::vector<std::size_t> order_;
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
                        "Gavel max-min fairness with all GPUs pooled as one type",
                        GavelMaxMinAgnostic)
DLSCHED_REGISTER_POLICY("gavel-ftf",
                        "Gavel finish-time fairness (Themis' rho), heterogeneity-aware", GavelFtf)
DLSCHED_REGISTER_POLICY("gavel-makespan", "Gavel minimum makespan, heterogeneity-aware",
                        GavelMakespan)
DLSCHED_REGISTER_POLICY("gavel-throughput", "Gavel maximum total throughput, heterogeneity-aware",
                        GavelThroughput)

}  // namespace dlsched
