#include "analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "core/error.h"
#include "core/statistics.h"

namespace dlsched {
namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

/// Relative signed error of `measured` against `reference`; NaN where undefined.
double relative_error(double measured, double reference) {
  if (!std::isfinite(measured) || !std::isfinite(reference) || reference == 0) return NaN;
  return (measured - reference) / reference;
}

const std::string* find_attribute(const ResultsFile& r, const char* key) {
  auto it = r.attributes.find(key);
  return it == r.attributes.end() ? nullptr : &it->second;
}

/// Two attribute texts describe the same value: equal text, the same number (1 and 1.0), or
/// the same JSON value (policy parameters written by another tool with other spacing).
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  char* end_a = nullptr;
  char* end_b = nullptr;
  const double x = std::strtod(a.c_str(), &end_a);
  const double y = std::strtod(b.c_str(), &end_b);
  if (!a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0') return x == y;
  const auto ja = nlohmann::json::parse(a, nullptr, false);
  const auto jb = nlohmann::json::parse(b, nullptr, false);
  return !ja.is_discarded() && !jb.is_discarded() && ja == jb;
}

/// Seconds a job held GPUs without iterating, per its /progress rows: the checkpoint-restore
/// delay (both modes) and, in emulate, the lease's control overhead.
std::map<std::uint32_t, double> restore_seconds(const ResultsFile& r) {
  std::map<std::uint32_t, double> out;
  for (const ProgressRecord& p : r.progress)
    out[p.job] += std::max(0.0, (p.end - p.start) - p.seconds);
  return out;
}

/// Fills one run's side of a JobComparison from its /jobs row.
void fill_side(const JobRecord& j, double restore, bool& finished, double& jct, double& finish,
               double& wait, double& compute, double& comm, double& restore_out, double& other,
               std::int32_t& preemptions) {
  finished = j.status == 1;
  jct = finished ? j.finish - j.submit : NaN;
  finish = finished ? j.finish : NaN;
  wait = j.first_start >= 0 ? j.first_start - j.submit : NaN;
  compute = j.compute_seconds;
  comm = j.comm_seconds;
  restore_out = restore;
  other = finished ? jct - (wait + compute + comm + restore) : NaN;
  preemptions = j.preemptions;
}

void blank_side(bool& finished, double& jct, double& finish, double& wait, double& compute,
                double& comm, double& restore, double& other) {
  finished = false;
  jct = finish = wait = compute = comm = restore = other = NaN;
}

/// Ranks 1..n, tied values sharing the mean of their ranks.
std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t k = i;
    while (k + 1 < order.size() && v[order[k + 1]] == v[order[i]]) ++k;
    const double mean_rank = (static_cast<double>(i + k) / 2.0) + 1.0;
    for (std::size_t m = i; m <= k; ++m) rank[order[m]] = mean_rank;
    i = k + 1;
  }
  return rank;
}

}  // namespace

const std::vector<ExperimentField>& experiment_fields() {
  // The cluster is compared by its description, not the spec text: an emulation without
  // --cluster derives an equivalent spec from its hosts.
  static const std::vector<ExperimentField> fields = {
      {"trace", "trace_sha256"},       {"policy", "policy"},
      {"policy parameters", "policy_params"}, {"round length", "round_length"},
      {"time scale", "time_scale"},    {"cluster", "cluster"},
  };
  return fields;
}

void check_same_experiment(const ResultsFile& sim, const ResultsFile& emu) {
  for (const ExperimentField& f : experiment_fields()) {
    const std::string* a = find_attribute(sim, f.attribute);
    const std::string* b = find_attribute(emu, f.attribute);
    if (!a && !b) continue;
    if (a && b && same_value(*a, *b)) continue;
    throw InputError("cannot compare: " + std::string(f.name) + " differs (" +
                     (a ? *a : std::string("absent")) + " vs " + (b ? *b : std::string("absent")) +
                     ")");
  }
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  DLSCHED_EXPECTS(x.size() == y.size(), "spearman needs paired samples");
  if (x.size() < 2) return NaN;
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1) / 2;  // mean of ranks 1..n, ties included
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return NaN;
  return sxy / std::sqrt(sxx * syy);
}

Comparison compare_runs(const ResultsFile& sim, const std::string& sim_file,
                        const ResultsFile& emu, const std::string& emu_file, std::size_t worst_n) {
  check_same_experiment(sim, emu);
  Comparison c;
  c.sim_file = sim_file;
  c.emu_file = emu_file;
  if (const auto* m = find_attribute(sim, "mode")) c.sim_mode = *m;
  if (const auto* m = find_attribute(emu, "mode")) c.emu_mode = *m;
  auto exact_simulation = [](const ResultsFile& f, const std::string& mode) {
    return mode == "simulate" && !find_attribute(f, "whole_iterations");
  };
  c.exact_boundaries_vs_emulation =
      (exact_simulation(sim, c.sim_mode) && c.emu_mode == "emulate") ||
      (exact_simulation(emu, c.emu_mode) && c.sim_mode == "emulate");
  for (const ExperimentField& f : experiment_fields())
    if (const auto* v = find_attribute(sim, f.attribute)) c.experiment.emplace_back(f.name, *v);

  c.sim = report_run(sim, sim_file);
  c.emu = report_run(emu, emu_file);
  c.avg_jct_error = relative_error(c.emu.avg_jct, c.sim.avg_jct);
  c.makespan_error = relative_error(c.emu.makespan, c.sim.makespan);
  c.utilisation_error = relative_error(c.emu.utilisation, c.sim.utilisation);

  // Join the /jobs tables on the trace index; a job missing from one file is unfinished there.
  const auto sim_restore = restore_seconds(sim);
  const auto emu_restore = restore_seconds(emu);
  std::map<std::uint32_t, JobComparison> joined;
  auto entry = [&](const JobRecord& j) -> JobComparison& {
    auto [it, added] = joined.try_emplace(j.job);
    JobComparison& x = it->second;
    if (added) {
      x.job = j.job;
      x.job_id = j.job_id;
      x.model = j.model;
      x.num_gpus = j.num_gpus;
      blank_side(x.sim_finished, x.sim_jct, x.sim_finish, x.sim_wait, x.sim_compute, x.sim_comm,
                 x.sim_restore, x.sim_other);
      blank_side(x.emu_finished, x.emu_jct, x.emu_finish, x.emu_wait, x.emu_compute, x.emu_comm,
                 x.emu_restore, x.emu_other);
    }
    return x;
  };
  auto restore_of = [](const std::map<std::uint32_t, double>& m, std::uint32_t job) {
    auto it = m.find(job);
    return it == m.end() ? 0.0 : it->second;
  };
  for (const JobRecord& j : sim.jobs) {
    JobComparison& x = entry(j);
    fill_side(j, restore_of(sim_restore, j.job), x.sim_finished, x.sim_jct, x.sim_finish,
              x.sim_wait, x.sim_compute, x.sim_comm, x.sim_restore, x.sim_other,
              x.sim_preemptions);
  }
  for (const JobRecord& j : emu.jobs) {
    JobComparison& x = entry(j);
    fill_side(j, restore_of(emu_restore, j.job), x.emu_finished, x.emu_jct, x.emu_finish,
              x.emu_wait, x.emu_compute, x.emu_comm, x.emu_restore, x.emu_other,
              x.emu_preemptions);
  }

  std::vector<double> abs_errors, errors, sim_finish, emu_finish;
  ErrorBreakdown& b = c.breakdown;
  for (auto& [id, x] : joined) {
    const bool both = x.sim_finished && x.emu_finished;
    x.ratio = both && x.sim_jct > 0 ? x.emu_jct / x.sim_jct : NaN;
    x.error = both ? relative_error(x.emu_jct, x.sim_jct) : NaN;
    if (!both) {
      c.unfinished.push_back(id);
    } else {
      sim_finish.push_back(x.sim_finish);
      emu_finish.push_back(x.emu_finish);
      if (std::isfinite(x.error)) {
        errors.push_back(x.error);
        abs_errors.push_back(std::fabs(x.error));
      }
      b.jobs += 1;
      b.sim_jct += x.sim_jct;
      b.emu_jct += x.emu_jct;
      b.sim_wait += x.sim_wait;
      b.emu_wait += x.emu_wait;
      b.sim_compute += x.sim_compute;
      b.emu_compute += x.emu_compute;
      b.sim_comm += x.sim_comm;
      b.emu_comm += x.emu_comm;
      b.sim_restore += x.sim_restore;
      b.emu_restore += x.emu_restore;
      b.sim_other += x.sim_other;
      b.emu_other += x.emu_other;
    }
    c.jobs.push_back(x);
  }
  c.compared_jobs = b.jobs;
  c.spearman_finish = spearman(sim_finish, emu_finish);
  c.median_abs_error = percentile_linear(abs_errors, 0.5);
  c.p90_abs_error = percentile_linear(abs_errors, 0.9);
  c.mean_error = errors.empty() ? NaN
                                : std::accumulate(errors.begin(), errors.end(), 0.0) /
                                      static_cast<double>(errors.size());

  std::vector<const JobComparison*> ranked;
  for (const JobComparison& x : c.jobs)
    if (std::isfinite(x.error)) ranked.push_back(&x);
  // Largest |error| first; ties in trace order so the list is deterministic.
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto* a, const auto* b) {
    return std::fabs(a->error) > std::fabs(b->error);
  });
  for (std::size_t i = 0; i < ranked.size() && i < worst_n; ++i) c.worst.push_back(ranked[i]->job);
  return c;
}

}  // namespace dlsched
