#include "emu/backend.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "core/error.h"

namespace dlsched::emu {
namespace {

std::map<std::string, BackendFactory>& registry() {
  static std::map<std::string, BackendFactory> r;
  return r;
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
  const auto it = registry().find(name);
  if (it == registry().end())
    throw InputError(
        fmt::format("unknown backend '{}' (known: {})", name, fmt::join(backend_names(), ", ")));
  return it->second();
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry()) names.push_back(name);
  return names;
}

}  // namespace dlsched::emu
