#include "sched/policies/pollux_workspace.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <bit>
#include <numeric>
#include <random>

namespace dlsched {
namespace {

std::uint64_t load(const std::uint8_t* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

/// Sum of the eight bytes of `w` (summed in 16-bit lanes).
int byte_sum(std::uint64_t w) {
  const std::uint64_t lanes = (w & 0x00ff00ff00ff00ffull) + ((w >> 8) & 0x00ff00ff00ff00ffull);
  return static_cast<int>((lanes * 0x0001000100010001ull) >> 48);
}

/// How many bytes of `w` are nonzero (one bit per byte, summed by a multiply: no popcount
/// instruction assumed).
int nonzero_bytes(std::uint64_t w) {
  const std::uint64_t nonzero =
      (((w & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full) | w) & 0x8080808080808080ull;
  return static_cast<int>(((nonzero >> 7) * 0x0101010101010101ull) >> 56);
}

/// One bit per nonzero byte of `w`, byte i to bit i.
std::uint64_t nonzero_bits(std::uint64_t w) {
  const std::uint64_t nonzero =
      (((w & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full) | w) & 0x8080808080808080ull;
  return (nonzero * 0x02040810204081ull) >> 56;
}

int bit_count(std::uint64_t m) {  // no popcount instruction assumed
  m -= (m >> 1) & 0x5555555555555555ull;
  m = (m & 0x3333333333333333ull) + ((m >> 2) & 0x3333333333333333ull);
  m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((m * 0x0101010101010101ull) >> 56);
}

/// Calls f(n) for each set bit n of the node mask `m` (words of 64 nodes), in node order.
template <typename F>
void for_each_node(const std::uint64_t* m, std::size_t words, F&& f) {
  for (std::size_t w = 0; w < words; ++w)
    for (std::uint64_t bits = m[w]; bits != 0; bits &= bits - 1)
      f(static_cast<int>(64 * w) + std::countr_zero(bits));
}

}  // namespace

PolluxWorkspace::PolluxWorkspace(const PolluxProblem& problem)
    : p_(problem),
      jobs_(problem.jobs),
      nodes_(problem.nodes),
      stride_((static_cast<std::size_t>(problem.nodes) + 7) / 8 * 8),
      words_(stride_ / 8),
      cells_(static_cast<std::size_t>(problem.jobs) * stride_) {
  base_.assign(cells_, 0);
  if (p_.base.size() == static_cast<std::size_t>(jobs_) * nodes_) pad(p_.base, base_.data());
  capacity_.assign(stride_, 0);
  std::copy(p_.node_gpus.begin(), p_.node_gpus.end(), capacity_.begin());
  // After repair a row holds at most max_replicas GPUs on at most max_nodes_per_job nodes (and
  // no more than the cluster's); rarer shapes (evaluate_allocation on unrepaired input) are
  // computed without the memo.
  const int gpus = std::accumulate(p_.node_gpus.begin(), p_.node_gpus.end(), 0);
  std::size_t size = 0;
  for (int j = 0; j < jobs_; ++j) {
    const int replicas = std::clamp(p_.max_replicas[j], 0, gpus);
    const int spread = std::clamp(std::min(p_.max_nodes_per_job, replicas), 0, nodes_);
    term_offset_.push_back(size);
    term_replicas_.push_back(replicas);
    term_spread_.push_back(spread);
    size += static_cast<std::size_t>(replicas + 1) * (spread + 1);
  }
  const double unknown = std::numeric_limits<double>::quiet_NaN();
  terms_.assign(size, Term{unknown, 0, 0});
  open_tables_.resize(nodes_ + 1);
  empty_.resize(nodes_);
  order_.resize(nodes_);
  in_use_.assign(words_, 0);
  mask_words_ = (static_cast<std::size_t>(nodes_) + 63) / 64;
  open_mask_.assign(mask_words_, 0);
  row_mask_.assign(mask_words_, 0);
  taken_mask_.assign(mask_words_, 0);
  lanes_.assign(4 * words_, 0);
  capacity_lanes_.assign(4 * words_, 0);
  for (int n = 0; n < nodes_; ++n)
    capacity_lanes_[4 * (n / 8) + n % 4] |= static_cast<std::uint64_t>(capacity_[n])
                                            << (32 * ((n % 8) / 4));
}

[[gnu::always_inline]] inline void PolluxWorkspace::row_mask(const std::uint8_t* row) {
  std::fill(row_mask_.begin(), row_mask_.end(), 0);
  for (std::size_t w = 0; w < words_; ++w)
    row_mask_[w / 8] |= nonzero_bits(load(row + 8 * w)) << (8 * (w % 8));
}

void PolluxWorkspace::pad(const AllocationMatrix& x, std::uint8_t* out) const {
  std::memset(out, 0, cells_);
  for (int j = 0; j < jobs_; ++j)
    std::memcpy(out + j * stride_, x.data() + static_cast<std::size_t>(j) * nodes_, nodes_);
}

AllocationMatrix PolluxWorkspace::unpad(const std::uint8_t* x) const {
  AllocationMatrix out(static_cast<std::size_t>(jobs_) * nodes_);
  for (int j = 0; j < jobs_; ++j)
    std::memcpy(out.data() + static_cast<std::size_t>(j) * nodes_, x + j * stride_, nodes_);
  return out;
}

std::uint64_t PolluxWorkspace::hash(const std::uint8_t* x) const {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a over 8-byte words
  for (std::size_t i = 0; i < cells_; i += 8) {
    h = (h ^ load(x + i)) * 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

[[gnu::always_inline]] inline void PolluxWorkspace::column_sums(const std::uint8_t* x) {
  // Byte r and r + 4 of each word summed in the two 32-bit lanes of lanes_[4 w + r]: no sum
  // of fewer than 2^23 rows can overflow, and no carry crosses a lane.
  std::fill(lanes_.begin(), lanes_.end(), 0);
  for (int j = 0; j < jobs_; ++j) {
    const std::uint8_t* row = x + j * stride_;
    for (std::size_t w = 0; w < words_; ++w) {
      const std::uint64_t word = load(row + 8 * w);
      for (int r = 0; r < 4; ++r) lanes_[4 * w + r] += (word >> (8 * r)) & 0x000000ff000000ffull;
    }
  }
}

[[gnu::always_inline]] inline void PolluxWorkspace::nodes_within(int extra,
                                                                 std::uint64_t* mask) const {
  // Per lane, (capacity + 2^31) - (sum + extra) keeps bit 31 iff sum + extra <= capacity.
  constexpr std::uint64_t kHigh = 0x8000000080000000ull, kOne = 0x0000000100000001ull;
  std::fill(mask, mask + mask_words_, 0);
  for (std::size_t w = 0; w < words_; ++w) {
    std::uint64_t bits = 0;
    for (int r = 0; r < 4; ++r) {
      const std::uint64_t d =
          (capacity_lanes_[4 * w + r] | kHigh) - (lanes_[4 * w + r] + extra * kOne);
      const std::uint64_t b = (d >> 31) & kOne;  // bits 0 and 32: bytes r and r + 4
      bits |= ((b | (b >> 28)) & 0x11) << r;
    }
    mask[w / 8] |= bits << (8 * (w % 8));
  }
}

const PolluxWorkspace::OpenTables& PolluxWorkspace::open_tables(int open) {
  OpenTables& t = open_tables_[open];
  if (!t.raise_running.empty()) return t;
  // The arithmetic of the plain statement, operation for operation (see mutate).
  const double p1 = 1.0 / open;
  t.raise_running.assign(open + 1, 0);
  for (int k = 1; k <= open; ++k) {
    const double p2 = 1.0 / static_cast<double>(k);
    t.raise_running[k] = SearchRandom::draw_threshold(p1 + p2 - p1 * p2);
  }
  std::vector<double> none_of(open + 1);  // (1 - p1)^k, by repeated products
  double miss = 1;
  for (int k = 0; k <= open; ++k, miss *= 1 - p1) none_of[k] = miss;
  t.cdf.assign(static_cast<std::size_t>(open + 1) * (open + 2) / 2, 0);
  for (int m = 0; m <= open; ++m) {
    std::uint64_t* cdf = t.cdf.data() + static_cast<std::size_t>(m) * (m + 1) / 2;
    double pmf = none_of[m], sum = pmf;
    cdf[0] = SearchRandom::draw_threshold(sum);
    for (int hits = 0; hits < m; ++hits) {
      pmf *= static_cast<double>(m - hits) / (hits + 1) * p1 / (1 - p1);
      sum += pmf;
      cdf[hits + 1] = SearchRandom::draw_threshold(sum);
    }
  }
  return t;
}

// Pollux's mutation (pollux.py, Problem._mutation): each job's row is reset to the current
// allocation with probability 0.1; each row, with probability 0.1, loses each of its entries
// with probability 0.1; then an entry is raised to a uniform count between its value and a
// node's capacity with probability p1 + p2 - p1 p2, p1 spreading 1 over the nodes with a free
// GPU and p2 spreading 1 over those of them where the job already runs.
void PolluxWorkspace::mutate(std::uint8_t* x, SearchRandom& rng) {
  const int J = jobs_, N = nodes_;
  static const std::uint64_t tenth = SearchRandom::draw_threshold(0.1);  // uniform() < 0.1
  for (int j = 0; j < J; ++j)
    if (rng.draw53() < tenth) std::memcpy(x + j * stride_, base_.data() + j * stride_, stride_);
  for (int j = 0; j < J; ++j)
    if (rng.draw53() < tenth)
      for (int n = 0; n < N; ++n)
        if (rng.draw53() < tenth) x[j * stride_ + n] = 0;
  column_sums(x);
  nodes_within(1, open_mask_.data());  // nodes with a free GPU
  int open = 0;
  for (std::uint64_t m : open_mask_) open += bit_count(m);
  if (open == 0) return;
  const OpenTables& t = open_tables(open);
  const bool all_open_raised = open == 1;  // p1 = 1
  const auto raise = [&](std::uint8_t& v, int n) {
    v = static_cast<std::uint8_t>(v + rng.below(capacity_[n] - v + 1));
  };
  for (int j = 0; j < J; ++j) {
    std::uint8_t* row = x + j * stride_;
    row_mask(row);
    int running = 0, empty = 0;
    for (std::size_t w = 0; w < mask_words_; ++w) {
      running += bit_count(open_mask_[w] & row_mask_[w]);
      empty += bit_count(open_mask_[w] & ~row_mask_[w]);
    }
    // Where the job runs: each entry with probability p1 + p2 - p1 p2.
    if (running > 0) {
      const std::uint64_t q = t.raise_running[running];
      for (std::size_t w = 0; w < mask_words_; ++w)
        for (std::uint64_t bits = open_mask_[w] & row_mask_[w]; bits != 0; bits &= bits - 1) {
          const int n = static_cast<int>(64 * w) + std::countr_zero(bits);
          if (rng.draw53() < q) raise(row[n], n);
        }
    }
    // Elsewhere each entry with probability p1, independently: a binomial number of them
    // (inverse transform, one draw), at distinct uniform positions; the same distribution as
    // a draw per entry, at a fraction of the draws.
    if (empty == 0) continue;
    int hits = empty;
    if (!all_open_raised) {
      const std::uint64_t u = rng.draw53();
      const std::uint64_t* cdf =
          t.cdf.data() + static_cast<std::size_t>(empty) * (empty + 1) / 2;
      hits = 0;
      while (u >= cdf[hits] && hits < empty) ++hits;
    }
    if (hits == 0) continue;
    int k = 0;  // the empty open nodes, in node order
    for (std::size_t w = 0; w < mask_words_; ++w)
      for (std::uint64_t bits = open_mask_[w] & ~row_mask_[w]; bits != 0; bits &= bits - 1)
        empty_[k++] = static_cast<int>(64 * w) + std::countr_zero(bits);
    for (int h = 0; h < hits; ++h) {  // partial Fisher-Yates
      const int pick = h + rng.below(empty - h);
      std::swap(empty_[h], empty_[pick]);
      raise(row[empty_[h]], empty_[h]);
    }
  }
}

void PolluxWorkspace::repair(std::uint8_t* x, SearchRandom& rng) {
  const int J = jobs_, N = nodes_;
  std::fill(taken_mask_.begin(), taken_mask_.end(), 0);  // nodes holding a distributed job
  for (int j = 0; j < J; ++j) {
    std::uint8_t* row = x + j * stride_;
    int total = 0, spread = 0;
    for (std::size_t w = 0; w < words_; ++w) {
      const std::uint64_t word = load(row + 8 * w);
      total += byte_sum(word);
      spread += nonzero_bytes(word);
    }
    if (p_.avoid_interference && spread > 1) {
      row_mask(row);
      for (std::size_t w = 0; w < mask_words_; ++w) {
        for (std::uint64_t bits = row_mask_[w] & taken_mask_[w]; bits != 0; bits &= bits - 1) {
          std::uint8_t& v = row[64 * w + std::countr_zero(bits)];
          total -= v;
          --spread;
          v = 0;
        }
        taken_mask_[w] |= row_mask_[w];
      }
    }
    if (total <= p_.max_replicas[j] && spread <= p_.max_nodes_per_job) continue;
    // Keep max_replicas GPUs on at most max_nodes_per_job nodes, in a random node order.
    std::iota(order_.begin(), order_.end(), 0);
    std::shuffle(order_.begin(), order_.end(), rng);
    int left = p_.max_replicas[j], nodes_left = p_.max_nodes_per_job;
    for (int n : order_) {
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
  column_sums(x);
  nodes_within(0, row_mask_.data());
  for (std::size_t w = 0; w < mask_words_; ++w) {
    std::uint64_t over = ~row_mask_[w];
    if (w + 1 == mask_words_ && N % 64 != 0) over &= (std::uint64_t{1} << (N % 64)) - 1;
    for (; over != 0; over &= over - 1) {
      const int n = static_cast<int>(64 * w) + std::countr_zero(over);
      int left = capacity_[n];
      for (int j = 0; j < J; ++j) {
        std::uint8_t& v = x[j * stride_ + n];
        v = static_cast<std::uint8_t>(std::min<int>(v, left));
        left -= v;
      }
    }
  }
}

double PolluxWorkspace::contribution(int job, double raw, bool moved) const {
  double scaled = raw * p_.speedup_scale;
  if (moved) scaled *= p_.restart_factor[job];
  if (p_.fairness_p == 0) return std::log(std::max(scaled, 1e-3));
  if (p_.fairness_p == -1) return 1 / (scaled + 1e-3);  // pow() is slow
  return std::pow(scaled + 1e-3, p_.fairness_p);
}

const PolluxWorkspace::Term& PolluxWorkspace::term(int job, int replicas, int spread) {
  Term& t = terms_[term_offset_[job] +
                   static_cast<std::size_t>(replicas) * (term_spread_[job] + 1) + spread];
  if (std::isnan(t.raw)) {
    t.raw = replicas > 0 ? p_.speedup(job, spread, replicas) : 0.0;
    t.stays = contribution(job, t.raw, false);
    t.moves = contribution(job, t.raw, true);
  }
  return t;
}

std::pair<double, double> PolluxWorkspace::evaluate(const std::uint8_t* x) {
  const int J = jobs_;
  double sum = 0, raw_sum = 0;
  std::fill(in_use_.begin(), in_use_.end(), 0);
  for (int j = 0; j < J; ++j) {
    const std::uint8_t* row = x + j * stride_;
    const std::uint8_t* current = base_.data() + j * stride_;
    int replicas = 0, spread = 0;
    bool moved = false;
    for (std::size_t w = 0; w < words_; ++w) {
      const std::uint64_t word = load(row + 8 * w);
      replicas += byte_sum(word);
      spread += nonzero_bytes(word);
      moved |= word != load(current + 8 * w);
      in_use_[w] |= word;
    }
    if (replicas <= term_replicas_[j] && spread <= term_spread_[j]) {
      const Term& t = term(j, replicas, spread);
      raw_sum += t.raw;
      sum += moved ? t.moves : t.stays;
    } else {
      const double raw = p_.speedup(j, spread, replicas);
      raw_sum += raw;
      sum += contribution(j, raw, moved);
    }
  }
  // The sum is of logarithms for the geometric mean (p = 0).
  const double mean = p_.fairness_p == 0    ? std::exp(sum / J)
                      : p_.fairness_p == -1 ? J / sum
                                            : std::pow(sum / J, 1.0 / p_.fairness_p);
  row_mask(reinterpret_cast<const std::uint8_t*>(in_use_.data()));
  int gpus = 0;
  for_each_node(row_mask_.data(), mask_words_, [&](int n) { gpus += capacity_[n]; });
  return {mean, gpus > 0 ? raw_sum / gpus : 0.0};
}

}  // namespace dlsched
