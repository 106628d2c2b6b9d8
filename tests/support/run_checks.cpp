#include "support/run_checks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace dlsched::test {

void expect_run_invariants(const Experiment& ex, const MemorySink& rows) {
  const auto& jobs = ex.trace.jobs;
  std::vector<int> seen(jobs.size(), 0);
  for (const JobRecord& r : rows.jobs) {
    ASSERT_LT(r.job, jobs.size());
    ++seen[r.job];
    const JobSpec& spec = jobs[r.job];
    EXPECT_EQ(r.status, 1) << "job " << spec.id << " unfinished";
    EXPECT_DOUBLE_EQ(r.iterations_done, spec.iterations) << "job " << spec.id;
    EXPECT_GE(r.first_start, spec.submit_time) << "job " << spec.id << " started before arriving";
    EXPECT_GE(r.jct, r.isolated_time * (1 - 1e-9)) << "job " << spec.id << " beat its isolated time";
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) EXPECT_EQ(seen[j], 1) << "job " << jobs[j].id;

  std::vector<long> owner(ex.cluster.num_gpus(), -1);
  std::map<JobId, int> held;
  double last_time = -1;
  for (const AllocationRecord& a : rows.allocations) {
    ASSERT_GE(a.time, last_time) << "allocation rows out of time order";
    last_time = a.time;
    ASSERT_GE(a.gpu, 0);
    ASSERT_LT(a.gpu, ex.cluster.num_gpus());
    EXPECT_EQ(a.node, ex.cluster.node_of(a.gpu));
    if (a.event == 1) {
      ASSERT_EQ(owner[a.gpu], -1) << "GPU " << a.gpu << " double-booked at t=" << a.time;
      EXPECT_GE(a.time, jobs[a.job].submit_time);
      owner[a.gpu] = a.job;
      ++held[a.job];
    } else {
      ASSERT_EQ(owner[a.gpu], static_cast<long>(a.job)) << "GPU " << a.gpu << " freed by a non-owner";
      owner[a.gpu] = -1;
      --held[a.job];
    }
  }
  for (long o : owner) EXPECT_EQ(o, -1) << "a GPU is still held at the end";

  std::vector<double> work(jobs.size(), 0);
  for (const ProgressRecord& p : rows.progress_rows) work[p.job] += p.iterations;
  for (std::size_t j = 0; j < jobs.size(); ++j)
    EXPECT_NEAR(work[j], jobs[j].iterations, 1e-6 * jobs[j].iterations + 1e-9) << "job " << jobs[j].id;
}

}  // namespace dlsched::test
