// Renderings of a Comparison: a table for people, CSV and JSON for programs.
#pragma once

#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/report_format.h"

namespace dlsched {

/// What a CSV rendering holds: one summary row, or one row per job.
enum class CompareCsvTable { SUMMARY, JOBS };

/// Column names of the summary CSV row and the JSON "summary" object, in order.
const std::vector<std::string>& compare_summary_columns();
/// Column names of the per-job CSV rows and the JSON "jobs" objects, in order.
const std::vector<std::string>& compare_job_columns();

/// Renders `c`. TABLE: the summary, the error breakdown, the worst jobs and the unfinished
/// ones. CSV: `csv_table` (full precision, undefined values empty). JSON: one object with
/// "experiment", "summary", "breakdown", "worst", "unfinished" and "jobs".
std::string format_comparison(const Comparison& c, ReportFormat format,
                              CompareCsvTable csv_table = CompareCsvTable::SUMMARY);

}  // namespace dlsched
