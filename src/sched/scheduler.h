// The scheduler core: events in, decisions out. No clock, no I/O, no MPI.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/job.h"
#include "core/throughput_model.h"
#include "sched/policy.h"

namespace dlsched {

/// Knobs of the core, shared by both drivers.
struct SchedulerConfig {
  /// seconds between preemptive rescheduling points; 0: event-driven time, where every
  /// arrival, completion and policy-named instant is one (Policy::event_driven())
  double round_length = 300;
  double restore_delay = 20;       ///< checkpoint + restore seconds charged on each restart
  bool per_model_restore = true;   ///< use the catalog's restore_seconds where a model has one
  double time_scale = 1;           ///< the restore delay is charged scaled like everything else
  double suspend_delay = 1;        ///< seconds to resume a suspended job on the nodes it left
  bool packing = true;             ///< may policies pack two jobs on one GPU? (emulate: no)
  /// The round mechanism (sched/mechanism.h): its name and its rules.
  std::string mechanism = "dlsched";
  bool refill_between_rounds = true;       ///< decide on arrivals and completions between rounds
  bool round_ends_with_last_lease = false; ///< simulate: a round ends when its last lease does
  /// simulate: a packed job whose work is done finishes only when its partner's lease ends
  bool packed_pairs_end_together = false;
  double resolve_interval = 0;             ///< least seconds between allocation solves (policies)
  bool placement_affects_speed = true;     ///< false: a job runs as fast on any nodes (tiresias)
  std::uint64_t seed = 1;                  ///< seed of the policies' random choices
};

/// Something that happened, with the time it happened.
struct Event {
  enum class Kind { ARRIVAL, COMPLETION, ROUND_TICK, PROGRESS };
  Kind kind = Kind::ROUND_TICK;
  double time = 0;
  JobId job = 0;
  double iterations_done = 0;  ///< PROGRESS: iterations completed by `time`
  double rate = 0;             ///< PROGRESS: current iterations per second (0 if unknown)
};

/// A change the driver must carry out. RATE: a running job's progress rate changed at the
/// decision time because a packing partner joined or left it; its GPUs are unchanged.
struct Decision {
  enum class Kind { START, STOP, RATE };
  Kind kind = Kind::START;
  JobId job = 0;
  std::vector<GpuId> gpus;  ///< START: the GPUs; STOP: the GPUs it gives back
  double resume_at = 0;     ///< START: no progress before this time (restore delay)
  bool preempted = false;   ///< STOP: true for a preemption (a completion is not a Decision)
};

/// Per-job state the core keeps.
struct JobState {
  enum class Status { FUTURE, WAITING, RUNNING, DONE };
  Status status = Status::FUTURE;
  std::vector<GpuId> gpus;
  int gpu_type = -1;
  double first_start = -1;
  double finish = -1;
  double last_start = -1;
  double last_stop = -1;
  double queued_since = 0;
  double resume_at = 0;
  int preemptions = 0;
  int rounds_scheduled = 0;
  double attained_gpu_seconds_closed = 0;  // from finished run segments
  double attained_seconds_closed = 0;
  double progress_iterations = 0;  // at progress_time
  double progress_time = 0;
  double progress_rate = 0;
  bool ever_stopped = false;
  long packed_with = -1;           // the job sharing its GPUs, or -1
  double share_since = 0;          // start of the GPU-second accrual at the current share
  bool suspended = false;          // last stop was a suspend: state parked on suspended_on
  std::vector<int> suspended_on;   // node of each GPU it was suspended on, sorted
  int migrations = 0;
  int requeues = 0;  // stops by a checkpoint of the whole run; not preemptions
};

/// Everything the core needs to go on exactly where it stopped (checkpoint and resume).
/// Plain data: the results writer (src/io) stores it, the core never does I/O. What can be
/// derived from the job states (GPU map, free GPUs, counters) is rebuilt on restore.
struct SchedulerSnapshot {
  std::vector<JobState> jobs;  ///< by JobId
  std::vector<JobId> active;   ///< arrived and not done, in arrival order
  bool round_pending = false;  ///< a ROUND_TICK was observed and not yet decided on
  bool changed = false;        ///< something happened since the last decide()
  long decide_calls = 0;
  std::string policy_state;    ///< Policy::save_state()
};

/// The one scheduler both drivers use. It owns the job states and the GPU map, asks the
/// policy, places jobs (consolidated first, running jobs stay put) and returns decisions.
class Scheduler {
 public:
  Scheduler(const std::vector<JobSpec>& jobs, const ClusterSpec& cluster,
            const ThroughputModel& throughput, Policy& policy, SchedulerConfig config);

  /// Records an event without deciding.
  void observe(const Event& event);
  /// Asks the policy and returns the changes. Preemptions happen only if a ROUND_TICK was
  /// observed since the previous call and the policy is preemptive.
  std::vector<Decision> decide(double now);
  /// observe() then decide().
  std::vector<Decision> handle(const Event& event);

  /// Does time advance by events rather than rounds (round_length 0)?
  bool event_driven() const { return config_.round_length == 0; }
  /// The first round boundary strictly after `t` (rounds only).
  double next_round_after(double t) const;
  /// Event-driven time: when the policy's last answer may next change with no arrival or
  /// completion in between (infinity: never).
  double next_decision_time() const { return policy_.next_decision_time(); }
  /// Iterations done by `t`, extrapolated from the last progress report.
  double iterations_done(JobId job, double t) const;
  /// GPU-seconds allocated to a job up to `t`.
  double attained_gpu_seconds(JobId job, double t) const;

  const JobState& state(JobId job) const { return states_[job]; }
  /// GPU -> job running on it (one of the two when packed), or -1.
  const std::vector<long>& gpu_owner() const { return gpu_owner_; }
  std::size_t active_jobs() const { return active_.size(); }
  std::size_t running_jobs() const { return running_count_; }
  int busy_gpus() const { return busy_gpus_; }
  std::size_t finished_jobs() const { return finished_; }
  const SchedulerConfig& config() const { return config_; }
  const Policy& policy() const { return policy_; }
  /// The placement shape that sets the speed of a job on `gpus`: the nodes they span, or the
  /// fewest nodes that could hold them when placement does not affect speed.
  PlacementShape speed_shape(const std::vector<GpuId>& gpus) const;
  /// Restore delay charged when `job` restarts.
  double restore_delay(JobId job) const;
  /// Delay charged when a suspended job resumes on the nodes it was suspended on.
  double suspend_delay() const { return config_.suspend_delay * config_.time_scale; }
  /// Can `a` and `b` share GPUs of `type` at `gpus` each (co-location entries for the pair)?
  bool can_pack(JobId a, JobId b, int type, int gpus) const;
  /// Checks the core's invariants (GPU map consistent with job states, no GPU double-booked,
  /// and, for work-conserving policies, no waiting job that fits in the idle GPUs). Returns
  /// a description of the first violation, or an empty string.
  std::string check_invariants() const;
  /// Number of policy invocations so far.
  long decisions_made() const { return decide_calls_; }

  /// The core's and the policy's state, for a checkpoint (scheduler_snapshot.cpp).
  SchedulerSnapshot snapshot() const;
  /// Continues from `snapshot`, taken from a scheduler of the same jobs, cluster and policy;
  /// fed the same events afterwards, this one decides exactly as that one would have. Call it
  /// on a new scheduler before any event. Throws Error if the snapshot does not fit (other job
  /// count, GPUs outside the cluster or held twice).
  void restore(const SchedulerSnapshot& snapshot);
  /// Stops every running job because the whole run is checkpointed (a time limit), not by a
  /// policy decision: `requeues` counts it, `preemptions` does not, and the job pays its
  /// restore delay when it starts again, as a requeued training job reloads its checkpoint.
  /// Returns one STOP per job (preempted = false).
  std::vector<Decision> requeue_all(double now);

 private:
  struct Grant;
  std::vector<Decision> apply(double now, const PolicyOutput& out, bool may_preempt);
  /// The GPU type a packing request can be served on in this call, or -1 when it cannot.
  int pack_type(const Request& r, const std::vector<Grant>& grants, long pinned_pass,
                bool may_preempt) const;
  /// Migrates a running job to fewer nodes if free GPUs allow it.
  void consolidate(double now, JobId job, std::vector<Decision>& out);
  /// Appends a RATE decision for every running job whose rate changed since the last call.
  std::vector<Decision> with_rate_changes(std::vector<Decision> decisions);
  /// Gives back a running job's GPUs and closes its run segment.
  void release(double now, JobId job, JobState::Status next);
  void stop(double now, JobId job, std::vector<Decision>& out);
  void start(double now, JobId job, std::vector<GpuId> gpus, std::vector<Decision>& out,
             long partner = -1);
  /// Moves a running job to `gpus` (stop and start, charged the restore delay).
  void migrate(double now, JobId job, std::vector<GpuId> gpus, std::vector<Decision>& out);
  /// Closes the GPU-second accrual at the current share (packing halves it).
  void close_accrual(double now, JobState& s);
  /// The modelled progress rate of a running job on its GPUs, packed or alone.
  double modelled_rate(JobId job) const;
  /// Records a running job's new rate from `now` on; decide() reports it as a RATE decision.
  void rerate(double now, JobId job);
  /// GPUs on exactly the nodes (with multiplicity) a suspended job left, if free.
  std::vector<GpuId> place_on_nodes(int type, const std::vector<int>& nodes) const;
  int choose_type(const Request& r, const std::vector<int>& capacity) const;
  /// Event-driven time: are the only waiting jobs the `arrived` newest, and does every active
  /// job fit in the cluster at once (one GPU type)? Then a policy may answer with
  /// grants_everyone() instead of a ranking.
  bool everyone_fits(std::size_t arrived) const;
  std::vector<GpuId> place(int type, int count) const;
  /// Sets every field of `v` to what the policy may know of `job` at `now`.
  void fill_view(JobView& v, JobId job, double now) const;

  const std::vector<JobSpec>& jobs_;
  const ClusterSpec& cluster_;
  const ThroughputModel& throughput_;
  Policy& policy_;
  SchedulerConfig config_;
  std::vector<JobState> states_;
  std::vector<int> spanned_;  // nodes a running job's GPUs span, counted when it starts
  std::vector<JobId> active_;  // arrived, not done, in arrival order
  std::vector<JobId> arrived_;  // arrived since the last decide()
  std::vector<long> gpu_owner_;
  std::size_t running_count_ = 0;
  int busy_gpus_ = 0;
  std::size_t finished_ = 0;
  bool round_pending_ = false;
  bool changed_ = true;  // something happened since the last decide
  long decide_calls_ = 0;
  std::vector<JobView> views_;  // reused buffer: decide() fills its first entries
  std::vector<int> free_per_node_;
  std::vector<int> free_per_type_;
  std::vector<double> isolated_;
  std::size_t waiting_ = 0;
  std::vector<long> seen_;  // pass number in which a job was last ranked
  long pass_ = 0;
  std::vector<JobId> rerated_;  // running jobs whose rate changed since the last decide
  std::vector<long> partnered_;  // pass number in which a job got a packing partner
  std::vector<char> keep_;       // apply(): 1 keeps its GPUs, 2 also restoring; zero between calls
  /// The latest resume_at of any start: no job restores at a time after it.
  double latest_resume_ = -std::numeric_limits<double>::infinity();
};

// Inline: every decision reads them for every active job (Scheduler::fill_view).
inline double Scheduler::iterations_done(JobId job, double t) const {
  const JobState& s = states_[job];
  if (s.status == JobState::Status::DONE) return jobs_[job].iterations;
  if (s.status != JobState::Status::RUNNING) return s.progress_iterations;
  const double from = std::max(s.progress_time, s.resume_at);
  const double done = s.progress_iterations + s.progress_rate * std::max(0.0, t - from);
  return std::min(done, jobs_[job].iterations);
}

inline double Scheduler::attained_gpu_seconds(JobId job, double t) const {
  const JobState& s = states_[job];
  double a = s.attained_gpu_seconds_closed;
  if (s.status == JobState::Status::RUNNING)
    a += (s.packed_with >= 0 ? 0.5 : 1.0) * static_cast<double>(s.gpus.size()) * (t - s.share_since);
  return a;
}

}  // namespace dlsched
