#include "core/step_model.h"

#include <algorithm>
#include <numeric>

namespace dlsched {

std::vector<std::uint64_t> gradient_buckets(std::uint64_t gradient_bytes, std::uint64_t bucket_bytes,
                                            std::uint64_t first_bucket_bytes) {
  bucket_bytes = std::max<std::uint64_t>(1, bucket_bytes);
  first_bucket_bytes = std::clamp<std::uint64_t>(first_bucket_bytes, 1, bucket_bytes);
  std::vector<std::uint64_t> sizes;
  std::uint64_t left = gradient_bytes;
  std::uint64_t cap = first_bucket_bytes;
  do {
    const std::uint64_t b = std::min(cap, left);
    sizes.push_back(b);
    left -= b;
    cap = bucket_bytes;
  } while (left > 0);
  return sizes;
}

double overlapped_step_seconds(double compute_seconds, double forward_fraction,
                               const std::vector<std::uint64_t>& buckets,
                               const std::function<double(double bytes)>& allreduce_seconds) {
  const double forward = compute_seconds * forward_fraction;
  const double backward = compute_seconds - forward;
  const double total = static_cast<double>(std::accumulate(buckets.begin(), buckets.end(), 0ull));
  double produced = 0, comm_end = 0;
  for (std::uint64_t b : buckets) {
    produced += static_cast<double>(b);
    const double ready = forward + (total > 0 ? backward * produced / total : backward);
    comm_end = std::max(ready, comm_end) + allreduce_seconds(static_cast<double>(b));
  }
  return std::max(compute_seconds, comm_end);
}

}  // namespace dlsched
