// Renderings of report rows: an aligned table for people, CSV and JSON for programs.
#pragma once

#include <string>
#include <vector>

#include "analysis/report_stats.h"

namespace dlsched {

/// The output formats of `dlsched report`.
enum class ReportFormat { TABLE, CSV, JSON };

/// Parses "table", "csv" or "json"; throws InputError otherwise.
ReportFormat parse_report_format(const std::string& name);

/// Column names of the CSV header and the JSON objects, in order (docs/analysis.md).
const std::vector<std::string>& report_columns();

/// Renders `rows`. CSV and JSON carry every column in seconds at full precision, an undefined
/// value as an empty field or null; the table rounds, picks time units and shows only the
/// metadata that differs between rows (the rest goes in a caption line above it).
std::string format_report(const std::vector<RunReport>& rows, ReportFormat format);

}  // namespace dlsched
