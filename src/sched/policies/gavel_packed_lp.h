// Gavel's allocation problem with space sharing (Narayanan et al., OSDI'20, section 3.1,
// "space sharing"): besides running alone, a job may share its GPUs with one other job of the
// same scale factor, each progressing at its co-located rate. X then has a share per job and
// GPU type alone and per job pair and GPU type together.
//
// Solved in Gavel's job-type form (its MaxMinFairnessPolicyWithPacking,
// get_allocation_using_job_type_throughputs): jobs of one model and scale factor form a class,
// and a job's paired time is split by the class of its partner, not by the partner itself.
// That keeps the LP at jobs x types x (1 + classes) columns instead of jobs^2 x types, which is
// what lets 1,024 jobs solve in seconds. Constraints, per type t:
//   sum_j sf_j (x[j][t][alone] + x[j][t][B] / 2)  <= GPUs of t   (a pair holds its GPUs once)
//   sum_{j in A} x[j][t][B] = sum_{k in B} x[k][t][A]  for classes A != B (pairs balance)
//   x[j][t][A] equal over the jobs j of class A (pairs inside a class; 0 for a lone job)
// and per job sum_{t,B} x[j][t][B] <= 1. Any such X splits into job pairs exactly
// (pairs_of_classes in the .cpp: x[i][k] = x[i][B] x[k][A] / sum_{i' in A} x[i'][B]).
//
// Pair columns that do less work than time-slicing the two jobs (r_a'/r_a + r_b'/r_b <= 1 on
// that type) are left out: time-sliced singles do the same for each job with no more GPU time,
// so no optimum needs them.
#pragma once

#include <vector>

#include "sched/policies/gavel_lp.h"

namespace dlsched {

struct GavelPackedProblem {
  /// The jobs alone: throughputs per type, scale factors, weights, remaining/total/elapsed.
  GavelProblem jobs;
  /// Per job: its class (same model and scale factor), 0 .. num_classes - 1.
  std::vector<int> job_class;
  int num_classes = 0;
  /// [(a * classes + b) * types + t]: iterations/s of a class-a job while a class-b job shares
  /// its GPUs of type t (same GPU count); 0 where the two cannot be packed there.
  std::vector<double> colocated;

  double rate(int a, int b, int t) const {
    return colocated[(static_cast<std::size_t>(a) * num_classes + b) * jobs.num_types() + t];
  }
};

/// Two jobs (indices into the problem, a < b) sharing GPUs, and the share of time per type.
struct GavelPairShare {
  int a = 0, b = 0;
  std::vector<double> x;  ///< per type
};

struct GavelPackedAllocation {
  GavelAllocation alone;                ///< X for jobs running alone
  std::vector<GavelPairShare> pairs;    ///< pairs with a positive share somewhere
  double objective = 0;                 ///< as GavelAllocation::objective
  int columns = 0;                      ///< LP size, for benchmarks
  int rows = 0;
};

/// Solves Gavel's packed LP for `objective` (water-filled for max-min fairness, in two stages
/// for makespan and finish-time fairness, as solve_gavel_allocation) and splits the class
/// shares into job pairs.
GavelPackedAllocation solve_gavel_packed_allocation(const GavelPackedProblem& problem,
                                                    GavelObjective objective);

}  // namespace dlsched
