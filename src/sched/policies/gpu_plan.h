// Bookkeeping shared by the policies that choose GPU types and sizes themselves (gavel,
// optimus, allox): which running jobs the core will keep whatever the answer says, how many
// GPUs of each type it can still hand out, and an answer built so that every typed request
// fits when the core serves it.
//
// Why: the core serves typed requests only on their type and skips those that do not fit. If
// a policy's plan counted on GPUs the core does not have (because a job still restoring from
// its checkpoint keeps its GPUs), a planned job would wait while GPUs of another type that fit
// it stay idle. Counting exactly as the core does avoids that.
#pragma once

#include <span>
#include <vector>

#include "sched/policy.h"

namespace dlsched {

/// GPUs per type that the core can still hand out in this call, counted as the core counts
/// them, and the answer under construction. One object lives in a policy and is reused by
/// every call (begin() resets it), so that large traces do not pay per-call allocations.
class GpuPlan {
 public:
  /// Starts a new answer. `may_preempt`: the core may take GPUs from running jobs in this call
  /// (a round boundary of a preemptive policy); otherwise running jobs keep theirs and only
  /// idle GPUs count. Jobs the core keeps whatever the answer says are named first, with their
  /// current grant.
  void begin(const PolicyInput& in, bool may_preempt);

  /// Does the core keep this job's GPUs whatever the answer says?
  bool kept(const JobView& job) const { return kept_[job.id] == pass_; }
  /// Has the job a request in the answer yet?
  bool named(JobId job) const { return named_[job] == pass_; }
  int free(int type) const { return free_[type]; }
  int num_types() const { return static_cast<int>(free_.size()); }
  bool fits(int type, int gpus) const { return type >= 0 && gpus > 0 && free_[type] >= gpus; }
  /// The type the core picks for an untyped request (the job's current type if it has room,
  /// else the type with most room), or -1 when none has room.
  int untyped_choice(const JobView& job, int gpus) const;

  /// Appends a typed request if it fits and the job has none yet; returns whether it did.
  bool add(const JobView& job, int gpus, int type);
  /// Appends a typed request for `host` and one for `guest` packed onto its GPUs, if the GPUs
  /// fit and neither job has a request yet; returns whether it did. The pair takes `gpus` once.
  bool add_pair(const JobView& host, const JobView& guest, int gpus, int type);
  /// Takes room on a type for a job without asking the core for it (the GPUs stay idle in
  /// this call) if it fits and the job has none yet; returns whether it did.
  bool hold(const JobView& job, int gpus, int type);
  /// Appends an untyped request if the core will find room for it and the job has none yet;
  /// returns whether it did.
  bool add_any(const JobView& job, int gpus);
  /// Appends untyped requests at the requested size for every job without a request, in the
  /// given order of view indices (arrival order when empty): GPUs that fit a waiting job
  /// never idle.
  void add_rest(std::span<const std::size_t> order = {});
  /// The answer; the plan is empty afterwards until the next begin().
  PolicyOutput take_output() { return std::move(out_); }

 private:
  void name(JobId job);

  const PolicyInput* in_ = nullptr;
  std::vector<int> free_;
  long pass_ = 0;
  std::vector<long> kept_;   // by JobId: pass in which the job is kept
  std::vector<long> named_;  // by JobId: pass in which the job got a request
  PolicyOutput out_;
};

/// Consolidated placement of `workers` GPUs of one type: the node count the core aims for.
PlacementShape consolidated(const ThroughputModel& model, int type, int workers);

}  // namespace dlsched
