// Gavel's packed allocation LP (OSDI'20, section 3.1) in its job-type form, solved with GLPK's
// simplex. See gavel_packed_lp.h.
#include "sched/policies/gavel_packed_lp.h"

#include <glpk.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <cstdint>
#include <numeric>
#include <unordered_map>

#include "core/error.h"

namespace dlsched {
namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
// As in gavel_lp.cpp: slack when a water-filling level is frozen, and the level count after
// which the remaining jobs are settled together.
constexpr double FREEZE_SLACK = 1e-9;
constexpr int MAX_WATER_LEVELS = 64;
// Shares below this are solver noise, not time to hand out.
constexpr double TINY_SHARE = 1e-9;

/// Jobs whose LP data are identical (same class, and the same weight, remaining work ... as
/// far as the objective reads them) share one set of columns, which keeps the LP at groups x
/// types x (1 + classes) columns.
using Groups = GavelJobGroups;

/// One LP column: each member of `group`'s share of time on `type`, alone (partner_class -1)
/// or sharing its GPUs with a job of partner_class.
struct Column {
  int group;
  int type;
  int partner_class;
  double rate;  // a member's iterations/s in this column
};

class PackedLp {
 public:
  PackedLp(const GavelPackedProblem& p, Groups g)
      : p_(p), g_(std::move(g)), types_(p.jobs.num_types()) {
    glp_term_out(GLP_OFF);
    const int groups = static_cast<int>(g_.first.size());
    members_.assign(p.num_classes, {});
    for (int j = 0; j < p.jobs.num_jobs(); ++j) members_[p.job_class[j]].push_back(j);
    groups_of_class_.assign(p.num_classes, {});
    for (int k = 0; k < groups; ++k) groups_of_class_[class_of(k)].push_back(k);
    build_columns();
    lp_ = glp_create_prob();
    glp_set_obj_dir(lp_, GLP_MAX);
    z_col_ = static_cast<int>(columns_.size()) + 1;
    glp_add_cols(lp_, z_col_);
    for (int c = 1; c <= z_col_; ++c) glp_set_col_bnds(lp_, c, GLP_LO, 0, 0);

    // Rows: per group with a column its ratio row and its share row; a capacity row per
    // type; the balance rows between classes and the equal-share rows inside a class.
    ratio_row_.assign(groups, 0);
    int rows = 0;
    for (int k = 0; k < groups; ++k)
      if (!cols_of_group_[k].empty()) {
        ratio_row_[k] = ++rows;
        ++rows;  // share row = ratio row + 1
      }
    const int first_cap = rows + 1;
    rows += types_;
    std::vector<std::vector<std::pair<int, double>>> links;  // rows with right-hand side 0
    add_pair_rows(links);
    glp_add_rows(lp_, rows + static_cast<int>(links.size()));
    rows_ = rows + static_cast<int>(links.size());

    std::vector<int> ri{0}, ci{0};
    std::vector<double> v{0};
    auto put = [&](int r, int c, double value) {
      ri.push_back(r);
      ci.push_back(c);
      v.push_back(value);
    };
    for (int k = 0; k < groups; ++k) {
      if (cols_of_group_[k].empty()) continue;
      glp_set_row_bnds(lp_, ratio_row_[k], GLP_LO, 0, 0);
      glp_set_row_bnds(lp_, ratio_row_[k] + 1, GLP_UP, 0, 1);
      const double sf = p.jobs.scale_factor[g_.first[k]];
      for (int c : cols_of_group_[k]) {
        const Column& col = columns_[c];
        put(ratio_row_[k], c + 1, 1);  // set by set_scales()
        put(ratio_row_[k] + 1, c + 1, 1);
        // A pair holds its GPUs once: each of its two jobs counts half of them.
        put(first_cap + col.type, c + 1, g_.size[k] * sf * (col.partner_class < 0 ? 1.0 : 0.5));
      }
      put(ratio_row_[k], z_col_, -1);
    }
    for (int t = 0; t < types_; ++t)
      glp_set_row_bnds(lp_, first_cap + t, GLP_UP, 0, p.jobs.gpus_per_type[t]);
    for (std::size_t k = 0; k < links.size(); ++k) {
      const int r = rows + 1 + static_cast<int>(k);
      glp_set_row_bnds(lp_, r, GLP_FX, 0, 0);
      for (const auto& [c, value] : links[k]) put(r, c + 1, value);
    }
    glp_load_matrix(lp_, static_cast<int>(ri.size()) - 1, ri.data(), ci.data(), v.data());
    frozen_.assign(groups, 0);
    glp_init_smcp(&parm_);
    parm_.msg_lev = GLP_MSG_OFF;
  }
  ~PackedLp() { glp_delete_prob(lp_); }
  PackedLp(const PackedLp&) = delete;
  PackedLp& operator=(const PackedLp&) = delete;

  bool empty() const { return columns_.empty(); }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  int num_rows() const { return rows_; }

  /// Column coefficients c = rate x scale[job] in the ratio rows (scale is per job, alike
  /// within a group); unfreezes every group.
  void set_scales(const std::vector<double>& scale) {
    scale_.resize(g_.first.size());
    for (std::size_t k = 0; k < g_.first.size(); ++k) scale_[k] = scale[g_.first[k]];
    std::fill(frozen_.begin(), frozen_.end(), 0);
    set_sum_objective(false);
    for (std::size_t k = 0; k < g_.first.size(); ++k)
      if (ratio_row_[k]) {
        write_ratio_row(static_cast<int>(k), true);
        glp_set_row_bnds(lp_, ratio_row_[k], GLP_LO, 0, 0);
      }
  }

  double solve() {
    int status = glp_simplex(lp_, &parm_);
    if (status != 0) {
      glp_adv_basis(lp_, 0);
      status = glp_simplex(lp_, &parm_);
    }
    DLSCHED_EXPECTS(status == 0 && glp_get_status(lp_) == GLP_OPT,
                    "gavel: the packed allocation LP has no optimal solution");
    return glp_get_obj_val(lp_);
  }

  /// Raises the minimum, freezes the groups that bound it, repeats (as MaxMinLp::water_fill
  /// in gavel_lp.cpp). Returns the first (Gavel's) level.
  double water_fill() {
    const int groups = static_cast<int>(g_.first.size());
    double first = -1;
    int unfrozen = 0;
    for (int k = 0; k < groups; ++k) unfrozen += ratio_row_[k] && !frozen_[k];
    for (int level = 0; unfrozen > 0; ++level) {
      if (level == MAX_WATER_LEVELS) {
        two_stage();
        break;
      }
      const double z = solve();
      if (first < 0) first = z;
      std::vector<int> bound;
      for (int k = 0; k < groups; ++k)
        if (ratio_row_[k] && !frozen_[k] &&
            (std::abs(glp_get_row_dual(lp_, ratio_row_[k])) > 1e-9 || ceiling(k) <= z * (1 + 1e-9)))
          bound.push_back(k);
      if (bound.empty())
        for (int k = 0; k < groups; ++k)
          if (ratio_row_[k] && !frozen_[k] &&
              glp_get_row_prim(lp_, ratio_row_[k]) <= z * 1e-7 + 1e-12)
            bound.push_back(k);
      if (bound.empty()) break;
      for (int k : bound) freeze(k, z);
      unfrozen -= static_cast<int>(bound.size());
    }
    return std::max(first, 0.0);
  }

  /// Gavel's LP, then the most sum c x with every group held at that level.
  double two_stage() {
    const double z = solve();
    for (std::size_t k = 0; k < g_.first.size(); ++k)
      if (ratio_row_[k] && !frozen_[k]) freeze(static_cast<int>(k), z);
    set_sum_objective(true);
    solve();
    return z;
  }

  /// max sum c x with no level to hold (the ratio rows left free).
  double max_total() {
    for (std::size_t k = 0; k < g_.first.size(); ++k)
      if (ratio_row_[k]) glp_set_row_bnds(lp_, ratio_row_[k], GLP_FR, 0, 0);
    set_sum_objective(true);
    return solve();
  }

  /// The solution: every job's shares alone into `alone` ([job * types + type]), and the
  /// class shares split into job pairs.
  void read(GavelPackedAllocation& out) const {
    const int jobs = p_.jobs.num_jobs();
    out.alone.num_types = types_;
    out.alone.share.assign(static_cast<std::size_t>(jobs) * types_, 0);
    // Per group and type: its members' shares with each partner class.
    std::vector<std::vector<std::pair<int, double>>> paired(g_.first.size() * types_);
    std::vector<double> alone(g_.first.size() * types_, 0);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const double x = std::clamp(glp_get_col_prim(lp_, static_cast<int>(c) + 1), 0.0, 1.0);
      const Column& col = columns_[c];
      const std::size_t at = static_cast<std::size_t>(col.group) * types_ + col.type;
      if (col.partner_class < 0)
        alone[at] = x;
      else if (x > TINY_SHARE)
        paired[at].emplace_back(col.partner_class, x);
    }
    for (int j = 0; j < jobs; ++j)
      for (int t = 0; t < types_; ++t)
        out.alone.share[static_cast<std::size_t>(j) * types_ + t] =
            alone[static_cast<std::size_t>(g_.of_job[j]) * types_ + t];
    split_into_pairs(paired, out.pairs);
  }

 private:
  int class_of(int group) const { return p_.job_class[g_.first[group]]; }

  void build_columns() {
    const GavelProblem& q = p_.jobs;
    const int classes = p_.num_classes;
    // A class's rate alone on each type, from any member (all members share it).
    auto alone = [&](int cls, int t) {
      return q.throughput[static_cast<std::size_t>(members_[cls].front()) * types_ + t];
    };
    const int groups = static_cast<int>(g_.first.size());
    cols_of_group_.assign(groups, {});
    for (int k = 0; k < groups; ++k) {
      const int j = g_.first[k];
      const int a = class_of(k);
      for (int t = 0; t < types_; ++t) {
        if (q.scale_factor[j] > q.gpus_per_type[t]) continue;
        const double solo = q.throughput[static_cast<std::size_t>(j) * types_ + t];
        if (solo > 0) add_column(Column{k, t, -1, solo});
        for (int b = 0; b < classes; ++b) {
          if (members_[b].empty() || (b == a && members_[a].size() < 2)) continue;
          const double mine = p_.rate(a, b, t), theirs = p_.rate(b, a, t);
          if (mine <= 0 || theirs <= 0 || solo <= 0 || alone(b, t) <= 0) continue;
          if (mine / solo + theirs / alone(b, t) <= 1) continue;  // time-slicing does as well
          add_column(Column{k, t, b, mine});
        }
      }
    }
  }

  void add_column(const Column& c) {
    cols_of_group_[c.group].push_back(static_cast<int>(columns_.size()));
    columns_.push_back(c);
  }

  /// The rows that make class shares split into pairs: balance between two classes (each
  /// member's share times the group's size), equal shares inside one. Each is
  /// [(column, coefficient)], with right-hand side 0.
  void add_pair_rows(std::vector<std::vector<std::pair<int, double>>>& links) {
    const int classes = p_.num_classes;
    // Column of (group, type, partner class), looked up through the group's short list.
    auto column = [&](int k, int t, int b) {
      for (int c : cols_of_group_[k])
        if (columns_[c].type == t && columns_[c].partner_class == b) return c;
      return -1;
    };
    for (int t = 0; t < types_; ++t)
      for (int a = 0; a < classes; ++a)
        for (int b = a; b < classes; ++b) {
          if (groups_of_class_[a].empty() || groups_of_class_[b].empty()) continue;
          if (a == b) {
            const int first = column(groups_of_class_[a].front(), t, a);
            if (first < 0) continue;
            for (std::size_t k = 1; k < groups_of_class_[a].size(); ++k) {
              const int c = column(groups_of_class_[a][k], t, a);
              if (c >= 0) links.push_back({{c, 1.0}, {first, -1.0}});
            }
            continue;
          }
          std::vector<std::pair<int, double>> row;
          for (int k : groups_of_class_[a])
            if (const int c = column(k, t, b); c >= 0) row.emplace_back(c, g_.size[k]);
          for (int k : groups_of_class_[b])
            if (const int c = column(k, t, a); c >= 0) row.emplace_back(c, -g_.size[k]);
          if (!row.empty()) links.push_back(std::move(row));
        }
  }

  /// x[i][k] = x[i][t][B] x[k][t][A] / sum_{i' in A} x[i'][t][B] for i in A, k in B; inside
  /// a class A (equal shares r): r / (|A| - 1) per pair, Gavel's convert_job_type_allocation.
  /// `paired` is per group and type.
  void split_into_pairs(const std::vector<std::vector<std::pair<int, double>>>& paired,
                        std::vector<GavelPairShare>& pairs) const {
    const int jobs = p_.jobs.num_jobs();
    auto share = [&](int j, int t, int b) {
      for (const auto& [cls, x] : paired[static_cast<std::size_t>(g_.of_job[j]) * types_ + t])
        if (cls == b) return x;
      return 0.0;
    };
    std::unordered_map<std::uint64_t, std::size_t> slot;  // (a, b) -> index in pairs
    auto add = [&](int i, int k, int t, double x) {
      if (x <= TINY_SHARE) return;
      const int a = std::min(i, k), b = std::max(i, k);
      const auto [it, fresh] = slot.try_emplace(static_cast<std::uint64_t>(a) * jobs + b, pairs.size());
      if (fresh) pairs.push_back(GavelPairShare{a, b, std::vector<double>(types_, 0.0)});
      pairs[it->second].x[t] += x;
    };
    pairs.clear();
    for (int t = 0; t < types_; ++t)
      for (int a = 0; a < p_.num_classes; ++a)
        for (int b = a; b < p_.num_classes; ++b) {
          double total = 0;
          for (int i : members_[a]) total += share(i, t, b);
          if (total <= TINY_SHARE) continue;
          if (a == b) {
            const double per_pair = total / members_[a].size() / (members_[a].size() - 1);
            for (std::size_t u = 0; u < members_[a].size(); ++u)
              for (std::size_t w = u + 1; w < members_[a].size(); ++w)
                add(members_[a][u], members_[a][w], t, per_pair);
            continue;
          }
          for (int i : members_[a])
            for (int k : members_[b]) add(i, k, t, share(i, t, b) * share(k, t, a) / total);
        }
  }

  double ceiling(int k) const {
    double best = 0;
    for (int c : cols_of_group_[k]) best = std::max(best, columns_[c].rate * scale_[k]);
    return best;
  }

  void write_ratio_row(int k, bool with_z) {
    ind_.assign(1, 0);
    val_.assign(1, 0);
    for (int c : cols_of_group_[k]) {
      ind_.push_back(c + 1);
      val_.push_back(columns_[c].rate * scale_[k]);
    }
    if (with_z) {
      ind_.push_back(z_col_);
      val_.push_back(-1);
    }
    glp_set_mat_row(lp_, ratio_row_[k], static_cast<int>(ind_.size()) - 1, ind_.data(), val_.data());
  }

  /// Objective: z, or the sum over jobs of c x (each group's columns count its size).
  void set_sum_objective(bool sum) {
    glp_set_obj_coef(lp_, z_col_, sum ? 0 : 1);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const int k = columns_[c].group;
      glp_set_obj_coef(lp_, static_cast<int>(c) + 1,
                       sum ? g_.size[k] * columns_[c].rate * scale_[k] : 0);
    }
  }

  void freeze(int k, double level) {
    frozen_[k] = 1;
    write_ratio_row(k, false);
    glp_set_row_bnds(lp_, ratio_row_[k], GLP_LO, level * (1 - FREEZE_SLACK), 0);
  }

  const GavelPackedProblem& p_;
  Groups g_;
  int types_;
  std::vector<Column> columns_;
  std::vector<std::vector<int>> cols_of_group_;
  std::vector<std::vector<int>> members_;          // per class: its jobs
  std::vector<std::vector<int>> groups_of_class_;  // per class: its groups
  glp_prob* lp_ = nullptr;
  glp_smcp parm_{};
  int z_col_ = 0;
  int rows_ = 0;
  std::vector<int> ratio_row_;  // per group
  std::vector<char> frozen_;
  std::vector<double> scale_;   // per group
  std::vector<int> ind_;
  std::vector<double> val_;
};

/// The groups for `objective`: jobs of one class with the same weight (max-min fairness), the
/// same work left (makespan), the same work, total and wait (finish-time fairness), or just
/// the class (throughput).
Groups groups_for(const GavelPackedProblem& p, GavelObjective objective) {
  const GavelProblem& q = p.jobs;
  return group_gavel_jobs(q.num_jobs(), [&](int j) {
    auto key = std::make_tuple(p.job_class[j], 0.0, 0.0, 0.0, 0.0);
    switch (objective) {
      case GavelObjective::MAX_MIN_FAIRNESS:
        std::get<1>(key) = q.weight[j];
        break;
      case GavelObjective::MIN_MAKESPAN:
        std::get<2>(key) = q.remaining[j];
        break;
      case GavelObjective::FINISH_TIME_FAIRNESS:
        std::get<2>(key) = q.remaining[j];
        std::get<3>(key) = q.total[j];
        std::get<4>(key) = q.elapsed[j];
        break;
      case GavelObjective::MAX_THROUGHPUT:
        break;
    }
    return key;
  });
}

/// Themis' finish-time fairness (see gavel_lp.cpp's finish_time_fairness): the smallest rho
/// whose max-min level reaches 1, by bisection; then X in two stages at that rho.
double finish_time_fairness(const GavelProblem& q, const std::vector<double>& left, PackedLp& lp) {
  const int n = q.num_jobs();
  const double all = std::accumulate(q.gpus_per_type.begin(), q.gpus_per_type.end(), 0.0);
  const std::vector<double> norm = equal_share_throughput(q);
  int active = 0;
  for (int j = 0; j < n; ++j) active += norm[j] > 0;
  std::vector<double> isolated(n, 0);
  double lo = 0;
  for (int j = 0; j < n; ++j) {
    if (norm[j] <= 0) continue;
    const double share = std::min(1.0, all / (std::max(active, 1) * q.scale_factor[j]));
    isolated[j] = q.total[j] / (share * norm[j]);
    lo = std::max(lo, q.elapsed[j] / isolated[j]);
  }
  std::vector<double> scale(n, 0);
  auto scales = [&](double rho) {
    for (int j = 0; j < n; ++j)
      scale[j] = norm[j] > 0 ? (rho * isolated[j] - q.elapsed[j]) / left[j] : 0;
    lp.set_scales(scale);
  };
  auto feasible = [&](double rho) {
    scales(rho);
    return lp.solve() >= 1 - 1e-9;
  };
  double hi = std::max(2 * lo, 1.0);
  for (int k = 0; k < 60 && !feasible(hi); ++k) lo = hi, hi *= 2;
  for (int k = 0; k < 60 && hi - lo > 1e-6 * hi; ++k) {
    const double mid = 0.5 * (lo + hi);
    (feasible(mid) ? hi : lo) = mid;
  }
  scales(hi);
  lp.two_stage();
  return hi;
}

}  // namespace

GavelPackedAllocation solve_gavel_packed_allocation(const GavelPackedProblem& problem,
                                                    GavelObjective objective) {
  const GavelProblem& q = problem.jobs;
  const int n = q.num_jobs();
  const int types = q.num_types();
  DLSCHED_EXPECTS(q.throughput.size() == static_cast<std::size_t>(n) * types,
                  "gavel: throughput matrix does not match jobs x GPU types");
  DLSCHED_EXPECTS(problem.job_class.size() == static_cast<std::size_t>(n),
                  "gavel: packed problem needs a class per job");
  DLSCHED_EXPECTS(problem.colocated.size() == static_cast<std::size_t>(problem.num_classes) *
                                                  problem.num_classes * types,
                  "gavel: co-location matrix does not match classes x classes x GPU types");
  GavelPackedAllocation out;
  out.alone.num_types = types;
  out.alone.share.assign(q.throughput.size(), 0);
  if (n == 0) return out;
  PackedLp lp(problem, groups_for(problem, objective));
  out.columns = lp.num_columns();
  out.rows = lp.num_rows();
  if (lp.empty()) return out;
  std::vector<double> scale(n, 0);
  // Work left, kept away from 0 relative to the most any job has left: a job about to finish
  // would otherwise put coefficients of 1e9 and more into the LP, which the simplex cannot
  // solve reliably; it meets any level with a sliver of time either way.
  std::vector<double> left(n, 0);
  if (objective == GavelObjective::MIN_MAKESPAN || objective == GavelObjective::FINISH_TIME_FAIRNESS) {
    const double most = *std::max_element(q.remaining.begin(), q.remaining.end());
    for (int j = 0; j < n; ++j) left[j] = std::max(q.remaining[j], std::max(most * 1e-6, 1e-9));
  }
  switch (objective) {
    case GavelObjective::MAX_MIN_FAIRNESS: {
      // Gavel normalises by the throughput alone on an equal share (ProportionalPolicy), the
      // same for the columns with a partner.
      const std::vector<double> norm = equal_share_throughput(q);
      for (int j = 0; j < n; ++j)
        scale[j] = norm[j] > 0 ? q.scale_factor[j] / (q.weight[j] * norm[j]) : 0;
      lp.set_scales(scale);
      out.objective = lp.water_fill();
      break;
    }
    case GavelObjective::MIN_MAKESPAN:
      for (int j = 0; j < n; ++j) scale[j] = 1 / left[j];
      lp.set_scales(scale);
      out.objective = lp.two_stage();
      break;
    case GavelObjective::MAX_THROUGHPUT:
      std::fill(scale.begin(), scale.end(), 1.0);
      lp.set_scales(scale);
      out.objective = lp.max_total();
      break;
    case GavelObjective::FINISH_TIME_FAIRNESS:
      out.objective = finish_time_fairness(q, left, lp);
      break;
  }
  lp.read(out);
  return out;
}

}  // namespace dlsched
