#include "core/adaptive/perf_params.h"

#include <algorithm>
#include <cmath>

namespace dlsched::adaptive {

double PerfParams::compute_time(double atomic_bsz) const { return alpha_c + beta_c * atomic_bsz; }

double PerfParams::sync_time(int num_nodes, int num_replicas) const {
  // The slowest link bounds a ring all-reduce: the network once the job spans nodes, the
  // node's interconnect otherwise. Its rounds grow with the replicas beyond two.
  const double rounds = std::max(num_replicas - 2.0, kNegligible);
  if (num_nodes > 1) return alpha_n + beta_n * rounds;
  if (num_replicas > 1) return alpha_r + beta_r * rounds;
  return kNegligible + kNegligible * rounds;
}

double PerfParams::step_time(int num_nodes, int num_replicas, double atomic_bsz) const {
  const double compute = compute_time(atomic_bsz);
  const double sync = sync_time(num_nodes, num_replicas);
  // A gamma-norm; computed through logarithms so that gamma = 10 cannot overflow.
  const double a = gamma * std::log(compute);
  const double b = gamma * std::log(sync);
  const double m = std::max(a, b);
  return std::exp((m + std::log(std::exp(a - m) + std::exp(b - m))) / gamma);
}

double PerfParams::step_time(int num_nodes, int num_replicas, double atomic_bsz,
                             int accum_steps) const {
  return accum_steps * compute_time(atomic_bsz) + step_time(num_nodes, num_replicas, atomic_bsz);
}

double PerfParams::throughput(int num_nodes, int num_replicas, double atomic_bsz,
                              int accum_steps) const {
  const double batch = num_replicas * atomic_bsz * (accum_steps + 1);
  return batch / step_time(num_nodes, num_replicas, atomic_bsz, accum_steps);
}

}  // namespace dlsched::adaptive
