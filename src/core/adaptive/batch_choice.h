// The batch size Pollux's agent runs a job at on a given allocation.
#pragma once

#include <optional>

#include "core/adaptive/goodput.h"

namespace dlsched::adaptive {

/// An application's batch-size limits.
struct ApplicationLimits {
  int init_batch_size = 1;  ///< batch size the job starts at (and efficiency is relative to)
  int max_batch_size = 1;   ///< largest total batch size
  int min_local_bsz = 1;    ///< smallest batch per GPU
  int max_local_bsz = 1;    ///< largest batch per GPU and pass (GPU memory)
};

/// The atomic batch and accumulation steps of a job on `num_replicas` GPUs over `num_nodes`
/// nodes, as Pollux's simulator sets them (simulator.py, Job.update_local_bsz):
/// - a job with a fixed total batch size splits it over the replicas, accumulating when the
///   local batch exceeds max_local_bsz (and at least once on a single replica above the
///   initial batch size, whose gradient statistics need two batches);
/// - an adaptive job without a throughput model yet runs at max(init, min_local * replicas);
/// - otherwise the agent takes the goodput-optimal configuration (GoodputModel::optimize with
///   the application's limits and accumulation allowed).
/// Finally the atomic batch is cut so that the total stays within max_batch_size.
/// The returned goodput is that of `model` where one was used, else 0.
BatchConfig choose_batch(const ApplicationLimits& limits, int num_nodes, int num_replicas,
                         std::optional<int> fixed_batch_size, const GoodputModel* model);

}  // namespace dlsched::adaptive
