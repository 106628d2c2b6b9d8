// The /cluster table rows of a modelled cluster.
#pragma once

#include <vector>

#include "core/cluster.h"
#include "run/records.h"

namespace dlsched {

/// One row per GPU: global id, node, host name, device index on its node, type.
std::vector<GpuRecord> cluster_records(const ClusterSpec& cluster);

}  // namespace dlsched
