// Philly-derived job list (petuum/adaptdl, simulator/traces/philly.csv):
// timestamp,duration,num_gpus,gpu_time,cluster. The trace has no job names and no models.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"

namespace dlsched {
namespace {

constexpr const char* kFormat = "philly";
constexpr const char* kExpected = "timestamp,duration,num_gpus,gpu_time,cluster";

// Reads `count` decimal digits at `pos`.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// "YYYY-MM-DD HH:MM:SS" (or with 'T'), taken as UTC, to seconds since the Unix epoch.
// Parsed by hand: std::get_time goes through a locale and a stream per call, far too slow
// for 82k rows, and timegm is not in ISO C++.
std::optional<std::int64_t> parse_timestamp(std::string_view text) {
  text = csv::trim(text);
  if (text.size() != 19) return std::nullopt;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool shape_ok = read_digits(text, 0, 4, year) && text[4] == '-' &&
                        read_digits(text, 5, 2, month) && text[7] == '-' &&
                        read_digits(text, 8, 2, day) && (text[10] == ' ' || text[10] == 'T') &&
                        read_digits(text, 11, 2, hour) && text[13] == ':' &&
                        read_digits(text, 14, 2, minute) && text[16] == ':' &&
                        read_digits(text, 17, 2, second);
  if (!shape_ok) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

bool detect(const std::vector<std::string>& lines) {
  const std::size_t first = csv::first_content_line(lines);
  return first < lines.size() &&
         csv::header_has(lines[first], {"timestamp", "duration", "num_gpus"});
}

std::vector<JobSpec> parse(const std::vector<std::string>& lines, const std::string& file,
                           const TraceOptions& options) {
  const csv::HeaderedFile table(lines, file, kFormat, kExpected);
  const std::size_t c_time = table.require("timestamp");
  const std::size_t c_duration = table.require("duration");
  const std::size_t c_gpus = table.require("num_gpus");
  const auto c_cluster = table.find("cluster");
  // gpu_time is num_gpus x duration and adds nothing.

  const long first_row_line = static_cast<long>(table.header_index()) + 2;
  std::vector<JobSpec> jobs;
  std::vector<std::int64_t> stamps;
  jobs.reserve(lines.size());
  stamps.reserve(lines.size());
  table.for_each_row([&](const std::vector<std::string>& f, long line) {
    const auto stamp = parse_timestamp(f[c_time]);
    if (!stamp) csv::fail({file, line, "timestamp"}, "a time like 2017-10-09 07:01:55", f[c_time]);
    stamps.push_back(*stamp);
    JobSpec job;
    job.source_line = line;
    // No names in the trace: the 0-based row position after the header identifies a job.
    job.id = std::to_string(line - first_row_line);
    job.duration = csv::parse_non_negative(f[c_duration], {file, line, "duration"});
    job.num_gpus = csv::parse_positive_int(f[c_gpus], {file, line, "num_gpus"});
    job.model = options.default_model;
    // The virtual cluster stands in for the owner: it is the tenant that fairness
    // policies share GPUs between.
    if (c_cluster) job.user = csv::trim(f[*c_cluster]);
    // Iterations stay 0; they are derived later from the duration.
    jobs.push_back(std::move(job));
  });
  if (jobs.empty()) return jobs;
  // Rows are not in time order; times count from the earliest submission in the file.
  const std::int64_t start = *std::min_element(stamps.begin(), stamps.end());
  for (std::size_t i = 0; i < jobs.size(); ++i)
    jobs[i].submit_time = static_cast<double>(stamps[i] - start);
  return jobs;
}

[[maybe_unused]] const bool registered = register_trace_format(kFormat, detect, parse);

}  // namespace
}  // namespace dlsched
