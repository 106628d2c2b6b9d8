// Job communicators kept by rank set, so an unchanged placement reuses its communicator.
// The driver decides when one is built (AssignMsg::new_comm) and mirrors the set of built
// rank sets, so every member of a set always agrees on whether it exists.
#pragma once

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
  /// Frees every communicator (before MPI_Finalize).
  void clear() { comms_.clear(); }
  /// Communicators held.
  std::size_t size() const { return comms_.size(); }

 private:
  Backend& backend_;
  MPI_Comm parent_;
  std::map<std::vector<int>, std::unique_ptr<JobCommunicator>> comms_;
};

/// The driver's mirror of every worker's cache.
class CommRegistry {
 public:
  /// Records that `members` will have a communicator; true if it must be built now.
  bool needs_build(const std::vector<int>& members) { return built_.insert(members).second; }
  /// Rank sets with a communicator.
  std::size_t size() const { return built_.size(); }

 private:
  std::set<std::vector<int>> built_;
};

}  // namespace dlsched::emu
