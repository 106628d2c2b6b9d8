// What a policy may know about an adaptive job (one whose GPU count, and possibly batch size,
// the driver changes at round boundaries): its limits and the estimates its own agent keeps.
// The driver fills these; a policy reads them through JobView::adaptive and never learns how
// the job runs (simulated or emulated).
#pragma once

#include <optional>
#include <vector>

namespace dlsched {

/// How a policy wants the trace's jobs to run under an adaptive mechanism (--mechanism pollux).
enum class JobAdaptivity {
  fixed,        ///< the trace's GPU count and batch size (Tiresias in Pollux's evaluation)
  fixed_batch,  ///< the trace's batch size, any GPU count (Optimus+Oracle)
  adaptive,     ///< GPU count and batch size both adapt (Pollux)
};

/// A job's performance estimates, as its agent knows them at the time of the decision.
class AdaptiveEstimates {
 public:
  virtual ~AdaptiveEstimates() = default;
  /// Has the agent fitted a throughput model yet (it has run at least once)?
  virtual bool has_model() const = 0;
  /// The goodput (samples/s x statistical efficiency) the agent expects on `replicas` GPUs
  /// over `nodes` nodes at the batch size it would choose there; 0 without a model.
  virtual double goodput(int nodes, int replicas) const = 0;
  /// Oracle (Optimus+Oracle): seconds per optimiser step at the job's fixed batch size on
  /// `replicas` GPUs packed onto as few nodes as possible.
  virtual double oracle_step_time(int replicas) const = 0;
  /// Oracle: optimiser steps left at the fixed batch size until the job's last epoch ends.
  virtual double oracle_remaining_steps() const = 0;
};

/// The adaptive part of a JobView.
struct AdaptiveView {
  const AdaptiveEstimates* estimates = nullptr;
  int min_replicas = 0;  ///< fewest GPUs it may run on once given any (0: may wait)
  int max_replicas = 1;  ///< most GPUs it may be given
  std::optional<int> fixed_batch_size;  ///< none: the job's agent picks the batch size
  int restarts = 0;   ///< reallocations after its first start
  double age = 0;     ///< seconds since it was submitted
  int epoch = 0;      ///< epochs completed
  /// GPUs it holds on each node of the cluster, by node index (all zero when waiting).
  std::vector<int> node_gpus;
};

}  // namespace dlsched
