#include "sched/policies/python_random.h"

#include <bit>
#include <cmath>
#include <unordered_set>

namespace dlsched {

void PythonRandom::seed_with(std::uint64_t seed) {
  // The key: |seed| as 32-bit words, least significant first; 0 is the one word 0.
  std::vector<std::uint32_t> key{static_cast<std::uint32_t>(seed)};
  if (seed >> 32) key.push_back(static_cast<std::uint32_t>(seed >> 32));
  // init_genrand(19650218), then init_by_array (Matsumoto and Nishimura, 2002).
  mt_[0] = 19650218U;
  for (int i = 1; i < N; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  std::size_t i = 1, j = 0;
  for (std::size_t k = std::max<std::size_t>(N, key.size()); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<std::uint32_t>(j);
    if (++i >= N) mt_[0] = mt_[N - 1], i = 1;
    if (++j >= key.size()) j = 0;
  }
  for (std::size_t k = N - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
             static_cast<std::uint32_t>(i);
    if (++i >= N) mt_[0] = mt_[N - 1], i = 1;
  }
  mt_[0] = 0x80000000U;
  index_ = N;
}

std::uint32_t PythonRandom::next() {
  constexpr std::uint32_t upper = 0x80000000U, lower = 0x7fffffffU, matrix = 0x9908b0dfU;
  if (index_ >= N) {
    for (int k = 0; k < N; ++k) {
      const std::uint32_t y = (mt_[k] & upper) | (mt_[(k + 1) % N] & lower);
      mt_[k] = mt_[(k + 397) % N] ^ (y >> 1) ^ ((y & 1U) ? matrix : 0U);
    }
    index_ = 0;
  }
  std::uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

std::uint32_t PythonRandom::getrandbits(int k) { return next() >> (32 - k); }

std::uint64_t PythonRandom::below(std::uint64_t n) {
  const int k = std::bit_width(n);
  std::uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::vector<std::size_t> PythonRandom::sample_positions(std::size_t n, std::size_t k) {
  std::vector<std::size_t> out;
  std::size_t setsize = 21;
  if (k > 5)
    setsize += static_cast<std::size_t>(std::pow(4, std::ceil(std::log(k * 3.0) / std::log(4.0))));
  if (n <= setsize) {
    // A pool: each pick is replaced by the pool's last live entry.
    std::vector<std::size_t> pool(n);
    for (std::size_t i = 0; i < n; ++i) pool[i] = i;
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t j = below(n - i);
      out.push_back(pool[j]);
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<std::size_t> chosen;
    for (std::size_t i = 0; i < k; ++i) {
      std::size_t j = below(n);
      while (chosen.count(j)) j = below(n);
      chosen.insert(j);
      out.push_back(j);
    }
  }
  return out;
}

void PythonRandom::save(PolicyStateWriter& w) const {
  w.put(index_);
  for (std::uint32_t v : mt_) w.put(static_cast<std::int64_t>(v));
}

void PythonRandom::restore(PolicyStateReader& r) {
  index_ = static_cast<int>(r.get_count(N));
  for (std::uint32_t& v : mt_) v = static_cast<std::uint32_t>(r.get_count(0xffffffffU));
}

}  // namespace dlsched
