#include "emu/driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "core/error.h"
#include "emu/mpi_check.h"
#include "emu/send_lease.h"
#include "emu/stop_signal.h"
#include "emu/wall_clock.h"
#include "run/job_rows.h"
#include "sched/scheduler.h"

namespace dlsched::emu {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

/// Wall seconds between looks for exited worker processes on rank 0's host (a few /proc
/// reads each).
constexpr double LIVENESS_PERIOD = 0.1;

/// One assignment of a job to its workers, from ASSIGN until every member has reported.
struct Lease {
  std::uint64_t id = 0;
  JobId job = 0;
  std::int64_t round = 0;
  std::vector<GpuId> gpus;
  std::vector<std::int32_t> members;  // world ranks = gpus + 1
  double sent = 0;
  double boundary = -1;   // the round boundary it was issued at, -1 mid-round
  double deadline = INF;  // the round boundary it ends at
  double started = -1;    // when the leader said all members are ready
  double wait = 0;        // restore delay the members sleep before the first iteration
  double due = INF;       // past this, a member that has not reported is taken as failed
  std::vector<std::int32_t> reported;  // members whose report has arrived
  std::int64_t budget = 0;
  double iterations_before = 0;
  int reports = 0;
  std::int64_t steps = -1;
  double seconds = 0, compute = 0, comm = 0;  // summed over members
  StopReason reason = StopReason::DEADLINE;
};

/// A START carried out once the job's previous lease has reported.
struct Deferred {
  std::vector<GpuId> gpus;
  double resume_at = 0;
  double boundary = -1;
};

/// A round's row, held until its leases have all started (control overhead is known).
struct OpenRound {
  RoundRecord record;
  double boundary = 0;
};

class Driver {
 public:
  Driver(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
         const DriverSettings& settings, const DriverResume* resume)
      : ex_(ex),
        jobs_(ex.trace.jobs),
        tp_(*ex.throughput),
        sched_(jobs_, ex.cluster, tp_, policy, ex.scheduler),
        channel_(channel),
        sink_(sink),
        settings_(settings),
        done_(jobs_.size(), 0),
        rate_(jobs_.size(), 0),
        compute_s_(jobs_.size(), 0),
        comm_s_(jobs_.size(), 0),
        job_lease_(jobs_.size(), 0),
        deferred_(jobs_.size()),
        requeued_(jobs_.size(), false) {
    int size = 0;
    DLSCHED_MPI_CHECK(MPI_Comm_size(channel.comm(), &size));
    DLSCHED_EXPECTS(size - 1 == ex.cluster.num_gpus(),
                    fmt::format("{} worker ranks for {} GPUs", size - 1, ex.cluster.num_gpus()));
    workers_ = size - 1;
    if (resume) restore(*resume);
  }

  DriveOutcome run() {
    const std::size_t n = jobs_.size();
    if (settings_.inject_bad_message) channel_.send_raw(1, encode_header_only(0xBEEF));
    std::optional<RunCheckpoint> checkpoint;
    for (;;) {
      bool busy = false;
      while (auto raw = channel_.try_receive()) {
        busy = true;
        on_message(*raw);
      }
      channel_.progress();
      const double now = clock_.now();
      while (next_arrival_ < n && jobs_[next_arrival_].submit_time <= now) {
        sched_.observe(Event{Event::Kind::ARRIVAL, now, jobs_[next_arrival_].index});
        ++next_arrival_;
        want_decide_ = busy = true;
      }
      // Rounds tick only while there is work, as in the simulator.
      if (!boundary_ && sched_.active_jobs() == 0) next_tick_ = INF;
      if (next_tick_ == INF && sched_.active_jobs() > 0) next_tick_ = sched_.next_round_after(now);
      if (!boundary_ && now >= next_tick_) {
        boundary_ = true;
        boundary_time_ = next_tick_;
      }
      // A worker that failed: checkpoint at once what the reports so far say (unless nothing
      // is left to do).
      if (!(sched_.finished_jobs() == n && leases_.empty()) && check_workers(now)) {
        checkpoint = take_checkpoint(now);
        break;
      }
      // A stop signal: once the round is over (or at once, see begin_stop), no lease is issued
      // and no decision made until every lease has reported; then the checkpoint.
      if (settings_.stop_on_signal && stop_signals_received() > 0 &&
          !(sched_.finished_jobs() == n && leases_.empty())) {
        if (draining_ || begin_stop(now)) {
          if (leases_.empty()) {
            checkpoint = take_checkpoint(now);
            break;
          }
          if (!busy) clock_.sleep_until(now + channel_.poll_seconds());
          continue;
        }
      }
      // Every lease due at the boundary ends there on its own; tick once they have all
      // reported, so the policy decides on exact progress. Arrivals and completions fill
      // free GPUs at once, also while a boundary waits; at the tick its one decision covers
      // them, as in the simulator.
      if (boundary_ && !lease_due_by(boundary_time_)) {
        tick(now);
        busy = true;
      } else if (want_decide_) {
        want_decide_ = false;
        carry_out(now, sched_.decide(now), -1);
      }
      if (sched_.finished_jobs() == n && leases_.empty()) break;
      if (!busy) {
        double until = now + channel_.poll_seconds();
        if (next_arrival_ < n) until = std::min(until, jobs_[next_arrival_].submit_time);
        clock_.sleep_until(std::max(now, until));
      }
    }
    close_round();
    sink_.round_done();
    // After a failure some workers may never receive again (dead, or inside a collective with
    // a dead peer): sends to them might never complete, and the caller aborts the run anyway.
    if (!failure_) {
      for (int r = 1; r <= workers_; ++r) channel_.send(r, ShutdownMsg{});
      channel_.flush();
    }
    DriveOutcome out;
    out.summary = summarize_jobs(records_, ex_.cluster.num_gpus());
    out.summary.rounds = rounds_;
    out.summary.policy_calls = sched_.decisions_made();
    out.checkpoint = std::move(checkpoint);
    out.communicators = comms_.counts();
    out.communicators.most_held_by_a_worker = most_held_;
    out.failure = failure_;
    out.requeue_restore_seconds = requeue_restore_;
    return out;
  }

 private:
  /// A stop signal has arrived: decides whether the run stops now, and if so asks every lease
  /// under way to end after its current iteration. It stops at the end of the round (once the
  /// leases due at the boundary have all reported, before the tick), so the round is whole and
  /// no lease is cut short; at once if nothing runs, or on a second signal.
  bool begin_stop(double now) {
    if (!stop_announced_) {
      stop_announced_ = true;
      std::cerr << fmt::format(
          "dlsched: {} at t={:.3f} s: checkpointing at the next round boundary (a second "
          "signal stops after the iterations under way)\n",
          last_stop_signal(), now);
    }
    const bool at_boundary = boundary_ && !lease_due_by(boundary_time_);
    if (!at_boundary && !leases_.empty() && stop_signals_received() < 2) return false;
    if (!at_boundary && !leases_.empty())
      std::cerr << fmt::format("dlsched: another signal at t={:.3f} s: stopping {} leases after "
                               "their current iteration\n",
                               now, leases_.size());
    draining_ = true;
    for (auto& [id, l] : leases_) ask_to_stop(now, l);
    return true;
  }

  /// Asks a lease's leader to end it after the current iteration; its report is then due
  /// within the timeout of that (or of the end of its restore wait).
  void ask_to_stop(double now, Lease& l) {
    channel_.send(l.members.front(), StopMsg{l.id});
    l.due = std::min(l.due, std::max(now, l.sent + l.wait) + settings_.worker_timeout);
  }

  /// Finds failed workers: the silent members of a lease whose report is overdue, and worker
  /// processes on this host that have exited. The latter are looked for now and then, and at
  /// once when a signal arrives: Open MPI's mpiexec answers a dead rank by sending SIGTERM to
  /// the others and SIGKILL a second later (odls_base_sigkill_timeout), so the checkpoint must
  /// not wait for anything. Every lease under way is therefore given up at once (its job keeps
  /// the progress of its last reported lease, as a job loses what it did since its last
  /// checkpoint). True once the run is ending because of a failure.
  bool check_workers(double now) {
    if (failure_) return true;
    std::set<int> silent, gone;
    std::vector<std::string> late;
    for (const auto& [id, l] : leases_) {
      if (!(now > l.due)) continue;
      late.push_back(fmt::format("job {}'s lease {} has not reported {:.1f} s after it was due",
                                 jobs_[l.job].id, id, now - l.due + settings_.worker_timeout));
      for (std::int32_t m : l.members)
        if (std::find(l.reported.begin(), l.reported.end(), m) == l.reported.end())
          silent.insert(m);
    }
    const RankProcesses* p = settings_.processes;
    if (p && (now >= next_liveness_check_ || stop_signals_received() != signals_seen_)) {
      next_liveness_check_ = now + LIVENESS_PERIOD;
      signals_seen_ = stop_signals_received();
      for (int r = 1; r <= workers_; ++r)
        if (p->known_gone(r)) gone.insert(r);
    }
    for (int r : silent)
      if (p && p->known_gone(r)) gone.insert(r);
    for (int r : gone) silent.erase(r);
    if (gone.empty() && silent.empty()) return false;
    failure_ = WorkerFailure{};
    failure_->detected_at = now;
    failure_->gone.assign(gone.begin(), gone.end());
    failure_->silent.assign(silent.begin(), silent.end());
    failure_->what = describe_failure(now, late);
    std::cerr << "dlsched: error: " << failure_->what
              << "; checkpointing the progress of every finished lease" << std::endl;
    while (!leases_.empty()) abandon(leases_.begin()->first);
    return true;
  }

  /// "at t=...: worker rank 3 on host h failed (process exited); job c's lease 17 ...".
  std::string describe_failure(double now, const std::vector<std::string>& late) const {
    auto names = [&](const std::vector<int>& ranks) {
      std::string s;
      for (int r : ranks)
        s += (s.empty() ? "" : ", ") +
             (settings_.processes ? settings_.processes->describe(r) : fmt::format("rank {}", r));
      return s;
    };
    const auto& gone = failure_->gone;
    const auto& silent = failure_->silent;
    std::string what = fmt::format("at t={:.3f} s: ", now);
    if (!gone.empty()) what += fmt::format("worker {} failed (its process exited)", names(gone));
    if (!silent.empty())
      what += fmt::format("{}worker {} stopped answering (dead, hung, or waiting for a dead peer)",
                          gone.empty() ? "" : "; ", names(silent));
    for (const std::string& l : late) what += "; " + l;
    return what;
  }

  /// Forgets a lease whose members will not report: its job keeps the progress it had when
  /// the lease began, and the checkpoint requeues it.
  void abandon(std::uint64_t id) {
    const Lease& l = leases_.at(id);
    if (job_lease_[l.job] == id) job_lease_[l.job] = 0;
    deferred_[l.job].reset();
    leases_.erase(id);
  }

  /// Every lease has reported: stops every running job (a requeue, not a preemption), writes
  /// the rows up to now and returns what a resumed run needs.
  RunCheckpoint take_checkpoint(double now) {
    for (JobId j = 0; j < jobs_.size(); ++j)
      if (sched_.state(j).status == JobState::Status::RUNNING)
        sched_.observe(Event{Event::Kind::PROGRESS, now, j, done_[j], rate_[j]});
    for (const Decision& d : sched_.requeue_all(now)) {
      allocation_rows(now, d.job, d.gpus, AllocationEvent::REQUEUE);
      deferred_[d.job].reset();
    }
    close_round();
    RunCheckpoint c;
    c.clock = now;
    c.rounds = rounds_;
    c.next_arrival = next_arrival_;
    c.next_tick = next_tick_;
    c.boundary_pending = boundary_;
    c.boundary_time = boundary_time_;
    c.last_lease = last_lease_;
    c.signal = failure_ ? "worker failure" : last_stop_signal();
    c.wall_time = unix_seconds();
    c.scheduler = sched_.snapshot();
    c.jobs.resize(jobs_.size());
    for (JobId j = 0; j < jobs_.size(); ++j)
      c.jobs[j] = JobProgressState{done_[j], rate_[j], compute_s_[j], comm_s_[j]};
    return c;
  }

  /// Continues from a checkpoint: every job is waiting (the checkpoint stopped them), so the
  /// first decision restarts them, each paying its restore delay.
  void restore(const DriverResume& r) {
    const RunCheckpoint& c = r.checkpoint;
    DLSCHED_EXPECTS(c.jobs.size() == jobs_.size() && c.next_arrival <= jobs_.size(),
                    "checkpoint does not fit the trace");
    sched_.restore(c.scheduler);
    DLSCHED_EXPECTS(sched_.running_jobs() == 0, "a checkpoint of an emulation holds no running job");
    clock_ = WallClock(c.clock);
    next_arrival_ = c.next_arrival;
    next_tick_ = c.next_tick;
    boundary_ = c.boundary_pending;
    boundary_time_ = c.boundary_time;
    rounds_ = c.rounds;
    last_lease_ = c.last_lease;
    for (JobId j = 0; j < jobs_.size(); ++j) {
      done_[j] = c.jobs[j].iterations_done;
      rate_[j] = c.jobs[j].rate;
      compute_s_[j] = c.jobs[j].compute_seconds;
      comm_s_[j] = c.jobs[j].comm_seconds;
    }
    records_ = r.finished_before;
    // The checkpoint stopped these jobs (a requeue at its clock): their next start pays the
    // restore delay because of the interruption.
    for (JobId j = 0; j < jobs_.size(); ++j) {
      const JobState& s = c.scheduler.jobs[j];
      requeued_[j] = s.requeues > 0 && s.last_stop == c.clock;
    }
    want_decide_ = true;
  }

  /// Is a lease whose deadline is at or before `t` still running?
  bool lease_due_by(double t) const {
    for (const auto& [id, l] : leases_)
      if (l.deadline <= t) return true;
    return false;
  }

  /// Where a lease issued now ends: the next boundary (the one after a pending boundary).
  double lease_deadline() const {
    return boundary_ ? sched_.next_round_after(boundary_time_) : next_tick_;
  }

  void tick(double now) {
    // Progress is exact for every job between leases (those due at the boundary); jobs
    // started while the boundary waited are mid-lease and keep the core's extrapolation.
    for (JobId j = 0; j < jobs_.size(); ++j)
      if (sched_.state(j).status == JobState::Status::RUNNING && job_lease_[j] == 0)
        sched_.observe(Event{Event::Kind::PROGRESS, now, j, done_[j], rate_[j]});
    sched_.observe(Event{Event::Kind::ROUND_TICK, now});
    const std::vector<Decision> decisions = sched_.decide(now);
    want_decide_ = false;
    close_round();
    const double boundary = boundary_time_;
    boundary_ = false;
    next_tick_ = sched_.active_jobs() > 0 ? sched_.next_round_after(boundary) : INF;
    if (next_tick_ <= now) next_tick_ = sched_.next_round_after(now);
    open_ = OpenRound{
        RoundRecord{rounds_, boundary, sched_.busy_gpus(),
                    static_cast<std::int32_t>(sched_.running_jobs()),
                    static_cast<std::int32_t>(sched_.active_jobs() - sched_.running_jobs()),
                    static_cast<std::int32_t>(sched_.finished_jobs()), 0},
        boundary};
    ++rounds_;
    carry_out(now, decisions, boundary);
    // Jobs that keep their GPUs get the next round's lease on the same (cached) communicator.
    for (JobId j = 0; j < jobs_.size(); ++j) {
      const JobState& s = sched_.state(j);
      if (s.status == JobState::Status::RUNNING && job_lease_[j] == 0)
        issue_lease(now, j, s.gpus, s.resume_at, boundary);
    }
    sink_.round_done();
  }

  void close_round() {
    if (!open_) return;
    sink_.round(open_->record);
    open_.reset();
  }

  void carry_out(double now, const std::vector<Decision>& decisions, double boundary) {
    for (const Decision& d : decisions) {
      // Workers measure their own rate; and emulate runs no packed jobs, the only cause of RATE.
      if (d.kind == Decision::Kind::RATE) continue;
      if (d.kind == Decision::Kind::STOP) {
        // Between rounds the core never preempts, so a lease is running only if a policy
        // stops a job mid-round; its leader ends it after the current iteration.
        deferred_[d.job].reset();
        if (const std::uint64_t id = job_lease_[d.job]) ask_to_stop(now, leases_.at(id));
        allocation_rows(now, d.job, d.gpus, AllocationEvent::STOP);
        continue;
      }
      allocation_rows(now, d.job, d.gpus, AllocationEvent::START);
      if (requeued_[d.job]) {
        requeued_[d.job] = false;
        requeue_restore_ += std::max(0.0, d.resume_at - now);
      }
      if (job_lease_[d.job] != 0) {
        // Restarted before the lease it was stopped in has reported: start it from where
        // that lease ends.
        deferred_[d.job] = Deferred{d.gpus, d.resume_at, boundary};
        continue;
      }
      issue_lease(now, d.job, d.gpus, d.resume_at, boundary);
    }
  }

  PlacementShape shape_of(const std::vector<GpuId>& gpus) const { return sched_.speed_shape(gpus); }

  void issue_lease(double now, JobId job, std::vector<GpuId> gpus, double resume_at,
                   double boundary) {
    DLSCHED_EXPECTS(job_lease_[job] == 0, fmt::format("job {} given two leases", jobs_[job].id));
    std::sort(gpus.begin(), gpus.end());
    const JobSpec& spec = jobs_[job];
    Lease l;
    l.id = ++last_lease_;
    l.job = job;
    l.round = static_cast<std::int64_t>(std::floor(now / ex_.scheduler.round_length));
    l.gpus = gpus;
    for (GpuId g : gpus) l.members.push_back(g + 1);
    l.sent = now;
    l.boundary = boundary;
    l.iterations_before = done_[job];
    // A trace iteration is one step at the requested size; more workers do more per step.
    const double per_step = static_cast<double>(gpus.size()) / spec.num_gpus;
    l.budget = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil((spec.iterations - done_[job]) / per_step - 1e-9)));
    AssignMsg a;
    a.lease = l.id;
    a.job = job;
    a.round = l.round;
    a.members = l.members;
    a.wait_seconds = std::max(0.0, resume_at - now);
    l.wait = a.wait_seconds;
    l.deadline = lease_deadline();
    if (l.deadline < INF)
      l.due = std::max(l.deadline, now + l.wait) + settings_.worker_timeout;
    a.deadline_seconds = l.deadline < INF ? l.deadline - now : 1e12;
    a.budget_steps = l.budget;
    a.iterations_before = done_[job];
    a.work = iteration_work(ex_, job, shape_of(gpus), settings_);
    if (!warned_long_iterations_ && a.work.compute_seconds > 0.5 * ex_.scheduler.round_length) {
      // Leases end after the iteration under way, so each round waits for the slowest one.
      warned_long_iterations_ = true;
      std::cerr << fmt::format(
          "dlsched: warning: job {} iterates in about {:.3g} s, long against the {:.3g} s round; "
          "rounds will wait for it (raise --round-length or --time-scale)\n",
          spec.id, a.work.compute_seconds, ex_.scheduler.round_length);
    }
    send_lease(channel_, comms_, a);
    job_lease_[job] = l.id;
    leases_.emplace(l.id, std::move(l));
  }

  void on_message(const RawMessage& raw) {
    const Message m = decode_from_worker(raw);
    const double now = clock_.now();
    if (const auto* f = std::get_if<FailureMsg>(&m))
      throw Error(fmt::format("worker rank {} failed: {}", raw.source, f->what));
    if (const auto* s = std::get_if<StartedMsg>(&m)) {
      Lease& l = lease(s->lease, raw.source);
      l.started = now;
      if (open_ && l.boundary == open_->boundary)
        open_->record.control_overhead = std::max(open_->record.control_overhead, now - l.boundary);
      return;
    }
    if (const auto* r = std::get_if<ReportMsg>(&m)) {
      on_report(now, raw.source, *r);
      return;
    }
    throw ProtocolError(fmt::format("rank {} sent a {} message, which rank 0 does not accept",
                                    raw.source, to_string(type_of(m))));
  }

  Lease& lease(std::uint64_t id, int source) {
    const auto it = leases_.find(id);
    if (it == leases_.end())
      throw ProtocolError(fmt::format("rank {} reported on unknown lease {}", source, id));
    return it->second;
  }

  void on_report(double now, int source, const ReportMsg& r) {
    Lease& l = lease(r.lease, source);
    const std::string& name = jobs_[l.job].id;
    DLSCHED_EXPECTS(r.job == l.job,
                    fmt::format("rank {} reported job {} on job {}'s lease", source, r.job, name));
    DLSCHED_EXPECTS(r.iterations_before == l.iterations_before,
                    fmt::format("rank {} resumed job {} at iteration {}, not {}", source, name,
                                r.iterations_before, l.iterations_before));
    if (l.steps < 0) l.steps = r.steps;
    DLSCHED_EXPECTS(r.steps == l.steps,
                    fmt::format("members of job {} stopped after different iterations ({} and {})",
                                name, l.steps, r.steps));
    l.seconds += r.seconds;
    l.compute += r.compute_seconds;
    l.comm += r.comm_seconds;
    l.reported.push_back(source);
    if (source == l.members.front()) l.reason = r.reason;
    most_held_ = std::max(most_held_, r.communicators);
    if (++l.reports == static_cast<int>(l.members.size())) end_lease(now, l.id);
  }

  void end_lease(double now, std::uint64_t id) {
    Lease l = std::move(leases_.at(id));
    leases_.erase(id);
    const JobSpec& spec = jobs_[l.job];
    const double members = static_cast<double>(l.members.size());
    const bool finished = l.steps >= l.budget;
    const double per_step = static_cast<double>(l.gpus.size()) / spec.num_gpus;
    const double left = spec.iterations - done_[l.job];
    const double iters = finished ? left : std::min(left, static_cast<double>(l.steps) * per_step);
    done_[l.job] = finished ? spec.iterations : done_[l.job] + iters;
    const double seconds = l.seconds / members;
    compute_s_[l.job] += l.compute / members;
    comm_s_[l.job] += l.comm / members;
    if (seconds > 0) rate_[l.job] = iters / seconds;
    sink_.progress(ProgressRecord{l.sent, now, l.job, l.round, iters, seconds, l.compute / members,
                                  l.comm / members, static_cast<std::int32_t>(l.gpus.size())});
    if (job_lease_[l.job] == l.id) job_lease_[l.job] = 0;
    const bool running = sched_.state(l.job).status == JobState::Status::RUNNING;
    if (!finished) {
      sched_.observe(Event{Event::Kind::PROGRESS, now, l.job, done_[l.job], rate_[l.job]});
      // While stopping for a checkpoint no lease starts; the checkpoint stops the job.
      if (running && deferred_[l.job] && !draining_) {
        const Deferred d = *std::exchange(deferred_[l.job], std::nullopt);
        issue_lease(now, l.job, d.gpus, d.resume_at, d.boundary);
      }
      return;
    }
    if (!running) {
      // Its last iteration was under way when the core preempted it: the work is done, so it
      // finishes now, holding no GPUs. A restart promised meanwhile is void.
      deferred_[l.job].reset();
      complete(now, l.job, {});
      return;
    }
    if (deferred_[l.job]) {
      // Restarted before this lease reported: it finishes on the GPUs it was given.
      const Deferred d = *std::exchange(deferred_[l.job], std::nullopt);
      complete(now, l.job, d.gpus);
      return;
    }
    complete(now, l.job, l.gpus);
  }

  /// The job has done all its iterations on `gpus`: tell the core, write its rows.
  void complete(double now, JobId job, const std::vector<GpuId>& gpus) {
    const JobSpec& spec = jobs_[job];
    sched_.observe(Event{Event::Kind::COMPLETION, now, job});
    allocation_rows(now, job, gpus, AllocationEvent::FINISH);
    want_decide_ = true;
    JobRecord r = finished_job_record(spec, sched_.state(job), tp_, now, done_[job],
                                      compute_s_[job], comm_s_[job]);
    sink_.job(r);
    records_.push_back(std::move(r));
  }

  void allocation_rows(double now, JobId job, const std::vector<GpuId>& gpus,
                       AllocationEvent event) {
    write_allocation_rows(sink_, ex_.cluster, now, job, gpus, event);
  }

  const Experiment& ex_;
  const std::vector<JobSpec>& jobs_;
  const ThroughputModel& tp_;
  Scheduler sched_;
  Channel& channel_;
  RecordSink& sink_;
  DriverSettings settings_;
  WallClock clock_;
  CommRegistry comms_;
  std::uint32_t most_held_ = 0;  // communicators one worker held, the most any reported
  int workers_ = 0;
  std::size_t next_arrival_ = 0;
  double next_tick_ = INF;
  bool boundary_ = false;
  double boundary_time_ = 0;
  bool want_decide_ = false;
  bool warned_long_iterations_ = false;
  bool stop_announced_ = false;  // a stop signal was seen and reported
  bool draining_ = false;        // stopping: leases were asked to end, none is issued
  std::int64_t rounds_ = 0;
  std::optional<OpenRound> open_;
  std::uint64_t last_lease_ = 0;
  std::map<std::uint64_t, Lease> leases_;
  std::optional<WorkerFailure> failure_;  // set once a worker stopped answering
  double next_liveness_check_ = 0;        // when to look for exited worker processes next
  int signals_seen_ = 0;                  // stop signals when they were last looked for
  std::vector<double> done_;  // trace iterations completed, per job
  std::vector<double> rate_;  // measured trace iterations per second in the last lease
  std::vector<double> compute_s_;
  std::vector<double> comm_s_;
  std::vector<std::uint64_t> job_lease_;           // the job's running lease, 0 if none
  std::vector<std::optional<Deferred>> deferred_;  // restarted while its last lease ran
  std::vector<JobRecord> records_;
  std::vector<bool> requeued_;    // requeued by the checkpoint resumed from, not restarted yet
  double requeue_restore_ = 0;    // restore delays charged to those restarts
};

}  // namespace

IterationWork iteration_work(const Experiment& ex, JobId job, const PlacementShape& shape,
                             const DriverSettings& settings) {
  const ThroughputModel& tp = *ex.throughput;
  const ModelInfo& model = tp.model_of(job);
  const auto& slow = settings.slowdown;
  DLSCHED_EXPECTS(slow.size() == ex.cluster.gpu_types().size(), "one slowdown per GPU type");
  const int ref = static_cast<int>(std::min_element(slow.begin(), slow.end()) - slow.begin());
  const double relative = slow[shape.gpu_type] / slow[ref];
  IterationWork w;
  w.mode = settings.compute;
  w.gradient_bytes = static_cast<std::uint64_t>(
      std::max(4.0, std::round(model.gradient_bytes() * settings.comm_scale)));
  w.bucket_bytes = settings.bucket_bytes;
  w.overlap = tp.step().overlap;
  w.forward_fraction = model.forward_fraction;
  if (settings.compute == ComputeMode::SLEEP) {
    // The simulator's iteration time on the fastest type, less the part of its modelled
    // allreduce that the backward does not hide (the emulator measures the allreduce),
    // stretched by the emulated type's slowdown.
    const PlacementShape on_ref{ref, shape.workers, shape.nodes};
    double c = tp.iteration_time(job, on_ref) -
               tp.analytic_exposed_comm_time(model, tp.per_worker_batch(job), on_ref);
    if (!(c > 0)) c = tp.analytic_compute_time(model, tp.per_worker_batch(job), ref);
    w.compute_seconds = c * relative;
  } else {
    w.flops = model.flops_per_sample * tp.per_worker_batch(job) * settings.flops_scale;
    w.slowdown = relative;
  }
  return w;
}

DriveOutcome drive(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
                   const DriverSettings& settings, const DriverResume* resume) {
  Driver d(ex, policy, channel, sink, settings, resume);
  return d.run();
}

}  // namespace dlsched::emu
