// Gandiva as Gavel's simulator runs its Gandiva baseline (Gavel's policies/gandiva.py on the
// rounds of its scheduler.py), for `gandiva` under --mechanism gavel. Gavel's Gandiva is not
// the OSDI'18 policy of gandiva.cpp: it time-shares every GPU type equally and packs jobs in
// random pairs when the cluster is oversubscribed.
//
// Allocation X over combinations (a single job, or a pair sharing its GPUs), re-solved like
// Gavel's LPs (after arrivals or completions, at most every resolve interval):
//  - while the jobs ask for no more GPUs than the cluster has, each of the m jobs gets
//    X[j][t] = N_t / m / s_j of every type t (N_t GPUs, s_j its scale factor), scaled down so
//    that its shares sum to at most 1; pairs get nothing;
//  - otherwise jobs not yet in a pair are paired at random (--seed), two of the same scale
//    factor at a time (random.sample of two, drawn as Python draws it for the same --seed),
//    with as many draws as there were such jobs; the ones left stay single;
//    and each of the m combinations gets the share above;
//  - a pair is split when one of its jobs finishes, or when its normalised packed throughput,
//    summed over every type (sum of packed rate / rate alone of both jobs), falls below 1;
//    pairs persist across solves, including those in which packing is not used.
// Where the driver packs no jobs (emulate, simulate --whole-iterations), nobody is paired and
// every job gets the equal share as if the cluster were not oversubscribed.
// Rounds as Gavel's mechanism (gavel_rounds.h describes them for single jobs), with
// combinations as the entries: every combination keeps the seconds it ran per type since the
// last reset (half a round after each reset) and a deficit per type; in each type's queue,
// fastest type first, entries are sorted by X / time run, then deficit, then X, then the
// order in which Gavel creates them (job k, then its pairs with the earlier jobs); an entry
// whose jobs are already placed, or that has no throughput on the type, is skipped.
// A job that arrived after the last solve is in no allocation: Gavel's queue walk counts its
// GPUs as taken but gives it no worker, so they idle until a solve includes it.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "sched/policies/gavel_rounds.h"
#include "sched/python_random.h"
#include "sched/policy.h"
#include "sched/policy_state.h"

namespace dlsched {

class GandivaGavel {
 public:
  PolicyOutput schedule(const PolicyInput& in);

  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  /// A combination: (job, -1) alone, or (a, b) with a < b packed.
  using Key = std::pair<JobId, long>;
  struct Combo {
    std::vector<double> time_on;  // seconds run per type since the last reset
    std::vector<double> deficit;  // per type
    std::vector<double> x;        // per type, from the last solve; empty: not in it
  };
  struct Entry {
    double priority;
    double deficit;
    double x;
    Key key;
    std::pair<JobId, long> rank;  // Gavel's creation order: (later job, earlier job or -1)
  };

  Combo& combo(const Key& k, int types);
  void account(const PolicyInput& in);
  void reset_and_solve(const PolicyInput& in);
  void solve(const PolicyInput& in);
  /// Iterations/s of each job of the combination on `type`; 0 where it cannot run there.
  std::pair<double, double> rates(const PolicyInput& in, const Key& k, int type);
  double normalised_packed_throughput(const PolicyInput& in, JobId a, JobId b);
  const JobView* view(JobId id) const;
  std::vector<int> type_order(const PolicyInput& in);

  std::map<Key, Combo> combos_;
  std::map<JobId, long> partner_;  // Gavel's assigned combinations: job -> partner, -1 alone
  std::vector<JobId> known_;       // the active jobs at the previous call, by id
  double last_now_ = 0;
  double last_reset_ = 0;
  bool has_last_ = false;
  bool ever_reset_ = false;
  bool jobs_changed_ = false;
  // The pairing's draws: Gavel's Gandiva draws from its own Python random.Random(seed).
  PythonRandom rng_;
  bool seeded_ = false;
  TypeThroughputs thr_;
  std::vector<int> view_of_;  // scratch: JobId -> view index, -1 absent
  const PolicyInput* in_ = nullptr;
};

}  // namespace dlsched
