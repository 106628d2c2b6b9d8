// Paths tests need: the source tree's inputs and a scratch directory per test.
#pragma once

#include <string>

namespace dlsched::test {

/// Absolute path of a file in the source tree, e.g. source_path("jobs/models.toml").
std::string source_path(const std::string& relative);
/// A bundled sample trace (jobs/traces/<name>).
std::string trace_path(const std::string& name);
/// A directory of the running test (created on first use; the pid keeps runs apart).
std::string scratch_dir();
/// Writes `text` to a file in scratch_dir() and returns its path.
std::string write_scratch_file(const std::string& name, const std::string& text);
/// The built dlsched executable.
std::string dlsched_binary();

}  // namespace dlsched::test
