// The allocation search of Pollux's scheduler (Qiao et al., OSDI 2021, section 4.2;
// petuum/adaptdl, branch osdi21-artifact, simulator/pollux.py): a genetic algorithm over
// allocation matrices (GPUs of each job on each node), in the form of NSGA-II with two
// objectives, the fairness-weighted mean of the jobs' speedups and the cluster's utility.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace dlsched {

/// The search's random numbers: xoshiro256** (Blackman and Vigna), seeded through splitmix64;
/// much cheaper than std::mt19937_64, and the search draws several numbers per matrix entry.
class SearchRandom {
 public:
  using result_type = std::uint64_t;
  explicit SearchRandom(std::uint64_t seed = 1) { this->seed(seed); }
  void seed(std::uint64_t seed);
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {  // inline: the search draws tens of numbers per allocation
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
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  /// The draw of uniform() as an integer k (uniform() = k 2^-53), and the integer form of a
  /// probability p: k 2^-53 < p exactly when k < draw_threshold(p), so that comparison needs
  /// no conversion and gives the same outcome.
  std::uint64_t draw53() { return (*this)() >> 11; }
  static std::uint64_t draw_threshold(double p) {
    if (!(p > 0)) return 0;
    if (p >= 1) return std::uint64_t{1} << 53;
    return static_cast<std::uint64_t>(std::ceil(std::ldexp(p, 53)));
  }
  /// Uniform in {0, ..., n - 1}.
  int below(int n) { return static_cast<int>(uniform() * n); }

 private:
  std::uint64_t s_[4];
};

/// A J x N allocation, row-major: GPUs of job j on node n at [j * N + n].
using AllocationMatrix = std::vector<std::uint8_t>;  // nodes of at most 255 GPUs

/// One decision's search problem.
struct PolluxProblem {
  int jobs = 0;
  int nodes = 0;
  std::vector<int> node_gpus;     ///< capacity of each node
  std::vector<int> max_replicas;  ///< per job
  int max_nodes_per_job = 16;     ///< pollux.py, Problem._repair: max_nodes = 16
  bool avoid_interference = true; ///< at most one distributed job per node
  AllocationMatrix base;          ///< the current allocation
  /// Speedup of job j on `replicas` GPUs over `nodes` nodes (0 for 0 replicas).
  std::function<double(int job, int nodes, int replicas)> speedup;
  /// Multiplies a job's speedup when its row differs from `base` (the restart penalty).
  std::vector<double> restart_factor;
  /// Speedups are scaled by this before the mean (a share of one node counts as 1).
  double speedup_scale = 1;
  double fairness_p = -1;  ///< exponent of the generalised mean (0: geometric)
};

struct SearchOptions {
  int population = 100;   ///< pollux.py: NSGA2(pop_size=100)
  int generations = 100;  ///< pollux.py: ("n_gen", 100), the initial population counted
  double crossover_probability = 0.9;  ///< pymoo's Crossover default
  int max_mating_tries = 100;          ///< pymoo's Mating: n_max_iterations
};

struct SearchResult {
  AllocationMatrix best;                 ///< the front's member with the best mean speedup
  std::vector<AllocationMatrix> front;   ///< the final non-dominated set (seeds the next search)
  double best_mean = 0;
  double best_utility = 0;
};

/// Repairs `x` in place as Pollux does: one distributed job per node (if avoided), each job
/// within max_replicas and max_nodes_per_job (excess removed from nodes in a random order),
/// nodes within capacity (earlier jobs first).
void repair_allocation(const PolluxProblem& problem, AllocationMatrix& x, SearchRandom& rng);

/// The two objectives: the generalised mean of the scaled, restart-penalised speedups, and
/// the utility (sum of speedups over the GPUs of the nodes in use; 0 if none).
std::pair<double, double> evaluate_allocation(const PolluxProblem& problem,
                                              const AllocationMatrix& x);

/// Runs the search from `seeds` (at least one; repaired first).
SearchResult search_allocation(const PolluxProblem& problem, std::vector<AllocationMatrix> seeds,
                               const SearchOptions& options, SearchRandom& rng);

}  // namespace dlsched
