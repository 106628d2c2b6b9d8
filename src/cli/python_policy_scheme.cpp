// python:FILE.py:ClassName policies without the start-up cost of libpython: the scheme is
// registered here, and the module that embeds the interpreter (dlsched_python.so) is loaded the
// first time such a policy is made, on whichever rank makes it.
#include "core/runtime_module.h"
#include "python/python_embed.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

std::unique_ptr<Policy> make_python_policy(const std::string& argument,
                                           const PolicyParams& params) {
  static const PolicySchemeFactory factory = [] {
    void* module = load_runtime_module(PYTHON_MODULE_FILE, "policy python:",
                                       "the Python library it was built with");
    auto entry = reinterpret_cast<PythonModuleEntry>(
        runtime_module_symbol(module, PYTHON_MODULE_FILE, PYTHON_MODULE_ENTRY));
    PolicySchemeFactory made;
    entry(&made);
    return made;
  }();
  return factory(argument, params);
}

[[maybe_unused]] const bool registered =
    (register_policy_scheme("python", make_python_policy), true);

}  // namespace
}  // namespace dlsched
