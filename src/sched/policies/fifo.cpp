// FIFO: jobs in arrival order, each with the GPUs it asked for, never preempted.
// Strict ("fifo", as in Gavel's FIFO baseline): a job that does not fit blocks those behind
// it. "fifo-backfill": later jobs that fit run in the gaps (no reservation for the head job).
#include <string>

#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class FifoPolicy : public Policy {
 public:
  FifoPolicy(const PolicyParams&, bool backfill) : backfill_(backfill) {}
  std::string_view name() const override { return backfill_ ? "fifo-backfill" : "fifo"; }
  bool preemptive() const override { return false; }
  bool work_conserving() const override { return backfill_; }

  PolicyOutput schedule(const PolicyInput& in) override {
    PolicyOutput out;
    out.backfill = backfill_;
    out.ranked.reserve(in.jobs.size());
    // Active jobs already come in arrival order (ties in trace order).
    for (const JobView& j : in.jobs) out.ranked.push_back(Request{j.id, j.requested_gpus});
    return out;
  }

 private:
  bool backfill_;
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
