// dlsched report on files whose tables contradict each other or that a killed run left: the
// figures must not be computed from them silently.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "io/hdf5_results.h"
#include "support/job_records.h"
#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

RunAttributes attributes(const std::string& jobs) {
  return {{"mode", "simulate"}, {"policy", "las"}, {"trace", "x.csv"}, {"cluster", "1x4 v100"},
          {"gpus", "4"},        {"jobs", jobs}};
}

/// Writes `rows` as a complete run of `jobs` jobs (or, with complete = false, as a run
/// killed after its last flush) and returns the path.
std::string write_run(const std::string& name, const std::vector<JobRecord>& rows,
                      const std::string& jobs, bool complete = true) {
  const std::string path = test::scratch_dir() + "/" + name;
  Hdf5ResultsWriter writer(path, attributes(jobs));
  for (const JobRecord& j : rows) writer.job(j);
  if (complete) writer.close();
  else writer.flush();  // destroyed without close: status stays "running"
  return path;
}

void expect_refused(const std::string& path, const std::string& expected) {
  std::string out;
  EXPECT_EQ(test::run_dlsched("report " + path, out), 2) << out;
  EXPECT_NE(out.find(path + ": inconsistent results file: " + expected), std::string::npos) << out;
}

TEST(ReportConsistency, DuplicatedJobRowsAreRefused) {
  const JobRecord a = test::job_record(0, 0, 0, 100, 100);
  expect_refused(write_run("dup.h5", {a, test::job_record(1, 0, 0, 50, 50), a}, "3"),
                 "/jobs row 2: job index 0 (j0) appears twice");
}

TEST(ReportConsistency, NonFiniteTimesAndUnknownStatusAreRefused) {
  JobRecord nan = test::job_record(0, 0, 0, 100, 100);
  nan.finish = std::numeric_limits<double>::quiet_NaN();
  expect_refused(write_run("nan.h5", {nan}, "1"), "/jobs row 0: finish is nan");
  JobRecord odd = test::job_record(0, 0, 0, 100, 100);
  odd.status = 7;
  expect_refused(write_run("status.h5", {odd}, "1"), "/jobs row 0: status 7 (expected 0 or 1)");
}

TEST(ReportConsistency, CountsThatDisagreeAreRefused) {
  expect_refused(write_run("beyond.h5", {test::job_record(5, 0, 0, 10, 10)}, "2", false),
                 "/jobs row 0: job index 5 is beyond the run's 2 jobs");
  expect_refused(write_run("empty.h5", {}, "60"), "a complete run of 60 jobs has 0 job rows");
}

TEST(ReportConsistency, AKilledRunIsReportedIncompleteWithEveryMissingJobUnfinished) {
  const std::string path =
      write_run("killed.h5", {test::job_record(0, 0, 0, 100, 100)}, "60", /*complete=*/false);
  std::string out;
  ASSERT_EQ(test::run_dlsched("report --format csv " + path, out), 0) << out;
  EXPECT_NE(out.find(",running,"), std::string::npos) << out;
  ASSERT_EQ(test::run_dlsched("report " + path, out), 0) << out;
  EXPECT_NE(out.find("the run is incomplete (status running); its 59 unfinished jobs"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace dlsched
