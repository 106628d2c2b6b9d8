#include "support/run_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

  // A GPU serves one job at a time, or two packed ones with a co-location entry for the pair.
  std::vector<std::vector<JobId>> owners(ex.cluster.num_gpus());
  double last_time = -1;
  for (const AllocationRecord& a : rows.allocations) {
    ASSERT_GE(a.time, last_time) << "allocation rows out of time order";
    last_time = a.time;
    ASSERT_GE(a.gpu, 0);
    ASSERT_LT(a.gpu, ex.cluster.num_gpus());
    EXPECT_EQ(a.node, ex.cluster.node_of(a.gpu));
    auto& on = owners[a.gpu];
    if (a.event == 1) {
      EXPECT_GE(a.time, jobs[a.job].submit_time);
      if (!on.empty()) {
        ASSERT_EQ(on.size(), 1u) << "GPU " << a.gpu << " serves three jobs at t=" << a.time;
        const JobId other = on.front();
        const int gpus = jobs[a.job].num_gpus;
        const PlacementShape shape{ex.cluster.type_of(a.gpu), gpus, 1};
        ASSERT_TRUE(ex.throughput->colocated_progress_rate(a.job, other, shape) &&
                    ex.throughput->colocated_progress_rate(other, a.job, shape))
            << "GPU " << a.gpu << " double-booked at t=" << a.time << " by jobs " << other
            << " and " << a.job << " without a co-location entry";
      }
      on.push_back(a.job);
    } else {
      const auto it = std::find(on.begin(), on.end(), a.job);
      ASSERT_NE(it, on.end()) << "GPU " << a.gpu << " freed by a non-owner";
      on.erase(it);
    }
  }
  for (const auto& on : owners) EXPECT_TRUE(on.empty()) << "a GPU is still held at the end";

  std::vector<double> work(jobs.size(), 0);
  for (const ProgressRecord& p : rows.progress_rows) work[p.job] += p.iterations;
  for (std::size_t j = 0; j < jobs.size(); ++j)
    EXPECT_NEAR(work[j], jobs[j].iterations, 1e-6 * jobs[j].iterations + 1e-9) << "job " << jobs[j].id;
}

}  // namespace dlsched::test
