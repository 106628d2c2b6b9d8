// The backend tests, written once: each backend_test_<name>.cpp defines TEST_BACKEND and
// includes this body (as Kokkos compiles one test body per execution space). They run under
// mpiexec with 1 and 2 ranks; multi-member cases skip on 1 rank.
#pragma once

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "emu/backend.h"
#include "emu/comm_cache.h"
#include "emu/protocol.h"
#include "emu/training_step.h"

namespace dlsched::emu::test {

/// What the body needs to know about one backend.
struct BackendCase {
  const char* name;            ///< registry name
  double unit_flops;           ///< FLOPs of one full kernel tile (a few ms of work)
  std::string (*unavailable)();  ///< why it cannot run here ("" if it can)
};

/// Defined by the including file.
extern const BackendCase TEST_BACKEND;

class BackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every rank sees the same machine, so all skip together and no collective is left half
    // entered.
    const std::string why = TEST_BACKEND.unavailable ? TEST_BACKEND.unavailable() : "";
    if (!why.empty()) GTEST_SKIP() << why;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm_dup(MPI_COMM_WORLD, &parent_);
    backend_ = make_backend(TEST_BACKEND.name);
  }
  void TearDown() override {
    comms_.clear();  // communicators go before the backend that made them
    backend_.reset();
    if (parent_ != MPI_COMM_NULL) MPI_Comm_free(&parent_);
  }
  /// Wall seconds of compute(flops); the backend returns when the device is done.
  double time_compute(double flops) {
    const auto t0 = std::chrono::steady_clock::now();
    backend_->compute(flops);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  JobCommunicator& connect(const std::vector<int>& members) {
    comms_.push_back(backend_->connect(parent_, members));
    return *comms_.back();
  }
  /// A kernel-mode step of `tiles` kernel tiles and `mib` MiB of gradients in `bucket_mib`
  /// MiB buckets (the first 1 MiB, as DDP's).
  static StepPlan step_plan(double tiles, std::uint64_t mib, std::uint64_t bucket_mib,
                            bool overlap) {
    IterationWork w;
    w.mode = ComputeMode::KERNEL;
    w.flops = tiles * TEST_BACKEND.unit_flops;
    w.gradient_bytes = mib << 20;
    w.bucket_bytes = bucket_mib << 20;
    w.overlap = overlap;
    return plan_step(w);
  }
  std::vector<int> all_ranks() const {
    std::vector<int> v(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) v[static_cast<std::size_t>(r)] = r;
    return v;
  }

  int rank_ = 0, size_ = 1;
  MPI_Comm parent_ = MPI_COMM_NULL;
  std::unique_ptr<Backend> backend_;
  std::vector<std::unique_ptr<JobCommunicator>> comms_;
};

TEST_F(BackendTest, HasItsRegisteredName) { EXPECT_EQ(backend_->name(), TEST_BACKEND.name); }

TEST_F(BackendTest, ComputeTimeGrowsWithFlops) {
  const double unit = TEST_BACKEND.unit_flops;
  backend_->compute(unit);   // warm-up: buffers, library handles, clocks
  backend_->compute(1e3);    // a remainder-only call runs too
  double small = 1e30, large = 1e30;
  for (int i = 0; i < 3; ++i) {
    small = std::min(small, time_compute(2 * unit));
    large = std::min(large, time_compute(16 * unit));
  }
  ASSERT_GT(small, 0);
  // 8x the FLOPs: allow for noise on shared machines, but the time must follow the work.
  EXPECT_GT(large / small, 2.5) << "2 tiles " << small << " s, 16 tiles " << large << " s";
  EXPECT_LT(large / small, 32.0) << "2 tiles " << small << " s, 16 tiles " << large << " s";
}

TEST_F(BackendTest, TimesItsOwnWork) {
  // The worker reports these figures: they must be the work's, within the wall time around it.
  const double unit = TEST_BACKEND.unit_flops;
  backend_->compute(unit);  // warm-up
  const double wall = time_compute(8 * unit);
  const double own = backend_->last_compute_seconds();
  EXPECT_GT(own, 0.5 * wall) << "own " << own << " s, wall " << wall << " s";
  EXPECT_LE(own, wall * 1.001 + 1e-6) << "own " << own << " s, wall " << wall << " s";
  JobCommunicator& comm = connect({rank_});
  const auto t0 = std::chrono::steady_clock::now();
  backend_->allreduce_gradients(comm, 8 << 20, 1 << 20, 0.0f);
  const double comm_wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(backend_->last_comm_seconds(), 0);
  EXPECT_LE(backend_->last_comm_seconds(), comm_wall * 1.001 + 1e-6);
}

TEST_F(BackendTest, AllreduceAloneReturnsItsFlag) {
  JobCommunicator& comm = connect({rank_});
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  comm.barrier();
  // Sizes not a multiple of the bucket: the flag rides in a short last bucket.
  const std::size_t bytes = (1 << 20) + 12, bucket = 100 << 10;
  EXPECT_EQ(backend_->allreduce_gradients(comm, bytes, bucket, 0.0f), 0.0);
  EXPECT_EQ(backend_->allreduce_gradients(comm, bytes, bucket, 1.0f), 1.0);
  EXPECT_EQ(backend_->allreduce_gradients(comm, 64, bucket, 2.5f), 2.5);
  EXPECT_EQ(backend_->allreduce_gradients(comm, bytes, bucket, 0.0f), 0.0);
}

TEST_F(BackendTest, AllreduceSumsFlagsOfAllMembers) {
  if (size_ < 2) GTEST_SKIP() << "needs at least 2 ranks";
  JobCommunicator& comm = connect(all_ranks());
  EXPECT_EQ(comm.rank(), rank_);
  EXPECT_EQ(comm.size(), size_);
  comm.barrier();
  const double expected = size_ * (size_ + 1) / 2.0;
  const float mine = static_cast<float>(rank_ + 1);
  // Growing, then shrinking gradients on one communicator; one and many buckets.
  EXPECT_EQ(backend_->allreduce_gradients(comm, 4 << 10, 25 << 20, mine), expected);
  EXPECT_EQ(backend_->allreduce_gradients(comm, 3 << 20, 1 << 20, mine), expected);
  EXPECT_EQ(backend_->allreduce_gradients(comm, 64, 1 << 20, mine), expected);
  // Only the leader raises the stop flag: every member reads it.
  EXPECT_EQ(backend_->allreduce_gradients(comm, 1 << 20, 256 << 10, rank_ == 0 ? 1.0f : 0.0f),
            1.0);
  EXPECT_EQ(backend_->allreduce_gradients(comm, 1 << 20, 256 << 10, 0.0f), 0.0);
}

TEST_F(BackendTest, OverlappedStepAllreducesBucketsDuringTheBackward) {
  if (size_ < 2) GTEST_SKIP() << "needs at least 2 ranks";
  JobCommunicator& comm = connect(all_ranks());
  // Communication well under the backward, so that no bucket has to queue behind the one
  // before it past the backward's end (the model allows that where communication is longer).
  const StepPlan plan = step_plan(32, 8, 1, true);
  ASSERT_GT(plan.bucket_elems.size(), 2u);
  const auto none = [] { return 0.0f; };
  backend_->train_step(comm, plan, none);  // warm-up: buffers, kernels, connections
  const StepTiming t = backend_->train_step(comm, plan, none);
  ASSERT_EQ(t.bucket_starts.size(), plan.bucket_elems.size());
  // An allreduce waits for its slowest member: members sharing cores compute at different
  // speeds, so a bucket can start only once the slowest member produced it.
  double slowest_end = t.backward_end;
  MPI_Allreduce(MPI_IN_PLACE, &slowest_end, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  // Buckets start in order, none before the backward. The first half start while the
  // backward is still computing (a serialised step starts them all after it); later ones may
  // queue behind the allreduce before them where ranks share cores with the compute.
  const std::size_t buckets = t.bucket_starts.size();
  for (std::size_t k = 0; k < buckets; ++k) {
    EXPECT_GE(t.bucket_starts[k], t.backward_begin) << "bucket " << k;
    if (k > 0) {
      EXPECT_GE(t.bucket_starts[k], t.bucket_starts[k - 1]) << "bucket " << k;
    }
    if (2 * k < buckets) {
      EXPECT_LT(t.bucket_starts[k], slowest_end) << "bucket " << k;
    }
  }
  // The last carries the stop flag, decided once the backward is done.
  EXPECT_GE(t.bucket_starts.back(), t.backward_end - 1e-5);
  // The communication ran beside the compute: the step is shorter than the two in a row.
  EXPECT_GT(t.comm_seconds, 0);
  EXPECT_LT(t.seconds, t.compute_seconds + t.comm_seconds)
      << "step " << t.seconds << " s, compute " << t.compute_seconds << " s, comm "
      << t.comm_seconds << " s";
  EXPECT_GE(t.seconds, t.compute_seconds);
}

TEST_F(BackendTest, SerialisedStepAllreducesAfterTheBackward) {
  JobCommunicator& comm = connect(all_ranks());
  const StepPlan plan = step_plan(8, 8, 2, false);
  const auto none = [] { return 0.0f; };
  backend_->train_step(comm, plan, none);  // warm-up
  const StepTiming t = backend_->train_step(comm, plan, none);
  for (double start : t.bucket_starts) EXPECT_GE(start, t.backward_end - 1e-5);
  EXPECT_GE(t.seconds, t.compute_seconds + t.comm_seconds - 1e-5)
      << "step " << t.seconds << " s, compute " << t.compute_seconds << " s, comm "
      << t.comm_seconds << " s";
  EXPECT_NEAR(t.exposed_comm_seconds(), t.seconds - t.compute_seconds, 1e-12);
}

TEST_F(BackendTest, StepFlagIsSummedOnceAndItsSlotStartsAtZeroNextStep) {
  JobCommunicator& comm = connect(all_ranks());
  for (bool overlap : {true, false}) {
    const StepPlan plan = step_plan(0.5, 3, 1, overlap);
    int decided = 0;
    const auto leader_stops = [&] {
      ++decided;
      return rank_ == 0 ? 1.0f : 0.0f;
    };
    EXPECT_EQ(backend_->train_step(comm, plan, leader_stops).flag_sum, 1.0f);
    EXPECT_EQ(decided, 1);
    // A member that raised nothing now reads nothing: the slot was zeroed after the sum.
    EXPECT_EQ(backend_->train_step(comm, plan, [] { return 0.0f; }).flag_sum, 0.0f)
        << "overlap " << overlap;
  }
}

TEST_F(BackendTest, CachedCommunicatorIsReused) {
  CommCache cache(*backend_, parent_);
  const std::vector<int> members = all_ranks();
  JobCommunicator& built = cache.get(members, true);
  JobCommunicator& again = cache.get(members, false);
  EXPECT_EQ(&built, &again);
  EXPECT_EQ(backend_->allreduce_gradients(again, 1 << 16, 1 << 14, 1.0f), size_);
  cache.clear();
}

TEST_F(BackendTest, ReleasedCommunicatorIsGoneUntilBuiltAgain) {
  // A worker's life under the driver: a job's set, a lone rank, then the whole set again.
  CommCache cache(*backend_, parent_);
  const std::vector<int> members = all_ranks();
  EXPECT_EQ(backend_->allreduce_gradients(cache.get(members, true), 1 << 16, 1 << 14, 1.0f),
            size_);
  cache.release(members);  // every member at the same point: finalize, then destroy
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_THROW(cache.get(members, false), ProtocolError);
  EXPECT_THROW(cache.release(members), ProtocolError);
  JobCommunicator& alone = cache.get({rank_}, true);
  EXPECT_EQ(backend_->allreduce_gradients(alone, 1 << 12, 1 << 12, 2.0f), 2.0);
  cache.release({rank_});
  JobCommunicator& rebuilt = cache.get(members, true);
  EXPECT_EQ(rebuilt.size(), size_);
  EXPECT_EQ(backend_->allreduce_gradients(rebuilt, 1 << 16, 1 << 14, 1.0f), size_);
  EXPECT_EQ(cache.size(), 1u);
  cache.clear();
}

}  // namespace dlsched::emu::test
