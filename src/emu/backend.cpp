#include "emu/backend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/runtime_module.h"

namespace dlsched::emu {
namespace {

std::map<std::string, BackendFactory>& registry() {
  static std::map<std::string, BackendFactory> r;
  return r;
}

/// Backends built as modules (dlsched_backend_NAME.so) rather than into the harness.
std::vector<std::string> module_backends() {
  std::vector<std::string> names;
  std::istringstream list(DLSCHED_BACKEND_MODULES);
  for (std::string name; list >> name;) names.push_back(name);
  return names;
}

/// Loads the module of backend `name` if it is one; the module registers it as it loads.
void load_backend_module(const std::string& name) {
  const std::vector<std::string> modules = module_backends();
  if (std::find(modules.begin(), modules.end(), name) == modules.end()) return;
  const std::string file = "dlsched_backend_" + name + ".so";
  load_runtime_module(file, "--backend " + name,
                      name == "cuda" ? "the CUDA runtime, cuBLAS and NCCL libraries"
                                     : "its libraries");
  if (!registry().count(name))
    throw InputError(fmt::format("--backend {}: {} did not register the backend", name, file));
}

}  // namespace

bool register_backend(const std::string& name, BackendFactory factory) {
  if (!registry().emplace(name, std::move(factory)).second) {
    std::fprintf(stderr, "dlsched: backend '%s' registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

std::unique_ptr<Backend> make_backend(const std::string& name) {
  if (!registry().count(name)) load_backend_module(name);
  const auto it = registry().find(name);
  if (it == registry().end())
    throw InputError(
        fmt::format("unknown backend '{}' (known: {})", name, fmt::join(backend_names(), ", ")));
  return it->second();
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  for (const std::string& name : module_backends())
    if (!registry().count(name)) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace dlsched::emu
