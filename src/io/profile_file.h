// The HDF5 file `dlsched profile --out` writes: one /profile row per repetition of each
// measurement, the /cluster rows of the workers and root attributes saying how it was made.
// The table machinery is shared with the results file, so this is implemented in
// hdf5_results.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_results.h"
#include "run/records.h"

namespace dlsched {

/// One repetition of one measurement: means per iteration over its iterations and members.
struct ProfileRecord {
  std::string model;           ///< as the trace or --model names it (the table's key)
  std::string gpu_type;
  std::int32_t workers = 0;
  std::int32_t nodes = 0;      ///< distinct nodes the workers span
  std::string placement;       ///< "packed" or "spread"
  std::int32_t batch = 0;      ///< per-worker batch size
  std::int32_t repetition = 0; ///< 0-based
  std::int32_t iterations = 0; ///< iterations timed in this repetition (after the warm-up)
  double compute_s = 0;        ///< compute seconds per iteration
  double comm_s = 0;           ///< gradient allreduce seconds per iteration
  double iteration_s = 0;      ///< seconds per iteration, first to last (compute + comm + loop)
};

/// A profile file read back.
struct ProfileFile {
  RunAttributes attributes;
  std::vector<ProfileRecord> rows;
  std::vector<GpuRecord> cluster;
};

/// Writes a complete profile file at `path` (created or truncated) in one go, with root
/// attributes format = "dlsched-profile", schema_version and status = "complete". Throws
/// Error naming the file if it cannot be written.
void write_profile_file(const std::string& path, const RunAttributes& attributes,
                        const std::vector<GpuRecord>& cluster,
                        const std::vector<ProfileRecord>& rows);

/// Reads a profile file; a missing, corrupt or non-profile file is an InputError naming it.
ProfileFile read_profile_file(const std::string& path);

}  // namespace dlsched
