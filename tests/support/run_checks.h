// Invariants every run must satisfy, checked from the rows a run produced.
#pragma once

#include <string>
#include <vector>

#include "run/records.h"
#include "sched/experiment.h"

namespace dlsched::test {

/// Checks, with gtest assertions: every job finished exactly once with all its iterations;
/// none started before it arrived; JCT >= isolated run time; replaying /allocations never
/// gives a GPU to two jobs (unless packed with a co-location entry for the pair) and every
/// start is matched by a stop or finish; the iterations in
/// /progress add up to each job's total (work is conserved across preemptions).
void expect_run_invariants(const Experiment& ex, const MemorySink& rows);

}  // namespace dlsched::test
