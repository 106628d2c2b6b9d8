// Pollux's goodput: throughput (samples/s) times statistical efficiency, and the batch size
// that maximises it for an allocation.
#pragma once

#include <optional>

#include "core/adaptive/perf_params.h"

namespace dlsched::adaptive {

/// Gradient statistics at a point of training: the squared norm of the true gradient and the
/// variance of a per-sample gradient estimate, both as measured at the initial batch size.
struct GradStats {
  double sqr = 0;
  double var = 0;
};

/// Statistical efficiency of `batch_size` relative to `init_batch_size` (Pollux, section 3,
/// from McCandlish et al.'s gradient noise scale). With B_noise = init * var / sqr it is
///   (B_noise + init) / (B_noise + batch),
/// computed as the reference does: gain / scale, where scale = batch / init and
/// gain = (var + sqr) / (var / scale + sqr); a gain whose denominator is not positive counts
/// as 1.
double efficiency(const GradStats& grad, double init_batch_size, double batch_size);

/// Progress per step, in steps of the initial batch size: the gain (scale times efficiency).
double progress_gain(const GradStats& grad, double init_batch_size, double batch_size);

/// A way to run one optimiser step: atomic batch per replica and extra accumulated batches.
struct BatchConfig {
  int atomic_bsz = 0;
  int accum_steps = 0;
  double goodput = 0;  ///< samples/s times efficiency; 0 for a configuration out of range

  int batch_size(int num_replicas) const { return num_replicas * atomic_bsz * (accum_steps + 1); }
};

/// Limits the agent keeps to when it picks a batch size.
struct BatchLimits {
  double max_batch_size = 0;          ///< largest total batch (>= the initial batch size)
  int min_atomic_bsz = 1;             ///< smallest batch per replica and pass
  std::optional<int> max_atomic_bsz;  ///< largest batch per pass (memory); none: max_batch_size
  bool accumulation = true;           ///< may the agent accumulate gradients?
};

/// The goodput of a job whose throughput model and gradient statistics are known.
class GoodputModel {
 public:
  GoodputModel(const PerfParams& perf, const GradStats& grad, double init_batch_size);

  double throughput(int num_nodes, int num_replicas, int atomic_bsz, int accum_steps) const;
  double efficiency(double batch_size) const;
  /// throughput x efficiency; the total batch must be at least the initial batch size.
  double goodput(int num_nodes, int num_replicas, int atomic_bsz, int accum_steps) const;

  /// The agent's choice for an allocation (adaptdl goodput.py, GoodputFunction.optimize): 50
  /// total batch sizes spaced geometrically from max(init, min_atomic_bsz * replicas) to
  /// max_batch_size; each splits into replicas x (accum_steps + 1) atomic batches, with
  /// accum_steps = ceil(local / max_atomic) - 1 (at least 1 for a single replica above the
  /// initial batch size, whose gradient statistics need two batches) and
  /// atomic = ceil(local / (accum_steps + 1)); configurations outside the atomic range score 0;
  /// the first best wins. Without accumulation accum_steps is 0.
  BatchConfig optimize(int num_nodes, int num_replicas, const BatchLimits& limits) const;

  /// optimize(...).goodput divided by the goodput of one replica on one node.
  double speedup(int num_nodes, int num_replicas, const BatchLimits& limits) const;

  const PerfParams& perf() const { return perf_; }
  const GradStats& grad() const { return grad_; }
  double init_batch_size() const { return init_batch_size_; }

 private:
  PerfParams perf_;
  GradStats grad_;
  double init_batch_size_;
};

}  // namespace dlsched::adaptive
