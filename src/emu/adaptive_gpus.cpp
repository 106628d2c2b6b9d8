#include "emu/adaptive_gpus.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace dlsched::emu {

AdaptiveGpus::AdaptiveGpus(const ClusterSpec& cluster, std::size_t jobs)
    : cluster_(cluster), held_(jobs), owner_(cluster.num_gpus(), -1) {}

void AdaptiveGpus::release(JobId job) {
  for (GpuId g : held_[job]) owner_[g] = -1;
  held_[job].clear();
}

void AdaptiveGpus::assign(JobId job, const std::vector<int>& node_gpus) {
  DLSCHED_EXPECTS(node_gpus.size() == cluster_.nodes().size(), "one GPU count per node");
  const std::vector<GpuId> before = held_[job];
  release(job);
  std::vector<GpuId> now;
  for (const Node& node : cluster_.nodes()) {
    int want = node_gpus[node.index];
    const GpuId first = node.first_gpu, end = node.first_gpu + node.num_gpus;
    // The GPUs it held on this node first, then the lowest free ones.
    for (GpuId g : before)
      if (want > 0 && g >= first && g < end && owner_[g] < 0) {
        owner_[g] = static_cast<long>(job);
        now.push_back(g);
        --want;
      }
    for (GpuId g = first; g < end && want > 0; ++g)
      if (owner_[g] < 0) {
        owner_[g] = static_cast<long>(job);
        now.push_back(g);
        --want;
      }
    if (want > 0)
      throw InvariantError(fmt::format("node {} has too few free GPUs for job {}'s {}",
                                       node.index, job, node_gpus[node.index]));
  }
  std::sort(now.begin(), now.end());
  held_[job] = std::move(now);
}

}  // namespace dlsched::emu
