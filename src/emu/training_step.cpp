#include "emu/training_step.h"

#include <algorithm>
#include <numeric>

#include "core/step_model.h"

namespace dlsched::emu {

std::size_t StepPlan::gradient_elems() const {
  return std::accumulate(bucket_elems.begin(), bucket_elems.end(), std::size_t{0});
}

StepPlan plan_step(const IterationWork& work) {
  StepPlan p;
  p.mode = work.mode;
  p.slowdown = work.mode == ComputeMode::KERNEL ? std::max(1.0, work.slowdown) : 1.0;
  p.overlap = work.overlap;
  // Whole floats; at least one, so that even a scaled-down gradient is a real collective.
  const std::uint64_t elems = std::max<std::uint64_t>(1, work.gradient_bytes / sizeof(float));
  const std::uint64_t bucket = std::max<std::uint64_t>(1, work.bucket_bytes / sizeof(float));
  // gradient_buckets caps the first bucket at the others' size.
  const std::uint64_t first = DDP_FIRST_BUCKET_BYTES / sizeof(float);
  for (std::uint64_t e : gradient_buckets(elems, bucket, first))
    p.bucket_elems.push_back(static_cast<std::size_t>(e));
  const double total = work.mode == ComputeMode::KERNEL ? work.flops : work.compute_seconds;
  p.forward = total * work.forward_fraction;
  const double backward = total - p.forward;
  for (std::size_t e : p.bucket_elems)
    p.backward.push_back(backward * static_cast<double>(e) / static_cast<double>(elems));
  return p;
}

double StepTiming::exposed_comm_seconds() const {
  return std::max(0.0, seconds - compute_seconds);
}

}  // namespace dlsched::emu
