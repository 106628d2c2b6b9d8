// Which GPU a rank uses: its node-local rank modulo the visible devices. The CUDA runtime
// applies CUDA_VISIBLE_DEVICES; dlsched never overrides it.
#pragma once

#include <string>

namespace dlsched::emu {

/// Visible CUDA devices, 0 when there is no device or no driver (never throws; tests, benches).
int visible_cuda_devices();
/// Why no device is usable ("" if one is): the runtime's error or "0 devices".
std::string cuda_unavailable_reason();
/// This process's rank among the processes of its node, from the launcher's environment
/// (Open MPI, Slurm, MPICH/Hydra, PALS); the world rank if none is set. The launcher is asked
/// rather than MPI_Comm_split_type because workers create the backend alone (no collective).
int node_local_rank();
/// Makes the device of this rank current and returns it; no visible device is a CudaError
/// saying so (the worker that reports it adds host and rank).
int select_cuda_device();
/// "host/PCI bus id" of `device`: members of a job that print the same string share a GPU.
std::string cuda_device_identity(int device);

}  // namespace dlsched::emu
