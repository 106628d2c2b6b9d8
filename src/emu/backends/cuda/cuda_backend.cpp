#include "emu/backends/cuda/cuda_backend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/error.h"
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
    if (*end != '\0' || n < 1 || n > 65536)
      throw InputError(
          fmt::format("DLSCHED_CUDA_TILE must be an integer in 1..65536, got '{}'", t));
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

void CudaBackend::compute(double flops) {
  ensure_device();
  if (!gemm_) gemm_ = std::make_unique<GemmKernel>(shape_, stream_);
  DLSCHED_CUDA_CHECK(cudaEventRecord(start_, stream_));
  gemm_->enqueue(flops);
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
  gradient_capacity_ = elems;
}

double CudaBackend::allreduce_gradients(JobCommunicator& comm, std::size_t bytes,
                                        std::size_t bucket_bytes, float flag) {
  ensure_device();
  auto& job = static_cast<NcclJobCommunicator&>(comm);
  const std::size_t elems = std::max<std::size_t>(1, bytes / sizeof(float));
  const std::size_t bucket = std::max<std::size_t>(1, bucket_bytes / sizeof(float));
  ensure_gradients(elems + 1);
  *host_flag_ = flag;
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(gradients_ + elems, host_flag_, sizeof(float),
                                     cudaMemcpyHostToDevice, stream_));
  DLSCHED_CUDA_CHECK(cudaEventRecord(start_, stream_));
  if (job.uses_nccl()) {
    // One ncclAllReduce per bucket on one stream, as DDP issues them; the last bucket
    // carries the stop flag.
    for (std::size_t off = 0; off < elems; off += bucket) {
      std::size_t count = std::min(bucket, elems - off);
      if (off + count == elems) ++count;
      DLSCHED_NCCL_CHECK(ncclAllReduce(gradients_ + off, gradients_ + off, count, ncclFloat,
                                       ncclSum, job.nccl(), stream_));
      job.wait_ready("ncclAllReduce");
    }
  } else {
    // Members share a GPU: copy to the host, MPI_Allreduce per bucket, copy back.
    if (staged_.size() < elems + 1) staged_.resize(elems + 1);
    DLSCHED_CUDA_CHECK(cudaMemcpyAsync(staged_.data(), gradients_, (elems + 1) * sizeof(float),
                                       cudaMemcpyDeviceToHost, stream_));
    DLSCHED_CUDA_CHECK(cudaStreamSynchronize(stream_));
    for (std::size_t off = 0; off < elems; off += bucket) {
      std::size_t count = std::min(bucket, elems - off);
      if (off + count == elems) ++count;
      DLSCHED_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, staged_.data() + off, static_cast<int>(count),
                                      MPI_FLOAT, MPI_SUM, job.mpi()));
    }
    DLSCHED_CUDA_CHECK(cudaMemcpyAsync(gradients_, staged_.data(), (elems + 1) * sizeof(float),
                                       cudaMemcpyHostToDevice, stream_));
  }
  DLSCHED_CUDA_CHECK(cudaEventRecord(stop_, stream_));
  DLSCHED_CUDA_CHECK(cudaMemcpyAsync(host_flag_, gradients_ + elems, sizeof(float),
                                     cudaMemcpyDeviceToHost, stream_));
  // The stop event comes before the flag copy: wait for the stream itself, watching NCCL.
  DLSCHED_CUDA_CHECK(cudaEventRecord(done_, stream_));
  job.wait_event(done_, "gradient allreduce");
  last_comm_seconds_ = elapsed(start_, stop_);
  return *host_flag_;
}

DLSCHED_REGISTER_BACKEND("cuda", CudaBackend)

}  // namespace dlsched::emu
