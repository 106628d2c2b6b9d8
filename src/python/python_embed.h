// The entry point of dlsched_python.so, the module that embeds the interpreter for the CLI's
// python: policies (python/embed_hook.cpp), as the executable looks it up.
#pragma once

#include "sched/policy_registry.h"

namespace dlsched {

inline constexpr const char* PYTHON_MODULE_FILE = "dlsched_python.so";
inline constexpr const char* PYTHON_MODULE_ENTRY = "dlsched_python_policy_scheme";
/// Sets *factory to the maker of python:FILE.py:ClassName policies.
using PythonModuleEntry = void (*)(PolicySchemeFactory* factory);

}  // namespace dlsched
