#include "sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <queue>
#include <utility>
#include <fmt/format.h>
#include <unistd.h>

#include "core/error.h"
#include "run/job_rows.h"
#include "sched/scheduler.h"

namespace dlsched {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

/// A predicted completion; stale once the job's run segment has changed.
struct Completion {
  double time;
  JobId job;
  std::uint64_t segment;
  bool operator>(const Completion& o) const {
    return time != o.time ? time > o.time : job > o.job;
  }
};

/// Redraws one status line on a terminal at most a few times a second.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && ::isatty(2)) {}
  void update(std::size_t done, std::size_t total, double sim_time) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200) && done != total) return;
    last_ = now;
    const int width = 30;
    const int filled = total ? static_cast<int>(width * done / total) : width;
    std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu jobs, t=%.0f s", filled,
                 "##############################", width - filled, "", done, total, sim_time);
    if (done == total) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

class Simulation {
 public:
  Simulation(const Experiment& ex, Policy& policy, RecordSink& sink, const SimulationOptions& opt)
      : ex_(ex),
        jobs_(ex.trace.jobs),
        tp_(*ex.throughput),
        sched_(jobs_, ex.cluster, tp_, policy, ex.scheduler),
        sink_(sink),
        bar_(opt.progress_bar),
        check_(opt.check_invariants),
        whole_iterations_(opt.whole_iterations),
        lease_start_(jobs_.size(), 0),
        paused_(jobs_.size(), false),
        segment_(jobs_.size(), 0),
        segment_start_iters_(jobs_.size(), 0),
        segment_start_time_(jobs_.size(), 0),
        segment_round_(jobs_.size(), 0),
        compute_s_(jobs_.size(), 0),
        comm_s_(jobs_.size(), 0) {}

  RunSummary run() {
    std::size_t next_arrival = 0;
    const std::size_t n = jobs_.size();
    // Rounds that end with their last lease start with the first arrival.
    double next_tick = ex_.scheduler.round_ends_with_last_lease && n > 0 ? jobs_[0].submit_time : INF;
    double now = 0;
    const bool event_driven = sched_.event_driven();
    while (sched_.finished_jobs() < n) {
      const double t_arrival = next_arrival < n ? jobs_[next_arrival].submit_time : INF;
      const double t_done = completions_.empty() ? INF : completions_.top().time;
      now = std::min({t_arrival, next_tick, t_done});
      DLSCHED_EXPECTS(now < INF, "simulation stalled: jobs remain but no event is pending");
      bool happened = false;  // an arrival or completion, not only a stale prediction
      // Same-time events: completions free GPUs before arrivals and the round tick decide.
      while (!completions_.empty() && completions_.top().time <= now) {
        const Completion c = completions_.top();
        completions_.pop();
        if (c.segment != segment_[c.job]) continue;
        const double hold = pair_lease_end(c.job, now, next_tick);
        if (hold > now) {
          completions_.push(Completion{hold, c.job, c.segment});
          continue;
        }
        finish(now, c.job);
        happened = true;
      }
      while (next_arrival < n && jobs_[next_arrival].submit_time <= now) {
        sched_.observe(Event{Event::Kind::ARRIVAL, now, jobs_[next_arrival].index});
        ++next_arrival;
        happened = true;
      }
      // Event-driven time: every arrival and completion that leaves jobs to schedule is a
      // decision point with preemption, as is the instant the policy named; nothing else is.
      const bool jobs_present = sched_.finished_jobs() < next_arrival;
      bool tick = now >= next_tick || (event_driven && happened && jobs_present);
      if (tick && whole_iterations_ && !boundary_pending_) {
        // The boundary: every lease ends at a whole iteration; the tick waits for the last.
        boundary_pending_ = true;
        boundary_time_ = now;
        next_tick = end_leases_at_boundary(now);
        tick = next_tick <= now;
      }
      // A decision point gives a non-preemptive policy nothing a plain decision does not: it
      // is asked as between rounds, so the core skips the call when no waiting job can start.
      if (tick && (!event_driven || sched_.policy().preemptive())) {
        if (boundary_pending_) observe_paused_progress(now);
        sched_.observe(Event{Event::Kind::ROUND_TICK, now});
      }
      for (const Decision& d : sched_.decide(now)) carry_out(now, d);
      if (check_) {
        const std::string broken = sched_.check_invariants();
        if (!broken.empty()) throw InvariantError(fmt::format("t={}: {}", now, broken));
      }
      if (boundary_pending_ && !tick) {  // waiting for the last lease at the boundary
        bar_.update(sched_.finished_jobs(), n, now);
        continue;
      }
      const double boundary = boundary_pending_ ? boundary_time_ : now;
      if (tick) {
        refuse_endless_idling(now, next_arrival < n);
        if (boundary_pending_) renew_paused_leases(now);
        boundary_pending_ = false;
        sink_.round(RoundRecord{rounds_, boundary, sched_.busy_gpus(),
                                static_cast<std::int32_t>(sched_.running_jobs()),
                                static_cast<std::int32_t>(sched_.active_jobs() - sched_.running_jobs()),
                                static_cast<std::int32_t>(sched_.finished_jobs()), now - boundary});
        sink_.round_done();
        ++rounds_;
      }
      if (event_driven) {
        next_tick = jobs_present ? sched_.next_decision_time() : INF;
        DLSCHED_EXPECTS(next_tick > now,
                        fmt::format("t={}: policy {} named a decision time {} not after now", now,
                                    sched_.policy().name(), next_tick));
        while (!restore_ends_.empty() && restore_ends_.top() <= now) restore_ends_.pop();
        if (jobs_present && !restore_ends_.empty())
          next_tick = std::min(next_tick, restore_ends_.top());
      } else if (ex_.scheduler.round_ends_with_last_lease) {
        if (tick) {
          const double t_next_arrival = next_arrival < n ? jobs_[next_arrival].submit_time : INF;
          next_tick = round_end_with_last_lease(now, t_next_arrival);
        }
      } else {
        // Rounds tick only while there is work; an idle cluster waits for the next arrival.
        next_tick = sched_.active_jobs() > 0 ? sched_.next_round_after(boundary) : INF;
        if (next_tick <= now) next_tick = sched_.next_round_after(now);
      }
      bar_.update(sched_.finished_jobs(), n, now);
    }
    sink_.round_done();
    RunSummary s = summary_.summary(ex_.cluster.num_gpus());
    s.rounds = rounds_;
    s.policy_calls = sched_.decisions_made();
    return s;
  }

 private:
  /// Rounds in a row that end with jobs waiting, nothing running and nothing left to arrive
  /// before a policy is taken to never start them: no reference policy idles a whole cluster
  /// beside waiting jobs for this long, and a user's policy that does would loop forever.
  static constexpr long MAX_IDLE_ROUNDS = 1000;

  /// Throws Error once the policy has left every GPU idle beside waiting jobs, with no job left
  /// to arrive, for MAX_IDLE_ROUNDS rounds in a row: the run could never finish.
  void refuse_endless_idling(double now, bool arrivals_left) {
    const bool idle = !arrivals_left && sched_.running_jobs() == 0 && sched_.active_jobs() > 0;
    if (!idle) {
      idle_ticks_ = 0;
      return;
    }
    if (idle_ticks_++ == 0) idle_since_ = now;
    if (idle_ticks_ < MAX_IDLE_ROUNDS) return;
    throw Error(fmt::format(
        "t={}: policy {} has left {} waiting job(s) beside {} idle GPUs for {} rounds since "
        "t={}, with no job left to arrive: the run cannot finish",
        now, sched_.policy().name(), sched_.active_jobs(), ex_.cluster.num_gpus(), idle_ticks_,
        idle_since_));
  }

  void allocation_rows(double now, JobId job, const std::vector<GpuId>& gpus,
                       AllocationEvent event) {
    write_allocation_rows(sink_, ex_.cluster, now, job, gpus, event);
  }

  /// Closes the job's current run segment: one /progress row, modelled compute/comm split.
  void close_segment(double now, JobId job, const std::vector<GpuId>& gpus, double iters_now) {
    const JobState& s = sched_.state(job);
    const double from = segment_start_time_[job];
    const double busy = std::max(0.0, now - std::max(from, s.resume_at));
    const double iters = iters_now - segment_start_iters_[job];
    const int type = ex_.cluster.type_of(gpus.front());
    const double compute = tp_.analytic_compute_time(tp_.model_of(job), tp_.per_worker_batch(job), type);
    const double total = tp_.analytic_iteration_time(tp_.model_of(job), tp_.per_worker_batch(job),
                                                     shape(gpus));
    const double compute_share = total > 0 ? compute / total : 1.0;
    compute_s_[job] += busy * compute_share;
    comm_s_[job] += busy * (1 - compute_share);
    sink_.progress(ProgressRecord{from, now, job, segment_round_[job],
                                  iters, busy, busy * compute_share, busy * (1 - compute_share),
                                  static_cast<std::int32_t>(gpus.size())});
  }

  /// A run segment of `job` begins at `now`: its /progress row will start there, in the round
  /// of `now` (event-driven time: the number of decision points before it).
  void start_segment(double now, JobId job) {
    segment_start_time_[job] = now;
    segment_round_[job] = sched_.event_driven()
                              ? rounds_
                              : static_cast<std::int64_t>(now / ex_.scheduler.round_length);
  }

  PlacementShape shape(const std::vector<GpuId>& gpus) const { return sched_.speed_shape(gpus); }

  /// Iterations a job's lease at the boundary ends with, and when (whole_iterations): the
  /// worker's rule, after its first iteration or once the next would end further past the
  /// boundary than stopping now ends before it.
  std::pair<double, double> lease_end_at_boundary(JobId job, double boundary) const {
    const JobState& s = sched_.state(job);
    const double start = lease_start_[job];
    // A restore that outlasts the round: the lease ends at the boundary with no iteration.
    if (start >= boundary || !(s.progress_rate > 0))
      return {boundary, sched_.iterations_done(job, boundary)};
    const double step = static_cast<double>(s.gpus.size()) / jobs_[job].num_gpus;
    const double seconds = step / s.progress_rate;
    double k = 1;
    if (start + seconds < boundary)
      k = std::max(2.0, std::ceil((boundary - start) / seconds - 0.5 - 1e-9));
    const double at = start + k * seconds;
    return {at, sched_.iterations_done(job, at)};
  }

  /// The end of a round decided at `now` where rounds end with their last lease (Gavel's
  /// simulator): when the last running job's lease of one round length ends or it finishes,
  /// whichever is first; with nothing running, at the next arrival.
  double round_end_with_last_lease(double now, double next_arrival) const {
    const double full = now + ex_.scheduler.round_length;
    if (sched_.running_jobs() == 0)
      return next_arrival < INF || sched_.active_jobs() == 0 ? next_arrival : full;
    double last = now;
    for (JobId j = 0; j < jobs_.size() && last < full; ++j)
      if (sched_.state(j).status == JobState::Status::RUNNING)
        last = std::max(last, finish_time(j, now, sched_.iterations_done(j, now)));
    // A finish that rounds to `now` is already due: its completion event ends it, and the
    // round must still move time forward.
    return last > now ? std::min(last, full) : full;
  }

  /// Where packed pairs end together (Gavel's simulator): a packed job whose work is done at
  /// `now` finishes when its partner's lease ends, at the partner's own finish or at the end
  /// of the round, whichever is first; until then both keep the GPUs and the packed rates.
  /// Returns `now` where the job finishes at once.
  double pair_lease_end(JobId job, double now, double round_end) const {
    if (!ex_.scheduler.packed_pairs_end_together) return now;
    const long partner = sched_.state(job).packed_with;
    if (partner < 0) return now;
    const auto p = static_cast<JobId>(partner);
    if (sched_.state(p).status != JobState::Status::RUNNING) return now;
    return std::min(finish_time(p, now, sched_.iterations_done(p, now)), round_end);
  }

  /// When a running job that has done `iters` iterations at `from` finishes, at its rate and
  /// not iterating before its restore ends.
  double finish_time(JobId job, double from, double iters) const {
    const JobState& s = sched_.state(job);
    return std::max(from, s.resume_at) + (jobs_[job].iterations - iters) / s.progress_rate;
  }

  /// At a boundary: each running job stops at a whole iteration (its progress row closes there)
  /// or finishes on its own before; returns when the last of them does.
  double end_leases_at_boundary(double boundary) {
    double last = boundary;
    paused_iterations_.clear();
    for (JobId j = 0; j < jobs_.size(); ++j) {
      const JobState& s = sched_.state(j);
      if (s.status != JobState::Status::RUNNING) continue;
      const double finish = finish_time(j, boundary, sched_.iterations_done(j, boundary));
      const auto [at, iters] = lease_end_at_boundary(j, boundary);
      if (finish <= at) {  // the budget ends the lease first: its completion event stands
        last = std::max(last, finish);
        continue;
      }
      last = std::max(last, at);
      close_segment(at, j, s.gpus, iters);
      ++segment_[j];  // its predicted completion no longer holds
      paused_[j] = true;
      paused_iterations_.emplace_back(j, iters);
    }
    for (const auto& [j, iters] : paused_iterations_) start_segment(last, j);
    return last;
  }

  /// The paused jobs' exact progress, before the tick decides on it.
  void observe_paused_progress(double now) {
    for (const auto& [j, iters] : paused_iterations_) {
      sched_.observe(Event{Event::Kind::PROGRESS, now, j, iters, 0});
      segment_start_iters_[j] = iters;
    }
  }

  /// Paused jobs the tick let keep their GPUs start their next lease now.
  void renew_paused_leases(double now) {
    for (const auto& [j, iters] : paused_iterations_) {
      if (!paused_[j]) continue;  // stopped or restarted by the tick
      paused_[j] = false;
      const JobState& s = sched_.state(j);
      if (s.status != JobState::Status::RUNNING) continue;
      start_segment(now, j);
      lease_start_[j] = std::max(now, s.resume_at);
      completions_.push(Completion{finish_time(j, now, iters), j, segment_[j]});
    }
    paused_iterations_.clear();
  }

  void carry_out(double now, const Decision& d) {
    ++segment_[d.job];
    const bool paused = paused_[d.job];
    paused_[d.job] = false;
    if (d.kind == Decision::Kind::STOP) {
      // A job paused at the boundary closed its progress row where it stopped.
      if (!paused) close_segment(now, d.job, d.gpus, sched_.state(d.job).progress_iterations);
      allocation_rows(now, d.job, d.gpus, AllocationEvent::STOP);
      return;
    }
    const JobState& s = sched_.state(d.job);
    if (d.kind == Decision::Kind::RATE) {
      // A packing partner came or went: the row so far ran at the old rate.
      if (now > segment_start_time_[d.job]) close_segment(now, d.job, d.gpus, s.progress_iterations);
    } else {
      allocation_rows(now, d.job, d.gpus, AllocationEvent::START);
      // The core keeps a restoring job's GPUs up to and including resume_at; in event-driven
      // time the first instant after it is a decision point, where a job that ranks higher
      // and waited for the restore can take them.
      if (sched_.event_driven() && s.resume_at > now && sched_.policy().preemptive())
        restore_ends_.push(std::nextafter(s.resume_at, INF));
    }
    segment_start_iters_[d.job] = s.progress_iterations;
    start_segment(now, d.job);
    lease_start_[d.job] = std::max(now, s.resume_at);
    completions_.push(Completion{finish_time(d.job, now, s.progress_iterations), d.job,
                                 segment_[d.job]});
  }

  void finish(double now, JobId job) {
    const std::vector<GpuId> gpus = sched_.state(job).gpus;
    close_segment(now, job, gpus, jobs_[job].iterations);
    sched_.observe(Event{Event::Kind::COMPLETION, now, job});
    ++segment_[job];
    allocation_rows(now, job, gpus, AllocationEvent::FINISH);
    JobRecord r = finished_job_record(jobs_[job], sched_.state(job), tp_, now,
                                      jobs_[job].iterations, compute_s_[job], comm_s_[job]);
    sink_.job(r);
    summary_.add(r);
  }

  const Experiment& ex_;
  const std::vector<JobSpec>& jobs_;
  const ThroughputModel& tp_;
  Scheduler sched_;
  RecordSink& sink_;
  ProgressBar bar_;
  bool check_;
  bool whole_iterations_;
  bool boundary_pending_ = false;  // whole_iterations: a boundary waits for its last lease
  double boundary_time_ = 0;
  std::vector<double> lease_start_;  // when the job's current lease began iterating
  std::vector<bool> paused_;         // stopped at the pending boundary, GPUs still held
  std::vector<std::pair<JobId, double>> paused_iterations_;  // and the iterations it stopped at
  std::priority_queue<Completion, std::vector<Completion>, std::greater<>> completions_;
  // Event-driven time: first instants after restores end, where the restored job may be
  // preempted (some may belong to jobs stopped since: a decision point too many, no harm).
  std::priority_queue<double, std::vector<double>, std::greater<>> restore_ends_;
  std::vector<std::uint64_t> segment_;
  std::vector<double> segment_start_iters_;
  std::vector<double> segment_start_time_;  // a run segment ends at a stop or a rate change
  std::vector<std::int64_t> segment_round_;  // /progress round of the segment's start
  std::vector<double> compute_s_;
  std::vector<double> comm_s_;
  RunSummaryBuilder summary_;  // the rows themselves go to the sink
  long rounds_ = 0;
  long idle_ticks_ = 0;         // consecutive rounds with jobs waiting and every GPU idle
  double idle_since_ = 0;
};

}  // namespace

RunSummary simulate(const Experiment& experiment, Policy& policy, RecordSink& sink,
                    const SimulationOptions& options) {
  Simulation sim(experiment, policy, sink, options);
  return sim.run();
}

}  // namespace dlsched
