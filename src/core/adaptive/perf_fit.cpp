#include "core/adaptive/perf_fit.h"

#include <nlopt.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace dlsched::adaptive {
namespace {

constexpr std::size_t kParams = 7;
using Vector = std::array<double, kParams>;

enum Index { kAlphaC, kBetaC, kAlphaN, kBetaN, kAlphaR, kBetaR, kGamma };

// Stop when a round improves the loss by less than this share (SciPy L-BFGS-B's default).
constexpr double kRelativeTolerance = 2.2e-9;
// Rounds of SLSQP then MMA at most; the six measured applications need 2 or 3.
constexpr int kMaxRounds = 20;

PerfParams from_vector(const Vector& v) {
  return {v[kAlphaC], v[kBetaC], v[kAlphaN], v[kBetaN], v[kAlphaR], v[kBetaR], v[kGamma]};
}

// The optimiser works on the free parameters only; the fixed ones keep their value in `full`.
struct Problem {
  std::span<const StepObservation> observations;
  std::vector<std::size_t> free;  // indices into the full vector
  Vector full{};
  int evaluations = 0;
};

double objective(unsigned n, const double* x, double* grad, void* data) {
  auto& problem = *static_cast<Problem*>(data);
  ++problem.evaluations;
  for (unsigned i = 0; i < n; ++i) problem.full[problem.free[i]] = x[i];
  Vector full_grad{};
  const double loss =
      fit_loss(from_vector(problem.full), problem.observations, grad ? full_grad.data() : nullptr);
  if (grad)
    for (unsigned i = 0; i < n; ++i) grad[i] = full_grad[problem.free[i]];
  return loss;
}

}  // namespace

double fit_loss(const PerfParams& params, std::span<const StepObservation> observations,
                double* gradient) {
  const double n = static_cast<double>(observations.size());
  const double g = params.gamma;
  double sum1 = 0, sum2 = 0;  // squared residuals of log compute time and log step time
  Vector d1{}, d2{};          // sum of residual * d(prediction)/d(parameter), per term
  for (const StepObservation& o : observations) {
    const double compute = params.compute_time(o.atomic_bsz);
    const double sync = params.sync_time(o.num_nodes, o.num_replicas);
    const double r1 = std::log(compute) - std::log(o.step_time - o.sync_time);
    // log((compute^g + sync^g)^(1/g)), with log-sum-exp so that g = 10 cannot overflow.
    const double a = g * std::log(compute), b = g * std::log(sync);
    const double m = std::max(a, b);
    const double log_sum = m + std::log(std::exp(a - m) + std::exp(b - m));
    const double r2 = log_sum / g - std::log(o.step_time);
    sum1 += r1 * r1;
    sum2 += r2 * r2;
    if (!gradient) continue;
    // d log(step) / d compute = w_c / compute, where w_c = compute^g / (compute^g + sync^g).
    const double w_c = std::exp(a - log_sum), w_s = std::exp(b - log_sum);
    const double dstep_dcompute = w_c / compute, dstep_dsync = w_s / sync;
    d1[kAlphaC] += r1 / compute;
    d1[kBetaC] += r1 * o.atomic_bsz / compute;
    d2[kAlphaC] += r2 * dstep_dcompute;
    d2[kBetaC] += r2 * dstep_dcompute * o.atomic_bsz;
    const double rounds = std::max(o.num_replicas - 2.0, kNegligible);
    if (o.num_nodes > 1) {
      d2[kAlphaN] += r2 * dstep_dsync;
      d2[kBetaN] += r2 * dstep_dsync * rounds;
    } else if (o.num_replicas > 1) {
      d2[kAlphaR] += r2 * dstep_dsync;
      d2[kBetaR] += r2 * dstep_dsync * rounds;
    }
    d2[kGamma] += r2 * (-log_sum / (g * g) + (w_c * std::log(compute) + w_s * std::log(sync)) / g);
  }
  const double rmse1 = std::sqrt(sum1 / n), rmse2 = std::sqrt(sum2 / n);
  const double ratio_n = params.beta_n / params.alpha_n, ratio_r = params.beta_r / params.alpha_r;
  const double loss =
      rmse1 + rmse2 + 1e-3 * (g - 1) * (g - 1) + 1e-2 * (ratio_n * ratio_n + ratio_r * ratio_r);
  if (gradient) {
    // d rmse / d p = sum(r * dr/dp) / (n * rmse); at a perfect fit rmse has no slope but a
    // kink, and 0 is a valid subgradient there.
    for (std::size_t i = 0; i < kParams; ++i)
      gradient[i] = (rmse1 > 0 ? d1[i] / (n * rmse1) : 0) + (rmse2 > 0 ? d2[i] / (n * rmse2) : 0);
    gradient[kGamma] += 2e-3 * (g - 1);
    gradient[kBetaN] += 2e-2 * ratio_n / params.alpha_n;
    gradient[kAlphaN] -= 2e-2 * ratio_n * ratio_n / params.alpha_n;
    gradient[kBetaR] += 2e-2 * ratio_r / params.alpha_r;
    gradient[kAlphaR] -= 2e-2 * ratio_r * ratio_r / params.alpha_r;
  }
  return loss;
}

PerfFit fit_perf_params(std::span<const StepObservation> observations) {
  DLSCHED_EXPECTS(!observations.empty(), "no observations to fit the throughput model to");
  bool multi_node = false, single_node_multi_replica = false, over_two_replicas = false;
  std::set<double> batch_sizes;
  double mean_compute = 0;
  for (const StepObservation& o : observations) {
    DLSCHED_EXPECTS(o.num_nodes >= 1 && o.num_replicas >= o.num_nodes && o.atomic_bsz > 0,
                    "bad placement or batch size in a step-time observation");
    DLSCHED_EXPECTS(o.sync_time >= 0 && o.step_time > o.sync_time,
                    "a step-time observation needs step_time > sync_time >= 0, got " +
                        std::to_string(o.step_time) + " and " + std::to_string(o.sync_time));
    multi_node |= o.num_nodes > 1;
    single_node_multi_replica |= o.num_nodes == 1 && o.num_replicas > 1;
    over_two_replicas |= o.num_replicas > 2;
    batch_sizes.insert(o.atomic_bsz);
    mean_compute += (o.step_time - o.sync_time) / static_cast<double>(observations.size());
  }

  constexpr double inf = std::numeric_limits<double>::infinity();
  Vector start = {1e-1, 1e-2, 1e-1, 1e-2, 1e-1, 1e-2, 1.0 + 1e-3};
  Vector lower = {kNegligible, kNegligible, kNegligible, kNegligible,
                  kNegligible, kNegligible, 1.0};
  Vector upper = {inf, inf, inf, inf, inf, inf, 10.0};
  std::array<bool, kParams> fixed{};
  auto fix = [&](std::size_t i, double value) {
    fixed[i] = true;
    start[i] = lower[i] = upper[i] = value;
  };
  if (batch_sizes.size() == 1) fix(kAlphaC, mean_compute / 2);  // split compute evenly
  if (!multi_node) fix(kAlphaN, lower[kAlphaN]), fix(kBetaN, lower[kBetaN]);
  if (!single_node_multi_replica) fix(kAlphaR, lower[kAlphaR]), fix(kBetaR, lower[kBetaR]);
  if (!over_two_replicas) fix(kBetaN, lower[kBetaN]), fix(kBetaR, lower[kBetaR]);

  Problem problem{observations, {}, start, 0};
  std::vector<double> x, lo, hi;
  for (std::size_t i = 0; i < kParams; ++i) {
    if (fixed[i]) continue;
    problem.free.push_back(i);
    x.push_back(start[i]);
    lo.push_back(lower[i]);
    hi.push_back(upper[i]);
  }
  const auto n = static_cast<unsigned>(x.size());
  double loss = fit_loss(from_vector(start), observations);
  nlopt_result status = NLOPT_SUCCESS;
  // SLSQP (a quasi-Newton method that keeps to the bounds, like SciPy's L-BFGS-B) does most
  // of the work, but on some profiles it stops on a shallow stretch far from the optimum;
  // MMA then moves on from there. The two alternate until neither improves the loss any more.
  // (NLopt's own L-BFGS stalls here: its line search fails on these parameters, which differ
  // in scale by a factor of 1000.)
  for (int round = 0; n > 0 && round < kMaxRounds; ++round) {
    const double before = loss;
    for (const nlopt_algorithm algorithm : {NLOPT_LD_SLSQP, NLOPT_LD_MMA}) {
      nlopt_opt opt = nlopt_create(algorithm, n);
      DLSCHED_EXPECTS(opt != nullptr, "NLopt could not create an optimiser");
      nlopt_set_lower_bounds(opt, lo.data());
      nlopt_set_upper_bounds(opt, hi.data());
      nlopt_set_min_objective(opt, objective, &problem);
      // SciPy's L-BFGS-B stops on a relative decrease below 2.2e-9 or after 15000 iterations.
      nlopt_set_ftol_rel(opt, kRelativeTolerance);
      nlopt_set_maxeval(opt, 15000);
      std::vector<double> trial = x;
      double trial_loss = loss;
      status = nlopt_optimize(opt, trial.data(), &trial_loss);
      nlopt_destroy(opt);
      // A solver that stops early still leaves its best point so far; only a bad call (a bug
      // here) is fatal.
      DLSCHED_EXPECTS(
          status != NLOPT_INVALID_ARGS && status != NLOPT_OUT_OF_MEMORY,
          "NLopt rejected the throughput-model fit (status " + std::to_string(status) + ")");
      if (trial_loss < loss) x = trial, loss = trial_loss;
    }
    if (loss >= before * (1 - kRelativeTolerance)) break;
  }
  for (unsigned i = 0; i < n; ++i) problem.full[problem.free[i]] = x[i];

  PerfFit fit;
  fit.params = from_vector(problem.full);
  fit.loss = fit_loss(fit.params, observations);
  fit.evaluations = problem.evaluations;
  fit.solver_status = status;
  if (!multi_node) {
    fit.params.alpha_n = std::max(fit.params.alpha_n, fit.params.alpha_r * 1.1);
    fit.params.beta_n = std::max(fit.params.beta_n, fit.params.beta_r * 1.1);
  }
  return fit;
}

}  // namespace dlsched::adaptive
