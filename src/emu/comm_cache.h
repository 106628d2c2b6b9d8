// Job communicators kept by rank set, so an unchanged placement reuses its communicator.
// The driver decides when one is built (AssignMsg::new_comm) and when one is freed (RELEASE),
// and mirrors the set of cached rank sets, so every member of a set always agrees on whether it
// exists.
//
// A communicator is freed as soon as a lease needs one of its ranks for another rank set: the
// job it served has left those ranks. Cached sets are therefore disjoint and each worker holds
// one communicator at most, which bounds the GPU memory NCCL keeps per communicator. A job that
// stops and later resumes on exactly the same ranks (time-slicing, a lease per round) still
// reuses its communicator, and so does a new job placed on a freed-up set unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "emu/backend.h"

namespace dlsched::emu {

/// A worker's communicators, keyed by the members' world ranks.
class CommCache {
 public:
  CommCache(Backend& backend, MPI_Comm parent) : backend_(backend), parent_(parent) {}
  /// The communicator of `members`: built now (collective over them) if `build`, else the
  /// cached one; a missing one is a ProtocolError (driver and worker disagree).
  JobCommunicator& get(const std::vector<int>& members, bool build);
  /// Finalizes and destroys the communicator of `members` (every member calls this at the same
  /// point of its message order); a missing one is a ProtocolError.
  void release(const std::vector<int>& members);
  /// Frees every communicator (before MPI_Finalize).
  void clear() { comms_.clear(); }
  /// Communicators held.
  std::size_t size() const { return comms_.size(); }

 private:
  Backend& backend_;
  MPI_Comm parent_;
  std::map<std::vector<int>, std::unique_ptr<JobCommunicator>> comms_;
};

/// What must happen to communicators before a lease starts.
struct CommPlan {
  bool build = false;                     ///< the lease's rank set has none yet: build it
  std::vector<std::vector<int>> release;  ///< cached sets sharing a rank with it: free first
};

/// Communicators made, reused and freed over a run.
struct CommCounts {
  std::uint64_t built = 0;
  std::uint64_t reused = 0;
  std::uint64_t released = 0;
  /// The most communicators one worker said it held at the end of a lease (its REPORTs); the
  /// registry leaves this to whoever reads the reports.
  std::uint32_t most_held_by_a_worker = 0;
};

/// The driver's mirror of every worker's cache.
class CommRegistry {
 public:
  /// Plans a lease on `members` (ascending) and records its outcome: reuse the set's
  /// communicator, or free every cached set that shares a rank with it and build a new one.
  CommPlan plan_lease(const std::vector<int>& members);
  /// Rank sets with a communicator.
  std::size_t size() const { return cached_.size(); }
  const CommCounts& counts() const { return counts_; }

 private:
  std::set<std::vector<int>> cached_;
  std::map<int, std::vector<int>> set_of_rank_;  // cached sets are disjoint: one per rank
  CommCounts counts_;
};

}  // namespace dlsched::emu
