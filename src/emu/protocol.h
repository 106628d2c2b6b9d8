// The messages between the driver (rank 0) and the workers: typed, versioned, self-checking.
// Every message starts with a header (magic, version, type); a receiver that does not
// understand one throws ProtocolError, and a worker turns that into a FAILURE report to rank 0
// instead of waiting for something that will never come.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"

namespace dlsched::emu {

/// "DLSE" in the first four bytes of every message.
inline constexpr std::uint32_t PROTOCOL_MAGIC = 0x45534c44;
/// Bumped whenever a message's layout changes.
inline constexpr std::uint16_t PROTOCOL_VERSION = 2;

/// A message that is not one this build understands (wrong magic, version, type or length).
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// Message types on the wire.
enum class MessageType : std::uint16_t {
  ASSIGN = 1,    ///< driver -> member: run a job until its budget, the deadline or a STOP
  STOP = 2,      ///< driver -> job leader: stop the lease after the current iteration
  SHUTDOWN = 3,  ///< driver -> worker: the run is over
  RELEASE = 4,   ///< driver -> member: free the communicator of a rank set
  STARTED = 16,  ///< leader -> driver: every member is ready to iterate
  REPORT = 17,   ///< member -> driver: the lease ended; what was done
  FAILURE = 18,  ///< worker -> driver: something went wrong here; stop the run
};

/// How a worker spends the compute part of an iteration.
enum class ComputeMode : std::uint8_t {
  SLEEP = 0,   ///< hold the slot for the modelled compute time
  KERNEL = 1,  ///< run the backend's compute kernel
};

/// One iteration's work for one worker of a job.
struct IterationWork {
  ComputeMode mode = ComputeMode::SLEEP;
  double compute_seconds = 0;        ///< SLEEP: modelled compute time (slowdown included)
  double flops = 0;                  ///< KERNEL: floating-point operations per iteration
  double slowdown = 1;               ///< KERNEL: emulated GPU type runs this much slower
  std::uint64_t gradient_bytes = 0;  ///< allreduced every iteration
  std::uint64_t bucket_bytes = 0;    ///< allreduce granularity (DDP buckets)
  bool overlap = true;               ///< allreduce each bucket as the backward produces it
  double forward_fraction = 1.0 / 3.0;  ///< share of the compute before the backward
};

/// A lease: run `job` on `members` from now until the budget, the deadline or a STOP.
struct AssignMsg {
  std::uint64_t lease = 0;  ///< unique per assignment
  std::uint32_t job = 0;
  std::int64_t round = 0;             ///< round the lease belongs to
  std::vector<std::int32_t> members;  ///< world ranks, ascending; the first is the leader
  bool new_comm = false;              ///< true: build the communicator; false: it is cached
  double wait_seconds = 0;            ///< restore delay: wait this long before iterating
  double deadline_seconds = 0;        ///< round deadline, seconds after receipt (leader)
  std::int64_t budget_steps = 0;      ///< stop after this many iterations at the latest
  double iterations_before = 0;       ///< job progress when the lease starts (resume point)
  IterationWork work;
};

/// Ask a job's leader to stop a lease early.
struct StopMsg {
  std::uint64_t lease = 0;
};

/// The run is over; release communicators and leave.
struct ShutdownMsg {};

/// Free the communicator of `members` (every member gets this, at one point of the driver's
/// message order, so they finalize it together).
struct ReleaseMsg {
  std::vector<std::int32_t> members;  ///< world ranks, ascending
};

/// The job's members have their communicator and are about to iterate.
struct StartedMsg {
  std::uint64_t lease = 0;
};

/// Why a lease ended.
enum class StopReason : std::uint8_t { BUDGET = 0, DEADLINE = 1, REQUESTED = 2 };

/// What one member did during a lease.
struct ReportMsg {
  std::uint64_t lease = 0;
  std::uint32_t job = 0;
  double iterations_before = 0;  ///< echoed from the ASSIGN (where the job resumed)
  std::int64_t steps = 0;        ///< iterations completed (the same on every member)
  double seconds = 0;            ///< from the first iteration to the end of the last
  double compute_seconds = 0;
  double comm_seconds = 0;       ///< communication the compute did not hide (exposed)
  StopReason reason = StopReason::BUDGET;
  std::uint32_t communicators = 0;  ///< job communicators this member holds (this one included)
};

/// A worker could not go on; `what` says why.
struct FailureMsg {
  std::string what;
};

/// Any message.
using Message = std::variant<AssignMsg, StopMsg, ShutdownMsg, ReleaseMsg, StartedMsg, ReportMsg,
                             FailureMsg>;

/// The wire type of a message.
MessageType type_of(const Message& m);
/// A message type's name, or "unknown type N".
std::string to_string(MessageType t);

/// Serialises a message with its header.
std::vector<std::byte> encode(const Message& m);
/// Parses a message; throws ProtocolError if it is not one this build understands.
Message decode(std::span<const std::byte> bytes);
/// A header with an arbitrary type and no body (tests of the error path only).
std::vector<std::byte> encode_header_only(std::uint16_t type);

}  // namespace dlsched::emu
