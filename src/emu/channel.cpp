#include "emu/channel.h"

#include <fmt/format.h>

#include "emu/mpi_check.h"
#include "emu/wall_clock.h"

namespace dlsched::emu {

Message decode_from_worker(const RawMessage& raw) {
  try {
    return decode(raw.bytes);
  } catch (const ProtocolError& e) {
    throw ProtocolError(
        fmt::format("rank {} sent a message rank 0 cannot read: {}", raw.source, e.what()));
  }
}

Channel::Channel(MPI_Comm comm, double poll_seconds) : comm_(comm), poll_seconds_(poll_seconds) {}

Channel::~Channel() {
  // Sends still pending at destruction belong to a run that is being torn down after an
  // error; cancelling them keeps MPI_Finalize from waiting on a peer that will not receive.
  for (Pending& p : pending_)
    if (p.request != MPI_REQUEST_NULL) {
      MPI_Cancel(&p.request);
      MPI_Request_free(&p.request);
    }
}

void Channel::send(int dest, const Message& m) { send_raw(dest, encode(m)); }

void Channel::send_raw(int dest, std::vector<std::byte> bytes) {
  progress();
  Pending& p = pending_.emplace_back();
  p.bytes = std::move(bytes);
  DLSCHED_MPI_CHECK(MPI_Isend(p.bytes.data(), static_cast<int>(p.bytes.size()), MPI_BYTE, dest,
                              CONTROL_TAG, comm_, &p.request));
}

std::optional<RawMessage> Channel::try_receive(int source) {
  int flag = 0;
  MPI_Status status;
  DLSCHED_MPI_CHECK(MPI_Iprobe(source, CONTROL_TAG, comm_, &flag, &status));
  if (!flag) return std::nullopt;
  int count = 0;
  DLSCHED_MPI_CHECK(MPI_Get_count(&status, MPI_BYTE, &count));
  RawMessage m;
  m.source = status.MPI_SOURCE;
  m.bytes.resize(static_cast<std::size_t>(count));
  DLSCHED_MPI_CHECK(MPI_Recv(m.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, CONTROL_TAG, comm_,
                             MPI_STATUS_IGNORE));
  return m;
}

RawMessage Channel::receive(int source) {
  for (;;) {
    if (auto m = try_receive(source)) return std::move(*m);
    progress();
    sleep_seconds(poll_seconds_);
  }
}

void Channel::progress() {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    DLSCHED_MPI_CHECK(MPI_Test(&it->request, &done, MPI_STATUS_IGNORE));
    it = done ? pending_.erase(it) : std::next(it);
  }
}

void Channel::flush() {
  while (!pending_.empty()) {
    progress();
    if (!pending_.empty()) sleep_seconds(poll_seconds_);
  }
}

}  // namespace dlsched::emu
