// Application profiles in the layout of Pollux's simulator: limits, interpolation of step
// times and gradient statistics, epochs, and file:line errors for bad folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/adaptive/application_profile.h"
#include "core/error.h"
#include "support/input_error.h"
#include "support/test_paths.h"

namespace dlsched::adaptive {
namespace {
namespace fs = std::filesystem;

std::string data_dir() { return test::source_path("tests/adaptive/data"); }
std::string toy_dir() { return data_dir() + "/toy"; }

TEST(ApplicationProfile, LimitsComeFromTheData) {
  const auto app = ApplicationProfile::load(toy_dir());
  EXPECT_EQ(app.name(), "toy");
  EXPECT_EQ(app.init_batch_size(), 64);  // smallest validation run
  EXPECT_EQ(app.max_batch_size(), 256);  // largest validation run
  EXPECT_EQ(app.min_local_bsz(), 32);
  EXPECT_EQ(app.max_local_bsz(), 64);
  EXPECT_EQ(app.max_epochs(), 3);  // rows of the shortest validation run
  EXPECT_EQ(app.validation_batch_sizes(), (std::vector<int>{64, 256}));
  ApplicationOptions options;
  options.max_local_bsz = 48;
  options.max_epochs = 2;
  const auto limited = ApplicationProfile::load(toy_dir(), options);
  EXPECT_EQ(limited.max_local_bsz(), 48);
  EXPECT_EQ(limited.max_epochs(), 2);
  EXPECT_EQ(pollux_reference_options("yolov3").max_local_bsz, 8);
  EXPECT_FALSE(pollux_reference_options("cifar10").max_local_bsz);
}

TEST(ApplicationProfile, StepTimesInterpolateBetweenMeasuredBatchSizes) {
  const auto app = ApplicationProfile::load(toy_dir());
  const std::vector<int> two{2};
  // Midway between 32 (0.14 s) and 64 (0.22 s); sync 0.04 at both.
  EXPECT_NEAR(app.step_times(two, 48).step_time, 0.18, 1e-12);
  EXPECT_NEAR(app.step_times(two, 48).sync_time, 0.04, 1e-12);
  // A quarter of the way on one GPU: 0.10 + 0.08 / 4.
  EXPECT_NEAR(app.step_times(std::vector<int>{1}, 40).step_time, 0.12, 1e-12);
  // Measured points come back as they are.
  EXPECT_DOUBLE_EQ(app.step_times(two, 64).step_time, 0.22);
  // Empty nodes are dropped: 0,2,0,2 is placement 22.
  const std::vector<int> spread{0, 2, 0, 2};
  EXPECT_TRUE(app.has_placement(spread));
  EXPECT_DOUBLE_EQ(app.step_times(spread, 32).sync_time, 0.20);
  EXPECT_FALSE(app.has_placement(std::vector<int>{4}));
}

TEST(ApplicationProfile, UnmeasuredPlacementsInterpolateAcrossNodesAndGpus) {
  const auto app = ApplicationProfile::load(toy_dir());
  // 1 + 2 GPUs on 2 nodes, never measured: (2 nodes, 3 GPUs) lies inside the measured pairs.
  // Whatever the tetrahedra, a linear interpolation stays within the values it mixes: the
  // measured steps at local batch 32 run from 0.10 to 0.50 s.
  const StepTimes t = app.step_times(std::vector<int>{1, 2}, 32);
  EXPECT_GE(t.step_time, 0.10);
  EXPECT_LE(t.step_time, 0.50);
  EXPECT_LT(t.sync_time, t.step_time);
  // At a measured (nodes, GPUs, batch) point of scalability.csv it gives the measurement;
  // nodes beyond 16 count as 16, so 6 nodes stay 6.
  const StepTimes six = app.step_times(std::vector<int>{1, 1, 1, 1, 1, 1}, 64);
  EXPECT_NEAR(six.step_time, 0.6, 1e-9);
  EXPECT_NEAR(six.sync_time, 0.4, 1e-9);
}

TEST(ApplicationProfile, PlacementsAreTurnedToTheirSmallestRotation) {
  EXPECT_EQ(normalize_placement(std::vector<int>{2, 1, 1}), (std::vector<int>{1, 1, 2}));
  EXPECT_EQ(normalize_placement(std::vector<int>{1, 2, 1, 3}), (std::vector<int>{1, 2, 1, 3}));
  EXPECT_EQ(normalize_placement(std::vector<int>{3, 0, 1, 2}), (std::vector<int>{1, 2, 3}));
}

TEST(ApplicationProfile, GradientStatisticsInterpolateBetweenValidationRuns) {
  const auto app = ApplicationProfile::load(toy_dir());
  // Batch 160 lies halfway between the runs at 64 and 256; in epoch 1 they measured
  // (sqr 2, var 8) and (sqr 1, var 12).
  const GradStats mid = app.grad_stats(160, 1);
  EXPECT_NEAR(mid.sqr, 1.5, 1e-12);
  EXPECT_NEAR(mid.var, 10.0, 1e-12);
  EXPECT_DOUBLE_EQ(app.grad_stats(64, 0).sqr, 4.0);
  EXPECT_DOUBLE_EQ(app.grad_stats(256, 2).sqr, 0.5);
  // Iterations by the end of epoch 2: (300 + 80) / 2.
  EXPECT_NEAR(app.iterations(160, 2), 190.0, 1e-12);
}

TEST(ApplicationProfile, EpochsFollowTheValidationRunsProgress) {
  const auto app = ApplicationProfile::load(toy_dir());
  // An epoch begins at the least progress any run had at the end of the one before.
  EXPECT_DOUBLE_EQ(app.epoch_progress(0), 0.0);
  EXPECT_DOUBLE_EQ(app.epoch_progress(1), 90.0);   // min(100, 90)
  EXPECT_DOUBLE_EQ(app.epoch_progress(2), 200.0);  // min(200, 210)
  EXPECT_DOUBLE_EQ(app.epoch_progress(3), 300.0);  // min(300, 320)
  // The epoch of a progress is the most rows any run completed by then.
  EXPECT_EQ(app.epoch_at(0), 0);
  EXPECT_EQ(app.epoch_at(95), 1);   // the 256 run passed 90
  EXPECT_EQ(app.epoch_at(205), 2);  // the 64 run passed 100 and 200
  EXPECT_EQ(app.epoch_at(1000), 3);
  // Past the last epoch the statistics stay at the last one.
  EXPECT_DOUBLE_EQ(app.grad_stats_at_progress(64, 1000).sqr, 1.0);
  EXPECT_DOUBLE_EQ(app.grad_stats_at_progress(64, 95).sqr, 2.0);
}

TEST(ApplicationProfile, ObservationsCarryNodesAndReplicas) {
  const auto app = ApplicationProfile::load(toy_dir());
  const auto points = app.placement_observations();
  ASSERT_EQ(points.size(), 6u);
  int found = 0;
  for (const StepObservation& o : points)
    if (o.num_nodes == 2 && o.num_replicas == 4 && o.atomic_bsz == 64) {
      EXPECT_DOUBLE_EQ(o.step_time, 0.36);
      EXPECT_DOUBLE_EQ(o.sync_time, 0.20);
      ++found;
    }
  EXPECT_EQ(found, 1);
  ASSERT_EQ(app.scalability_observations().size(), 2u);
  EXPECT_EQ(app.scalability_observations()[1].num_nodes, 6);
  EXPECT_DOUBLE_EQ(app.scalability_observations()[1].step_time, 0.6);
}

TEST(ApplicationProfile, QueriesOutsideTheMeasurementsAreInputErrors) {
  const auto app = ApplicationProfile::load(toy_dir());
  const std::string placements = toy_dir() + "/placements.csv";
  // Placement 1 starts on line 2.
  EXPECT_EQ(
      test::input_error_of([&] { app.step_times(std::vector<int>{1}, 16); }),
      placements + ":2: local batch size 16 is outside the measured range 32..64 of placement 1");
  // 4 GPUs on one node: (1 node, 4 GPUs) lies outside the measured (nodes, GPUs) pairs
  // (1, 1), (1, 2), (2, 4) and (6, 6).
  EXPECT_EQ(test::input_error_of([&] { app.step_times(std::vector<int>{4}, 32); }),
            placements +
                ":1: placement 4 (1 nodes, 4 GPUs) at local batch size 32 lies outside "
                "what placements.csv and scalability.csv measured");
  EXPECT_EQ(test::input_error_of([&] { app.grad_stats(300, 0); }),
            toy_dir() +
                "/validation-256.csv:1: batch size 300 is outside the validation runs' "
                "batch sizes 64..256");
  EXPECT_NE(test::input_error_of([&] { app.iterations(32, 0); }).find("validation-64.csv:1:"),
            std::string::npos);
}

// A copy of the toy application in a scratch folder, with `file` replaced by `text`.
std::string toy_with(const std::string& file, const std::string& text) {
  const fs::path dir = fs::path(test::scratch_dir()) / "toy";
  fs::remove_all(dir);
  fs::copy(toy_dir(), dir);
  std::ofstream(dir / file) << text;
  return dir.string();
}

std::string load_error(const std::string& dir) {
  return test::input_error_of([&] { ApplicationProfile::load(dir); });
}

TEST(ApplicationProfileErrors, MissingColumn) {
  const auto dir = toy_with("placements.csv", "placement,local_bsz,step_time\n1,32,0.1\n");
  EXPECT_EQ(load_error(dir), dir +
                                 "/placements.csv:1: not a Pollux placements.csv header: "
                                 "missing column 'sync_time' (expected placement,local_bsz,"
                                 "step_time,sync_time)");
  const auto v = toy_with("validation-64.csv", "progress,iteration,metric,grad_sqr\n1,1,1,1\n");
  EXPECT_NE(load_error(v).find(v + "/validation-64.csv:1: not a Pollux validation-<batch size>.csv "
                                   "header: missing column 'grad_var'"),
            std::string::npos);
}

TEST(ApplicationProfileErrors, NonNumericValues) {
  const auto dir = toy_with(
      "placements.csv", "placement,local_bsz,step_time,sync_time\n1,32,0.1,0.001\n1,64,fast,0\n");
  EXPECT_EQ(load_error(dir),
            dir + "/placements.csv:3: column 'step_time': expected a finite number, got \"fast\"");
  const auto p =
      toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n2a,32,0.1,0\n");
  EXPECT_EQ(load_error(p), p + "/placements.csv:2: column 'placement': expected GPUs per node as "
                               "digits 1-9 (e.g. 22), got \"2a\"");
  const auto s = toy_with("scalability.csv",
                          "num_nodes,num_replicas,local_bsz,step_time,sync_time\n6,6,32,0.5,nan\n");
  EXPECT_EQ(load_error(s),
            s + "/scalability.csv:2: column 'sync_time': expected a finite number, got \"nan\"");
  const auto v =
      toy_with("validation-256.csv",
               "progress,iteration,metric,grad_sqr,grad_var\n90,25,0.4,2,16\n210,52,0.6,x,12\n");
  EXPECT_EQ(load_error(v), v + "/validation-256.csv:3: column 'grad_sqr': expected a finite "
                               "number, got \"x\"");
}

TEST(ApplicationProfileErrors, ImpossibleValues) {
  const auto sync =
      toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n1,32,0.1,0.1\n");
  EXPECT_EQ(load_error(sync), sync +
                                  "/placements.csv:2: sync_time 0.1 must be at least 0 and "
                                  "below step_time 0.1");
  const auto bsz =
      toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n1,32.5,0.1,0\n");
  EXPECT_EQ(load_error(bsz),
            bsz + "/placements.csv:2: column 'local_bsz': expected a whole number >= 1, got 32.5");
  const auto twice = toy_with(
      "placements.csv", "placement,local_bsz,step_time,sync_time\n1,32,0.1,0\n\n1,32,0.2,0\n");
  EXPECT_EQ(load_error(twice), twice +
                                   "/placements.csv:4: placement 1 at local_bsz 32 was "
                                   "already measured on line 2");
  const auto back =
      toy_with("validation-64.csv",
               "progress,iteration,metric,grad_sqr,grad_var\n100,1,0,1,1\n50,2,0,1,1\n");
  EXPECT_EQ(load_error(back),
            back + "/validation-64.csv:3: progress 50 is below the previous row's 100");
  const auto nodes = toy_with(
      "scalability.csv", "num_nodes,num_replicas,local_bsz,step_time,sync_time\n0,4,32,0.5,0.4\n");
  EXPECT_EQ(load_error(nodes),
            nodes + "/scalability.csv:2: column 'num_nodes': expected a whole number >= 1, got 0");
  const auto replicas = toy_with(
      "scalability.csv", "num_nodes,num_replicas,local_bsz,step_time,sync_time\n6,4,32,0.5,0.4\n");
  EXPECT_EQ(load_error(replicas),
            replicas + "/scalability.csv:2: num_replicas 4 is below num_nodes 6");
}

TEST(ApplicationProfileErrors, MissingFilesAndFolders) {
  const auto dir = toy_with("validation-abc.csv", "progress,iteration,metric,grad_sqr,grad_var\n");
  EXPECT_EQ(load_error(dir), dir +
                                 "/validation-abc.csv: the name should be "
                                 "validation-<batch size>.csv with a batch size of at least 1");
  const auto no_scalability =
      toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n1,32,0.1,0\n");
  fs::remove(fs::path(no_scalability) / "scalability.csv");
  EXPECT_EQ(load_error(no_scalability), no_scalability + "/scalability.csv: cannot open the file");
  const auto no_runs =
      toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n1,32,0.1,0\n");
  fs::remove(fs::path(no_runs) / "validation-64.csv");
  fs::remove(fs::path(no_runs) / "validation-256.csv");
  EXPECT_EQ(load_error(no_runs),
            no_runs + ": no validation-<batch size>.csv file (gradient statistics)");
  const auto empty = toy_with("placements.csv", "placement,local_bsz,step_time,sync_time\n");
  EXPECT_EQ(load_error(empty), empty + "/placements.csv:1: no measurements after the header");
  // An application with no folder: the message names the folder and what it holds.
  EXPECT_EQ(test::input_error_of([] { ApplicationProfile::load(data_dir(), "resnet", {}); }),
            data_dir() +
                ": application 'resnet' has no profile folder there (it has: "
                "cifar10-excerpt, toy)");
  EXPECT_EQ(load_error(data_dir() + "/resnet"),
            data_dir() + "/resnet: no such application profile folder");
}

}  // namespace
}  // namespace dlsched::adaptive
