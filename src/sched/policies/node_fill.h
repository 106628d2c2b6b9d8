// Node-by-node placement shared by the baselines of Pollux's evaluation.
#pragma once

#include <span>
#include <vector>

#include "core/cluster.h"
#include "sched/policy.h"

namespace dlsched {

/// Places `gpus` GPUs on the node with the most free GPUs, then the next such node, until
/// placed (lowest index first among equals), as the baselines in Pollux's simulator do
/// (optimus.py and tiresias.py: collections.Counter.most_common over free GPUs). Takes them
/// from `free` (per node); returns GPUs per node. `gpus` must not exceed the free total.
std::vector<int> fill_most_free(std::vector<int>& free, int gpus);

/// Free GPUs per node of `cluster`.
std::vector<int> node_capacity(const ClusterSpec& cluster);

/// A job's current GPUs per node (all zero if it has none or is not adaptive).
std::vector<int> current_node_gpus(const JobView& job, std::size_t num_nodes);

}  // namespace dlsched
