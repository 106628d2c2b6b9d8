// Where each rank of a run lives (host and process id), so that rank 0 can tell a worker that
// died from one that is only slow or stuck behind a dead peer, wherever it can look: on its
// own host. Open MPI 4.1 tells the surviving ranks nothing when a peer dies.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace dlsched::emu {

/// Every rank's host and process id, known on rank 0.
struct RankProcesses {
  std::vector<std::string> hosts;  ///< by rank
  std::vector<long> pids;          ///< by rank

  /// True if `rank` ran on rank 0's host and its process has exited (no such process, or a
  /// zombie). False where it is alive or cannot be seen from here (another host).
  bool known_gone(int rank) const;
  /// "rank R on host H".
  std::string describe(int rank) const;
};

/// Gathers every rank's process id to rank 0 (collective over `world`); `hosts` is what
/// join_world gathered (rank 0), passed through. Other ranks get an empty value.
RankProcesses gather_rank_processes(MPI_Comm world, int rank, std::vector<std::string> hosts);

}  // namespace dlsched::emu
