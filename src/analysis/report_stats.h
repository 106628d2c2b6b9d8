// Post-hoc statistics of one results file (a row of `dlsched report`), and their means over
// groups of runs. Definitions are in docs/analysis.md; Python re-derives them from the tables.
#pragma once

#include <string>
#include <vector>

#include "io/hdf5_results.h"

namespace dlsched {

/// The figures of one run, or the mean over a group of runs. Times are in seconds of the
/// run's own clock (virtual time in simulate, wall time in emulate). A statistic with no
/// defined value (no finished job, no started job) is NaN.
struct RunReport {
  std::string file;     ///< results file (a group lists its files separated by ';')
  std::string mode;     ///< simulate | emulate (or "mixed" in a group)
  std::string policy;
  std::string trace;    ///< trace path as recorded by the run
  std::string cluster;
  std::string status;   ///< "complete", or "running" for a run that did not finish writing
  int runs = 1;         ///< runs averaged into this row
  double gpus = 0;      ///< GPUs of the cluster (root attribute "gpus")
  double jobs = 0;      ///< jobs of the run's trace (attribute "jobs"; else rows of /jobs)
  double finished = 0;  ///< jobs with status 1
  double unfinished = 0;  ///< jobs with status 0, or without a row in a run that did not
                          ///< complete (excluded from JCT and fairness figures)
  double avg_jct = 0;
  double p50_jct = 0;
  double p95_jct = 0;
  double p99_jct = 0;
  double makespan = 0;     ///< last finish - first submit
  double utilisation = 0;  ///< sum gpu_seconds / (gpus x makespan)
  double avg_rho = 0;      ///< mean of JCT / isolated_time (Themis' finish-time fairness)
  double max_rho = 0;
  double rho_over_1_1 = 0;  ///< share of finished jobs with rho > 1.1
  double preemptions = 0;   ///< sum over jobs
  double avg_queueing_delay = 0;  ///< mean first_start - submit over jobs that started
};


/// The figures of one run read back from `file`.
RunReport report_run(const ResultsFile& results, const std::string& file);

/// The metadata columns a report can be grouped by.
const std::vector<std::string>& report_group_keys();

/// Means of `rows` over the runs that share the values of `keys` (each one of
/// report_group_keys()), in order of first appearance. A text column that differs inside a
/// group reads "mixed". Throws InputError for an unknown key.
std::vector<RunReport> group_reports(const std::vector<RunReport>& rows,
                                     const std::vector<std::string>& keys);

}  // namespace dlsched
