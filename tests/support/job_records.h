// Hand-made rows of the /jobs table for tests of what reads results (report, compare).
#pragma once

#include <cstdint>

#include "run/records.h"

namespace dlsched::test {

/// A one-GPU ResNet-50 job "j<id>"; `finish` < 0 means unfinished (status 0, no JCT).
JobRecord job_record(std::uint32_t id, double submit, double first_start, double finish,
                     double gpu_seconds);

}  // namespace dlsched::test
