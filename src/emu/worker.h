// The worker loop (ranks 1..N): wait for leases, run training-shaped iterations, report.
#pragma once

#include <deque>

#include "emu/backend.h"
#include "emu/channel.h"
#include "emu/comm_cache.h"
#include "emu/protocol.h"
#include "emu/wall_clock.h"

namespace dlsched::emu {

/// One worker rank. Serves one job at a time; waits without spinning between leases.
class Worker {
 public:
  /// control: the driver channel (driver = rank 0); data: parent of the job communicators.
  Worker(Channel& control, MPI_Comm data, Backend& backend);
  /// Serves leases until SHUTDOWN. A message it does not understand is reported to the
  /// driver as a FAILURE (the driver then ends the run) and the worker keeps listening.
  void run();

 private:
  void run_lease(const AssignMsg& a);
  /// Leader only: drains control messages during a lease; true if it was asked to stop.
  bool stop_requested(std::uint64_t lease);
  void report_failure(const std::string& what);

  Channel& control_;
  Backend& backend_;
  CommCache comms_;
  WallClock clock_;
  std::deque<RawMessage> held_;  // messages that arrived during a lease, for after it
};

}  // namespace dlsched::emu
