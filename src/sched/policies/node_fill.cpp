#include "sched/policies/node_fill.h"

#include <algorithm>

#include "core/error.h"

namespace dlsched {

std::vector<int> fill_most_free(std::vector<int>& free, int gpus) {
  std::vector<int> placed(free.size(), 0);
  while (gpus > 0) {
    const auto most = std::max_element(free.begin(), free.end()) - free.begin();
    DLSCHED_EXPECTS(free[most] > 0, "more GPUs asked for than are free");
    const int take = std::min(gpus, free[most]);
    placed[most] += take;
    free[most] -= take;
    gpus -= take;
  }
  return placed;
}

std::vector<int> node_capacity(const ClusterSpec& cluster) {
  std::vector<int> free;
  free.reserve(cluster.nodes().size());
  for (const Node& n : cluster.nodes()) free.push_back(n.num_gpus);
  return free;
}

std::vector<int> current_node_gpus(const JobView& job, std::size_t num_nodes) {
  if (job.adaptive && job.adaptive->node_gpus.size() == num_nodes) return job.adaptive->node_gpus;
  return std::vector<int>(num_nodes, 0);
}

}  // namespace dlsched
