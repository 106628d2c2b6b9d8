#include "sched/policies/gavel_rounds.h"

#include <algorithm>
#include <numeric>

namespace dlsched {
namespace {

/// Gavel's stand-in for an infinite priority, kept finite so that 2x it still ranks higher.
constexpr double UNSERVED_PRIORITY_SCALE = 1e9;

}  // namespace

const double* TypeThroughputs::of(const PolicyInput& in, const JobView& j) {
  const std::size_t types = in.cluster->gpu_types().size();
  if (cache_.size() < (static_cast<std::size_t>(j.id) + 1) * types)
    cache_.resize((static_cast<std::size_t>(j.id) + 1) * types, -1);
  double* row = &cache_[static_cast<std::size_t>(j.id) * types];
  if (row[0] < 0)
    for (std::size_t t = 0; t < types; ++t) {
      const int type = static_cast<int>(t);
      row[t] = j.requested_gpus <= in.cluster->num_gpus_of_type(type)
                   ? in.throughput->progress_rate(
                         j.id, consolidated(*in.throughput, type, j.requested_gpus))
                   : 0;
    }
  return row;
}

GavelRounds::Track& GavelRounds::track(JobId id, int types) {
  if (tracks_.size() <= id) tracks_.resize(static_cast<std::size_t>(id) + 1);
  Track& t = tracks_[id];
  if (static_cast<int>(t.time_on.size()) != types) {
    t.time_on.assign(types, 0);
    t.deficit.assign(types, 0);
  }
  return t;
}

/// Adds the time since the previous call to every job that has run through it, and notes
/// arrivals and completions (a changed set of jobs asks for a new solve).
void GavelRounds::account(const PolicyInput& in) {
  const int types = static_cast<int>(in.cluster->gpu_types().size());
  if (type_time_.size() != static_cast<std::size_t>(types)) type_time_.assign(types, 0);
  const double half_round = in.round_length / 2;
  // Where decisions come only at round ends (--mechanism gavel), a round's time is counted
  // as Gavel's simulator counts it: from the end of the last round that ran anything (0
  // before the first), so a round that follows an idle wait for an arrival is credited with
  // that wait too (scheduler.py, simulate(): current_round_start_time moves only when jobs
  // were dispatched).
  if (has_last_ && !placed_nothing_) {
    busy_round_start_ = busy_round_end_;
    busy_round_end_ = in.now;
  }
  for (const JobView& j : in.jobs) {
    Track& t = track(j.id, types);
    if (!t.active) {
      // A new job starts with half a round on every type, as if it had just been reset.
      t.active = true;
      std::fill(t.time_on.begin(), t.time_on.end(), half_round);
      std::fill(t.deficit.begin(), t.deficit.end(), 0.0);
      t.x.clear();
      jobs_changed_ = true;
    }
    if (j.running && has_last_) {
      const double dt = in.now - (in.decides_only_at_rounds ? busy_round_start_
                                                            : std::max(last_now_, j.last_start));
      if (dt > 0 && j.packed_with < 0) {
        t.time_on[j.current_type] += dt;
        type_time_[j.current_type] += dt;
      } else if (dt > 0 && static_cast<JobId>(j.packed_with) > j.id) {
        // A pair's time is its own (not its jobs'), and its GPUs count once.
        const auto it = pairs_.find(PairKey{j.id, static_cast<JobId>(j.packed_with)});
        if (it != pairs_.end()) it->second.time_on[j.current_type] += dt;
        type_time_[j.current_type] += dt;
      }
    }
  }
  // Jobs active at the previous call and gone now have finished.
  if (!known_.empty()) {
    for (const JobView& j : in.jobs) tracks_[j.id].seen = true;
    for (JobId id : known_) {
      Track& t = tracks_[id];
      if (!t.seen) {
        t.active = false;
        jobs_changed_ = true;
      }
    }
    std::erase_if(pairs_, [&](const auto& kv) {
      return !tracks_[kv.first.first].seen || !tracks_[kv.first.second].seen;
    });
    for (const JobView& j : in.jobs) tracks_[j.id].seen = false;
  }
  known_.clear();
  for (const JobView& j : in.jobs) known_.push_back(j.id);
  last_now_ = in.now;
  has_last_ = true;
}

void GavelRounds::reset_and_solve(const PolicyInput& in, const Solver& solve) {
  const int types = static_cast<int>(type_time_.size());
  const double elapsed = in.now - last_reset_;
  const double half_round = in.round_length / 2;
  std::fill(type_time_.begin(), type_time_.end(), 0.0);
  for (const JobView& j : in.jobs) {
    Track& t = tracks_[j.id];
    for (int k = 0; k < types; ++k) {
      const double promised = t.x.empty() ? 0 : t.x[k] * elapsed;
      t.deficit[k] += promised - (t.time_on[k] - half_round);
      t.time_on[k] = half_round;
      type_time_[k] += half_round;
    }
  }
  for (auto& [key, pair] : pairs_)
    for (int k = 0; k < types; ++k) {
      pair.deficit[k] += pair.x[k] * elapsed - (pair.time_on[k] - half_round);
      pair.time_on[k] = half_round;
      type_time_[k] += half_round;
    }
  last_reset_ = in.now;
  jobs_changed_ = false;
  const Solution solution = solve(in);
  const std::vector<double>& x = solution.alone;
  // Jobs that arrived since the previous solve (no X yet): Gavel's pair entries for them
  // start with no time at all, so this reset credits them half a round of deficit.
  std::vector<char> arrived(in.jobs.size(), 0);
  for (std::size_t v = 0; v < in.jobs.size(); ++v) arrived[v] = tracks_[in.jobs[v].id].x.empty();
  for (std::size_t v = 0; v < in.jobs.size(); ++v) {
    Track& t = tracks_[in.jobs[v].id];
    t.x.assign(x.begin() + static_cast<std::ptrdiff_t>(v * types),
               x.begin() + static_cast<std::ptrdiff_t>((v + 1) * types));
  }
  for (auto& [key, pair] : pairs_) std::fill(pair.x.begin(), pair.x.end(), 0.0);
  for (const PairShare& s : solution.pairs) {
    const JobView& a = in.jobs[s.a];
    const JobView& b = in.jobs[s.b];
    const PairKey key = std::minmax(a.id, b.id);
    auto [it, fresh] = pairs_.try_emplace(key);
    PairTrack& pair = it->second;
    if (fresh) {
      const double owed = arrived[s.a] || arrived[s.b] ? half_round : 0.0;
      pair.time_on.assign(types, half_round);
      pair.deficit.assign(types, owed);
      pair.runs.assign(types, 0);
      for (int k = 0; k < types; ++k) {
        pair.runs[k] = pair_runs_on(in, a, b, k);
        type_time_[k] += half_round;
      }
    }
    pair.x = s.x;
  }
}

bool GavelRounds::pair_runs_on(const PolicyInput& in, const JobView& a, const JobView& b,
                               int type) const {
  if (a.requested_gpus != b.requested_gpus ||
      a.requested_gpus > in.cluster->num_gpus_of_type(type))
    return false;
  const PlacementShape shape = consolidated(*in.throughput, type, a.requested_gpus);
  const auto ra = in.throughput->colocated_progress_rate(a.id, b.id, shape);
  const auto rb = in.throughput->colocated_progress_rate(b.id, a.id, shape);
  return ra && rb && *ra > 0 && *rb > 0;
}

/// The pairs' entries in a type's queue, after the jobs' own (view_of_ maps ids to views).
void GavelRounds::add_pair_entries(const PolicyInput& in, int type) {
  const std::size_t n = in.jobs.size();
  for (const auto& [key, pair] : pairs_) {
    const std::size_t a = view_of_[key.first], b = view_of_[key.second];
    const JobView& host = in.jobs[a];
    const JobView& guest = in.jobs[b];
    if (plan_.kept(host) || plan_.kept(guest)) continue;
    const double x = pair.x[type];
    const double share = type_time_[type] > 0 ? pair.time_on[type] / type_time_[type] : 0;
    double priority = 0;
    if (x > 0 && pair.runs[type]) priority = share > 0 ? x / share : x * UNSERVED_PRIORITY_SCALE;
    const std::size_t later = std::max(a, b), earlier = std::min(a, b);
    entries_.push_back(Entry{priority, pair.deficit[type], x, a, b, later * (n + 1) + earlier + 1});
  }
}

std::vector<int> GavelRounds::type_order(const PolicyInput& in, const Throughputs& throughputs) {
  const int types = static_cast<int>(type_time_.size());
  std::vector<int> order(types);
  std::iota(order.begin(), order.end(), 0);
  // Fastest first: by the jobs' summed throughput relative to their best type (for Gavel's
  // table, v100, p100, k80 as its simulator hard-codes them).
  std::vector<double> speed(types, 0);
  for (const JobView& j : in.jobs) {
    const double* thr = throughputs(j);
    const double best = *std::max_element(thr, thr + types);
    if (best > 0)
      for (int k = 0; k < types; ++k) speed[k] += thr[k] / best;
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return speed[a] > speed[b]; });
  // Gavel's simulator shuffles that list in place with its own random.Random(seed + 5), one
  // shuffle per decision (scheduler.py, _schedule_jobs_on_workers).
  if (options_.shuffle_types) type_rng_.shuffle(order);
  return order;
}

void GavelRounds::plan(const PolicyInput& in, const Throughputs& throughputs,
                       const std::vector<int>& order) {
  plan_.begin(in, in.round_boundary);
  if (!pairs_.empty()) {
    view_of_.resize(tracks_.size());
    for (std::size_t v = 0; v < in.jobs.size(); ++v) view_of_[in.jobs[v].id] = v;
  }
  const std::size_t n = in.jobs.size();
  for (int type : order) {
    entries_.clear();
    for (std::size_t v = 0; v < n; ++v) {
      const JobView& j = in.jobs[v];
      if (plan_.kept(j)) continue;
      const Track& t = tracks_[j.id];
      const double x = t.x.empty() ? 0 : t.x[type];
      const double share = type_time_[type] > 0 ? t.time_on[type] / type_time_[type] : 0;
      double priority = 0;
      if (x > 0 && throughputs(j)[type] > 0)
        priority = share > 0 ? x / share : x * UNSERVED_PRIORITY_SCALE;
      entries_.push_back(Entry{priority, t.deficit[type], x, v, NO_PARTNER, v * (n + 1)});
    }
    add_pair_entries(in, type);
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.deficit != b.deficit) return a.deficit > b.deficit;
      if (a.x != b.x) return a.x > b.x;
      return a.order < b.order;
    });
    for (const Entry& e : entries_) {
      if (plan_.free(type) == 0) break;
      const JobView& j = in.jobs[e.view];
      if (options_.skip_zero_priority && e.priority <= 0) continue;
      if (e.partner != NO_PARTNER) {
        const JobView& guest = in.jobs[e.partner];
        if (pairs_.at(std::minmax(j.id, guest.id)).runs[type])
          plan_.add_pair(j, guest, j.requested_gpus, type);
        continue;
      }
      if (throughputs(j)[type] <= 0) continue;
      if (tracks_[j.id].x.empty()) {
        // A job that arrived after the last solve keeps its place in the queue (priority 0,
        // so last) and takes room there, but Gavel cannot run it without an allocation
        // (scheduler.py, _schedule_jobs_on_workers: jobs not in the allocation get no
        // workers): those GPUs idle this round.
        plan_.hold(j, j.requested_gpus, type);
        continue;
      }
      plan_.add(j, j.requested_gpus, type);
    }
  }
}

PolicyOutput GavelRounds::schedule(const PolicyInput& in, const Throughputs& throughputs,
                                   const Solver& solve) {
  account(in);
  if (!rng_seeded_) {
    type_rng_.seed_with(in.seed + 5);
    rng_seeded_ = true;
  }
  // Gavel's simulator (scheduler.py, simulate()) forgets its last reset when the previous
  // decision dispatched nothing and no job was left to arrive when this one began; it marks
  // "no reset yet" with a last reset at t = 0, so a reset at t = 0 (jobs that arrive at 0)
  // does not count either (_update_priorities): the next change re-solves at once.
  bool forget = placed_nothing_ && !arrivals_were_pending_;
  for (;;) {
    if (forget) last_reset_ = 0;
    const bool interval_passed = last_reset_ == 0 || in.now - last_reset_ >= in.resolve_interval;
    if (jobs_changed_ && interval_passed) reset_and_solve(in, solve);
    plan(in, throughputs, type_order(in, throughputs));
    PolicyOutput out = plan_.take_output();
    placed_nothing_ = out.ranked.empty() && in.round_boundary;
    arrivals_were_pending_ = in.arrivals_pending;
    // A decision that placed nothing once every job has arrived is taken again at once:
    // Gavel's loop comes back at the same time, forgets its last reset and shuffles the
    // types anew. Once is enough (nothing changes after that).
    if (!placed_nothing_ || forget || in.arrivals_pending || in.jobs.empty()) return out;
    forget = true;
  }
}

void GavelRounds::save(PolicyStateWriter& w) const {
  w.put(last_now_).put(last_reset_).put(has_last_).put(placed_nothing_).put(jobs_changed_);
  w.put(busy_round_start_).put(busy_round_end_);
  w.put(arrivals_were_pending_).put(rng_seeded_);
  type_rng_.save(w);
  w.put(type_time_.size());
  for (double v : type_time_) w.put(v);
  w.put(known_.size());
  for (JobId id : known_) w.put(static_cast<std::int64_t>(id));
  w.put(tracks_.size());
  for (const Track& t : tracks_) {
    w.put(t.active).put(t.time_on.size());
    for (double v : t.time_on) w.put(v);
    for (double v : t.deficit) w.put(v);
    w.put(t.x.size());
    for (double v : t.x) w.put(v);
  }
  w.put(pairs_.size());
  for (const auto& [key, pair] : pairs_) {
    w.put(static_cast<std::int64_t>(key.first)).put(static_cast<std::int64_t>(key.second));
    w.put(pair.time_on.size());
    for (double v : pair.time_on) w.put(v);
    for (double v : pair.deficit) w.put(v);
    for (double v : pair.x) w.put(v);
    for (char v : pair.runs) w.put(v != 0);
  }
}

void GavelRounds::restore(PolicyStateReader& r) {
  constexpr std::size_t kMaxJobs = std::size_t{1} << 32;
  constexpr std::size_t kMaxTypes = 1024;
  last_now_ = r.get_double();
  last_reset_ = r.get_double();
  has_last_ = r.get_bool();
  placed_nothing_ = r.get_bool();
  jobs_changed_ = r.get_bool();
  busy_round_start_ = r.get_double();
  busy_round_end_ = r.get_double();
  arrivals_were_pending_ = r.get_bool();
  rng_seeded_ = r.get_bool();
  type_rng_.restore(r);
  type_time_.resize(r.get_count(kMaxTypes));
  for (double& v : type_time_) v = r.get_double();
  known_.resize(r.get_count(kMaxJobs));
  for (JobId& id : known_) id = static_cast<JobId>(r.get_count(kMaxJobs));
  tracks_.resize(r.get_count(kMaxJobs));
  for (Track& t : tracks_) {
    t.active = r.get_bool();
    const std::size_t types = r.get_count(kMaxTypes);
    t.time_on.resize(types);
    t.deficit.resize(types);
    for (double& v : t.time_on) v = r.get_double();
    for (double& v : t.deficit) v = r.get_double();
    t.x.resize(r.get_count(kMaxTypes));
    for (double& v : t.x) v = r.get_double();
  }
  pairs_.clear();
  for (std::size_t n = r.get_count(kMaxJobs); n > 0; --n) {
    const auto a = static_cast<JobId>(r.get_count(kMaxJobs));
    const auto b = static_cast<JobId>(r.get_count(kMaxJobs));
    PairTrack& pair = pairs_[PairKey{a, b}];
    const std::size_t types = r.get_count(kMaxTypes);
    pair.time_on.resize(types);
    pair.deficit.resize(types);
    pair.x.resize(types);
    pair.runs.resize(types);
    for (double& v : pair.time_on) v = r.get_double();
    for (double& v : pair.deficit) v = r.get_double();
    for (double& v : pair.x) v = r.get_double();
    for (char& v : pair.runs) v = r.get_bool();
  }
}

}  // namespace dlsched
