#include "emu/comm_cache.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "emu/protocol.h"

namespace dlsched::emu {

JobCommunicator& CommCache::get(const std::vector<int>& members, bool build) {
  if (build) {
    // A rebuild of a known set (driver restarted its registry) replaces the old one.
    auto comm = backend_.connect(parent_, members);
    auto& slot = comms_[members];
    slot = std::move(comm);
    return *slot;
  }
  const auto it = comms_.find(members);
  if (it == comms_.end())
    throw ProtocolError(
        fmt::format("ASSIGN reuses a communicator for ranks [{}] that was never built",
                    fmt::join(members, ",")));
  return *it->second;
}

void CommCache::release(const std::vector<int>& members) {
  const auto it = comms_.find(members);
  if (it == comms_.end())
    throw ProtocolError(fmt::format("RELEASE of a communicator for ranks [{}] that was never built",
                                    fmt::join(members, ",")));
  comms_.erase(it);  // the communicator's destructor finalizes, then destroys it
}

CommPlan CommRegistry::plan_lease(const std::vector<int>& members) {
  CommPlan plan;
  if (cached_.count(members)) {
    ++counts_.reused;
    return plan;
  }
  for (int rank : members) {
    const auto it = set_of_rank_.find(rank);
    if (it == set_of_rank_.end()) continue;
    const std::vector<int> old = it->second;  // copied: erasing below invalidates `it`
    for (int r : old) set_of_rank_.erase(r);
    cached_.erase(old);
    plan.release.push_back(old);
    ++counts_.released;
  }
  cached_.insert(members);
  for (int rank : members) set_of_rank_[rank] = members;
  plan.build = true;
  ++counts_.built;
  return plan;
}

}  // namespace dlsched::emu
