// Which GPUs (worker ranks) an adaptive job's node allocation gets in emulate. The policy and
// the fleet (run/adaptive_fleet.h) only say how many GPUs a job has on each node; the emulator
// needs ranks. A job keeps the GPUs it holds where it can, so that an unchanged or grown
// allocation keeps most of its members, and new GPUs are the lowest free ones of the node.
#pragma once

#include <vector>

#include "core/cluster.h"
#include "core/job.h"

namespace dlsched::emu {

class AdaptiveGpus {
 public:
  AdaptiveGpus(const ClusterSpec& cluster, std::size_t jobs);

  /// The GPUs `job` holds, ascending.
  const std::vector<GpuId>& of(JobId job) const { return held_[job]; }
  /// Frees every GPU of `job`.
  void release(JobId job);
  /// Gives `job` node_gpus[n] GPUs on each node n: first the ones it holds there, then the
  /// lowest free ones. Its other GPUs are freed first. Every other job's GPUs must already be
  /// what they will be, or freed (release). Throws InvariantError if a node lacks free GPUs.
  void assign(JobId job, const std::vector<int>& node_gpus);

 private:
  const ClusterSpec& cluster_;
  std::vector<std::vector<GpuId>> held_;  // by job
  std::vector<long> owner_;               // by GPU: the job holding it, -1 if free
};

}  // namespace dlsched::emu
