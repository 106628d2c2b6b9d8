#include "io/hdf5_checkpoint.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace dlsched {
namespace hdf5 {
namespace {

/// /checkpoint/jobs: one row per trace job, the core's JobState and the driver's progress.
struct JobRow {
  std::uint32_t job = 0;
  std::int8_t status = 0;  // JobState::Status: 0 future, 1 waiting, 2 running, 3 done
  std::int32_t gpu_type = -1;
  double first_start = -1, finish = -1, last_start = -1, last_stop = -1;
  double queued_since = 0, resume_at = 0;
  std::int32_t preemptions = 0, requeues = 0, rounds_scheduled = 0;
  double attained_gpu_seconds_closed = 0, attained_seconds_closed = 0;
  double progress_iterations = 0, progress_time = 0, progress_rate = 0;
  std::int8_t ever_stopped = 0;
  double iterations_done = 0, rate = 0, compute_seconds = 0, comm_seconds = 0;
  std::int64_t packed_with = -1;  // Gandiva packing: the job sharing its GPUs
  double share_since = 0;
  std::int8_t suspended = 0;      // last stop was a suspend (Gandiva time-slicing)
  std::int32_t migrations = 0;
};

/// /checkpoint/job_gpus: the GPUs of running jobs, one row per GPU (empty after an emulation
/// checkpoint, which stops every job first).
struct JobGpuRow {
  std::uint32_t job = 0;
  std::int32_t gpu = 0;
};

/// /checkpoint/suspended_on: for suspended jobs, the node of each GPU they left (a resume there
/// is charged the suspend delay, elsewhere the restore delay).
struct SuspendedNodeRow {
  std::uint32_t job = 0;
  std::int32_t node = 0;
};

/// /checkpoint/active: the core's active jobs in arrival order (the order policies see).
struct ActiveRow {
  std::uint32_t job = 0;
};

/// /checkpoint/policy_state: the policy's saved text, in pieces of fixed width.
constexpr std::size_t kPolicyPieceBytes = 256;
struct PolicyPieceRow {
  std::string text;
};

const RowLayout<JobRow>& job_row_layout() {
  static const RowLayout<JobRow> layout(
      "jobs",
      {DLSCHED_COLUMN(JobRow, job), DLSCHED_COLUMN(JobRow, status),
       DLSCHED_COLUMN(JobRow, gpu_type), DLSCHED_COLUMN(JobRow, first_start),
       DLSCHED_COLUMN(JobRow, finish), DLSCHED_COLUMN(JobRow, last_start),
       DLSCHED_COLUMN(JobRow, last_stop), DLSCHED_COLUMN(JobRow, queued_since),
       DLSCHED_COLUMN(JobRow, resume_at), DLSCHED_COLUMN(JobRow, preemptions),
       DLSCHED_COLUMN(JobRow, requeues), DLSCHED_COLUMN(JobRow, rounds_scheduled),
       DLSCHED_COLUMN(JobRow, attained_gpu_seconds_closed),
       DLSCHED_COLUMN(JobRow, attained_seconds_closed),
       DLSCHED_COLUMN(JobRow, progress_iterations), DLSCHED_COLUMN(JobRow, progress_time),
       DLSCHED_COLUMN(JobRow, progress_rate), DLSCHED_COLUMN(JobRow, ever_stopped),
       DLSCHED_COLUMN(JobRow, iterations_done), DLSCHED_COLUMN(JobRow, rate),
       DLSCHED_COLUMN(JobRow, compute_seconds), DLSCHED_COLUMN(JobRow, comm_seconds),
       DLSCHED_COLUMN(JobRow, packed_with),
       DLSCHED_COLUMN(JobRow, share_since), DLSCHED_COLUMN(JobRow, suspended),
       DLSCHED_COLUMN(JobRow, migrations)});
  return layout;
}

const RowLayout<JobGpuRow>& job_gpu_layout() {
  static const RowLayout<JobGpuRow> layout(
      "job_gpus", {DLSCHED_COLUMN(JobGpuRow, job), DLSCHED_COLUMN(JobGpuRow, gpu)});
  return layout;
}

const RowLayout<SuspendedNodeRow>& suspended_node_layout() {
  static const RowLayout<SuspendedNodeRow> layout(
      "suspended_on",
      {DLSCHED_COLUMN(SuspendedNodeRow, job), DLSCHED_COLUMN(SuspendedNodeRow, node)});
  return layout;
}

const RowLayout<ActiveRow>& active_layout() {
  static const RowLayout<ActiveRow> layout("active", {DLSCHED_COLUMN(ActiveRow, job)});
  return layout;
}

const RowLayout<PolicyPieceRow>& policy_layout() {
  static const RowLayout<PolicyPieceRow> layout(
      "policy_state", {DLSCHED_COLUMN(PolicyPieceRow, text, kPolicyPieceBytes)});
  return layout;
}

std::string number(double v) { return fmt::format("{}", v); }

double parse_double(const RunAttributes& a, const std::string& key, const Reporter& report) {
  const auto it = a.find(key);
  if (it == a.end()) report.raise("corrupt checkpoint (attribute \"" + key + "\" is missing)");
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0')
    report.raise("corrupt checkpoint (attribute \"" + key + "\" is not a number: " + it->second +
                 ")");
  return v;
}

std::uint64_t parse_count(const RunAttributes& a, const std::string& key, const Reporter& report) {
  const double v = parse_double(a, key, report);
  if (!(v >= 0) || v != std::floor(v))
    report.raise("corrupt checkpoint (attribute \"" + key + "\" is not a count)");
  return static_cast<std::uint64_t>(v);
}

template <class R>
void write_rows(hid_t group, const RowLayout<R>& layout, const std::vector<R>& rows,
                const Reporter& report) {
  TableWriter<R> table(group, layout, report);
  for (const R& r : rows) table.append(r);
  table.flush(report);
}

}  // namespace

std::string checkpoint_state(hid_t file, const Reporter& report) {
  const htri_t exists =
      report.check(H5Lexists(file, kCheckpointGroup, H5P_DEFAULT), "look for /checkpoint");
  if (exists <= 0) return {};
  Hid group = group_handle(
      report.check(H5Gopen2(file, kCheckpointGroup, H5P_DEFAULT), "open /checkpoint"));
  std::string state;
  if (report.check(H5Aexists(group.get(), "state"), "read /checkpoint state") <= 0 ||
      !read_string_attribute(group.get(), "state", state, report))
    report.raise("corrupt checkpoint (/checkpoint has no state)");
  return state;
}

void set_checkpoint_state(hid_t file, const std::string& state, const Reporter& report) {
  Hid group = group_handle(
      report.check(H5Gopen2(file, kCheckpointGroup, H5P_DEFAULT), "open /checkpoint"));
  write_string_attribute(group.get(), "state", state, report);
}

void write_checkpoint_group(hid_t file, const RunCheckpoint& c, const Reporter& report) {
  std::uint64_t count = 0;
  if (!checkpoint_state(file, report).empty()) {
    Hid old = group_handle(
        report.check(H5Gopen2(file, kCheckpointGroup, H5P_DEFAULT), "open /checkpoint"));
    const RunAttributes a = read_string_attributes(old.get(), report);
    if (a.count("checkpoints")) count = parse_count(a, "checkpoints", report);
    old.reset();
    report.check(H5Ldelete(file, kCheckpointGroup, H5P_DEFAULT), "replace /checkpoint");
  }
  Hid group = group_handle(report.check(
      H5Gcreate2(file, kCheckpointGroup, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      "create /checkpoint"));
  const SchedulerSnapshot& s = c.scheduler;
  if (c.jobs.size() != s.jobs.size())
    report.raise(fmt::format("cannot write checkpoint: {} job progress rows for {} jobs",
                             c.jobs.size(), s.jobs.size()));
  std::vector<JobRow> jobs;
  std::vector<JobGpuRow> job_gpus;
  std::vector<SuspendedNodeRow> suspended_nodes;
  jobs.reserve(s.jobs.size());
  for (std::size_t j = 0; j < s.jobs.size(); ++j) {
    const JobState& st = s.jobs[j];
    const JobProgressState& p = c.jobs[j];
    jobs.push_back(JobRow{static_cast<std::uint32_t>(j), static_cast<std::int8_t>(st.status),
                          st.gpu_type, st.first_start, st.finish, st.last_start, st.last_stop,
                          st.queued_since, st.resume_at, st.preemptions, st.requeues,
                          st.rounds_scheduled, st.attained_gpu_seconds_closed,
                          st.attained_seconds_closed, st.progress_iterations, st.progress_time,
                          st.progress_rate, static_cast<std::int8_t>(st.ever_stopped),
                          p.iterations_done, p.rate, p.compute_seconds, p.comm_seconds,
                          st.packed_with,
                          st.share_since, static_cast<std::int8_t>(st.suspended),
                          st.migrations});
    for (GpuId g : st.gpus) job_gpus.push_back(JobGpuRow{static_cast<std::uint32_t>(j), g});
    for (int n : st.suspended_on)
      suspended_nodes.push_back(SuspendedNodeRow{static_cast<std::uint32_t>(j), n});
  }
  std::vector<ActiveRow> active;
  for (JobId j : s.active) active.push_back(ActiveRow{static_cast<std::uint32_t>(j)});
  std::vector<PolicyPieceRow> policy;
  for (std::size_t at = 0; at < s.policy_state.size(); at += kPolicyPieceBytes)
    policy.push_back(PolicyPieceRow{s.policy_state.substr(at, kPolicyPieceBytes)});
  write_rows(group.get(), job_row_layout(), jobs, report);
  write_rows(group.get(), job_gpu_layout(), job_gpus, report);
  write_rows(group.get(), suspended_node_layout(), suspended_nodes, report);
  write_rows(group.get(), active_layout(), active, report);
  write_rows(group.get(), policy_layout(), policy, report);

  const RunAttributes attributes{
      {"state", "pending"},
      {"checkpoints", std::to_string(count + 1)},
      {"identity", nlohmann::json(c.identity).dump()},
      {"clock", number(c.clock)},
      {"rounds", std::to_string(c.rounds)},
      {"next_arrival", std::to_string(c.next_arrival)},
      {"next_tick", number(c.next_tick)},
      {"boundary_pending", c.boundary_pending ? "1" : "0"},
      {"boundary_time", number(c.boundary_time)},
      {"last_lease", std::to_string(c.last_lease)},
      {"signal", c.signal},
      {"wall_time", number(c.wall_time)},
      {"round_pending", s.round_pending ? "1" : "0"},
      {"changed", s.changed ? "1" : "0"},
      {"decide_calls", std::to_string(s.decide_calls)},
      {"policy_state_bytes", std::to_string(s.policy_state.size())},
  };
  for (const auto& [key, value] : attributes)
    write_string_attribute(group.get(), key, value, report);
}

RunCheckpoint read_checkpoint_group(hid_t file, const Reporter& report) {
  Hid group = group_handle(
      report.check(H5Gopen2(file, kCheckpointGroup, H5P_DEFAULT), "open /checkpoint"));
  const RunAttributes a = read_string_attributes(group.get(), report);
  RunCheckpoint c;
  try {
    const auto identity = nlohmann::json::parse(a.count("identity") ? a.at("identity") : "");
    c.identity = identity.get<RunAttributes>();
  } catch (const nlohmann::json::exception& e) {
    report.raise(std::string("corrupt checkpoint (identity: ") + e.what() + ")");
  }
  c.clock = parse_double(a, "clock", report);
  c.rounds = static_cast<std::int64_t>(parse_count(a, "rounds", report));
  c.next_arrival = parse_count(a, "next_arrival", report);
  c.next_tick = parse_double(a, "next_tick", report);
  c.boundary_pending = parse_count(a, "boundary_pending", report) != 0;
  c.boundary_time = parse_double(a, "boundary_time", report);
  c.last_lease = parse_count(a, "last_lease", report);
  c.signal = a.count("signal") ? a.at("signal") : "";
  c.wall_time = a.count("wall_time") ? parse_double(a, "wall_time", report) : 0;
  SchedulerSnapshot& s = c.scheduler;
  s.round_pending = parse_count(a, "round_pending", report) != 0;
  s.changed = parse_count(a, "changed", report) != 0;
  s.decide_calls = static_cast<long>(parse_count(a, "decide_calls", report));

  for (const JobRow& r : read_table(group.get(), job_row_layout(), report)) {
    if (r.job != s.jobs.size() || r.status < 0 || r.status > 3)
      report.raise(fmt::format("corrupt checkpoint (/checkpoint/jobs row {})", s.jobs.size()));
    JobState st;
    st.status = static_cast<JobState::Status>(r.status);
    st.gpu_type = r.gpu_type;
    st.first_start = r.first_start;
    st.finish = r.finish;
    st.last_start = r.last_start;
    st.last_stop = r.last_stop;
    st.queued_since = r.queued_since;
    st.resume_at = r.resume_at;
    st.preemptions = r.preemptions;
    st.requeues = r.requeues;
    st.rounds_scheduled = r.rounds_scheduled;
    st.attained_gpu_seconds_closed = r.attained_gpu_seconds_closed;
    st.attained_seconds_closed = r.attained_seconds_closed;
    st.progress_iterations = r.progress_iterations;
    st.progress_time = r.progress_time;
    st.progress_rate = r.progress_rate;
    st.ever_stopped = r.ever_stopped != 0;
    st.packed_with = r.packed_with;
    st.share_since = r.share_since;
    st.suspended = r.suspended != 0;
    st.migrations = r.migrations;
    s.jobs.push_back(std::move(st));
    c.jobs.push_back(JobProgressState{r.iterations_done, r.rate, r.compute_seconds,
                                      r.comm_seconds});
  }
  for (const JobGpuRow& r : read_table(group.get(), job_gpu_layout(), report)) {
    if (r.job >= s.jobs.size())
      report.raise(fmt::format("corrupt checkpoint (/checkpoint/job_gpus names job {})", r.job));
    s.jobs[r.job].gpus.push_back(r.gpu);
  }
  for (const SuspendedNodeRow& r : read_table(group.get(), suspended_node_layout(), report)) {
    if (r.job >= s.jobs.size())
      report.raise(fmt::format("corrupt checkpoint (/checkpoint/suspended_on names job {})", r.job));
    s.jobs[r.job].suspended_on.push_back(r.node);
  }
  for (const ActiveRow& r : read_table(group.get(), active_layout(), report))
    s.active.push_back(r.job);
  for (const PolicyPieceRow& r : read_table(group.get(), policy_layout(), report))
    s.policy_state += r.text;
  if (s.policy_state.size() != parse_count(a, "policy_state_bytes", report))
    report.raise("corrupt checkpoint (/checkpoint/policy_state has the wrong length)");
  return c;
}

}  // namespace hdf5

RunCheckpoint read_checkpoint(const std::string& path) {
  hdf5::QuietErrors quiet;
  hdf5::Reporter report(path, /*input=*/true);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) report.raise("cannot read checkpoint: no such file");
  hdf5::Hid fapl = hdf5::make_file_access(report);
  hdf5::Hid file = hdf5::file_handle(
      report.check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), "opening the file"));
  const std::string state = hdf5::checkpoint_state(file.get(), report);
  if (state != "pending")
    report.raise(state.empty() ? "the file holds no checkpoint"
                               : "the checkpoint was already resumed from (state " + state + ")");
  return hdf5::read_checkpoint_group(file.get(), report);
}

}  // namespace dlsched
