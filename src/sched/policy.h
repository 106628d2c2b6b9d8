// The policy interface: what a scheduling policy sees and what it returns.
// A policy is pure: no clock, no I/O, no MPI; the same object runs in simulate and emulate.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/job.h"
#include "core/throughput_model.h"
#include "sched/adaptive_view.h"

namespace dlsched {

/// What a policy knows about one active (arrived, unfinished) job.
struct JobView {
  JobId id = 0;
  const JobSpec* spec = nullptr;     ///< the trace row (model, user, priority ...)
  double submit_time = 0;
  int requested_gpus = 1;
  double iterations_total = 0;
  double iterations_done = 0;        ///< progress at `now`, in trace iterations
  double attained_gpu_seconds = 0;   ///< GPU x seconds allocated so far (LAS, Tiresias)
  double attained_seconds = 0;       ///< seconds allocated so far, any GPU count
  double isolated_time = 0;          ///< oracle: run time alone at its requested size
  double remaining_time = 0;         ///< oracle: isolated_time x remaining share of work
  bool running = false;
  bool restoring = false;            ///< running but still restoring a checkpoint: the core
                                     ///< keeps its GPUs at round boundaries whatever is asked
  int current_gpus = 0;              ///< 0 when waiting
  int current_type = -1;             ///< GPU type index it runs on, -1 when waiting
  int preemptions = 0;
  double last_start = -1;            ///< when its current or last run began, -1 if never ran
  double last_stop = -1;             ///< when its last run ended, -1 if never stopped
  double queued_since = 0;           ///< when it last started waiting (arrival or preemption)
  int rounds_scheduled = 0;          ///< scheduling decisions that gave it GPUs
  long packed_with = -1;             ///< the job sharing its GPUs (Request::pack_with), or -1
  double rate = 0;                   ///< current progress rate, trace iterations/s (0: waiting);
                                     ///< measured in emulate, modelled in simulate
  int nodes = 0;                     ///< nodes its GPUs span (0 when waiting)
  /// Adaptive jobs (--mechanism pollux): limits and the agent's goodput estimates; null for
  /// jobs of a fixed size.
  const AdaptiveView* adaptive = nullptr;
};

/// Any GPU type will do.
inline constexpr int ANY_GPU_TYPE = -1;

/// One line of a policy's answer: give `job` this many GPUs (of this type).
struct Request {
  JobId job = 0;
  int gpus = 1;
  int gpu_type = ANY_GPU_TYPE;
  /// Pack onto the GPUs of this job instead of taking free ones (-1: don't). The host must
  /// hold or be granted (earlier in this answer) exactly `gpus` GPUs and have no other
  /// partner, and the throughput table must have a co-location entry for the pair on the
  /// host's GPU type; otherwise the request is skipped like one that does not fit. Packed
  /// jobs progress at their co-located rates and take no GPUs from the free pool.
  long pack_with = -1;
  /// At a round boundary, move the running job to GPUs on fewer nodes if they are free once
  /// every other grant is placed (a migration, charged the restore delay).
  bool consolidate = false;
  /// Adaptive mechanisms (--mechanism pollux) place jobs where the policy says: GPUs on each
  /// node, by node index (summing to `gpus`). Empty: the core places them.
  std::vector<int> node_gpus{};
};

/// Everything a policy may read when it decides.
struct PolicyInput {
  double now = 0;
  bool round_boundary = false;  ///< preemption is allowed only at round boundaries
  /// active jobs, in arrival order (between rounds only the waiting ones for a policy whose
  /// sees_running_jobs_between_rounds() is false)
  std::span<const JobView> jobs;
  const ClusterSpec* cluster = nullptr;
  const ThroughputModel* throughput = nullptr;
  double round_length = 0;
  bool packing_allowed = false;  ///< may requests use pack_with? (off in emulate)
  /// Policies that solve for an allocation: the least seconds between two solves, which
  /// happen only after the set of jobs changed (--mechanism gavel: 1920); 0: whenever it did.
  double resolve_interval = 0;
  /// Seed for a policy's random choices (--seed); the same seed gives the same run.
  std::uint64_t seed = 1;
  /// Does the core ask only at round boundaries (--mechanism gavel), so that a job a policy
  /// leaves out waits for the next round even if GPUs free up?
  bool decides_only_at_rounds = false;
  /// Are jobs of the trace still to arrive? (Gavel's simulator forgets its last allocation
  /// reset after an idle round only once every job has arrived.)
  bool arrivals_pending = false;
  /// The round mechanism's name (--mechanism: dlsched, gavel, tiresias). Policies whose
  /// reference simulator runs them differently follow it there (fifo under gavel).
  std::string_view mechanism = "dlsched";
};

/// A policy's answer: requests in priority order. The core enforces, whatever the answer:
/// a job is never split across GPU types; no GPU serves two jobs, except a packed pair with
/// a co-location entry in the throughput table; non-preemptive policies
/// never lose a running job; preemptions and resizes happen only at round boundaries; a job
/// still restoring from a checkpoint keeps its GPUs until it iterates again; running jobs
/// whose grant is unchanged keep their exact GPUs. The core serves them in order while GPUs
/// last; a request that does not fit is skipped (backfill) or ends the pass (strict order).
/// Jobs absent from the list get no GPUs.
struct PolicyOutput {
  std::vector<Request> ranked;
  bool backfill = true;
};

/// A scheduling policy. Implementations live in src/sched/policies/, one per file, and
/// register themselves with DLSCHED_REGISTER_POLICY.
class Policy {
 public:
  virtual ~Policy() = default;
  /// Registry name, e.g. "las".
  virtual std::string_view name() const = 0;
  /// May this policy take GPUs from running jobs? Non-preemptive policies only ever fill
  /// free GPUs; the core never stops their jobs.
  virtual bool preemptive() const = 0;
  /// Decides. Called at every round boundary and whenever jobs arrive or finish.
  virtual PolicyOutput schedule(const PolicyInput& input) = 0;
  /// Does the policy leave GPUs idle only when no waiting job fits? (Checked by tests.)
  virtual bool work_conserving() const { return true; }
  /// Are this policy's preemptions suspends (GPU state parked in the server's host memory at
  /// an iteration boundary, Gandiva §3.1) rather than checkpoints? A suspended job that
  /// resumes on the nodes it left is charged the suspend delay, elsewhere the restore delay.
  virtual bool suspends() const { return false; }
  /// May this policy ask to pack jobs (Request::pack_with)? Drivers that cannot run packed
  /// jobs (emulate) say so before the run; the policy then sees packing_allowed = false.
  virtual bool may_pack() const { return false; }
  /// Under an adaptive mechanism (--mechanism pollux), how the trace's jobs should run for
  /// this policy: fixed, at a fixed batch size, or fully adaptive.
  virtual JobAdaptivity adaptivity() const { return JobAdaptivity::fixed; }

  /// Between rounds the core can only start waiting jobs. A policy whose order of the waiting
  /// jobs, and whose answer for them, does not depend on the running ones or on being called
  /// (no memory updated per call) says false: it is then shown only the waiting jobs there
  /// (PolicyInput::jobs), so such a call costs the queue, not every active job.
  virtual bool sees_running_jobs_between_rounds() const { return true; }

  /// Can this policy run in event-driven time (--round-length 0)? There the core asks it, with
  /// preemption allowed, only at arrivals, completions and the times next_decision_time()
  /// names, so a policy qualifies when nothing else can change its answer: its ranking does
  /// not follow the clock between those events, or it names the times it does.
  virtual bool event_driven() const { return false; }
  /// Event-driven time: the earliest instant after the last schedule() call at which that
  /// answer could change although no job arrived or finished (a running job crossing a queue
  /// threshold, a waiting one due for promotion). Infinity: only arrivals and completions.
  virtual double next_decision_time() const { return std::numeric_limits<double>::infinity(); }
  /// Event-driven time, a shortcut for the commonest decision point of a cluster with room: the
  /// only waiting jobs arrived since the last call, and every active job fits in the cluster at
  /// once (one GPU type, busy GPUs plus the newcomers' requests at most its size). The core asks
  /// this before schedule(), with the same input. Return true only where schedule(in) would
  /// rank every active job with the GPUs it holds or requests, in plain requests (any type, no
  /// packing or consolidation), so that running jobs keep theirs and every newcomer starts,
  /// and after updating the policy's memory exactly as schedule(in)
  /// would have; the core then starts the newcomers without calling schedule(). Return false,
  /// changing nothing, to be asked schedule(in) as usual. The default: always false.
  virtual bool grants_everyone(const PolicyInput& in) {
    (void)in;
    return false;
  }

  /// What the policy remembers between schedule() calls, for a checkpoint of the run
  /// (sched/policy_state.h writes it). A policy that derives every answer from its input, or
  /// keeps only caches it can rebuild from it, keeps the default: nothing to save. A policy
  /// with memory (queues, shares received, learned estimates) must save all of it, or a
  /// resumed run decides differently from an uninterrupted one.
  virtual std::string save_state() const { return {}; }
  /// Restores what save_state() returned, on a newly made policy before its first call.
  /// Throws Error if `state` is not something this policy saved.
  virtual void restore_state(std::string_view state) {
    if (!state.empty())
      throw std::runtime_error("policy " + std::string(name()) +
                               " keeps no state, but the checkpoint holds some for it");
  }
};

}  // namespace dlsched
