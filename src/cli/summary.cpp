#include "cli/summary.h"

#include <filesystem>
#include <fmt/format.h>

namespace dlsched::cli {

std::string format_summary(const Experiment& ex, const RunSummary& s, double wall_seconds) {
  const std::string trace = std::filesystem::path(ex.trace.path).filename().string();
  const std::string rounds = ex.scheduler.round_length > 0
                                 ? fmt::format("round {:g} s", ex.scheduler.round_length)
                                 : "event-driven";
  std::string out = fmt::format("{} ({}, {} jobs) on {}, policy {}, {}, time scale {:g}\n", trace,
                                ex.trace.format, s.jobs, ex.cluster.describe(), ex.options.policy,
                                rounds, ex.options.time_scale);
  out += fmt::format(
      "  finished {}/{}  avg JCT {:.1f} s  p50 {:.1f} s  p99 {:.1f} s  makespan {:.1f} s  "
      "GPU util {:.1f}%  preemptions {}  {} {}  wall {:.3f} s\n",
      s.finished, s.jobs, s.avg_jct, s.p50_jct, s.p99_jct, s.makespan, 100 * s.utilisation,
      s.preemptions, ex.scheduler.round_length > 0 ? "rounds" : "decision points", s.rounds,
      wall_seconds);
  return out;
}

}  // namespace dlsched::cli
