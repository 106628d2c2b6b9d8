// AlloX's scheduling problem (Le, Sun, Hsieh, Xu, Wang, Liu, "AlloX: Compute Allocation in
// Hybrid Clusters", EuroSys'20, section 4): jobs x (resource, position in its queue) as a
// min-cost bipartite matching, solved with the Hungarian algorithm.
#pragma once

#include <vector>

namespace dlsched {

/// Minimum-cost assignment of every row to a distinct column (rows <= cols), the Hungarian
/// algorithm with row and column potentials, O(rows^2 cols). `cost` is row-major and finite.
/// Returns the column of each row.
std::vector<int> min_cost_assignment(const std::vector<double>& cost, int rows, int cols);

/// Jobs and the GPU types they can run on. Each type is one AlloX resource: a pool that runs
/// its queue in order, several jobs side by side when they fit, which is modelled as a fluid
/// queue: a job holds sf_j of the pool's N_t GPUs, so it occupies the whole pool for
/// p_jt sf_j / N_t seconds (its share), and a job's completion time is the pool's backlog ahead
/// of it plus its own processing time p_jt.
struct AlloxProblem {
  std::vector<int> gpus_per_type;
  /// [job * types + type]: seconds to finish on its scale factor's GPUs of the type; <= 0 where
  /// it cannot run.
  std::vector<double> processing;
  std::vector<int> scale_factor;
  /// Per type: seconds of work already committed to the pool (running jobs), before any queue.
  std::vector<double> backlog;

  int num_types() const { return static_cast<int>(gpus_per_type.size()); }
  int num_jobs() const { return static_cast<int>(scale_factor.size()); }
};

/// Which queue each job joins and its place in it.
struct AlloxSchedule {
  std::vector<int> type;        ///< per job, -1 if it can run nowhere
  std::vector<int> position;    ///< per job: 0 = first in its type's queue
  double total_completion = 0;  ///< modelled sum of completion times
};

/// AlloX's matching: column (t, k) means "k-th from the end of type t's queue"; placing job j
/// there costs what it adds to the sum of completion times: backlog_t + p_jt for itself and
/// its pool share for each of the k - 1 jobs behind it. The optimal matching is the schedule
/// with the least sum of completion times (AlloX's theorem, in the fluid pool model).
AlloxSchedule allox_schedule(const AlloxProblem& problem);

/// The modelled sum of completion times when each job j joins queue type[j] (all >= 0) and
/// queues are ordered by `rank` (smaller first).
double allox_total_completion(const AlloxProblem& problem, const std::vector<int>& type,
                              const std::vector<int>& rank);

}  // namespace dlsched
