// The driver of adaptive mechanisms (--mechanism pollux): Pollux's simulator loop around any
// policy. Every round_length seconds all jobs run on their allocations (sim/adaptive_job.h),
// then the policy sees the active jobs with their agents' estimates (JobView::adaptive) and
// places them node by node; a job whose GPUs changed restarts (restore_delay) with the batch
// size its agent picks for them.
#pragma once

#include "run/records.h"
#include "sched/experiment.h"
#include "sim/simulator.h"

namespace dlsched {

/// Runs `experiment` (whose mechanism has adaptive_jobs and whose applications are loaded)
/// under `policy`, writing /jobs and /rounds rows to `sink`. Jobs run as policy.adaptivity()
/// asks; an InputError names the trace line of a job that needs a batch size and has none.
RunSummary simulate_adaptive(const Experiment& experiment, Policy& policy, RecordSink& sink,
                             const SimulationOptions& options = {});

}  // namespace dlsched
