#include "analysis/report_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "analysis/results_checks.h"
#include "core/error.h"
#include "core/statistics.h"
#include "run/run_summary.h"

namespace dlsched {
namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

// Themis calls a job treated unfairly when it finishes more than 10% later than it would
// have alone; the report counts those.
constexpr double kUnfairRho = 1.1;

std::string attribute(const RunAttributes& a, const std::string& key) {
  auto it = a.find(key);
  return it == a.end() ? std::string() : it->second;
}

/// The GPU count of the run: the "gpus" attribute, else the /cluster table (files written
/// by tools that did not set it).
double gpu_count(const ResultsFile& r) {
  const std::string text = attribute(r.attributes, "gpus");
  if (!text.empty()) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0' && v > 0) return v;
  }
  return static_cast<double>(r.cluster.size());
}

/// The text fields a report can be grouped by, as pointers so grouping and merging share them.
struct TextField {
  const char* name;
  std::string RunReport::*member;
};

constexpr TextField kTextFields[] = {
    {"mode", &RunReport::mode},     {"policy", &RunReport::policy},
    {"trace", &RunReport::trace},   {"cluster", &RunReport::cluster},
    {"status", &RunReport::status},
};

constexpr double RunReport::*kNumberFields[] = {
    &RunReport::gpus,        &RunReport::jobs,         &RunReport::finished,
    &RunReport::unfinished,  &RunReport::avg_jct,      &RunReport::p50_jct,
    &RunReport::p95_jct,     &RunReport::p99_jct,      &RunReport::makespan,
    &RunReport::utilisation, &RunReport::avg_rho,      &RunReport::max_rho,
    &RunReport::rho_over_1_1, &RunReport::preemptions, &RunReport::avg_queueing_delay,
};

const TextField& text_field(const std::string& key) {
  for (const TextField& f : kTextFields)
    if (key == f.name) return f;
  std::string known;
  for (const std::string& k : report_group_keys()) known += (known.empty() ? "" : ", ") + k;
  throw InputError("cannot group by \"" + key + "\" (known: " + known + ")");
}

/// Mean of one statistic over a group, skipping runs where it is undefined (NaN), so that a
/// seed with no finished job does not blank the whole group.
double mean_skipping_nan(const std::vector<const RunReport*>& group, double RunReport::*member) {
  std::vector<double> defined;
  for (const RunReport* r : group)
    if (!std::isnan(r->*member)) defined.push_back(r->*member);
  return mean(defined);
}

RunReport merge(const std::vector<const RunReport*>& group) {
  RunReport out;
  out.runs = 0;
  for (const RunReport* r : group) {
    out.file += (out.file.empty() ? "" : ";") + r->file;
    out.runs += r->runs;
  }
  for (const TextField& f : kTextFields) {
    const std::string& first = group.front()->*f.member;
    const bool same = std::all_of(group.begin(), group.end(),
                                  [&](const RunReport* r) { return r->*f.member == first; });
    out.*f.member = same ? first : "mixed";
  }
  for (double RunReport::*member : kNumberFields) out.*member = mean_skipping_nan(group, member);
  return out;
}

}  // namespace

RunReport report_run(const ResultsFile& results, const std::string& file) {
  RunReport r;
  r.file = file;
  r.mode = attribute(results.attributes, "mode");
  r.policy = attribute(results.attributes, "policy");
  r.trace = attribute(results.attributes, "trace");
  r.cluster = attribute(results.attributes, "cluster");
  r.status = attribute(results.attributes, "status");
  r.gpus = gpu_count(results);

  std::vector<double> rho, queueing;
  for (const JobRecord& j : results.jobs) {
    r.preemptions += j.preemptions;
    if (j.first_start >= 0) queueing.push_back(j.first_start - j.submit);
    if (j.status != 1) {
      r.unfinished += 1;
      continue;
    }
    r.finished += 1;
    // finish - submit rather than the jct column, as summarize_jobs counts it.
    if (j.isolated_time > 0) rho.push_back((j.finish - j.submit) / j.isolated_time);
  }
  r.jobs = static_cast<double>(results.jobs.size());
  // A run that did not complete (killed, or stopped at a checkpoint) has rows only for the
  // jobs that finished: every other job of its trace counts as unfinished.
  if (const std::optional<long> trace_jobs = trace_job_count(results);
      trace_jobs && static_cast<double>(*trace_jobs) > r.jobs) {
    r.unfinished += static_cast<double>(*trace_jobs) - r.jobs;
    r.jobs = static_cast<double>(*trace_jobs);
  }
  // The figures simulate and emulate print come from the one definition they use.
  const RunSummary summary = summarize_jobs(results.jobs, r.gpus);
  r.avg_jct = summary.avg_jct;
  r.p50_jct = summary.p50_jct;
  r.p95_jct = summary.p95_jct;
  r.p99_jct = summary.p99_jct;
  r.makespan = summary.makespan;
  r.utilisation = summary.utilisation;
  r.avg_rho = mean(rho);
  r.max_rho = rho.empty() ? NaN : *std::max_element(rho.begin(), rho.end());
  r.rho_over_1_1 =
      rho.empty() ? NaN
                  : static_cast<double>(std::count_if(rho.begin(), rho.end(),
                                                      [](double x) { return x > kUnfairRho; })) /
                        static_cast<double>(rho.size());
  r.avg_queueing_delay = mean(queueing);
  return r;
}

const std::vector<std::string>& report_group_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const TextField& f : kTextFields) k.emplace_back(f.name);
    return k;
  }();
  return keys;
}

std::vector<RunReport> group_reports(const std::vector<RunReport>& rows,
                                     const std::vector<std::string>& keys) {
  std::vector<const TextField*> fields;
  for (const std::string& key : keys) fields.push_back(&text_field(key));
  std::vector<std::vector<const RunReport*>> groups;
  for (const RunReport& row : rows) {
    auto same_key = [&](const std::vector<const RunReport*>& g) {
      return std::all_of(fields.begin(), fields.end(), [&](const TextField* f) {
        return g.front()->*f->member == row.*f->member;
      });
    };
    auto it = std::find_if(groups.begin(), groups.end(), same_key);
    if (it == groups.end())
      groups.push_back({&row});
    else
      it->push_back(&row);
  }
  std::vector<RunReport> out;
  for (const auto& g : groups) out.push_back(merge(g));
  return out;
}

}  // namespace dlsched
