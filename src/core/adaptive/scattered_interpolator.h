// Piecewise-linear interpolation of scattered 3-D points over their Delaunay tetrahedra.
#pragma once

#include <array>
#include <optional>
#include <vector>

namespace dlsched::adaptive {

/// Interpolates 2 values given at scattered points in 3 dimensions linearly inside each
/// tetrahedron of the points' Delaunay triangulation, as SciPy's LinearNDInterpolator does
/// (the triangulation comes from Qhull with SciPy's options "d Qbb Qc Qz Q12 Qt").
/// Pollux's simulator interpolates step and sync time over (nodes, replicas, local batch size)
/// so for placements it did not measure.
class ScatteredInterpolator {
 public:
  using Point = std::array<double, 3>;
  using Values = std::array<double, 2>;

  /// Triangulates `points` (at least 4, not all in one plane); InvariantError if Qhull fails.
  ScatteredInterpolator(const std::vector<Point>& points, std::vector<Values> values);

  /// The interpolated values at `x`, or nullopt outside the points' convex hull.
  std::optional<Values> operator()(const Point& x) const;

  std::size_t simplices() const { return simplices_.size(); }

 private:
  struct Simplex {
    std::array<int, 4> vertex;
    // Barycentric coordinates: c[0..2] = inverse * (x - origin), c[3] = 1 - sum.
    std::array<double, 9> inverse;
    Point origin;
    Point low, high;  // bounding box, to skip most simplices quickly
  };
  std::vector<Simplex> simplices_;
  std::vector<Values> values_;
};

}  // namespace dlsched::adaptive
