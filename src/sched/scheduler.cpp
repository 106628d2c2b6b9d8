#include "sched/scheduler.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "core/error.h"

namespace dlsched {

Scheduler::Scheduler(const std::vector<JobSpec>& jobs, const ClusterSpec& cluster,
                     const ThroughputModel& throughput, Policy& policy, SchedulerConfig config)
    : jobs_(jobs),
      cluster_(cluster),
      throughput_(throughput),
      policy_(policy),
      config_(config),
      states_(jobs.size()),
      spanned_(jobs.size(), 0),
      gpu_owner_(cluster.num_gpus(), -1),
      free_per_node_(cluster.nodes().size()),
      free_per_type_(cluster.gpu_types().size(), 0) {
  DLSCHED_EXPECTS(config_.round_length >= 0, "round length must not be negative");
  DLSCHED_EXPECTS(!event_driven() || policy_.event_driven(),
                  fmt::format("policy {} cannot decide in event-driven time", policy_.name()));
  isolated_.reserve(jobs.size());
  for (const JobSpec& j : jobs) isolated_.push_back(throughput.isolated_time(j.index));
  for (const Node& n : cluster.nodes()) {
    free_per_node_[n.index] = n.num_gpus;
    free_per_type_[n.gpu_type] += n.num_gpus;
  }
}

double Scheduler::restore_delay(JobId job) const {
  double d = config_.restore_delay;
  if (config_.per_model_restore) {
    const ModelInfo& m = throughput_.model_of(job);
    if (m.restore_seconds) d = *m.restore_seconds;
  }
  return d * config_.time_scale;
}

bool Scheduler::can_pack(JobId a, JobId b, int type, int gpus) const {
  const PlacementShape shape{type, gpus, throughput_.min_nodes(type, gpus)};
  return a != b && throughput_.colocated_progress_rate(a, b, shape).has_value() &&
         throughput_.colocated_progress_rate(b, a, shape).has_value();
}

double Scheduler::next_round_after(double t) const {
  DLSCHED_EXPECTS(!event_driven(), "event-driven time has no round boundaries");
  const double k = std::floor(t / config_.round_length) + 1;
  return k * config_.round_length;
}

void Scheduler::observe(const Event& e) {
  JobState* s = e.kind == Event::Kind::ROUND_TICK ? nullptr : &states_.at(e.job);
  switch (e.kind) {
    case Event::Kind::ARRIVAL:
      DLSCHED_EXPECTS(s->status == JobState::Status::FUTURE,
                      fmt::format("job {} arrived twice", jobs_[e.job].id));
      s->status = JobState::Status::WAITING;
      s->queued_since = e.time;
      active_.push_back(e.job);
      arrived_.push_back(e.job);
      ++waiting_;
      changed_ = true;
      break;
    case Event::Kind::COMPLETION: {
      DLSCHED_EXPECTS(s->status == JobState::Status::RUNNING ||
                          s->status == JobState::Status::WAITING,
                      fmt::format("job {} completed before it arrived or twice", jobs_[e.job].id));
      if (s->status == JobState::Status::RUNNING) {
        release(e.time, e.job, JobState::Status::DONE);
      } else {
        // The emulator's workers finish the iteration under way when a preemption reaches
        // them; if that was the job's last, it is done although the core already stopped it.
        s->status = JobState::Status::DONE;
        --waiting_;
      }
      s->finish = e.time;
      s->progress_iterations = jobs_[e.job].iterations;
      ++finished_;
      changed_ = true;
      break;
    }
    case Event::Kind::ROUND_TICK:
      round_pending_ = true;
      changed_ = true;
      break;
    case Event::Kind::PROGRESS:
      s->progress_iterations = std::min(e.iterations_done, jobs_[e.job].iterations);
      s->progress_time = e.time;
      if (e.rate > 0) s->progress_rate = e.rate;
      break;
  }
}

std::vector<Decision> Scheduler::handle(const Event& e) {
  observe(e);
  return decide(e.time);
}

void Scheduler::close_accrual(double now, JobState& s) {
  // A packed GPU serves two jobs: each is allocated half of it.
  s.attained_gpu_seconds_closed +=
      (s.packed_with >= 0 ? 0.5 : 1.0) * static_cast<double>(s.gpus.size()) * (now - s.share_since);
  s.share_since = now;
}

PlacementShape Scheduler::speed_shape(const std::vector<GpuId>& gpus) const {
  const int type = cluster_.type_of(gpus.front());
  const int workers = static_cast<int>(gpus.size());
  return PlacementShape{type, workers,
                        config_.placement_affects_speed ? cluster_.nodes_spanned(gpus)
                                                        : throughput_.min_nodes(type, workers)};
}

double Scheduler::modelled_rate(JobId job) const {
  const JobState& s = states_[job];
  const PlacementShape shape = speed_shape(s.gpus);
  if (s.packed_with < 0) return throughput_.progress_rate(job, shape);
  const auto rate = throughput_.colocated_progress_rate(job, static_cast<JobId>(s.packed_with), shape);
  DLSCHED_EXPECTS(rate.has_value(), fmt::format("jobs {} and {} packed without a co-location entry",
                                                jobs_[job].id, jobs_[s.packed_with].id));
  return *rate;
}

void Scheduler::rerate(double now, JobId job) {
  JobState& s = states_[job];
  s.progress_iterations = iterations_done(job, now);
  s.progress_time = now;
  s.progress_rate = modelled_rate(job);
  rerated_.push_back(job);
}

void Scheduler::release(double now, JobId job, JobState::Status next) {
  JobState& s = states_[job];
  s.progress_iterations = iterations_done(job, now);
  s.progress_time = now;
  s.progress_rate = 0;
  close_accrual(now, s);
  s.attained_seconds_closed += now - s.last_start;
  if (s.packed_with >= 0) {
    // Its partner keeps the GPUs and runs alone from now on.
    const JobId partner = static_cast<JobId>(s.packed_with);
    JobState& p = states_[partner];
    close_accrual(now, p);
    p.packed_with = -1;
    s.packed_with = -1;
    for (GpuId g : s.gpus) gpu_owner_[g] = partner;
    rerate(now, partner);
  } else {
    for (GpuId g : s.gpus) {
      gpu_owner_[g] = -1;
      ++free_per_node_[cluster_.node_of(g)];
    }
    free_per_type_[s.gpu_type] += static_cast<int>(s.gpus.size());
    busy_gpus_ -= static_cast<int>(s.gpus.size());
  }
  --running_count_;
  s.gpus.clear();
  s.gpu_type = -1;
  s.last_stop = now;
  s.status = next;
}

void Scheduler::stop(double now, JobId job, std::vector<Decision>& out) {
  JobState& s = states_[job];
  Decision d{Decision::Kind::STOP, job, s.gpus, 0, true};
  std::vector<int> nodes;
  if (policy_.suspends())
    for (GpuId g : s.gpus) nodes.push_back(cluster_.node_of(g));
  release(now, job, JobState::Status::WAITING);
  s.queued_since = now;
  s.ever_stopped = true;
  ++s.preemptions;
  ++waiting_;
  // A suspend parks the GPU state in the host memory of the nodes it ran on.
  s.suspended = policy_.suspends();
  std::sort(nodes.begin(), nodes.end());
  s.suspended_on = std::move(nodes);
  out.push_back(std::move(d));
}

void Scheduler::migrate(double now, JobId job, std::vector<GpuId> gpus, std::vector<Decision>& out) {
  JobState& s = states_[job];
  out.push_back(Decision{Decision::Kind::STOP, job, s.gpus, 0, true});
  release(now, job, JobState::Status::WAITING);
  ++waiting_;
  // Its state moves to other nodes: a checkpoint-restore, not a suspend.
  s.ever_stopped = true;
  s.suspended = false;
  s.suspended_on.clear();
  ++s.migrations;
  start(now, job, std::move(gpus), out);
}

void Scheduler::start(double now, JobId job, std::vector<GpuId> gpus, std::vector<Decision>& out,
                      long partner) {
  JobState& s = states_[job];
  DLSCHED_EXPECTS(s.status == JobState::Status::WAITING,
                  fmt::format("job {} started while not waiting", jobs_[job].id));
  const int type = cluster_.type_of(gpus.front());
  std::vector<int> nodes;
  for (GpuId g : gpus) {
    DLSCHED_EXPECTS(cluster_.type_of(g) == type, "a job's GPUs must share one type");
    nodes.push_back(cluster_.node_of(g));
  }
  std::sort(nodes.begin(), nodes.end());
  if (partner < 0) {
    for (GpuId g : gpus) {
      DLSCHED_EXPECTS(gpu_owner_[g] == -1,
                      fmt::format("GPU {} given to job {} while job {} holds it", g, jobs_[job].id,
                                  gpu_owner_[g] < 0 ? "" : jobs_[gpu_owner_[g]].id));
      gpu_owner_[g] = job;
      --free_per_node_[cluster_.node_of(g)];
    }
    free_per_type_[type] -= static_cast<int>(gpus.size());
    busy_gpus_ += static_cast<int>(gpus.size());
  } else {
    JobState& p = states_[partner];
    DLSCHED_EXPECTS(p.status == JobState::Status::RUNNING && p.packed_with < 0 && p.gpus == gpus,
                    fmt::format("job {} packed onto job {}, which is not running alone on those GPUs",
                                jobs_[job].id, jobs_[partner].id));
    close_accrual(now, p);
    p.packed_with = job;
    s.packed_with = partner;
  }
  ++running_count_;
  --waiting_;
  s.status = JobState::Status::RUNNING;
  s.gpu_type = type;
  s.gpus = gpus;
  spanned_[job] = cluster_.nodes_spanned(s.gpus);
  if (s.first_start < 0) s.first_start = now;
  s.last_start = now;
  s.share_since = now;
  double delay = 0;
  if (s.ever_stopped) delay = s.suspended && nodes == s.suspended_on ? suspend_delay() : restore_delay(job);
  s.suspended = false;
  s.suspended_on.clear();
  s.resume_at = now + delay;
  latest_resume_ = std::max(latest_resume_, s.resume_at);
  s.progress_time = now;
  s.progress_rate = modelled_rate(job);
  if (partner >= 0) rerate(now, static_cast<JobId>(partner));
  out.push_back(Decision{Decision::Kind::START, job, std::move(gpus), s.resume_at, false});
}

std::vector<GpuId> Scheduler::place_on_nodes(int type, const std::vector<int>& nodes) const {
  std::vector<GpuId> gpus;
  for (std::size_t i = 0; i < nodes.size();) {
    const int node = nodes[i];
    std::size_t count = 0;
    while (i < nodes.size() && nodes[i] == node) ++count, ++i;
    const Node& n = cluster_.nodes()[node];
    if (n.gpu_type != type || free_per_node_[node] < static_cast<int>(count)) return {};
    for (GpuId g = n.first_gpu; g < n.first_gpu + n.num_gpus && count > 0; ++g)
      if (gpu_owner_[g] == -1) gpus.push_back(g), --count;
  }
  return gpus;
}

void Scheduler::fill_view(JobView& v, JobId job, double now) const {
  const JobState& s = states_[job];
  const JobSpec& spec = jobs_[job];
  v.id = job;
  v.spec = &spec;
  v.submit_time = spec.submit_time;
  v.requested_gpus = spec.num_gpus;
  v.iterations_total = spec.iterations;
  v.iterations_done = iterations_done(job, now);
  v.attained_gpu_seconds = attained_gpu_seconds(job, now);
  v.attained_seconds =
      s.attained_seconds_closed + (s.status == JobState::Status::RUNNING ? now - s.last_start : 0.0);
  v.isolated_time = isolated_[job];
  v.remaining_time = isolated_[job] * (1.0 - v.iterations_done / spec.iterations);
  v.running = s.status == JobState::Status::RUNNING;
  v.restoring = v.running && s.resume_at >= now;  // the rule apply() pins jobs by
  v.current_gpus = static_cast<int>(s.gpus.size());
  v.current_type = s.gpu_type;
  v.preemptions = s.preemptions;
  v.last_start = s.last_start;
  v.last_stop = s.last_stop;
  v.queued_since = s.queued_since;
  v.rounds_scheduled = s.rounds_scheduled;
  v.packed_with = s.packed_with;
  v.rate = v.running ? s.progress_rate : 0.0;
  v.nodes = v.running ? spanned_[job] : 0;
  v.adaptive = nullptr;
}

std::vector<Decision> Scheduler::with_rate_changes(std::vector<Decision> decisions) {
  if (rerated_.empty()) return decisions;
  std::sort(rerated_.begin(), rerated_.end());
  rerated_.erase(std::unique(rerated_.begin(), rerated_.end()), rerated_.end());
  for (JobId j : rerated_) {
    const JobState& s = states_[j];
    if (s.status == JobState::Status::RUNNING)
      decisions.push_back(Decision{Decision::Kind::RATE, j, s.gpus, s.resume_at, false});
  }
  rerated_.clear();
  return decisions;
}

std::vector<Decision> Scheduler::decide(double now) {
  if (!changed_) return with_rate_changes({});
  changed_ = false;
  const bool round = round_pending_;
  round_pending_ = false;
  const std::size_t arrived = arrived_.size();
  arrived_.clear();
  std::erase_if(active_, [&](JobId j) { return states_[j].status == JobState::Status::DONE; });
  // Between rounds only free GPUs can be filled: nothing to do without both, or at all where
  // the mechanism leaves freed GPUs idle until the round ends.
  if (!round && (!config_.refill_between_rounds || waiting_ == 0 ||
                 busy_gpus_ == cluster_.num_gpus()))
    return with_rate_changes({});
  // Between rounds running jobs keep their GPUs whatever is asked; a policy that ranks the
  // waiting jobs on their own need not be shown them.
  const bool waiting_only = !round && !policy_.sees_running_jobs_between_rounds();
  // Views are overwritten in place, every field: the buffer only grows, and a view is three
  // cache lines that need not be zeroed first.
  if (views_.size() < active_.size()) views_.resize(active_.size());
  std::size_t shown = 0;
  for (JobId j : active_)
    if (!waiting_only || states_[j].status == JobState::Status::WAITING)
      fill_view(views_[shown++], j, now);
  const std::span<const JobView> views(views_.data(), shown);
  PolicyInput in;
  in.now = now;
  in.round_boundary = round;
  in.jobs = views;
  in.cluster = &cluster_;
  in.throughput = &throughput_;
  in.round_length = config_.round_length;
  in.packing_allowed = config_.packing;
  in.resolve_interval = config_.resolve_interval;
  in.seed = config_.seed;
  in.decides_only_at_rounds = !config_.refill_between_rounds;
  in.arrivals_pending = finished_ + active_.size() < jobs_.size();
  in.mechanism = config_.mechanism;
  ++decide_calls_;
  std::vector<Decision> decisions;
  if (round && event_driven() && everyone_fits(arrived) && policy_.grants_everyone(in)) {
    // Running jobs keep their GPUs and the newcomers start: what apply() does between rounds.
    PolicyOutput start_waiting;
    for (const JobView& v : views)
      if (!v.running) start_waiting.ranked.push_back(Request{v.id, v.requested_gpus});
    decisions = apply(now, start_waiting, false);
  } else {
    decisions = apply(now, policy_.schedule(in), round && policy_.preemptive());
  }
  if (round)
    for (JobId j : active_)
      if (states_[j].status == JobState::Status::RUNNING) ++states_[j].rounds_scheduled;
  return with_rate_changes(std::move(decisions));
}

bool Scheduler::everyone_fits(std::size_t arrived) const {
  if (!policy_.preemptive() || waiting_ != arrived || cluster_.gpu_types().size() != 1)
    return false;
  // The waiting jobs are the last `arrived` of the active ones (active_ is in arrival order).
  int demand = busy_gpus_;
  for (std::size_t k = active_.size() - arrived; k < active_.size(); ++k) {
    const JobState& s = states_[active_[k]];
    if (s.status != JobState::Status::WAITING) return false;
    demand += jobs_[active_[k]].num_gpus;
  }
  return demand <= cluster_.num_gpus();
}

int Scheduler::choose_type(const Request& r, const std::vector<int>& capacity) const {
  if (r.gpu_type != ANY_GPU_TYPE) return capacity[r.gpu_type] >= r.gpus ? r.gpu_type : -1;
  const JobState& s = states_[r.job];
  if (s.gpu_type >= 0 && capacity[s.gpu_type] >= r.gpus) return s.gpu_type;
  // Otherwise the type with most room left, which keeps large holes for large jobs.
  int best = -1;
  for (int t = 0; t < static_cast<int>(capacity.size()); ++t)
    if (capacity[t] >= r.gpus && (best < 0 || capacity[t] > capacity[best])) best = t;
  return best;
}

std::vector<GpuId> Scheduler::place(int type, int count) const {
  // Consolidated first: the fullest node that still holds the whole job (best fit keeps big
  // holes for big jobs); otherwise the emptiest nodes, so the job spans as few as possible.
  const auto& nodes = cluster_.nodes();
  int best = -1;
  for (const Node& n : nodes)
    if (n.gpu_type == type && free_per_node_[n.index] >= count &&
        (best < 0 || free_per_node_[n.index] < free_per_node_[best]))
      best = n.index;
  std::vector<int> order;
  if (best >= 0) {
    order.push_back(best);
  } else {
    for (const Node& n : nodes)
      if (n.gpu_type == type && free_per_node_[n.index] > 0) order.push_back(n.index);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return free_per_node_[a] > free_per_node_[b]; });
  }
  std::vector<GpuId> gpus;
  for (int node : order) {
    const Node& n = nodes[node];
    for (GpuId g = n.first_gpu; g < n.first_gpu + n.num_gpus && static_cast<int>(gpus.size()) < count; ++g)
      if (gpu_owner_[g] == -1) gpus.push_back(g);
    if (static_cast<int>(gpus.size()) == count) break;
  }
  DLSCHED_EXPECTS(static_cast<int>(gpus.size()) == count,
                  fmt::format("placement found {} of {} GPUs", gpus.size(), count));
  return gpus;
}

/// What one job is given in a pass.
struct Scheduler::Grant {
  JobId job;
  int gpus;
  int type;
  long host = -1;            // packed onto this job's GPUs
  bool consolidate = false;  // move to fewer nodes if possible
  bool pinned = false;       // restoring: keeps what it has
};

std::vector<Decision> Scheduler::apply(double now, const PolicyOutput& out, bool may_preempt) {
  std::vector<Decision> decisions;
  std::vector<Grant> grants;
  std::vector<int> capacity = may_preempt ? std::vector<int>(cluster_.gpu_types().size()) : free_per_type_;
  if (may_preempt)
    for (int t = 0; t < static_cast<int>(capacity.size()); ++t) capacity[t] = cluster_.num_gpus_of_type(t);
  if (seen_.size() < jobs_.size()) seen_.assign(jobs_.size(), 0);
  if (partnered_.size() < jobs_.size()) partnered_.assign(jobs_.size(), 0);
  ++pass_;
  // A job still restoring from its checkpoint keeps its GPUs: stopping it would throw the
  // restore away, and with rounds shorter than restores nothing would ever progress. None is
  // when every restore ended before now, and the pass over the active jobs is skipped.
  if (may_preempt && latest_resume_ >= now) {
    for (JobId j : active_) {
      const JobState& s = states_[j];
      if (s.status != JobState::Status::RUNNING || s.resume_at < now) continue;
      // A packed pair holds its GPUs once.
      if (s.packed_with < 0 || seen_[s.packed_with] != pass_)
        capacity[s.gpu_type] -= static_cast<int>(s.gpus.size());
      grants.push_back(Grant{j, static_cast<int>(s.gpus.size()), s.gpu_type, -1, false, true});
      seen_[j] = pass_;
      if (s.packed_with >= 0) partnered_[j] = pass_;  // only its current partner may stay
    }
  }
  const long pinned_pass = pass_;
  ++pass_;
  for (const Request& r : out.ranked) {
    DLSCHED_EXPECTS(r.job < jobs_.size(), fmt::format("policy {} named job {}", policy_.name(), r.job));
    const JobState& s = states_[r.job];
    DLSCHED_EXPECTS(s.status == JobState::Status::WAITING || s.status == JobState::Status::RUNNING,
                    fmt::format("policy {} ranked inactive job {}", policy_.name(), jobs_[r.job].id));
    DLSCHED_EXPECTS(seen_[r.job] != pass_,
                    fmt::format("policy {} ranked job {} twice", policy_.name(), jobs_[r.job].id));
    if (seen_[r.job] == pinned_pass) continue;  // restoring: already kept
    seen_[r.job] = pass_;
    if (r.gpus <= 0) continue;
    if (!may_preempt && s.status == JobState::Status::RUNNING) continue;  // keeps what it has
    if (r.pack_with >= 0) {
      DLSCHED_EXPECTS(config_.packing,
                      fmt::format("policy {} asked to pack job {}, but this driver runs no packed "
                                  "jobs", policy_.name(), jobs_[r.job].id));
      const int type = pack_type(r, grants, pinned_pass, may_preempt);
      if (type < 0) {
        if (!out.backfill) break;
        continue;
      }
      partnered_[r.job] = partnered_[r.pack_with] = pass_;
      grants.push_back(Grant{r.job, r.gpus, type, r.pack_with});
      continue;
    }
    // Most requests are of running jobs asking for what they hold: they stay on their type.
    const int type = r.gpu_type == ANY_GPU_TYPE && s.gpu_type >= 0 && capacity[s.gpu_type] >= r.gpus
                         ? s.gpu_type
                         : choose_type(r, capacity);
    if (type < 0) {
      if (!out.backfill) break;
      continue;
    }
    capacity[type] -= r.gpus;
    grants.push_back(Grant{r.job, r.gpus, type, -1, r.consolidate});
  }
  std::vector<JobId> to_consolidate;
  if (may_preempt) {
    // Running jobs keep their GPUs when their grant is unchanged; all others stop first.
    // keep_ is all zero between calls: a round costs its grants, not the trace's length.
    std::vector<char>& keep = keep_;
    if (keep.size() < jobs_.size()) keep.assign(jobs_.size(), 0);
    bool packs = false, consolidates = false;  // the passes below only matter then
    for (const Grant& g : grants) {
      const JobState& s = states_[g.job];
      if (g.host < 0 && s.status == JobState::Status::RUNNING && s.gpu_type == g.type &&
          static_cast<int>(s.gpus.size()) == g.gpus)
        keep[g.job] = 1 + g.pinned;
      packs = packs || g.host >= 0 || s.packed_with >= 0;
      consolidates = consolidates || g.consolidate;
    }
    if (packs) {
      // A packed pair granted both alone: the GPUs stay with their owner and the other moves,
      // unless it is restoring.
      for (const Grant& g : grants) {
        const long p = states_[g.job].packed_with;
        if (g.host >= 0 || !keep[g.job] || p < 0 || !keep[p] || keep[g.job] == 2) continue;
        if (gpu_owner_[states_[g.job].gpus.front()] != static_cast<long>(g.job)) keep[g.job] = 0;
      }
      // A packed job stays when it is asked to stay packed with the same partner, kept alone.
      for (const Grant& g : grants)
        if (g.host >= 0 && states_[g.job].packed_with == g.host && keep[g.host]) keep[g.job] = 1;
    }
    if (consolidates)
      for (const Grant& g : grants)
        if (g.consolidate && keep[g.job] == 1) to_consolidate.push_back(g.job);
    for (JobId j : active_)
      if (states_[j].status == JobState::Status::RUNNING && !keep[j]) stop(now, j, decisions);
    std::erase_if(grants, [&](const Grant& g) {
      const bool kept = keep[g.job] != 0;
      keep[g.job] = 0;
      return kept;
    });
  }
  // Large jobs first: they are the hardest to consolidate. Packed jobs follow their hosts.
  std::stable_sort(grants.begin(), grants.end(), [](const Grant& a, const Grant& b) {
    if ((a.host >= 0) != (b.host >= 0)) return a.host < 0;
    return a.gpus > b.gpus;
  });
  for (const Grant& g : grants) {
    const JobState& s = states_[g.job];
    if (g.host >= 0) {
      const JobState& h = states_[g.host];
      // The host may have kept its partner (a restoring pair): then this job waits.
      if (h.status == JobState::Status::RUNNING && h.packed_with < 0)
        start(now, g.job, h.gpus, decisions, g.host);
      continue;
    }
    std::vector<GpuId> gpus;
    if (s.suspended && static_cast<int>(s.suspended_on.size()) == g.gpus)
      gpus = place_on_nodes(g.type, s.suspended_on);  // a cheap resume
    if (gpus.empty()) gpus = place(g.type, g.gpus);
    start(now, g.job, std::move(gpus), decisions);
  }
  for (JobId j : to_consolidate) consolidate(now, j, decisions);
  return decisions;
}

int Scheduler::pack_type(const Request& r, const std::vector<Grant>& grants, long pinned_pass,
                         bool may_preempt) const {
  DLSCHED_EXPECTS(r.pack_with < static_cast<long>(jobs_.size()) && r.pack_with != static_cast<long>(r.job),
                  fmt::format("policy {} packed job {} with job number {}", policy_.name(),
                              jobs_[r.job].id, r.pack_with));
  const JobId host = static_cast<JobId>(r.pack_with);
  const JobState& h = states_[host];
  // The host's grant in this call (it holds or is given exactly r.gpus GPUs, alone).
  int type = -1;
  for (const Grant& g : grants)
    if (g.job == host) {
      if (g.host < 0 && g.gpus == r.gpus) type = g.type;
      break;
    }
  if (!may_preempt && h.status == JobState::Status::RUNNING && h.packed_with < 0 &&
      static_cast<int>(h.gpus.size()) == r.gpus)
    type = h.gpu_type;  // between rounds running jobs keep their GPUs
  if (type < 0) return -1;
  // One partner per job; a restoring pair keeps its own.
  const bool same_pair = states_[r.job].packed_with == r.pack_with;
  if ((partnered_[host] == pass_ || partnered_[host] == pinned_pass) && !same_pair) return -1;
  if (!can_pack(r.job, host, type, r.gpus)) return -1;
  return type;
}

void Scheduler::consolidate(double now, JobId job, std::vector<Decision>& out) {
  const JobState& s = states_[job];
  if (s.status != JobState::Status::RUNNING || s.packed_with >= 0) return;
  const int span = cluster_.nodes_spanned(s.gpus);
  if (span <= throughput_.min_nodes(s.gpu_type, static_cast<int>(s.gpus.size()))) return;
  // Where would it go if its own GPUs were free too?
  for (GpuId g : s.gpus) {
    gpu_owner_[g] = -1;
    ++free_per_node_[cluster_.node_of(g)];
  }
  std::vector<GpuId> there = place(s.gpu_type, static_cast<int>(s.gpus.size()));
  for (GpuId g : s.gpus) {
    gpu_owner_[g] = job;
    --free_per_node_[cluster_.node_of(g)];
  }
  if (cluster_.nodes_spanned(there) < span) migrate(now, job, std::move(there), out);
}

std::string Scheduler::check_invariants() const {
  // Each GPU serves at most one job, or exactly two that are packed together with a
  // co-location entry for the pair.
  const int n = cluster_.num_gpus();
  std::vector<long> first(n, -1), second(n, -1);
  int busy = 0;
  for (JobId j = 0; j < states_.size(); ++j) {
    const JobState& s = states_[j];
    if (s.status != JobState::Status::RUNNING) {
      if (!s.gpus.empty()) return fmt::format("job {} holds GPUs while not running", jobs_[j].id);
      if (s.packed_with >= 0) return fmt::format("job {} is packed while not running", jobs_[j].id);
      continue;
    }
    for (GpuId g : s.gpus) {
      if (first[g] == -1) {
        first[g] = j;
        ++busy;
      } else if (second[g] == -1) {
        second[g] = j;
      } else {
        return fmt::format("GPU {} serves three jobs: {}, {} and {}", g, jobs_[first[g]].id,
                           jobs_[second[g]].id, jobs_[j].id);
      }
    }
    if (s.packed_with >= 0) {
      const JobState& p = states_[s.packed_with];
      if (p.status != JobState::Status::RUNNING || p.packed_with != static_cast<long>(j) ||
          p.gpus != s.gpus)
        return fmt::format("job {} is packed with job {}, but they do not share the same GPUs",
                           jobs_[j].id, jobs_[s.packed_with].id);
      if (!can_pack(j, static_cast<JobId>(s.packed_with), s.gpu_type, static_cast<int>(s.gpus.size())))
        return fmt::format("jobs {} and {} are packed without a co-location entry", jobs_[j].id,
                           jobs_[s.packed_with].id);
    }
  }
  for (GpuId g = 0; g < n; ++g) {
    if (second[g] != -1 && states_[first[g]].packed_with != second[g])
      return fmt::format("GPU {} double-booked by jobs {} and {}", g, jobs_[first[g]].id,
                         jobs_[second[g]].id);
    if ((first[g] == -1) != (gpu_owner_[g] == -1) ||
        (gpu_owner_[g] != first[g] && gpu_owner_[g] != second[g]))
      return "GPU map disagrees with job states";
  }
  if (busy != busy_gpus_) return fmt::format("busy GPU count {} != {}", busy_gpus_, busy);
  std::vector<int> free_type(cluster_.gpu_types().size(), 0);
  for (GpuId g = 0; g < cluster_.num_gpus(); ++g)
    if (first[g] == -1) ++free_type[cluster_.type_of(g)];
  if (free_type != free_per_type_) return "free GPU count per type is stale";
  // Where freed GPUs wait for the next round (--mechanism gavel), jobs may wait beside them.
  if (!config_.refill_between_rounds) return {};
  // Policies that place only the jobs an allocation names (Gavel's fifo-perf) may leave any
  // job waiting until the next solve.
  if (!policy_.work_conserving() && policy_.preemptive()) return {};
  const int most_free = *std::max_element(free_type.begin(), free_type.end());
  for (JobId j : active_) {
    const JobState& s = states_[j];
    if (s.status != JobState::Status::WAITING) continue;
    if (jobs_[j].num_gpus <= most_free)
      return fmt::format("job {} ({} GPUs) waits while {} GPUs of one type are idle", jobs_[j].id,
                         jobs_[j].num_gpus, most_free);
    if (!policy_.work_conserving()) break;  // strict order: only the head job must not fit
  }
  return {};
}

}  // namespace dlsched
