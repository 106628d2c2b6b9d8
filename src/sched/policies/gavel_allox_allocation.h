// The allocation of AlloX as Gavel's simulator runs it (its policies/allox.py, alpha = 1),
// for `allox` under --mechanism gavel. At each solve:
//  - a job that was given a GPU type at an earlier solve keeps it (X = 1 there) until it
//    finishes: AlloX does not take a matched job off its type;
//  - the other jobs, oldest first, are matched to the GPUs no kept job holds, one column per
//    (GPU, position k from the end of that GPU's queue), at cost k x remaining time on the
//    GPU's type (the time the job adds to its own and the k - 1 later completions); a job that
//    lands first in some GPU's queue gets X = 1 on that GPU's type, the others get X = 0 and
//    wait for a later solve.
// Gavel also adds each job's time since arrival to all of its columns; a constant per row
// does not change which matching is cheapest, so it is left out.
// Gavel's AlloX accepts only 1-GPU jobs. Here a job of s GPUs is matched like one (it occupies
// one column), and a kept job takes s GPUs of its type out of the matching; the round
// mechanism then runs only the jobs that fit.
// The round mechanism (gavel_rounds.h) runs the jobs X places on their types and, on the GPUs
// they leave free, the others at priority 0 (by deficit, then arrival), fastest type first.
#pragma once

#include <vector>

#include "sched/policy.h"
#include "sched/policy_state.h"

namespace dlsched {

class GavelAlloxAllocation {
 public:
  /// X for the active jobs: [view index * types + type]. `throughputs(j)`: iterations/s of a
  /// job per type at its scale factor, 0 where it cannot run.
  template <class Throughputs>
  std::vector<double> solve(const PolicyInput& in, const Throughputs& throughputs) {
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    // Copied: a throughput cache may move its storage while it grows.
    thr_.clear();
    for (const JobView& j : in.jobs) {
      const double* row = throughputs(j);
      thr_.insert(thr_.end(), row, row + types);
    }
    return assign(in, types);
  }

  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  std::vector<double> assign(const PolicyInput& in, int types);

  std::vector<int> type_of_;  // by JobId: the type a solve gave it, -1: none yet
  std::vector<double> thr_;   // [view index * types + type]
};

}  // namespace dlsched
