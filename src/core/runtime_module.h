// dlsched's own runtime modules: the parts that pull in heavy libraries (MPI, the CUDA backend,
// the Python interpreter) are shared libraries loaded only by the commands that use them, so
// every other command starts without mapping those libraries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dlsched {

/// Folders searched for a module, in order: $DLSCHED_MODULE_DIR when set, the running
/// executable's folder (a build tree) and ../lib/dlsched beside it (an installation).
std::vector<std::filesystem::path> module_search_path();

/// Opens module `file` (a file name such as "dlsched_mpi.so") once per process and returns its
/// handle. Symbols are global, so later modules and the libraries the module loads (MPI's
/// components, Python extensions) resolve against it. `purpose` starts each message ("emulate",
/// "--backend cuda"); `needs` names the libraries it depends on, shown when loading fails. A
/// missing module or one that cannot be loaded is an InputError naming the file and the cause.
void* load_runtime_module(const std::string& file, const std::string& purpose,
                          const std::string& needs);

/// The entry point `symbol` of a loaded module; an InputError naming both when absent.
void* runtime_module_symbol(void* handle, const std::string& file, const std::string& symbol);

}  // namespace dlsched
