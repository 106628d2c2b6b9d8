#include "analysis/adaptive_timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "analysis/text_cells.h"
#include "core/csv.h"
#include "core/error.h"

namespace dlsched {

std::vector<AdaptiveTimelineRow> adaptive_timeline(const ResultsFile& results,
                                                   const std::string& path) {
  if (results.adaptive.empty())
    throw InputError(fmt::format("{}: no /adaptive rows: the run had no adaptive jobs (report "
                                 "--adaptive reads runs under --mechanism pollux)",
                                 path));
  std::map<std::uint32_t, const JobRecord*> jobs;
  for (const JobRecord& j : results.jobs) jobs[j.job] = &j;
  std::vector<AdaptiveTimelineRow> rows;
  rows.reserve(results.adaptive.size());
  for (const AdaptiveRecord& a : results.adaptive) {
    const auto it = jobs.find(a.job);
    rows.push_back({path, it != jobs.end() ? it->second->job_id : fmt::format("#{}", a.job),
                    it != jobs.end() ? it->second->model : "", a});
  }
  // Rows come in time order; a job's own rows stay in that order.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    return x.row.job < y.row.job;
  });
  return rows;
}

const std::vector<std::string>& adaptive_timeline_columns() {
  static const std::vector<std::string> columns = {
      "file",       "job",        "model",       "time",     "round",  "gpus",   "nodes",
      "placement",  "batch_size", "atomic_bsz",  "accum_steps", "progress", "samples"};
  return columns;
}

namespace {

std::string format_csv(const std::vector<AdaptiveTimelineRow>& rows) {
  std::string out;
  for (const std::string& c : adaptive_timeline_columns()) out += (out.empty() ? "" : ",") + c;
  out += "\n";
  for (const AdaptiveTimelineRow& r : rows) {
    const AdaptiveRecord& a = r.row;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv::quote(r.file),
                       csv::quote(r.job_id), csv::quote(r.model), csv_number(a.time), a.round,
                       a.gpus, a.nodes, csv::quote(a.placement), a.batch_size, a.atomic_bsz,
                       a.accum_steps, csv_number(a.progress), csv_number(a.samples));
  }
  return out;
}

std::string format_json(const std::vector<AdaptiveTimelineRow>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const AdaptiveTimelineRow& r : rows) {
    const AdaptiveRecord& a = r.row;
    out.push_back({{"file", r.file},
                   {"job", r.job_id},
                   {"model", r.model},
                   {"time", a.time},
                   {"round", a.round},
                   {"gpus", a.gpus},
                   {"nodes", a.nodes},
                   {"placement", a.placement},
                   {"batch_size", a.batch_size},
                   {"atomic_bsz", a.atomic_bsz},
                   {"accum_steps", a.accum_steps},
                   {"progress", a.progress},
                   {"samples", a.samples}});
  }
  return out.dump(2) + "\n";
}

std::string format_table(const std::vector<AdaptiveTimelineRow>& rows) {
  // The allocation and batch of each row; "finished" or "waiting" when it holds no GPUs.
  std::vector<std::vector<std::string>> cells;
  cells.push_back({"file", "job", "model", "time", "round", "GPUs", "nodes", "placement",
                   "batch", "atomic x passes", "progress", "samples"});
  const AdaptiveTimelineRow* previous = nullptr;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const AdaptiveTimelineRow& r = rows[i];
    const AdaptiveRecord& a = r.row;
    const bool first = !previous || previous->file != r.file || previous->row.job != a.job;
    const bool last = i + 1 == rows.size() || rows[i + 1].file != r.file ||
                      rows[i + 1].row.job != a.job;
    const std::string idle = last ? "finished" : "waiting";
    cells.push_back({first ? base_name(r.file) : "", first ? r.job_id : "",
                     first ? r.model : "", human_duration(a.time, 2), std::to_string(a.round),
                     std::to_string(a.gpus), std::to_string(a.nodes),
                     a.gpus > 0 ? a.placement : idle,
                     a.gpus > 0 ? std::to_string(a.batch_size) : "-",
                     a.gpus > 0 ? fmt::format("{} x {}", a.atomic_bsz, a.accum_steps + 1) : "-",
                     fixed(a.progress, 1), fixed(a.samples, 0)});
    previous = &r;
  }
  std::vector<std::size_t> width(cells.front().size(), 0);
  for (const auto& line : cells)
    for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t c = 0; c < line.size(); ++c) {
      // Names left-aligned, numbers right-aligned.
      const bool left = c < 3 || c == 7;
      text += (c ? "  " : "") + (left ? fmt::format("{:<{}}", line[c], width[c])
                                      : fmt::format("{:>{}}", line[c], width[c]));
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

}  // namespace

std::string format_adaptive_timeline(const std::vector<AdaptiveTimelineRow>& rows,
                                     ReportFormat format) {
  switch (format) {
    case ReportFormat::CSV:
      return format_csv(rows);
    case ReportFormat::JSON:
      return format_json(rows);
    case ReportFormat::TABLE:
      return format_table(rows);
  }
  return format_table(rows);
}

}  // namespace dlsched
