// Which worker ranks an adaptive job's node allocation gets in emulate (emu/adaptive_gpus.h).
#include <gtest/gtest.h>

#include <vector>

#include "core/cluster.h"
#include "core/error.h"
#include "emu/adaptive_gpus.h"

namespace dlsched::emu {
namespace {

TEST(AdaptiveGpus, NewGpusAreTheLowestFreeOnesOfEachNode) {
  const ClusterSpec cluster = ClusterSpec::parse("2x4:v100");  // GPUs 0-3 and 4-7
  AdaptiveGpus gpus(cluster, 3);
  gpus.assign(0, {2, 1});
  EXPECT_EQ(gpus.of(0), (std::vector<GpuId>{0, 1, 4}));
  gpus.assign(1, {1, 2});
  EXPECT_EQ(gpus.of(1), (std::vector<GpuId>{2, 5, 6}));
}

TEST(AdaptiveGpus, AJobKeepsTheGpusItHoldsWhenItGrowsOrShrinks) {
  const ClusterSpec cluster = ClusterSpec::parse("1x4:v100");
  AdaptiveGpus gpus(cluster, 2);
  gpus.assign(0, {1});
  gpus.assign(1, {1});
  gpus.release(0);  // job 0 leaves GPU 0; job 1 holds GPU 1
  gpus.assign(1, {3});
  EXPECT_EQ(gpus.of(1), (std::vector<GpuId>{0, 1, 2}));
  gpus.assign(1, {1});  // shrinks to the lowest it held
  EXPECT_EQ(gpus.of(1), (std::vector<GpuId>{0}));
  gpus.assign(0, {2});
  EXPECT_EQ(gpus.of(0), (std::vector<GpuId>{1, 2}));
  gpus.release(1);
  gpus.assign(0, {4});  // grows around the GPUs it has
  EXPECT_EQ(gpus.of(0), (std::vector<GpuId>{0, 1, 2, 3}));
}

TEST(AdaptiveGpus, ANodeWithoutEnoughFreeGpusIsAnInvariantError) {
  const ClusterSpec cluster = ClusterSpec::parse("1x2:v100");
  AdaptiveGpus gpus(cluster, 2);
  gpus.assign(0, {1});
  EXPECT_THROW(gpus.assign(1, {2}), InvariantError);
}

}  // namespace
}  // namespace dlsched::emu
