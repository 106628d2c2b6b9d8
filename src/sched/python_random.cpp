#include "sched/python_random.h"

#include <bit>
#include <cmath>
#include <unordered_set>

namespace dlsched {
namespace {

constexpr std::uint32_t MATRIX_A = 0x9908b0dfU;
constexpr std::uint32_t UPPER_MASK = 0x80000000U;
constexpr std::uint32_t LOWER_MASK = 0x7fffffffU;

}  // namespace

void PythonRandom::seed_with(std::uint64_t seed) {
  // CPython splits the seed's absolute value into 32-bit words, least significant first
  // (at least one word), and hands them to MT19937's init_by_array.
  std::uint32_t key[2] = {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  const int key_length = key[1] != 0 ? 2 : 1;
  // init_genrand(19650218)
  mt_[0] = 19650218U;
  for (int i = 1; i < N; ++i)
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
  // init_by_array(key)
  int i = 1, j = 0;
  for (int k = N > key_length ? N : key_length; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<std::uint32_t>(j);
    ++i, ++j;
    if (i >= N) mt_[0] = mt_[N - 1], i = 1;
    if (j >= key_length) j = 0;
  }
  for (int k = N - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
             static_cast<std::uint32_t>(i);
    ++i;
    if (i >= N) mt_[0] = mt_[N - 1], i = 1;
  }
  mt_[0] = 0x80000000U;  // a non-zero initial state
  index_ = N;
}

std::uint32_t PythonRandom::next_word() {
  if (index_ >= N) {
    for (int k = 0; k < N; ++k) {
      const std::uint32_t y = (mt_[k] & UPPER_MASK) | (mt_[(k + 1) % N] & LOWER_MASK);
      mt_[k] = mt_[(k + 397) % N] ^ (y >> 1) ^ ((y & 1U) ? MATRIX_A : 0U);
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

std::uint32_t PythonRandom::below(std::uint32_t n) {
  const int k = std::bit_width(n);
  std::uint32_t r = bits(k);
  while (r >= n) r = bits(k);
  return r;
}

std::vector<std::size_t> PythonRandom::sample_positions(std::size_t n, std::size_t k) {
  std::vector<std::size_t> out;
  std::size_t setsize = 21;
  if (k > 5)
    setsize += static_cast<std::size_t>(std::pow(4, std::ceil(std::log(k * 3.0) / std::log(4.0))));
  const auto draw = [this](std::size_t bound) {
    return static_cast<std::size_t>(below(static_cast<std::uint32_t>(bound)));
  };
  if (n <= setsize) {
    // A pool: each pick is replaced by the pool's last live entry.
    std::vector<std::size_t> pool(n);
    for (std::size_t i = 0; i < n; ++i) pool[i] = i;
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t j = draw(n - i);
      out.push_back(pool[j]);
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<std::size_t> chosen;
    for (std::size_t i = 0; i < k; ++i) {
      std::size_t j = draw(n);
      while (chosen.count(j)) j = draw(n);
      chosen.insert(j);
      out.push_back(j);
    }
  }
  return out;
}

void PythonRandom::save(PolicyStateWriter& w) const {
  w.put(index_);
  for (std::uint32_t v : mt_) w.put(v);
}

void PythonRandom::restore(PolicyStateReader& r) {
  index_ = static_cast<int>(r.get_count(N));
  for (std::uint32_t& v : mt_) v = static_cast<std::uint32_t>(r.get_count(0xffffffffU));
}

}  // namespace dlsched
