// The last line of defence while the HDF5 library reads a file someone else may have damaged.
#pragma once

#include <string>

namespace dlsched {

/// While alive, a fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL) or a read that takes far longer than
/// the file's size explains (10 s plus 1 s per 10 MB) ends the process with exit code 2 and
/// `path: damaged file ...` on stderr, instead of a crash or a hang. The HDF5 library (1.10)
/// checks the metadata of dlsched's files with checksums, but not its global heap, where
/// variable-length strings (our attributes) live: some damage there makes the library read
/// out of bounds or loop for ever. Its state after that cannot be trusted, so the process ends
/// rather than going on. The previous handlers and timer come back when the guard goes. One
/// guard at a time.
class ReadFaultGuard {
 public:
  explicit ReadFaultGuard(const std::string& path);
  ~ReadFaultGuard();
  ReadFaultGuard(const ReadFaultGuard&) = delete;
  ReadFaultGuard& operator=(const ReadFaultGuard&) = delete;
};

}  // namespace dlsched
