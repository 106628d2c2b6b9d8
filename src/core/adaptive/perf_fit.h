// Fitting Pollux's throughput model (PerfParams) to measured step times.
#pragma once

#include <span>

#include "core/adaptive/perf_params.h"

namespace dlsched::adaptive {

/// One measured configuration: seconds per optimiser step (no accumulation) and the part of
/// it spent synchronising gradients, for `num_replicas` GPUs on `num_nodes` nodes.
struct StepObservation {
  int num_nodes = 1;
  int num_replicas = 1;
  double atomic_bsz = 0;
  double step_time = 0;
  double sync_time = 0;
};

/// The fitted parameters and how the solver ended.
struct PerfFit {
  PerfParams params;
  double loss = 0;        ///< fit_loss at params (before the inter-node prior, see fit_perf_params)
  int evaluations = 0;    ///< objective evaluations
  int solver_status = 0;  ///< nlopt_result of the last solver run: > 0 converged
};

/// The loss Pollux's agent minimises (adaptdl goodput.py, _obj_fn): the root mean squared
/// error of log compute time (step - sync), plus that of log step time, plus 1e-3 (gamma - 1)^2
/// (a smaller gamma keeps the alphas and betas identifiable) plus
/// 1e-2 ((beta_n / alpha_n)^2 + (beta_r / alpha_r)^2) (prefers little retrogression).
/// If `gradient` is not null it receives the 7 partial derivatives, in PerfParams' order.
double fit_loss(const PerfParams& params, std::span<const StepObservation> observations,
                double* gradient = nullptr);

/// Fits the model as Pollux's agent does (adaptdl goodput.py, fit_perf_params): minimises
/// fit_loss within bounds from alpha = 0.1, beta = 0.01, gamma = 1.001, each alpha and beta
/// >= 1e-8, gamma in [1, 10], with NLopt's SLSQP and MMA taking turns in place of SciPy's
/// L-BFGS-B (both keep to the bounds; see the .cpp for why two).
/// Parameters the observations cannot determine stay fixed at their bound: alpha_c at half the
/// mean compute time when one atomic batch size was seen, the inter-node pair without
/// multi-node points, the intra-node pair without single-node multi-replica points, both betas
/// without a point of more than 2 replicas. Without multi-node points, alpha_n and beta_n are
/// then raised to at least 1.1 times alpha_r and beta_r (crossing nodes is never cheaper).
/// Every observation needs step_time > sync_time >= 0 (InvariantError otherwise).
PerfFit fit_perf_params(std::span<const StepObservation> observations);

}  // namespace dlsched::adaptive
