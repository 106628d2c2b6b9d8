// dlsched report: one row of statistics per results file, or per group of runs.
#include <iostream>

#include "cli/report.h"
#include "io/hdf5_results.h"
#include "io/report_format.h"
#include "io/report_stats.h"

namespace dlsched::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> files;
  std::string format = "table";
  std::vector<std::string> group_by;
};

int run_report(const ReportArgs& a) {
  const ReportFormat format = parse_report_format(a.format);
  // Every file is read before anything is printed: a bad file (read_results names it in an
  // InputError, exit code 2) leaves no half-written table behind.
  std::vector<RunReport> rows;
  for (const std::string& file : a.files) rows.push_back(report_run(read_results(file), file));
  if (!a.group_by.empty()) rows = group_reports(rows, a.group_by);
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
  cmd->add_option("--group-by", args->group_by,
                  "average the runs that share these attributes (e.g. policy, for several seeds)")
      ->delimiter(',')
      ->check(CLI::IsMember(report_group_keys()));
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_report(*args);
  };
}

}  // namespace dlsched::cli
