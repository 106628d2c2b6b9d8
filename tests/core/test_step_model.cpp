// The step model the simulator and the emulator share: DDP's bucket layout and the time of an
// iteration whose allreduces overlap the backward.
#include <gtest/gtest.h>

#include "core/cluster.h"
#include "core/model_catalog.h"
#include "core/step_model.h"
#include "core/throughput_model.h"

namespace dlsched {
namespace {

TEST(GradientBuckets, FirstBucketSmallThenTheCapThenTheRest) {
  EXPECT_EQ(gradient_buckets(60, 25, 1), (std::vector<std::uint64_t>{1, 25, 25, 9}));
  EXPECT_EQ(gradient_buckets(1, 25, 1), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(gradient_buckets(0, 25, 1), (std::vector<std::uint64_t>{0}));
  // A first-bucket cap above the bucket cap is the bucket cap.
  EXPECT_EQ(gradient_buckets(10, 4, 8), (std::vector<std::uint64_t>{4, 4, 2}));
  // DDP's defaults: 100 MB of gradients in 1 MiB + 25 MiB buckets.
  const auto ddp = gradient_buckets(100'000'000);
  EXPECT_EQ(ddp.size(), 5u);
  EXPECT_EQ(ddp.front(), 1u << 20);
}

TEST(OverlappedStep, CommunicationShorterThanTheBackwardIsHidden) {
  // 3 s of compute: 1 s forward, 2 s backward; buckets 1, 1, 2 bytes produced at 1.5, 2, 3 s.
  // Each allreduce takes 0.1 s per byte: ends at 1.6, 2.1, 3.2 s.
  const auto per_byte = [](double bytes) { return 0.1 * bytes; };
  EXPECT_NEAR(overlapped_step_seconds(3, 1.0 / 3, {1, 1, 2}, per_byte), 3.2, 1e-12);
}

TEST(OverlappedStep, LongCommunicationQueuesBehindTheBucketBefore) {
  // Same compute; each allreduce takes 1 s per byte. Bucket 1: 1.5..2.5; bucket 2 produced at
  // 2 waits until 2.5: 2.5..3.5; bucket 3 produced at 3 waits until 3.5: 3.5..5.5.
  const auto per_byte = [](double bytes) { return 1.0 * bytes; };
  EXPECT_NEAR(overlapped_step_seconds(3, 1.0 / 3, {1, 1, 2}, per_byte), 5.5, 1e-12);
  // Never less than the compute, never more than compute plus all communication (4 s).
  EXPECT_GE(overlapped_step_seconds(3, 1.0 / 3, {1, 1, 2}, per_byte), 3.0);
  EXPECT_LE(overlapped_step_seconds(3, 1.0 / 3, {1, 1, 2}, per_byte), 7.0);
}

TEST(OverlappedStep, OneBucketHidesNothing) {
  const auto fixed = [](double) { return 0.7; };
  EXPECT_NEAR(overlapped_step_seconds(3, 1.0 / 3, {5}, fixed), 3.7, 1e-12);
}

/// A 100 MB model (25M fp32 parameters) whose iteration computes for seconds.
ModelInfo big_model() {
  ModelInfo m;
  m.name = "m";
  m.parameters = 25e6;
  m.flops_per_sample = 1e12;
  m.batch_size = 32;
  return m;
}

TEST(ThroughputModelStep, OnlyTheLastBucketIsExposedWhenTheBackwardIsLong) {
  ModelCatalog catalog;
  catalog.add_gpu_type(GpuTypeInfo{"g", 100, 0.5, 16});
  const ModelInfo m = big_model();
  catalog.add_model(m);
  const ClusterSpec cluster = ClusterSpec::parse("1x4:g");
  const ThroughputModel on(catalog, cluster, nullptr, StepSettings{true, DDP_BUCKET_BYTES});
  const ThroughputModel off(catalog, cluster, nullptr, StepSettings{false, DDP_BUCKET_BYTES});
  const PlacementShape four{0, 4, 1};
  const double compute = on.analytic_compute_time(m, 32, 0);  // 0.64 s
  ASSERT_NEAR(compute, 1e12 * 32 / (100e12 * 0.5), 1e-12);
  // 100e6 bytes in DDP's buckets: 1 MiB, 3 x 25 MiB, and 20,308,224 bytes last. Each earlier
  // allreduce takes about a millisecond on 150 GB/s links, far less than the backward left
  // after it, so only the last one adds to the step.
  const double last = on.analytic_allreduce_time(20'308'224, 4, 1);
  EXPECT_NEAR(on.analytic_iteration_time(m, 32, four), compute + last, 1e-12);
  EXPECT_NEAR(on.analytic_exposed_comm_time(m, 32, four), last, 1e-12);
  // Serialised: the whole allreduce after the compute.
  EXPECT_NEAR(off.analytic_iteration_time(m, 32, four),
              compute + off.analytic_allreduce_time(100e6, 4, 1), 1e-12);
  // One worker communicates nothing either way.
  EXPECT_NEAR(on.analytic_iteration_time(m, 32, PlacementShape{0, 1, 1}), compute, 1e-12);
}

TEST(ThroughputModelStep, TheCatalogsForwardFractionMovesTheOverlap) {
  ModelCatalog catalog;
  catalog.add_gpu_type(GpuTypeInfo{"g", 100, 0.5, 16});
  ModelInfo m = big_model();
  m.flops_per_sample = 1e9;  // a short step: communication longer than the backward
  m.forward_fraction = 0.9;
  catalog.add_model(m);
  const ClusterSpec cluster = ClusterSpec::parse("2x4:g");
  const ThroughputModel model(catalog, cluster, nullptr, StepSettings{true, DDP_BUCKET_BYTES});
  const PlacementShape spread{0, 8, 2};
  const double compute = model.analytic_compute_time(m, 32, 0);
  const auto allreduce = [&](double b) { return model.analytic_allreduce_time(b, 8, 2); };
  // Over the 12.5 GB/s inter-node links the buckets queue behind each other: the step is the
  // backward's first bucket, then all allreduces back to back.
  const double first_ready = compute * 0.9 + compute * 0.1 * (1 << 20) / 100e6;
  double queued = first_ready;
  for (std::uint64_t b : gradient_buckets(100'000'000)) queued += allreduce(static_cast<double>(b));
  EXPECT_NEAR(model.analytic_iteration_time(m, 32, spread), queued, 1e-9);
}

}  // namespace
}  // namespace dlsched
