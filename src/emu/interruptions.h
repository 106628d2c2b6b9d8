// How a run that was stopped (a checkpoint) and resumed counts its interruptions, kept in root
// attributes of the results file so that a resumed run can be compared with an uninterrupted
// one and with its simulation (docs/slurm.md): the wall time between a checkpoint and its
// resume is no experiment time (the clock goes on from the checkpoint), and the restore delays
// of the jobs the checkpoint stopped are part of their JCTs, charged as the simulator charges
// any restart.
#pragma once

#include "io/hdf5_results.h"

namespace dlsched::emu {

struct Interruptions {
  int count = 0;               ///< checkpoints resumed (`interruptions`)
  double wall_seconds = 0;     ///< wall time stopped, summed (`interrupted_wall_seconds`)
  double restore_seconds = 0;  ///< restore delays of requeued jobs (`requeue_restore_seconds`)
};

/// The counts in a results file's root attributes (zeros where absent: a run never stopped,
/// or a file of an older version). A malformed value is an InputError naming it.
Interruptions read_interruptions(const RunAttributes& attributes);

/// Sets the three root attributes.
void write_interruptions(Hdf5ResultsWriter& writer, const Interruptions& i);

}  // namespace dlsched::emu
