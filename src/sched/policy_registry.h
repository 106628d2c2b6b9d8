// The registry of policies: each policy file registers itself; the CLI looks names up here.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sched/policy.h"

namespace dlsched {

/// One parameter a policy reads, as it declared it when it read it: what --list-policies
/// shows, and what unknown keys are checked against.
struct ParamDeclaration {
  std::string key;
  std::string kind;          ///< "integer", "number", "flag" (0 or 1) or "text"
  std::string default_text;  ///< the value used when the key is absent
  std::string range_text;    ///< e.g. "[1, 64]"; empty when any value of the kind will do
  std::string help;
};

/// Policy parameters from the command line (--policy-param key=value) or a config file.
/// A policy reads each of its parameters once, in its constructor, through the typed getters;
/// each getter declares the parameter (key, kind, range, default, help) and checks the given
/// value against it. make_policy() then refuses keys no getter asked for, so a misspelt key
/// is an error rather than a silently ignored setting.
class PolicyParams {
 public:
  PolicyParams() = default;
  explicit PolicyParams(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  /// Parses "key=value"; throws InputError on another shape or a key given twice.
  void set(const std::string& assignment);
  /// A finite number in [min, max].
  double get_double(const std::string& key, double fallback,
                    double min = -std::numeric_limits<double>::max(),
                    double max = std::numeric_limits<double>::max(), std::string_view help = {}) const;
  /// A base-10 integer in [min, max]; values beyond int are refused, never narrowed.
  int get_int(const std::string& key, int fallback, int min = std::numeric_limits<int>::min(),
              int max = std::numeric_limits<int>::max(), std::string_view help = {}) const;
  /// 0 or 1.
  bool get_flag(const std::string& key, bool fallback, std::string_view help = {}) const;
  std::string get_string(const std::string& key, const std::string& fallback,
                         std::string_view help = {}) const;
  const std::map<std::string, std::string>& values() const { return values_; }

  /// The parameters read so far, in the order they were read.
  const std::vector<ParamDeclaration>& declared() const { return declared_; }
  /// Throws InputError naming `policy` and the valid keys if a given key was never read.
  void reject_unread(std::string_view policy) const;

 private:
  const std::string* find(const std::string& key) const;
  void declare(ParamDeclaration d) const;

  std::map<std::string, std::string> values_;
  // Filled by the getters, which policies call on a const reference.
  mutable std::vector<ParamDeclaration> declared_;
};

using PolicyFactory = std::function<std::unique_ptr<Policy>(const PolicyParams&)>;

struct PolicyInfo {
  std::string name;
  std::string description;
  PolicyFactory make;
};

/// The parameters `info`'s policy declares, read from a copy made with no parameters given.
std::vector<ParamDeclaration> declared_parameters(const PolicyInfo& info);

/// Adds a policy; returns true so it can initialise a static. Duplicate names abort.
bool register_policy(const std::string& name, const std::string& description,
                     PolicyFactory factory);
/// Creates a policy by name; an unknown name is an InputError that lists the known ones, and
/// so is a parameter the policy does not read.
std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyParams& params = {});
/// Makes a policy named "scheme:argument" (e.g. python:FILE.py:ClassName) from its argument.
using PolicySchemeFactory =
    std::function<std::unique_ptr<Policy>(const std::string& argument, const PolicyParams&)>;
/// Lets make_policy() accept "scheme:argument" names; a later call for a scheme replaces it.
void register_policy_scheme(const std::string& scheme, PolicySchemeFactory factory);
/// All registered policies, sorted by name.
std::vector<PolicyInfo> registered_policies();
/// Can the registered policy `name`, made with its default parameters, decide in event-driven
/// time (Policy::event_driven())? False also for one that cannot be made without parameters.
bool runs_event_driven(const std::string& name);

}  // namespace dlsched

/// Registers TYPE (constructible from const PolicyParams&) under NAME.
#define DLSCHED_REGISTER_POLICY(NAME, DESCRIPTION, TYPE)                             \
  namespace {                                                                        \
  [[maybe_unused]] const bool dlsched_registered_##TYPE = ::dlsched::register_policy( \
      NAME, DESCRIPTION,                                                             \
      [](const ::dlsched::PolicyParams& p) { return std::make_unique<TYPE>(p); });   \
  }
