// Unit tests of the emulator's pieces that need no MPI ranks: the message protocol, the
// driver's communicator registry, the cluster made from hosts, slowdown factors, the work a
// lease carries, how rank 0 sees a dead worker process and the interruption counts.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "core/error.h"
#include "emu/comm_cache.h"
#include "emu/driver.h"
#include "emu/emulated_cluster.h"
#include "emu/interruptions.h"
#include "emu/protocol.h"
#include "emu/rank_processes.h"
#include "support/tiny_experiment.h"

namespace dlsched::emu {
namespace {

AssignMsg sample_assign() {
  AssignMsg a;
  a.lease = 42;
  a.job = 7;
  a.round = 3;
  a.members = {1, 2, 5};
  a.new_comm = true;
  a.wait_seconds = 0.25;
  a.deadline_seconds = 1.5;
  a.budget_steps = 99;
  a.iterations_before = 12.5;
  a.work.mode = ComputeMode::KERNEL;
  a.work.compute_seconds = 0.1;
  a.work.flops = 3e9;
  a.work.slowdown = 2;
  a.work.gradient_bytes = 1 << 20;
  a.work.bucket_bytes = 25 << 20;
  a.work.overlap = false;  // not the default, so a dropped field shows
  a.work.forward_fraction = 0.25;
  return a;
}

TEST(Protocol, AssignRoundTrips) {
  const AssignMsg a = sample_assign();
  const Message m = decode(encode(a));
  ASSERT_TRUE(std::holds_alternative<AssignMsg>(m));
  const auto& b = std::get<AssignMsg>(m);
  EXPECT_EQ(b.lease, a.lease);
  EXPECT_EQ(b.job, a.job);
  EXPECT_EQ(b.round, a.round);
  EXPECT_EQ(b.members, a.members);
  EXPECT_EQ(b.new_comm, a.new_comm);
  EXPECT_EQ(b.wait_seconds, a.wait_seconds);
  EXPECT_EQ(b.deadline_seconds, a.deadline_seconds);
  EXPECT_EQ(b.budget_steps, a.budget_steps);
  EXPECT_EQ(b.iterations_before, a.iterations_before);
  EXPECT_EQ(b.work.mode, a.work.mode);
  EXPECT_EQ(b.work.flops, a.work.flops);
  EXPECT_EQ(b.work.slowdown, a.work.slowdown);
  EXPECT_EQ(b.work.gradient_bytes, a.work.gradient_bytes);
  EXPECT_EQ(b.work.bucket_bytes, a.work.bucket_bytes);
  EXPECT_EQ(b.work.overlap, a.work.overlap);
  EXPECT_EQ(b.work.forward_fraction, a.work.forward_fraction);
}

TEST(Protocol, EveryTypeRoundTrips) {
  ReportMsg r;
  r.lease = 9;
  r.job = 4;
  r.steps = 17;
  r.seconds = 1.25;
  r.reason = StopReason::REQUESTED;
  r.communicators = 3;
  const std::vector<Message> all = {sample_assign(), StopMsg{5},    ShutdownMsg{},
                                    ReleaseMsg{{2, 4}}, StartedMsg{6}, r,
                                    FailureMsg{"disk on fire"}};
  for (const Message& m : all) {
    const Message back = decode(encode(m));
    EXPECT_EQ(type_of(back), type_of(m)) << to_string(type_of(m));
  }
  EXPECT_EQ(std::get<ReportMsg>(decode(encode(r))).reason, StopReason::REQUESTED);
  EXPECT_EQ(std::get<ReportMsg>(decode(encode(r))).communicators, 3u);
  EXPECT_EQ(std::get<ReleaseMsg>(decode(encode(ReleaseMsg{{2, 4}}))).members,
            (std::vector<std::int32_t>{2, 4}));
  EXPECT_EQ(std::get<FailureMsg>(decode(encode(FailureMsg{"disk on fire"}))).what, "disk on fire");
}

TEST(Protocol, UnknownTypeIsAClearError) {
  try {
    decode(encode_header_only(0xBEEF));
    FAIL() << "decoded an unknown type";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown message type 48879"), std::string::npos)
        << e.what();
  }
}

TEST(Protocol, WrongVersionMagicAndLengthAreRejected) {
  std::vector<std::byte> bytes = encode(StopMsg{1});
  auto version = bytes;
  version[4] = std::byte{0x7f};
  EXPECT_THROW(decode(version), ProtocolError);
  auto magic = bytes;
  magic[0] = std::byte{0};
  EXPECT_THROW(decode(magic), ProtocolError);
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_THROW(decode(truncated), ProtocolError);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_THROW(decode(longer), ProtocolError);
  EXPECT_THROW(decode(std::vector<std::byte>(3)), ProtocolError);
}

TEST(Protocol, ReleaseOfNoRanksIsRejected) {
  EXPECT_THROW(decode(encode(ReleaseMsg{})), ProtocolError);
}

using Sets = std::vector<std::vector<int>>;

TEST(CommRegistry, ReusesAnUnchangedRankSet) {
  CommRegistry reg;
  EXPECT_TRUE(reg.plan_lease({1, 2}).build);
  const CommPlan again = reg.plan_lease({1, 2});
  EXPECT_FALSE(again.build);
  EXPECT_TRUE(again.release.empty());
  EXPECT_EQ(reg.counts().built, 1u);
  EXPECT_EQ(reg.counts().reused, 1u);
  EXPECT_EQ(reg.counts().released, 0u);
}

TEST(CommRegistry, DisjointSetsAreKeptSideBySide) {
  CommRegistry reg;
  reg.plan_lease({1, 2});
  const CommPlan other = reg.plan_lease({3});
  EXPECT_TRUE(other.build);
  EXPECT_TRUE(other.release.empty());
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_FALSE(reg.plan_lease({1, 2}).build);  // still cached
}

TEST(CommRegistry, ASetThatTakesRanksFreesEverySetItOverlaps) {
  CommRegistry reg;
  reg.plan_lease({1, 2});
  reg.plan_lease({3, 4});
  reg.plan_lease({5});
  // {2,3} takes a rank from each of the first two sets; {5} keeps its communicator.
  const CommPlan plan = reg.plan_lease({2, 3});
  EXPECT_TRUE(plan.build);
  EXPECT_EQ(plan.release, (Sets{{1, 2}, {3, 4}}));
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_EQ(reg.counts().released, 2u);
  // Rank 1 lost its communicator with {1,2}: a lease there builds one and frees nothing.
  const CommPlan lone = reg.plan_lease({1});
  EXPECT_TRUE(lone.build);
  EXPECT_TRUE(lone.release.empty());
  EXPECT_FALSE(reg.plan_lease({5}).build);
}

TEST(CommRegistry, CachedSetsStayDisjointUnderChurn) {
  // Every rank in at most one cached set, whatever the order of leases.
  CommRegistry reg;
  const Sets leases = {{1, 2, 3, 4}, {1}, {2, 3}, {1, 2, 3, 4}, {4}, {3, 4}, {2}, {1, 2}};
  std::map<int, int> holders;
  for (const auto& members : leases) {
    const CommPlan plan = reg.plan_lease(members);
    for (const auto& old : plan.release)
      for (int r : old) --holders[r];
    if (plan.build)
      for (int r : members) ++holders[r];
    for (const auto& [rank, n] : holders) EXPECT_LE(n, 1) << "rank " << rank;
    for (int r : members) EXPECT_EQ(holders[r], 1) << "rank " << r;
  }
  EXPECT_EQ(reg.counts().built - reg.counts().released, reg.size());
}

TEST(EmulatedCluster, OneNodePerRunOfHosts) {
  EXPECT_EQ(cluster_spec_from_hosts({"a", "a", "b", "b", "b"}, "v100"), "1x2:v100,1x3:v100");
  EXPECT_EQ(cluster_spec_from_hosts({"a"}, "t4"), "1x1:t4");
  // Ranks of one host that are not adjacent make separate emulated nodes.
  EXPECT_EQ(cluster_spec_from_hosts({"a", "b", "a"}, "g"), "1x1:g,1x1:g,1x1:g");
}

TEST(EmulatedCluster, SlowdownOverridesParse) {
  const auto s = parse_slowdowns({"k80=3.5", "p100=2"});
  EXPECT_DOUBLE_EQ(s.at("k80"), 3.5);
  EXPECT_DOUBLE_EQ(s.at("p100"), 2);
  EXPECT_THROW(parse_slowdowns({"k80"}), InputError);
  EXPECT_THROW(parse_slowdowns({"k80=fast"}), InputError);
  EXPECT_THROW(parse_slowdowns({"k80=-1"}), InputError);
  EXPECT_THROW(parse_slowdowns({"=2"}), InputError);
}

TEST(EmulatedCluster, SlowdownsFollowTheCatalogUnlessOverridden) {
  auto ex = test::tiny_experiment({{0, 1, 4}}, {{1, 2, "g"}, {1, 2, "slow"}}, "fifo");
  const int g = ex->cluster.type_index("g"), slow = ex->cluster.type_index("slow");
  const auto derived = slowdown_factors(ex->cluster, ex->catalog, {});
  EXPECT_DOUBLE_EQ(derived[g], 1.0);
  EXPECT_DOUBLE_EQ(derived[slow], 2.0);
  const auto given = slowdown_factors(ex->cluster, ex->catalog, {{"slow", 5.0}});
  EXPECT_DOUBLE_EQ(given[slow], 5.0);
  EXPECT_THROW(slowdown_factors(ex->cluster, ex->catalog, {{"k80", 2.0}}), InputError);
}

TEST(RankProcesses, AnExitedProcessOnThisHostIsGoneAsZombieAndAfterReaping) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  RankProcesses p{{"here", "here", "elsewhere"}, {static_cast<long>(getpid()), child, child}};
  EXPECT_FALSE(p.known_gone(0));  // this process: alive
  // Not reaped yet: a zombie, as a killed rank is until its launcher waits for it.
  for (int i = 0; i < 200 && !p.known_gone(1); ++i) usleep(5000);
  EXPECT_TRUE(p.known_gone(1));
  EXPECT_FALSE(p.known_gone(2));  // another host: cannot be seen from here
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(p.known_gone(1));  // no such process
  EXPECT_FALSE(p.known_gone(7));  // no such rank
  EXPECT_EQ(p.describe(2), "rank 2 on host elsewhere");
}

TEST(Interruptions, AbsentAttributesAreZeroAndMalformedOnesAreRefused) {
  const Interruptions none = read_interruptions({{"status", "complete"}});
  EXPECT_EQ(none.count, 0);
  EXPECT_EQ(none.wall_seconds, 0);
  EXPECT_EQ(none.restore_seconds, 0);
  const Interruptions two = read_interruptions(
      {{"interruptions", "2"}, {"interrupted_wall_seconds", "95.5"},
       {"requeue_restore_seconds", "0.75"}});
  EXPECT_EQ(two.count, 2);
  EXPECT_EQ(two.wall_seconds, 95.5);
  EXPECT_EQ(two.restore_seconds, 0.75);
  EXPECT_THROW(read_interruptions({{"interrupted_wall_seconds", "-1"}}), InputError);
  EXPECT_THROW(read_interruptions({{"interruptions", "x"}}), InputError);
  EXPECT_THROW(read_interruptions({{"requeue_restore_seconds", "nan"}}), InputError);
}

TEST(IterationWork, SleepTimeIsTheModelledComputeTime) {
  auto ex = test::tiny_experiment({{0, 2, 4}}, {{1, 2, "g"}, {1, 2, "slow"}}, "fifo");
  DriverSettings s;
  s.slowdown = slowdown_factors(ex->cluster, ex->catalog, {});
  const int g = ex->cluster.type_index("g"), slow = ex->cluster.type_index("slow");
  const IterationWork fast = iteration_work(*ex, 0, PlacementShape{g, 2, 1}, s);
  EXPECT_EQ(fast.mode, ComputeMode::SLEEP);
  EXPECT_NEAR(fast.compute_seconds, ex->throughput->iteration_time(0, PlacementShape{g, 2, 1}),
              1e-9);
  const IterationWork slower = iteration_work(*ex, 0, PlacementShape{slow, 2, 1}, s);
  EXPECT_NEAR(slower.compute_seconds, 2 * fast.compute_seconds, 1e-9);
  s.compute = ComputeMode::KERNEL;
  s.flops_scale = 0.5;
  const IterationWork kernel = iteration_work(*ex, 0, PlacementShape{slow, 2, 1}, s);
  const ModelInfo& m = ex->throughput->model_of(0);
  EXPECT_DOUBLE_EQ(kernel.flops, m.flops_per_sample * ex->throughput->per_worker_batch(0) * 0.5);
  EXPECT_DOUBLE_EQ(kernel.slowdown, 2.0);
  EXPECT_GE(kernel.gradient_bytes, 4u);
}

}  // namespace
}  // namespace dlsched::emu
