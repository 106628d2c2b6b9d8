#include "core/adaptive/goodput.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dlsched::adaptive {
namespace {

// How many total batch sizes the agent tries per allocation (numpy.geomspace's default).
constexpr int kCandidates = 50;
// Slack for ceil() of quotients that should be whole numbers but carry rounding error.
constexpr double kEps = 1e-8;

int ceil_int(double x) { return static_cast<int>(std::ceil(x - kEps)); }

}  // namespace

double progress_gain(const GradStats& grad, double init_batch_size, double batch_size) {
  const double scale = batch_size / init_batch_size;
  const double denom = grad.var / scale + grad.sqr;
  return denom > 0 ? (grad.var + grad.sqr) / denom : 1.0;
}

double efficiency(const GradStats& grad, double init_batch_size, double batch_size) {
  return progress_gain(grad, init_batch_size, batch_size) / (batch_size / init_batch_size);
}

GoodputModel::GoodputModel(const PerfParams& perf, const GradStats& grad, double init_batch_size)
    : perf_(perf), grad_(grad), init_batch_size_(init_batch_size) {
  DLSCHED_EXPECTS(init_batch_size > 0, "the initial batch size must be positive");
}

double GoodputModel::throughput(int num_nodes, int num_replicas, int atomic_bsz,
                                int accum_steps) const {
  return perf_.throughput(num_nodes, num_replicas, atomic_bsz, accum_steps);
}

double GoodputModel::efficiency(double batch_size) const {
  return adaptive::efficiency(grad_, init_batch_size_, batch_size);
}

double GoodputModel::goodput(int num_nodes, int num_replicas, int atomic_bsz,
                             int accum_steps) const {
  const double batch = static_cast<double>(num_replicas) * atomic_bsz * (accum_steps + 1);
  return throughput(num_nodes, num_replicas, atomic_bsz, accum_steps) * efficiency(batch);
}

BatchConfig GoodputModel::optimize(int num_nodes, int num_replicas,
                                   const BatchLimits& limits) const {
  DLSCHED_EXPECTS(num_nodes >= 1 && num_replicas >= num_nodes,
                  "an allocation needs 1 <= nodes <= replicas");
  DLSCHED_EXPECTS(limits.max_batch_size >= init_batch_size_,
                  "the largest batch size is below the initial one");
  const int min_atomic = std::max(limits.min_atomic_bsz, 1);
  const double max_atomic = limits.max_atomic_bsz ? *limits.max_atomic_bsz : limits.max_batch_size;
  const double low = std::max(init_batch_size_, static_cast<double>(min_atomic) * num_replicas);
  const double log_low = std::log(low), log_high = std::log(limits.max_batch_size);
  BatchConfig best;
  for (int i = 0; i < kCandidates; ++i) {
    // Geometric spacing, with both ends exact.
    const double batch = i == 0 ? low
                         : i == kCandidates - 1
                             ? limits.max_batch_size
                             : std::exp(log_low + (log_high - log_low) * i / (kCandidates - 1));
    const double local = batch / num_replicas;
    int accum = 0;
    if (limits.accumulation) {
      accum = ceil_int(local / max_atomic) - 1;
      if (num_replicas == 1 && local > init_batch_size_ + kEps) accum = std::max(accum, 1);
    }
    const int atomic = ceil_int(local / (accum + 1));
    const bool valid = min_atomic <= atomic && atomic <= max_atomic;
    const double value = valid ? goodput(num_nodes, num_replicas, atomic, accum) : 0.0;
    if (i == 0 || value > best.goodput) best = {atomic, accum, value};
  }
  return best;
}

double GoodputModel::speedup(int num_nodes, int num_replicas, const BatchLimits& limits) const {
  const double base = optimize(1, 1, limits).goodput;
  return base > 0 ? optimize(num_nodes, num_replicas, limits).goodput / base : 0.0;
}

}  // namespace dlsched::adaptive
