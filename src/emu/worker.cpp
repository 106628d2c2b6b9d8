#include "emu/worker.h"

#include <fmt/format.h>

#include <algorithm>

#include "emu/mpi_check.h"
#include "emu/training_step.h"

namespace dlsched::emu {

namespace {
constexpr int DRIVER = 0;
}

Worker::Worker(Channel& control, MPI_Comm data, Backend& backend)
    : control_(control), backend_(backend), comms_(backend, data) {}

void Worker::report_failure(const std::string& what) {
  control_.send(DRIVER, FailureMsg{fmt::format("{}: {}", mpi_where(), what)});
}

void Worker::run() {
  for (;;) {
    RawMessage raw;
    if (!held_.empty()) {
      raw = std::move(held_.front());
      held_.pop_front();
    } else {
      raw = control_.receive(DRIVER);
    }
    try {
      const Message m = decode(raw.bytes);
      if (const auto* a = std::get_if<AssignMsg>(&m)) {
        run_lease(*a);
      } else if (std::holds_alternative<StopMsg>(m)) {
        // A stop for a lease that already ended on its own (budget or deadline): nothing to do.
      } else if (const auto* r = std::get_if<ReleaseMsg>(&m)) {
        comms_.release(std::vector<int>(r->members.begin(), r->members.end()));
      } else if (std::holds_alternative<ShutdownMsg>(m)) {
        control_.flush();
        comms_.clear();
        return;
      } else {
        throw ProtocolError(
            fmt::format("a worker does not accept {} messages", to_string(type_of(m))));
      }
    } catch (const ProtocolError& e) {
      report_failure(fmt::format("protocol error: {}", e.what()));
    } catch (const std::exception& e) {
      report_failure(e.what());
    }
  }
}

bool Worker::stop_requested(std::uint64_t lease) {
  bool stop = false;
  while (auto raw = control_.try_receive(DRIVER)) {
    // Only a STOP for this lease matters now; anything else waits until the lease is over
    // (and is decoded, or rejected, then).
    try {
      const Message m = decode(raw->bytes);
      if (const auto* s = std::get_if<StopMsg>(&m); s && s->lease == lease) {
        stop = true;
        continue;
      }
    } catch (const ProtocolError&) {
    }
    held_.push_back(std::move(*raw));
  }
  return stop;
}

void Worker::run_lease(const AssignMsg& a) {
  const double received = clock_.now();
  std::vector<int> members(a.members.begin(), a.members.end());
  JobCommunicator& comm = comms_.get(members, a.new_comm);
  const bool leader = comm.rank() == 0;
  comm.barrier();
  if (leader) control_.send(DRIVER, StartedMsg{a.lease});
  const double deadline = received + a.deadline_seconds;
  ReportMsg r;
  r.lease = a.lease;
  r.job = a.job;
  r.iterations_before = a.iterations_before;
  r.reason = StopReason::DEADLINE;
  // Restore from checkpoint: the same delay the simulator charges. A restore that outlasts
  // the round ends the lease at the deadline with no iteration; every member reads that from
  // the same ASSIGN, so they agree without talking, and the next lease waits out the rest.
  r.communicators = static_cast<std::uint32_t>(comms_.size());
  if (a.wait_seconds >= a.deadline_seconds) {
    clock_.sleep_until(deadline);
    control_.send(DRIVER, r);
    return;
  }
  clock_.sleep_until(received + a.wait_seconds);
  const double first = clock_.now();
  double last_iteration = 0;
  const StepPlan plan = plan_step(a.work);
  for (;;) {
    // The leader decides whether this is the last iteration once the backward is done; the
    // decision travels in the gradient allreduce, so every member stops after the same
    // iteration at no extra cost.
    StopReason why = StopReason::DEADLINE;
    const auto decide = [&]() -> float {
      if (!leader) return 0;
      if (stop_requested(a.lease)) {
        why = StopReason::REQUESTED;
        return 1;
      }
      // Stop at the iteration boundary nearest the deadline: going on would end further past
      // it than stopping now ends before it.
      return clock_.now() + 0.5 * last_iteration >= deadline ? 1 : 0;
    };
    const StepTiming step = backend_.train_step(comm, plan, decide);
    r.compute_seconds += step.compute_seconds;
    r.comm_seconds += step.exposed_comm_seconds();
    last_iteration = step.seconds;
    ++r.steps;
    if (r.steps >= a.budget_steps) {
      r.reason = StopReason::BUDGET;
      break;
    }
    if (step.flag_sum > 0) {
      r.reason = leader ? why : StopReason::DEADLINE;
      break;
    }
  }
  r.seconds = clock_.now() - first;
  control_.send(DRIVER, r);
  control_.progress();
}

}  // namespace dlsched::emu
