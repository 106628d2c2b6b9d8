// Gavel's round-based mechanism (Narayanan et al., OSDI'20, section 5, as its simulator runs
// it: scheduler.py, _update_priorities, _reset_time_run_so_far and
// _schedule_jobs_on_workers_helper). It turns an allocation X (job x GPU type -> share of
// time) into the jobs of one round:
//  - every job keeps, per GPU type, the time it has run there since the last reset, started
//    at half a round; every type keeps the time it has handed out in all (where decisions
//    come only at round ends, a round counts from the end of the last round that ran
//    anything, idle waits included, as Gavel's simulator counts it);
//  - X is re-solved only after a job arrived or finished, and then at most once every
//    resolve interval; each re-solve resets the times and adds to every job's deficit the
//    time X promised it minus the time it got. A last reset at t = 0 counts as none; after
//    a decision that placed nothing, once every job has arrived, the last reset is forgotten
//    and the decision is taken again at once (Gavel's simulate() loop);
//  - the priority of job j on type t is X[j][t] / (j's share of t's time), X x 1e9 before it
//    has any share, 0 where X or the throughput is 0 or j arrived after the last solve;
//  - each type's queue is sorted by priority, then deficit, then X (ties: arrival order), the
//    queues are walked one type after the other (fastest type first, or, for
//    heterogeneity-agnostic policies, that order shuffled each decision by Python's
//    random.shuffle seeded with --seed + 5, as Gavel's simulator draws it), and each job is
//    given the first type that still has room for its scale factor; a job that arrived
//    after the last solve takes that room but is not run (Gavel has no allocation for it).
// With space sharing (gavel_packed.cpp) X also gives job pairs a share per type; a pair is
// then one more entry in each type's queue, with its own times and deficits (Gavel keeps them
// per job combination), and runs as a unit: both jobs on the same GPUs, each at its
// co-located rate (Request::pack_with).
// The policies that produce X (gavel.cpp, gavel_packed.cpp, fifo_perf.cpp) own one of these.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sched/policies/gpu_plan.h"
#include "sched/policy.h"
#include "sched/policy_state.h"
#include "sched/python_random.h"

namespace dlsched {

/// Iterations/s of a job on each GPU type at its scale factor, consolidated (0 where the type
/// has too few GPUs), cached: they depend only on the job and the type.
class TypeThroughputs {
 public:
  const double* of(const PolicyInput& in, const JobView& job);

 private:
  std::vector<double> cache_;  // by JobId x types, -1 = not computed
};

class GavelRounds {
 public:
  struct Options {
    /// Walk the type queues in a new random order each decision (Gavel does for policies
    /// whose name has neither "Perf" nor "Packing"); otherwise fastest type first.
    bool shuffle_types = false;
    /// Leave out jobs of priority 0 (Gavel's FIFO policies): only jobs X places run.
    bool skip_zero_priority = false;
  };
  /// Throughputs of a job on each GPU type at its scale factor (0: it cannot run there).
  using Throughputs = std::function<const double*(const JobView&)>;
  /// Two active jobs (view indices, a < b) sharing GPUs, and their share of time per type.
  struct PairShare {
    std::size_t a = 0, b = 0;
    std::vector<double> x;
  };
  /// X: for the active jobs alone [view index * types + type], and for job pairs.
  struct Solution {
    std::vector<double> alone;
    std::vector<PairShare> pairs;
    Solution() = default;
    Solution(std::vector<double> x) : alone(std::move(x)) {}  // NOLINT: no pairs
  };
  using Solver = std::function<Solution(const PolicyInput&)>;

  explicit GavelRounds(Options options) : options_(options) {}

  /// One decision. At a round boundary every job may be placed anew; between rounds (where
  /// the mechanism refills freed GPUs) running jobs stay and idle GPUs are offered in the
  /// same order.
  PolicyOutput schedule(const PolicyInput& in, const Throughputs& throughputs,
                        const Solver& solve);

  /// The bookkeeping above, for a checkpoint of the run.
  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  struct Track {
    std::vector<double> time_on;  // seconds run per type since the last reset
    std::vector<double> deficit;  // per type
    std::vector<double> x;        // per type, from the last solve; empty if not in it
    bool active = false;
    bool seen = false;  // scratch: present in the current call
  };
  struct Entry {
    double priority;
    double deficit;
    double x;
    std::size_t view;
    std::size_t partner;  // view of the packed partner, or NO_PARTNER
    std::size_t order;    // Gavel's queue order for ties: by later job, the job before pairs
  };
  static constexpr std::size_t NO_PARTNER = static_cast<std::size_t>(-1);
  /// A job pair's bookkeeping (Gavel's per-combination times and deficits), kept from the
  /// solve that first gave it a share until one of its jobs finishes.
  struct PairTrack {
    std::vector<double> time_on;
    std::vector<double> deficit;
    std::vector<double> x;
    std::vector<char> runs;  // per type: can the two share GPUs there?
  };
  using PairKey = std::pair<JobId, JobId>;  // lower id first: the host of the pair's GPUs

  Track& track(JobId id, int types);
  void account(const PolicyInput& in);
  void reset_and_solve(const PolicyInput& in, const Solver& solve);
  std::vector<int> type_order(const PolicyInput& in, const Throughputs& throughputs);
  void plan(const PolicyInput& in, const Throughputs& throughputs, const std::vector<int>& order);
  void add_pair_entries(const PolicyInput& in, int type);
  bool pair_runs_on(const PolicyInput& in, const JobView& a, const JobView& b, int type) const;

  Options options_;
  GpuPlan plan_;
  std::vector<Track> tracks_;      // by JobId
  std::map<PairKey, PairTrack> pairs_;
  std::vector<std::size_t> view_of_;  // scratch: JobId -> view index in the current call
  std::vector<double> type_time_;  // seconds handed out per type since the last reset
  std::vector<JobId> known_;       // the active jobs at the previous call
  double last_now_ = 0;
  double busy_round_start_ = 0;  // Gavel's current round start: the previous busy round's end
  double busy_round_end_ = 0;
  double last_reset_ = 0;
  bool has_last_ = false;
  bool placed_nothing_ = false;    // the previous decision asked for no GPUs
  bool arrivals_were_pending_ = true;  // jobs were still to arrive at the previous decision
  bool jobs_changed_ = false;      // since the last solve
  bool rng_seeded_ = false;
  PythonRandom type_rng_;          // the type shuffle's stream (Gavel: seed + 5)
  std::vector<Entry> entries_;
};

/// A policy's behaviour under --mechanism gavel: Gavel's rounds over the allocation its
/// reference policy computes (`Allocation::solve(input, throughputs)`), with the state both
/// keep for a checkpoint. Policies that run as Gavel's simulator runs them there (fifo, allox)
/// hold one and hand it the input when the mechanism is gavel.
template <class Allocation>
class GavelMode {
 public:
  GavelMode(GavelRounds::Options options, Allocation allocation)
      : rounds_(options), allocation_(std::move(allocation)) {}

  PolicyOutput schedule(const PolicyInput& in) {
    used_ = true;
    const auto thr = [&](const JobView& j) { return thr_.of(in, j); };
    return rounds_.schedule(in, thr, [&](const PolicyInput& at) {
      return allocation_.solve(at, [&](const JobView& j) { return thr_.of(at, j); });
    });
  }
  /// Has the policy run under --mechanism gavel (or been restored from such a run)?
  bool used() const { return used_; }

  /// The rounds' and the allocation's state; empty when never used.
  std::string save_state() const {
    if (!used_) return {};
    PolicyStateWriter w;
    rounds_.save(w);
    allocation_.save(w);
    return w.str();
  }
  void restore_state(std::string_view policy, std::string_view state) {
    if (state.empty()) return;
    PolicyStateReader r(policy, state);
    rounds_.restore(r);
    allocation_.restore(r);
    r.finish();
    used_ = true;
  }

 private:
  bool used_ = false;
  GavelRounds rounds_;
  Allocation allocation_;
  TypeThroughputs thr_;
};

}  // namespace dlsched
