// A Mersenne Twister (MT19937, Matsumoto and Nishimura 1998) seeded and drawn from exactly as
// CPython's `random` module does it: random.Random(seed), randrange(n), shuffle(list) and
// sample(population, k).
// Why: some reference simulators (Gavel's) are Python programs whose policies draw from
// `random`. With the same seed, a policy that draws through this class makes the same
// choices, so a seeded reference run can be compared with dlsched job by job, not only on
// averages over seeds.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "sched/policy_state.h"

namespace dlsched {

class PythonRandom {
 public:
  /// random.Random(seed) for a non-negative integer seed.
  explicit PythonRandom(std::uint64_t seed = 0) { seed_with(seed); }
  void seed_with(std::uint64_t seed);

  /// The generator's next 32-bit word (MT19937's genrand_int32).
  std::uint32_t next_word();
  /// random.getrandbits(k) for 1 <= k <= 32: the top k bits of the next word.
  std::uint32_t bits(int k) { return next_word() >> (32 - k); }
  /// random.randrange(n) for 1 <= n < 2^32: k = bit length of n; draw k bits until below n.
  std::uint32_t below(std::uint32_t n);
  /// random.shuffle(items): for i from the last index down to 1, swap item i with item
  /// below(i + 1).
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i-- > 1;)
      std::swap(items[i], items[below(static_cast<std::uint32_t>(i + 1))]);
  }

  /// The positions random.sample(population, k) picks from a population of n, in draw order
  /// (a pool for small populations, rejection of repeats for large ones, as CPython chooses).
  std::vector<std::size_t> sample_positions(std::size_t n, std::size_t k);

  /// The whole state, for a checkpoint of the run.
  void save(PolicyStateWriter& w) const;
  void restore(PolicyStateReader& r);

 private:
  static constexpr int N = 624;
  std::array<std::uint32_t, N> mt_{};
  int index_ = N;
};

}  // namespace dlsched
