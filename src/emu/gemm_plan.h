// How a compute kernel spends a given number of FLOPs in GEMMs whose sides libraries run at
// full speed: full square tiles, then one aligned GEMM for the rest. An unaligned side (a cube
// root of the leftover FLOPs, say 6164) sends cuBLAS to slow kernels, which would make the
// emulated compute slower than the FLOPs it stands for.
#pragma once

#include <cstdint>
#include <optional>

namespace dlsched::emu {

/// An m x k by k x n GEMM: 2 m n k FLOPs.
struct GemmDims {
  int m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * m * n * k; }
  bool operator==(const GemmDims&) const = default;
};

/// `full_tiles` tile x tile x tile GEMMs, then `rest` if any.
struct GemmPlan {
  std::int64_t full_tiles = 0;
  int tile = 0;
  std::optional<GemmDims> rest;
  double flops() const;
};

/// GEMMs worth about `flops`: floor(flops / 2 tile^3) full tiles, then the rest R as one GEMM
/// whose sides are multiples of `align`: m x tile x tile where R >= 2 align tile^2, else
/// m x s x s with s the largest multiple of `align` not above cbrt(R / 2) (at least `align`);
/// m is the multiple of `align` nearest R / 2 s^2, and no GEMM where it rounds to 0. The error
/// is under align tile^2 FLOPs. `tile` must be a positive multiple of `align`.
GemmPlan plan_gemms(double flops, int tile, int align);

}  // namespace dlsched::emu
