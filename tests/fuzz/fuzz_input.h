// What every fuzz target over a file reader shares: the input bytes go through a scratch file
// (the readers take paths, as the command line gives them), and a refusal with InputError is
// the expected end of a bad input. Anything else escaping a reader (another exception type, a
// signal, a hang) is a finding: the uncaught exception ends the process through
// std::terminate, which libFuzzer and the replay driver both report with the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "core/error.h"

namespace dlsched::fuzz {

/// The scratch file of this process: the one the replay driver names (it runs each input in a
/// child and removes the file at the end), or one per process under libFuzzer. `suffix` keeps
/// an extension a reader looks at (".toml" for cluster files).
inline std::string scratch_path(const std::string& suffix) {
  if (const char* named = std::getenv("DLSCHED_FUZZ_SCRATCH")) return named + suffix;
  return "/tmp/dlsched-fuzz-" + std::to_string(::getpid()) + suffix;
}

/// Writes the input to the scratch file and returns its path.
inline std::string write_scratch(const std::uint8_t* data, std::size_t size,
                                 const std::string& suffix = "") {
  const std::string path = scratch_path(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

/// Runs `read`; an InputError is a clear refusal and ends the input quietly.
template <typename Read>
void refuse_only_with_input_error(Read&& read) {
  try {
    read();
  } catch (const InputError&) {
  }
}

/// A property of a parsed input that must hold; breaking it aborts, so that the fuzzer keeps
/// the input that broke it.
inline void require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", what);
  std::abort();
}

}  // namespace dlsched::fuzz
