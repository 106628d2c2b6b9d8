#include "run/cluster_records.h"

namespace dlsched {

std::vector<GpuRecord> cluster_records(const ClusterSpec& cluster) {
  std::vector<GpuRecord> rows;
  rows.reserve(cluster.num_gpus());
  for (const Node& n : cluster.nodes())
    for (int d = 0; d < n.num_gpus; ++d)
      rows.push_back(GpuRecord{n.first_gpu + d, n.index, n.name, d, cluster.gpu_types()[n.gpu_type]});
  return rows;
}

}  // namespace dlsched
