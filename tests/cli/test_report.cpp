// dlsched report: the statistics (by hand-checked examples), grouping, the output formats,
// and the command on real and broken files.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/report_format.h"
#include "analysis/report_stats.h"
#include "core/error.h"
#include "core/statistics.h"
#include "io/hdf5_results.h"
#include "run/run_summary.h"
#include "support/job_records.h"
#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

JobRecord job(std::uint32_t id, double submit, double first_start, double finish, double isolated,
              double gpu_seconds, int preemptions) {
  JobRecord j = test::job_record(id, submit, first_start, finish, gpu_seconds);
  j.isolated_time = isolated;
  j.preemptions = preemptions;
  return j;
}

/// Five jobs on 4 GPUs: three finished (JCT 100, 240, 110), one started but unfinished, one
/// never started. Expected figures are worked out by hand in the tests.
ResultsFile example_run(const std::string& policy = "las") {
  ResultsFile r;
  r.attributes = {{"mode", "simulate"}, {"policy", policy},   {"trace", "traces/x.csv"},
                  {"cluster", "1x4 v100"}, {"gpus", "4"}, {"status", "complete"},
                  {"format", "dlsched-results"}, {"schema_version", "1"}};
  r.jobs = {job(0, 0, 0, 100, 100, 100, 0), job(1, 10, 30, 250, 120, 400, 2),
            job(2, 20, 20, 130, 100, 110, 1), job(3, 50, 200, -1, 50, 200, 0),
            job(4, 60, -1, -1, 10, 0, 0)};
  return r;
}

TEST(ReportPercentile, InterpolatesLinearlyLikeNumpy) {
  // numpy.percentile([4, 1, 3, 2], [50, 95, 0, 100]) -> 2.5, 3.85, 1, 4
  EXPECT_DOUBLE_EQ(percentile_linear({4, 1, 3, 2}, 0.50), 2.5);
  EXPECT_DOUBLE_EQ(percentile_linear({4, 1, 3, 2}, 0.95), 3.85);
  EXPECT_DOUBLE_EQ(percentile_linear({4, 1, 3, 2}, 0.0), 1);
  EXPECT_DOUBLE_EQ(percentile_linear({4, 1, 3, 2}, 1.0), 4);
  EXPECT_DOUBLE_EQ(percentile_linear({7}, 0.99), 7);
  EXPECT_TRUE(std::isnan(percentile_linear({}, 0.5)));
}

TEST(ReportRun, ComputesTheDocumentedStatistics) {
  const RunReport r = report_run(example_run(), "run.h5");
  EXPECT_EQ(r.file, "run.h5");
  EXPECT_EQ(r.policy, "las");
  EXPECT_EQ(r.mode, "simulate");
  EXPECT_EQ(r.status, "complete");
  EXPECT_DOUBLE_EQ(r.gpus, 4);
  EXPECT_DOUBLE_EQ(r.jobs, 5);
  EXPECT_DOUBLE_EQ(r.finished, 3);
  EXPECT_DOUBLE_EQ(r.unfinished, 2);
  EXPECT_DOUBLE_EQ(r.avg_jct, 150);               // (100 + 240 + 110) / 3
  EXPECT_DOUBLE_EQ(r.p50_jct, 110);
  EXPECT_DOUBLE_EQ(r.p95_jct, 110 + 0.9 * 130);   // position 1.9 in 100, 110, 240
  EXPECT_DOUBLE_EQ(r.p99_jct, 110 + 0.98 * 130);
  EXPECT_DOUBLE_EQ(r.makespan, 250);              // last finish 250 - first submit 0
  EXPECT_DOUBLE_EQ(r.utilisation, 810.0 / (4 * 250));  // all jobs' GPU-seconds count
  EXPECT_DOUBLE_EQ(r.avg_rho, (1.0 + 2.0 + 1.1) / 3);
  EXPECT_DOUBLE_EQ(r.max_rho, 2.0);
  EXPECT_DOUBLE_EQ(r.rho_over_1_1, 1.0 / 3);      // rho exactly 1.1 is not over 1.1
  EXPECT_DOUBLE_EQ(r.preemptions, 3);
  EXPECT_DOUBLE_EQ(r.avg_queueing_delay, (0 + 20 + 0 + 150) / 4.0);  // started jobs only
}

TEST(ReportRun, UsesTheClusterTableWithoutAGpusAttribute) {
  ResultsFile f = example_run();
  f.attributes.erase("gpus");
  f.cluster.resize(8);
  EXPECT_DOUBLE_EQ(report_run(f, "x").utilisation, 810.0 / (8 * 250));
}

TEST(ReportRun, LeavesUndefinedFiguresNaNWhenNoJobFinished) {
  ResultsFile f = example_run();
  for (JobRecord& j : f.jobs) j.status = 0;
  const RunReport r = report_run(f, "x");
  EXPECT_DOUBLE_EQ(r.finished, 0);
  EXPECT_TRUE(std::isnan(r.avg_jct));
  EXPECT_TRUE(std::isnan(r.p99_jct));
  EXPECT_TRUE(std::isnan(r.makespan));
  EXPECT_TRUE(std::isnan(r.utilisation));
  EXPECT_TRUE(std::isnan(r.max_rho));
  EXPECT_FALSE(std::isnan(r.avg_queueing_delay));
}

// The summary simulate and emulate print and `dlsched report` are one definition: the same
// figures for the same rows, NaN alike when no job finished.
TEST(ReportRun, AgreesWithTheRunSummaryOfTheDrivers) {
  ResultsFile f = example_run();
  for (int finished : {1, 0}) {
    if (!finished)
      for (JobRecord& j : f.jobs) j.status = 0;
    const RunReport r = report_run(f, "x");
    const RunSummary s = summarize_jobs(f.jobs, 4);
    const auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
    EXPECT_EQ(static_cast<double>(s.finished), r.finished);
    EXPECT_TRUE(same(s.avg_jct, r.avg_jct)) << s.avg_jct << " vs " << r.avg_jct;
    EXPECT_TRUE(same(s.p50_jct, r.p50_jct));
    EXPECT_TRUE(same(s.p99_jct, r.p99_jct));
    EXPECT_TRUE(same(s.makespan, r.makespan));
    EXPECT_TRUE(same(s.utilisation, r.utilisation));
    EXPECT_EQ(static_cast<double>(s.preemptions), r.preemptions);
    EXPECT_EQ(std::isnan(s.avg_jct), !finished);
  }
}

TEST(ReportGroup, AveragesRunsOfThePolicySkippingUndefinedValues) {
  RunReport a = report_run(example_run("las"), "a.h5");
  RunReport b = a;
  b.file = "b.h5";
  b.avg_jct = 250;
  b.mode = "emulate";
  RunReport c = report_run(example_run("fifo"), "c.h5");
  RunReport d = a;
  d.file = "d.h5";
  d.avg_jct = std::nan("");
  const auto groups = group_reports({a, c, b, d}, {"policy"});
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].policy, "las");  // order of first appearance
  EXPECT_EQ(groups[0].runs, 3);
  EXPECT_EQ(groups[0].file, "a.h5;b.h5;d.h5");
  EXPECT_DOUBLE_EQ(groups[0].avg_jct, (150.0 + 250.0) / 2);
  EXPECT_EQ(groups[0].mode, "mixed");
  EXPECT_EQ(groups[0].trace, "traces/x.csv");
  EXPECT_EQ(groups[1].policy, "fifo");
  EXPECT_EQ(groups[1].runs, 1);
  EXPECT_DOUBLE_EQ(groups[1].makespan, 250);

  EXPECT_EQ(group_reports({a, b, c}, {"policy", "mode"}).size(), 3u);
  EXPECT_THROW(group_reports({a}, {"colour"}), InputError);
}

TEST(ReportFormat, CsvHasOneHeaderAndOneLinePerRunWithFullPrecision) {
  RunReport r = report_run(example_run(), "dir/with,comma.h5");
  r.max_rho = std::nan("");
  const std::string csv = format_report({r}, ReportFormat::CSV);
  std::string header;
  for (const auto& c : report_columns()) header += (header.empty() ? "" : ",") + c;
  EXPECT_EQ(csv.substr(0, csv.find('\n')), header);
  EXPECT_NE(csv.find("\"dir/with,comma.h5\",simulate,las,"), std::string::npos);
  // avg rho at round-trip precision, then the undefined max rho as an empty field
  EXPECT_NE(csv.find(",1.3666666666666665,,0.3333333333333333,"), std::string::npos) << csv;
}

TEST(ReportFormat, JsonIsAnArrayOfObjectsWithNullForUndefined) {
  RunReport r = report_run(example_run(), "run.h5");
  r.max_rho = std::nan("");
  const auto json = nlohmann::json::parse(format_report({r, r}, ReportFormat::JSON));
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0].size(), report_columns().size());
  EXPECT_EQ(json[0]["policy"], "las");
  EXPECT_DOUBLE_EQ(json[0]["p95_jct"].get<double>(), 110 + 0.9 * 130);
  EXPECT_TRUE(json[0]["max_rho"].is_null());
}

TEST(ReportFormat, TableMovesSharedMetadataToACaption) {
  RunReport a = report_run(example_run("las"), "a.h5");
  RunReport b = report_run(example_run("fifo"), "b.h5");
  const std::string table = format_report({a, b}, ReportFormat::TABLE);
  EXPECT_EQ(table.rfind("mode: simulate   trace: x.csv   cluster: 1x4 v100\n", 0), 0u) << table;
  EXPECT_NE(table.find("avg JCT"), std::string::npos);
  EXPECT_NE(table.find("2.5m"), std::string::npos) << table;  // 150 s avg JCT
  EXPECT_NE(table.find("81.0%"), std::string::npos) << table;
  EXPECT_THROW(parse_report_format("xml"), InputError);
}

TEST(ReportFile, StatisticsSurviveTheHdf5RoundTrip) {
  const std::string path = test::scratch_dir() + "/run.h5";
  const ResultsFile original = example_run();
  {
    Hdf5ResultsWriter writer(path, original.attributes);
    for (const JobRecord& j : original.jobs) writer.job(j);
    writer.close();
  }
  const RunReport direct = report_run(original, path);
  const RunReport read = report_run(read_results(path), path);
  EXPECT_DOUBLE_EQ(read.avg_jct, direct.avg_jct);
  EXPECT_DOUBLE_EQ(read.p99_jct, direct.p99_jct);
  EXPECT_DOUBLE_EQ(read.utilisation, direct.utilisation);
  EXPECT_DOUBLE_EQ(read.avg_queueing_delay, direct.avg_queueing_delay);
}

TEST(ReportCommand, PrintsJsonForAResultsFile) {
  const std::string path = test::scratch_dir() + "/run.h5";
  {
    Hdf5ResultsWriter writer(path, example_run().attributes);
    for (const JobRecord& j : example_run().jobs) writer.job(j);
    writer.close();
  }
  std::string out;
  ASSERT_EQ(test::run_dlsched("report --format json " + path, out), 0) << out;
  const auto json = nlohmann::json::parse(out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_DOUBLE_EQ(json[0]["avg_jct"].get<double>(), 150);
  EXPECT_EQ(json[0]["file"], path);
}

TEST(ReportCommand, ACorruptFileExitsWithCode2AndItsName) {
  const std::string garbage = test::write_scratch_file("garbage.h5", "this is not HDF5\n");
  std::string out;
  EXPECT_EQ(test::run_dlsched("report " + garbage, out), 2) << out;
  EXPECT_NE(out.find(garbage), std::string::npos) << out;

  // A real file cut in half: the reader must refuse it, not report partial tables.
  const std::string whole = test::scratch_dir() + "/whole.h5";
  {
    Hdf5ResultsWriter writer(whole, example_run().attributes);
    for (const JobRecord& j : example_run().jobs) writer.job(j);
    writer.close();
  }
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = test::write_scratch_file("truncated.h5", bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(test::run_dlsched("report " + truncated, out), 2) << out;
  EXPECT_NE(out.find(truncated), std::string::npos) << out;
}

}  // namespace
}  // namespace dlsched
