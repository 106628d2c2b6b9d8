// Policies built out of tree as shared libraries and loaded with --policy-plugin.
//
//   #include <dlsched/sched/plugin.h>
//   class MyPolicy : public dlsched::Policy { ... };
//   DLSCHED_POLICY_PLUGIN("mine", "what it does", MyPolicy)
//
// The plugin is built against the installed headers (find_package(dlsched), target
// dlsched::policy_api) and resolves dlsched's symbols from the executable that loads it.
#pragma once

#include "sched/policy_registry.h"

/// Version of the policy interface (policy.h, policy_registry.h and the types they expose).
/// Bumped whenever a change would break a compiled plugin; a plugin built against another
/// version is refused instead of crashing.
/// 2: Policy gained save_state() and restore_state() (checkpoint and resume), suspends() and
///    may_pack() (Gandiva); JobView gained packed_with, rate and nodes.
/// 3: PolicyInput gained resolve_interval, seed, decides_only_at_rounds and mechanism.
/// 4: Policy gained event_driven() and next_decision_time() (--round-length 0) and
///    sees_running_jobs_between_rounds().
/// 5: Policy gained grants_everyone() (event-driven decision points where everything fits).
#define DLSCHED_POLICY_API_VERSION 5

/// Defines the entry points of a plugin with one policy. The loader checks the version first
/// and only then calls the registration function, so nothing of a mismatched plugin runs.
#define DLSCHED_POLICY_PLUGIN(NAME, DESCRIPTION, TYPE)                                  \
  extern "C" int dlsched_policy_api_version() { return DLSCHED_POLICY_API_VERSION; }   \
  extern "C" void dlsched_register_policies() {                                        \
    ::dlsched::register_policy(NAME, DESCRIPTION, [](const ::dlsched::PolicyParams& p) { \
      return std::make_unique<TYPE>(p);                                                 \
    });                                                                                 \
  }
