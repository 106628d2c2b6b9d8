#include "core/adaptive/scattered_interpolator.h"

extern "C" {
#include <libqhull_r/qhull_ra.h>
}

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.h"

namespace dlsched::adaptive {
namespace {

// How far outside a tetrahedron a point may lie (in barycentric terms) and still count as
// inside: SciPy's tolerance, then its broader one for points a rounding error off the hull.
constexpr double kEps = 100 * DBL_EPSILON;
const double kBroadEps = std::sqrt(kEps);

// The Delaunay tetrahedra of `points` as Qhull computes them for SciPy's Delaunay class.
std::vector<std::array<int, 4>> delaunay(const std::vector<ScatteredInterpolator::Point>& points) {
  std::vector<coordT> coords;
  coords.reserve(points.size() * 3);
  for (const auto& p : points) coords.insert(coords.end(), p.begin(), p.end());
  // Qhull reports its errors on a stream; keep them for the exception.
  FILE* errors = std::tmpfile();
  qhT qh_storage;
  qhT* qh = &qh_storage;
  qh_zero(qh, errors);
  char options[] = "qhull d Qbb Qc Qz Q12 Qt";
  const int exit_code = qh_new_qhull(qh, 3, static_cast<int>(points.size()), coords.data(), False,
                                     options, nullptr, errors);
  std::vector<std::array<int, 4>> out;
  if (exit_code == 0) {
    facetT* facet;
    vertexT *vertex, **vertexp;
    FORALLfacets {
      if (facet->upperdelaunay) continue;
      std::array<int, 4> ids{};
      int k = 0;
      FOREACHvertex_(facet->vertices) {
        if (k < 4) ids[static_cast<std::size_t>(k)] = qh_pointid(qh, vertex->point);
        ++k;
      }
      const bool valid = k == 4 && std::all_of(ids.begin(), ids.end(), [&](int id) {
                           return id >= 0 && static_cast<std::size_t>(id) < points.size();
                         });
      if (valid) out.push_back(ids);
    }
  }
  qh_freeqhull(qh, !qh_ALL);
  int still_long = 0, total_long = 0;
  qh_memfreeshort(qh, &still_long, &total_long);
  std::string message;
  if (exit_code != 0 && errors) {
    std::rewind(errors);
    char buffer[512];
    while (message.size() < 2000 && std::fgets(buffer, sizeof buffer, errors)) message += buffer;
  }
  if (errors) std::fclose(errors);
  DLSCHED_EXPECTS(exit_code == 0, "Qhull could not triangulate the points: " + message);
  return out;
}

}  // namespace

ScatteredInterpolator::ScatteredInterpolator(const std::vector<Point>& points,
                                             std::vector<Values> values)
    : values_(std::move(values)) {
  DLSCHED_EXPECTS(points.size() == values_.size(), "one value pair per point");
  DLSCHED_EXPECTS(points.size() >= 4, "a 3-D triangulation needs at least 4 points");
  for (const auto& ids : delaunay(points)) {
    Simplex s;
    s.vertex = ids;
    s.origin = points[static_cast<std::size_t>(ids[3])];
    // Columns: the edges from the origin (the last vertex) to the other three.
    double m[3][3];
    for (int c = 0; c < 3; ++c)
      for (int r = 0; r < 3; ++r)
        m[r][c] =
            points[static_cast<std::size_t>(ids[static_cast<std::size_t>(c)])][r] - s.origin[r];
    const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                       m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                       m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    double scale = 0;
    for (auto& row : m)
      for (double v : row) scale = std::max(scale, std::abs(v));
    // A flat tetrahedron (Qhull's triangulation may leave some) has no barycentric
    // coordinates; SciPy gives it a NaN transform, so it never contains a point.
    if (!(std::abs(det) > 1e-12 * scale * scale * scale)) continue;
    const double inv[9] = {(m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det,
                           (m[0][2] * m[2][1] - m[0][1] * m[2][2]) / det,
                           (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det,
                           (m[1][2] * m[2][0] - m[1][0] * m[2][2]) / det,
                           (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det,
                           (m[0][2] * m[1][0] - m[0][0] * m[1][2]) / det,
                           (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det,
                           (m[0][1] * m[2][0] - m[0][0] * m[2][1]) / det,
                           (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det};
    std::copy(std::begin(inv), std::end(inv), s.inverse.begin());
    s.low = s.high = s.origin;
    for (int v = 0; v < 3; ++v)
      for (int d = 0; d < 3; ++d) {
        const double coordinate =
            points[static_cast<std::size_t>(ids[static_cast<std::size_t>(v)])][d];
        s.low[d] = std::min(s.low[d], coordinate);
        s.high[d] = std::max(s.high[d], coordinate);
      }
    simplices_.push_back(s);
  }
}

std::optional<ScatteredInterpolator::Values> ScatteredInterpolator::operator()(
    const Point& x) const {
  for (const double eps : {kEps, kBroadEps}) {
    for (const Simplex& s : simplices_) {
      bool near = true;
      for (int d = 0; d < 3 && near; ++d) {
        const double slack = eps * std::max(1.0, s.high[d] - s.low[d]);
        near = x[d] >= s.low[d] - slack && x[d] <= s.high[d] + slack;
      }
      if (!near) continue;
      std::array<double, 4> c{};
      const double dx[3] = {x[0] - s.origin[0], x[1] - s.origin[1], x[2] - s.origin[2]};
      for (int j = 0; j < 3; ++j)
        c[static_cast<std::size_t>(j)] =
            s.inverse[3 * j] * dx[0] + s.inverse[3 * j + 1] * dx[1] + s.inverse[3 * j + 2] * dx[2];
      c[3] = 1 - c[0] - c[1] - c[2];
      if (!std::all_of(c.begin(), c.end(), [&](double v) { return v >= -eps && v <= 1 + eps; }))
        continue;
      Values out{0, 0};
      for (std::size_t j = 0; j < 4; ++j)
        for (std::size_t k = 0; k < 2; ++k)
          out[k] += c[j] * values_[static_cast<std::size_t>(s.vertex[j])][k];
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace dlsched::adaptive
