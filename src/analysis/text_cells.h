// Cell formatting shared by the tables and CSV of `dlsched report` and `dlsched compare`, so
// the two commands print durations, shares and fields the same way.
#pragma once

#include <string>

namespace dlsched {

/// A duration with a unit chosen for its size (s under two minutes, m under two hours, else h),
/// so hours-long and seconds-long runs both read; `digits` decimals for seconds. "-" if not finite.
std::string human_duration(double seconds, int digits = 1);
/// 0.123 -> "12.3%"; "-" if not finite.
std::string percent(double share);
/// 0.123 -> "+12.3%"; "-" if not finite.
std::string signed_percent(double share);
/// Fixed-point with `digits` decimals; "-" if not finite.
std::string fixed(double value, int digits);
/// Shortest text that reads back to the same double; empty for NaN (pandas reads it as NaN).
std::string csv_number(double value);
/// The file name of a path, or the path itself when it has none.
std::string base_name(const std::string& path);

}  // namespace dlsched
