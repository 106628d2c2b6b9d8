#include "sched/policies/gavel_allox_allocation.h"

#include <algorithm>
#include <numeric>

#include "sched/policies/allox_matching.h"

namespace dlsched {
namespace {

/// Gavel's stand-in for a zero throughput: the job may be matched there, at a cost that
/// loses to any type where it runs.
constexpr double ZERO_THROUGHPUT = 1e-10;

}  // namespace

std::vector<double> GavelAlloxAllocation::assign(const PolicyInput& in, int types) {
  const std::size_t n_types = static_cast<std::size_t>(types);
  JobId largest = 0;
  for (const JobView& j : in.jobs) largest = std::max(largest, j.id);
  if (type_of_.size() <= largest) type_of_.resize(static_cast<std::size_t>(largest) + 1, -1);

  // GPUs no kept job holds, per type.
  std::vector<int> room(types);
  for (int t = 0; t < types; ++t) room[t] = in.cluster->num_gpus_of_type(t);
  std::vector<std::size_t> unplaced;  // view indices, oldest first (arrival order)
  for (std::size_t v = 0; v < in.jobs.size(); ++v) {
    const JobView& j = in.jobs[v];
    if (type_of_[j.id] >= 0)
      room[type_of_[j.id]] -= j.requested_gpus;
    else
      unplaced.push_back(v);
  }
  // Gavel numbers its GPUs type by type in the order of the types' names (k80, p100, v100);
  // the order only breaks ties between equally cheap matchings.
  std::vector<int> by_name(types);
  std::iota(by_name.begin(), by_name.end(), 0);
  std::sort(by_name.begin(), by_name.end(), [&](int a, int b) {
    return in.cluster->gpu_types()[a] < in.cluster->gpu_types()[b];
  });
  std::vector<int> gpu_type;  // matching column -> type, one per free GPU
  for (int t : by_name)
    for (int g = 0; g < room[t]; ++g) gpu_type.push_back(t);

  const int m = static_cast<int>(unplaced.size());
  const int n = static_cast<int>(gpu_type.size());
  if (m > 0 && n > 0) {
    // Column k * n + g: position k + 1 from the end of GPU g's queue.
    const int cols = n * m;
    std::vector<double> cost(static_cast<std::size_t>(m) * static_cast<std::size_t>(cols));
    for (int i = 0; i < m; ++i) {
      const std::size_t v = unplaced[static_cast<std::size_t>(i)];
      const JobView& j = in.jobs[v];
      const double remaining = std::max(j.iterations_total - j.iterations_done, 0.0);
      for (int g = 0; g < n; ++g) {
        double thr = thr_[v * n_types + static_cast<std::size_t>(gpu_type[g])];
        if (thr <= 0) thr = ZERO_THROUGHPUT;
        const double p = remaining / thr;
        for (int k = 0; k < m; ++k)
          cost[static_cast<std::size_t>(i) * cols + static_cast<std::size_t>(k * n + g)] =
              (k + 1) * p;
      }
    }
    const std::vector<int> col = min_cost_assignment(cost, m, cols);
    // Each GPU's first job is the one farthest from the end of its queue.
    std::vector<int> first(n, -1), first_pos(n, -1);
    for (int i = 0; i < m; ++i) {
      const int g = col[i] % n;
      const int k = col[i] / n;
      if (k > first_pos[g]) first_pos[g] = k, first[g] = i;
    }
    for (int g = 0; g < n; ++g) {
      if (first[g] < 0) continue;
      const JobView& j = in.jobs[unplaced[static_cast<std::size_t>(first[g])]];
      type_of_[j.id] = gpu_type[g];
    }
  }

  std::vector<double> x(in.jobs.size() * n_types, 0.0);
  for (std::size_t v = 0; v < in.jobs.size(); ++v) {
    const int t = type_of_[in.jobs[v].id];
    if (t >= 0) x[v * n_types + static_cast<std::size_t>(t)] = 1.0;
  }
  return x;
}

void GavelAlloxAllocation::save(PolicyStateWriter& w) const {
  w.put(type_of_.size());
  for (int t : type_of_) w.put(t);
}

void GavelAlloxAllocation::restore(PolicyStateReader& r) {
  type_of_.resize(r.get_count(std::size_t{1} << 32));
  for (int& t : type_of_) t = static_cast<int>(r.get_int());
}

}  // namespace dlsched
