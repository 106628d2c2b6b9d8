#include "core/runtime_module.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <map>

#include "core/error.h"

namespace dlsched {

std::vector<std::filesystem::path> module_search_path() {
  std::vector<std::filesystem::path> dirs;
  if (const char* dir = std::getenv("DLSCHED_MODULE_DIR"); dir && *dir) dirs.emplace_back(dir);
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path());
    dirs.push_back((exe.parent_path() / ".." / "lib" / "dlsched").lexically_normal());
  }
  return dirs;
}

void* load_runtime_module(const std::string& file, const std::string& purpose,
                          const std::string& needs) {
  static std::map<std::string, void*> loaded;
  if (const auto it = loaded.find(file); it != loaded.end()) return it->second;
  const std::vector<std::filesystem::path> dirs = module_search_path();
  std::error_code ec;
  for (const auto& dir : dirs) {
    const std::filesystem::path path = dir / file;
    if (!std::filesystem::exists(path, ec)) continue;
    // RTLD_GLOBAL: Open MPI's components and Python's extension modules, loaded later by the
    // libraries this module needs, look their symbols up globally.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle)
      throw InputError(fmt::format("{}: cannot load {}: {} ({} needs {})", purpose,
                                   path.string(), ::dlerror(), file, needs));
    loaded.emplace(file, handle);
    return handle;
  }
  std::string looked;
  for (const auto& dir : dirs) looked += (looked.empty() ? "" : ", ") + dir.string();
  throw InputError(fmt::format("{}: module {} is not installed (looked in {}; set "
                               "DLSCHED_MODULE_DIR to the folder that holds it)",
                               purpose, file, looked));
}

void* runtime_module_symbol(void* handle, const std::string& file, const std::string& symbol) {
  void* entry = ::dlsym(handle, symbol.c_str());
  if (!entry)
    throw InputError(fmt::format("{}: not a dlsched module of this version (no {})", file, symbol));
  return entry;
}

}  // namespace dlsched
