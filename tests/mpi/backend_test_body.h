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
