#include "analysis/text_cells.h"

#include <cmath>
#include <filesystem>
#include <fmt/format.h>

namespace dlsched {

std::string human_duration(double seconds, int digits) {
  if (!std::isfinite(seconds)) return "-";
  if (std::fabs(seconds) < 120) return fmt::format("{:.{}f}s", seconds, digits);
  if (std::fabs(seconds) < 7200) return fmt::format("{:.1f}m", seconds / 60);
  return fmt::format("{:.2f}h", seconds / 3600);
}

std::string percent(double share) {
  return std::isfinite(share) ? fmt::format("{:.1f}%", 100 * share) : "-";
}

std::string signed_percent(double share) {
  return std::isfinite(share) ? fmt::format("{:+.1f}%", 100 * share) : "-";
}

std::string fixed(double value, int digits) {
  return std::isfinite(value) ? fmt::format("{:.{}f}", value, digits) : "-";
}

std::string csv_number(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : "";
}

std::string base_name(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  return name.empty() ? path : name;
}

}  // namespace dlsched
