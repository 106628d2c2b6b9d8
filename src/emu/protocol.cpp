#include "emu/protocol.h"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

namespace dlsched::emu {
namespace {

/// Appends plain values to a byte buffer.
class Writer {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put(static_cast<std::uint32_t>(s.size()));
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    bytes_.insert(bytes_.end(), p, p + s.size());
  }
  void put_ranks(const std::vector<std::int32_t>& v) {
    put(static_cast<std::uint32_t>(v.size()));
    for (std::int32_t x : v) put(x);
  }
  std::vector<std::byte> take() { return std::move(bytes_); }

 private:
  std::vector<std::byte> bytes_;
};

/// Reads plain values back, refusing to read past the end.
class Reader {
 public:
  Reader(std::span<const std::byte> bytes, MessageType type) : bytes_(bytes), type_(type) {}
  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint32_t>();
    need(n);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::vector<std::int32_t> get_ranks() {
    const auto n = get<std::uint32_t>();
    need(static_cast<std::size_t>(n) * sizeof(std::int32_t));
    std::vector<std::int32_t> v(n);
    for (auto& x : v) x = get<std::int32_t>();
    return v;
  }
  void expect_end() const {
    if (pos_ != bytes_.size())
      throw ProtocolError(
          fmt::format("{} message has {} trailing bytes", to_string(type_), bytes_.size() - pos_));
  }

 private:
  void need(std::size_t n) const {
    if (bytes_.size() - pos_ < n)
      throw ProtocolError(
          fmt::format("{} message is truncated ({} bytes)", to_string(type_), bytes_.size()));
  }
  std::span<const std::byte> bytes_;
  MessageType type_;
  std::size_t pos_ = 0;
};

void put_header(Writer& w, MessageType t) {
  w.put(PROTOCOL_MAGIC);
  w.put(PROTOCOL_VERSION);
  w.put(static_cast<std::uint16_t>(t));
}

void put_body(Writer& w, const AssignMsg& m) {
  w.put(m.lease);
  w.put(m.job);
  w.put(m.round);
  w.put_ranks(m.members);
  w.put(static_cast<std::uint8_t>(m.new_comm));
  w.put(m.wait_seconds);
  w.put(m.deadline_seconds);
  w.put(m.budget_steps);
  w.put(m.iterations_before);
  w.put(static_cast<std::uint8_t>(m.work.mode));
  w.put(m.work.compute_seconds);
  w.put(m.work.flops);
  w.put(m.work.slowdown);
  w.put(m.work.gradient_bytes);
  w.put(m.work.bucket_bytes);
  w.put(static_cast<std::uint8_t>(m.work.overlap));
  w.put(m.work.forward_fraction);
}
void put_body(Writer& w, const StopMsg& m) { w.put(m.lease); }
void put_body(Writer&, const ShutdownMsg&) {}
void put_body(Writer& w, const ReleaseMsg& m) { w.put_ranks(m.members); }
void put_body(Writer& w, const StartedMsg& m) { w.put(m.lease); }
void put_body(Writer& w, const ReportMsg& m) {
  w.put(m.lease);
  w.put(m.job);
  w.put(m.iterations_before);
  w.put(m.steps);
  w.put(m.seconds);
  w.put(m.compute_seconds);
  w.put(m.comm_seconds);
  w.put(static_cast<std::uint8_t>(m.reason));
  w.put(m.communicators);
}
void put_body(Writer& w, const FailureMsg& m) { w.put_string(m.what); }

AssignMsg get_assign(Reader& r) {
  AssignMsg m;
  m.lease = r.get<std::uint64_t>();
  m.job = r.get<std::uint32_t>();
  m.round = r.get<std::int64_t>();
  m.members = r.get_ranks();
  m.new_comm = r.get<std::uint8_t>() != 0;
  m.wait_seconds = r.get<double>();
  m.deadline_seconds = r.get<double>();
  m.budget_steps = r.get<std::int64_t>();
  m.iterations_before = r.get<double>();
  const auto mode = r.get<std::uint8_t>();
  if (mode > static_cast<std::uint8_t>(ComputeMode::KERNEL))
    throw ProtocolError(fmt::format("ASSIGN message has unknown compute mode {}", mode));
  m.work.mode = static_cast<ComputeMode>(mode);
  m.work.compute_seconds = r.get<double>();
  m.work.flops = r.get<double>();
  m.work.slowdown = r.get<double>();
  m.work.gradient_bytes = r.get<std::uint64_t>();
  m.work.bucket_bytes = r.get<std::uint64_t>();
  m.work.overlap = r.get<std::uint8_t>() != 0;
  m.work.forward_fraction = r.get<double>();
  if (!(m.work.forward_fraction >= 0 && m.work.forward_fraction < 1))
    throw ProtocolError(fmt::format("ASSIGN message has forward fraction {}, not in [0, 1)",
                                    m.work.forward_fraction));
  if (m.members.empty()) throw ProtocolError("ASSIGN message names no members");
  return m;
}

ReportMsg get_report(Reader& r) {
  ReportMsg m;
  m.lease = r.get<std::uint64_t>();
  m.job = r.get<std::uint32_t>();
  m.iterations_before = r.get<double>();
  m.steps = r.get<std::int64_t>();
  m.seconds = r.get<double>();
  m.compute_seconds = r.get<double>();
  m.comm_seconds = r.get<double>();
  const auto reason = r.get<std::uint8_t>();
  if (reason > static_cast<std::uint8_t>(StopReason::REQUESTED))
    throw ProtocolError(fmt::format("REPORT message has unknown stop reason {}", reason));
  m.reason = static_cast<StopReason>(reason);
  m.communicators = r.get<std::uint32_t>();
  return m;
}

}  // namespace

MessageType type_of(const Message& m) {
  return std::visit(
      [](const auto& v) -> MessageType {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AssignMsg>) return MessageType::ASSIGN;
        if constexpr (std::is_same_v<T, StopMsg>) return MessageType::STOP;
        if constexpr (std::is_same_v<T, ShutdownMsg>) return MessageType::SHUTDOWN;
        if constexpr (std::is_same_v<T, ReleaseMsg>) return MessageType::RELEASE;
        if constexpr (std::is_same_v<T, StartedMsg>) return MessageType::STARTED;
        if constexpr (std::is_same_v<T, ReportMsg>) return MessageType::REPORT;
        if constexpr (std::is_same_v<T, FailureMsg>) return MessageType::FAILURE;
      },
      m);
}

std::string to_string(MessageType t) {
  switch (t) {
    case MessageType::ASSIGN:
      return "ASSIGN";
    case MessageType::STOP:
      return "STOP";
    case MessageType::SHUTDOWN:
      return "SHUTDOWN";
    case MessageType::RELEASE:
      return "RELEASE";
    case MessageType::STARTED:
      return "STARTED";
    case MessageType::REPORT:
      return "REPORT";
    case MessageType::FAILURE:
      return "FAILURE";
  }
  return fmt::format("unknown type {}", static_cast<unsigned>(t));
}

std::vector<std::byte> encode(const Message& m) {
  Writer w;
  put_header(w, type_of(m));
  std::visit([&](const auto& v) { put_body(w, v); }, m);
  return w.take();
}

std::vector<std::byte> encode_header_only(std::uint16_t type) {
  Writer w;
  w.put(PROTOCOL_MAGIC);
  w.put(PROTOCOL_VERSION);
  w.put(type);
  return w.take();
}

Message decode(std::span<const std::byte> bytes) {
  constexpr std::size_t header = sizeof(std::uint32_t) + 2 * sizeof(std::uint16_t);
  if (bytes.size() < header)
    throw ProtocolError(fmt::format("message of {} bytes is shorter than a header", bytes.size()));
  std::uint32_t magic;
  std::uint16_t version, raw_type;
  std::memcpy(&magic, bytes.data(), sizeof magic);
  std::memcpy(&version, bytes.data() + 4, sizeof version);
  std::memcpy(&raw_type, bytes.data() + 6, sizeof raw_type);
  if (magic != PROTOCOL_MAGIC)
    throw ProtocolError(
        fmt::format("message does not start with the dlsched magic (0x{:08x})", magic));
  if (version != PROTOCOL_VERSION)
    throw ProtocolError(fmt::format("message has protocol version {}, this build speaks {}",
                                    version, PROTOCOL_VERSION));
  const auto type = static_cast<MessageType>(raw_type);
  Reader r(bytes.subspan(header), type);
  Message m;
  switch (type) {
    case MessageType::ASSIGN:
      m = get_assign(r);
      break;
    case MessageType::STOP:
      m = StopMsg{r.get<std::uint64_t>()};
      break;
    case MessageType::SHUTDOWN:
      m = ShutdownMsg{};
      break;
    case MessageType::RELEASE:
      m = ReleaseMsg{r.get_ranks()};
      if (std::get<ReleaseMsg>(m).members.empty())
        throw ProtocolError("RELEASE message names no members");
      break;
    case MessageType::STARTED:
      m = StartedMsg{r.get<std::uint64_t>()};
      break;
    case MessageType::REPORT:
      m = get_report(r);
      break;
    case MessageType::FAILURE:
      m = FailureMsg{r.get_string()};
      break;
    default:
      throw ProtocolError(
          fmt::format("unknown message type {} (protocol version {})", raw_type, PROTOCOL_VERSION));
  }
  r.expect_end();
  return m;
}

}  // namespace dlsched::emu
