// FIFO: jobs in arrival order, each with the GPUs it asked for, never preempted.
// Strict ("fifo", as in Gavel's FIFO baseline): a job that does not fit blocks those behind
// it. "fifo-backfill": later jobs that fit run in the gaps (no reservation for the head job).
// Under --mechanism gavel, "fifo" runs as Gavel's simulator runs its FIFO: each job is given a
// GPU type at random among those with room (--seed) and keeps it, and jobs are placed only
// when the allocation is re-solved (gavel_fifo_allocation.h, gavel_rounds.h).
#include <string>

#include "sched/policies/gavel_fifo_allocation.h"
#include "sched/policies/gavel_rounds.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class FifoPolicy : public Policy {
 public:
  FifoPolicy(const PolicyParams&, bool backfill) : backfill_(backfill) {}
  std::string_view name() const override { return backfill_ ? "fifo-backfill" : "fifo"; }
  bool preemptive() const override { return false; }
  bool work_conserving() const override { return backfill_; }
  // Arrival order never changes between arrivals and completions.
  bool event_driven() const override { return true; }
  // Waiting jobs keep arrival order whatever runs. (Under --mechanism gavel, whose fifo keeps
  // memory, the core does not ask between rounds at all.)
  bool sees_running_jobs_between_rounds() const override { return false; }

  PolicyOutput schedule(const PolicyInput& in) override {
    if (!backfill_ && in.mechanism == "gavel") return gavel_.schedule(in);
    PolicyOutput out;
    out.backfill = backfill_;
    out.ranked.reserve(in.jobs.size());
    // Active jobs already come in arrival order (ties in trace order).
    for (const JobView& j : in.jobs) out.ranked.push_back(Request{j.id, j.requested_gpus});
    return out;
  }

  std::string save_state() const override { return gavel_.save_state(); }
  void restore_state(std::string_view state) override { gavel_.restore_state(name(), state); }

 private:
  bool backfill_;
  GavelMode<GavelFifoAllocation> gavel_{{.shuffle_types = true, .skip_zero_priority = true},
                                        GavelFifoAllocation{GavelFifoAllocation::TypeChoice::RANDOM}};
};

struct StrictFifo : FifoPolicy {
  explicit StrictFifo(const PolicyParams& p) : FifoPolicy(p, false) {}
};
struct BackfillFifo : FifoPolicy {
  explicit BackfillFifo(const PolicyParams& p) : FifoPolicy(p, true) {}
};

}  // namespace

DLSCHED_REGISTER_POLICY("fifo", "first come, first served; the head job blocks the queue", StrictFifo)
DLSCHED_REGISTER_POLICY("fifo-backfill", "first come, first served; later jobs fill gaps", BackfillFifo)

}  // namespace dlsched
