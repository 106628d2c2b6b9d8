// The cuda backend: cuBLAS GEMMs for compute, NCCL (or host-staged MPI when members share a
// GPU) for the gradient allreduce. Nothing touches a GPU until a worker first uses the
// backend: rank 0 builds one only to check the name, and needs no GPU.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "emu/backend.h"
#include "emu/backends/cuda/gemm_kernel.h"
#include "emu/backends/cuda/nccl_job_communicator.h"
#include "emu/wall_clock.h"

namespace dlsched::emu {

/// The compute shape from the environment: DLSCHED_CUDA_PRECISION (bf16|tf32|fp32, default
/// bf16) and DLSCHED_CUDA_TILE (default 8192); a bad value is an InputError.
GemmShape gemm_shape_from_env();

/// GEMMs on a compute stream and allreduces on a communication stream of this rank's GPU,
/// timed with CUDA events. A training step enqueues each backward chunk on the compute stream
/// and its bucket's allreduce on the communication stream behind an event, so NCCL runs while
/// the rest of the backward computes; compute(), allreduce_gradients() and train_step()
/// return only when the GPU is done, so the worker's wall clock around them measures the same
/// work as the events.
class CudaBackend : public Backend {
 public:
  /// Shape from the environment.
  CudaBackend();
  explicit CudaBackend(GemmShape shape);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string_view name() const override { return "cuda"; }
  std::unique_ptr<JobCommunicator> connect(MPI_Comm parent,
                                           const std::vector<int>& members) override;
  void compute(double flops) override;
  double allreduce_gradients(JobCommunicator& comm, std::size_t bytes, std::size_t bucket_bytes,
                             float flag) override;
  StepTiming train_step(JobCommunicator& comm, const StepPlan& plan,
                        const DecideFlag& decide_flag) override;

  /// GPU seconds of the last compute() (CUDA events).
  double last_compute_seconds() const override { return last_compute_seconds_; }
  /// GPU seconds of the last allreduce_gradients(), from before the first bucket to after the
  /// last (CUDA events; the staged path's host part included).
  double last_comm_seconds() const override { return last_comm_seconds_; }
  /// This rank's device (selects it on first use).
  int device();
  /// The stream all work goes to (selects the device on first use).
  cudaStream_t stream();
  const GemmShape& shape() const { return shape_; }

 private:
  void ensure_device();
  void ensure_gradients(std::size_t elems);
  void ensure_step_events(std::size_t buckets);
  GemmKernel& kernel();
  double elapsed(cudaEvent_t from, cudaEvent_t to) const;
  /// Enqueues one chunk of a step's compute on the compute stream (GEMMs, or a host sleep
  /// in sleep mode); with an emulated slowdown, waits for it and sleeps the extra time.
  void run_chunk(const StepPlan& plan, double work, NcclJobCommunicator& job);
  /// Sums `count` floats of the gradients from `offset` over the job: an ncclAllReduce on
  /// the communication stream, or (members sharing a GPU) a host round trip over MPI.
  void reduce_bucket(NcclJobCommunicator& job, std::size_t offset, std::size_t count);
  /// Sums every bucket (floats per bucket, from the start of the gradients; the last one and
  /// the flag after it) over the job's NCCL communicator as one group, on the communication
  /// stream.
  void reduce_in_one_group(NcclJobCommunicator& job, const std::vector<std::size_t>& buckets);
  /// Copies `flag` into the flag slot (after `elems` gradients), on the communication stream.
  void put_flag(std::size_t elems, float flag);
  /// Copies the summed flag back and zeroes the slot for the next step; waits for the
  /// communication stream, watching NCCL.
  float take_flag(NcclJobCommunicator& job, std::size_t elems);

  GemmShape shape_;
  int device_ = -1;
  cudaStream_t stream_ = nullptr;                  // compute
  cudaStream_t comm_stream_ = nullptr;             // gradient allreduces
  cudaEvent_t start_ = nullptr, stop_ = nullptr;  // timing
  cudaEvent_t done_ = nullptr;                     // end of an allreduce, polled
  // A step's timing events: its start, the end of each backward chunk (the communication
  // stream waits on them), and each bucket's allreduce start and end.
  cudaEvent_t step_begin_ = nullptr, backward_begin_ = nullptr, compute_end_ = nullptr,
              comm_end_ = nullptr;
  std::vector<cudaEvent_t> chunk_done_, bucket_begin_, bucket_end_;
  std::unique_ptr<GemmKernel> gemm_;  // built on the first compute()
  float* gradients_ = nullptr;        // device; grows to the largest job, plus the flag
  std::size_t gradient_capacity_ = 0;
  float* host_flag_ = nullptr;        // pinned
  std::vector<float> staged_;         // host copy for the shared-GPU path
  double last_compute_seconds_ = 0;
  double last_comm_seconds_ = 0;
  WallClock clock_;
};

}  // namespace dlsched::emu
