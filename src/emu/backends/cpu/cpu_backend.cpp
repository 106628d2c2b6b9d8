#include "emu/backends/cpu/cpu_backend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "emu/mpi_check.h"

#ifdef DLSCHED_HAVE_CBLAS
#include <cblas.h>
#endif

namespace dlsched::emu {

MpiJobCommunicator::MpiJobCommunicator(MPI_Comm parent, const std::vector<int>& members) {
  MPI_Group parent_group = MPI_GROUP_NULL, group = MPI_GROUP_NULL;
  DLSCHED_MPI_CHECK(MPI_Comm_group(parent, &parent_group));
  DLSCHED_MPI_CHECK(
      MPI_Group_incl(parent_group, static_cast<int>(members.size()), members.data(), &group));
  // The tag only separates concurrent creations that share a member; a rank builds one
  // communicator at a time, so one tag serves every job.
  constexpr int CREATE_TAG = 7100;
  DLSCHED_MPI_CHECK(MPI_Comm_create_group(parent, group, CREATE_TAG, &comm_));
  DLSCHED_MPI_CHECK(MPI_Group_free(&group));
  DLSCHED_MPI_CHECK(MPI_Group_free(&parent_group));
  if (comm_ == MPI_COMM_NULL) throw MpiError(mpi_where() + ": MPI_Comm_create_group: not a member");
  DLSCHED_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DLSCHED_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  DLSCHED_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

MpiJobCommunicator::~MpiJobCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void MpiJobCommunicator::barrier() { DLSCHED_MPI_CHECK(MPI_Barrier(comm_)); }

CpuBackend::CpuBackend() {
#ifdef DLSCHED_HAVE_CBLAS
  // Many ranks share a node's cores: one BLAS thread per rank, no oversubscription inside.
  openblas_set_num_threads(1);
#endif
  const std::size_t n = static_cast<std::size_t>(CPU_KERNEL_TILE) * CPU_KERNEL_TILE;
  a_.assign(n, 0.5f);
  b_.assign(n, 0.25f);
  c_.assign(n, 0.0f);
}

std::unique_ptr<JobCommunicator> CpuBackend::connect(MPI_Comm parent,
                                                     const std::vector<int>& members) {
  return std::make_unique<MpiJobCommunicator>(parent, members);
}

void CpuBackend::gemm(const GemmDims& d) {
  // Operands hold tile x tile floats; plan_gemms keeps m x k, k x n and m x n inside that.
  const int m = d.m, n = d.n, k = d.k;
#ifdef DLSCHED_HAVE_CBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a_.data(), k, b_.data(), n,
              0.0f, c_.data(), n);
#else
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < k; ++p) {
      const float aip = a_[static_cast<std::size_t>(i) * k + p];
      for (int j = 0; j < n; ++j)
        c_[static_cast<std::size_t>(i) * n + j] += aip * b_[static_cast<std::size_t>(p) * n + j];
    }
#endif
}

void CpuBackend::compute(double flops) {
  const double t0 = clock_.now();
  const GemmPlan plan = plan_gemms(flops, CPU_KERNEL_TILE, CPU_KERNEL_ALIGN);
  const GemmDims tile{CPU_KERNEL_TILE, CPU_KERNEL_TILE, CPU_KERNEL_TILE};
  for (std::int64_t i = 0; i < plan.full_tiles; ++i) gemm(tile);
  if (plan.rest) gemm(*plan.rest);
  last_compute_seconds_ = clock_.now() - t0;
}

void CpuBackend::run_chunk(const StepPlan& plan, double work, double& due) {
  if (plan.mode == ComputeMode::SLEEP) {
    // To an absolute time: the wake-up latency of one chunk's sleep is not carried into the
    // next, so a step of many chunks sleeps as long as one of the same total.
    due += work;
    clock_.sleep_until(due);
    return;
  }
  compute(work);
  // An emulated slower GPU type: the same kernel, then the extra time it would have taken.
  if (plan.slowdown > 1) sleep_seconds((plan.slowdown - 1) * last_compute_seconds_);
}

void CpuBackend::allreduce_bucket(MPI_Comm comm, std::size_t offset, std::size_t count,
                                  bool beside_compute) {
  float* data = gradients_.data() + offset;
  if (!beside_compute) {
    DLSCHED_MPI_CHECK(
        MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, comm));
    return;
  }
  MPI_Request request = MPI_REQUEST_NULL;
  DLSCHED_MPI_CHECK(
      MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, comm, &request));
  // Progress by testing, yielding in between: MPI moves a large message a fragment per test,
  // so a sleep between tests would stretch the allreduce many times over. The compute thread
  // runs at a lower priority, so this loop gets the core when it has work, as a framework's
  // communication thread does. A request still open after a few milliseconds waits for a
  // member that is behind: sleep between tests then, leaving the core to the compute.
  const double t0 = clock_.now();
  for (int done = 0;;) {
    DLSCHED_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    if (clock_.now() - t0 < 2e-3)
      std::this_thread::yield();
    else
      sleep_seconds(20e-6);
  }
}

StepTiming CpuBackend::train_step(JobCommunicator& comm, const StepPlan& plan,
                                  const DecideFlag& decide_flag) {
  MPI_Comm mpi = static_cast<MpiJobCommunicator&>(comm).comm();
  const std::size_t elems = plan.gradient_elems();
  const std::size_t buckets = plan.bucket_elems.size();
  // Gradients stay zero so sums never overflow or turn denormal and slow the adds down.
  if (gradients_.size() < elems + 1) gradients_.assign(elems + 1, 0.0f);
  StepTiming t;
  t.bucket_starts.assign(buckets, 0);
  const double t0 = clock_.now();
  // Written by the compute thread; the release store of `produced` publishes them.
  std::vector<double> produced_at(buckets, 0);
  std::atomic<std::size_t> produced{0};
  const auto run_compute = [&] {
    double due = t0;
    if (plan.mode == ComputeMode::SLEEP) {
      // Nothing waits for the end of the forward: its sleep joins the first chunk's.
      due += plan.forward;
      t.backward_begin = plan.forward;
    } else {
      run_chunk(plan, plan.forward, due);
      t.backward_begin = clock_.now() - t0;
    }
    for (std::size_t k = 0; k < buckets; ++k) {
      run_chunk(plan, plan.backward[k], due);
      produced_at[k] = clock_.now() - t0;
      produced.store(k + 1, std::memory_order_release);
      produced.notify_one();
    }
  };
  // One bucket has nothing to overlap (it waits for the whole backward): no second thread.
  const bool threaded = plan.overlap && buckets > 1;
  const auto communicate = [&] {
    std::size_t offset = 0;
    for (std::size_t k = 0; k < buckets; ++k) {
      for (std::size_t seen; (seen = produced.load(std::memory_order_acquire)) <= k;)
        produced.wait(seen, std::memory_order_acquire);
      std::size_t count = plan.bucket_elems[k];
      if (k + 1 == buckets) {
        gradients_[elems] = decide_flag();
        ++count;  // the last bucket carries the stop flag
      }
      const double start = clock_.now();
      t.bucket_starts[k] = start - t0;
      // Only while the compute thread runs does the allreduce have to leave it the core; the
      // last bucket follows the backward and blocks, as a serialised step's do.
      allreduce_bucket(mpi, offset, count, threaded && k + 1 < buckets);
      t.comm_seconds += clock_.now() - start;
      offset += plan.bucket_elems[k];
    }
  };
  if (threaded) {
    std::jthread compute_thread([&] {
      // Behind the communication loop (best effort: a thread may always lower its priority).
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), getpriority(PRIO_PROCESS, 0) + 5);
      run_compute();
    });  // joined on every way out of this scope
    communicate();
  } else {
    run_compute();
    communicate();
  }
  t.backward_end = produced_at.back();
  t.compute_seconds = t.backward_end;
  t.seconds = clock_.now() - t0;
  t.flag_sum = gradients_[elems];
  gradients_[elems] = 0.0f;
  last_compute_seconds_ = t.compute_seconds;
  last_comm_seconds_ = t.comm_seconds;
  return t;
}

double CpuBackend::allreduce_gradients(JobCommunicator& comm, std::size_t bytes,
                                       std::size_t bucket_bytes, float flag) {
  const double t0 = clock_.now();
  MPI_Comm mpi = static_cast<MpiJobCommunicator&>(comm).comm();
  const std::size_t elems = std::max<std::size_t>(1, bytes / sizeof(float));
  const std::size_t bucket = std::max<std::size_t>(1, bucket_bytes / sizeof(float));
  // Gradients stay zero so sums never overflow or turn denormal and slow the adds down.
  if (gradients_.size() < elems + 1) gradients_.assign(elems + 1, 0.0f);
  gradients_[elems] = flag;
  for (std::size_t off = 0; off < elems; off += bucket) {
    std::size_t count = std::min(bucket, elems - off);
    if (off + count == elems) ++count;  // the last bucket carries the stop flag
    allreduce_bucket(mpi, off, count, false);
  }
  const double sum = gradients_[elems];
  gradients_[elems] = 0.0f;
  last_comm_seconds_ = clock_.now() - t0;
  return sum;
}

DLSCHED_REGISTER_BACKEND("cpu", CpuBackend)

}  // namespace dlsched::emu
