// A workload trace and the readers for the formats researchers already have.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/job.h"

namespace dlsched {

class ModelCatalog;

/// A loaded trace: jobs sorted by submit time (ties keep file order), indexed 0..N-1.
struct Trace {
  std::vector<JobSpec> jobs;
  std::string path;    ///< file it was read from
  std::string format;  ///< reader that parsed it ("dlsched", "tiresias", "gavel", "pollux", "philly")
  std::string sha256;  ///< hex SHA-256 of the file's bytes
};

/// Options that fill what a format leaves out.
struct TraceOptions {
  std::string format = "auto";        ///< reader name, or "auto" to detect from content
  std::string default_model = "ResNet-50";  ///< model for formats without one (Philly)
};

/// Reads a trace file. Throws InputError("file:line: ...") on the first bad row; nothing is
/// half-loaded. Jobs without iterations (Philly, Pollux) get them later from
/// resolve_iterations(), which needs the model catalog.
Trace read_trace(const std::string& path, const TraceOptions& options = {});

/// Names of the registered trace formats, in detection order.
std::vector<std::string> trace_formats();

/// Writes the canonical dlsched CSV:
/// job_id,submit_time,model,num_gpus,iterations,duration,user,priority
void write_canonical_csv(const Trace& trace, std::ostream& out);

/// Parses one format: lines of the file (without newline), file name for errors.
using TraceParser = std::function<std::vector<JobSpec>(const std::vector<std::string>& lines,
                                                        const std::string& file,
                                                        const TraceOptions& options)>;
/// Says whether the lines look like this format (used for detection).
using TraceDetector = std::function<bool(const std::vector<std::string>& lines)>;

/// Registers a format; readers call this from a static initializer in their own file.
bool register_trace_format(const std::string& name, TraceDetector detect, TraceParser parse);

}  // namespace dlsched
