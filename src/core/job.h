// One training job as a trace describes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace dlsched {

/// Dense index of a job inside its trace (0..N-1); every table refers to jobs by it.
using JobId = std::uint32_t;

/// Limits on what a trace may describe, checked when it is read. Times beyond about 31.7
/// years (a submit time, a duration, or the run time the iterations amount to) are refused:
/// a simulation of them would step through idle rounds for hours, and a result in which such
/// a job finished says nothing about a real cluster.
inline constexpr double kMaxTraceSeconds = 1e9;
/// Job ids are stored in results files in fixed fields of this many bytes; longer ids are
/// refused rather than cut, which could give two jobs the same id.
inline constexpr std::size_t kMaxJobIdBytes = 64;

/// A job as read from a trace, before any scheduling.
struct JobSpec {
  JobId index = 0;               ///< position in the trace after sorting by submit time
  std::string id;                ///< the trace's own job name or number
  double submit_time = 0;        ///< seconds from trace start
  std::string model;             ///< model catalog key
  int num_gpus = 1;              ///< GPUs (data-parallel workers) requested
  double iterations = 0;         ///< work, in iterations at num_gpus workers
  std::optional<double> duration;  ///< isolated run time (s) if the trace gives it
  std::string user;              ///< owner (empty if unknown)
  double priority = 1;           ///< weight for weighted-fairness policies
  std::optional<int> batch_size; ///< global batch size if the trace gives it
  long source_line = 0;          ///< line in the trace file, for error messages
};

}  // namespace dlsched
