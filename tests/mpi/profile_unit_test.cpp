// Unit tests of `dlsched profile`'s pieces that need no MPI ranks: the measurement plan
// (worker counts, packed and spread placements), the subjects a trace or --model gives, the
// summary of repetitions, the profile CSV (read back by the throughput-table reader) and the
// HDF5 profile file.
#include <gtest/gtest.h>

#include <sstream>

#include "analysis/profile_summary.h"
#include "core/error.h"
#include "core/throughput_table.h"
#include "emu/profile_plan.h"
#include "emu/profile_subjects.h"
#include "io/profile_file.h"
#include "support/input_error.h"
#include "support/test_paths.h"

namespace dlsched::emu {
namespace {

TEST(ProfilePlan, WorkerCountsParseSortedAndRejectBadLists) {
  EXPECT_EQ(parse_worker_counts("4,1,2"), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(parse_worker_counts("3"), (std::vector<int>{3}));
  for (const char* bad : {"", "1,,2", "0", "-1", "2x", "1,2,"})
    EXPECT_NE(test::input_error_of([&] { parse_worker_counts(bad); }).find("--workers"),
              std::string::npos)
        << bad;
  EXPECT_NE(test::input_error_of([] { parse_worker_counts("2,1,2"); }).find("2 appears twice"),
            std::string::npos);
  EXPECT_EQ(powers_of_two_up_to(6), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(powers_of_two_up_to(1), (std::vector<int>{1}));
}

TEST(ProfilePlan, PackedFillsTheLargestNodesSpreadTakesOnePerNodeInTurn) {
  // Nodes: 0 = GPUs 0-1, 1 = GPUs 2-5, 2 = GPUs 6-7 (all v100).
  const ClusterSpec c = ClusterSpec::parse("1x2:v100,1x4:v100,1x2:v100");
  EXPECT_EQ(place_workers(c, 0, 3, Placement::PACKED), (std::vector<GpuId>{2, 3, 4}));
  EXPECT_EQ(place_workers(c, 0, 5, Placement::PACKED), (std::vector<GpuId>{0, 2, 3, 4, 5}));
  EXPECT_EQ(place_workers(c, 0, 3, Placement::SPREAD), (std::vector<GpuId>{0, 2, 6}));
  EXPECT_EQ(place_workers(c, 0, 5, Placement::SPREAD), (std::vector<GpuId>{0, 1, 2, 3, 6}));
  EXPECT_EQ(place_workers(c, 0, 8, Placement::SPREAD).size(), 8u);
  EXPECT_TRUE(place_workers(c, 0, 9, Placement::PACKED).empty());
}

TEST(ProfilePlan, SpreadOnlyWhereItSpansMoreNodesThanPacked) {
  const ClusterSpec c = ClusterSpec::parse("2x2:v100");
  const auto cases = plan_profile(c, 2, {1, 2, 4});
  // Per model: 1 packed (1 node), 2 packed (1 node), 2 spread (2 nodes), 4 packed (2 nodes);
  // 1 and 4 spread would be the packed shape again.
  struct Want {
    std::size_t subject;
    int workers;
    Placement placement;
    int nodes;
    std::vector<GpuId> gpus;
  };
  const std::vector<Want> want = {
      {0, 1, Placement::PACKED, 1, {0}},       {0, 2, Placement::PACKED, 1, {0, 1}},
      {0, 2, Placement::SPREAD, 2, {0, 2}},    {0, 4, Placement::PACKED, 2, {0, 1, 2, 3}},
      {1, 1, Placement::PACKED, 1, {0}},       {1, 2, Placement::PACKED, 1, {0, 1}},
      {1, 2, Placement::SPREAD, 2, {0, 2}},    {1, 4, Placement::PACKED, 2, {0, 1, 2, 3}}};
  ASSERT_EQ(cases.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(cases[i].subject, want[i].subject) << i;
    EXPECT_EQ(cases[i].gpu_type, 0) << i;
    EXPECT_EQ(cases[i].workers, want[i].workers) << i;
    EXPECT_EQ(cases[i].placement, want[i].placement) << i;
    EXPECT_EQ(cases[i].nodes, want[i].nodes) << i;
    EXPECT_EQ(cases[i].gpus, want[i].gpus) << i;
  }
}

TEST(ProfilePlan, EachGpuTypeUpToItsOwnSize) {
  // v100: one node of 4 GPUs (4, 5, 6, 7 after the t4s); t4: two nodes of one GPU.
  const ClusterSpec c = ClusterSpec::parse("2x1:t4,1x4:v100");
  const int t4 = c.type_index("t4"), v100 = c.type_index("v100");
  const auto cases = plan_profile(c, 1, {1, 2, 4});
  std::vector<std::tuple<int, int, int>> got;  // type, workers, nodes
  for (const auto& k : cases) got.emplace_back(k.gpu_type, k.workers, k.nodes);
  std::vector<std::tuple<int, int, int>> want;
  for (int t = 0; t < 2; ++t) {
    if (t == t4) want.insert(want.end(), {{t4, 1, 1}, {t4, 2, 2}});
    if (t == v100) want.insert(want.end(), {{v100, 1, 1}, {v100, 2, 1}, {v100, 4, 1}});
  }
  EXPECT_EQ(got, want);
  EXPECT_NE(test::input_error_of([&] { plan_profile(c, 1, {8}); })
                .find("--workers 8: the cluster's largest group of one GPU type has 4 GPUs"),
            std::string::npos);
}

SubjectOptions tiny_trace_options() {
  SubjectOptions o;
  o.trace_path = test::source_path("tests/mpi/data/tiny-4gpu.csv");
  o.models_path = test::source_path("jobs/models.toml");
  o.cluster = "1x4:v100";
  return o;
}

TEST(ProfileSubjects, EachModelOfTheTraceOnceThenTheExtraModels) {
  SubjectOptions o = tiny_trace_options();
  o.models = {"resnet50", "bert"};  // resnet50 is in the trace already
  const ProfileExperiment p = load_profile_experiment(o);
  std::vector<std::string> models;
  std::vector<std::string> jobs;
  for (const auto& s : p.subjects) {
    models.push_back(s.model);
    jobs.push_back(p.experiment->trace.jobs[s.job].id);
  }
  EXPECT_EQ(models, (std::vector<std::string>{"resnet50", "vgg16", "alexnet", "resnet101",
                                              "vgg19", "bert"}));
  EXPECT_EQ(jobs, (std::vector<std::string>{"a", "b", "d", "e", "f", "--model bert"}));
  // The trace gives no batch sizes: each job uses the catalog's per-worker batch.
  EXPECT_EQ(p.subjects[0].batch, 64);
  EXPECT_EQ(p.subjects[2].batch, 512);
}

TEST(ProfileSubjects, UnknownModelsAndNothingToProfileAreInputErrors) {
  SubjectOptions o;
  o.models_path = test::source_path("jobs/models.toml");
  o.cluster = "1x2:v100";
  EXPECT_NE(test::input_error_of([&] { load_profile_experiment(o); }).find("nothing to profile"),
            std::string::npos);
  o.models = {"resnet50", "no-such-model"};
  EXPECT_NE(test::input_error_of([&] { load_profile_experiment(o); })
                .find("--model 'no-such-model': unknown model (not in "),
            std::string::npos);
  o.models.clear();
  o.trace_path = test::source_path("tests/mpi/data/unknown-model.csv");
  EXPECT_NE(test::input_error_of([&] { load_profile_experiment(o); })
                .find("unknown-model.csv:3: job b: unknown model 'no-such-model'"),
            std::string::npos);
}

TEST(ProfileSubjects, WarnsWhereOneRowPerModelCannotDescribeEveryJob) {
  // tiny-4gpu.csv: job a runs resnet50 at 3 s / 30 iterations on 2 GPUs, job c at 1.5 s / 10
  // on 4: in sleep mode they iterate at different modelled speeds. Every other model has one
  // job.
  const ProfileExperiment p = load_profile_experiment(tiny_trace_options());
  DriverSettings s;
  s.slowdown = {1.0};
  const auto w = subject_warnings(p, s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("model resnet50: measured as job a"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("jobs c iterate"), std::string::npos) << w[0];
  // Kernel mode: both run the catalog's FLOPs at the same per-worker batch.
  s.compute = ComputeMode::KERNEL;
  EXPECT_TRUE(subject_warnings(p, s).empty());
}

ProfileRecord row(const std::string& model, int workers, int nodes, const std::string& placement,
                  int repetition, double iteration_s, double compute_s, double comm_s) {
  return ProfileRecord{model, "v100", workers, nodes, placement, 64, repetition, 10,
                       compute_s, comm_s, iteration_s};
}

TEST(ProfileSummary, MediansExtremesAndSpreadOverRepetitions) {
  const std::vector<ProfileRecord> rows = {
      row("m", 2, 1, "packed", 0, 0.10, 0.08, 0.020), row("m", 1, 1, "packed", 0, 0.5, 0.5, 0),
      row("m", 2, 1, "packed", 1, 0.30, 0.07, 0.200),
      row("m", 2, 1, "packed", 2, 0.20, 0.09, 0.100)};
  const auto e = summarise_profile(rows);
  ASSERT_EQ(e.size(), 2u);  // in the order first seen: x2, then x1
  EXPECT_EQ(e[0].workers, 2);
  EXPECT_EQ(e[0].repetitions, 3);
  EXPECT_EQ(e[0].samples, 30);
  EXPECT_DOUBLE_EQ(e[0].iteration_s, 0.20);
  EXPECT_DOUBLE_EQ(e[0].compute_s, 0.08);
  EXPECT_DOUBLE_EQ(e[0].comm_s, 0.10);
  EXPECT_DOUBLE_EQ(e[0].min_s, 0.10);
  EXPECT_DOUBLE_EQ(e[0].max_s, 0.30);
  // Sample standard deviation of 0.1, 0.3, 0.2: sqrt((0.01 + 0.01 + 0) / 2) = 0.1.
  EXPECT_NEAR(e[0].stddev_s, 0.1, 1e-12);
  EXPECT_NEAR(e[0].spread(), 1.0, 1e-12);  // (0.3 - 0.1) / 0.2
  EXPECT_EQ(e[1].workers, 1);
  EXPECT_DOUBLE_EQ(e[1].stddev_s, 0);
}

TEST(ProfileSummary, CsvReadsBackThroughTheThroughputTable) {
  const std::vector<ProfileRecord> rows = {
      row("resnet50", 1, 1, "packed", 0, 0.05, 0.05, 0),
      row("resnet50", 2, 1, "packed", 0, 0.0625, 0.05, 0.0125),
      row("resnet50", 2, 2, "spread", 0, 0.08, 0.05, 0.03),
      // Two multi-node shapes of 4 workers: the table keeps the one on fewer nodes.
      row("resnet50", 4, 4, "spread", 0, 0.2, 0.05, 0.15),
      row("resnet50", 4, 2, "packed", 0, 0.1, 0.05, 0.05),
      row("Odd, \"quoted\" model", 1, 1, "packed", 0, 0.4, 0.4, 0)};
  std::ostringstream csv;
  write_profile_csv(csv, summarise_profile(rows), {"made by a test"});
  EXPECT_EQ(csv.str().rfind("# made by a test\nmodel,gpu_type,workers,consolidated,", 0), 0u)
      << csv.str();
  const std::string path = test::write_scratch_file("profile.csv", csv.str());
  const ThroughputTable t = ThroughputTable::load(path);
  EXPECT_EQ(t.size(), 5u);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 1, true), 20);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 2, true), 16);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 2, false), 12.5);
  EXPECT_DOUBLE_EQ(*t.steps_per_second("resnet50", "v100", 4, false), 10);
  EXPECT_FALSE(t.steps_per_second("resnet50", "v100", 4, true));
  EXPECT_DOUBLE_EQ(*t.steps_per_second("Odd, \"quoted\" model", "v100", 1, true), 2.5);
}

TEST(ProfileFile, RoundTripsAndIsNotAResultsFile) {
  const std::vector<ProfileRecord> rows = {row("resnet50", 2, 1, "packed", 0, 0.1, 0.08, 0.02),
                                           row("resnet50", 2, 2, "spread", 1, 0.2, 0.08, 0.12)};
  const std::vector<GpuRecord> gpus = {{0, 0, "host-a", 0, "v100"}, {1, 1, "host-b", 0, "v100"}};
  const std::string path = test::scratch_dir() + "/p.h5";
  write_profile_file(path, {{"mode", "profile"}, {"warmup", "2"}}, gpus, rows);
  const ProfileFile f = read_profile_file(path);
  EXPECT_EQ(f.attributes.at("format"), "dlsched-profile");
  EXPECT_EQ(f.attributes.at("status"), "complete");
  EXPECT_EQ(f.attributes.at("warmup"), "2");
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[1].model, "resnet50");
  EXPECT_EQ(f.rows[1].placement, "spread");
  EXPECT_EQ(f.rows[1].nodes, 2);
  EXPECT_EQ(f.rows[1].repetition, 1);
  EXPECT_EQ(f.rows[1].batch, 64);
  EXPECT_DOUBLE_EQ(f.rows[1].comm_s, 0.12);
  ASSERT_EQ(f.cluster.size(), 2u);
  EXPECT_EQ(f.cluster[1].host, "host-b");
  EXPECT_NE(test::input_error_of([&] { read_results(path); })
                .find("not a dlsched results file (format is \"dlsched-profile\""),
            std::string::npos);
  EXPECT_NE(test::input_error_of([&] { read_profile_file(path + ".missing"); })
                .find("cannot read profile: no such file"),
            std::string::npos);
}

}  // namespace
}  // namespace dlsched::emu
