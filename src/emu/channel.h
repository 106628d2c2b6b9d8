// Protocol messages over MPI: non-blocking sends, probe-and-sleep receives (no busy polling).
#pragma once

#include <mpi.h>

#include <cstddef>
#include <list>
#include <optional>
#include <vector>

#include "emu/protocol.h"

namespace dlsched::emu {

/// A received message before decoding, so a bad one can be answered with its sender known.
struct RawMessage {
  int source = -1;  ///< rank in the channel's communicator
  std::vector<std::byte> bytes;
};

/// Decodes a worker's message on rank 0; a ProtocolError names the rank that sent it.
Message decode_from_worker(const RawMessage& raw);

/// The control channel between the driver and the workers (one communicator, one tag).
class Channel {
 public:
  /// Uses `comm` (not owned) for every message; poll_seconds is the sleep between probes.
  Channel(MPI_Comm comm, double poll_seconds);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// Sends without blocking; the buffer lives until the send completes.
  void send(int dest, const Message& m);
  /// Sends bytes as they are (the test hook for malformed messages uses it).
  void send_raw(int dest, std::vector<std::byte> bytes);
  /// A message if one is waiting from `source` (MPI_ANY_SOURCE for any), else nothing.
  std::optional<RawMessage> try_receive(int source = MPI_ANY_SOURCE);
  /// Waits for a message from `source`, probing every poll_seconds and sleeping in between.
  RawMessage receive(int source = MPI_ANY_SOURCE);
  /// Completes finished sends (call now and then so buffers are released).
  void progress();
  /// Waits until every send has completed.
  void flush();

  /// The communicator messages travel on.
  MPI_Comm comm() const { return comm_; }
  /// Sleep between probes while waiting.
  double poll_seconds() const { return poll_seconds_; }

 private:
  struct Pending {
    std::vector<std::byte> bytes;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  MPI_Comm comm_;
  double poll_seconds_;
  std::list<Pending> pending_;
};

/// The tag of every control message.
inline constexpr int CONTROL_TAG = 7001;

}  // namespace dlsched::emu
