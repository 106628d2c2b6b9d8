// What a worker needs from a device: a job communicator, a compute kernel and a gradient
// allreduce. One folder per backend under backends/; each registers itself with
// DLSCHED_REGISTER_BACKEND and the worker loop is written once. cpu is built into the harness;
// cuda is the runtime module dlsched_backend_cuda.so, loaded by make_backend("cuda") so that
// only runs that use it need the CUDA libraries.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "emu/training_step.h"

namespace dlsched::emu {

/// One job's communicator on one backend; only the job's members hold one.
class JobCommunicator {
 public:
  virtual ~JobCommunicator() = default;
  /// This member's rank inside the job (0 = leader).
  virtual int rank() const = 0;
  /// Number of members.
  virtual int size() const = 0;
  /// Waits until every member got here (once per lease, never per iteration).
  virtual void barrier() = 0;
};

/// A compute kernel, a gradient allreduce and communicator setup on one kind of device.
class Backend {
 public:
  virtual ~Backend() = default;
  /// Registry name, e.g. "cpu".
  virtual std::string_view name() const = 0;
  /// Builds the communicator of `members` (ranks of `parent`, ascending). Collective over the
  /// members only: every member calls it, no other rank does.
  virtual std::unique_ptr<JobCommunicator> connect(MPI_Comm parent,
                                                   const std::vector<int>& members) = 0;
  /// Runs about `flops` floating-point operations of training-shaped work.
  virtual void compute(double flops) = 0;
  /// Sums `bytes` of gradients over the job in buckets of `bucket_bytes`, carrying `flag` as
  /// one extra element of the last bucket; returns the flag summed over the members.
  virtual double allreduce_gradients(JobCommunicator& comm, std::size_t bytes,
                                     std::size_t bucket_bytes, float flag) = 0;
  /// Runs one training iteration of `plan` on this member (emu/training_step.h): compute and
  /// bucketed gradient allreduce, overlapped unless the plan says otherwise. `decide_flag` is
  /// called once, when the backward is done; its value, summed over the members, comes back
  /// in the timing. Collective over the job's members.
  virtual StepTiming train_step(JobCommunicator& comm, const StepPlan& plan,
                                const DecideFlag& decide_flag) = 0;
  /// Seconds the last compute() took, timed by the device where it has its own clock (CUDA
  /// events on cuda, the wall clock on cpu). Both calls return only when the work is done.
  virtual double last_compute_seconds() const = 0;
  /// Seconds the last allreduce_gradients() took, timed the same way.
  virtual double last_comm_seconds() const = 0;
};

/// Makes a backend.
using BackendFactory = std::function<std::unique_ptr<Backend>()>;

/// Adds a backend; returns true so it can initialise a static. A duplicate name aborts.
bool register_backend(const std::string& name, BackendFactory factory);
/// Creates a backend by name, loading its module first where it is built as one (cuda); an
/// unknown name, a missing module or one whose libraries are missing is an InputError.
std::unique_ptr<Backend> make_backend(const std::string& name);
/// Backend names, sorted: those built in and those built as modules (loaded or not).
std::vector<std::string> backend_names();

}  // namespace dlsched::emu

/// Registers TYPE (default-constructible) under NAME.
#define DLSCHED_REGISTER_BACKEND(NAME, TYPE)                                           \
  namespace {                                                                          \
  [[maybe_unused]] const bool dlsched_backend_##TYPE =                                 \
      ::dlsched::emu::register_backend(NAME, [] { return std::make_unique<TYPE>(); }); \
  }
