#include "emu/backends/cuda/gemm_kernel.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/error.h"
#include "emu/backends/cuda/cuda_check.h"

namespace dlsched::emu {

namespace {
/// cuBLAS's recommended workspace on Hopper (32 MiB; smaller suffices on older GPUs).
constexpr std::size_t WORKSPACE_BYTES = 32u << 20;

}  // namespace

// GEMMs on constant data run faster than on real data (about 10% on H100-class GPUs, whose
// power draw depends on how many bits toggle), so constant operands would flatter the kernel.
void fill_uniform(void* device, std::size_t elems, GemmPrecision precision, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  if (precision == GemmPrecision::BF16) {
    std::vector<std::uint16_t> host(elems);
    for (auto& v : host) {
      const float f = uniform(rng);
      std::uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      v = static_cast<std::uint16_t>(bits >> 16);  // bf16: the upper half of an fp32
    }
    DLSCHED_CUDA_CHECK(cudaMemcpy(device, host.data(), elems * 2, cudaMemcpyHostToDevice));
  } else {
    std::vector<float> host(elems);
    for (auto& v : host) v = uniform(rng);
    DLSCHED_CUDA_CHECK(cudaMemcpy(device, host.data(), elems * 4, cudaMemcpyHostToDevice));
  }
}

GemmPrecision parse_gemm_precision(std::string_view s) {
  if (s == "bf16") return GemmPrecision::BF16;
  if (s == "tf32") return GemmPrecision::TF32;
  if (s == "fp32") return GemmPrecision::FP32;
  throw InputError(fmt::format("unknown GEMM precision '{}' (known: bf16, tf32, fp32)", s));
}

std::string_view to_string(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::BF16: return "bf16";
    case GemmPrecision::TF32: return "tf32";
    case GemmPrecision::FP32: return "fp32";
  }
  return "?";
}

GemmKernel::GemmKernel(GemmShape shape, cudaStream_t stream) : shape_(shape), stream_(stream) {
  if (shape_.tile < GEMM_ALIGN || shape_.tile % GEMM_ALIGN != 0)
    throw InputError(fmt::format("GEMM tile must be a positive multiple of {}, got {}",
                                 GEMM_ALIGN, shape_.tile));
  const std::size_t elems = static_cast<std::size_t>(shape_.tile) * shape_.tile;
  const std::size_t elem_bytes = shape_.precision == GemmPrecision::BF16 ? 2 : 4;
  DLSCHED_CUBLAS_CHECK(cublasCreate(&handle_));
  DLSCHED_CUBLAS_CHECK(cublasSetStream(handle_, stream));
  DLSCHED_CUDA_CHECK(cudaMalloc(&workspace_, WORKSPACE_BYTES));
  DLSCHED_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_, WORKSPACE_BYTES));
  std::uint64_t seed = 1;
  for (void** p : {&a_, &b_, &c_}) {
    DLSCHED_CUDA_CHECK(cudaMalloc(p, elems * elem_bytes));
    // Sums of up to a tile of products of uniform [-1, 1) values stay far from overflow.
    fill_uniform(*p, elems, shape_.precision, seed++);
  }
}

GemmKernel::~GemmKernel() {
  // Destructors must not throw; a failure here is past any job that could report it.
  for (void* p : {a_, b_, c_, workspace_})
    if (p) cudaFree(p);
  if (handle_) cublasDestroy(handle_);
}

double GemmKernel::tile_flops() const {
  return 2.0 * std::pow(static_cast<double>(shape_.tile), 3);
}

GemmPlan GemmKernel::plan(double flops) const { return plan_gemms(flops, shape_.tile, GEMM_ALIGN); }

void GemmKernel::gemm(const GemmDims& d) {
  const float alpha = 1.0f, beta = 0.0f;
  cudaDataType_t type = CUDA_R_32F;
  cublasComputeType_t math = CUBLAS_COMPUTE_32F;
  if (shape_.precision == GemmPrecision::BF16) type = CUDA_R_16BF;
  if (shape_.precision == GemmPrecision::TF32) math = CUBLAS_COMPUTE_32F_FAST_TF32;
  // Column-major C (m x n) = A (m x k) B (k x n); the operands hold tile x tile elements, and
  // plan_gemms keeps every product inside them.
  DLSCHED_CUBLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_N, CUBLAS_OP_N, d.m, d.n, d.k, &alpha, a_,
                                    type, d.m, b_, type, d.k, &beta, c_, type, d.m, math,
                                    CUBLAS_GEMM_DEFAULT));
}

void GemmKernel::warm_up(const GemmPlan& plan) {
  bool ran = false;
  const auto once = [&](const GemmDims& d) {
    if (!warm_.emplace(d.m, d.n, d.k).second) return;
    gemm(d);
    ran = true;
  };
  if (plan.full_tiles > 0) once(GemmDims{shape_.tile, shape_.tile, shape_.tile});
  if (plan.rest) once(*plan.rest);
  if (ran) DLSCHED_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void GemmKernel::enqueue(const GemmPlan& plan) {
  const GemmDims tile{shape_.tile, shape_.tile, shape_.tile};
  for (std::int64_t i = 0; i < plan.full_tiles; ++i) gemm(tile);
  if (plan.rest) gemm(*plan.rest);
}

}  // namespace dlsched::emu
