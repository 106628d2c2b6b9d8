#include "sched/policy_registry.h"

#include <cstdlib>
#include <fmt/format.h>
#include <iostream>

#include "core/error.h"

namespace dlsched {
namespace {

std::map<std::string, PolicyInfo>& registry() {
  static std::map<std::string, PolicyInfo> policies;
  return policies;
}

}  // namespace

void PolicyParams::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError(fmt::format("policy parameter '{}': expected key=value", assignment));
  values_[assignment.substr(0, eq)] = assignment.substr(eq + 1);
}

double PolicyParams::get_double(const std::string& key, double fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str() || *end != '\0')
    throw InputError(fmt::format("policy parameter {}: expected a number, got '{}'", key, it->second));
  return v;
}

int PolicyParams::get_int(const std::string& key, int fallback) const {
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  char* end = nullptr;
  const long v = std::strtol(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0')
    throw InputError(fmt::format("policy parameter {}: expected an integer, got '{}'", key, it->second));
  return static_cast<int>(v);
}

std::string PolicyParams::get_string(const std::string& key, const std::string& fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

bool register_policy(const std::string& name, const std::string& description,
                     PolicyFactory factory) {
  auto [it, inserted] = registry().emplace(name, PolicyInfo{name, description, std::move(factory)});
  if (!inserted) {
    std::cerr << "dlsched: policy '" << name << "' registered twice\n";
    std::abort();
  }
  return true;
}

namespace {

std::map<std::string, PolicySchemeFactory>& schemes() {
  static std::map<std::string, PolicySchemeFactory> factories;
  return factories;
}

}  // namespace

void register_policy_scheme(const std::string& scheme, PolicySchemeFactory factory) {
  schemes()[scheme] = std::move(factory);
}

std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyParams& params) {
  if (const auto colon = name.find(':'); colon != std::string::npos) {
    auto scheme = schemes().find(name.substr(0, colon));
    if (scheme != schemes().end()) return scheme->second(name.substr(colon + 1), params);
  }
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string known;
    for (const auto& [n, info] : registry()) known += (known.empty() ? "" : ", ") + n;
    throw InputError(fmt::format("unknown policy '{}' (known: {})", name, known));
  }
  return it->second.make(params);
}

std::vector<PolicyInfo> registered_policies() {
  std::vector<PolicyInfo> out;
  for (const auto& [n, info] : registry()) out.push_back(info);
  return out;
}

}  // namespace dlsched
