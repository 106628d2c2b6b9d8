// What `dlsched profile` measures: for each model, GPU type, worker count and placement, the
// GPUs a measurement runs on. Pure functions of the cluster, so the plan is unit-tested.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"

namespace dlsched::emu {

/// How a measurement's workers sit on the nodes of one GPU type.
enum class Placement {
  PACKED,  ///< on as few nodes as possible (largest nodes first)
  SPREAD,  ///< one worker per node in turn, over every node of the type
};
/// "packed" or "spread".
const char* to_string(Placement p);

/// One measurement: a profiled subject (index into the caller's list) on concrete GPUs.
struct ProfileCase {
  std::size_t subject = 0;
  int gpu_type = 0;  ///< index into ClusterSpec::gpu_types
  int workers = 1;
  Placement placement = Placement::PACKED;
  std::vector<GpuId> gpus;  ///< ascending; worker rank = GPU + 1
  int nodes = 1;            ///< distinct nodes the GPUs span
};

/// Parses --workers "1,2,4": positive integers, ascending order not required, no duplicates;
/// anything else is an InputError naming the flag.
std::vector<int> parse_worker_counts(const std::string& text);

/// 1, 2, 4, ... up to `largest` (the default of --workers).
std::vector<int> powers_of_two_up_to(int largest);

/// GPUs of type `gpu_type` for `workers` workers placed as `placement`; empty if the type has
/// fewer GPUs.
std::vector<GpuId> place_workers(const ClusterSpec& cluster, int gpu_type, int workers,
                                 Placement placement);

/// Every measurement, subject by subject, then GPU type, worker count (ascending), packed
/// before spread. A count is skipped on a type with fewer GPUs; SPREAD only where it spans
/// more nodes than PACKED (otherwise it is the same shape). A count no type can host is an
/// InputError.
std::vector<ProfileCase> plan_profile(const ClusterSpec& cluster, std::size_t subjects,
                                      const std::vector<int>& worker_counts);

}  // namespace dlsched::emu
