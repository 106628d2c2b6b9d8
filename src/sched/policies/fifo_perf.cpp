// FIFO, heterogeneity-aware (Gavel's "fifo_perf" baseline, Narayanan et al., OSDI'20): jobs in
// arrival order, each on the free GPU type where it runs fastest; the head job that finds no
// type with room blocks those behind it. The allocation is rebuilt only when the allocation is
// re-solved (after arrivals or completions, at most every resolve interval: --mechanism gavel
// gives Gavel's 1920 s), and Gavel's round mechanism runs the jobs it places; a job that
// arrived since waits for the next solve, and a job may move to a faster type when one frees.
#include "sched/policies/gavel_fifo_allocation.h"
#include "sched/policies/gavel_rounds.h"
#include "sched/policy_registry.h"

namespace dlsched {
namespace {

class FifoPerfPolicy : public Policy {
 public:
  explicit FifoPerfPolicy(const PolicyParams&)
      : rounds_(GavelRounds::Options{.shuffle_types = false, .skip_zero_priority = true}),
        allocation_(GavelFifoAllocation::TypeChoice::FASTEST) {}

  std::string_view name() const override { return "fifo-perf"; }
  bool preemptive() const override { return true; }
  bool work_conserving() const override { return false; }

  PolicyOutput schedule(const PolicyInput& in) override {
    const auto thr = [&](const JobView& j) { return thr_.of(in, j); };
    return rounds_.schedule(in, thr, [&](const PolicyInput& at) {
      return allocation_.solve(at, [&](const JobView& j) { return thr_.of(at, j); });
    });
  }

  std::string save_state() const override {
    PolicyStateWriter w;
    rounds_.save(w);
    allocation_.save(w);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name(), state);
    rounds_.restore(r);
    allocation_.restore(r);
    r.finish();
  }

 private:
  GavelRounds rounds_;
  GavelFifoAllocation allocation_;
  TypeThroughputs thr_;
};

}  // namespace

DLSCHED_REGISTER_POLICY("fifo-perf",
                        "Gavel's heterogeneity-aware FIFO: arrival order, each job on its fastest "
                        "free type, allocation re-solved with Gavel's rounds",
                        FifoPerfPolicy)

}  // namespace dlsched
