// The CLI's "python:FILE.py:ClassName" policies, built as the module dlsched_python.so: the
// executable loads it, and with it libpython, only when such a policy is asked for
// (cli/python_policy_scheme.cpp). The interpreter then starts and stays up for the rest of the
// process, since the policy object must outlive the run.
#include <pybind11/embed.h>

#include "core/error.h"
#include "python/python_embed.h"
#include "python/python_policy.h"

namespace py = pybind11;

namespace dlsched {
namespace {

void start_interpreter() {
  if (Py_IsInitialized()) return;
  py::initialize_interpreter();
  // The policy file imports dlsched: found on PYTHONPATH, else in this build tree.
  try {
    py::module_::import("dlsched");
  } catch (py::error_already_set&) {
    py::module_::import("sys").attr("path").attr("append")(DLSCHED_PYTHON_DIR);
    try {
      py::module_::import("dlsched");
    } catch (py::error_already_set& e) {
      throw InputError(std::string("python policies need the dlsched module: ") + e.what());
    }
  }
}

std::unique_ptr<Policy> make_from_file(const std::string& argument, const PolicyParams& params) {
  const auto colon = argument.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw InputError("policy python:" + argument + ": expected python:FILE.py:ClassName");
  start_interpreter();
  return load_python_policy(argument.substr(0, colon), argument.substr(colon + 1), params);
}

}  // namespace
}  // namespace dlsched

extern "C" void dlsched_python_policy_scheme(dlsched::PolicySchemeFactory* factory) {
  *factory = dlsched::make_from_file;
}
