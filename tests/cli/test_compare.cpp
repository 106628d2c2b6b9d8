// dlsched compare: the statistics on a small hand-worked pair of runs, the refusal of pairs
// from different experiments (one test per field), the output formats and the command.
#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/compare.h"
#include "analysis/compare_format.h"
#include "core/error.h"
#include "io/hdf5_results.h"
#include "support/job_records.h"
#include "support/run_dlsched.h"
#include "support/test_paths.h"

namespace dlsched {
namespace {

JobRecord job(std::uint32_t id, double submit, double first_start, double finish, double compute,
              double comm, double gpu_seconds) {
  JobRecord j = test::job_record(id, submit, first_start, finish, gpu_seconds);
  j.compute_seconds = compute;
  j.comm_seconds = comm;
  return j;
}

ProgressRecord segment(std::uint32_t id, double start, double end, double seconds) {
  ProgressRecord p;
  p.job = id;
  p.start = start;
  p.end = end;
  p.seconds = seconds;
  p.workers = 1;
  return p;
}

RunAttributes attributes(const std::string& mode) {
  return {{"format", "dlsched-results"}, {"schema_version", "1"}, {"status", "complete"},
          {"mode", mode},               {"policy", "fifo"},      {"policy_params", "{}"},
          {"trace", "t.csv"},           {"trace_sha256", "abc"}, {"round_length", "60"},
          {"time_scale", "1"},          {"cluster", "1x4 v100"}, {"gpus", "4"}};
}

/// Four jobs on 4 GPUs. The figures the tests expect are worked out in the comments.
///   job  sim: submit start finish | compute comm restore other    emu: the same
///   j0        0     0     100     |  80     10    10      0            0   0  110 | 85  12 13  0
///   j1       10    20     210     | 150     20    10     10           10  25  160 |110  15 10  0
///   j2       20    30      70     |  30      5     5      0           20  30  120 | 35   8  7 40
///   j3       30   100     130     (finished)                          30 140   -  (unfinished)
/// JCT errors (emu - sim) / sim: j0 +0.1, j1 -0.25, j2 +1.0.
ResultsFile sim_run() {
  ResultsFile r;
  r.attributes = attributes("simulate");
  r.jobs = {job(0, 0, 0, 100, 80, 10, 100), job(1, 10, 20, 210, 150, 20, 190),
            job(2, 20, 30, 70, 30, 5, 40), job(3, 30, 100, 130, 20, 5, 30)};
  r.progress = {segment(0, 0, 100, 90), segment(1, 20, 120, 90), segment(1, 150, 210, 60),
                segment(2, 30, 70, 35), segment(3, 100, 130, 30)};
  return r;
}

ResultsFile emu_run() {
  ResultsFile r;
  r.attributes = attributes("emulate");
  r.jobs = {job(0, 0, 0, 110, 85, 12, 110), job(1, 10, 25, 160, 110, 15, 135),
            job(2, 20, 30, 120, 35, 8, 90), job(3, 30, 140, -1, 10, 2, 20)};
  r.progress = {segment(0, 0, 110, 97), segment(1, 25, 160, 125), segment(2, 30, 80, 43),
                segment(3, 140, 160, 12)};
  return r;
}

const JobComparison& find(const Comparison& c, std::uint32_t id) {
  for (const JobComparison& x : c.jobs)
    if (x.job == id) return x;
  throw std::runtime_error("no job " + std::to_string(id));
}

TEST(CompareSpearman, MatchesHandComputedRanks) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {30, 20, 10}), -1.0);
  // ranks (2, 3, 1) vs (1, 3, 2): sum d^2 = 2, rho = 1 - 6*2 / (3*8) = 0.5
  EXPECT_DOUBLE_EQ(spearman({100, 210, 70}, {110, 160, 120}), 0.5);
  // Ties share their mean rank: x ranks (1.5, 1.5, 3), y ranks (1, 2, 3); deviations from the
  // mean rank 2 give sxy = 1.5, sxx = 1.5, syy = 2: 1.5 / sqrt(3) = 0.8660...
  // (scipy.stats.spearmanr([5, 5, 9], [1, 2, 3]) agrees).
  EXPECT_NEAR(spearman({5, 5, 9}, {1, 2, 3}), 1.5 / std::sqrt(1.5 * 2.0), 1e-12);
  EXPECT_TRUE(std::isnan(spearman({1}, {2})));
  EXPECT_TRUE(std::isnan(spearman({1, 1}, {2, 3})));  // a constant side has no ranking
}

TEST(CompareRuns, PerJobRatiosErrorsAndPercentiles) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  ASSERT_EQ(c.jobs.size(), 4u);
  EXPECT_DOUBLE_EQ(find(c, 0).ratio, 1.1);
  EXPECT_DOUBLE_EQ(find(c, 0).error, 0.1);
  EXPECT_DOUBLE_EQ(find(c, 1).ratio, 0.75);
  EXPECT_DOUBLE_EQ(find(c, 1).error, -0.25);
  EXPECT_DOUBLE_EQ(find(c, 2).ratio, 2.0);
  EXPECT_DOUBLE_EQ(find(c, 2).error, 1.0);
  EXPECT_TRUE(std::isnan(find(c, 3).error));
  EXPECT_DOUBLE_EQ(c.compared_jobs, 3);
  // |e| sorted: 0.1, 0.25, 1.0; p90 at position 1.8: 0.25 + 0.8 * 0.75
  EXPECT_DOUBLE_EQ(c.median_abs_error, 0.25);
  EXPECT_DOUBLE_EQ(c.p90_abs_error, 0.25 + 0.8 * 0.75);
  EXPECT_DOUBLE_EQ(c.mean_error, (0.1 - 0.25 + 1.0) / 3);
  EXPECT_DOUBLE_EQ(c.spearman_finish, 0.5);  // finish times (100, 210, 70) vs (110, 160, 120)
}

TEST(CompareRuns, RunLevelErrorsAreRelativeAndSigned) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  // sim: 4 finished, JCT 100, 200, 50, 100 -> 112.5; emu: 3 finished, 110, 150, 100 -> 120
  EXPECT_DOUBLE_EQ(c.sim.avg_jct, 112.5);
  EXPECT_DOUBLE_EQ(c.emu.avg_jct, 120);
  EXPECT_DOUBLE_EQ(c.avg_jct_error, (120 - 112.5) / 112.5);
  EXPECT_DOUBLE_EQ(c.makespan_error, (160.0 - 210.0) / 210.0);
  const double sim_util = 360.0 / (4 * 210), emu_util = 355.0 / (4 * 160);
  EXPECT_DOUBLE_EQ(c.utilisation_error, (emu_util - sim_util) / sim_util);
}

TEST(CompareRuns, UnfinishedJobsAreListedNotDropped) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  ASSERT_EQ(c.unfinished, std::vector<std::uint32_t>{3});
  EXPECT_TRUE(find(c, 3).sim_finished);
  EXPECT_FALSE(find(c, 3).emu_finished);
  // A job with no row at all in one file is unfinished there too.
  ResultsFile emu = emu_run();
  emu.jobs.pop_back();
  const Comparison d = compare_runs(sim_run(), "sim.h5", emu, "emu.h5", 10);
  ASSERT_EQ(d.unfinished, std::vector<std::uint32_t>{3});
  EXPECT_TRUE(std::isnan(find(d, 3).emu_jct));
}

TEST(CompareRuns, WorstJobsByAbsoluteError) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 2);
  EXPECT_EQ(c.worst, (std::vector<std::uint32_t>{2, 1}));
  const Comparison all = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  EXPECT_EQ(all.worst, (std::vector<std::uint32_t>{2, 1, 0}));
}

TEST(CompareRuns, BreakdownSumsAddUpToTheJctDifference) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  const ErrorBreakdown& b = c.breakdown;
  EXPECT_DOUBLE_EQ(b.jobs, 3);
  EXPECT_DOUBLE_EQ(b.sim_jct, 350);
  EXPECT_DOUBLE_EQ(b.emu_jct, 360);
  EXPECT_DOUBLE_EQ(b.sim_wait, 20);  // 0 + 10 + 10
  EXPECT_DOUBLE_EQ(b.emu_wait, 25);  // 0 + 15 + 10
  EXPECT_DOUBLE_EQ(b.sim_compute, 260);
  EXPECT_DOUBLE_EQ(b.emu_compute, 230);
  EXPECT_DOUBLE_EQ(b.sim_comm, 35);
  EXPECT_DOUBLE_EQ(b.emu_comm, 35);
  EXPECT_DOUBLE_EQ(b.sim_restore, 25);  // (100-90) + (100-90) + (60-60) + (40-35)
  EXPECT_DOUBLE_EQ(b.emu_restore, 30);  // 13 + 10 + 7
  EXPECT_DOUBLE_EQ(b.sim_other, 10);
  EXPECT_DOUBLE_EQ(b.emu_other, 40);
  EXPECT_DOUBLE_EQ(find(c, 2).emu_other, 40);  // j2 waited 40 s after its segment
}

/// A copy of the emulated run with one attribute changed (or removed, with an empty value).
ResultsFile emu_with(const std::string& key, const std::string& value) {
  ResultsFile r = emu_run();
  if (value.empty())
    r.attributes.erase(key);
  else
    r.attributes[key] = value;
  return r;
}

void expect_refused(const ResultsFile& emu, const std::string& message) {
  try {
    compare_runs(sim_run(), "sim.h5", emu, "emu.h5", 10);
    ADD_FAILURE() << "compared a mismatched pair; expected: " << message;
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(CompareRefuses, ADifferentTrace) {
  expect_refused(emu_with("trace_sha256", "def"), "cannot compare: trace differs (abc vs def)");
}
TEST(CompareRefuses, ADifferentPolicy) {
  expect_refused(emu_with("policy", "las"), "cannot compare: policy differs (fifo vs las)");
}
TEST(CompareRefuses, DifferentPolicyParameters) {
  expect_refused(emu_with("policy_params", R"({"k":2})"),
                 R"(cannot compare: policy parameters differs ({} vs {"k":2}))");
}
TEST(CompareRefuses, ADifferentRoundLength) {
  expect_refused(emu_with("round_length", "30"), "cannot compare: round length differs (60 vs 30)");
}
TEST(CompareRefuses, ADifferentTimeScale) {
  expect_refused(emu_with("time_scale", "0.1"), "cannot compare: time scale differs (1 vs 0.1)");
}
TEST(CompareRefuses, ADifferentCluster) {
  expect_refused(emu_with("cluster", "2x2 v100"),
                 "cannot compare: cluster differs (1x4 v100 vs 2x2 v100)");
}
TEST(CompareRefuses, AFieldPresentInOnlyOneFile) {
  expect_refused(emu_with("policy", ""), "cannot compare: policy differs (fifo vs absent)");
}

TEST(CompareAccepts, TheSameValuesWrittenDifferently) {
  ResultsFile emu = emu_with("round_length", "60.0");
  emu.attributes["policy_params"] = "{ }";
  EXPECT_NO_THROW(compare_runs(sim_run(), "sim.h5", emu, "emu.h5", 10));
}

TEST(CompareFormat, CsvSummaryIsOneRowAtFullPrecision) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  const std::string csv = format_comparison(c, ReportFormat::CSV, CompareCsvTable::SUMMARY);
  std::istringstream in(csv);
  std::string header, row, extra;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(header.rfind("sim_file,emu_file,sim_mode,emu_mode,jobs,compared_jobs", 0), 0u) << header;
  EXPECT_NE(row.find(fmt::format("{}", 0.25 + 0.8 * 0.75)), std::string::npos) << row;
  EXPECT_EQ(std::count(header.begin(), header.end(), ','),
            static_cast<long>(compare_summary_columns().size() - 1));
}

TEST(CompareFormat, CsvJobsHasEveryJobAndEmptyFieldsForUndefined) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  const std::string csv = format_comparison(c, ReportFormat::CSV, CompareCsvTable::JOBS);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 4 jobs
  EXPECT_NE(csv.find("\n3,j3,ResNet-50,1,1,0,100,,,"), std::string::npos) << csv;
}

TEST(CompareFormat, JsonHasSummaryBreakdownWorstAndUnfinished) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 2);
  const auto j = nlohmann::json::parse(format_comparison(c, ReportFormat::JSON));
  EXPECT_DOUBLE_EQ(j["summary"]["median_abs_error"].get<double>(), 0.25);
  EXPECT_EQ(j["summary"]["compared_jobs"], 3);
  EXPECT_EQ(j["experiment"]["policy"], "fifo");
  EXPECT_EQ(j["breakdown"]["other"]["difference"], 30);
  ASSERT_EQ(j["worst"].size(), 2u);
  EXPECT_EQ(j["worst"][0]["job_id"], "j2");
  ASSERT_EQ(j["unfinished"].size(), 1u);
  EXPECT_TRUE(j["unfinished"][0]["emu_jct"].is_null());
  EXPECT_EQ(j["jobs"].size(), 4u);
}

TEST(CompareFormat, TableShowsErrorsBreakdownAndUnfinished) {
  const Comparison c = compare_runs(sim_run(), "sim.h5", emu_run(), "emu.h5", 10);
  const std::string t = format_comparison(c, ReportFormat::TABLE);
  EXPECT_NE(t.find("+6.7%"), std::string::npos) << t;  // avg JCT error 7.5 / 112.5
  EXPECT_NE(t.find("breakdown"), std::string::npos) << t;
  EXPECT_NE(t.find("1 jobs unfinished"), std::string::npos) << t;
  EXPECT_NE(t.find("Spearman"), std::string::npos) << t;
}

TEST(CompareFormat, NotesAnExactBoundarySimulationAgainstAnEmulation) {
  const std::string note = "simulate --whole-iterations";
  const auto table = [](const ResultsFile& a, const ResultsFile& b) {
    return format_comparison(compare_runs(a, "a.h5", b, "b.h5", 10), ReportFormat::TABLE);
  };
  EXPECT_NE(table(sim_run(), emu_run()).find(note), std::string::npos);
  EXPECT_NE(table(emu_run(), sim_run()).find(note), std::string::npos);
  ResultsFile whole = sim_run();
  whole.attributes["whole_iterations"] = "true";
  EXPECT_EQ(table(whole, emu_run()).find(note), std::string::npos);
  EXPECT_EQ(table(emu_run(), emu_run()).find(note), std::string::npos);
  EXPECT_EQ(table(sim_run(), sim_run()).find(note), std::string::npos);
}

std::string write_run(const std::string& name, const ResultsFile& r) {
  const std::string path = test::scratch_dir() + "/" + name;
  Hdf5ResultsWriter writer(path, r.attributes);
  for (const JobRecord& j : r.jobs) writer.job(j);
  for (const ProgressRecord& p : r.progress) writer.progress(p);
  writer.close();
  return path;
}

TEST(CompareCommand, ReadsBothFilesAndPrintsJson) {
  const std::string sim = write_run("sim.h5", sim_run());
  const std::string emu = write_run("emu.h5", emu_run());
  std::string out;
  ASSERT_EQ(test::run_dlsched("compare --format json --worst 1 " + sim + " " + emu, out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["summary"]["p90_abs_error"].get<double>(), 0.25 + 0.8 * 0.75);
  EXPECT_DOUBLE_EQ(j["breakdown"]["restore"]["emu"].get<double>(), 30);
  EXPECT_EQ(j["worst"].size(), 1u);
}

TEST(CompareCommand, AMismatchedPairExitsWithCode2NamingTheFieldAndPrintsNothingElse) {
  const std::string sim = write_run("sim.h5", sim_run());
  const std::string emu = write_run("emu-las.h5", emu_with("policy", "las"));
  std::string out;
  EXPECT_EQ(test::run_dlsched("compare " + sim + " " + emu, out), 2) << out;
  EXPECT_EQ(out, "dlsched: error: cannot compare: policy differs (fifo vs las)\n");
}

TEST(CompareCommand, AnUnreadableFileExitsWithCode2AndItsName) {
  const std::string sim = write_run("sim.h5", sim_run());
  const std::string garbage = test::write_scratch_file("garbage.h5", "not HDF5\n");
  std::string out;
  EXPECT_EQ(test::run_dlsched("compare " + sim + " " + garbage, out), 2) << out;
  EXPECT_NE(out.find(garbage), std::string::npos) << out;
}

}  // namespace
}  // namespace dlsched
