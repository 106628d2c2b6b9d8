#include "analysis/compare_format.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <nlohmann/json.hpp>

#include "analysis/text_cells.h"
#include "core/csv.h"

namespace dlsched {
namespace {

using Json = nlohmann::ordered_json;

/// A number column: its name and how to read it.
template <class T>
struct NumberColumn {
  const char* name;
  std::function<double(const T&)> get;
};

const std::vector<NumberColumn<Comparison>>& summary_numbers() {
  static const std::vector<NumberColumn<Comparison>> c = {
      {"jobs", [](const Comparison& x) { return static_cast<double>(x.jobs.size()); }},
      {"compared_jobs", [](const Comparison& x) { return x.compared_jobs; }},
      {"unfinished_jobs", [](const Comparison& x) { return static_cast<double>(x.unfinished.size()); }},
      {"sim_avg_jct", [](const Comparison& x) { return x.sim.avg_jct; }},
      {"emu_avg_jct", [](const Comparison& x) { return x.emu.avg_jct; }},
      {"avg_jct_error", [](const Comparison& x) { return x.avg_jct_error; }},
      {"sim_makespan", [](const Comparison& x) { return x.sim.makespan; }},
      {"emu_makespan", [](const Comparison& x) { return x.emu.makespan; }},
      {"makespan_error", [](const Comparison& x) { return x.makespan_error; }},
      {"sim_utilisation", [](const Comparison& x) { return x.sim.utilisation; }},
      {"emu_utilisation", [](const Comparison& x) { return x.emu.utilisation; }},
      {"utilisation_error", [](const Comparison& x) { return x.utilisation_error; }},
      {"spearman_finish", [](const Comparison& x) { return x.spearman_finish; }},
      {"mean_error", [](const Comparison& x) { return x.mean_error; }},
      {"median_abs_error", [](const Comparison& x) { return x.median_abs_error; }},
      {"p90_abs_error", [](const Comparison& x) { return x.p90_abs_error; }},
  };
  return c;
}

const std::vector<NumberColumn<JobComparison>>& job_numbers() {
  static const std::vector<NumberColumn<JobComparison>> c = {
      {"num_gpus", [](const JobComparison& x) { return x.num_gpus; }},
      {"sim_finished", [](const JobComparison& x) { return x.sim_finished ? 1 : 0; }},
      {"emu_finished", [](const JobComparison& x) { return x.emu_finished ? 1 : 0; }},
      {"sim_jct", [](const JobComparison& x) { return x.sim_jct; }},
      {"emu_jct", [](const JobComparison& x) { return x.emu_jct; }},
      {"ratio", [](const JobComparison& x) { return x.ratio; }},
      {"error", [](const JobComparison& x) { return x.error; }},
      {"sim_finish", [](const JobComparison& x) { return x.sim_finish; }},
      {"emu_finish", [](const JobComparison& x) { return x.emu_finish; }},
      {"sim_wait", [](const JobComparison& x) { return x.sim_wait; }},
      {"emu_wait", [](const JobComparison& x) { return x.emu_wait; }},
      {"sim_compute", [](const JobComparison& x) { return x.sim_compute; }},
      {"emu_compute", [](const JobComparison& x) { return x.emu_compute; }},
      {"sim_comm", [](const JobComparison& x) { return x.sim_comm; }},
      {"emu_comm", [](const JobComparison& x) { return x.emu_comm; }},
      {"sim_restore", [](const JobComparison& x) { return x.sim_restore; }},
      {"emu_restore", [](const JobComparison& x) { return x.emu_restore; }},
      {"sim_other", [](const JobComparison& x) { return x.sim_other; }},
      {"emu_other", [](const JobComparison& x) { return x.emu_other; }},
      {"sim_preemptions", [](const JobComparison& x) { return x.sim_preemptions; }},
      {"emu_preemptions", [](const JobComparison& x) { return x.emu_preemptions; }},
  };
  return c;
}

/// The breakdown's components: name, sim and emu sums.
struct Component {
  const char* name;
  double ErrorBreakdown::*sim;
  double ErrorBreakdown::*emu;
};

constexpr Component kComponents[] = {
    {"jct", &ErrorBreakdown::sim_jct, &ErrorBreakdown::emu_jct},
    {"wait", &ErrorBreakdown::sim_wait, &ErrorBreakdown::emu_wait},
    {"compute", &ErrorBreakdown::sim_compute, &ErrorBreakdown::emu_compute},
    {"comm", &ErrorBreakdown::sim_comm, &ErrorBreakdown::emu_comm},
    {"restore", &ErrorBreakdown::sim_restore, &ErrorBreakdown::emu_restore},
    {"other", &ErrorBreakdown::sim_other, &ErrorBreakdown::emu_other},
};

// ---- CSV and JSON ---------------------------------------------------------------------------

/// JSON has no NaN: undefined is null; integral values print as integers.
Json json_number(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == std::round(v) && std::fabs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

/// "a,b,c\n": the header row of a CSV table.
std::string csv_header(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& name : columns) out += (out.empty() ? "" : ",") + name;
  return out + "\n";
}

std::string format_csv_summary(const Comparison& c) {
  std::string row = csv::quote(c.sim_file) + "," + csv::quote(c.emu_file) + "," +
                    csv::quote(c.sim_mode) + "," + csv::quote(c.emu_mode);
  for (const auto& col : summary_numbers()) row += "," + csv_number(col.get(c));
  return csv_header(compare_summary_columns()) + row + "\n";
}

std::string format_csv_jobs(const Comparison& c) {
  std::string out = csv_header(compare_job_columns());
  for (const JobComparison& x : c.jobs) {
    out += std::to_string(x.job) + "," + csv::quote(x.job_id) + "," + csv::quote(x.model);
    for (const auto& col : job_numbers()) out += "," + csv_number(col.get(x));
    out += "\n";
  }
  return out;
}

Json job_json(const JobComparison& x) {
  Json j = Json::object();
  j["job"] = x.job;
  j["job_id"] = x.job_id;
  j["model"] = x.model;
  for (const auto& col : job_numbers()) j[col.name] = json_number(col.get(x));
  return j;
}

const JobComparison* find_job(const Comparison& c, std::uint32_t job) {
  for (const JobComparison& x : c.jobs)
    if (x.job == job) return &x;
  return nullptr;
}

std::string format_json(const Comparison& c) {
  Json out = Json::object();
  out["sim_file"] = c.sim_file;
  out["emu_file"] = c.emu_file;
  out["sim_mode"] = c.sim_mode;
  out["emu_mode"] = c.emu_mode;
  Json experiment = Json::object();
  for (const auto& [name, value] : c.experiment) experiment[name] = value;
  out["experiment"] = experiment;
  Json summary = Json::object();
  for (const auto& col : summary_numbers()) summary[col.name] = json_number(col.get(c));
  out["summary"] = summary;
  Json breakdown = Json::object();
  breakdown["jobs"] = json_number(c.breakdown.jobs);
  for (const Component& k : kComponents) {
    const double s = c.breakdown.*k.sim, e = c.breakdown.*k.emu;
    breakdown[k.name] = {{"sim", json_number(s)}, {"emu", json_number(e)},
                         {"difference", json_number(e - s)}};
  }
  out["breakdown"] = breakdown;
  Json worst = Json::array();
  for (std::uint32_t id : c.worst) worst.push_back(job_json(*find_job(c, id)));
  out["worst"] = worst;
  Json unfinished = Json::array();
  for (std::uint32_t id : c.unfinished) unfinished.push_back(job_json(*find_job(c, id)));
  out["unfinished"] = unfinished;
  Json jobs = Json::array();
  for (const JobComparison& x : c.jobs) jobs.push_back(job_json(x));
  out["jobs"] = jobs;
  return out.dump(2) + "\n";
}

// ---- Table ----------------------------------------------------------------------------------

/// Aligned columns: the first left-aligned, the rest right-aligned.
std::string render(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i > 0) line += "  ";
      line += i == 0 ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("{:>{}}", r[i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::vector<std::string> job_row(const JobComparison& x) {
  return {x.job_id,
          x.model,
          std::to_string(x.num_gpus),
          human_duration(x.sim_jct, 2),
          human_duration(x.emu_jct, 2),
          std::isfinite(x.ratio) ? fmt::format("{:.3f}", x.ratio) : "-",
          signed_percent(x.error),
          human_duration(x.emu_wait - x.sim_wait, 2),
          human_duration(x.emu_compute - x.sim_compute, 2),
          human_duration(x.emu_comm - x.sim_comm, 2),
          human_duration(x.emu_restore - x.sim_restore, 2),
          human_duration(x.emu_other - x.sim_other, 2)};
}

const std::vector<std::string> kJobHeader = {"job",  "model",    "gpus",    "sim JCT",
                                             "emu JCT", "ratio", "error",   "d wait",
                                             "d compute", "d comm", "d restore", "d other"};

std::string format_table(const Comparison& c) {
  std::string out;
  out += fmt::format("reference: {} ({})   measured: {} ({})\n", base_name(c.sim_file), c.sim_mode,
                     base_name(c.emu_file), c.emu_mode);
  std::string caption;
  for (const auto& [name, value] : c.experiment)
    if (name != "trace")  // the SHA-256 says nothing to a reader; the report names the trace
      caption += fmt::format("{}{}: {}", caption.empty() ? "" : "   ", name, value);
  out += caption + "\n\n";

  out += render({{"", "reference", "measured", "error"},
                 {"avg JCT", human_duration(c.sim.avg_jct, 2), human_duration(c.emu.avg_jct, 2),
                  signed_percent(c.avg_jct_error)},
                 {"makespan", human_duration(c.sim.makespan, 2), human_duration(c.emu.makespan, 2),
                  signed_percent(c.makespan_error)},
                 {"utilisation", percent(c.sim.utilisation), percent(c.emu.utilisation),
                  signed_percent(c.utilisation_error)}});
  out += fmt::format(
      "\njobs compared: {:.0f} of {}   per-job JCT error: median |e| {}, p90 |e| {}, mean e {}\n",
      c.compared_jobs, c.jobs.size(), percent(c.median_abs_error), percent(c.p90_abs_error),
      signed_percent(c.mean_error));
  out += fmt::format("finish-order Spearman rank correlation: {}\n",
                     std::isfinite(c.spearman_finish) ? fmt::format("{:.3f}", c.spearman_finish)
                                                      : std::string("-"));

  // Where the difference comes from, summed over the compared jobs.
  out += "\nbreakdown over compared jobs (sums; jct = wait + compute + comm + restore + other)\n";
  std::vector<std::vector<std::string>> rows = {{"component", "reference", "measured", "diff",
                                                 "share of JCT diff"}};
  const double jct_diff = c.breakdown.emu_jct - c.breakdown.sim_jct;
  for (const Component& k : kComponents) {
    const double s = c.breakdown.*k.sim, e = c.breakdown.*k.emu;
    rows.push_back({k.name, human_duration(s, 2), human_duration(e, 2), human_duration(e - s, 2),
                    jct_diff != 0 ? percent((e - s) / jct_diff) : "-"});
  }
  out += render(rows);

  if (!c.worst.empty()) {
    out += fmt::format("\nworst {} jobs by |error| (d = measured - reference)\n", c.worst.size());
    std::vector<std::vector<std::string>> w = {kJobHeader};
    for (std::uint32_t id : c.worst) w.push_back(job_row(*find_job(c, id)));
    out += render(w);
  }
  if (!c.unfinished.empty()) {
    out += fmt::format("\n{} jobs unfinished in a run (not in the per-job figures)\n",
                       c.unfinished.size());
    std::vector<std::vector<std::string>> u = {{"job", "model", "gpus", "reference", "measured"}};
    for (std::uint32_t id : c.unfinished) {
      const JobComparison& x = *find_job(c, id);
      u.push_back({x.job_id, x.model, std::to_string(x.num_gpus),
                   x.sim_finished ? "finished" : "unfinished",
                   x.emu_finished ? "finished" : "unfinished"});
    }
    out += render(u);
  }
  if (c.sim.status != "complete" || c.emu.status != "complete")
    out += "note: a run did not complete (status running); its tables end at its last flush\n";
  if (c.exact_boundaries_vs_emulation)
    out += "note: the simulation stopped jobs exactly at round boundaries; emulate stops them "
           "between iterations (simulate --whole-iterations does too)\n";
  return out;
}

}  // namespace

const std::vector<std::string>& compare_summary_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"sim_file", "emu_file", "sim_mode", "emu_mode"};
    for (const auto& col : summary_numbers()) n.emplace_back(col.name);
    return n;
  }();
  return names;
}

const std::vector<std::string>& compare_job_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"job", "job_id", "model"};
    for (const auto& col : job_numbers()) n.emplace_back(col.name);
    return n;
  }();
  return names;
}

std::string format_comparison(const Comparison& c, ReportFormat format, CompareCsvTable csv_table) {
  switch (format) {
    case ReportFormat::CSV:
      return csv_table == CompareCsvTable::JOBS ? format_csv_jobs(c) : format_csv_summary(c);
    case ReportFormat::JSON: return format_json(c);
    case ReportFormat::TABLE: break;
  }
  return format_table(c);
}

}  // namespace dlsched
