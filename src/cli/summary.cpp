#include "cli/summary.h"

#include <filesystem>
#include <fmt/format.h>

namespace dlsched::cli {

std::string format_summary(const Experiment& ex, const RunSummary& s, double wall_seconds) {
  const std::string trace = std::filesystem::path(ex.trace.path).filename().string();
  std::string out = fmt::format("{} ({}, {} jobs) on {}, policy {}, round {:g} s, time scale {:g}\n",
                                trace, ex.trace.format, s.jobs, ex.cluster.describe(),
                                ex.options.policy, ex.scheduler.round_length, ex.options.time_scale);
  out += fmt::format(
      "  finished {}/{}  avg JCT {:.1f} s  p50 {:.1f} s  p99 {:.1f} s  makespan {:.1f} s  "
      "GPU util {:.1f}%  preemptions {}  rounds {}  wall {:.3f} s\n",
      s.finished, s.jobs, s.avg_jct, s.p50_jct, s.p99_jct, s.makespan, 100 * s.utilisation,
      s.preemptions, s.rounds, wall_seconds);
  return out;
}

}  // namespace dlsched::cli
