#include "emu/backends/cuda/cuda_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "core/step_model.h"
#include "emu/backends/cuda/cuda_check.h"
#include "emu/backends/cuda/cuda_device.h"
#include "emu/backends/cuda/nccl_job_communicator.h"
#include "emu/mpi_check.h"

namespace dlsched::emu {

GemmShape gemm_shape_from_env() {
  GemmShape shape;
  if (const char* p = std::getenv("DLSCHED_CUDA_PRECISION"); p && *p)
    shape.precision = parse_gemm_precision(p);
  if (const char* t = std::getenv("DLSCHED_CUDA_TILE"); t && *t) {
    char* end = nullptr;
    const long n = std::strtol(t, &end, 10);
    if (*end != '\0' || n < GEMM_ALIGN || n > 65536 || n % GEMM_ALIGN != 0)
      throw InputError(fmt::format(
          "DLSCHED_CUDA_TILE must be a multiple of {} in {}..65536, got '{}'", GEMM_ALIGN,
          GEMM_ALIGN, t));
    shape.tile = static_cast<int>(n);
  }
  return shape;
}

CudaBackend::CudaBackend() : CudaBackend(gemm_shape_from_env()) {}

CudaBackend::CudaBackend(GemmShape shape) : shape_(shape) {}

CudaBackend::~CudaBackend() {
  if (device_ < 0) return;
  // Nothing may throw here; the GPU work is over (every call waited for its stream).
  gemm_.reset();
  if (gradients_) cudaFree(gradients_);
  if (host_flag_) cudaFreeHost(host_flag_);
  for (cudaEvent_t e : {step_begin_, backward_begin_, compute_end_, comm_end_})
    if (e) cudaEventDestroy(e);
  for (const auto* events : {&chunk_done_, &bucket_begin_, &bucket_end_})
    for (cudaEvent_t e : *events) cudaEventDestroy(e);
  if (comm_stream_) cudaStreamDestroy(comm_stream_);
  if (start_) cudaEventDestroy(start_);
  if (stop_) cudaEventDestroy(stop_);
  if (done_) cudaEventDestroy(done_);
  if (stream_) cudaStreamDestroy(stream_);
}

void CudaBackend::ensure_device() {
  if (device_ >= 0) {
    DLSCHED_CUDA_CHECK(cudaSetDevice(device_));
    return;
  }
  const int device = select_cuda_device();
  DLSCHED_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  DLSCHED_CUDA_CHECK(cudaStreamCreateWithFlags(&comm_stream_, cudaStreamNonBlocking));
  for (cudaEvent_t* e : {&step_begin_, &backward_begin_, &compute_end_, &comm_end_})
    DLSCHED_CUDA_CHECK(cudaEventCreate(e));
  DLSCHED_CUDA_CHECK(cudaEventCreate(&start_));
  DLSCHED_CUDA_CHECK(cudaEventCreate(&stop_));
  DLSCHED_CUDA_CHECK(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming));
  DLSCHED_CUDA_CHECK(cudaMallocHost(reinterpret_cast<void**>(&host_flag_), sizeof(float)));
  device_ = device;
}

int CudaBackend::device() {
  ensure_device();
  return device_;
}

cudaStream_t CudaBackend::stream() {
  ensure_device();
  return stream_;
}

double CudaBackend::elapsed(cudaEvent_t from, cudaEvent_t to) const {
  float ms = 0;
  DLSCHED_CUDA_CHECK(cudaEventElapsedTime(&ms, from, to));
  return ms * 1e-3;
}

std::unique_ptr<JobCommunicator> CudaBackend::connect(MPI_Comm parent,
                                                      const std::vector<int>& members) {
  ensure_device();
  return std::make_unique<NcclJobCommunicator>(parent, members, device_);
}

GemmKernel& CudaBackend::kernel() {
  ensure_device();
  if (!gemm_) gemm_ = std::make_unique<GemmKernel>(shape_, stream_);
  return *gemm_;
}

void CudaBackend::compute(double flops) {
  GemmKernel& k = kernel();
  const GemmPlan plan = k.plan(flops);
  k.warm_up(plan);
  DLSCHED_CUDA_CHECK(cudaEventRecord(start_, stream_));
  k.enqueue(plan);
  DLSCHED_CUDA_CHECK(cudaEventRecord(stop_, stream_));
  DLSCHED_CUDA_CHECK(cudaEventSynchronize(stop_));
  last_compute_seconds_ = elapsed(start_, stop_);
}

void CudaBackend::ensure_gradients(std::size_t elems) {
  if (gradient_capacity_ >= elems) return;
  if (gradients_) {
    DLSCHED_CUDA_CHECK(cudaStreamSynchronize(stream_));
    DLSCHED_CUDA_CHECK(cudaFree(gradients_));
    gradients_ = nullptr;
  }
  DLSCHED_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&gradients_), elems * sizeof(float)));
  // Gradients stay zero so sums never overflow or turn denormal (as on the cpu backend).
  DLSCHED_CUDA_CHECK(cudaMemsetAsync(gradients_, 0, elems * sizeof(float), stream_));
  // The communication stream uses them next, unordered with this one.
  DLSCHED_CUDA_CHECK(cudaStreamSynchronize(stream_));
  gradient_capacity_ = elems;
}

void CudaBackend::ensure_step_events(std::size_t buckets) {
  for (auto* events : {&chunk_done_, &bucket_begin_, &bucket_end_})
    while (events->size() < buckets) {
      cudaEvent_t e = nullptr;
      DLSCHED_CUDA_CHECK(cudaEventCreate(&e));
      events->push_back(e);
    }
}

void CudaBackend::put_flag(std::size_t elems, float flag) {
  // The pinned slot is free: the last take_flag waited for its copy.
  *host_flag_ = flag;
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(gradients_ + elems, host_flag_, sizeof(float),
                                     cudaMemcpyHostToDevice, comm_stream_));
}

float CudaBackend::take_flag(NcclJobCommunicator& job, std::size_t elems) {
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(host_flag_, gradients_ + elems, sizeof(float),
                                     cudaMemcpyDeviceToHost, comm_stream_));
  // The next step must find the slot zero, as the other gradients stay.
  DLSCHED_CUDA_CHECK(cudaMemsetAsync(gradients_ + elems, 0, sizeof(float), comm_stream_));
  DLSCHED_CUDA_CHECK(cudaEventRecord(done_, comm_stream_));
  job.wait_event(done_, "gradient allreduce");
  return *host_flag_;
}

void CudaBackend::reduce_bucket(NcclJobCommunicator& job, std::size_t offset, std::size_t count) {
  if (job.uses_nccl()) {
    DLSCHED_NCCL_CHECK(ncclAllReduce(gradients_ + offset, gradients_ + offset, count, ncclFloat,
                                     ncclSum, job.nccl(), comm_stream_));
    // A non-blocking communicator takes the next call only once this one is enqueued (a host
    // check, not a wait for the GPU).
    job.wait_ready("ncclAllReduce");
    return;
  }
  // Members share a GPU: copy to the host, MPI_Allreduce, copy back.
  if (staged_.size() < count) staged_.resize(count);
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(staged_.data(), gradients_ + offset, count * sizeof(float),
                                     cudaMemcpyDeviceToHost, comm_stream_));
  DLSCHED_CUDA_CHECK(cudaStreamSynchronize(comm_stream_));
  DLSCHED_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, staged_.data(), static_cast<int>(count), MPI_FLOAT,
                                  MPI_SUM, job.mpi()));
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(gradients_ + offset, staged_.data(), count * sizeof(float),
                                     cudaMemcpyHostToDevice, comm_stream_));
}

void CudaBackend::reduce_in_one_group(NcclJobCommunicator& job,
                                      const std::vector<std::size_t>& buckets) {
  // One NCCL group: one launch and one readiness check, not one per bucket.
  DLSCHED_NCCL_CHECK(ncclGroupStart());
  std::size_t offset = 0;
  for (std::size_t k = 0; k < buckets.size(); ++k) {
    const std::size_t count = buckets[k] + (k + 1 == buckets.size() ? 1 : 0);  // and the flag
    DLSCHED_NCCL_CHECK(ncclAllReduce(gradients_ + offset, gradients_ + offset, count, ncclFloat,
                                     ncclSum, job.nccl(), comm_stream_));
    offset += buckets[k];
  }
  DLSCHED_NCCL_CHECK(ncclGroupEnd());
  job.wait_ready("ncclGroupEnd");
}

double CudaBackend::allreduce_gradients(JobCommunicator& comm, std::size_t bytes,
                                        std::size_t bucket_bytes, float flag) {
  ensure_device();
  auto& job = static_cast<NcclJobCommunicator&>(comm);
  const std::size_t elems = std::max<std::size_t>(1, bytes / sizeof(float));
  const std::size_t bucket = std::max<std::size_t>(1, bucket_bytes / sizeof(float));
  ensure_gradients(elems + 1);
  put_flag(elems, flag);
  DLSCHED_CUDA_CHECK(cudaEventRecord(start_, comm_stream_));
  std::vector<std::size_t> buckets;
  for (std::uint64_t b : gradient_buckets(elems, bucket, bucket)) buckets.push_back(b);
  if (job.uses_nccl()) {
    reduce_in_one_group(job, buckets);
  } else {
    std::size_t offset = 0;
    for (std::size_t k = 0; k < buckets.size(); ++k) {
      reduce_bucket(job, offset, buckets[k] + (k + 1 == buckets.size() ? 1 : 0));
      offset += buckets[k];
    }
  }
  DLSCHED_CUDA_CHECK(cudaEventRecord(stop_, comm_stream_));
  const float sum = take_flag(job, elems);
  last_comm_seconds_ = elapsed(start_, stop_);
  return sum;
}

void CudaBackend::run_chunk(const StepPlan& plan, double work, NcclJobCommunicator& job) {
  if (plan.mode == ComputeMode::SLEEP) {
    sleep_seconds(work);
    return;
  }
  GemmKernel& k = kernel();
  const GemmPlan gemms = k.plan(work);
  if (plan.slowdown <= 1) {
    k.enqueue(gemms);
    return;
  }
  // An emulated slower GPU type: the same GEMMs, then the extra time they would have taken,
  // before anything else is enqueued.
  DLSCHED_CUDA_CHECK(cudaEventRecord(start_, stream_));
  k.enqueue(gemms);
  DLSCHED_CUDA_CHECK(cudaEventRecord(stop_, stream_));
  job.wait_event(stop_, "compute");
  sleep_seconds((plan.slowdown - 1) * elapsed(start_, stop_));
}

StepTiming CudaBackend::train_step(JobCommunicator& comm, const StepPlan& plan,
                                   const DecideFlag& decide_flag) {
  ensure_device();
  auto& job = static_cast<NcclJobCommunicator&>(comm);
  const std::size_t elems = plan.gradient_elems();
  const std::size_t buckets = plan.bucket_elems.size();
  ensure_gradients(elems + 1);
  ensure_step_events(buckets);
  if (plan.mode == ComputeMode::KERNEL) {
    GemmKernel& k = kernel();
    k.warm_up(k.plan(plan.forward));
    for (double w : plan.backward) k.warm_up(k.plan(w));
  }
  DLSCHED_CUDA_CHECK(cudaStreamSynchronize(comm_stream_));
  StepTiming t;
  t.bucket_starts.assign(buckets, 0);
  const double wall0 = clock_.now();
  DLSCHED_CUDA_CHECK(cudaEventRecord(step_begin_, stream_));
  run_chunk(plan, plan.forward, job);
  DLSCHED_CUDA_CHECK(cudaEventRecord(backward_begin_, stream_));
  // The host enqueues ahead of the GPU: NCCL buckets go on the communication stream behind
  // their chunk's event as the chunks are enqueued. The staged path waits on the host
  // instead, so it enqueues the whole backward first and then reduces bucket by bucket as
  // the chunks complete, the GPU computing the later chunks meanwhile.
  const bool staged = !job.uses_nccl();
  std::vector<double> staged_start(buckets, 0);
  const auto reduce = [&](std::size_t k, std::size_t offset, std::size_t count) {
    DLSCHED_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, chunk_done_[k], 0));
    if (staged) staged_start[k] = clock_.now() - wall0;
    DLSCHED_CUDA_CHECK(cudaEventRecord(bucket_begin_[k], comm_stream_));
    reduce_bucket(job, offset, count);
    DLSCHED_CUDA_CHECK(cudaEventRecord(bucket_end_[k], comm_stream_));
  };
  std::vector<std::size_t> offsets(buckets, 0);
  for (std::size_t k = 0; k < buckets; ++k) {
    offsets[k] = k ? offsets[k - 1] + plan.bucket_elems[k - 1] : 0;
    run_chunk(plan, plan.backward[k], job);
    DLSCHED_CUDA_CHECK(cudaEventRecord(chunk_done_[k], stream_));
    if (plan.overlap && !staged && k + 1 < buckets) reduce(k, offsets[k], plan.bucket_elems[k]);
  }
  DLSCHED_CUDA_CHECK(cudaEventRecord(compute_end_, stream_));
  if (plan.overlap && staged)
    for (std::size_t k = 0; k + 1 < buckets; ++k) reduce(k, offsets[k], plan.bucket_elems[k]);
  // The stop flag is decided once the backward is done, as on every backend.
  job.wait_event(compute_end_, "backward");
  put_flag(elems, decide_flag());
  const std::size_t last = buckets - 1;
  const bool grouped = !plan.overlap && !staged;
  if (grouped) {
    // Without overlap, every bucket follows the backward: one NCCL group, one launch and one
    // readiness check. Its start and end events go outside the group, since events recorded
    // inside it would be enqueued before its launch.
    DLSCHED_CUDA_CHECK(cudaStreamWaitEvent(comm_stream_, compute_end_, 0));
    DLSCHED_CUDA_CHECK(cudaEventRecord(bucket_begin_[0], comm_stream_));
    reduce_in_one_group(job, plan.bucket_elems);
    DLSCHED_CUDA_CHECK(cudaEventRecord(bucket_end_[last], comm_stream_));
  } else {
    for (std::size_t k = plan.overlap ? last : 0; k < buckets; ++k)
      reduce(k, offsets[k], plan.bucket_elems[k] + (k == last ? 1 : 0));
  }
  DLSCHED_CUDA_CHECK(cudaEventRecord(comm_end_, comm_stream_));
  t.flag_sum = take_flag(job, elems);
  t.compute_seconds = elapsed(step_begin_, compute_end_);
  t.backward_begin = elapsed(step_begin_, backward_begin_);
  t.backward_end = t.compute_seconds;
  t.seconds = std::max(t.compute_seconds, elapsed(step_begin_, comm_end_));
  for (std::size_t k = 0; k < buckets; ++k) {
    const std::size_t from = grouped ? 0 : k;
    t.bucket_starts[k] = staged ? staged_start[k] : elapsed(step_begin_, bucket_begin_[from]);
    if (!grouped || k == last) t.comm_seconds += elapsed(bucket_begin_[from], bucket_end_[k]);
  }
  last_compute_seconds_ = t.compute_seconds;
  last_comm_seconds_ = t.comm_seconds;
  return t;
}

DLSCHED_REGISTER_BACKEND("cuda", CudaBackend)

}  // namespace dlsched::emu
