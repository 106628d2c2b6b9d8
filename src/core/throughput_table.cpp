#include "core/throughput_table.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace dlsched {
namespace {

using nlohmann::json;

// Gavel names a worker type measured with its workers spread over servers "<type>_unconsolidated".
constexpr std::string_view kSpreadSuffix = "_unconsolidated";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("throughput table '" + path + "': cannot open file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

long line_at(const std::string& text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<long>(std::count(text.begin(), text.begin() + static_cast<long>(offset), '\n'));
}

/// Line of the object key reached by `path` (outermost first), for error messages: nlohmann's
/// DOM keeps no positions, so the text is rescanned, only when something is wrong. Falls back
/// to the deepest enclosing key that was found, or line 1.
long line_of_key(const std::string& text, const std::vector<std::string>& path) {
  struct Level {
    bool object;
    bool expect_key;
    std::string key;  // the key whose value is being read (objects only)
  };
  std::vector<Level> stack;
  long line = 1;
  long best = 1;
  std::size_t best_depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\n': ++line; break;
      case '{': stack.push_back({true, true, {}}); break;
      case '[': stack.push_back({false, false, {}}); break;
      case '}':
      case ']':
        if (!stack.empty()) stack.pop_back();
        break;
      case ':':
        if (!stack.empty()) stack.back().expect_key = false;
        break;
      case ',':
        if (!stack.empty() && stack.back().object) stack.back().expect_key = true;
        break;
      case '"': {
        const std::size_t start = i;
        const long start_line = line;
        bool escaped = false;
        for (++i; i < text.size(); ++i) {
          if (text[i] == '\n') ++line;  // not valid JSON, but keep the count honest
          if (escaped) {
            escaped = false;
          } else if (text[i] == '\\') {
            escaped = true;
          } else if (text[i] == '"') {
            break;
          }
        }
        if (stack.empty() || !stack.back().object || !stack.back().expect_key) break;
        const std::size_t depth = stack.size();
        if (depth > path.size()) break;
        const std::string raw = text.substr(start, i - start + 1);
        std::string key = raw.substr(1, raw.size() - 2);
        if (key.find('\\') != std::string::npos) key = json::parse(raw).get<std::string>();
        stack.back().key = key;
        bool match = true;
        for (std::size_t d = 0; d + 1 < depth && match; ++d)
          match = stack[d].object && stack[d].key == path[d];
        if (match && key == path[depth - 1]) {
          if (depth == path.size()) return start_line;
          if (depth > best_depth) {
            best = start_line;
            best_depth = depth;
          }
        }
        break;
      }
      default: break;
    }
  }
  return best;
}

/// Parses Gavel's Python-tuple key "('Job name', 2)" into (job name, scale factor).
std::optional<std::pair<std::string, int>> parse_job_key(std::string_view s) {
  auto skip_space = [&] {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  };
  skip_space();
  if (s.empty() || s.front() != '(') return std::nullopt;
  s.remove_prefix(1);
  skip_space();
  if (s.empty() || (s.front() != '\'' && s.front() != '"')) return std::nullopt;
  const char quote = s.front();
  s.remove_prefix(1);
  std::string name;
  bool closed = false;
  while (!s.empty()) {
    char c = s.front();
    s.remove_prefix(1);
    if (c == '\\' && !s.empty()) {  // Python's repr escapes the quote and the backslash
      name += s.front();
      s.remove_prefix(1);
    } else if (c == quote) {
      closed = true;
      break;
    } else {
      name += c;
    }
  }
  if (!closed || name.empty()) return std::nullopt;
  skip_space();
  if (s.empty() || s.front() != ',') return std::nullopt;
  s.remove_prefix(1);
  skip_space();
  int scale = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), scale);
  if (ec != std::errc() || scale < 1) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  skip_space();
  if (s.empty() || s.front() != ')') return std::nullopt;
  s.remove_prefix(1);
  skip_space();
  if (!s.empty()) return std::nullopt;
  return std::make_pair(std::move(name), scale);
}

/// Parse-error text without nlohmann's "[json.exception...] parse error at line L, column C: "
/// prefix, since InputError already carries the line.
std::string json_error_text(const json::parse_error& e) {
  const std::string what = e.what();
  if (auto col = what.find("column "); col != std::string::npos)
    if (auto colon = what.find(": ", col); colon != std::string::npos) return what.substr(colon + 2);
  return what;
}

/// nlohmann reports a number beyond double's range ("number overflow parsing '1e400'") without
/// a position: find the number in the text for its line and the key it belongs to.
InputError number_out_of_range(const std::string& path, const std::string& text,
                               const json::out_of_range& e) {
  const std::string what = e.what();
  const auto open = what.find('\'');
  const auto close = open == std::string::npos ? open : what.find('\'', open + 1);
  if (close == std::string::npos) return InputError(path, 1, "number out of range");
  const std::string number = what.substr(open + 1, close - open - 1);
  std::size_t at = text.find(number);
  if (at == std::string::npos) at = 0;
  // The key is the last string before the number that is followed by a colon.
  std::string key;
  const auto colon = text.rfind(':', at);
  if (colon != std::string::npos) {
    const auto key_end = text.rfind('"', colon);
    const auto key_begin = key_end == std::string::npos || key_end == 0 ? std::string::npos
                                                                       : text.rfind('"', key_end - 1);
    if (key_begin != std::string::npos) key = text.substr(key_begin + 1, key_end - key_begin - 1);
  }
  return InputError(path, line_at(text, at),
                    fmt::format("number {} is out of range{}", number,
                                key.empty() ? "" : fmt::format(" (key \"{}\")", key)));
}

ThroughputTable gavel_from_text(const std::string& path, const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the byte that could not be read.
    throw InputError(path, line_at(text, e.byte == 0 ? 0 : e.byte - 1),
                     "invalid JSON: " + json_error_text(e));
  } catch (const json::out_of_range& e) {
    throw number_out_of_range(path, text, e);
  }
  if (!doc.is_object())
    throw InputError(path, 1,
                     "expected a JSON object of worker types (Gavel's simulation_throughputs.json)");

  ThroughputTable table;
  for (const auto& [worker, jobs] : doc.items()) {
    auto fail = [&](const std::vector<std::string>& where, const std::string& what) {
      return InputError(path, line_of_key(text, where), what);
    };
    if (!jobs.is_object())
      throw fail({worker}, "worker type '" + worker + "' must map to an object of jobs");
    const bool consolidated = !std::string_view(worker).ends_with(kSpreadSuffix);
    const std::string gpu_type =
        consolidated ? worker : worker.substr(0, worker.size() - kSpreadSuffix.size());

    for (const auto& [job_key, rates] : jobs.items()) {
      const auto job = parse_job_key(job_key);
      if (!job)
        throw fail({worker, job_key}, "worker type '" + worker + "': job key '" + job_key +
                                          "' is not of the form ('job type', scale_factor)");
      const auto& [model, workers] = *job;
      const std::string entry = "worker type '" + worker + "', job '" + job_key + "'";
      if (!rates.is_object())
        throw fail({worker, job_key}, entry + " must map to an object of rates");

      for (const auto& [other_key, rate] : rates.items()) {
        const std::vector<std::string> where{worker, job_key, other_key};
        if (other_key == "null") {
          if (!rate.is_number() || rate.get<double>() < 0)
            throw fail(where, entry + ": \"null\" (isolated steps/s) must be a number >= 0");
          // 0 marks a configuration that did not fit in memory or was not measured.
          if (const double r = rate.get<double>(); r > 0)
            table.set(model, gpu_type, workers, consolidated, r);
          continue;
        }
        const auto other = parse_job_key(other_key);
        if (!other)
          throw fail(where, entry + ": co-location key '" + other_key +
                                "' is not of the form ('job type', scale_factor)");
        if (other->second != workers)
          throw fail(where, entry + ": co-located job '" + other_key +
                                "' must have the same scale factor");
        if (!rate.is_array() || rate.size() != 2 || !rate[0].is_number() ||
            !rate[1].is_number() || rate[0].get<double>() < 0 || rate[1].get<double>() < 0)
          throw fail(where, entry + ": co-location rates for '" + other_key +
                                "' must be [self, other] steps/s, both >= 0");
        // The table keys co-location by GPU type only; Gavel packs jobs within one server's
        // GPUs, so the consolidated measurements are the ones a packing policy needs.
        if (!consolidated) continue;
        if (const double self = rate[0].get<double>(); self > 0 && rate[1].get<double>() > 0)
          table.set_colocated(model, other->first, gpu_type, workers, self);
      }
    }
  }
  return table;
}

// ---- dlsched's profile CSV ---------------------------------------------------------------------

/// Splits one CSV line into fields: commas separate, double quotes protect commas and quotes
/// ("" inside quotes), spaces around unquoted fields are dropped. nullopt for an unclosed quote.
std::optional<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, was_quoted = false;
  auto finish = [&] {
    if (!was_quoted) {
      const auto b = field.find_first_not_of(" \t");
      const auto e = field.find_last_not_of(" \t");
      field = b == std::string::npos ? std::string() : field.substr(b, e - b + 1);
    }
    fields.push_back(std::move(field));
    field.clear();
    was_quoted = false;
  };
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.find_first_not_of(" \t") == std::string::npos) {
      field.clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      finish();
    } else {
      field += c;
    }
  }
  if (quoted) return std::nullopt;
  finish();
  return fields;
}

/// The lines of `text` with their 1-based numbers, skipping blank lines and '#' comments; a
/// UTF-8 byte-order mark and Windows line ends are dropped.
std::vector<std::pair<long, std::string_view>> content_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::pair<long, std::string_view>> out;
  long number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    out.emplace_back(number, line);
  }
  return out;
}

/// Whether `text` looks like a profile CSV: its first content line names the columns
/// "model" and "steps_per_second".
bool is_profile_csv(const std::string& text) {
  const auto lines = content_lines(text);
  if (lines.empty()) return false;
  const auto fields = split_csv_line(lines.front().second);
  if (!fields) return false;
  bool model = false, rate = false;
  for (const std::string& f : *fields) {
    model = model || lower(f) == "model";
    rate = rate || lower(f) == "steps_per_second";
  }
  return model && rate;
}

std::optional<double> parse_double(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

ThroughputTable profile_from_text(const std::string& path, const std::string& text) {
  // Column order is free; the optional columns are what `dlsched profile` adds for people.
  static const std::vector<std::string> kRequired = {"model", "gpu_type", "workers",
                                                     "consolidated", "steps_per_second"};
  static const std::vector<std::string> kOptional = {"compute_s", "comm_s", "stddev_s",
                                                     "samples"};
  const auto lines = content_lines(text);
  if (lines.empty()) throw InputError(path, 1, "empty profile table (a header line is required)");
  const long header_line = lines.front().first;
  const auto header = split_csv_line(lines.front().second);
  if (!header) throw InputError(path, header_line, "unclosed quote in the header");
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header->size(); ++i) {
    const std::string name = lower((*header)[i]);
    const bool known = std::find(kRequired.begin(), kRequired.end(), name) != kRequired.end() ||
                       std::find(kOptional.begin(), kOptional.end(), name) != kOptional.end();
    if (!known)
      throw InputError(path, header_line,
                       "unknown column '" + (*header)[i] +
                           "' (expected model,gpu_type,workers,consolidated,steps_per_second"
                           "[,compute_s,comm_s,stddev_s,samples])");
    if (!column.emplace(name, i).second)
      throw InputError(path, header_line, "column '" + name + "' appears twice");
  }
  for (const std::string& name : kRequired)
    if (!column.count(name))
      throw InputError(path, header_line, "the header lacks the column '" + name + "'");

  ThroughputTable table;
  std::map<std::tuple<std::string, std::string, int, bool>, long> seen;  // key -> line
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const auto [line, body] = lines[r];
    const auto fields = split_csv_line(body);
    if (!fields) throw InputError(path, line, "unclosed quote");
    if (fields->size() != header->size())
      throw InputError(path, line, fmt::format("expected {} fields as in the header, got {}",
                                               header->size(), fields->size()));
    auto field = [&](const std::string& name) -> const std::string& {
      return (*fields)[column.at(name)];
    };
    const std::string& model = field("model");
    if (model.empty()) throw InputError(path, line, "empty model");
    const std::string gpu_type = lower(field("gpu_type"));
    if (gpu_type.empty()) throw InputError(path, line, "empty gpu_type");
    int workers = 0;
    const std::string& w = field("workers");
    auto [wend, wec] = std::from_chars(w.data(), w.data() + w.size(), workers);
    if (wec != std::errc() || wend != w.data() + w.size() || workers < 1)
      throw InputError(path, line, "workers must be an integer >= 1, got '" + w + "'");
    const std::string c = lower(field("consolidated"));
    bool consolidated = false;
    if (c == "1" || c == "true" || c == "yes")
      consolidated = true;
    else if (!(c == "0" || c == "false" || c == "no"))
      throw InputError(path, line,
                       "consolidated must be 1 (all workers on one node) or 0 (spread), got '" +
                           field("consolidated") + "'");
    const auto rate = parse_double(field("steps_per_second"));
    if (!rate || *rate <= 0)
      throw InputError(path, line, "steps_per_second must be a number > 0, got '" +
                                       field("steps_per_second") + "'");
    for (const std::string& name : kOptional) {
      if (!column.count(name) || field(name).empty()) continue;
      const auto v = parse_double(field(name));
      if (!v || *v < 0)
        throw InputError(path, line, name + " must be a number >= 0, got '" + field(name) + "'");
    }
    const auto key = std::make_tuple(model, gpu_type, workers, consolidated);
    if (auto [it, added] = seen.emplace(key, line); !added)
      throw InputError(path, line, fmt::format("duplicate entry for {} on {} x{} {} (first on "
                                               "line {})",
                                               model, gpu_type, workers,
                                               consolidated ? "consolidated" : "spread",
                                               it->second));
    table.set(model, gpu_type, workers, consolidated, *rate);
  }
  return table;
}

}  // namespace

ThroughputTable ThroughputTable::load_profile_csv(const std::string& path) {
  ThroughputTable table = profile_from_text(path, read_file(path));
  table.path_ = path;
  return table;
}

ThroughputTable ThroughputTable::load_gavel_json(const std::string& path) {
  ThroughputTable table = gavel_from_text(path, read_file(path));
  table.path_ = path;
  return table;
}

ThroughputTable ThroughputTable::load(const std::string& path) {
  const std::string text = read_file(path);
  std::string_view head = text;
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);  // UTF-8 byte-order mark
  const auto first = head.find_first_not_of(" \t\r\n");
  const bool json = first != std::string_view::npos && head[first] == '{';
  if (!json && !is_profile_csv(text))
    throw InputError(path, line_at(text, first == std::string_view::npos ? 0 : first),
                     "unrecognised throughput table (expected Gavel's simulation_throughputs.json, "
                     "a JSON object, or a profile CSV with a header naming model,gpu_type,workers,"
                     "consolidated,steps_per_second)");
  ThroughputTable table = json ? gavel_from_text(path, text) : profile_from_text(path, text);
  table.path_ = path;
  return table;
}

std::optional<double> ThroughputTable::steps_per_second(const std::string& model,
                                                        const std::string& gpu_type, int workers,
                                                        bool consolidated) const {
  const std::string type = lower(gpu_type);
  if (auto it = isolated_.find(Key{model, type, workers, consolidated}); it != isolated_.end())
    return it->second;
  // One worker sits on one server either way, so either measurement describes it. With more
  // workers the placements differ; the caller scales another measurement analytically.
  if (workers == 1)
    if (auto it = isolated_.find(Key{model, type, workers, !consolidated}); it != isolated_.end())
      return it->second;
  return std::nullopt;
}

std::optional<double> ThroughputTable::colocated_steps_per_second(const std::string& model,
                                                                  const std::string& other,
                                                                  const std::string& gpu_type,
                                                                  int workers) const {
  auto it = colocated_.find({model, other, lower(gpu_type), workers});
  if (it == colocated_.end()) return std::nullopt;
  return it->second;
}

void ThroughputTable::set(const std::string& model, const std::string& gpu_type, int workers,
                          bool consolidated, double steps_per_second) {
  DLSCHED_EXPECTS(workers >= 1, "workers must be positive, got " + std::to_string(workers));
  DLSCHED_EXPECTS(steps_per_second > 0 && std::isfinite(steps_per_second),
                  "steps/s must be positive and finite for " + model);
  isolated_[Key{model, lower(gpu_type), workers, consolidated}] = steps_per_second;
}

void ThroughputTable::set_colocated(const std::string& model, const std::string& other,
                                    const std::string& gpu_type, int workers,
                                    double steps_per_second) {
  DLSCHED_EXPECTS(workers >= 1, "workers must be positive, got " + std::to_string(workers));
  DLSCHED_EXPECTS(steps_per_second > 0 && std::isfinite(steps_per_second),
                  "co-located steps/s must be positive and finite for " + model);
  colocated_[{model, other, lower(gpu_type), workers}] = steps_per_second;
}

}  // namespace dlsched
