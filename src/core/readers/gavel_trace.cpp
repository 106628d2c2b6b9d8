// Gavel traces (stanford-futuredata/gavel, scheduler/traces/): tab-separated, no header,
// one job per line, fields as Gavel's scheduler/utils.py parse_trace unpacks them:
//   10 fields: job_type, command, working_directory, num_steps_arg, needs_data_dir,
//              total_steps, scale_factor, priority_weight, SLO, arrival_time
//   12 fields (a later variant): the same with `mode` after scale_factor and `duration`
//              before arrival_time.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"

namespace dlsched {
namespace {

constexpr const char* kFormat = "gavel";

// Positions of the fields dlsched uses, per variant.
struct Layout {
  std::size_t total_steps, scale_factor, priority_weight, slo, arrival_time;
  std::optional<std::size_t> duration;
};
constexpr Layout kTenFields{5, 6, 7, 8, 9, std::nullopt};
constexpr Layout kTwelveFields{5, 6, 8, 9, 11, 10};

std::size_t count_fields(const std::string& line) {
  return static_cast<std::size_t>(std::count(line.begin(), line.end(), '\t')) + 1;
}

bool detect(const std::vector<std::string>& lines) {
  const std::size_t first = csv::first_content_line(lines);
  if (first == lines.size()) return false;
  const std::size_t n = count_fields(lines[first]);
  return n == 10 || n == 12;
}

std::vector<JobSpec> parse(const std::vector<std::string>& lines, const std::string& file,
                           const TraceOptions& /*options*/) {
  std::vector<JobSpec> jobs;
  jobs.reserve(lines.size());
  std::vector<std::string> f;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (csv::is_blank(lines[i])) continue;
    const long line = static_cast<long>(i) + 1;
    csv::split_plain(lines[i], '\t', f);
    if (f.size() != 10 && f.size() != 12)
      throw InputError(file, line,
                       "expected 10 or 12 tab-separated fields (Gavel trace), got " +
                           std::to_string(f.size()));
    const Layout& at = f.size() == 10 ? kTenFields : kTwelveFields;
    JobSpec job;
    job.source_line = line;
    // Gavel numbers jobs by their order in the file.
    job.id = std::to_string(line - 1);
    // The job type ("ResNet-18 (batch size 32)") is the key of Gavel's throughput table, so
    // it is kept as written but for blanks at its ends (spaces, tabs, '\r'), which every
    // reader drops from names: the canonical CSV would drop them on reading back, and no
    // throughput table key has them.
    job.model = csv::require_text(f[0], {file, line, "job_type"});
    job.iterations = csv::parse_non_negative(f[at.total_steps], {file, line, "total_steps"});
    job.num_gpus = csv::parse_positive_int(f[at.scale_factor], {file, line, "scale_factor"});
    job.priority = csv::parse_positive(f[at.priority_weight], {file, line, "priority_weight"});
    // The SLO (-1 = none) is not used, but checking it catches a shifted column.
    csv::parse_number(f[at.slo], {file, line, "SLO"});
    job.submit_time = csv::parse_non_negative(f[at.arrival_time], {file, line, "arrival_time"});
    if (at.duration) {
      const std::string_view text = csv::trim(f[*at.duration]);
      // Python writes an unknown duration as None.
      if (text != "None")
        job.duration = csv::parse_optional_non_negative(text, {file, line, "duration"});
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

[[maybe_unused]] const bool registered = register_trace_format(kFormat, detect, parse);

}  // namespace
}  // namespace dlsched
