// The cuda backend's compute step: cuBLAS GEMMs adding up to an iteration's FLOPs, with sides
// cuBLAS runs at full speed (emu/gemm_plan.h), random operands, a workspace, and each shape
// warmed up once outside any timed region (cuBLAS loads its kernels lazily).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "emu/gemm_plan.h"

namespace dlsched::emu {

/// Input and math precision of the GEMMs.
enum class GemmPrecision { BF16, TF32, FP32 };

/// Parses "bf16", "tf32" or "fp32"; anything else is an InputError.
GemmPrecision parse_gemm_precision(std::string_view s);
/// The name parse_gemm_precision reads.
std::string_view to_string(GemmPrecision p);

/// Sides of the GEMMs other than full tiles are multiples of this: tensor-core kernels want
/// multiples of 8 elements, and 128 matches their tiles, so no wave is left partly empty.
inline constexpr int GEMM_ALIGN = 128;

/// Fills `elems` elements of device memory with uniform values in [-1, 1) of the given
/// precision (deterministic for a seed).
void fill_uniform(void* device, std::size_t elems, GemmPrecision precision, std::uint64_t seed);

/// How the compute step is shaped.
struct GemmShape {
  GemmPrecision precision = GemmPrecision::BF16;
  int tile = 8192;  ///< side of the full GEMMs (a multiple of GEMM_ALIGN); 8192 keeps an H100 near its peak
};

/// Operands (allocated once, at the tile size) and a cuBLAS handle on one stream.
class GemmKernel {
 public:
  GemmKernel(GemmShape shape, cudaStream_t stream);
  ~GemmKernel();
  GemmKernel(const GemmKernel&) = delete;
  GemmKernel& operator=(const GemmKernel&) = delete;

  /// The GEMMs that make up `flops` (plan_gemms at this tile and GEMM_ALIGN).
  GemmPlan plan(double flops) const;
  /// Runs every shape of `plan` not run before once and waits for it, so that loading its
  /// kernel stays out of the timed iterations.
  void warm_up(const GemmPlan& plan);
  /// Enqueues the GEMMs of `plan`. Does not wait for them.
  void enqueue(const GemmPlan& plan);
  /// Enqueues GEMMs worth about `flops`. Does not wait for them.
  void enqueue(double flops) { enqueue(plan(flops)); }
  /// Enqueues one GEMM.
  void gemm(const GemmDims& d);
  /// FLOPs of one full tile.
  double tile_flops() const;
  const GemmShape& shape() const { return shape_; }

 private:
  GemmShape shape_;
  cudaStream_t stream_;
  cublasHandle_t handle_ = nullptr;
  void* a_ = nullptr;
  void* b_ = nullptr;
  void* c_ = nullptr;
  void* workspace_ = nullptr;
  std::set<std::tuple<int, int, int>> warm_;  // shapes already run
};

}  // namespace dlsched::emu
