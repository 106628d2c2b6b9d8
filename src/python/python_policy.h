// A Policy whose decisions come from a Python object (a subclass of dlsched.Policy). Every
// answer is checked at the boundary, so a faulty Python policy stops the run with a message
// naming the policy and the round instead of reaching the core.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "sched/policy_registry.h"

#include "sched/policy.h"

namespace dlsched {

// Hidden like the pybind11 types it holds (the CLI exports its own symbols for plugins).
class __attribute__((visibility("hidden"))) PythonPolicy : public Policy {
 public:
  /// `object` must outlive the run; the adapter holds a reference to it.
  explicit PythonPolicy(pybind11::object object);
  std::string_view name() const override { return name_; }
  bool preemptive() const override { return preemptive_; }
  bool work_conserving() const override { return false; }
  PolicyOutput schedule(const PolicyInput& input) override;

 private:
  [[noreturn]] void fail(const PolicyInput& input, const std::string& what) const;
  Request to_request(const PolicyInput& input, pybind11::handle item) const;

  pybind11::object object_;
  std::string name_;
  bool preemptive_ = true;
  long calls_ = 0;
  long rounds_ = 0;
};

/// Loads FILE.py and makes ClassName(**params) from it, wrapped as a Policy. A missing file or
/// class, or a constructor that raises, is an InputError naming the file.
std::unique_ptr<Policy> load_python_policy(const std::string& file, const std::string& cls,
                                           const PolicyParams& params);

}  // namespace dlsched
