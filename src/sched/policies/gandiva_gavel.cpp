#include "sched/policies/gandiva_gavel.h"

#include <algorithm>
#include <numeric>

#include "sched/policies/gpu_plan.h"

namespace dlsched {

GandivaGavel::Combo& GandivaGavel::combo(const Key& k, int types) {
  Combo& c = combos_[k];
  if (static_cast<int>(c.time_on.size()) != types) {
    c.time_on.assign(types, 0);
    c.deficit.assign(types, 0);
  }
  return c;
}

const JobView* GandivaGavel::view(JobId id) const {
  if (id >= view_of_.size() || view_of_[id] < 0) return nullptr;
  return &in_->jobs[static_cast<std::size_t>(view_of_[id])];
}

std::pair<double, double> GandivaGavel::rates(const PolicyInput& in, const Key& k, int type) {
  const JobView* a = view(k.first);
  if (k.second < 0) return {thr_.of(in, *a)[type], 0.0};
  const JobView* b = view(static_cast<JobId>(k.second));
  const int gpus = a->requested_gpus;
  if (gpus > in.cluster->num_gpus_of_type(type)) return {0.0, 0.0};
  const PlacementShape shape = consolidated(*in.throughput, type, gpus);
  const auto ra = in.throughput->colocated_progress_rate(a->id, b->id, shape);
  const auto rb = in.throughput->colocated_progress_rate(b->id, a->id, shape);
  return {ra ? *ra : 0.0, rb ? *rb : 0.0};
}

double GandivaGavel::normalised_packed_throughput(const PolicyInput& in, JobId a, JobId b) {
  const Key k{std::min(a, b), static_cast<long>(std::max(a, b))};
  const double* alone_a = thr_.of(in, *view(k.first));
  const double* alone_b = thr_.of(in, *view(static_cast<JobId>(k.second)));
  double sum = 0;
  for (int t = 0; t < static_cast<int>(in.cluster->gpu_types().size()); ++t) {
    const auto [ra, rb] = rates(in, k, t);
    if (ra <= 0 || rb <= 0 || alone_a[t] <= 0 || alone_b[t] <= 0) return 0;
    sum += ra / alone_a[t] + rb / alone_b[t];
  }
  return sum;
}

/// Adds the time since the previous call to the combination each running job ran in, and
/// notes arrivals and completions (a changed set of jobs asks for a new solve).
void GandivaGavel::account(const PolicyInput& in) {
  const int types = static_cast<int>(in.cluster->gpu_types().size());
  const double half_round = in.round_length / 2;
  std::vector<JobId> now_active;
  for (const JobView& j : in.jobs) now_active.push_back(j.id);
  std::sort(now_active.begin(), now_active.end());
  for (const JobView& j : in.jobs) {
    if (!std::binary_search(known_.begin(), known_.end(), j.id)) {
      // A new job starts with half a round on every type, as if it had just been reset.
      Combo& c = combo(Key{j.id, -1}, types);
      std::fill(c.time_on.begin(), c.time_on.end(), half_round);
      jobs_changed_ = true;
    }
    if (!j.running || !has_last_) continue;
    const double dt = in.now - std::max(last_now_, j.last_start);
    if (dt <= 0) continue;
    if (j.packed_with < 0) {
      combo(Key{j.id, -1}, types).time_on[j.current_type] += dt;
    } else if (static_cast<long>(j.id) < j.packed_with) {
      // A pair's time counts once, on the pair.
      combo(Key{j.id, j.packed_with}, types).time_on[j.current_type] += dt;
    }
  }
  // Finished jobs take every combination they were in with them.
  for (JobId id : known_) {
    if (std::binary_search(now_active.begin(), now_active.end(), id)) continue;
    jobs_changed_ = true;
    for (auto it = combos_.begin(); it != combos_.end();) {
      if (it->first.first == id || it->first.second == static_cast<long>(id))
        it = combos_.erase(it);
      else
        ++it;
    }
  }
  known_ = std::move(now_active);
  last_now_ = in.now;
  has_last_ = true;
}

void GandivaGavel::reset_and_solve(const PolicyInput& in) {
  const double elapsed = in.now - last_reset_;
  const double half_round = in.round_length / 2;
  for (auto& [key, c] : combos_) {
    for (std::size_t t = 0; t < c.time_on.size(); ++t) {
      const double promised = c.x.empty() ? 0 : c.x[t] * elapsed;
      c.deficit[t] += promised - (c.time_on[t] - half_round);
      c.time_on[t] = half_round;
    }
    c.x.clear();
  }
  last_reset_ = in.now;
  ever_reset_ = true;
  jobs_changed_ = false;
  solve(in);
}

void GandivaGavel::solve(const PolicyInput& in) {
  const int types = static_cast<int>(in.cluster->gpu_types().size());
  const double half_round = in.round_length / 2;

  // Pairs end with either job, and when packing them no longer pays over all types; jobs
  // left alone are paired afresh below.
  for (auto it = partner_.begin(); it != partner_.end();) {
    const long p = it->second;
    const bool keep = view(it->first) && p >= 0 && view(static_cast<JobId>(p)) &&
                      normalised_packed_throughput(in, it->first, static_cast<JobId>(p)) >= 1.0;
    it = keep ? std::next(it) : partner_.erase(it);
  }
  for (auto it = partner_.begin(); it != partner_.end();)  // both halves of a broken pair
    it = partner_.count(static_cast<JobId>(it->second)) ? std::next(it) : partner_.erase(it);

  int requested = 0;
  for (const JobView& j : in.jobs) requested += j.requested_gpus;
  int available = 0;
  for (int t = 0; t < types; ++t) available += in.cluster->num_gpus_of_type(t);

  std::vector<Key> scheduled;  // the combinations X shares the cluster among
  // Where the driver runs no packed jobs (emulate, --whole-iterations), jobs only time-share.
  if (requested <= available || !in.packing_allowed) {
    for (const JobView& j : in.jobs) scheduled.push_back(Key{j.id, -1});
  } else {
    std::vector<JobId> alone;  // by id, as Gavel sorts its job ids
    for (const JobView& j : in.jobs)
      if (!partner_.count(j.id)) alone.push_back(j.id);
    std::sort(alone.begin(), alone.end());
    if (!seeded_) rng_.seed_with(in.seed), seeded_ = true;
    const std::size_t draws = alone.size();
    for (std::size_t d = 0; d < draws && alone.size() > 1; ++d) {
      const std::vector<std::size_t> two = rng_.sample_positions(alone.size(), 2);
      const std::size_t i = two[0];
      const std::size_t k = two[1];
      const JobId a = alone[i];
      const JobId b = alone[k];
      if (view(a)->requested_gpus != view(b)->requested_gpus) continue;
      partner_[a] = static_cast<long>(b);
      partner_[b] = static_cast<long>(a);
      alone.erase(alone.begin() + static_cast<std::ptrdiff_t>(std::max(i, k)));
      alone.erase(alone.begin() + static_cast<std::ptrdiff_t>(std::min(i, k)));
    }
    for (JobId id : alone) scheduled.push_back(Key{id, -1});
    for (const auto& [a, b] : partner_)
      if (static_cast<long>(a) < b) scheduled.push_back(Key{a, b});
  }

  const double m = static_cast<double>(scheduled.size());
  for (const Key& k : scheduled) {
    const bool fresh = !combos_.count(k);
    Combo& c = combo(k, types);
    if (fresh) {
      // Gavel creates a pair's entry with no time run when its later job arrives; the first
      // reset then books half a round it never received as its deficit.
      std::fill(c.time_on.begin(), c.time_on.end(), half_round);
      std::fill(c.deficit.begin(), c.deficit.end(), half_round);
    }
    const double gpus = view(k.first)->requested_gpus;
    c.x.assign(types, 0);
    double sum = 0;
    for (int t = 0; t < types; ++t) sum += c.x[t] = in.cluster->num_gpus_of_type(t) / m / gpus;
    if (sum > 1)
      for (double& v : c.x) v /= sum;
  }
  // Every job present at the solve is in the allocation, with a zero share if it is paired.
  for (const JobView& j : in.jobs) {
    Combo& c = combo(Key{j.id, -1}, types);
    if (c.x.empty()) c.x.assign(types, 0);
  }
}

std::vector<int> GandivaGavel::type_order(const PolicyInput& in) {
  const int types = static_cast<int>(in.cluster->gpu_types().size());
  std::vector<int> order(types);
  std::iota(order.begin(), order.end(), 0);
  // Fastest first, as gavel_rounds.cc orders them for Gavel's "Packing" policies.
  std::vector<double> speed(types, 0);
  for (const JobView& j : in.jobs) {
    const double* thr = thr_.of(in, j);
    const double best = *std::max_element(thr, thr + types);
    if (best > 0)
      for (int k = 0; k < types; ++k) speed[k] += thr[k] / best;
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return speed[a] > speed[b]; });
  return order;
}

PolicyOutput GandivaGavel::schedule(const PolicyInput& in) {
  in_ = &in;
  view_of_.assign(view_of_.size(), -1);
  for (std::size_t v = 0; v < in.jobs.size(); ++v) {
    const JobId id = in.jobs[v].id;
    if (view_of_.size() <= id) view_of_.resize(static_cast<std::size_t>(id) + 1, -1);
    view_of_[id] = static_cast<int>(v);
  }
  account(in);
  const bool idle =
      std::none_of(in.jobs.begin(), in.jobs.end(), [](const JobView& j) { return j.running; });
  if (jobs_changed_ && (!ever_reset_ || idle || in.now - last_reset_ >= in.resolve_interval))
    reset_and_solve(in);

  PolicyOutput out;
  if (!in.round_boundary) {
    // Decisions come only at round ends under Gavel's mechanism; should the core ask between
    // rounds, every running job keeps what it has.
    for (const JobView& j : in.jobs)
      if (j.running && (j.packed_with < 0 || static_cast<long>(j.id) < j.packed_with))
        out.ranked.push_back(Request{j.id, j.current_gpus, j.current_type});
    for (const JobView& j : in.jobs)
      if (j.running && static_cast<long>(j.id) > j.packed_with && j.packed_with >= 0)
        out.ranked.push_back(Request{j.id, j.current_gpus, j.current_type, j.packed_with});
    return out;
  }

  std::vector<Entry> entries;
  std::vector<char> placed(view_of_.size(), 0);
  for (int type : type_order(in)) {
    entries.clear();
    for (const auto& [key, c] : combos_) {
      if (!view(key.first) || (key.second >= 0 && !view(static_cast<JobId>(key.second)))) continue;
      // Pairs run only where X names them; their jobs' own entries come first otherwise.
      if (key.second >= 0 && c.x.empty()) continue;
      const double x = c.x.empty() ? 0 : c.x[type];
      const auto [ra, rb] = rates(in, key, type);
      const bool runs = ra > 0 && (key.second < 0 || rb > 0);
      double priority = 0;
      if (x > 0 && runs) priority = c.time_on[type] > 0 ? x / c.time_on[type] : x * 1e9;
      const std::pair<JobId, long> rank =
          key.second < 0 ? std::pair<JobId, long>{key.first, -1}
                         : std::pair<JobId, long>{static_cast<JobId>(key.second),
                                                  static_cast<long>(key.first)};
      entries.push_back(Entry{priority, c.deficit[type], x, key, rank});
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      if (a.deficit != b.deficit) return a.deficit > b.deficit;
      if (a.x != b.x) return a.x > b.x;
      return a.rank < b.rank;
    });
    int free = in.cluster->num_gpus_of_type(type);
    for (const Entry& e : entries) {
      if (free == 0) break;
      const JobView& a = *view(e.key.first);
      const JobView* b = e.key.second >= 0 ? view(static_cast<JobId>(e.key.second)) : nullptr;
      if (placed[a.id] || (b && placed[b->id])) continue;
      const auto [ra, rb] = rates(in, e.key, type);
      if (ra <= 0 || (b && rb <= 0)) continue;
      if (a.requested_gpus > free) continue;
      free -= a.requested_gpus;
      placed[a.id] = 1;
      // Gavel's quirk: a job that arrived after the last solve takes its GPUs in the queue
      // walk, but only jobs in the allocation are given workers, so those GPUs idle.
      if (!b && combos_.at(e.key).x.empty()) continue;
      out.ranked.push_back(Request{a.id, a.requested_gpus, type});
      if (b) {
        placed[b->id] = 1;
        out.ranked.push_back(Request{b->id, b->requested_gpus, type, static_cast<long>(a.id)});
      }
    }
  }
  return out;
}

void GandivaGavel::save(PolicyStateWriter& w) const {
  w.put(last_now_).put(last_reset_).put(has_last_).put(ever_reset_).put(jobs_changed_);
  w.put(seeded_);
  rng_.save(w);
  w.put(known_.size());
  for (JobId id : known_) w.put(static_cast<std::int64_t>(id));
  w.put(partner_.size());
  for (const auto& [a, b] : partner_) w.put(static_cast<std::int64_t>(a)).put(b);
  w.put(combos_.size());
  for (const auto& [key, c] : combos_) {
    w.put(static_cast<std::int64_t>(key.first)).put(key.second).put(c.time_on.size());
    for (double v : c.time_on) w.put(v);
    for (double v : c.deficit) w.put(v);
    w.put(c.x.size());
    for (double v : c.x) w.put(v);
  }
}

void GandivaGavel::restore(PolicyStateReader& r) {
  constexpr std::size_t kMaxJobs = std::size_t{1} << 32;
  constexpr std::size_t kMaxTypes = 1024;
  last_now_ = r.get_double();
  last_reset_ = r.get_double();
  has_last_ = r.get_bool();
  ever_reset_ = r.get_bool();
  jobs_changed_ = r.get_bool();
  seeded_ = r.get_bool();
  rng_.restore(r);
  known_.resize(r.get_count(kMaxJobs));
  for (JobId& id : known_) id = static_cast<JobId>(r.get_count(kMaxJobs));
  partner_.clear();
  for (std::size_t n = r.get_count(kMaxJobs); n > 0; --n) {
    const auto a = static_cast<JobId>(r.get_count(kMaxJobs));
    partner_[a] = static_cast<long>(r.get_int());
  }
  combos_.clear();
  for (std::size_t n = r.get_count(kMaxJobs); n > 0; --n) {
    const auto a = static_cast<JobId>(r.get_count(kMaxJobs));
    const long b = static_cast<long>(r.get_int());
    Combo& c = combos_[Key{a, b}];
    const std::size_t types = r.get_count(kMaxTypes);
    c.time_on.resize(types);
    c.deficit.resize(types);
    for (double& v : c.time_on) v = r.get_double();
    for (double& v : c.deficit) v = r.get_double();
    c.x.resize(r.get_count(kMaxTypes));
    for (double& v : c.x) v = r.get_double();
  }
}

}  // namespace dlsched
