// The summary a run prints when it ends.
#pragma once

#include <string>

#include "run/run_summary.h"
#include "sched/experiment.h"

namespace dlsched::cli {

/// Two lines: what ran (trace, cluster, policy) and its headline figures.
std::string format_summary(const Experiment& ex, const RunSummary& s, double wall_seconds);

}  // namespace dlsched::cli
