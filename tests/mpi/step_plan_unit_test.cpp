// How a worker's training step is laid out (no MPI needed): the GEMMs a compute chunk runs
// and the buckets and chunks of an iteration.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "core/step_model.h"
#include "emu/gemm_plan.h"
#include "emu/training_step.h"

namespace dlsched::emu {
namespace {

TEST(GemmPlan, EverySideIsAlignedAndTheFlopsAreKeptWithinOneAlignedSlice) {
  for (int tile : {512, 8192}) {
    const int align = tile == 512 ? 16 : 128;
    const double tile_flops = 2.0 * std::pow(tile, 3);
    // The leftovers of the sample models' iterations gave sides such as 6164 and 5839; sweep
    // rests across the whole range, small and large, and several whole tiles.
    for (double f = 1e6; f < 40 * tile_flops; f *= 1.37) {
      const GemmPlan p = plan_gemms(f, tile, align);
      EXPECT_EQ(p.full_tiles, static_cast<std::int64_t>(std::floor(f / tile_flops)));
      if (p.rest) {
        const GemmDims& d = *p.rest;
        for (int side : {d.m, d.n, d.k}) {
          EXPECT_EQ(side % align, 0) << "flops " << f << " side " << side;
          EXPECT_GT(side, 0);
          EXPECT_LE(side, tile);
        }
        // The operands hold tile x tile elements: A is m x k, B k x n, C m x n.
        EXPECT_LE(static_cast<double>(d.m) * d.k, static_cast<double>(tile) * tile);
        EXPECT_LE(static_cast<double>(d.n) * d.k, static_cast<double>(tile) * tile);
      }
      EXPECT_LE(std::abs(p.flops() - f), align * static_cast<double>(tile) * tile)
          << "tile " << tile << " flops " << f;
    }
  }
}

TEST(GemmPlan, ALargeRestIsRowsOfAFullTileAndNothingIsLeftForNoFlops) {
  const GemmPlan p = plan_gemms(2.5 * 2.0 * std::pow(8192.0, 3), 8192, 128);
  EXPECT_EQ(p.full_tiles, 2);
  ASSERT_TRUE(p.rest);
  EXPECT_EQ(*p.rest, (GemmDims{4096, 8192, 8192}));
  const GemmPlan none = plan_gemms(0, 8192, 128);
  EXPECT_EQ(none.full_tiles, 0);
  EXPECT_FALSE(none.rest);
}

IterationWork work(double flops, std::uint64_t bytes, std::uint64_t bucket) {
  IterationWork w;
  w.mode = ComputeMode::KERNEL;
  w.flops = flops;
  w.gradient_bytes = bytes;
  w.bucket_bytes = bucket;
  w.forward_fraction = 0.25;
  return w;
}

TEST(StepPlan, BucketsAreDdpsAndTheBackwardIsSharedByBytes) {
  // 60 MiB in 25 MiB buckets: 1 MiB first, then 25, 25 and the remaining 9.
  const StepPlan p = plan_step(work(8e9, 60ull << 20, 25ull << 20));
  const std::size_t mib = (1u << 20) / sizeof(float);
  ASSERT_EQ(p.bucket_elems, (std::vector<std::size_t>{mib, 25 * mib, 25 * mib, 9 * mib}));
  EXPECT_EQ(p.gradient_elems(), 60 * mib);
  EXPECT_DOUBLE_EQ(p.forward, 2e9);
  ASSERT_EQ(p.backward.size(), 4u);
  EXPECT_NEAR(p.backward[0], 6e9 / 60, 1);
  EXPECT_NEAR(p.backward[1], 6e9 * 25 / 60, 1);
  EXPECT_NEAR(std::accumulate(p.backward.begin(), p.backward.end(), p.forward), 8e9, 1);
}

TEST(StepPlan, TinyGradientsAreOneBucketOfAtLeastOneFloat) {
  const StepPlan p = plan_step(work(1e6, 2, 25ull << 20));
  EXPECT_EQ(p.bucket_elems, (std::vector<std::size_t>{1}));
  // Buckets smaller than DDP's first one: every bucket at the cap.
  const StepPlan small = plan_step(work(1e6, 1 << 20, 256 << 10));
  EXPECT_EQ(small.bucket_elems, (std::vector<std::size_t>(4, (256u << 10) / sizeof(float))));
}

TEST(StepPlan, SleepModeSplitsSecondsAndIgnoresTheSlowdown) {
  IterationWork w = work(0, 4u << 20, 1u << 20);
  w.mode = ComputeMode::SLEEP;
  w.compute_seconds = 0.4;
  w.slowdown = 3;  // already inside compute_seconds in sleep mode
  const StepPlan p = plan_step(w);
  EXPECT_DOUBLE_EQ(p.forward, 0.1);
  EXPECT_DOUBLE_EQ(p.slowdown, 1);
  EXPECT_NEAR(std::accumulate(p.backward.begin(), p.backward.end(), 0.0), 0.3, 1e-12);
}

}  // namespace
}  // namespace dlsched::emu
