#include "sched/policies/allox_matching.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.h"

namespace dlsched {

std::vector<int> min_cost_assignment(const std::vector<double>& cost, int rows, int cols) {
  DLSCHED_EXPECTS(rows <= cols, "min_cost_assignment needs rows <= cols");
  DLSCHED_EXPECTS(cost.size() == static_cast<std::size_t>(rows) * cols, "cost matrix size");
  constexpr double INF = std::numeric_limits<double>::infinity();
  // 1-based; column 0 is a virtual column holding the row being inserted. u, v are potentials
  // with u[i] + v[j] <= cost(i, j), tight on matched pairs; each row is added by a Dijkstra-like
  // search for the cheapest augmenting path in reduced costs.
  std::vector<double> u(rows + 1, 0), v(cols + 1, 0), min_to(cols + 1);
  std::vector<int> match(cols + 1, 0), way(cols + 1, 0);
  std::vector<char> used(cols + 1);
  auto c = [&](int i, int j) { return cost[static_cast<std::size_t>(i - 1) * cols + (j - 1)]; };
  for (int i = 1; i <= rows; ++i) {
    match[0] = i;
    int j0 = 0;
    std::fill(min_to.begin(), min_to.end(), INF);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int i0 = match[j0];
      double delta = INF;
      int j1 = 0;
      for (int j = 1; j <= cols; ++j) {
        if (used[j]) continue;
        const double reduced = c(i0, j) - u[i0] - v[j];
        if (reduced < min_to[j]) min_to[j] = reduced, way[j] = j0;
        if (min_to[j] < delta) delta = min_to[j], j1 = j;
      }
      for (int j = 0; j <= cols; ++j) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else {
          min_to[j] -= delta;
        }
      }
      j0 = j1;
    } while (match[j0] != 0);
    do {  // flip the augmenting path
      const int j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> col_of(rows, -1);
  for (int j = 1; j <= cols; ++j)
    if (match[j] != 0) col_of[match[j] - 1] = j - 1;
  return col_of;
}

double allox_total_completion(const AlloxProblem& p, const std::vector<int>& type,
                              const std::vector<int>& rank) {
  const int types = p.num_types();
  std::vector<int> order(p.num_jobs());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
  std::vector<double> clock(p.backlog.begin(), p.backlog.end());
  clock.resize(types, 0);
  double total = 0;
  for (int j : order) {
    const int t = type[j];
    if (t < 0) continue;
    const double proc = p.processing[static_cast<std::size_t>(j) * types + t];
    total += clock[t] + proc;
    clock[t] += proc * p.scale_factor[j] / p.gpus_per_type[t];
  }
  return total;
}

AlloxSchedule allox_schedule(const AlloxProblem& p) {
  const int n = p.num_jobs();
  const int types = p.num_types();
  AlloxSchedule s;
  s.type.assign(n, -1);
  s.position.assign(n, 0);
  std::vector<int> rows;  // jobs that can run somewhere
  for (int j = 0; j < n; ++j)
    for (int t = 0; t < types; ++t)
      if (p.processing[static_cast<std::size_t>(j) * types + t] > 0 &&
          p.scale_factor[j] <= p.gpus_per_type[t]) {
        rows.push_back(j);
        break;
      }
  const int m = static_cast<int>(rows.size());
  if (m == 0) return s;
  auto backlog = [&](int t) { return t < static_cast<int>(p.backlog.size()) ? p.backlog[t] : 0.0; };
  // Columns: type t, k-th from the end (k = 1..m) -> t * m + (k - 1).
  const int cols = types * m;
  std::vector<double> cost(static_cast<std::size_t>(m) * cols, 0);
  double finite_sum = 0;
  for (int r = 0; r < m; ++r) {
    const int j = rows[r];
    for (int t = 0; t < types; ++t) {
      const double proc = p.processing[static_cast<std::size_t>(j) * types + t];
      if (proc <= 0 || p.scale_factor[j] > p.gpus_per_type[t]) continue;
      const double share = proc * p.scale_factor[j] / p.gpus_per_type[t];
      for (int k = 1; k <= m; ++k) {
        const double c = backlog(t) + proc + (k - 1) * share;
        cost[static_cast<std::size_t>(r) * cols + t * m + (k - 1)] = c;
        finite_sum += c;
      }
    }
  }
  // Types a job cannot use cost more than any schedule that avoids them; one always exists
  // (each job can take a distinct position on a type it can use).
  const double forbidden = 2 * finite_sum + 1;
  for (int r = 0; r < m; ++r)
    for (int t = 0; t < types; ++t) {
      const int j = rows[r];
      const double proc = p.processing[static_cast<std::size_t>(j) * types + t];
      if (proc <= 0 || p.scale_factor[j] > p.gpus_per_type[t])
        for (int k = 0; k < m; ++k)
          cost[static_cast<std::size_t>(r) * cols + t * m + k] = forbidden;
    }
  const std::vector<int> col = min_cost_assignment(cost, m, cols);
  // Queue order: the largest k runs first. Positions are compacted (an optimal matching has no
  // gaps unless some costs tie, and closing a gap never costs more).
  std::vector<int> from_end(n, 0);
  for (int r = 0; r < m; ++r) {
    s.type[rows[r]] = col[r] / m;
    from_end[rows[r]] = col[r] % m + 1;
  }
  std::vector<int> order(rows);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    if (s.type[a] != s.type[b]) return s.type[a] < s.type[b];
    return from_end[a] > from_end[b];
  });
  std::vector<int> next(types, 0);
  for (int j : order) s.position[j] = next[s.type[j]]++;
  s.total_completion = allox_total_completion(p, s.type, s.position);
  return s;
}

}  // namespace dlsched
