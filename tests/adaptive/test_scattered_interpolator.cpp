// Linear interpolation over Delaunay tetrahedra: exact for linear data, exact at the points,
// nothing outside the hull.
#include <gtest/gtest.h>

#include "core/adaptive/scattered_interpolator.h"
#include "core/error.h"

namespace dlsched::adaptive {
namespace {

// Two linear functions of (x, y, z): any triangulation interpolates them exactly.
ScatteredInterpolator::Values linear(const ScatteredInterpolator::Point& p) {
  return {1 + 2 * p[0] - 0.5 * p[1] + 0.01 * p[2], 3 * p[1] - p[0]};
}

// A grid with repeated, co-spherical points (the hard case for Delaunay) plus scattered ones,
// like the measured (nodes, GPUs, local batch) triples.
std::vector<ScatteredInterpolator::Point> grid_points() {
  std::vector<ScatteredInterpolator::Point> points;
  for (double x : {1.0, 2.0, 4.0})
    for (double y : {1.0, 2.0, 4.0, 8.0})
      for (double z : {16.0, 32.0, 64.0}) points.push_back({x, y, z});
  points.push_back({3.0, 5.0, 40.0});
  points.push_back({1.5, 7.0, 20.0});
  return points;
}

TEST(ScatteredInterpolator, ReproducesLinearDataInsideTheHull) {
  const auto points = grid_points();
  std::vector<ScatteredInterpolator::Values> values;
  for (const auto& p : points) values.push_back(linear(p));
  const ScatteredInterpolator f(points, values);
  EXPECT_GT(f.simplices(), 0u);
  for (const ScatteredInterpolator::Point x : {ScatteredInterpolator::Point{1.5, 1.5, 20},
                                               {3.9, 7.9, 63},
                                               {2, 3, 48},
                                               {1, 1, 16},
                                               {4, 8, 64},
                                               {2.5, 4, 32}}) {
    const auto got = f(x);
    ASSERT_TRUE(got) << x[0] << "," << x[1] << "," << x[2];
    EXPECT_NEAR((*got)[0], linear(x)[0], 1e-9);
    EXPECT_NEAR((*got)[1], linear(x)[1], 1e-9);
  }
}

TEST(ScatteredInterpolator, GivesTheDataAtItsPointsAndNothingOutside) {
  const auto points = grid_points();
  std::vector<ScatteredInterpolator::Values> values;
  for (std::size_t i = 0; i < points.size(); ++i)
    values.push_back({static_cast<double>(i), -static_cast<double>(i)});
  const ScatteredInterpolator f(points, values);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto got = f(points[i]);
    ASSERT_TRUE(got);
    EXPECT_NEAR((*got)[0], static_cast<double>(i), 1e-9);
  }
  EXPECT_FALSE(f({0.5, 2, 32}));
  EXPECT_FALSE(f({2, 2, 65}));
  EXPECT_FALSE(f({4.1, 8, 64}));
}

TEST(ScatteredInterpolator, PointsInOnePlaneCannotBeTriangulated) {
  const std::vector<ScatteredInterpolator::Point> flat{{0, 0, 1}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}};
  EXPECT_THROW(ScatteredInterpolator(flat, std::vector<ScatteredInterpolator::Values>(4)),
               InvariantError);
}

}  // namespace
}  // namespace dlsched::adaptive
