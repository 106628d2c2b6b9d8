// What a policy remembers between calls, as text for a checkpoint (Policy::save_state).
// Numbers are written in their shortest form that reads back to the same value, so a restored
// policy computes bit for bit what the uninterrupted one would have.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dlsched {

/// Appends space-separated tokens.
class PolicyStateWriter {
 public:
  PolicyStateWriter& put(double v);
  /// Any integer (bool as 0 or 1).
  template <std::integral T>
  PolicyStateWriter& put(T v) {
    return put_int(static_cast<std::int64_t>(v));
  }
  /// A word without spaces (a model name, a tag); written as its length and its bytes.
  PolicyStateWriter& put_text(std::string_view v);
  /// The text so far.
  const std::string& str() const { return text_; }

 private:
  PolicyStateWriter& put_int(std::int64_t v);
  void separate();
  std::string text_;
};

/// Reads what a PolicyStateWriter wrote, in the same order; throws Error naming the policy and
/// the token on anything else.
class PolicyStateReader {
 public:
  PolicyStateReader(std::string_view policy, std::string_view text);
  double get_double();
  std::int64_t get_int();
  /// A count: a non-negative integer at most `limit` (guards allocations on damaged input).
  std::size_t get_count(std::size_t limit);
  bool get_bool() { return get_int() != 0; }
  std::string get_text();
  /// Throws unless every token was read.
  void finish() const;

 private:
  std::string_view next(const char* what);
  [[noreturn]] void fail(const std::string& what) const;
  std::string policy_;
  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace dlsched
