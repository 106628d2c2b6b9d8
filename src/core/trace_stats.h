// Summary numbers of a trace, for `dlsched trace stats` and for sanity checks.
#pragma once

#include <map>
#include <string>

#include "core/trace.h"

namespace dlsched {

/// What a trace asks of a cluster, in aggregate.
struct TraceStats {
  long jobs = 0;                          ///< number of jobs
  long total_gpu_demand = 0;              ///< sum of num_gpus over all jobs
  std::map<int, long> gpu_histogram;      ///< num_gpus -> number of jobs
  double first_submit = 0;                ///< earliest submit time (s)
  double last_submit = 0;                 ///< latest submit time (s)
  double arrival_span = 0;                ///< last_submit - first_submit (s)
  double total_iterations = 0;            ///< sum of iterations (0 where still unknown)
  long jobs_with_iterations = 0;          ///< jobs whose iterations are known (> 0)
  double total_duration_gpu_seconds = 0;  ///< sum of duration x num_gpus over jobs with one
  long jobs_with_duration = 0;            ///< jobs whose trace gives a duration
  std::map<std::string, long> model_histogram;  ///< model -> number of jobs
};

/// Computes the summary of a loaded trace.
TraceStats summarize(const Trace& trace);

/// Human-readable multi-line text of the summary (ends with a newline).
std::string format_stats(const TraceStats& stats);

}  // namespace dlsched
