// Tiresias's simulator trace (SymbioticLab/Tiresias, simulator/*.csv):
// job_id,num_gpu,submit_time,iterations,model_name,duration,interval.
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"

namespace dlsched {
namespace {

constexpr const char* kFormat = "tiresias";
constexpr const char* kExpected =
    "job_id,num_gpu,submit_time,iterations,model_name,duration,interval";

bool detect(const std::vector<std::string>& lines) {
  const std::size_t first = csv::first_content_line(lines);
  return first < lines.size() &&
         csv::header_has(lines[first], {"job_id", "num_gpu", "submit_time", "iterations",
                                        "model_name", "duration"});
}

std::vector<JobSpec> parse(const std::vector<std::string>& lines, const std::string& file,
                           const TraceOptions& /*options*/) {
  const csv::HeaderedFile table(lines, file, kFormat, kExpected);
  const std::size_t c_id = table.require("job_id");
  const std::size_t c_gpus = table.require("num_gpu");
  const std::size_t c_submit = table.require("submit_time");
  const std::size_t c_iterations = table.require("iterations");
  const std::size_t c_model = table.require("model_name");
  const std::size_t c_duration = table.require("duration");
  // `interval` (gap to the next submission) is redundant with submit_time and is ignored.

  std::vector<JobSpec> jobs;
  jobs.reserve(lines.size());
  table.for_each_row([&](const std::vector<std::string>& f, long line) {
    JobSpec job;
    job.source_line = line;
    job.id = csv::require_text(f[c_id], {file, line, "job_id"});
    job.num_gpus = csv::parse_positive_int(f[c_gpus], {file, line, "num_gpu"});
    job.submit_time = csv::parse_non_negative(f[c_submit], {file, line, "submit_time"});
    job.iterations = csv::parse_non_negative(f[c_iterations], {file, line, "iterations"});
    job.model = csv::require_text(f[c_model], {file, line, "model_name"});
    // Tiresias's duration is the job's isolated run time in seconds.
    job.duration = csv::parse_non_negative(f[c_duration], {file, line, "duration"});
    jobs.push_back(std::move(job));
  });
  return jobs;
}

[[maybe_unused]] const bool registered = register_trace_format(kFormat, detect, parse);

}  // namespace
}  // namespace dlsched
