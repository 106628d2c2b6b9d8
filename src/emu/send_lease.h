// Dispatching a lease: the communicator work it needs first, then the ASSIGN to each member.
// The driver and the profiler both start leases this way, so their workers' caches stay in
// step with the registry.
#pragma once

#include "emu/channel.h"
#include "emu/comm_cache.h"
#include "emu/protocol.h"

namespace dlsched::emu {

/// Plans `a`'s communicator with `comms` (sets a.new_comm), sends RELEASE to every member of
/// each cached rank set that shares a rank with a.members, then sends `a` to its members.
/// Each worker handles its messages in order, so every member of a freed set meets the others
/// in its teardown before any of them builds or uses the next one.
void send_lease(Channel& channel, CommRegistry& comms, AssignMsg& a);

}  // namespace dlsched::emu
