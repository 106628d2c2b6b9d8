// The canonical dlsched trace: a CSV whose header names the columns, in any order.
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"

namespace dlsched {
namespace {

constexpr const char* kFormat = "dlsched";
constexpr const char* kExpected =
    "job_id,submit_time,model,num_gpus,iterations[,duration][,user][,priority][,batch_size]";

bool detect(const std::vector<std::string>& lines) {
  const std::size_t first = csv::first_content_line(lines);
  return first < lines.size() &&
         csv::header_has(lines[first], {"job_id", "submit_time", "model", "num_gpus", "iterations"});
}

std::vector<JobSpec> parse(const std::vector<std::string>& lines, const std::string& file,
                           const TraceOptions& /*options*/) {
  const csv::HeaderedFile table(lines, file, kFormat, kExpected);
  const std::size_t c_id = table.require("job_id");
  const std::size_t c_submit = table.require("submit_time");
  const std::size_t c_model = table.require("model");
  const std::size_t c_gpus = table.require("num_gpus");
  const std::size_t c_iterations = table.require("iterations");
  const auto c_duration = table.find("duration");
  const auto c_user = table.find("user");
  const auto c_priority = table.find("priority");
  const auto c_batch = table.find("batch_size");

  std::vector<JobSpec> jobs;
  jobs.reserve(lines.size());
  table.for_each_row([&](const std::vector<std::string>& f, long line) {
    JobSpec job;
    job.source_line = line;
    job.id = csv::require_text(f[c_id], {file, line, "job_id"});
    job.submit_time = csv::parse_non_negative(f[c_submit], {file, line, "submit_time"});
    job.model = csv::require_text(f[c_model], {file, line, "model"});
    job.num_gpus = csv::parse_positive_int(f[c_gpus], {file, line, "num_gpus"});
    if (c_duration)
      job.duration = csv::parse_optional_non_negative(f[*c_duration], {file, line, "duration"});
    // Iterations may be left out when the duration says how long the job runs; they are
    // then derived from the duration and the throughput model.
    const auto iterations =
        csv::parse_optional_non_negative(f[c_iterations], {file, line, "iterations"});
    if (!iterations && !job.duration)
      csv::fail({file, line, "iterations"}, "a non-negative number (or a duration)",
                f[c_iterations]);
    job.iterations = iterations.value_or(0);
    if (c_user) job.user = csv::trim(f[*c_user]);
    if (c_priority && !csv::is_blank(f[*c_priority]))
      job.priority = csv::parse_positive(f[*c_priority], {file, line, "priority"});
    if (c_batch && !csv::is_blank(f[*c_batch]))
      job.batch_size = csv::parse_positive_int(f[*c_batch], {file, line, "batch_size"});
    jobs.push_back(std::move(job));
  });
  return jobs;
}

[[maybe_unused]] const bool registered = register_trace_format(kFormat, detect, parse);

}  // namespace
}  // namespace dlsched
