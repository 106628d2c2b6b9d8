#include "emu/interruptions.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace dlsched::emu {
namespace {

double number_or_zero(const RunAttributes& a, const char* key) {
  const auto it = a.find(key);
  if (it == a.end()) return 0;
  try {
    std::size_t used = 0;
    const double v = std::stod(it->second, &used);
    if (used == it->second.size() && std::isfinite(v) && v >= 0) return v;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("attribute {} = '{}' is not a non-negative number", key,
                               it->second));
}

}  // namespace

Interruptions read_interruptions(const RunAttributes& a) {
  Interruptions i;
  i.count = static_cast<int>(number_or_zero(a, "interruptions"));
  i.wall_seconds = number_or_zero(a, "interrupted_wall_seconds");
  i.restore_seconds = number_or_zero(a, "requeue_restore_seconds");
  return i;
}

void write_interruptions(Hdf5ResultsWriter& writer, const Interruptions& i) {
  writer.set_attribute("interruptions", std::to_string(i.count));
  writer.set_attribute("interrupted_wall_seconds", fmt::format("{}", i.wall_seconds));
  writer.set_attribute("requeue_restore_seconds", fmt::format("{}", i.restore_seconds));
}

}  // namespace dlsched::emu
