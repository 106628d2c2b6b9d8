#include "sched/policies/gittins_index.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace dlsched {

GittinsIndex::GittinsIndex(std::vector<double> samples, double delta, Form form)
    : sorted_(std::move(samples)), delta_(delta) {
  std::sort(sorted_.begin(), sorted_.end());
  prefix_.assign(sorted_.size() + 1, 0.0);
  for (std::size_t i = 0; i < sorted_.size(); ++i) prefix_[i + 1] = prefix_[i] + sorted_[i];
  table_.resize(sorted_.size());
  for (std::size_t i = 0; i < sorted_.size(); ++i) {
    // The last whole GPU-second before sample i, kept inside the step that ends there.
    const double below = i > 0 ? sorted_[i - 1] : 0.0;
    table_[i] = form == Form::PAPER ? exact(std::max(below, sorted_[i] - 1)) : simulator_value(sorted_[i] - 1);
  }
}

double GittinsIndex::exact(double a) const {
  const auto first_alive = std::upper_bound(sorted_.begin(), sorted_.end(), a) - sorted_.begin();
  const auto first_after = std::upper_bound(sorted_.begin(), sorted_.end(), a + delta_) - sorted_.begin();
  const auto n = static_cast<std::ptrdiff_t>(sorted_.size());
  const double alive = static_cast<double>(n - first_alive);
  if (alive == 0) return 0;
  const double finishing = static_cast<double>(first_after - first_alive);
  const double finishing_service = prefix_[first_after] - prefix_[first_alive] - a * finishing;
  const double expected = (finishing_service + delta_ * static_cast<double>(n - first_after)) / alive;
  return (finishing / alive) / expected;
}

namespace {
/// Python's round(x, digits) for the magnitudes involved (halves away from zero).
double round_to(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}
}  // namespace

double GittinsIndex::simulator_value(double a) const {
  const auto n = static_cast<std::ptrdiff_t>(sorted_.size());
  if (a > sorted_.back() - 1) return 0;
  const auto alive_from = std::upper_bound(sorted_.begin(), sorted_.end(), a) - sorted_.begin();
  const double next = a + delta_;
  const auto after = next > sorted_.back() - 1
                         ? n - 1
                         : std::upper_bound(sorted_.begin(), sorted_.end(), next) - sorted_.begin();
  const double alive = static_cast<double>(n - alive_from);
  const double p = round_to(static_cast<double>(after - alive_from) / alive, 5);
  const double sum = prefix_[after] - prefix_[alive_from] + delta_ * static_cast<double>(n - after);
  // Whole-number sizes and quantum make the simulator's division an integer one.
  const bool whole = sum == std::floor(sum) && delta_ == std::floor(delta_);
  const double e = whole ? std::floor(sum / alive) : round_to(sum / alive, 5);
  return e > 0 ? round_to(p * 1e6 / e, 4) : 0.0;
}

double GittinsIndex::at(double service) const {
  const auto next = std::upper_bound(sorted_.begin(), sorted_.end(), service) - sorted_.begin();
  return next == static_cast<std::ptrdiff_t>(sorted_.size()) ? 0.0 : table_[next];
}

namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) {
    const auto first = field.find_first_not_of(" \t");
    const auto last = field.find_last_not_of(" \t");
    out.push_back(first == std::string::npos ? "" : field.substr(first, last - first + 1));
  }
  return out;
}

}  // namespace

std::vector<double> parse_service_samples(std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  std::vector<double> samples;
  long column = -1;
  long line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::vector<std::string> fields = split_fields(line);
    if (column < 0) {
      const auto it = std::find(fields.begin(), fields.end(), "duration");
      if (it == fields.end())
        throw InputError(name, line_no, "the header has no 'duration' column (job GPU-seconds)");
      column = it - fields.begin();
      continue;
    }
    if (static_cast<long>(fields.size()) <= column)
      throw InputError(name, line_no, fmt::format("{} fields, the duration is field {}", fields.size(), column + 1));
    const std::string& item = fields[static_cast<std::size_t>(column)];
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(v) || !(v > 0))
      throw InputError(name, line_no, fmt::format("duration '{}' is not a positive number", item));
    samples.push_back(v);
  }
  if (samples.empty()) throw InputError(name, line_no, "no job sizes (a 'duration' column with one row per job)");
  return samples;
}

std::vector<double> load_service_samples(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the service prior", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_service_samples(text.str(), path);
}

}  // namespace dlsched
