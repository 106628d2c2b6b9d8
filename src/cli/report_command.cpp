// dlsched report: one row of statistics per results file, or per group of runs.
#include <algorithm>
#include <iostream>

#include "analysis/adaptive_timeline.h"
#include "analysis/report_format.h"
#include "analysis/report_stats.h"
#include "analysis/results_checks.h"
#include "cli/report.h"
#include "core/csv.h"
#include "core/error.h"
#include "io/hdf5_results.h"

namespace dlsched::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> files;
  std::string format = "table";
  std::string group_by;  ///< comma-separated keys; empty: one row per file
  bool adaptive = false;  ///< each adaptive job's allocation and batch size over time instead
};

/// report --adaptive: the /adaptive rows of every file, job by job.
int run_adaptive_report(const ReportArgs& a, ReportFormat format) {
  if (!a.group_by.empty()) throw InputError("--group-by averages runs; --adaptive lists rows");
  std::vector<AdaptiveTimelineRow> rows;
  for (const std::string& file : a.files) {
    const ResultsFile results = read_results(file);
    check_results_consistent(results, file);
    for (AdaptiveTimelineRow& r : adaptive_timeline(results, file)) rows.push_back(std::move(r));
  }
  std::cout << format_adaptive_timeline(rows, format);
  return 0;
}

std::vector<std::string> split_keys(const std::string& text) {
  std::vector<std::string> keys;
  csv::split_plain(text, ',', keys);
  return keys;
}

int run_report(const ReportArgs& a) {
  const ReportFormat format = parse_report_format(a.format);
  if (a.adaptive) return run_adaptive_report(a, format);
  const std::vector<std::string> keys = a.group_by.empty() ? std::vector<std::string>{}
                                                           : split_keys(a.group_by);
  group_reports({}, keys);  // rejects an unknown key before any file is read
  // Every file is read before anything is printed: a bad file (read_results names it in an
  // InputError, exit code 2) leaves no half-written table behind.
  std::vector<RunReport> rows;
  for (const std::string& file : a.files) {
    const ResultsFile results = read_results(file);
    check_results_consistent(results, file);
    rows.push_back(report_run(results, file));
  }
  if (!keys.empty()) rows = group_reports(rows, keys);
  std::cout << format_report(rows, format);
  return 0;
}

}  // namespace

CommandAction add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "statistics of results files: JCT, makespan, utilisation, fairness, queueing");
  cmd->add_option("files", args->files, "results files (HDF5) written by simulate or emulate")
      ->required();
  cmd->add_option("--format", args->format, "output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  // A single string split here: a vector option would swallow the files that follow it.
  cmd->add_option("--group-by", args->group_by,
                  "average the runs that share these attributes, comma-separated (e.g. policy, "
                  "for several seeds; keys: mode, policy, trace, cluster, status)");
  cmd->add_flag("--adaptive", args->adaptive,
                "instead of statistics, each adaptive job's GPUs, nodes and batch size over time "
                "(runs under --mechanism pollux)");
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_report(*args);
  };
}

}  // namespace dlsched::cli
