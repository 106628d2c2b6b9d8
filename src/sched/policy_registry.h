// The registry of policies: each policy file registers itself; the CLI looks names up here.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sched/policy.h"

namespace dlsched {

/// Policy parameters from the command line (--policy-param key=value) or a config file.
class PolicyParams {
 public:
  PolicyParams() = default;
  explicit PolicyParams(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  /// Parses "key=value"; throws InputError otherwise.
  void set(const std::string& assignment);
  double get_double(const std::string& key, double fallback) const;
  int get_int(const std::string& key, int fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

using PolicyFactory = std::function<std::unique_ptr<Policy>(const PolicyParams&)>;

struct PolicyInfo {
  std::string name;
  std::string description;
  PolicyFactory make;
};

/// Adds a policy; returns true so it can initialise a static. Duplicate names abort.
bool register_policy(const std::string& name, const std::string& description,
                     PolicyFactory factory);
/// Creates a policy by name; an unknown name is an InputError that lists the known ones.
std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyParams& params = {});
/// Makes a policy named "scheme:argument" (e.g. python:FILE.py:ClassName) from its argument.
using PolicySchemeFactory =
    std::function<std::unique_ptr<Policy>(const std::string& argument, const PolicyParams&)>;
/// Lets make_policy() accept "scheme:argument" names; a later call for a scheme replaces it.
void register_policy_scheme(const std::string& scheme, PolicySchemeFactory factory);
/// All registered policies, sorted by name.
std::vector<PolicyInfo> registered_policies();

}  // namespace dlsched

/// Registers TYPE (constructible from const PolicyParams&) under NAME.
#define DLSCHED_REGISTER_POLICY(NAME, DESCRIPTION, TYPE)                             \
  namespace {                                                                        \
  [[maybe_unused]] const bool dlsched_registered_##TYPE = ::dlsched::register_policy( \
      NAME, DESCRIPTION,                                                             \
      [](const ::dlsched::PolicyParams& p) { return std::make_unique<TYPE>(p); });   \
  }
