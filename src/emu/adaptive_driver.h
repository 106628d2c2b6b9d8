// Rank 0's loop for adaptive jobs (--mechanism pollux): the round decisions of the simulator
// (run/adaptive_fleet.h), carried out on the worker ranks in wall time. At every round
// boundary, once the round's leases have all reported, the policy decides; each job that holds
// GPUs then gets a lease to the next boundary on the ranks of its allocation (a new
// communicator when the rank set changed) at the batch size its agent chose: an optimiser
// step sleeps the profile's step time of that placement and atomic batch (accumulation steps
// included) and allreduces the gradient over the job's ranks. A job's budget is the steps that
// finish it, so the lease that ends it stops at exactly its progress.
#pragma once

#include <string>

#include "emu/driver.h"
#include "sim/adaptive_job.h"

namespace dlsched::emu {

/// Runs the adaptive experiment `ex` on the workers of `channel` until every job has finished,
/// then shuts the workers down. Unlike drive(), there is no checkpoint: a stop signal or a
/// worker that stops answering ends the run with an Error (the caller aborts it).
DriveOutcome drive_adaptive(const Experiment& ex, Policy& policy, Channel& channel,
                            RecordSink& sink, const DriverSettings& settings);

/// The work of one optimiser step of `job` at its current allocation and batch size.
IterationWork adaptive_step_work(const Experiment& ex, const AdaptiveJob& job,
                                 const std::string& application, const DriverSettings& settings);

/// Test hook: a file to which rank 0 appends a line per lease it sends to an adaptive job's
/// workers and one when the lease has reported (docs/emulation.md), so a test can compare what
/// was dispatched and done with /adaptive.
inline constexpr const char* LEASE_LOG_ENV = "DLSCHED_EMU_LEASE_LOG";

}  // namespace dlsched::emu
