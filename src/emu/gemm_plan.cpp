#include "emu/gemm_plan.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace dlsched::emu {

double GemmPlan::flops() const {
  return static_cast<double>(full_tiles) * 2.0 * std::pow(static_cast<double>(tile), 3) +
         (rest ? rest->flops() : 0.0);
}

GemmPlan plan_gemms(double flops, int tile, int align) {
  DLSCHED_EXPECTS(align > 0 && tile >= align && tile % align == 0,
                  "the GEMM tile must be a positive multiple of the alignment");
  GemmPlan p;
  p.tile = tile;
  const double tile_flops = 2.0 * std::pow(static_cast<double>(tile), 3);
  if (!(flops > 0)) return p;
  p.full_tiles = static_cast<std::int64_t>(std::floor(flops / tile_flops));
  const double rest = flops - static_cast<double>(p.full_tiles) * tile_flops;
  const auto aligned_down = [align](double x) {
    return static_cast<int>(std::floor(x / align)) * align;
  };
  const auto aligned_nearest = [align](double x) {
    return static_cast<int>(std::lround(x / align)) * align;
  };
  // Large rests: m rows of a full tile (m < tile since rest < one tile). Small ones: a cube of
  // aligned side with as many aligned rows as the FLOPs need (at most 8 sides, well inside
  // the operands, which hold tile x tile elements).
  int side = tile;
  if (rest < 2.0 * align * tile * static_cast<double>(tile))
    side = std::clamp(aligned_down(std::cbrt(rest / 2.0)), align, tile);
  const long long room = static_cast<long long>(tile) * tile / side;
  const int m = static_cast<int>(std::min<long long>(
      aligned_nearest(rest / (2.0 * side * side)), room / align * align));
  if (m > 0) p.rest = GemmDims{m, side, side};
  return p;
}

}  // namespace dlsched::emu
