// `dlsched report --adaptive`: each adaptive job's allocation and batch size over time, from
// the /adaptive rows of results files (simulate and emulate write the same ones).
#pragma once

#include <string>
#include <vector>

#include "analysis/report_format.h"
#include "io/hdf5_results.h"

namespace dlsched {

/// An /adaptive row with the names that make it readable.
struct AdaptiveTimelineRow {
  std::string file;
  std::string job_id;  ///< the trace's name, or "#index" for a job with no /jobs row
  std::string model;
  AdaptiveRecord row;
};

/// The /adaptive rows of `results`, by job then time; an InputError naming `path` if it has
/// none (a run without adaptive jobs).
std::vector<AdaptiveTimelineRow> adaptive_timeline(const ResultsFile& results,
                                                   const std::string& path);

/// Column names of the CSV header and the JSON objects, in order (docs/analysis.md).
const std::vector<std::string>& adaptive_timeline_columns();

/// Renders the rows: a table (a job's name once, at its first row), CSV or JSON at full
/// precision.
std::string format_adaptive_timeline(const std::vector<AdaptiveTimelineRow>& rows,
                                     ReportFormat format);

}  // namespace dlsched
