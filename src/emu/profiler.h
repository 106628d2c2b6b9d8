// The profile driver (rank 0): runs each measurement as leases of the emulator's protocol, so
// the workers time iterations with the very loop (compute, bucketed gradient allreduce) that
// serves `dlsched emulate`, and what the profile reports is what an emulation will see.
#pragma once

#include <ostream>
#include <vector>

#include "emu/channel.h"
#include "emu/driver.h"
#include "emu/profile_plan.h"
#include "emu/profile_subjects.h"
#include "io/profile_file.h"

namespace dlsched::emu {

/// How long each measurement runs.
struct ProfileRepeats {
  int warmup = 2;       ///< iterations run and discarded first (one lease)
  int iterations = 10;  ///< iterations timed per repetition (one lease each)
  int repetitions = 3;  ///< timed leases per measurement
};

/// Runs `cases` one after another on the workers of `channel` (ranks 1..N serve GPUs 0..N-1),
/// then shuts the workers down. `progress` (if set) gets one line as each case starts.
/// Returns one row per repetition. Throws Error if a worker fails or breaks the protocol; the caller then
/// aborts the run.
std::vector<ProfileRecord> measure_profile(const ProfileExperiment& p,
                                           const std::vector<ProfileCase>& cases,
                                           Channel& channel, const DriverSettings& settings,
                                           const ProfileRepeats& repeats,
                                           std::ostream* progress = nullptr);

}  // namespace dlsched::emu
