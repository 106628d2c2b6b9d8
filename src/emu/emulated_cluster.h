// The cluster an emulation runs on: worker ranks grouped into nodes, emulated GPU types and
// their slowdown factors.
#pragma once

#include <mpi.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_catalog.h"
#include "run/records.h"

namespace dlsched::emu {

/// This rank, the size of `world` and (rank 0) every rank's host name, for a run of rank 0 plus
/// workers, with MPI errors on `world` returned to the caller (and thrown by DLSCHED_MPI_CHECK)
/// instead of aborting. Collective over `world`. With fewer than 2 ranks, rank 0 prints how to
/// start `command` (`roles` says what the ranks do) and every rank gets nothing: the run ends
/// with an input error.
struct WorldRanks {
  int rank = 0;
  int size = 0;
  /// Rank 0: MPI_Get_processor_name of every rank, in rank order. Other ranks: empty.
  std::vector<std::string> hosts;
};
std::optional<WorldRanks> join_world(MPI_Comm world, const char* command, const char* roles);

/// A cluster shorthand with one node per run of consecutive worker ranks on the same host,
/// e.g. hosts {a,a,b,b,b} -> "1x2:v100,1x3:v100". Worker rank r serves global GPU r-1.
std::string cluster_spec_from_hosts(const std::vector<std::string>& worker_hosts,
                                    const std::string& gpu_type);

/// Parses --slowdown values "type=factor" (factor >= 1 is slower); InputError otherwise.
std::map<std::string, double> parse_slowdowns(const std::vector<std::string>& assignments);

/// Slowdown per GPU type of `cluster` (by type index), relative to its fastest type: the
/// override where given, else the catalog's sustained-speed ratio (peak x efficiency).
std::vector<double> slowdown_factors(const ClusterSpec& cluster, const ModelCatalog& catalog,
                                     const std::map<std::string, double>& overrides);

/// The /cluster rows of an emulation: the modelled GPUs with the real host of each worker
/// rank and its index among the workers on that host.
std::vector<GpuRecord> emulated_cluster_records(const ClusterSpec& cluster,
                                                const std::vector<std::string>& worker_hosts);

}  // namespace dlsched::emu
