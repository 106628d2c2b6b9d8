#include "emu/adaptive_driver.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>

#include "core/error.h"
#include "emu/adaptive_gpus.h"
#include "emu/mpi_check.h"
#include "emu/send_lease.h"
#include "emu/stop_signal.h"
#include "emu/wall_clock.h"
#include "run/adaptive_fleet.h"
#include "run/job_rows.h"

namespace dlsched::emu {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();

/// Gradient allreduced per step by an application the model catalog does not name (Pollux's
/// applications are profiles, not catalog models): 25M parameters of fp32, a ResNet-50's
/// worth, before --comm-scale.
constexpr double kDefaultGradientBytes = 25e6 * 4;

/// One lease of an adaptive job: its workers run to the next boundary or the job's end.
struct AdaptiveLease {
  JobId job = 0;
  std::int64_t round = 0;
  std::vector<GpuId> gpus;
  std::vector<std::int32_t> members;  // world ranks = gpus + 1
  double sent = 0;
  double wait = 0;      // restart delay the members sleep before the first step
  double deadline = 0;  // the round boundary it ends at
  double due = INF;     // past this, its silent members are taken as failed
  std::int64_t budget = 0;
  int reports = 0;
  std::int64_t steps = -1;
  double seconds = 0, compute = 0, comm = 0;  // summed over members
};

class AdaptiveDriver {
 public:
  AdaptiveDriver(const Experiment& ex, Policy& policy, Channel& channel, RecordSink& sink,
                 const DriverSettings& settings)
      : ex_(ex),
        policy_(policy),
        channel_(channel),
        sink_(sink),
        settings_(settings),
        fleet_(ex, policy.adaptivity()),
        gpus_(ex.cluster, fleet_.size()),
        held_(fleet_.size(), std::vector<int>(ex.cluster.nodes().size(), 0)),
        compute_s_(fleet_.size(), 0),
        comm_s_(fleet_.size(), 0) {
    int size = 0;
    DLSCHED_MPI_CHECK(MPI_Comm_size(channel.comm(), &size));
    DLSCHED_EXPECTS(size - 1 == ex.cluster.num_gpus(),
                    fmt::format("{} worker ranks for {} GPUs", size - 1, ex.cluster.num_gpus()));
    workers_ = size - 1;
    if (const char* log = std::getenv(LEASE_LOG_ENV); log && *log) {
      lease_log_ = std::make_unique<std::ofstream>(log, std::ios::app);
      if (!*lease_log_) throw Error(fmt::format("{}={}: cannot open it", LEASE_LOG_ENV, log));
    }
  }

  DriveOutcome run() {
    // As in Pollux's simulator, the first decision comes one round after the start.
    next_tick_ = ex_.scheduler.round_length;
    for (;;) {
      bool busy = false;
      while (auto raw = channel_.try_receive()) {
        busy = true;
        on_message(*raw);
      }
      channel_.progress();
      const double now = clock_.now();
      check_leases(now);
      if (settings_.stop_on_signal && stop_signals_received() > 0)
        throw Error(fmt::format("{} at t={:.3f} s: a run of adaptive jobs keeps no checkpoint "
                                "to resume from; stopping",
                                last_stop_signal(), now));
      // Every lease ends at the boundary on its own; decide once they have all reported.
      if (now >= next_tick_ && leases_.empty()) {
        tick(now);
        busy = true;
      }
      if (fleet_.all_finished() && leases_.empty()) break;
      if (!busy) clock_.sleep_until(std::min(now + channel_.poll_seconds(), next_tick_));
    }
    close_round();
    sink_.round_done();
    for (int r = 1; r <= workers_; ++r) channel_.send(r, ShutdownMsg{});
    channel_.flush();
    DriveOutcome out;
    out.summary = summarize_jobs(records_, ex_.cluster.num_gpus());
    out.summary.rounds = rounds_;
    out.summary.policy_calls = fleet_.decisions();
    out.communicators = comms_.counts();
    out.communicators.most_held_by_a_worker = most_held_;
    return out;
  }

 private:
  /// A lease whose report is overdue means a worker died or hangs: no checkpoint to fall back
  /// on, so the run ends with the lease's name.
  void check_leases(double now) const {
    for (const auto& [id, l] : leases_)
      if (now > l.due)
        throw Error(fmt::format("at t={:.3f} s: job {}'s lease {} on ranks {} has not reported "
                                "{:.1f} s after it was due (a worker died or hangs)",
                                now, fleet_.spec(l.job).id, id, fmt::join(l.members, ","),
                                now - l.due + settings_.worker_timeout));
  }

  void tick(double now) {
    const double boundary = next_tick_;
    const std::optional<RoundRecord> round = fleet_.decide(policy_, now, rounds_, sink_);
    const double interval = ex_.scheduler.round_length;
    while (next_tick_ <= now) next_tick_ += interval;
    if (!round) return;
    // New GPUs: free those of every job whose allocation changed, then place them again.
    std::vector<JobId> changed;
    for (JobId j = 0; j < fleet_.size(); ++j)
      if (!fleet_.job(j).finished() && fleet_.node_gpus(j) != held_[j]) {
        changed.push_back(j);
        write_allocation_rows(sink_, ex_.cluster, now, j, gpus_.of(j), AllocationEvent::STOP);
        gpus_.release(j);
      }
    for (JobId j : changed) {
      held_[j] = fleet_.node_gpus(j);
      gpus_.assign(j, held_[j]);
      write_allocation_rows(sink_, ex_.cluster, now, j, gpus_.of(j), AllocationEvent::START);
    }
    for (JobId j = 0; j < fleet_.size(); ++j)
      if (!fleet_.job(j).finished() && !gpus_.of(j).empty()) issue_lease(now, j);
    close_round();
    open_ = *round;
    open_->time = boundary;
    ++rounds_;
    sink_.round_done();  // the decision's /adaptive and /allocations rows reach the file now
  }

  /// Writes the last round's row: its leases have all started (or ended).
  void close_round() {
    if (!open_) return;
    sink_.round(*open_);
    sink_.round_done();
    open_.reset();
  }

  void issue_lease(double now, JobId job) {
    const AdaptiveJob& a = fleet_.job(job);
    AdaptiveLease l;
    l.job = job;
    l.round = rounds_;
    l.gpus = gpus_.of(job);
    for (GpuId g : l.gpus) l.members.push_back(g + 1);
    l.sent = now;
    l.wait = a.restart_left();
    l.deadline = next_tick_;
    l.due = std::max(l.deadline, now + l.wait) + settings_.worker_timeout;
    l.budget = a.steps_to_finish();
    AssignMsg m;
    m.lease = ++last_lease_;
    m.job = job;
    m.round = l.round;
    m.members = l.members;
    m.wait_seconds = l.wait;
    m.deadline_seconds = l.deadline - now;
    m.budget_steps = l.budget;
    m.iterations_before = a.progress();
    m.work = adaptive_step_work(ex_, a, fleet_.spec(job).model, settings_);
    send_lease(channel_, comms_, m);
    if (lease_log_)
      *lease_log_ << fmt::format("{} {} {} {} {} {} {} {} {}\n", m.lease, job, l.round, now,
                                 fmt::join(l.gpus, ","), a.batch_size(), a.atomic_bsz(),
                                 a.accum_steps(), l.budget)
                  << std::flush;
    leases_.emplace(m.lease, std::move(l));
  }

  void on_message(const RawMessage& raw) {
    const Message m = decode_from_worker(raw);
    if (const auto* f = std::get_if<FailureMsg>(&m))
      throw Error(fmt::format("worker rank {} failed: {}", raw.source, f->what));
    if (const auto* started = std::get_if<StartedMsg>(&m)) {
      // The round's control overhead: until the last of its leases has every member ready.
      const auto it = leases_.find(started->lease);
      if (open_ && it != leases_.end() && it->second.round == open_->round)
        open_->control_overhead = std::max(open_->control_overhead, clock_.now() - open_->time);
      return;
    }
    if (const auto* r = std::get_if<ReportMsg>(&m)) {
      on_report(raw.source, *r);
      return;
    }
    throw ProtocolError(fmt::format("rank {} sent a {} message, which rank 0 does not accept",
                                    raw.source, to_string(type_of(m))));
  }

  void on_report(int source, const ReportMsg& r) {
    const auto it = leases_.find(r.lease);
    if (it == leases_.end())
      throw ProtocolError(fmt::format("rank {} reported on unknown lease {}", source, r.lease));
    AdaptiveLease& l = it->second;
    const std::string& name = fleet_.spec(l.job).id;
    DLSCHED_EXPECTS(r.job == l.job,
                    fmt::format("rank {} reported job {} on job {}'s lease", source, r.job, name));
    if (l.steps < 0) l.steps = r.steps;
    DLSCHED_EXPECTS(r.steps == l.steps,
                    fmt::format("members of job {} stopped after different steps ({} and {})",
                                name, l.steps, r.steps));
    l.seconds += r.seconds;
    l.compute += r.compute_seconds;
    l.comm += r.comm_seconds;
    most_held_ = std::max(most_held_, r.communicators);
    if (++l.reports == static_cast<int>(l.members.size())) end_lease(it);
  }

  void end_lease(std::map<std::uint64_t, AdaptiveLease>::iterator it) {
    const double now = clock_.now();
    const std::uint64_t lease_id = it->first;
    const AdaptiveLease l = std::move(it->second);
    leases_.erase(it);
    AdaptiveJob& job = fleet_.job(l.job);
    const double members = static_cast<double>(l.members.size());
    // The members waited the restart delay, or until the deadline if it outlasts the round.
    const double waited = std::min(l.wait, l.deadline - l.sent);
    const double progress = job.run_steps(waited, l.steps, now - l.sent, now);
    DLSCHED_EXPECTS(job.finished() == (l.steps >= l.budget),
                    fmt::format("job {}: {} steps of a budget of {} left it {}",
                                fleet_.spec(l.job).id, l.steps, l.budget,
                                job.finished() ? "finished" : "unfinished"));
    if (lease_log_) *lease_log_ << fmt::format("end {} {}\n", lease_id, l.steps) << std::flush;
    compute_s_[l.job] += l.compute / members;
    comm_s_[l.job] += l.comm / members;
    sink_.progress(ProgressRecord{l.sent, now, l.job, l.round, progress, l.seconds / members,
                                  l.compute / members, l.comm / members,
                                  static_cast<std::int32_t>(l.reports)});
    if (!job.finished()) return;
    // Its GPUs stay idle until the next decision, as in the simulator.
    write_allocation_rows(sink_, ex_.cluster, now, l.job, gpus_.of(l.job),
                          AllocationEvent::FINISH);
    gpus_.release(l.job);
    std::fill(held_[l.job].begin(), held_[l.job].end(), 0);
    for (JobRecord& r : fleet_.take_finished(sink_, l.round)) {
      r.compute_seconds = compute_s_[r.job];
      r.comm_seconds = comm_s_[r.job];
      sink_.job(r);
      records_.push_back(std::move(r));
    }
  }

  const Experiment& ex_;
  Policy& policy_;
  Channel& channel_;
  RecordSink& sink_;
  DriverSettings settings_;
  WallClock clock_;
  CommRegistry comms_;
  AdaptiveFleet fleet_;
  AdaptiveGpus gpus_;
  std::vector<std::vector<int>> held_;  // the node allocation gpus_ holds, by job
  std::vector<double> compute_s_, comm_s_;
  std::map<std::uint64_t, AdaptiveLease> leases_;
  std::vector<JobRecord> records_;
  std::unique_ptr<std::ofstream> lease_log_;
  std::optional<RoundRecord> open_;  // the last round, written once its leases have started
  std::uint32_t most_held_ = 0;
  std::uint64_t last_lease_ = 0;
  std::int64_t rounds_ = 0;
  double next_tick_ = INF;
  int workers_ = 0;
};

}  // namespace

IterationWork adaptive_step_work(const Experiment& ex, const AdaptiveJob& job,
                                 const std::string& application, const DriverSettings& settings) {
  DLSCHED_EXPECTS(settings.compute == ComputeMode::SLEEP,
                  "adaptive jobs emulate their compute by sleeping");
  const adaptive::StepTimes t = job.profile().step_times(job.placement(), job.atomic_bsz());
  IterationWork w;
  w.mode = ComputeMode::SLEEP;
  // The profile's whole optimiser step, as the simulator counts it: every accumulated pass
  // computes, the last one also synchronises. Its measured sync time is slept too, since the
  // real allreduce below moves a --comm-scale'd gradient (docs/emulation.md).
  w.compute_seconds = t.step_time + (t.step_time - t.sync_time) * job.accum_steps();
  const ModelInfo* model = ex.catalog.find_model(application);
  const double bytes = model ? model->gradient_bytes() : kDefaultGradientBytes;
  w.gradient_bytes =
      static_cast<std::uint64_t>(std::max(4.0, std::round(bytes * settings.comm_scale)));
  w.bucket_bytes = settings.bucket_bytes;
  w.overlap = ex.options.step.overlap;
  if (model) w.forward_fraction = model->forward_fraction;
  return w;
}

DriveOutcome drive_adaptive(const Experiment& ex, Policy& policy, Channel& channel,
                            RecordSink& sink, const DriverSettings& settings) {
  AdaptiveDriver d(ex, policy, channel, sink, settings);
  return d.run();
}

}  // namespace dlsched::emu
