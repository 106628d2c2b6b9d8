// The headline figures of a run, computed from its /jobs rows the same way for simulate,
// emulate and report, so the three print the same numbers for the same rows.
#pragma once

#include <cstddef>
#include <limits>
#include <vector>

#include "run/records.h"

namespace dlsched {

/// Headline figures of a finished run. JCT statistics, makespan and utilisation are NaN when
/// no job finished: a statistic of no values is undefined, never 0 (core/statistics.h).
struct RunSummary {
  std::size_t jobs = 0;
  std::size_t finished = 0;
  double avg_jct = 0;
  double p50_jct = 0;
  double p95_jct = 0;
  double p99_jct = 0;
  double makespan = 0;      ///< last finish - first submit
  double utilisation = 0;   ///< allocated GPU-seconds / (GPUs x makespan)
  long preemptions = 0;
  long rounds = 0;
  long policy_calls = 0;
};

/// Computes the summary from the job rows: the one definition of these figures, which
/// simulate and emulate print and `dlsched report` lists. A job's JCT is its finish - submit
/// (not the jct column, so that a file's report does not depend on how it was filled).
/// num_gpus is a double because report reads it from a file attribute.
RunSummary summarize_jobs(const std::vector<JobRecord>& jobs, double num_gpus);

/// summarize_jobs() one row at a time, keeping 8 bytes per finished job (its JCT, for the
/// percentiles) rather than the rows: a driver that streams its rows to a file need not hold
/// them. Rows added in the same order give exactly summarize_jobs()'s figures.
class RunSummaryBuilder {
 public:
  void add(const JobRecord& row);
  RunSummary summary(double num_gpus) const;

 private:
  std::size_t jobs_ = 0;
  long preemptions_ = 0;
  std::vector<double> jct_;  // of finished jobs
  double first_submit_ = std::numeric_limits<double>::infinity();
  double last_finish_ = -std::numeric_limits<double>::infinity();
  double gpu_seconds_ = 0;
};

}  // namespace dlsched
