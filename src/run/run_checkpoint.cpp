#include "run/run_checkpoint.h"

#include <array>

namespace dlsched {
namespace {

/// Root attributes a resumed run must share with the run it continues: the experiment (trace
/// content, policy, parameters, round length, time scale, restore and suspend delays, cluster, model
/// catalog and throughputs) and what the workers do each iteration. Paths may differ (a job
/// moved to another directory); the trace's SHA-256 may not.
constexpr std::array kIdentityKeys{
    "mode",          "trace_sha256",  "jobs",        "policy",      "policy_params",
    "round_length",  "time_scale",    "restore_delay", "suspend_delay", "cluster",
    "gpus",          "backend",       "compute",     "flops_scale", "comm_scale",
    "bucket_mb",     "slowdowns",     "throughputs", "per_model_restore"};

}  // namespace

RunAttributes checkpoint_identity(const RunAttributes& run) {
  RunAttributes identity;
  for (const char* key : kIdentityKeys)
    if (const auto it = run.find(key); it != run.end()) identity[key] = it->second;
  return identity;
}

std::string identity_mismatch(const RunAttributes& saved, const RunAttributes& resumed) {
  const RunAttributes now = checkpoint_identity(resumed);
  for (const auto& [key, value] : saved) {
    const auto it = now.find(key);
    const std::string other = it == now.end() ? "(not set)" : it->second;
    if (other != value)
      return key + " differs: the run in the file has " + key + " = " + value + ", this run has " +
             key + " = " + other;
  }
  for (const auto& [key, value] : now)
    if (!saved.count(key))
      return key + " differs: the run in the file has no " + key + ", this run has " + key +
             " = " + value;
  return {};
}

}  // namespace dlsched
