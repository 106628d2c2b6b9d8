// SIGTERM and SIGUSR1 ask an emulation to checkpoint and stop (a batch system's time limit).
// The handlers only count the signal; rank 0's event loop acts on it between messages.
#pragma once

namespace dlsched::emu {

/// Makes SIGTERM and SIGUSR1 set a flag instead of ending the process. Call before MPI_Init,
/// so that a signal that arrives during start-up is not lost either (Open MPI leaves handlers
/// that are already installed alone). Interrupted system calls restart (SA_RESTART).
void install_stop_signal_handlers();

/// Stop signals received so far (a second one asks to stop without waiting for the round).
int stop_signals_received();

/// Name of the last stop signal received ("SIGTERM", "SIGUSR1"), or "" if none.
const char* last_stop_signal();

}  // namespace dlsched::emu
