#include "sched/policy_state.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace dlsched {

void PolicyStateWriter::separate() {
  if (!text_.empty()) text_ += ' ';
}

PolicyStateWriter& PolicyStateWriter::put(double v) {
  separate();
  text_ += fmt::format("{}", v);
  return *this;
}

PolicyStateWriter& PolicyStateWriter::put_int(std::int64_t v) {
  separate();
  text_ += fmt::format("{}", v);
  return *this;
}

PolicyStateWriter& PolicyStateWriter::put_text(std::string_view v) {
  separate();
  text_ += fmt::format("{}:", v.size());
  text_ += v;
  return *this;
}

PolicyStateReader::PolicyStateReader(std::string_view policy, std::string_view text)
    : policy_(policy), text_(text) {}

void PolicyStateReader::fail(const std::string& what) const {
  throw Error(fmt::format("policy {}: saved state is damaged at byte {}: {}", policy_, at_, what));
}

std::string_view PolicyStateReader::next(const char* what) {
  while (at_ < text_.size() && text_[at_] == ' ') ++at_;
  if (at_ >= text_.size()) fail(fmt::format("expected {}, found the end", what));
  const std::size_t from = at_;
  while (at_ < text_.size() && text_[at_] != ' ') ++at_;
  return text_.substr(from, at_ - from);
}

double PolicyStateReader::get_double() {
  const std::string token(next("a number"));
  char* end = nullptr;
  const double v = std::strtod(token.c_str(), &end);
  if (token.empty() || *end != '\0') fail(fmt::format("'{}' is not a number", token));
  return v;
}

std::int64_t PolicyStateReader::get_int() {
  const std::string_view token = next("an integer");
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec != std::errc() || end != token.data() + token.size())
    fail(fmt::format("'{}' is not an integer", token));
  return v;
}

std::size_t PolicyStateReader::get_count(std::size_t limit) {
  const std::int64_t v = get_int();
  if (v < 0 || static_cast<std::uint64_t>(v) > limit)
    fail(fmt::format("count {} is not in [0, {}]", v, limit));
  return static_cast<std::size_t>(v);
}

std::string PolicyStateReader::get_text() {
  while (at_ < text_.size() && text_[at_] == ' ') ++at_;
  const std::size_t colon = text_.find(':', at_);
  if (colon == std::string_view::npos) fail("expected a length-prefixed text");
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(text_.data() + at_, text_.data() + colon, length);
  if (ec != std::errc() || end != text_.data() + colon || colon + 1 + length > text_.size())
    fail("bad text length");
  std::string v(text_.substr(colon + 1, length));
  at_ = colon + 1 + length;
  return v;
}

void PolicyStateReader::finish() const {
  std::size_t at = at_;
  while (at < text_.size() && text_[at] == ' ') ++at;
  if (at != text_.size()) fail("unexpected data after the state");
}

}  // namespace dlsched
