// A run's provenance: the root attributes of its results file, which a resumed run must share
// with the run it continues (run/run_checkpoint.h).
#pragma once

#include <map>
#include <string>

namespace dlsched {

/// Root attributes of a results file (provenance). Strings only, so any tool can read them;
/// numbers are written in their shortest round-trip form.
using RunAttributes = std::map<std::string, std::string>;

}  // namespace dlsched
