// How a data-parallel training step spends its time. The backward pass produces gradients
// bucket by bucket (PyTorch DDP's buckets: the first one small so communication starts early,
// the rest at the bucket cap), and each bucket's allreduce starts as soon as it is produced,
// hidden behind the rest of the backward where the backward is longer. The emulator's workers
// run this step and the simulator's analytic iteration time models it; both take the bucket
// layout from here so that they describe the same step.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace dlsched {

/// DDP's default bucket cap (bucket_cap_mb = 25).
inline constexpr std::uint64_t DDP_BUCKET_BYTES = 25ull << 20;
/// DDP's cap on the first bucket (1 MiB): the last layers' gradients go out at once.
inline constexpr std::uint64_t DDP_FIRST_BUCKET_BYTES = 1ull << 20;

/// How the simulator models a step (the emulator's --overlap and --bucket-mb).
struct StepSettings {
  bool overlap = true;  ///< allreduce each bucket as the backward produces it (false: after it)
  std::uint64_t bucket_bytes = DDP_BUCKET_BYTES;
};

/// Bytes of each gradient bucket in the order the backward produces them: the first at most
/// `first_bucket_bytes`, then `bucket_bytes` each, the last one the remainder. At least one
/// bucket, also for zero bytes.
std::vector<std::uint64_t> gradient_buckets(std::uint64_t gradient_bytes,
                                            std::uint64_t bucket_bytes = DDP_BUCKET_BYTES,
                                            std::uint64_t first_bucket_bytes = DDP_FIRST_BUCKET_BYTES);

/// Seconds of one step whose compute (forward + backward) takes `compute_seconds`, of which
/// `forward_fraction` is forward, and whose buckets (bytes, in production order) take
/// `allreduce_seconds(bytes)` each. The backward produces bucket k after its share of the
/// backward (proportional to the bucket's bytes); bucket k's allreduce starts when it is
/// produced and the previous bucket's allreduce is done (one communication stream); the step
/// ends when both the backward and the last allreduce are done:
///   ready_k = F + B * (b_1 + ... + b_k) / sum b,  end_k = max(ready_k, end_{k-1}) + c_k,
///   step = max(F + B, end_K).
double overlapped_step_seconds(double compute_seconds, double forward_fraction,
                               const std::vector<std::uint64_t>& buckets,
                               const std::function<double(double bytes)>& allreduce_seconds);

}  // namespace dlsched
