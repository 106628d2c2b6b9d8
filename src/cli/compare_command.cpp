// dlsched compare: per-job JCT error of a measured run (emulate) against a reference run
// (simulate) of the same experiment, with a breakdown of where the difference comes from.
#include <iostream>

#include "analysis/compare.h"
#include "analysis/compare_format.h"
#include "analysis/results_checks.h"
#include "cli/compare.h"
#include "io/hdf5_results.h"

namespace dlsched::cli {
namespace {

struct CompareArgs {
  std::string sim_file;
  std::string emu_file;
  std::string format = "table";
  std::string csv_table = "summary";
  std::size_t worst = 10;
};

int run_compare(const CompareArgs& a) {
  const ReportFormat format = parse_report_format(a.format);
  // Both files are read and checked before anything is printed: a bad file or a mismatched
  // pair (InputError, exit code 2) leaves no half-written output.
  const ResultsFile sim = read_results(a.sim_file);
  const ResultsFile emu = read_results(a.emu_file);
  check_results_consistent(sim, a.sim_file);
  check_results_consistent(emu, a.emu_file);
  const Comparison c = compare_runs(sim, a.sim_file, emu, a.emu_file, a.worst);
  std::cout << format_comparison(
      c, format, a.csv_table == "jobs" ? CompareCsvTable::JOBS : CompareCsvTable::SUMMARY);
  return 0;
}

}  // namespace

CommandAction add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "compare a simulated and an emulated run of one experiment, job by job");
  cmd->add_option("sim", args->sim_file, "reference results file (usually from simulate)")
      ->required();
  cmd->add_option("emu", args->emu_file, "measured results file (usually from emulate)")
      ->required();
  cmd->add_option("--format", args->format, "output format")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->add_option("--csv-table", args->csv_table,
                  "with --format csv: one summary row, or one row per job")
      ->check(CLI::IsMember({"summary", "jobs"}))
      ->capture_default_str();
  cmd->add_option("--worst", args->worst, "how many jobs with the largest |error| to list")
      ->capture_default_str();
  return [cmd, args]() -> int {
    if (!cmd->parsed()) return -1;
    return run_compare(*args);
  };
}

}  // namespace dlsched::cli
