// Pollux/AdaptDL testbed workloads (petuum/adaptdl, benchmark/workloads/*.csv):
// name,time,application,num_replicas,batch_size.
#include <string>
#include <vector>

#include "core/csv.h"
#include "core/error.h"
#include "core/trace.h"

namespace dlsched {
namespace {

constexpr const char* kFormat = "pollux";
constexpr const char* kExpected = "name,time,application,num_replicas,batch_size";

bool detect(const std::vector<std::string>& lines) {
  const std::size_t first = csv::first_content_line(lines);
  return first < lines.size() &&
         csv::header_has(lines[first], {"name", "time", "application", "num_replicas"});
}

std::vector<JobSpec> parse(const std::vector<std::string>& lines, const std::string& file,
                           const TraceOptions& /*options*/) {
  const csv::HeaderedFile table(lines, file, kFormat, kExpected);
  const std::size_t c_name = table.require("name");
  const std::size_t c_time = table.require("time");
  const std::size_t c_app = table.require("application");
  const std::size_t c_replicas = table.require("num_replicas");
  const auto c_batch = table.find("batch_size");

  std::vector<JobSpec> jobs;
  jobs.reserve(lines.size());
  table.for_each_row([&](const std::vector<std::string>& f, long line) {
    JobSpec job;
    job.source_line = line;
    job.id = csv::require_text(f[c_name], {file, line, "name"});
    job.submit_time = csv::parse_non_negative(f[c_time], {file, line, "time"});
    job.model = csv::require_text(f[c_app], {file, line, "application"});
    job.num_gpus = csv::parse_positive_int(f[c_replicas], {file, line, "num_replicas"});
    // The global batch size; Pollux adapts it, so it is the starting point, not a constant.
    if (c_batch && !csv::is_blank(f[*c_batch]))
      job.batch_size = csv::parse_positive_int(f[*c_batch], {file, line, "batch_size"});
    // Iterations stay 0: Pollux jobs run a fixed number of epochs, which the model catalog
    // turns into iterations (resolve_iterations).
    jobs.push_back(std::move(job));
  });
  return jobs;
}

[[maybe_unused]] const bool registered = register_trace_format(kFormat, detect, parse);

}  // namespace
}  // namespace dlsched
