// From a profile's repetitions to what people and the simulator read: one entry per
// measurement (medians and spread), the profile CSV `simulate --throughputs` loads, and the
// table `dlsched profile` prints.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "io/profile_file.h"

namespace dlsched {

/// One measurement (model, GPU type, workers, placement) over its repetitions.
struct ProfileEntry {
  std::string model;
  std::string gpu_type;
  int workers = 0;
  int nodes = 0;
  std::string placement;
  int batch = 0;
  int repetitions = 0;
  int samples = 0;           ///< iterations timed, over all repetitions
  double iteration_s = 0;    ///< median over repetitions of the seconds per iteration
  double compute_s = 0;      ///< median compute seconds per iteration
  double comm_s = 0;         ///< median allreduce seconds per iteration
  double min_s = 0, max_s = 0;  ///< fastest and slowest repetition (seconds per iteration)
  double stddev_s = 0;       ///< sample standard deviation between repetitions (0 for one)
  /// (max - min) / median: how far apart the repetitions were.
  double spread() const { return iteration_s > 0 ? (max_s - min_s) / iteration_s : 0; }
};

/// Groups rows by (model, GPU type, workers, placement), in the order they first appear.
std::vector<ProfileEntry> summarise_profile(const std::vector<ProfileRecord>& rows);

/// Writes the profile CSV that ThroughputTable::load_profile_csv reads: `#` comment lines
/// first (`comments`, one per line), then model,gpu_type,workers,consolidated,
/// steps_per_second (1 / median iteration),compute_s,comm_s,stddev_s,samples. consolidated
/// is 1 for entries on one node; where several entries share (model, type, workers,
/// consolidated), the one on the fewest nodes is written (what a packing placement gets).
void write_profile_csv(std::ostream& out, const std::vector<ProfileEntry>& entries,
                       const std::vector<std::string>& comments = {});

/// The human table: model, GPUs, placement, nodes, compute / comm / iteration ms, spread %.
std::string format_profile_table(const std::vector<ProfileEntry>& entries);

}  // namespace dlsched
