// The cuda backend's compute step: square cuBLAS GEMMs adding up to an iteration's FLOPs.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

namespace dlsched::emu {

/// Input and math precision of the GEMMs.
enum class GemmPrecision { BF16, TF32, FP32 };

/// Parses "bf16", "tf32" or "fp32"; anything else is an InputError.
GemmPrecision parse_gemm_precision(std::string_view s);
/// The name parse_gemm_precision reads.
std::string_view to_string(GemmPrecision p);

/// How the compute step is shaped.
struct GemmShape {
  GemmPrecision precision = GemmPrecision::BF16;
  int tile = 8192;  ///< side of the full GEMMs; 8192 keeps an H100 near its peak
};

/// Operands (allocated once, at the tile size) and a cuBLAS handle on one stream.
class GemmKernel {
 public:
  GemmKernel(GemmShape shape, cudaStream_t stream);
  ~GemmKernel();
  GemmKernel(const GemmKernel&) = delete;
  GemmKernel& operator=(const GemmKernel&) = delete;

  /// Enqueues GEMMs worth about `flops`: floor(flops / 2 tile^3) full tiles, then one GEMM of
  /// side cbrt(rest / 2) for the rest. Does not wait for them.
  void enqueue(double flops);
  /// Enqueues one GEMM of side n <= tile.
  void gemm(int n);
  /// FLOPs of one full tile.
  double tile_flops() const;
  const GemmShape& shape() const { return shape_; }

 private:
  GemmShape shape_;
  cublasHandle_t handle_ = nullptr;
  void* a_ = nullptr;
  void* b_ = nullptr;
  void* c_ = nullptr;
};

}  // namespace dlsched::emu
