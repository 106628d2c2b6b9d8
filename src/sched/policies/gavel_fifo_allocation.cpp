#include "sched/policies/gavel_fifo_allocation.h"

#include <algorithm>
#include <numeric>

namespace dlsched {

void GavelFifoAllocation::assign(const PolicyInput& in, int types) {
  const auto thr = [&](std::size_t v, int t) { return thr_[v * static_cast<std::size_t>(types) + static_cast<std::size_t>(t)]; };
  std::vector<int> room(types);
  for (int t = 0; t < types; ++t) room[t] = in.cluster->num_gpus_of_type(t);
  // Gavel visits types in the order of their names (k80, p100, v100).
  std::vector<int> by_name(types);
  std::iota(by_name.begin(), by_name.end(), 0);
  std::sort(by_name.begin(), by_name.end(), [&](int a, int b) {
    return in.cluster->gpu_types()[a] < in.cluster->gpu_types()[b];
  });
  JobId largest = 0;
  for (const JobView& j : in.jobs) largest = std::max(largest, j.id);
  if (type_of_.size() <= largest) type_of_.resize(static_cast<std::size_t>(largest) + 1, -1);

  std::vector<std::size_t> queue;  // view indices of jobs without a type, in arrival order
  std::vector<int> view_of(type_of_.size(), -1);
  for (std::size_t v = 0; v < in.jobs.size(); ++v) view_of[in.jobs[v].id] = static_cast<int>(v);
  if (choice_ == TypeChoice::FASTEST) {
    for (JobId id : typed_) type_of_[id] = -1;
    typed_.clear();
  }
  for (std::size_t v = 0; v < in.jobs.size(); ++v)
    if (type_of_[in.jobs[v].id] < 0) queue.push_back(v);
  std::size_t head = 0;
  // Typed jobs in id order: a running one holds its GPUs; a finished one hands its type to the
  // queue's head if the head fits there (room counted so far, as Gavel's pass counts it).
  std::vector<JobId> kept;
  for (JobId id : typed_) {
    const int t = type_of_[id];
    if (view_of[id] >= 0) {
      room[t] -= in.jobs[static_cast<std::size_t>(view_of[id])].requested_gpus;
      kept.push_back(id);
      continue;
    }
    type_of_[id] = -1;
    if (head < queue.size()) {
      const std::size_t v = queue[head];
      if (in.jobs[v].requested_gpus <= room[t] && thr(v, t) > 0) {
        type_of_[in.jobs[v].id] = t;
        room[t] -= in.jobs[v].requested_gpus;
        kept.push_back(in.jobs[v].id);
        ++head;
      }
    }
  }
  typed_ = std::move(kept);
  queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(head));
  std::vector<int> fits;
  for (std::size_t v : queue) {
    const JobView& j = in.jobs[v];
    fits.clear();
    for (int t : by_name)
      if (room[t] >= j.requested_gpus) fits.push_back(t);
    if (fits.empty()) break;  // first come, first served: nobody passes the head
    int type = -1;
    if (choice_ == TypeChoice::RANDOM) {
      if (!rng_seeded_) {
        rng_.seed_with(in.seed);
        rng_seeded_ = true;
      }
      type = fits[rng_.below(static_cast<std::uint32_t>(fits.size()))];
    } else {
      double best = -1;
      for (int t : fits)
        if (thr(v, t) > best) best = thr(v, t), type = t;
    }
    if (thr(v, type) <= 0) continue;
    type_of_[j.id] = type;
    typed_.push_back(j.id);
    room[type] -= j.requested_gpus;
  }
  std::sort(typed_.begin(), typed_.end());
  for (std::size_t v = 0; v < in.jobs.size(); ++v) {
    const int t = type_of_[in.jobs[v].id];
    if (t >= 0) rows_[v * static_cast<std::size_t>(types) + static_cast<std::size_t>(t)] = 1.0;
  }
}

void GavelFifoAllocation::save(PolicyStateWriter& w) const {
  w.put(rng_seeded_);
  rng_.save(w);
  w.put(type_of_.size());
  for (int t : type_of_) w.put(t);
  w.put(typed_.size());
  for (JobId id : typed_) w.put(static_cast<std::int64_t>(id));
}

void GavelFifoAllocation::restore(PolicyStateReader& r) {
  rng_seeded_ = r.get_bool();
  rng_.restore(r);
  type_of_.resize(r.get_count(std::size_t{1} << 32));
  for (int& t : type_of_) t = static_cast<int>(r.get_int());
  typed_.resize(r.get_count(std::size_t{1} << 32));
  for (JobId& id : typed_) id = static_cast<JobId>(r.get_count(type_of_.size() - 1));
}

}  // namespace dlsched
