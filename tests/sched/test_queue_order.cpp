// QueueOrder: queues served front to back, each in the order its jobs joined its back.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "sched/policies/queue_order.h"

namespace dlsched::test {
namespace {

std::vector<std::pair<JobId, int>> walk_all(QueueOrder& order) {
  std::vector<std::pair<JobId, int>> seen;
  order.walk([&](JobId j, int q) {
    seen.emplace_back(j, q);
    return true;
  });
  return seen;
}

TEST(QueueOrder, QueuesInTurnEachInTheOrderJobsJoinedItsBack) {
  QueueOrder order;
  order.reset(3);
  order.to_back(4, 1);
  order.to_back(2, 0);
  order.to_back(7, 1);
  order.to_back(1, 0);
  using V = std::vector<std::pair<JobId, int>>;
  EXPECT_EQ(walk_all(order), (V{{2, 0}, {1, 0}, {4, 1}, {7, 1}}));
  // Moving to the back of its own queue, then demoting to another: O(1) relinks.
  order.to_back(2, 0);
  order.to_back(4, 2);
  EXPECT_EQ(walk_all(order), (V{{1, 0}, {2, 0}, {7, 1}, {4, 2}}));
}

TEST(QueueOrder, AWalkDropsTheJobsItRejectsAndRemoveIsIdempotent) {
  QueueOrder order;
  order.reset(2);
  for (JobId j = 0; j < 5; ++j) order.to_back(j, j % 2);
  order.walk([](JobId j, int) { return j != 2 && j != 3; });  // inside queue 0, back of queue 1
  order.remove(0);
  order.remove(0);
  order.remove(99);  // never seen
  using V = std::vector<std::pair<JobId, int>>;
  EXPECT_EQ(walk_all(order), (V{{4, 0}, {1, 1}}));
  order.to_back(0, 1);
  EXPECT_EQ(walk_all(order), (V{{4, 0}, {1, 1}, {0, 1}}));
}

}  // namespace
}  // namespace dlsched::test
