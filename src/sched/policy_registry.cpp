#include "sched/policy_registry.h"

#include <cerrno>
#include <cmath>
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
  const std::string key = assignment.substr(0, eq);
  if (!values_.emplace(key, assignment.substr(eq + 1)).second)
    throw InputError(fmt::format("policy parameter {} is given twice", key));
}

const std::string* PolicyParams::find(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void PolicyParams::declare(ParamDeclaration d) const {
  for (const ParamDeclaration& seen : declared_)
    if (seen.key == d.key) return;  // a key read twice (by shared code) is declared once
  declared_.push_back(std::move(d));
}

namespace {

std::string range_text(double min, double max) {
  const double big = std::numeric_limits<double>::max();
  if (min == -big && max == big) return {};
  if (max == big) return fmt::format(">= {}", min);
  if (min == -big) return fmt::format("<= {}", max);
  return fmt::format("[{}, {}]", min, max);
}

}  // namespace

double PolicyParams::get_double(const std::string& key, double fallback, double min, double max,
                                std::string_view help) const {
  declare({key, "number", fmt::format("{}", fallback), range_text(min, max), std::string(help)});
  const std::string* text = find(key);
  if (!text) return fallback;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || *end != '\0')
    throw InputError(fmt::format("policy parameter {}: expected a number, got '{}'", key, *text));
  if (!std::isfinite(v) || errno == ERANGE)
    throw InputError(fmt::format("policy parameter {}: '{}' is not a finite number", key, *text));
  if (v < min || v > max)
    throw InputError(fmt::format("policy parameter {}: {} is out of range ({})", key, *text,
                                 range_text(min, max)));
  return v;
}

int PolicyParams::get_int(const std::string& key, int fallback, int min, int max,
                          std::string_view help) const {
  const bool full = min == std::numeric_limits<int>::min() && max == std::numeric_limits<int>::max();
  declare({key, "integer", std::to_string(fallback), full ? "" : fmt::format("[{}, {}]", min, max),
           std::string(help)});
  const std::string* text = find(key);
  if (!text) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (end == text->c_str() || *end != '\0')
    throw InputError(fmt::format("policy parameter {}: expected an integer, got '{}'", key, *text));
  if (errno == ERANGE || v < min || v > max)
    throw InputError(fmt::format("policy parameter {}: {} is out of range [{}, {}]", key, *text, min, max));
  return static_cast<int>(v);
}

bool PolicyParams::get_flag(const std::string& key, bool fallback, std::string_view help) const {
  declare({key, "flag", fallback ? "1" : "0", "0 or 1", std::string(help)});
  const std::string* text = find(key);
  if (!text) return fallback;
  if (*text == "1") return true;
  if (*text == "0") return false;
  throw InputError(fmt::format("policy parameter {}: expected 0 or 1, got '{}'", key, *text));
}

std::string PolicyParams::get_string(const std::string& key, const std::string& fallback,
                                     std::string_view help) const {
  declare({key, "text", fallback, "", std::string(help)});
  const std::string* text = find(key);
  return text ? *text : fallback;
}

void PolicyParams::reject_unread(std::string_view policy) const {
  for (const auto& [key, value] : values_) {
    bool known = false;
    for (const ParamDeclaration& d : declared_) known = known || d.key == key;
    if (known) continue;
    std::string valid;
    for (const ParamDeclaration& d : declared_) valid += (valid.empty() ? "" : ", ") + d.key;
    throw InputError(fmt::format("policy {} has no parameter '{}' (valid: {})", policy, key,
                                 valid.empty() ? "none" : valid));
  }
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
  PolicyParams reading(params.values());  // a fresh copy records what this policy reads
  std::unique_ptr<Policy> policy = it->second.make(reading);
  reading.reject_unread(name);
  return policy;
}

std::vector<ParamDeclaration> declared_parameters(const PolicyInfo& info) {
  PolicyParams reading;
  info.make(reading);
  return reading.declared();
}

std::vector<PolicyInfo> registered_policies() {
  std::vector<PolicyInfo> out;
  for (const auto& [n, info] : registry()) out.push_back(info);
  return out;
}

bool runs_event_driven(const std::string& name) {
  try {
    return make_policy(name)->event_driven();
  } catch (const std::exception&) {
    return false;  // needs parameters to be made: nothing to say about it here
  }
}

}  // namespace dlsched
