// Loads policy plugins (shared libraries) into the registry.
#pragma once

#include <string>

namespace dlsched {

/// Opens a plugin, checks its interface version and registers its policies. A missing file,
/// a library without the entry points or another interface version is an InputError naming
/// the file. Loading the same file twice is a no-op.
void load_policy_plugin(const std::string& path);

}  // namespace dlsched
