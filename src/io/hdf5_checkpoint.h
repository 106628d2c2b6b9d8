// The /checkpoint group of a results file (internal to src/io; docs/results.md has the schema).
#pragma once

#include <string>

#include "io/hdf5_table.h"
#include "run/run_checkpoint.h"

namespace dlsched::hdf5 {

/// Name of the group.
inline constexpr const char* kCheckpointGroup = "checkpoint";

/// Writes `c` as /checkpoint with state "pending", replacing an older group (whose count of
/// checkpoints it carries on).
void write_checkpoint_group(hid_t file, const RunCheckpoint& c, const Reporter& report);
/// The group's state ("pending", "consumed"), or "" if the file has none.
std::string checkpoint_state(hid_t file, const Reporter& report);
/// Sets the group's state (a resumed run marks it "consumed").
void set_checkpoint_state(hid_t file, const std::string& state, const Reporter& report);
/// Reads the group back.
RunCheckpoint read_checkpoint_group(hid_t file, const Reporter& report);

}  // namespace dlsched::hdf5
