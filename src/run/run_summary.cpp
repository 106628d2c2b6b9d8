#include "run/run_summary.h"

#include <algorithm>
#include <limits>

#include "core/statistics.h"

namespace dlsched {

RunSummary summarize_jobs(const std::vector<JobRecord>& jobs, double num_gpus) {
  constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
  RunSummary s;
  s.jobs = jobs.size();
  std::vector<double> jct;
  constexpr double INF = std::numeric_limits<double>::infinity();
  double first_submit = INF, last_finish = -INF, gpu_seconds = 0;
  for (const JobRecord& r : jobs) {
    first_submit = std::min(first_submit, r.submit);
    gpu_seconds += r.gpu_seconds;
    s.preemptions += r.preemptions;
    if (r.status != 1) continue;
    ++s.finished;
    jct.push_back(r.finish - r.submit);
    last_finish = std::max(last_finish, r.finish);
  }
  s.avg_jct = mean(jct);
  s.p50_jct = percentile_linear(jct, 0.5);
  s.p95_jct = percentile_linear(jct, 0.95);
  s.p99_jct = percentile_linear(jct, 0.99);
  s.makespan = jct.empty() ? NaN : last_finish - first_submit;
  s.utilisation = s.makespan > 0 && num_gpus > 0 ? gpu_seconds / (num_gpus * s.makespan) : NaN;
  return s;
}

}  // namespace dlsched
