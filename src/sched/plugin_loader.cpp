#include "sched/plugin_loader.h"

#include <dlfcn.h>
#include <filesystem>
#include <fmt/format.h>
#include <set>

#include "core/error.h"
#include "sched/plugin.h"

namespace dlsched {

void load_policy_plugin(const std::string& path) {
  static std::set<std::string> loaded;
  std::error_code ec;
  const std::string key = std::filesystem::weakly_canonical(path, ec).string();
  if (loaded.count(key)) return;
  if (!std::filesystem::exists(path)) throw InputError(fmt::format("{}: no such policy plugin", path));
  // RTLD_LOCAL: a plugin's own symbols stay private; dlsched's come from the executable.
  // The library stays open for the life of the process: its policies live in the registry.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw InputError(fmt::format("{}: cannot load policy plugin: {}", path, ::dlerror()));
  using VersionFn = int (*)();
  using RegisterFn = void (*)();
  auto version = reinterpret_cast<VersionFn>(::dlsym(handle, "dlsched_policy_api_version"));
  auto register_all = reinterpret_cast<RegisterFn>(::dlsym(handle, "dlsched_register_policies"));
  if (!version || !register_all) {
    ::dlclose(handle);
    throw InputError(fmt::format("{}: not a dlsched policy plugin (no DLSCHED_POLICY_PLUGIN entry points)", path));
  }
  const int theirs = version();
  if (theirs != DLSCHED_POLICY_API_VERSION) {
    ::dlclose(handle);
    throw InputError(fmt::format(
        "{}: built against policy interface version {}, this dlsched has version {}; rebuild the "
        "plugin against this dlsched's headers",
        path, theirs, DLSCHED_POLICY_API_VERSION));
  }
  register_all();
  loaded.insert(key);
}

}  // namespace dlsched
