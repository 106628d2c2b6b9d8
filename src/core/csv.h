// Small helpers the trace readers share: splitting a line into fields and turning a field
// into a number with an error message that names the file, line, column and bad value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlsched::csv {

/// Splits one CSV line at commas into `fields`, honouring double-quoted fields (a quoted
/// field may hold commas; "" inside quotes is one quote). A trailing '\r' is dropped.
/// `fields` is reused so that a reader looping over many rows does not allocate per row.
/// Throws InputError(file, line) on an unterminated quote.
void split_line(std::string_view line, std::vector<std::string>& fields,
                const std::string& file, long line_number);

/// Splits a line at every `separator` (no quoting), dropping a trailing '\r'.
void split_plain(std::string_view line, char separator, std::vector<std::string>& fields);

/// The text without leading and trailing blanks (spaces, tabs, '\r').
std::string_view trim(std::string_view text);

/// True if the line holds nothing but blanks.
bool is_blank(std::string_view line);

/// Where a field came from, so that a parse error can say exactly what is wrong.
struct Cell {
  const std::string& file;  ///< trace file name
  long line;                ///< 1-based line number
  std::string_view column;  ///< column name as the format calls it
};

/// Throws InputError(file, line, "column 'c': expected <expected>, got \"<value>\"").
[[noreturn]] void fail(const Cell& cell, std::string_view expected, std::string_view value);

/// A finite number (any sign).
double parse_number(std::string_view text, const Cell& cell);
/// A finite number >= 0.
double parse_non_negative(std::string_view text, const Cell& cell);
/// A finite number > 0.
double parse_positive(std::string_view text, const Cell& cell);
/// An integer >= 1 ("4" or "4.0"; a fractional value is an error).
int parse_positive_int(std::string_view text, const Cell& cell);
/// Like parse_non_negative, but an empty (or blank) field gives nullopt.
std::optional<double> parse_optional_non_negative(std::string_view text, const Cell& cell);

/// The trimmed text, which must not be empty (e.g. a model name).
std::string_view require_text(std::string_view text, const Cell& cell);

/// Quotes a value for a CSV cell when it holds a comma, quote, newline or edge blanks.
std::string quote(std::string_view value);

/// Throws InputError(file, line) unless the row has exactly `expected` fields.
void expect_field_count(const std::vector<std::string>& fields, std::size_t expected,
                        const std::string& file, long line);

/// True if the first line's comma-separated names include every one of `required`
/// (used by format detection; never throws).
bool header_has(std::string_view first_line, const std::vector<std::string_view>& required);

/// Index of the first non-blank line, or lines.size() if there is none.
std::size_t first_content_line(const std::vector<std::string>& lines);

/// A file whose first non-blank line names the columns (any order): finds columns by name
/// and walks the data rows.
class HeaderedFile {
 public:
  /// Reads the header from the first non-blank line of `lines`. Names are trimmed and
  /// compared case-insensitively. Throws InputError(file, 1) for an empty file and
  /// InputError(file, line) for a repeated column name; `format` and `expected_header`
  /// only feed error messages.
  HeaderedFile(const std::vector<std::string>& lines, const std::string& file,
               std::string_view format, std::string_view expected_header);

  /// Index of a column, or nullopt if the header lacks it.
  std::optional<std::size_t> find(std::string_view name) const;
  /// Index of a column the format needs; throws InputError(file, header line) naming the
  /// format, the missing column and the expected header.
  std::size_t require(std::string_view name) const;

  /// Calls row(fields, line_number) for every non-blank line after the header, after checking
  /// that it has as many fields as the header. `fields` is reused across rows.
  template <class RowFn>
  void for_each_row(RowFn&& row) const {
    std::vector<std::string> fields;
    for (std::size_t i = header_index_ + 1; i < lines_.size(); ++i) {
      if (is_blank(lines_[i])) continue;
      const long line_number = static_cast<long>(i) + 1;
      split_line(lines_[i], fields, file_, line_number);
      expect_field_count(fields, names_.size(), file_, line_number);
      row(static_cast<const std::vector<std::string>&>(fields), line_number);
    }
  }

  /// 0-based index of the header line in `lines`.
  std::size_t header_index() const { return header_index_; }

 private:
  const std::vector<std::string>& lines_;
  const std::string& file_;
  std::string format_;
  std::string expected_header_;
  std::size_t header_index_ = 0;
  std::vector<std::string> names_;  // lower-cased, trimmed
};

}  // namespace dlsched::csv
