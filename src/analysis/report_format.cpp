#include "analysis/report_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <variant>

#include "analysis/text_cells.h"
#include "core/csv.h"
#include "core/error.h"

namespace dlsched {
namespace {

/// One machine-readable column: a text or a number member of RunReport.
struct Column {
  const char* name;
  std::variant<std::string RunReport::*, double RunReport::*, int RunReport::*> member;
};

const std::vector<Column>& columns() {
  static const std::vector<Column> c = {
      {"file", &RunReport::file},
      {"mode", &RunReport::mode},
      {"policy", &RunReport::policy},
      {"trace", &RunReport::trace},
      {"cluster", &RunReport::cluster},
      {"status", &RunReport::status},
      {"runs", &RunReport::runs},
      {"gpus", &RunReport::gpus},
      {"jobs", &RunReport::jobs},
      {"finished", &RunReport::finished},
      {"unfinished", &RunReport::unfinished},
      {"avg_jct", &RunReport::avg_jct},
      {"p50_jct", &RunReport::p50_jct},
      {"p95_jct", &RunReport::p95_jct},
      {"p99_jct", &RunReport::p99_jct},
      {"makespan", &RunReport::makespan},
      {"utilisation", &RunReport::utilisation},
      {"avg_rho", &RunReport::avg_rho},
      {"max_rho", &RunReport::max_rho},
      {"rho_over_1_1", &RunReport::rho_over_1_1},
      {"preemptions", &RunReport::preemptions},
      {"avg_queueing_delay", &RunReport::avg_queueing_delay},
  };
  return c;
}

// ---- CSV --------------------------------------------------------------------------------------

std::string format_csv(const std::vector<RunReport>& rows) {
  std::string out;
  for (const Column& c : columns()) out += (out.empty() ? "" : ",") + std::string(c.name);
  out += "\n";
  for (const RunReport& r : rows) {
    std::string line;
    for (const Column& c : columns()) {
      if (&c != &columns().front()) line += ",";
      std::visit(
          [&](auto member) {
            using T = std::decay_t<decltype(r.*member)>;
            if constexpr (std::is_same_v<T, std::string>)
              line += csv::quote(r.*member);
            else
              line += csv_number(static_cast<double>(r.*member));
          },
          c.member);
    }
    out += line + "\n";
  }
  return out;
}

// ---- JSON -------------------------------------------------------------------------------------

std::string format_json(const std::vector<RunReport>& rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const RunReport& r : rows) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (const Column& c : columns())
      std::visit(
          [&](auto member) {
            using T = std::decay_t<decltype(r.*member)>;
            if constexpr (std::is_same_v<T, double>) {
              // JSON has no NaN: an undefined statistic is null. Counts print as integers.
              const double v = r.*member;
              if (!std::isfinite(v))
                row[c.name] = nullptr;
              else if (v == std::round(v) && std::fabs(v) < 1e15)
                row[c.name] = static_cast<std::int64_t>(v);
              else
                row[c.name] = v;
            } else {
              row[c.name] = r.*member;
            }
          },
          c.member);
    out.push_back(std::move(row));
  }
  return out.dump(2) + "\n";
}

// ---- Table ------------------------------------------------------------------------------------

/// Integer-looking numbers print without decimals; a mean over seeds keeps one.
std::string count(double v) {
  if (!std::isfinite(v)) return "-";
  return v == std::round(v) ? fmt::format("{:.0f}", v) : fmt::format("{:.1f}", v);
}

/// Grouped rows whose runs differ in a field say "mixed" there, which is no path.
std::string shown_path(const std::string& path) { return path == "mixed" ? path : base_name(path); }

struct TableColumn {
  std::string header;
  bool left;  ///< text columns are left-aligned, numbers right-aligned
  std::string (*cell)(const RunReport&);
};

std::string format_table(const std::vector<RunReport>& rows) {
  if (rows.empty()) return "no runs\n";
  const bool grouped =
      std::any_of(rows.begin(), rows.end(), [](const RunReport& r) { return r.runs != 1; });

  // Metadata shared by every row goes in the caption, not in a repeated column.
  std::vector<TableColumn> cols;
  std::string caption;
  auto meta = [&](const char* header, std::string RunReport::*member, bool path) {
    const std::string& first = rows.front().*member;
    const bool same = std::all_of(rows.begin(), rows.end(),
                                  [&](const RunReport& r) { return r.*member == first; });
    if (same && rows.size() > 1) {
      if (!first.empty())
        caption += fmt::format("{}{}: {}", caption.empty() ? "" : "   ", header,
                               path ? shown_path(first) : first);
      return false;
    }
    return true;
  };
  if (!grouped) cols.push_back({"file", true, [](const RunReport& r) { return shown_path(r.file); }});
  if (meta("mode", &RunReport::mode, false))
    cols.push_back({"mode", true, [](const RunReport& r) { return r.mode; }});
  if (meta("policy", &RunReport::policy, false))
    cols.push_back({"policy", true, [](const RunReport& r) { return r.policy; }});
  if (meta("trace", &RunReport::trace, true))
    cols.push_back({"trace", true, [](const RunReport& r) { return shown_path(r.trace); }});
  if (meta("cluster", &RunReport::cluster, false))
    cols.push_back({"cluster", true, [](const RunReport& r) { return r.cluster; }});
  if (grouped) cols.push_back({"runs", false, [](const RunReport& r) { return count(r.runs); }});
  cols.push_back({"jobs", false, [](const RunReport& r) { return count(r.jobs); }});
  cols.push_back({"unfin", false, [](const RunReport& r) { return count(r.unfinished); }});
  cols.push_back({"avg JCT", false, [](const RunReport& r) { return human_duration(r.avg_jct); }});
  cols.push_back({"p50 JCT", false, [](const RunReport& r) { return human_duration(r.p50_jct); }});
  cols.push_back({"p95 JCT", false, [](const RunReport& r) { return human_duration(r.p95_jct); }});
  cols.push_back({"p99 JCT", false, [](const RunReport& r) { return human_duration(r.p99_jct); }});
  cols.push_back({"makespan", false, [](const RunReport& r) { return human_duration(r.makespan); }});
  cols.push_back({"util", false, [](const RunReport& r) { return percent(r.utilisation); }});
  cols.push_back({"avg rho", false, [](const RunReport& r) { return fixed(r.avg_rho, 2); }});
  cols.push_back({"max rho", false, [](const RunReport& r) { return fixed(r.max_rho, 2); }});
  cols.push_back({"rho>1.1", false, [](const RunReport& r) { return percent(r.rho_over_1_1); }});
  cols.push_back({"preempt", false, [](const RunReport& r) { return count(r.preemptions); }});
  cols.push_back(
      {"avg queue", false, [](const RunReport& r) { return human_duration(r.avg_queueing_delay); }});

  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> width;
  for (const auto& c : cols) width.push_back(c.header.size());
  for (const RunReport& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      line.push_back(cols[i].cell(r));
      width[i] = std::max(width[i], line.back().size());
    }
    cells.push_back(std::move(line));
  }
  auto render = [&](const std::vector<std::string>& line) {
    std::string out;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (i > 0) out += "  ";
      out += cols[i].left ? fmt::format("{:<{}}", line[i], width[i])
                          : fmt::format("{:>{}}", line[i], width[i]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };

  std::string out;
  if (!caption.empty()) out += caption + "\n";
  std::vector<std::string> headers;
  for (const auto& c : cols) headers.push_back(c.header);
  out += render(headers);
  for (const auto& line : cells) out += render(line);
  for (const RunReport& r : rows)
    if (r.status != "complete")
      out += fmt::format("note: {}: the run is incomplete (status {}); its {} unfinished jobs include "
                         "every job without a record\n",
                         r.file, r.status, r.unfinished);
  return out;
}

}  // namespace

ReportFormat parse_report_format(const std::string& name) {
  if (name == "table") return ReportFormat::TABLE;
  if (name == "csv") return ReportFormat::CSV;
  if (name == "json") return ReportFormat::JSON;
  throw InputError("unknown report format \"" + name + "\" (table, csv or json)");
}

const std::vector<std::string>& report_columns() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const Column& c : columns()) n.emplace_back(c.name);
    return n;
  }();
  return names;
}

std::string format_report(const std::vector<RunReport>& rows, ReportFormat format) {
  switch (format) {
    case ReportFormat::CSV: return format_csv(rows);
    case ReportFormat::JSON: return format_json(rows);
    case ReportFormat::TABLE: break;
  }
  return format_table(rows);
}

}  // namespace dlsched
