#include "sched/policies/pollux_search.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

#include "core/error.h"
#include "sched/policies/pollux_workspace.h"

namespace dlsched {

void SearchRandom::seed(std::uint64_t seed) {
  for (std::uint64_t& word : s_) {  // splitmix64
    std::uint64_t z = (seed += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    word = z ^ (z >> 31);
  }
}

namespace {

struct Individual {
  AllocationMatrix x;  // padded rows (PolluxWorkspace)
  std::uint64_t hash = 0;
  double f0 = 0, f1 = 0;  // minimised: -mean, -utility
  double crowding = 0;
};

bool dominates(double a0, double a1, double b0, double b1) {
  return a0 <= b0 && a1 <= b1 && (a0 < b0 || a1 < b1);
}
bool dominates(const Individual& a, const Individual& b) {
  return dominates(a.f0, a.f1, b.f0, b.f1);
}

/// The hashes of the allocations seen (duplicates are dropped, as pymoo does), in open
/// addressing: an insert allocates nothing.
class HashSet {
 public:
  void clear() {
    std::fill(full_.begin(), full_.end(), 0);
    size_ = 0;
  }
  bool insert(std::uint64_t h) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    const std::size_t mask = keys_.size() - 1;
    std::size_t i = (h ^ (h >> 32)) & mask;
    for (; full_[i]; i = (i + 1) & mask)
      if (keys_[i] == h) return false;
    full_[i] = 1;
    keys_[i] = h;
    ++size_;
    return true;
  }

 private:
  void grow() {
    std::vector<std::uint64_t> keys;
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (full_[i]) keys.push_back(keys_[i]);
    keys_.assign(std::max<std::size_t>(256, 2 * keys_.size()), 0);
    full_.assign(keys_.size(), 0);
    size_ = 0;
    for (std::uint64_t h : keys) insert(h);
  }
  std::vector<std::uint64_t> keys_;
  std::vector<char> full_;
  std::size_t size_ = 0;
};

/// NSGA-II's ranking and survival, with its scratch kept from one generation to the next.
class Survival {
 public:
  /// Non-dominated sorting of two objectives: points in order of (f0, f1) join the first
  /// front none of whose members dominates them; the member that could is the one with least
  /// f1 (the front's guard). Front k is members_[start_[k] .. start_[k + 1]).
  void sort_fronts(const std::vector<Individual>& pop);
  std::size_t fronts() const { return start_.size() - 1; }
  const int* front_begin(std::size_t k) const { return members_.data() + start_[k]; }
  const int* front_end(std::size_t k) const { return members_.data() + start_[k + 1]; }

  /// Moves `n` of `pop` into `kept`: whole fronts in rank order, the last one cut by crowding
  /// (widest first, random among equals); the matrices of the others go to `spare`.
  void survive(std::vector<Individual>& pop, std::vector<Individual>& kept, std::size_t n,
               std::vector<AllocationMatrix>& spare, SearchRandom& rng);

 private:
  void set_crowding(std::vector<Individual>& pop, const int* begin, const int* end);

  struct Key {
    double f0, f1;
    int i;
  };
  std::vector<Key> keys_;
  std::vector<int> front_of_, guard_, count_;
  std::vector<double> guard_f1_;
  std::vector<int> members_;
  std::vector<std::size_t> start_;
  std::vector<int> sorted_, front_;
};

void Survival::sort_fronts(const std::vector<Individual>& pop) {
  // Sorting the keys themselves, not indices into pop, saves an indirection per comparison
  // and gives the same order: std::sort moves elements as the comparisons direct it.
  keys_.resize(pop.size());
  for (std::size_t i = 0; i < pop.size(); ++i)
    keys_[i] = {pop[i].f0, pop[i].f1, static_cast<int>(i)};
  std::sort(keys_.begin(), keys_.end(), [](const Key& a, const Key& b) {
    return a.f0 != b.f0 ? a.f0 < b.f0 : a.f1 < b.f1;
  });
  guard_.clear();
  guard_f1_.clear();
  front_of_.resize(keys_.size());
  for (std::size_t s = 0; s < keys_.size(); ++s) {
    const Key& key = keys_[s];
    // The guards' f1 never decreases from one front to the next (a point joins front k + 1
    // only if front k's guard, whose f1 can only fall, dominated it), and a guard with a
    // smaller f1 than the point's dominates it (no earlier point has a larger f0): the
    // linear scan would pass all of those, so it starts after them.
    std::size_t k = std::lower_bound(guard_f1_.begin(), guard_f1_.end(), key.f1) -
                    guard_f1_.begin();
    while (k < guard_.size() && dominates(keys_[guard_[k]].f0, keys_[guard_[k]].f1, key.f0,
                                          key.f1))
      ++k;
    if (k == guard_.size()) {
      guard_.push_back(static_cast<int>(s));
      guard_f1_.push_back(key.f1);
    }
    front_of_[s] = static_cast<int>(k);
    if (key.f1 < guard_f1_[k]) {
      guard_[k] = static_cast<int>(s);
      guard_f1_[k] = key.f1;
    }
  }
  // Members grouped by front, each front in the order its members joined.
  count_.assign(guard_.size() + 1, 0);
  for (int k : front_of_) ++count_[k + 1];
  start_.assign(guard_.size() + 1, 0);
  for (std::size_t k = 1; k < start_.size(); ++k) start_[k] = start_[k - 1] + count_[k];
  members_.resize(keys_.size());
  for (std::size_t k = 0; k + 1 < start_.size(); ++k) count_[k] = 0;
  for (std::size_t s = 0; s < keys_.size(); ++s) {
    const int k = front_of_[s];
    members_[start_[k] + count_[k]++] = keys_[s].i;
  }
}

/// NSGA-II's crowding distance within one front (infinite at the ends, and for fronts of 1-2).
void Survival::set_crowding(std::vector<Individual>& pop, const int* begin, const int* end) {
  if (end - begin <= 2) {
    for (const int* i = begin; i != end; ++i)
      pop[*i].crowding = std::numeric_limits<double>::infinity();
    return;
  }
  for (const int* i = begin; i != end; ++i) pop[*i].crowding = 0;
  sorted_.assign(begin, end);
  for (int m = 0; m < 2; ++m) {
    const auto f = [&](int i) { return m == 0 ? pop[i].f0 : pop[i].f1; };
    std::sort(sorted_.begin(), sorted_.end(), [&](int a, int b) { return f(a) < f(b); });
    const double range = f(sorted_.back()) - f(sorted_.front());
    pop[sorted_.front()].crowding = std::numeric_limits<double>::infinity();
    pop[sorted_.back()].crowding = std::numeric_limits<double>::infinity();
    if (!(range > 0)) continue;
    for (std::size_t k = 1; k + 1 < sorted_.size(); ++k)
      pop[sorted_[k]].crowding += (f(sorted_[k + 1]) - f(sorted_[k - 1])) / range / 2;
  }
}

void Survival::survive(std::vector<Individual>& pop, std::vector<Individual>& kept,
                       std::size_t n, std::vector<AllocationMatrix>& spare, SearchRandom& rng) {
  sort_fronts(pop);
  kept.clear();
  for (std::size_t k = 0; k < fronts() && kept.size() < n; ++k) {
    set_crowding(pop, front_begin(k), front_end(k));
    front_.assign(front_begin(k), front_end(k));
    if (kept.size() + front_.size() > n) {
      std::shuffle(front_.begin(), front_.end(), rng);
      std::stable_sort(front_.begin(), front_.end(),
                       [&](int a, int b) { return pop[a].crowding > pop[b].crowding; });
      front_.resize(n - kept.size());
    }
    for (int i : front_) kept.push_back(std::move(pop[i]));
  }
  for (Individual& i : pop)
    if (!i.x.empty()) spare.push_back(std::move(i.x));
  pop.clear();
}

/// Binary tournament: the dominating one, else the more crowded-apart, else either.
int tournament(const std::vector<Individual>& pop, SearchRandom& rng) {
  const int n = static_cast<int>(pop.size());
  const int a = rng.below(n);
  if (n == 1) return a;
  int b = rng.below(n - 1);
  if (b >= a) ++b;
  if (dominates(pop[a], pop[b])) return a;
  if (dominates(pop[b], pop[a])) return b;
  if (pop[a].crowding > pop[b].crowding) return a;
  if (pop[b].crowding > pop[a].crowding) return b;
  return rng.uniform() < 0.5 ? a : b;
}

}  // namespace

void repair_allocation(const PolluxProblem& p, AllocationMatrix& x, SearchRandom& rng) {
  DLSCHED_EXPECTS(x.size() == static_cast<std::size_t>(p.jobs) * p.nodes,
                  "an allocation of the wrong shape");
  PolluxWorkspace ws(p);
  AllocationMatrix padded(ws.cells());
  ws.pad(x, padded.data());
  ws.repair(padded.data(), rng);
  x = ws.unpad(padded.data());
}

std::pair<double, double> evaluate_allocation(const PolluxProblem& p, const AllocationMatrix& x) {
  DLSCHED_EXPECTS(x.size() == static_cast<std::size_t>(p.jobs) * p.nodes,
                  "an allocation of the wrong shape");
  PolluxWorkspace ws(p);
  AllocationMatrix padded(ws.cells());
  ws.pad(x, padded.data());
  return ws.evaluate(padded.data());
}

SearchResult search_allocation(const PolluxProblem& p, std::vector<AllocationMatrix> seeds,
                               const SearchOptions& o, SearchRandom& rng) {
  DLSCHED_EXPECTS(!seeds.empty() && p.jobs > 0, "the search needs a seed and a job");
  PolluxWorkspace ws(p);
  const std::size_t cells = ws.cells(), stride = cells / p.jobs;
  const std::size_t population = static_cast<std::size_t>(o.population);
  // Matrices are recycled: those the survival drops, and duplicate offspring, serve again.
  std::vector<AllocationMatrix> spare;
  const auto fresh = [&] {
    if (spare.empty()) return AllocationMatrix(cells);
    AllocationMatrix x = std::move(spare.back());
    spare.pop_back();
    return x;
  };
  std::vector<Individual> pop, offspring, kept;
  HashSet seen;
  Survival survival;
  const auto add = [&](AllocationMatrix& x, std::vector<Individual>& to) {
    const std::uint64_t h = ws.hash(x.data());
    if (!seen.insert(h)) {
      spare.push_back(std::move(x));
      return;
    }
    const auto [mean, utility] = ws.evaluate(x.data());
    to.push_back({std::move(x), h, -mean, -utility, 0});
  };
  for (const AllocationMatrix& seed : seeds) {
    DLSCHED_EXPECTS(seed.size() == static_cast<std::size_t>(p.jobs) * p.nodes,
                    "an allocation of the wrong shape");
    AllocationMatrix x = fresh();
    ws.pad(seed, x.data());
    ws.repair(x.data(), rng);
    add(x, pop);
  }
  survival.survive(pop, kept, population, spare, rng);
  std::swap(pop, kept);
  for (int gen = 1; gen < o.generations; ++gen) {
    offspring.clear();
    for (int tries = 0; tries < o.max_mating_tries && offspring.size() < population; ++tries) {
      // Each try mates only for the offspring still missing (pymoo's Mating: n_remaining).
      const int missing = o.population - static_cast<int>(offspring.size());
      for (int mating = 0; mating < (missing + 1) / 2; ++mating) {
        AllocationMatrix a = fresh(), b = fresh();
        const AllocationMatrix& pa = pop[tournament(pop, rng)].x;
        std::copy(pa.begin(), pa.end(), a.begin());
        const AllocationMatrix& pb = pop[tournament(pop, rng)].x;
        std::copy(pb.begin(), pb.end(), b.begin());
        if (rng.uniform() < o.crossover_probability) {
          // Single-point crossover over jobs: rows before the point are swapped.
          const std::size_t point = static_cast<std::size_t>(rng.below(p.jobs));
          std::swap_ranges(a.begin(), a.begin() + point * stride, b.begin());
        }
        for (AllocationMatrix* child : {&a, &b}) {
          ws.mutate(child->data(), rng);
          ws.repair(child->data(), rng);
          if (offspring.size() < population) add(*child, offspring);
          else spare.push_back(std::move(*child));
        }
      }
    }
    for (Individual& i : offspring) pop.push_back(std::move(i));
    survival.survive(pop, kept, population, spare, rng);
    std::swap(pop, kept);
    seen.clear();
    for (const Individual& i : pop) seen.insert(i.hash);
  }
  SearchResult result;
  survival.sort_fronts(pop);
  const Individual* best = nullptr;
  for (const int* i = survival.front_begin(0); i != survival.front_end(0); ++i) {
    result.front.push_back(ws.unpad(pop[*i].x.data()));
    if (!best || pop[*i].f0 < best->f0) best = &pop[*i];
  }
  result.best = ws.unpad(best->x.data());
  result.best_mean = -best->f0;
  result.best_utility = -best->f1;
  return result;
}

}  // namespace dlsched
