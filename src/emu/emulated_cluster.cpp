#include "emu/emulated_cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>

#include "core/error.h"
#include "emu/mpi_check.h"

namespace dlsched::emu {

namespace {

/// Every rank's host name, gathered to rank 0 in rank order (empty on other ranks).
std::vector<std::string> gather_hosts(MPI_Comm world, int rank, int size) {
  constexpr int HOST_CHARS = 256;
  char mine[HOST_CHARS] = {};
  std::strncpy(mine, mpi_host().c_str(), HOST_CHARS - 1);
  std::vector<char> all(rank == 0 ? static_cast<std::size_t>(size) * HOST_CHARS : 0);
  DLSCHED_MPI_CHECK(
      MPI_Gather(mine, HOST_CHARS, MPI_CHAR, all.data(), HOST_CHARS, MPI_CHAR, 0, world));
  std::vector<std::string> hosts;
  for (int r = 0; rank == 0 && r < size; ++r)
    hosts.emplace_back(all.data() + static_cast<std::size_t>(r) * HOST_CHARS);
  return hosts;
}

}  // namespace

std::optional<WorldRanks> join_world(MPI_Comm world, const char* command, const char* roles) {
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN));
  WorldRanks w;
  DLSCHED_MPI_CHECK(MPI_Comm_rank(world, &w.rank));
  DLSCHED_MPI_CHECK(MPI_Comm_size(world, &w.size));
  if (w.size >= 2) {
    w.hosts = gather_hosts(world, w.rank, w.size);
    return w;
  }
  if (w.rank == 0)
    std::cerr << "dlsched: error: " << command << " needs at least 2 MPI ranks (" << roles
              << "); start it with mpirun -np N+1\n";
  return std::nullopt;
}

std::string cluster_spec_from_hosts(const std::vector<std::string>& worker_hosts,
                                    const std::string& gpu_type) {
  std::string spec;
  for (std::size_t i = 0; i < worker_hosts.size();) {
    std::size_t j = i;
    while (j < worker_hosts.size() && worker_hosts[j] == worker_hosts[i]) ++j;
    if (!spec.empty()) spec += ',';
    spec += fmt::format("1x{}:{}", j - i, gpu_type);
    i = j;
  }
  return spec;
}

std::map<std::string, double> parse_slowdowns(const std::vector<std::string>& assignments) {
  std::map<std::string, double> out;
  for (const std::string& a : assignments) {
    const auto eq = a.find('=');
    double factor = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      try {
        std::size_t used = 0;
        factor = std::stod(a.substr(eq + 1), &used);
        ok = used == a.size() - eq - 1 && std::isfinite(factor) && factor > 0;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok)
      throw InputError(fmt::format("--slowdown '{}': expected TYPE=FACTOR with FACTOR > 0", a));
    out[a.substr(0, eq)] = factor;
  }
  return out;
}

std::vector<double> slowdown_factors(const ClusterSpec& cluster, const ModelCatalog& catalog,
                                     const std::map<std::string, double>& overrides) {
  const auto& types = cluster.gpu_types();
  for (const auto& [name, factor] : overrides)
    if (std::find(types.begin(), types.end(), name) == types.end())
      throw InputError(
          fmt::format("--slowdown {}={}: the cluster has no GPU type '{}'", name, factor, name));
  std::vector<double> sustained(types.size(), 0);
  double fastest = 0;
  for (std::size_t t = 0; t < types.size(); ++t) {
    const GpuTypeInfo* g = catalog.find_gpu_type(types[t]);
    sustained[t] = g ? g->peak_tflops * g->efficiency : 0;
    fastest = std::max(fastest, sustained[t]);
  }
  std::vector<double> out(types.size(), 1.0);
  for (std::size_t t = 0; t < types.size(); ++t) {
    if (const auto it = overrides.find(types[t]); it != overrides.end())
      out[t] = it->second;
    else if (sustained[t] > 0)
      out[t] = fastest / sustained[t];
  }
  return out;
}

std::vector<GpuRecord> emulated_cluster_records(const ClusterSpec& cluster,
                                                const std::vector<std::string>& worker_hosts) {
  std::vector<GpuRecord> rows;
  std::map<std::string, int> local;
  for (const Node& n : cluster.nodes())
    for (int d = 0; d < n.num_gpus; ++d) {
      const GpuId g = n.first_gpu + d;
      const std::string& host = worker_hosts.at(static_cast<std::size_t>(g));
      rows.push_back(GpuRecord{g, n.index, host, local[host]++, cluster.gpu_types()[n.gpu_type]});
    }
  return rows;
}

}  // namespace dlsched::emu
