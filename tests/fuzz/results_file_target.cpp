// Fuzz target: a results file as `report` and `compare` read it. Any input must end in a
// parsed file or an Error (exit code 2 at the command line): never a signal, a hang or an
// unbounded allocation. Built as a libFuzzer target with clang (-DDLSCHED_FUZZ=ON) and, with
// any compiler, linked to byte_flip_replay.cpp, which CI runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "analysis/compare.h"
#include "analysis/report_stats.h"
#include "analysis/results_checks.h"
#include "core/error.h"
#include "io/hdf5_results.h"

namespace {

/// HDF5 reads files by name: each input goes through a scratch file, the one the replay
/// driver names or one per process.
std::string scratch_path() {
  if (const char* named = std::getenv("DLSCHED_FUZZ_SCRATCH")) return named;
  return "/tmp/dlsched-fuzz-results-" + std::to_string(::getpid()) + ".h5";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = scratch_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const dlsched::ResultsFile results = dlsched::read_results(path);
    dlsched::check_results_consistent(results, path);
    dlsched::report_run(results, path);
    dlsched::compare_runs(results, path, results, path, 5);
  } catch (const dlsched::Error&) {
    // Refused with a message: what bad input must get.
  }
  return 0;
}
