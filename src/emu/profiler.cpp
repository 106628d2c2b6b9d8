#include "emu/profiler.h"

#include <fmt/format.h>

#include "core/error.h"
#include "emu/mpi_check.h"
#include "emu/send_lease.h"

namespace dlsched::emu {
namespace {

/// Per-iteration means of one lease, over its members.
struct LeaseTimes {
  double compute = 0, comm = 0, iteration = 0;
};

class Profiler {
 public:
  Profiler(const ProfileExperiment& p, Channel& channel, const DriverSettings& settings)
      : p_(p), channel_(channel), settings_(settings) {
    DLSCHED_MPI_CHECK(MPI_Comm_size(channel.comm(), &size_));
    DLSCHED_EXPECTS(size_ - 1 == p.experiment->cluster.num_gpus(),
                    fmt::format("{} worker ranks for {} GPUs", size_ - 1,
                                p.experiment->cluster.num_gpus()));
  }

  void measure(const ProfileCase& c, const ProfileRepeats& r, std::vector<ProfileRecord>& out) {
    const ProfileSubject& s = p_.subjects.at(c.subject);
    const IterationWork work =
        iteration_work(*p_.experiment, s.job, PlacementShape{c.gpu_type, c.workers, c.nodes},
                       settings_);
    std::vector<std::int32_t> members;
    for (GpuId g : c.gpus) members.push_back(g + 1);
    // The warm-up lease also builds the communicator, which no timed lease then pays for.
    if (r.warmup > 0) run_lease(s.job, members, work, r.warmup);
    for (int k = 0; k < r.repetitions; ++k) {
      const LeaseTimes t = run_lease(s.job, members, work, r.iterations);
      ProfileRecord row;
      row.model = s.model;
      row.gpu_type = p_.experiment->cluster.gpu_types()[c.gpu_type];
      row.workers = c.workers;
      row.nodes = c.nodes;
      row.placement = to_string(c.placement);
      row.batch = s.batch;
      row.repetition = k;
      row.iterations = r.iterations;
      row.compute_s = t.compute;
      row.comm_s = t.comm;
      row.iteration_s = t.iteration;
      out.push_back(std::move(row));
    }
  }

  void shutdown() {
    for (int rank = 1; rank < size_; ++rank) channel_.send(rank, ShutdownMsg{});
    channel_.flush();
  }

 private:
  /// One lease of `steps` iterations on `members`, waited for until every member reported.
  LeaseTimes run_lease(JobId job, const std::vector<std::int32_t>& members,
                       const IterationWork& work, int steps) {
    AssignMsg a;
    a.lease = ++last_lease_;
    a.job = job;
    a.members = members;
    a.deadline_seconds = 1e12;  // no round: the budget ends the lease
    a.budget_steps = steps;
    a.work = work;
    send_lease(channel_, comms_, a);
    LeaseTimes sum;
    std::size_t reports = 0;
    while (reports < members.size()) {
      const RawMessage raw = channel_.receive();
      const Message m = decode_from_worker(raw);
      if (const auto* f = std::get_if<FailureMsg>(&m))
        throw Error(fmt::format("worker rank {} failed: {}", raw.source, f->what));
      if (const auto* st = std::get_if<StartedMsg>(&m); st && st->lease == a.lease) continue;
      const auto* rep = std::get_if<ReportMsg>(&m);
      if (!rep || rep->lease != a.lease)
        throw ProtocolError(fmt::format("rank {} sent an unexpected {} message during lease {}",
                                        raw.source, to_string(type_of(m)), a.lease));
      if (rep->steps != steps || rep->reason != StopReason::BUDGET)
        throw ProtocolError(fmt::format("rank {} stopped lease {} after {} of {} iterations",
                                        raw.source, a.lease, rep->steps, steps));
      sum.compute += rep->compute_seconds / steps;
      sum.comm += rep->comm_seconds / steps;
      sum.iteration += rep->seconds / steps;
      ++reports;
    }
    const double n = static_cast<double>(members.size());
    return LeaseTimes{sum.compute / n, sum.comm / n, sum.iteration / n};
  }

  const ProfileExperiment& p_;
  Channel& channel_;
  DriverSettings settings_;
  CommRegistry comms_;
  int size_ = 0;
  std::uint64_t last_lease_ = 0;
};

}  // namespace

std::vector<ProfileRecord> measure_profile(const ProfileExperiment& p,
                                           const std::vector<ProfileCase>& cases,
                                           Channel& channel, const DriverSettings& settings,
                                           const ProfileRepeats& repeats, std::ostream* progress) {
  Profiler profiler(p, channel, settings);
  // The emulator's test hook (DriverSettings::inject_bad_message) works here too: a failure
  // in the middle of a profile must end it without output.
  if (settings.inject_bad_message) channel.send_raw(1, encode_header_only(0xBEEF));
  std::vector<ProfileRecord> rows;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const ProfileCase& c = cases[i];
    if (progress)
      *progress << fmt::format("dlsched: profile {}/{}: {} on {} x{} {} ({} node{})\n", i + 1,
                               cases.size(), p.subjects.at(c.subject).model,
                               p.experiment->cluster.gpu_types()[c.gpu_type], c.workers,
                               to_string(c.placement), c.nodes, c.nodes == 1 ? "" : "s")
                << std::flush;
    profiler.measure(c, repeats, rows);
  }
  profiler.shutdown();
  return rows;
}

}  // namespace dlsched::emu
