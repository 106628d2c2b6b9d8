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

}  // namespace dlsched::emu
