#include "run/run_summary.h"

#include <algorithm>
#include <limits>

#include "core/statistics.h"

namespace dlsched {

void RunSummaryBuilder::add(const JobRecord& r) {
  ++jobs_;
  first_submit_ = std::min(first_submit_, r.submit);
  gpu_seconds_ += r.gpu_seconds;
  preemptions_ += r.preemptions;
  if (r.status != 1) return;
  jct_.push_back(r.finish - r.submit);
  last_finish_ = std::max(last_finish_, r.finish);
}

RunSummary RunSummaryBuilder::summary(double num_gpus) const {
  constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
  RunSummary s;
  s.jobs = jobs_;
  s.finished = jct_.size();
  s.preemptions = preemptions_;
  s.avg_jct = mean(jct_);
  s.p50_jct = percentile_linear(jct_, 0.5);
  s.p95_jct = percentile_linear(jct_, 0.95);
  s.p99_jct = percentile_linear(jct_, 0.99);
  s.makespan = jct_.empty() ? NaN : last_finish_ - first_submit_;
  s.utilisation = s.makespan > 0 && num_gpus > 0 ? gpu_seconds_ / (num_gpus * s.makespan) : NaN;
  return s;
}

RunSummary summarize_jobs(const std::vector<JobRecord>& jobs, double num_gpus) {
  RunSummaryBuilder b;
  for (const JobRecord& r : jobs) b.add(r);
  return b.summary(num_gpus);
}

}  // namespace dlsched
