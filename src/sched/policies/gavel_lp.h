// Gavel's allocation problem (Narayanan et al., "Heterogeneity-Aware Cluster Scheduling
// Policies for Deep Learning Workloads", OSDI'20, sections 3 and 4): the allocation X gives
// each job j the share of time X[j][t] it should spend on GPU type t; every policy is an
// optimisation over X of the effective throughput sum_t T[j][t] X[j][t], subject to
//   0 <= X[j][t],  sum_t X[j][t] <= 1,  sum_j X[j][t] * scale_factor[j] <= GPUs of type t.
// Solved as linear programs with GLPK; the policy in gavel.cpp turns X into rounds.
#pragma once

#include <map>
#include <type_traits>
#include <vector>

namespace dlsched {

/// Which of Gavel's policies (section 4) the allocation optimises.
enum class GavelObjective {
  MAX_MIN_FAIRNESS,      ///< weighted LAS: max min_j T_j(X) sf_j / (w_j T_j(X_equal))
  FINISH_TIME_FAIRNESS,  ///< Themis' rho: min max_j (t_j + R_j / T_j(X)) / (finish time on 1/n)
  MIN_MAKESPAN,          ///< max min_j T_j(X) / R_j (all jobs finish as early as possible)
  MAX_THROUGHPUT,        ///< max sum_j T_j(X): raw iterations/s, as Gavel's policy
};

/// One allocation problem: jobs x GPU types. Vectors are per job; `throughput` is job-major.
struct GavelProblem {
  std::vector<int> gpus_per_type;  ///< GPUs of each type
  /// [job * types + type]: iterations/s of the job on its scale factor's worth of GPUs of the
  /// type, consolidated; 0 where it cannot run (too few GPUs of the type).
  std::vector<double> throughput;
  std::vector<int> scale_factor;  ///< GPUs each job runs on (its requested size)
  std::vector<double> weight;     ///< priority weight (max-min fairness); larger = more share
  std::vector<double> remaining;  ///< iterations left (makespan, finish-time fairness)
  std::vector<double> total;      ///< iterations in all (finish-time fairness)
  std::vector<double> elapsed;    ///< seconds since arrival (finish-time fairness)

  int num_types() const { return static_cast<int>(gpus_per_type.size()); }
  int num_jobs() const { return static_cast<int>(scale_factor.size()); }
};

/// The solution: X and the value of Gavel's objective at X.
struct GavelAllocation {
  int num_types = 0;
  std::vector<double> share;  ///< X, [job * types + type]
  /// Max-min fairness and makespan: the smallest normalised throughput (resp. T_j / R_j);
  /// finish-time fairness: the largest rho; max throughput: the sum it maximises.
  double objective = 0;
  double x(int job, int type) const {
    return share[static_cast<std::size_t>(job) * num_types + type];
  }
};

/// How to solve: the closed forms for one GPU type give the same X as the LP, and grouped
/// identical jobs the same fair values, much faster; tests switch them off to compare.
struct GavelSolveOptions {
  bool closed_form_single_type = true;
  /// Max-min fairness: one LP job per group of jobs with the same throughputs, scale factor
  /// and weight (the same fair values, a member-symmetric X, far fewer columns).
  bool group_identical_jobs = true;
};

/// Jobs grouped by what an LP reads of them: `of_job[j]` is job j's group, `first[g]` its
/// first member, `size[g]` how many; groups in the order their first members come. The LPs
/// are symmetric in the jobs of a group, so averaging any optimum over their permutations
/// gives an optimum that treats them alike: one set of columns serves the whole group.
struct GavelJobGroups {
  std::vector<int> of_job, first, size;
};

/// Groups jobs 0..jobs-1 by `key_of(j)` (any value std::map can order).
template <class KeyOf>
GavelJobGroups group_gavel_jobs(int jobs, KeyOf key_of) {
  std::map<std::decay_t<decltype(key_of(0))>, int> index;
  GavelJobGroups g;
  g.of_job.reserve(jobs);
  for (int j = 0; j < jobs; ++j) {
    const auto [it, fresh] = index.try_emplace(key_of(j), static_cast<int>(g.first.size()));
    if (fresh) {
      g.first.push_back(j);
      g.size.push_back(0);
    }
    ++g.size[it->second];
    g.of_job.push_back(it->second);
  }
  return g;
}

/// Each job's throughput on an equal time share of every GPU, spread over the types by their
/// sizes (types too small for the job count 0): Gavel's X_equal, up to a factor common to all
/// jobs, which does not move any of the optima.
std::vector<double> equal_share_throughput(const GavelProblem& problem);

/// Solves Gavel's LP for `objective`. Gavel's LP fixes only the worst-off job's value; what
/// the other jobs get is left to the solver's vertex. So that spare GPUs are not left to
/// chance: max-min fairness is solved to the max-min fair point by water-filling (Gavel's LP,
/// then the jobs that bound the minimum are frozen and the others raised again, until all are
/// bounded); makespan and finish-time fairness (at its optimal rho) in two stages (Gavel's LP,
/// then the most sum_jt c x with every job held at that level).
GavelAllocation solve_gavel_allocation(const GavelProblem& problem, GavelObjective objective,
                                       const GavelSolveOptions& options = {});

}  // namespace dlsched
