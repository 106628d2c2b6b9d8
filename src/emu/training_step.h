// One data-parallel training iteration as a worker runs it: the forward pass, then the
// backward in one chunk per gradient bucket (core/step_model.h gives the buckets), each
// bucket's allreduce started as soon as its chunk is done and the previous bucket's allreduce
// is over (one communication stream, as DDP's), the step over when both are done. With overlap
// off, the allreduces follow the whole backward. The leader's stop flag rides one element past
// the last bucket, decided once the backward is done.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "emu/protocol.h"

namespace dlsched::emu {

/// What one iteration computes and communicates, in the order it happens.
struct StepPlan {
  ComputeMode mode = ComputeMode::SLEEP;
  double forward = 0;                     ///< FLOPs (kernel) or seconds (sleep)
  std::vector<double> backward;           ///< per bucket, same unit, in production order
  std::vector<std::size_t> bucket_elems;  ///< floats per bucket, in production order
  double slowdown = 1;                    ///< kernel: each chunk takes this much longer
  bool overlap = true;

  /// Gradient floats in all buckets (the flag sits at this index).
  std::size_t gradient_elems() const;
};

/// The plan of an iteration of `work`: buckets from core/step_model.h's layout; the FLOPs (or
/// seconds) split into forward and backward by the work's forward fraction, the backward
/// shared among the buckets in proportion to their bytes.
StepPlan plan_step(const IterationWork& work);

/// How one iteration went on one member; times in seconds since the iteration began.
struct StepTiming {
  double seconds = 0;          ///< the whole iteration
  double compute_seconds = 0;  ///< forward + backward (emulated slowdown included)
  /// Time the allreduces ran, summed over buckets, each from its start (its chunk done and
  /// the previous bucket's allreduce over) to its end; overlapped or not.
  double comm_seconds = 0;
  double backward_begin = 0;
  double backward_end = 0;
  std::vector<double> bucket_starts;  ///< when each bucket's allreduce began
  float flag_sum = 0;                 ///< the stop flag summed over the members

  /// Communication the backward did not hide: the iteration less its compute.
  double exposed_comm_seconds() const;
};

/// Decides the stop flag; called once per iteration, when the backward is done.
using DecideFlag = std::function<float()>;

}  // namespace dlsched::emu
