// Gavel's allocation LPs (OSDI'20, section 4), solved with GLPK's simplex. See gavel_lp.h.
#include "sched/policies/gavel_lp.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <tuple>
#include <utility>

#include "core/error.h"

namespace dlsched {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
// Relative slack when a water-filling level is frozen, so that the next LP stays feasible
// despite the simplex's own tolerances.
constexpr double FREEZE_SLACK = 1e-9;
// Water-filling levels solved one LP each; beyond, the remaining jobs are settled together
// (two_stage). Jobs of a few scale factors and weights rarely need more than a handful.
constexpr int MAX_WATER_LEVELS = 64;

/// GLPK's sparse matrix input: 1-based triplets (row, column, value).
struct Triplets {
  std::vector<int> row{0}, col{0};
  std::vector<double> val{0};
  void add(int r, int c, double v) {
    row.push_back(r);
    col.push_back(c);
    val.push_back(v);
  }
  void load(glp_prob* lp) {
    glp_load_matrix(lp, static_cast<int>(row.size()) - 1, row.data(), col.data(), val.data());
  }
};

/// Jobs that can run somewhere, and where.
struct Support {
  std::vector<char> can_run;  // [job * types + type]
  std::vector<char> any;      // per job
};

Support support_of(const GavelProblem& p) {
  const int types = p.num_types();
  Support s;
  s.can_run.assign(p.throughput.size(), 0);
  s.any.assign(p.num_jobs(), 0);
  for (int j = 0; j < p.num_jobs(); ++j)
    for (int t = 0; t < types; ++t) {
      const std::size_t k = static_cast<std::size_t>(j) * types + t;
      if (p.throughput[k] > 0 && p.scale_factor[j] <= p.gpus_per_type[t]) {
        s.can_run[k] = 1;
        s.any[j] = 1;
      }
    }
  return s;
}

/// The LP  max z  s.t.  sum_t c[j][t] x[j][t] >= z (unfrozen jobs), >= level_j (frozen jobs),
/// sum_t x[j][t] <= 1, sum_j sf_j x[j][t] <= N_t, x >= 0; with c replaceable (finish-time
/// fairness searches over rho) and jobs frozen one level at a time (water-filling).
/// `copies[j]` identical jobs stand behind job j (max-min fairness solves one job per group of
/// identical jobs, see solve_gavel_allocation): each has x[j][t], so j takes copies[j] times
/// its GPUs and adds copies[j] times its value to a sum objective.
class MaxMinLp {
 public:
  MaxMinLp(const GavelProblem& p, const Support& s, const std::vector<int>& copies)
      : p_(p), s_(s), copies_(copies), types_(p.num_types()) {
    glp_term_out(GLP_OFF);
    lp_ = glp_create_prob();
    glp_set_obj_dir(lp_, GLP_MAX);
    const int jobs = p.num_jobs();
    col_of_.assign(static_cast<std::size_t>(jobs) * types_, 0);
    for (std::size_t k = 0; k < col_of_.size(); ++k)
      if (s.can_run[k]) col_of_[k] = ++cols_;
    z_col_ = ++cols_;
    glp_add_cols(lp_, cols_);
    for (int c = 1; c < z_col_; ++c) glp_set_col_bnds(lp_, c, GLP_LO, 0, 0);
    glp_set_col_bnds(lp_, z_col_, GLP_LO, 0, 0);
    glp_set_obj_coef(lp_, z_col_, 1);

    // Rows: per job its ratio row and its share row, then one capacity row per type.
    ratio_row_.assign(jobs, 0);
    int rows = 0;
    for (int j = 0; j < jobs; ++j)
      if (s.any[j]) {
        ratio_row_[j] = ++rows;
        ++rows;  // share row = ratio row + 1
      }
    const int first_cap = rows + 1;
    rows += types_;
    glp_add_rows(lp_, rows);
    Triplets m;
    for (int j = 0; j < jobs; ++j) {
      if (!s.any[j]) continue;
      glp_set_row_bnds(lp_, ratio_row_[j], GLP_LO, 0, 0);
      glp_set_row_bnds(lp_, ratio_row_[j] + 1, GLP_UP, 0, 1);
      for (int t = 0; t < types_; ++t) {
        const int c = col(j, t);
        if (!c) continue;
        m.add(ratio_row_[j], c, 1);  // set by set_coefficients()
        m.add(ratio_row_[j] + 1, c, 1);
        m.add(first_cap + t, c, static_cast<double>(p.scale_factor[j]) * copies_[j]);
      }
      m.add(ratio_row_[j], z_col_, -1);
    }
    for (int t = 0; t < types_; ++t)
      glp_set_row_bnds(lp_, first_cap + t, GLP_UP, 0, p.gpus_per_type[t]);
    m.load(lp_);
    frozen_.assign(jobs, 0);
    glp_init_smcp(&parm_);
    parm_.msg_lev = GLP_MSG_OFF;
  }
  ~MaxMinLp() { glp_delete_prob(lp_); }
  MaxMinLp(const MaxMinLp&) = delete;
  MaxMinLp& operator=(const MaxMinLp&) = delete;

  /// Sets the ratio rows' coefficients c[j * types + t] and unfreezes every job.
  void set_coefficients(const std::vector<double>& c) {
    c_ = c;
    std::fill(frozen_.begin(), frozen_.end(), 0);
    set_sum_objective(false);
    for (int j = 0; j < p_.num_jobs(); ++j)
      if (s_.any[j]) {
        write_ratio_row(j, true);
        glp_set_row_bnds(lp_, ratio_row_[j], GLP_LO, 0, 0);
      }
  }

  /// Solves max z over the unfrozen jobs; returns z.
  double raise_min() {
    int status = glp_simplex(lp_, &parm_);
    if (status != 0) {
      // A changed row can leave the previous basis singular: restart from a fresh one.
      glp_adv_basis(lp_, 0);
      status = glp_simplex(lp_, &parm_);
    }
    DLSCHED_EXPECTS(status == 0 && glp_get_status(lp_) == GLP_OPT,
                    "gavel: the allocation LP has no optimal solution");
    return glp_get_obj_val(lp_);
  }

  /// Water-filling from the current coefficients: raises the minimum, freezes the jobs that
  /// bound it (a nonzero dual on their ratio row, or no room to grow on any type), repeats.
  /// After `max_levels` levels the remaining jobs are settled as in two_stage(). Returns the
  /// first (Gavel's) level.
  double water_fill(int max_levels) {
    double first = -1;
    int unfrozen = 0;
    for (int j = 0; j < p_.num_jobs(); ++j) unfrozen += s_.any[j] && !frozen_[j];
    for (int level = 0; unfrozen > 0; ++level) {
      if (level == max_levels) {
        two_stage();
        break;
      }
      const double z = raise_min();
      if (first < 0) first = z;
      // Read the whole solution before changing the problem.
      bound_.clear();
      for (int j = 0; j < p_.num_jobs(); ++j)
        if (s_.any[j] && !frozen_[j] &&
            (std::abs(glp_get_row_dual(lp_, ratio_row_[j])) > 1e-9 || ceiling(j) <= z * (1 + 1e-9)))
          bound_.push_back(j);
      if (bound_.empty()) {  // degenerate duals: the jobs sitting at the level
        for (int j = 0; j < p_.num_jobs(); ++j)
          if (s_.any[j] && !frozen_[j] &&
              glp_get_row_prim(lp_, ratio_row_[j]) <= z * 1e-7 + 1e-12)  // row = ratio - z
            bound_.push_back(j);
      }
      if (bound_.empty()) break;  // cannot happen: the z column's duals sum to one
      for (int j : bound_) freeze(j, z);
      unfrozen -= static_cast<int>(bound_.size());
    }
    return std::max(first, 0.0);
  }

  /// Gavel's LP (raise the minimum over the unfrozen jobs), then, with every job held at or
  /// above that level, the most total sum_jt c x: spare GPUs go where they add most. Returns
  /// the level.
  double two_stage() {
    const double z = raise_min();
    for (int j = 0; j < p_.num_jobs(); ++j)
      if (s_.any[j] && !frozen_[j]) freeze(j, z);
    set_sum_objective(true);
    raise_min();
    return z;
  }

  std::vector<double> shares() const {
    std::vector<double> x(col_of_.size(), 0);
    for (std::size_t k = 0; k < col_of_.size(); ++k)
      if (col_of_[k]) x[k] = std::clamp(glp_get_col_prim(lp_, col_of_[k]), 0.0, 1.0);
    return x;
  }

 private:
  int col(int j, int t) const { return col_of_[static_cast<std::size_t>(j) * types_ + t]; }

  // The most job j's ratio can reach: all its time on its best type.
  double ceiling(int j) const {
    double best = 0;
    for (int t = 0; t < types_; ++t)
      if (col(j, t)) best = std::max(best, c_[static_cast<std::size_t>(j) * types_ + t]);
    return best;
  }

  void write_ratio_row(int j, bool with_z) {
    // GLPK's row input is 1-based: element 0 is unused.
    ind_.assign(1, 0);
    val_.assign(1, 0);
    auto add = [&](int c, double v) {
      ind_.push_back(c);
      val_.push_back(v);
    };
    for (int t = 0; t < types_; ++t)
      if (const int c = col(j, t)) add(c, c_[static_cast<std::size_t>(j) * types_ + t]);
    if (with_z) add(z_col_, -1);
    glp_set_mat_row(lp_, ratio_row_[j], static_cast<int>(ind_.size()) - 1, ind_.data(),
                    val_.data());
  }

  // Objective: z (raise the minimum) or sum_jt c[j][t] x[j][t].
  void set_sum_objective(bool sum) {
    glp_set_obj_coef(lp_, z_col_, sum ? 0 : 1);
    for (std::size_t k = 0; k < col_of_.size(); ++k)
      if (col_of_[k])
        glp_set_obj_coef(lp_, col_of_[k], sum ? c_[k] * copies_[k / types_] : 0);
  }

  void freeze(int j, double level) {
    frozen_[j] = 1;
    write_ratio_row(j, false);
    glp_set_row_bnds(lp_, ratio_row_[j], GLP_LO, level * (1 - FREEZE_SLACK), 0);
  }

  const GavelProblem& p_;
  const Support& s_;
  const std::vector<int>& copies_;
  int types_;
  glp_prob* lp_ = nullptr;
  glp_smcp parm_{};
  std::vector<int> col_of_;  // [job * types + type] -> column, 0 = none
  int cols_ = 0;
  int z_col_ = 0;
  std::vector<int> ratio_row_;
  std::vector<char> frozen_;
  std::vector<int> bound_;  // jobs frozen at the current level
  std::vector<int> ind_;    // row being written: columns and values
  std::vector<double> val_;
  std::vector<double> c_;
};

/// max sum_jt c[j][t] x[j][t] under the share and capacity constraints.
std::vector<double> max_weighted_sum(const GavelProblem& p, const Support& s,
                                     const std::vector<double>& c, double& objective) {
  glp_term_out(GLP_OFF);
  const int types = p.num_types();
  glp_prob* lp = glp_create_prob();
  glp_set_obj_dir(lp, GLP_MAX);
  std::vector<int> col_of(c.size(), 0);
  int cols = 0;
  for (std::size_t k = 0; k < c.size(); ++k)
    if (s.can_run[k]) col_of[k] = ++cols;
  std::vector<double> x(c.size(), 0);
  if (cols == 0) {
    glp_delete_prob(lp);
    objective = 0;
    return x;
  }
  glp_add_cols(lp, cols);
  Triplets m;
  int rows = 0;
  for (int j = 0; j < p.num_jobs(); ++j) {
    if (!s.any[j]) continue;
    ++rows;
    for (int t = 0; t < types; ++t)
      if (const int col = col_of[static_cast<std::size_t>(j) * types + t]) m.add(rows, col, 1);
  }
  const int first_cap = rows + 1;
  glp_add_rows(lp, rows + types);
  for (int r = 1; r <= rows; ++r) glp_set_row_bnds(lp, r, GLP_UP, 0, 1);
  for (int t = 0; t < types; ++t)
    glp_set_row_bnds(lp, first_cap + t, GLP_UP, 0, p.gpus_per_type[t]);
  for (int j = 0; j < p.num_jobs(); ++j)
    for (int t = 0; t < types; ++t)
      if (const int col = col_of[static_cast<std::size_t>(j) * types + t]) {
        glp_set_col_bnds(lp, col, GLP_LO, 0, 0);
        glp_set_obj_coef(lp, col, c[static_cast<std::size_t>(j) * types + t]);
        m.add(first_cap + t, col, p.scale_factor[j]);
      }
  m.load(lp);
  glp_smcp parm;
  glp_init_smcp(&parm);
  parm.msg_lev = GLP_MSG_OFF;
  const int status = glp_simplex(lp, &parm);
  const bool ok = status == 0 && glp_get_status(lp) == GLP_OPT;
  if (ok) {
    objective = glp_get_obj_val(lp);
    for (std::size_t k = 0; k < c.size(); ++k)
      if (col_of[k]) x[k] = std::clamp(glp_get_col_prim(lp, col_of[k]), 0.0, 1.0);
  }
  glp_delete_prob(lp);
  DLSCHED_EXPECTS(ok, "gavel: the throughput LP has no optimal solution");
  return x;
}

// ---- One GPU type: the same optima in closed form -------------------------------------------

/// Water-filling on one type: x_j = min(1, lambda / c_j) with sum sf_j x_j = N (or all x = 1).
/// Returns Gavel's level min_j c_j x_j.
double water_fill_single(const GavelProblem& p, const Support& s, const std::vector<double>& c,
                         std::vector<double>& x) {
  const int n = p.num_jobs();
  const double capacity = p.gpus_per_type[0];
  std::vector<int> order;
  for (int j = 0; j < n; ++j)
    if (s.any[j]) order.push_back(j);
  x.assign(n, 0);
  if (order.empty()) return 0;
  for (int j : order)
    if (c[j] <= 0) return 0;  // a job that cannot progress: the level is 0 whatever X is
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return c[a] < c[b] || (c[a] == c[b] && a < b); });
  double demand = 0, weighted = 0;  // sum sf, sum sf / c over the jobs not capped
  for (int j : order) demand += p.scale_factor[j], weighted += p.scale_factor[j] / c[j];
  double level = INF;
  if (demand > capacity) {
    // Cap the jobs with the smallest c (they reach x = 1 below the level) one by one.
    double used = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const int j = order[k];
      const double lambda = (capacity - used) / weighted;
      if (lambda <= c[j]) {
        level = lambda;
        break;
      }
      used += p.scale_factor[j];
      weighted -= p.scale_factor[j] / c[j];
    }
  }
  double lowest = INF;
  for (int j : order) {
    x[j] = std::min(1.0, level / c[j]);
    lowest = std::min(lowest, c[j] * x[j]);
  }
  return lowest;
}

/// Two stages on one type: every job gets the share that holds it at Gavel's level
/// (x_j = level / c_j), then the spare GPUs go to the best c_j / sf_j first (a fractional
/// knapsack), as the LP's second stage does. Returns the level.
double two_stage_single(const GavelProblem& p, const Support& s, const std::vector<double>& c,
                        std::vector<double>& x) {
  const double level = water_fill_single(p, s, c, x);
  std::vector<int> order;
  double left = p.gpus_per_type[0];
  for (int j = 0; j < p.num_jobs(); ++j) {
    if (!s.any[j]) continue;
    x[j] = c[j] > 0 ? std::min(1.0, level / c[j]) : 0;
    left -= x[j] * p.scale_factor[j];
    order.push_back(j);
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return c[a] / p.scale_factor[a] > c[b] / p.scale_factor[b];
  });
  for (int j : order) {
    if (left <= 0) break;
    const double more = std::min(1.0 - x[j], left / p.scale_factor[j]);
    x[j] += more;
    left -= more * p.scale_factor[j];
  }
  return level;
}

// ---- Objectives ------------------------------------------------------------------------------

class Solver {
 public:
  /// `copies`: how many identical jobs each job of `p` stands for (empty: one each); only
  /// the multi-type LP path takes them, which is the only one solve_gavel_allocation groups.
  Solver(const GavelProblem& p, const GavelSolveOptions& o, std::vector<int> copies = {})
      : p_(p), s_(support_of(p)), single_(o.closed_form_single_type && p.num_types() == 1),
        copies_(std::move(copies)) {
    if (copies_.empty()) copies_.assign(p.num_jobs(), 1);
  }

  /// Max-min allocation for coefficients c, water-filled (max-min fairness) or in two stages
  /// (the others); returns Gavel's level.
  double max_min(const std::vector<double>& c, std::vector<double>& x, bool water_fill) {
    if (nobody_runs()) {
      x.assign(c.size(), 0);
      return 0;
    }
    if (single_)
      return water_fill ? water_fill_single(p_, s_, c, x) : two_stage_single(p_, s_, c, x);
    lp().set_coefficients(c);
    const double level = water_fill ? lp().water_fill(MAX_WATER_LEVELS) : lp().two_stage();
    x = lp().shares();
    return level;
  }

  /// Gavel's level only (no water-filling), for the finish-time fairness search.
  double first_level(const std::vector<double>& c) {
    if (nobody_runs()) return INF;  // no constraint to meet
    if (single_) {
      std::vector<double> x;
      return water_fill_single(p_, s_, c, x);
    }
    lp().set_coefficients(c);
    return lp().raise_min();
  }

  GavelAllocation solve(GavelObjective objective) {
    GavelAllocation a;
    a.num_types = p_.num_types();
    a.share.assign(p_.throughput.size(), 0);
    const int types = p_.num_types();
    const int n = p_.num_jobs();
    if (n == 0) return a;
    std::vector<double> c(p_.throughput.size(), 0);
    auto T = [&](int j, int t) { return p_.throughput[static_cast<std::size_t>(j) * types + t]; };
    switch (objective) {
      case GavelObjective::MAX_MIN_FAIRNESS: {
        const std::vector<double> norm = equal_share_throughput(p_);
        for (int j = 0; j < n; ++j)
          for (int t = 0; t < types; ++t)
            if (norm[j] > 0)
              c[j * types + t] = T(j, t) * p_.scale_factor[j] / (p_.weight[j] * norm[j]);
        a.objective = max_min(c, a.share, true);
        break;
      }
      case GavelObjective::MIN_MAKESPAN: {
        for (int j = 0; j < n; ++j)
          for (int t = 0; t < types; ++t)
            c[j * types + t] = T(j, t) / std::max(p_.remaining[j], 1e-9);
        a.objective = max_min(c, a.share, false);
        break;
      }
      case GavelObjective::MAX_THROUGHPUT: {
        // Gavel's max_sum_throughput_perf: the raw sum of throughputs (iterations/s), as its
        // policy states it, not normalised per job.
        for (int j = 0; j < n; ++j)
          for (int t = 0; t < types; ++t) c[j * types + t] = T(j, t);
        a.share = single_ ? fill_single(c, a.objective) : max_weighted_sum(p_, s_, c, a.objective);
        break;
      }
      case GavelObjective::FINISH_TIME_FAIRNESS:
        a.objective = finish_time_fairness(c, a.share);
        break;
    }
    return a;
  }

 private:
  // No job fits on any type: there is nothing to allocate (and the LP would be unbounded).
  bool nobody_runs() const {
    return std::none_of(s_.any.begin(), s_.any.end(), [](char a) { return a != 0; });
  }

  MaxMinLp& lp() {
    if (!lp_) lp_ = std::make_unique<MaxMinLp>(p_, s_, copies_);
    return *lp_;
  }

  /// Max sum c_j x_j on one type: a fractional knapsack, best c_j / sf_j first.
  std::vector<double> fill_single(const std::vector<double>& c, double& objective) {
    std::vector<int> order;
    for (int j = 0; j < p_.num_jobs(); ++j)
      if (s_.any[j]) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      return c[a] / p_.scale_factor[a] > c[b] / p_.scale_factor[b];
    });
    std::vector<double> x(p_.num_jobs(), 0);
    double left = p_.gpus_per_type[0];
    objective = 0;
    for (int j : order) {
      x[j] = std::clamp(left / p_.scale_factor[j], 0.0, 1.0);
      left -= x[j] * p_.scale_factor[j];
      objective += c[j] * x[j];
    }
    return x;
  }

  /// Themis' finish-time fairness in Gavel's form: rho_j(X) = (t_j + R_j / T_j(X)) / D_j with
  /// D_j the job's finish time on an equal 1/n share of the cluster. rho_j <= rho is linear in
  /// X for a fixed rho (T_j(X) >= R_j / (rho D_j - t_j)), so the smallest feasible rho is found
  /// by bisection, each step one max-min LP: feasible iff min_j T_j(X) (rho D_j - t_j) / R_j >= 1.
  double finish_time_fairness(std::vector<double>& c, std::vector<double>& x) {
    const int types = p_.num_types();
    const int n = p_.num_jobs();
    const double all = std::accumulate(p_.gpus_per_type.begin(), p_.gpus_per_type.end(), 0.0);
    const std::vector<double> norm = equal_share_throughput(p_);
    int active = 0;
    for (int j = 0; j < n; ++j) active += s_.any[j];
    std::vector<double> isolated(n, 0);  // D_j
    double lo = 0;
    for (int j = 0; j < n; ++j) {
      if (!s_.any[j]) continue;
      const double share = std::min(1.0, all / (std::max(active, 1) * p_.scale_factor[j]));
      isolated[j] = p_.total[j] / (share * norm[j]);
      lo = std::max(lo, p_.elapsed[j] / isolated[j]);
    }
    auto coefficients = [&](double rho) {
      for (int j = 0; j < n; ++j)
        for (int t = 0; t < types; ++t)
          c[j * types + t] = s_.any[j] ? p_.throughput[static_cast<std::size_t>(j) * types + t] *
                                             (rho * isolated[j] - p_.elapsed[j]) /
                                             std::max(p_.remaining[j], 1e-9)
                                       : 0;
    };
    auto feasible = [&](double rho) {
      coefficients(rho);
      return first_level(c) >= 1 - 1e-9;
    };
    double hi = std::max(2 * lo, 1.0);
    for (int k = 0; k < 60 && !feasible(hi); ++k) lo = hi, hi *= 2;
    for (int k = 0; k < 60 && hi - lo > 1e-6 * hi; ++k) {
      const double mid = 0.5 * (lo + hi);
      (feasible(mid) ? hi : lo) = mid;
    }
    coefficients(hi);
    max_min(c, x, false);
    return hi;
  }

  const GavelProblem& p_;
  Support s_;
  bool single_;
  std::vector<int> copies_;
  std::unique_ptr<MaxMinLp> lp_;
};

/// Jobs with the same scale factor, weight and throughputs: all that max-min fairness reads.
GavelJobGroups identical_jobs(const GavelProblem& p) {
  const int types = p.num_types();
  return group_gavel_jobs(p.num_jobs(), [&](int j) {
    const auto row = p.throughput.begin() + static_cast<std::ptrdiff_t>(j) * types;
    return std::make_tuple(p.scale_factor[j], p.weight[j], std::vector<double>(row, row + types));
  });
}

/// Max-min fairness with one LP job per group of identical jobs. The max-min fair values are
/// unique and the problem is symmetric in identical jobs, so averaging any fair X over a
/// group's members is fair too: the fair point has an X that is the same for every member,
/// and the LP over groups (each member's share, times the group's size in the capacity rows)
/// finds it. The LP shrinks from jobs x types columns to groups x types: 10,000 jobs copied
/// from Gavel's traces form a few dozen groups.
GavelAllocation solve_max_min_by_groups(const GavelProblem& p, const GavelJobGroups& g,
                                        const GavelSolveOptions& options) {
  const int types = p.num_types();
  const int groups = static_cast<int>(g.first.size());
  GavelProblem reduced;
  reduced.gpus_per_type = p.gpus_per_type;
  reduced.throughput.reserve(static_cast<std::size_t>(groups) * types);
  for (int k = 0; k < groups; ++k) {
    const int j = g.first[k];
    const auto row = p.throughput.begin() + static_cast<std::ptrdiff_t>(j) * types;
    reduced.throughput.insert(reduced.throughput.end(), row, row + types);
    reduced.scale_factor.push_back(p.scale_factor[j]);
    reduced.weight.push_back(p.weight[j]);
  }
  Solver solver(reduced, options, g.size);
  const GavelAllocation by_group = solver.solve(GavelObjective::MAX_MIN_FAIRNESS);
  GavelAllocation a;
  a.num_types = types;
  a.objective = by_group.objective;
  a.share.resize(p.throughput.size());
  for (int j = 0; j < p.num_jobs(); ++j)
    for (int t = 0; t < types; ++t)
      a.share[static_cast<std::size_t>(j) * types + t] = by_group.x(g.of_job[j], t);
  return a;
}

}  // namespace

std::vector<double> equal_share_throughput(const GavelProblem& p) {
  const int types = p.num_types();
  const double all = std::accumulate(p.gpus_per_type.begin(), p.gpus_per_type.end(), 0.0);
  std::vector<double> norm(p.num_jobs(), 0);
  for (int j = 0; j < p.num_jobs(); ++j)
    for (int t = 0; t < types; ++t)
      if (p.scale_factor[j] <= p.gpus_per_type[t])
        norm[j] += p.throughput[static_cast<std::size_t>(j) * types + t] * p.gpus_per_type[t] / all;
  return norm;
}

GavelAllocation solve_gavel_allocation(const GavelProblem& problem, GavelObjective objective,
                                       const GavelSolveOptions& options) {
  const std::size_t n = problem.scale_factor.size();
  DLSCHED_EXPECTS(problem.throughput.size() == n * problem.gpus_per_type.size(),
                  "gavel: throughput matrix does not match jobs x GPU types");
  DLSCHED_EXPECTS(objective != GavelObjective::MAX_MIN_FAIRNESS || problem.weight.size() == n,
                  "gavel: max-min fairness needs a weight per job");
  DLSCHED_EXPECTS((objective != GavelObjective::MIN_MAKESPAN &&
                   objective != GavelObjective::FINISH_TIME_FAIRNESS) ||
                      problem.remaining.size() == n,
                  "gavel: makespan and finish-time fairness need remaining iterations");
  DLSCHED_EXPECTS(objective != GavelObjective::FINISH_TIME_FAIRNESS ||
                      (problem.total.size() == n && problem.elapsed.size() == n),
                  "gavel: finish-time fairness needs total iterations and elapsed time");
  // One GPU type has a closed form (no LP) that needs no grouping.
  const bool lp = !(options.closed_form_single_type && problem.num_types() == 1);
  if (objective == GavelObjective::MAX_MIN_FAIRNESS && options.group_identical_jobs && lp &&
      n > 1) {
    const GavelJobGroups groups = identical_jobs(problem);
    if (groups.first.size() < n) return solve_max_min_by_groups(problem, groups, options);
  }
  Solver solver(problem, options);
  return solver.solve(objective);
}

}  // namespace dlsched
