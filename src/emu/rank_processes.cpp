#include "emu/rank_processes.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "emu/mpi_check.h"

namespace dlsched::emu {

bool RankProcesses::known_gone(int rank) const {
  const auto r = static_cast<std::size_t>(rank);
  if (r >= pids.size() || r >= hosts.size() || hosts.empty() || hosts[r] != hosts[0])
    return false;
  // /proc/PID/stat is "PID (COMM) STATE ...": COMM may hold spaces and parentheses, so the
  // state follows the last ')'. A killed rank stays a zombie until its launcher reaps it.
  std::ifstream in(fmt::format("/proc/{}/stat", pids[r]));
  if (!in) return true;
  std::stringstream text;
  text << in.rdbuf();
  const std::string stat = text.str();
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state == 'Z' || state == 'X';
}

std::string RankProcesses::describe(int rank) const {
  const auto r = static_cast<std::size_t>(rank);
  return r < hosts.size() ? fmt::format("rank {} on host {}", rank, hosts[r])
                          : fmt::format("rank {}", rank);
}

RankProcesses gather_rank_processes(MPI_Comm world, int rank, std::vector<std::string> hosts) {
  int size = 0;
  DLSCHED_MPI_CHECK(MPI_Comm_size(world, &size));
  long mine = static_cast<long>(getpid());
  RankProcesses p;
  if (rank == 0) p.pids.resize(static_cast<std::size_t>(size));
  DLSCHED_MPI_CHECK(MPI_Gather(&mine, 1, MPI_LONG, p.pids.data(), 1, MPI_LONG, 0, world));
  if (rank == 0) p.hosts = std::move(hosts);
  return p;
}

}  // namespace dlsched::emu
