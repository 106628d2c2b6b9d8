#include "core/csv.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "core/error.h"

namespace dlsched::csv {

namespace {

// Gives the next output field, reusing the string (and its capacity) left from the last row.
std::string& next_field(std::vector<std::string>& fields, std::size_t& count) {
  if (count == fields.size()) fields.emplace_back();
  std::string& field = fields[count++];
  field.clear();
  return field;
}

std::string_view drop_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r'; }

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

}  // namespace

void split_line(std::string_view line, std::vector<std::string>& fields, const std::string& file,
                long line_number) {
  line = drop_cr(line);
  std::size_t count = 0;
  std::size_t i = 0;
  for (;;) {
    std::string& field = next_field(fields, count);
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] != '"') {
          field += line[i++];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          i += 2;
        } else {
          ++i;
          closed = true;
          break;
        }
      }
      if (!closed) throw InputError(file, line_number, "unterminated quoted field");
      while (i < line.size() && is_blank_char(line[i])) ++i;
      if (i == line.size()) break;
      if (line[i] != ',')
        throw InputError(file, line_number, "unexpected text after a quoted field");
      ++i;
      continue;
    }
    const std::size_t comma = line.find(',', i);
    if (comma == std::string_view::npos) {
      field.assign(line.substr(i));
      break;
    }
    field.assign(line.substr(i, comma - i));
    i = comma + 1;
  }
  fields.resize(count);
}

void split_plain(std::string_view line, char separator, std::vector<std::string>& fields) {
  line = drop_cr(line);
  std::size_t count = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = line.find(separator, start);
    std::string& field = next_field(fields, count);
    if (end == std::string_view::npos) {
      field.assign(line.substr(start));
      break;
    }
    field.assign(line.substr(start, end - start));
    start = end + 1;
  }
  fields.resize(count);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank_char(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank_char(text.back())) text.remove_suffix(1);
  return text;
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

void fail(const Cell& cell, std::string_view expected, std::string_view value) {
  std::string message = "column '";
  message += cell.column;
  message += "': expected ";
  message += expected;
  message += ", got \"";
  message += value;
  message += '"';
  throw InputError(cell.file, cell.line, message);
}

namespace {

// std::from_chars: locale-independent and allocation-free, which matters for the 82k-row
// Philly trace. It rejects a leading '+', which some tools write, so skip one here.
std::optional<double> to_double(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace

double parse_number(std::string_view text, const Cell& cell) {
  const auto value = to_double(text);
  if (!value) fail(cell, "a finite number", text);
  return *value;
}

double parse_non_negative(std::string_view text, const Cell& cell) {
  const auto value = to_double(text);
  if (!value || *value < 0) fail(cell, "a non-negative number", text);
  return *value;
}

double parse_positive(std::string_view text, const Cell& cell) {
  const auto value = to_double(text);
  if (!value || *value <= 0) fail(cell, "a positive number", text);
  return *value;
}

int parse_positive_int(std::string_view text, const Cell& cell) {
  const auto value = to_double(text);
  if (!value || *value < 1 || *value > INT_MAX || std::floor(*value) != *value)
    fail(cell, "a positive integer", text);
  return static_cast<int>(*value);
}

std::optional<double> parse_optional_non_negative(std::string_view text, const Cell& cell) {
  if (is_blank(text)) return std::nullopt;
  return parse_non_negative(text, cell);
}

std::string_view require_text(std::string_view text, const Cell& cell) {
  const std::string_view value = trim(text);
  if (value.empty()) fail(cell, "a non-empty value", text);
  return value;
}

std::string quote(std::string_view value) {
  const bool needs_quotes =
      value.find_first_of(",\"\n\r") != std::string_view::npos ||
      (!value.empty() && (is_blank_char(value.front()) || is_blank_char(value.back())));
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

HeaderedFile::HeaderedFile(const std::vector<std::string>& lines, const std::string& file,
                           std::string_view format, std::string_view expected_header)
    : lines_(lines), file_(file), format_(format), expected_header_(expected_header) {
  header_index_ = first_content_line(lines);
  if (header_index_ == lines.size())
    throw InputError(file, 1, "empty file; a " + format_ + " trace starts with the header " +
                                  expected_header_);
  const long line_number = static_cast<long>(header_index_) + 1;
  std::vector<std::string> fields;
  split_line(lines[header_index_], fields, file, line_number);
  names_.reserve(fields.size());
  for (const auto& field : fields) {
    std::string key = lower(trim(field));
    if (!key.empty() && std::find(names_.begin(), names_.end(), key) != names_.end())
      throw InputError(file, line_number, "column '" + key + "' appears twice in the header");
    names_.push_back(std::move(key));
  }
}

std::optional<std::size_t> HeaderedFile::find(std::string_view name) const {
  const std::string key = lower(name);
  const auto it = std::find(names_.begin(), names_.end(), key);
  if (it == names_.end()) return std::nullopt;
  return static_cast<std::size_t>(it - names_.begin());
}

std::size_t HeaderedFile::require(std::string_view name) const {
  if (const auto index = find(name)) return *index;
  std::string message = "not a " + format_ + " header: missing column '";
  message += name;
  message += "' (expected " + expected_header_ + ")";
  throw InputError(file_, static_cast<long>(header_index_) + 1, message);
}

void expect_field_count(const std::vector<std::string>& fields, std::size_t expected,
                        const std::string& file, long line) {
  if (fields.size() != expected)
    throw InputError(file, line,
                     "expected " + std::to_string(expected) + " fields like the header, got " +
                         std::to_string(fields.size()));
}

bool header_has(std::string_view first_line, const std::vector<std::string_view>& required) {
  std::vector<std::string> names;
  split_plain(first_line, ',', names);
  for (auto& name : names) {
    std::string_view bare = trim(name);
    // Detection looks at the raw line, so undo the quoting a spreadsheet may have added.
    if (bare.size() >= 2 && bare.front() == '"' && bare.back() == '"')
      bare = bare.substr(1, bare.size() - 2);
    name = lower(bare);
  }
  for (std::string_view column : required) {
    if (std::find(names.begin(), names.end(), lower(column)) == names.end()) return false;
  }
  return true;
}

std::size_t first_content_line(const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (!is_blank(lines[i])) return i;
  return lines.size();
}

}  // namespace dlsched::csv
