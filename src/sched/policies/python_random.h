// The random numbers of CPython's `random` module: MT19937 seeded from an integer as
// random.seed(n) seeds it (init_by_array over the 32-bit words of |n|), getrandbits, the
// rejection sampling of randrange and the two ways random.sample draws. Policies ported from
// a Python simulator that draws with `random` (Gavel's Gandiva) use it, so that --seed N makes
// the same draws as the reference run with seed N.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sched/policy_state.h"

namespace dlsched {

class PythonRandom {
 public:
  explicit PythonRandom(std::uint64_t seed = 0) { seed_with(seed); }
  /// random.seed(seed) for a non-negative integer.
  void seed_with(std::uint64_t seed);
  /// random.getrandbits(k), 1 <= k <= 32.
  std::uint32_t getrandbits(int k);
  /// random.randrange(n) (its _randbelow), n >= 1.
  std::uint64_t below(std::uint64_t n);
  /// The positions random.sample(population, k) picks in a population of n, in draw order.
  std::vector<std::size_t> sample_positions(std::size_t n, std::size_t k);

  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  static constexpr int N = 624;
  std::uint32_t next();
  std::array<std::uint32_t, N> mt_{};
  int index_ = N;
};

}  // namespace dlsched
