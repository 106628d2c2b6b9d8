#include "analysis/results_checks.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <vector>

#include "core/error.h"

namespace dlsched {
namespace {

class Checker {
 public:
  explicit Checker(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(fmt::format("{}: inconsistent results file: {}", path_, what));
  }
  void finite(double value, const char* table, std::size_t row, const char* column) const {
    if (!std::isfinite(value))
      fail(fmt::format("/{} row {}: {} is {}", table, row, column, value));
  }
  void at_least(double value, double min, const char* table, std::size_t row,
                const char* column) const {
    finite(value, table, row, column);
    if (value < min) fail(fmt::format("/{} row {}: {} is {} (< {})", table, row, column, value, min));
  }

 private:
  const std::string& path_;
};

}  // namespace

std::optional<long> trace_job_count(const ResultsFile& results) {
  const auto it = results.attributes.find("jobs");
  if (it == results.attributes.end()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(it->second.c_str(), &end, 10);
  if (end == it->second.c_str() || *end != '\0' || errno == ERANGE || n < 0) return -1;
  return n;
}

void check_results_consistent(const ResultsFile& results, const std::string& path) {
  const Checker check(path);
  const auto status = results.attributes.find("status");
  const std::string run_status = status == results.attributes.end() ? "" : status->second;
  if (run_status != "running" && run_status != "complete" && run_status != "checkpointed")
    check.fail(fmt::format("run status '{}' (expected running, complete or checkpointed)", run_status));
  const std::optional<long> declared = trace_job_count(results);
  if (declared && *declared < 0)
    check.fail(fmt::format("attribute jobs '{}' is not a job count", results.attributes.at("jobs")));
  // Without the attribute (files of other tools), the rows themselves bound the indices.
  const std::size_t jobs = declared ? static_cast<std::size_t>(*declared) : results.jobs.size();

  if (results.jobs.size() > jobs)
    check.fail(fmt::format("/jobs has {} rows for a run of {} jobs", results.jobs.size(), jobs));
  if (run_status == "complete" && declared && results.jobs.size() != jobs)
    check.fail(fmt::format("a complete run of {} jobs has {} job rows", jobs, results.jobs.size()));
  std::vector<bool> seen(jobs, false);
  for (std::size_t i = 0; i < results.jobs.size(); ++i) {
    const JobRecord& j = results.jobs[i];
    if (j.job >= jobs) check.fail(fmt::format("/jobs row {}: job index {} is beyond the run's {} jobs", i, j.job, jobs));
    if (seen[j.job]) check.fail(fmt::format("/jobs row {}: job index {} ({}) appears twice", i, j.job, j.job_id));
    seen[j.job] = true;
    if (j.status != 0 && j.status != 1)
      check.fail(fmt::format("/jobs row {}: status {} (expected 0 or 1)", i, static_cast<int>(j.status)));
    check.at_least(j.submit, 0, "jobs", i, "submit");
    check.at_least(j.first_start, -1, "jobs", i, "first_start");
    check.at_least(j.finish, -1, "jobs", i, "finish");
    check.at_least(j.iterations, 0, "jobs", i, "iterations");
    check.at_least(j.iterations_done, 0, "jobs", i, "iterations_done");
    check.at_least(j.preemptions, 0, "jobs", i, "preemptions");
    check.at_least(j.gpu_seconds, 0, "jobs", i, "gpu_seconds");
    check.at_least(j.isolated_time, 0, "jobs", i, "isolated_time");
    check.finite(j.jct, "jobs", i, "jct");
    check.finite(j.compute_seconds, "jobs", i, "compute_seconds");
    check.finite(j.comm_seconds, "jobs", i, "comm_seconds");
    if (j.status == 1 && (j.finish < j.submit || j.first_start < 0))
      check.fail(fmt::format("/jobs row {}: finished job {} has submit {}, first start {}, finish {}",
                             i, j.job_id, j.submit, j.first_start, j.finish));
  }

  const std::size_t gpus = results.cluster.size();
  for (std::size_t i = 0; i < results.cluster.size(); ++i)
    if (results.cluster[i].gpu < 0 || static_cast<std::size_t>(results.cluster[i].gpu) >= gpus)
      check.fail(fmt::format("/cluster row {}: GPU {} of {}", i, results.cluster[i].gpu, gpus));
  for (std::size_t i = 0; i < results.allocations.size(); ++i) {
    const AllocationRecord& a = results.allocations[i];
    check.at_least(a.time, 0, "allocations", i, "time");
    if (a.job >= jobs) check.fail(fmt::format("/allocations row {}: job index {} is beyond the run's {} jobs", i, a.job, jobs));
    if (a.gpu < 0 || (gpus > 0 && static_cast<std::size_t>(a.gpu) >= gpus))
      check.fail(fmt::format("/allocations row {}: GPU {} is not in /cluster ({} GPUs)", i, a.gpu, gpus));
    if (a.event < 0 || a.event > kLastAllocationEvent)
      check.fail(fmt::format("/allocations row {}: event {} (expected 0 to {})", i,
                             static_cast<int>(a.event), static_cast<int>(kLastAllocationEvent)));
  }
  for (std::size_t i = 0; i < results.progress.size(); ++i) {
    const ProgressRecord& p = results.progress[i];
    if (p.job >= jobs) check.fail(fmt::format("/progress row {}: job index {} is beyond the run's {} jobs", i, p.job, jobs));
    check.at_least(p.start, 0, "progress", i, "start");
    check.at_least(p.end, p.start, "progress", i, "end");
    check.at_least(p.iterations, 0, "progress", i, "iterations");
    check.at_least(p.seconds, 0, "progress", i, "seconds");
    check.finite(p.compute_seconds, "progress", i, "compute_seconds");
    check.finite(p.comm_seconds, "progress", i, "comm_seconds");
  }
  for (std::size_t i = 0; i < results.rounds.size(); ++i) check.finite(results.rounds[i].time, "rounds", i, "time");
  for (std::size_t i = 0; i < results.adaptive.size(); ++i) {
    const AdaptiveRecord& a = results.adaptive[i];
    if (a.job >= jobs)
      check.fail(fmt::format("/adaptive row {}: job index {} is beyond the run's {} jobs", i,
                             a.job, jobs));
    check.at_least(a.time, 0, "adaptive", i, "time");
    check.at_least(a.progress, 0, "adaptive", i, "progress");
    check.at_least(a.samples, 0, "adaptive", i, "samples");
    // A step is every GPU's atomic batch, once per accumulated pass.
    if (a.gpus < 0 || a.nodes < 0 || a.nodes > a.gpus || a.atomic_bsz < 0 || a.accum_steps < 0 ||
        a.batch_size != a.gpus * a.atomic_bsz * (a.accum_steps + 1))
      check.fail(fmt::format("/adaptive row {}: {} GPUs on {} nodes at batch {} = {} x {} x {} "
                             "(GPUs x atomic batch x passes) does not add up",
                             i, a.gpus, a.nodes, a.batch_size, a.gpus, a.atomic_bsz,
                             a.accum_steps + 1));
  }
}

}  // namespace dlsched
