// What the checker programs run after an MPI test (emu_check_results, emu_check_profile) use to
// report: every failed expectation is printed and counted, and the exit code says whether any was.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace dlsched::check {

inline int failures = 0;

/// Prints "FAIL: what" and counts it unless `ok`.
inline void expect(bool ok, const std::string& what) {
  if (ok) return;
  ++failures;
  fmt::print(stderr, "FAIL: {}\n", what);
}

/// Equal up to rounding: a relative 1e-9 (absolute for values under 1).
inline bool close_to(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

/// The checker's exit code: 0 when every expectation held.
inline int exit_code() { return failures == 0 ? 0 : 1; }

}  // namespace dlsched::check
