// The allocation of Gavel's FIFO policies (its policies/fifo.py, as its simulator runs them):
// jobs in arrival order, each given every round on one GPU type (X = 1 there), until a job
// finds no type with room for its scale factor.
//  - random (Gavel's "fifo"): a job keeps the type it was given for its whole life; a new
//    job takes a finished job's type if it fits there, else a type drawn at random among
//    those with room, in the order of their names, by Python's random.randrange on a
//    random.Random(--seed) as Gavel's FIFOPolicy draws it (with the fix its parity data
//    describes: the drawn type is the one used);
//  - fastest (Gavel's "fifo_perf"): the allocation is rebuilt at each solve, every job in
//    arrival order on the type with room where it runs fastest.
// The round mechanism (gavel_rounds.h) then runs only the jobs X places.
#pragma once

#include <cstdint>
#include <vector>

#include "sched/policy.h"
#include "sched/policy_state.h"
#include "sched/python_random.h"

namespace dlsched {

class GavelFifoAllocation {
 public:
  enum class TypeChoice { RANDOM, FASTEST };
  explicit GavelFifoAllocation(TypeChoice choice) : choice_(choice) {}

  /// X for the active jobs: [view index * types + type]; `throughputs(j)` per type.
  template <class Throughputs>
  std::vector<double> solve(const PolicyInput& in, const Throughputs& throughputs) {
    const int types = static_cast<int>(in.cluster->gpu_types().size());
    rows_.assign(in.jobs.size() * static_cast<std::size_t>(types), 0.0);
    // Copied: a throughput cache may move its storage while it grows.
    thr_.clear();
    for (const JobView& j : in.jobs) {
      const double* row = throughputs(j);
      thr_.insert(thr_.end(), row, row + types);
    }
    assign(in, types);
    return rows_;
  }

  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  void assign(const PolicyInput& in, int types);

  TypeChoice choice_;
  std::vector<int> type_of_;  // by JobId: the type X gives it, -1: none
  std::vector<JobId> typed_;  // the jobs with a type, by id
  bool rng_seeded_ = false;
  PythonRandom rng_;          // the random type choice's stream (Gavel: random.Random(seed))
  std::vector<double> rows_;
  std::vector<double> thr_;  // [view index * types + type]
};

}  // namespace dlsched
