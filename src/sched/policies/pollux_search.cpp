#include "sched/policies/pollux_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_set>

#include "core/error.h"

namespace dlsched {

void SearchRandom::seed(std::uint64_t seed) {
  for (std::uint64_t& word : s_) {  // splitmix64
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    word = z ^ (z >> 31);
  }
}

SearchRandom::result_type SearchRandom::operator()() {
  const auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

namespace {

double uniform(SearchRandom& rng) { return rng.uniform(); }
int below(SearchRandom& rng, int n) { return rng.below(n); }

std::uint64_t hash_of(const AllocationMatrix& x) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over 8-byte words
  std::size_t i = 0;
  for (; i + 8 <= x.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, x.data() + i, 8);
    h = (h ^ w) * 1099511628211ull;
    h ^= h >> 29;
  }
  for (; i < x.size(); ++i) h = (h ^ x[i]) * 1099511628211ull;
  return h;
}

/// GPUs and nodes of one row, eight entries at a time (bytes summed in 16-bit lanes; a byte
/// counted as used when it is nonzero).
struct RowStats {
  int total = 0;
  int spread = 0;
};
RowStats row_stats(const std::uint8_t* row, int n_cols) {
  RowStats r;
  int n = 0;
  for (; n + 8 <= n_cols; n += 8) {
    std::uint64_t w;
    std::memcpy(&w, row + n, 8);
    const std::uint64_t lanes = (w & 0x00ff00ff00ff00ffull) + ((w >> 8) & 0x00ff00ff00ff00ffull);
    r.total += static_cast<int>((lanes * 0x0001000100010001ull) >> 48);
    const std::uint64_t nonzero =
        (((w & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full) | w) & 0x8080808080808080ull;
    // One bit per nonzero byte, summed by a multiply (no popcount instruction assumed).
    r.spread += static_cast<int>(((nonzero >> 7) * 0x0101010101010101ull) >> 56);
  }
  for (; n < n_cols; ++n) {
    r.total += row[n];
    r.spread += row[n] > 0;
  }
  return r;
}

struct Individual {
  AllocationMatrix x;
  double f0 = 0, f1 = 0;  // minimised: -mean, -utility
  int rank = 0;
  double crowding = 0;
};

bool dominates(const Individual& a, const Individual& b) {
  return a.f0 <= b.f0 && a.f1 <= b.f1 && (a.f0 < b.f0 || a.f1 < b.f1);
}

/// Non-dominated sorting of two objectives: points in order of (f0, f1) join the first front
/// none of whose members dominates them; the member that could is the one with least f1.
std::vector<std::vector<int>> sort_fronts(const std::vector<Individual>& pop) {
  std::vector<int> order(pop.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return pop[a].f0 != pop[b].f0 ? pop[a].f0 < pop[b].f0 : pop[a].f1 < pop[b].f1;
  });
  std::vector<std::vector<int>> fronts;
  std::vector<int> guard;  // per front: its member with least f1 (then least f0)
  for (int i : order) {
    std::size_t k = 0;
    while (k < fronts.size() && dominates(pop[guard[k]], pop[i])) ++k;
    if (k == fronts.size()) {
      fronts.emplace_back();
      guard.push_back(i);
    }
    fronts[k].push_back(i);
    if (pop[i].f1 < pop[guard[k]].f1) guard[k] = i;
  }
  return fronts;
}

/// NSGA-II's crowding distance within one front (infinite at the ends, and for fronts of 1-2).
void set_crowding(std::vector<Individual>& pop, const std::vector<int>& front) {
  if (front.size() <= 2) {
    for (int i : front) pop[i].crowding = std::numeric_limits<double>::infinity();
    return;
  }
  for (int i : front) pop[i].crowding = 0;
  std::vector<int> sorted = front;
  for (int m = 0; m < 2; ++m) {
    const auto f = [&](int i) { return m == 0 ? pop[i].f0 : pop[i].f1; };
    std::sort(sorted.begin(), sorted.end(), [&](int a, int b) { return f(a) < f(b); });
    const double range = f(sorted.back()) - f(sorted.front());
    pop[sorted.front()].crowding = std::numeric_limits<double>::infinity();
    pop[sorted.back()].crowding = std::numeric_limits<double>::infinity();
    if (!(range > 0)) continue;
    for (std::size_t k = 1; k + 1 < sorted.size(); ++k)
      pop[sorted[k]].crowding += (f(sorted[k + 1]) - f(sorted[k - 1])) / range / 2;
  }
}

/// Keeps `n` of `pop`: whole fronts in rank order, the last one cut by crowding (widest
/// first, random among equals).
std::vector<Individual> survive(std::vector<Individual> pop, std::size_t n, SearchRandom& rng) {
  const auto fronts = sort_fronts(pop);
  std::vector<Individual> kept;
  kept.reserve(n);
  for (std::size_t k = 0; k < fronts.size() && kept.size() < n; ++k) {
    set_crowding(pop, fronts[k]);
    std::vector<int> front = fronts[k];
    for (int i : front) pop[i].rank = static_cast<int>(k);
    if (kept.size() + front.size() > n) {
      std::shuffle(front.begin(), front.end(), rng);
      std::stable_sort(front.begin(), front.end(),
                       [&](int a, int b) { return pop[a].crowding > pop[b].crowding; });
      front.resize(n - kept.size());
    }
    for (int i : front) kept.push_back(std::move(pop[i]));
  }
  return kept;
}

/// Binary tournament: the dominating one, else the more crowded-apart, else either.
int tournament(const std::vector<Individual>& pop, SearchRandom& rng) {
  const int n = static_cast<int>(pop.size());
  const int a = below(rng, n);
  if (n == 1) return a;
  int b = below(rng, n - 1);
  if (b >= a) ++b;
  if (dominates(pop[a], pop[b])) return a;
  if (dominates(pop[b], pop[a])) return b;
  if (pop[a].crowding > pop[b].crowding) return a;
  if (pop[b].crowding > pop[a].crowding) return b;
  return uniform(rng) < 0.5 ? a : b;
}

/// Pollux's mutation (pollux.py, Problem._mutation): each job's row is reset to the current
/// allocation with probability 0.1; each row, with probability 0.1, loses each of its entries
/// with probability 0.1; then an entry is raised to a uniform count between its value and a
/// node's capacity with probability p1 + p2 - p1 p2, p1 spreading 1 over the nodes with a free
/// GPU and p2 spreading 1 over those of them where the job already runs.
void mutate(const PolluxProblem& p, AllocationMatrix& x, SearchRandom& rng) {
  const int J = p.jobs, N = p.nodes;
  for (int j = 0; j < J; ++j)
    if (uniform(rng) < 0.1)
      std::copy(p.base.begin() + j * N, p.base.begin() + (j + 1) * N, x.begin() + j * N);
  for (int j = 0; j < J; ++j)
    if (uniform(rng) < 0.1)
      for (int n = 0; n < N; ++n)
        if (uniform(rng) < 0.1) x[j * N + n] = 0;
  thread_local std::vector<int> free, open, empty_open, running_open;
  free.assign(p.node_gpus.begin(), p.node_gpus.end());
  for (int j = 0; j < J; ++j)
    for (int n = 0; n < N; ++n) free[n] -= x[j * N + n];
  open.clear();  // nodes with a free GPU
  for (int n = 0; n < N; ++n)
    if (free[n] >= 1) open.push_back(n);
  if (open.empty()) return;
  const int m_open = static_cast<int>(open.size());
  const double p1 = 1.0 / m_open;
  // (1 - p1)^k for k = 0..|open|: the chance that none of k entries is raised.
  double miss = 1;
  thread_local std::vector<double> none_of;
  none_of.resize(m_open + 1);
  for (int k = 0; k <= m_open; ++k, miss *= 1 - p1) none_of[k] = miss;
  const auto raise = [&](std::uint8_t& v, int n) {
    v = static_cast<std::uint8_t>(v + below(rng, p.node_gpus[n] - v + 1));
  };
  for (int j = 0; j < J; ++j) {
    std::uint8_t* row = x.data() + static_cast<std::size_t>(j) * N;
    empty_open.clear();
    running_open.clear();
    for (int n : open) (row[n] > 0 ? running_open : empty_open).push_back(n);
    // Where the job runs: each entry with probability p1 + p2 - p1 p2.
    if (!running_open.empty()) {
      const double p2 = 1.0 / static_cast<double>(running_open.size());
      const double q = p1 + p2 - p1 * p2;
      for (int n : running_open)
        if (uniform(rng) < q) raise(row[n], n);
    }
    // Elsewhere each entry with probability p1, independently: a binomial number of them
    // (inverse transform, one draw), at distinct uniform positions; the same distribution as
    // a draw per entry, at a fraction of the draws.
    const int m = static_cast<int>(empty_open.size());
    if (m == 0) continue;
    int hits = m;
    if (p1 < 1) {
      const double u = uniform(rng);
      double pmf = none_of[m], cdf = pmf;
      hits = 0;
      while (u >= cdf && hits < m) {
        pmf *= static_cast<double>(m - hits) / (hits + 1) * p1 / (1 - p1);
        ++hits;
        cdf += pmf;
      }
    }
    for (int h = 0; h < hits; ++h) {  // partial Fisher-Yates
      const int pick = h + below(rng, m - h);
      std::swap(empty_open[h], empty_open[pick]);
      raise(row[empty_open[h]], empty_open[h]);
    }
  }
}

}  // namespace

void repair_allocation(const PolluxProblem& p, AllocationMatrix& x, SearchRandom& rng) {
  const int J = p.jobs, N = p.nodes;
  thread_local std::vector<char> taken;  // nodes already holding a distributed job
  thread_local std::vector<int> order, used;
  taken.assign(N, 0);
  order.resize(N);
  for (int j = 0; j < J; ++j) {
    std::uint8_t* row = x.data() + static_cast<std::size_t>(j) * N;
    auto [total, spread] = row_stats(row, N);
    if (p.avoid_interference && spread > 1) {
      for (int n = 0; n < N; ++n)
        if (row[n] > 0) {
          if (taken[n]) {
            total -= row[n];
            --spread;
            row[n] = 0;
          }
          taken[n] = 1;
        }
    }
    if (total <= p.max_replicas[j] && spread <= p.max_nodes_per_job) continue;
    // Keep max_replicas GPUs on at most max_nodes_per_job nodes, in a random node order.
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    int left = p.max_replicas[j], nodes_left = p.max_nodes_per_job;
    for (int n : order) {
      std::uint8_t& v = row[n];
      if (v == 0) continue;
      if (nodes_left == 0) {
        v = 0;
        continue;
      }
      v = static_cast<std::uint8_t>(std::min<int>(v, left));
      left -= v;
      if (v > 0) --nodes_left;
    }
  }
  // Node capacity, earlier jobs first (only nodes over it change).
  used.assign(N, 0);
  for (int j = 0; j < J; ++j)
    for (int n = 0; n < N; ++n) used[n] += x[static_cast<std::size_t>(j) * N + n];
  for (int n = 0; n < N; ++n) {
    if (used[n] <= p.node_gpus[n]) continue;
    int left = p.node_gpus[n];
    for (int j = 0; j < J; ++j) {
      std::uint8_t& v = x[static_cast<std::size_t>(j) * N + n];
      v = static_cast<std::uint8_t>(std::min<int>(v, left));
      left -= v;
    }
  }
}

std::pair<double, double> evaluate_allocation(const PolluxProblem& p, const AllocationMatrix& x) {
  const int J = p.jobs, N = p.nodes;
  double sum = 0, log_sum = 0, raw_sum = 0;
  thread_local std::vector<char> used;
  used.assign(N, 0);
  for (int j = 0; j < J; ++j) {
    const std::uint8_t* row = x.data() + static_cast<std::size_t>(j) * N;
    const auto [replicas, spread] = row_stats(row, N);
    const bool moved = std::memcmp(row, p.base.data() + static_cast<std::size_t>(j) * N, N) != 0;
    if (replicas > 0)
      for (int n = 0; n < N; ++n) used[n] |= row[n];
    const double raw = replicas > 0 ? p.speedup(j, spread, replicas) : 0.0;
    raw_sum += raw;
    double scaled = raw * p.speedup_scale;
    if (moved) scaled *= p.restart_factor[j];
    if (p.fairness_p == 0) log_sum += std::log(std::max(scaled, 1e-3));
    else if (p.fairness_p == -1) sum += 1 / (scaled + 1e-3);  // pow() is slow
    else sum += std::pow(scaled + 1e-3, p.fairness_p);
  }
  const double mean = p.fairness_p == 0    ? std::exp(log_sum / J)
                     : p.fairness_p == -1 ? J / sum
                                          : std::pow(sum / J, 1.0 / p.fairness_p);
  int gpus = 0;
  for (int n = 0; n < N; ++n) gpus += used[n] ? p.node_gpus[n] : 0;
  return {mean, gpus > 0 ? raw_sum / gpus : 0.0};
}

SearchResult search_allocation(const PolluxProblem& p, std::vector<AllocationMatrix> seeds,
                               const SearchOptions& o, SearchRandom& rng) {
  DLSCHED_EXPECTS(!seeds.empty() && p.jobs > 0, "the search needs a seed and a job");
  const std::size_t cells = static_cast<std::size_t>(p.jobs) * p.nodes;
  std::vector<Individual> pop;
  std::unordered_set<std::uint64_t> seen;
  const auto add = [&](AllocationMatrix x, std::vector<Individual>& to) {
    DLSCHED_EXPECTS(x.size() == cells, "an allocation of the wrong shape");
    if (!seen.insert(hash_of(x)).second) return;  // duplicates are dropped, as pymoo does
    const auto [mean, utility] = evaluate_allocation(p, x);
    to.push_back({std::move(x), -mean, -utility});
  };
  for (AllocationMatrix& x : seeds) {
    repair_allocation(p, x, rng);
    add(std::move(x), pop);
  }
  pop = survive(std::move(pop), o.population, rng);
  for (int gen = 1; gen < o.generations; ++gen) {
    std::vector<Individual> offspring;
    for (int tries = 0; tries < o.max_mating_tries &&
                        offspring.size() < static_cast<std::size_t>(o.population);
         ++tries) {
      // Each try mates only for the offspring still missing (pymoo's Mating: n_remaining).
      const int missing = o.population - static_cast<int>(offspring.size());
      for (int mating = 0; mating < (missing + 1) / 2; ++mating) {
        AllocationMatrix a = pop[tournament(pop, rng)].x;
        AllocationMatrix b = pop[tournament(pop, rng)].x;
        if (uniform(rng) < o.crossover_probability) {
          // Single-point crossover over jobs: rows before the point are swapped.
          const int point = below(rng, p.jobs);
          for (int j = 0; j < point; ++j)
            std::swap_ranges(a.begin() + j * p.nodes, a.begin() + (j + 1) * p.nodes,
                             b.begin() + j * p.nodes);
        }
        for (AllocationMatrix* child : {&a, &b}) {
          mutate(p, *child, rng);
          repair_allocation(p, *child, rng);
          if (offspring.size() < static_cast<std::size_t>(o.population))
            add(std::move(*child), offspring);
        }
      }
    }
    for (Individual& i : offspring) pop.push_back(std::move(i));
    pop = survive(std::move(pop), o.population, rng);
    seen.clear();
    for (const Individual& i : pop) seen.insert(hash_of(i.x));
  }
  SearchResult result;
  const auto fronts = sort_fronts(pop);
  const Individual* best = nullptr;
  for (int i : fronts.front()) {
    result.front.push_back(pop[i].x);
    if (!best || pop[i].f0 < best->f0) best = &pop[i];
  }
  result.best = best->x;
  result.best_mean = -best->f0;
  result.best_utility = -best->f1;
  return result;
}

}  // namespace dlsched
