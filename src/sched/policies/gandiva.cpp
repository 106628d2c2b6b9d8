// Gandiva: W. Xiao et al., "Gandiva: Introspective Cluster Scheduling for Deep Learning",
// OSDI 2018: section 3.1 (suspend-resume and time-slicing), 3.2 (packing), 3.3 (migration)
// and section 4 (the scheduling policy that uses them: reactive placement, introspective
// packing and migration, time-slicing under overload).
//
// Time-slicing (§3.1): when more jobs want GPUs than there are, jobs take turns round-robin.
// A turn is one core round; at each round boundary the jobs that waited longest (since they
// arrived or were suspended) are served first, then the running jobs, those that started
// their turn most recently first, so the job that has run longest is the one suspended. A
// turn ends with a suspend at an iteration boundary: the job's GPU memory is parked in the
// server's host memory, which the paper measures at well under a second, far cheaper than a
// checkpoint-restore. The core charges the suspend delay when the job resumes on the nodes
// it was suspended on, the restore delay elsewhere (Policy::suspends()).
//
// Packing (§3.2, §4): under overload, a job that gets no GPUs of its own may share the GPUs
// of a job served this round (same GPU count) when the profile says that packing beats
// time-slicing the two: r_a' / r_a + r_b' / r_b > 1, with r' a job's rate packed and r its
// rate alone. The profile is the throughput table's co-location entries (Gavel's table has
// them); without an entry a pair is never packed. Packing is introspective: at each round
// the rates the packed jobs actually reached are checked with the same rule, and a pair that
// fails it is unpacked and never packed again.
//
// Migration (§3.3): at round boundaries a running job spread over more nodes than it needs
// asks to be consolidated; the core moves it if GPUs on fewer nodes are free once every
// other job is placed (charged the restore delay), and only if the model says it then runs
// faster.
//
// Parameters:
//   packing=1     0 disables packing (emulate runs without it).
//   migration=1   0 disables migration.
//
// Where this differs from the paper:
// - Turns are the core's rounds (--round-length), not Gandiva's own time quantum, and the
//   round-robin is cluster-wide over GPU types rather than within a server's affinity group.
// - Packing and unpacking happen at round boundaries or when a job arrives or finishes, not
//   continuously; the profile is the throughput table, not a trial run of each pair.
// - Placement affinity (jobs of one size kept on the same servers) is left to the core's
//   best-fit consolidated placement; grow-shrink (§3.4) is not implemented.
//
// Under --mechanism gavel, "gandiva" runs Gavel's Gandiva baseline as Gavel's simulator runs
// it (gandiva_gavel.h: equal time shares of every type, random pairs when oversubscribed);
// the parameters above do not apply there.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "sched/policies/gandiva_gavel.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

class GandivaPolicy : public Policy {
 public:
  explicit GandivaPolicy(const PolicyParams& p)
      : packing_(p.get_flag("packing", true, "pack jobs whose GPUs are underused")), migration_(p.get_flag("migration", true, "migrate jobs to consolidate them")) {}
  std::string_view name() const override { return "gandiva"; }
  bool preemptive() const override { return true; }
  bool suspends() const override { return true; }
  bool may_pack() const override { return packing_; }

  PolicyOutput schedule(const PolicyInput& in) override {
    if (in.mechanism == "gavel") {
      used_gavel_ = true;
      return gavel_.schedule(in);
    }
    in_ = &in;
    const std::size_t n = in.jobs.size();
    index_of_.clear();
    for (std::size_t i = 0; i < n; ++i) index_of_.emplace_back(in.jobs[i].id, i);
    std::sort(index_of_.begin(), index_of_.end());
    const bool can_pack = packing_ && in.packing_allowed && in.throughput->has_colocation();
    if (can_pack && in.round_boundary) introspect();

    const int types = static_cast<int>(in.cluster->gpu_types().size());
    free_.assign(types, 0);
    for (int t = 0; t < types; ++t) free_[t] = in.cluster->num_gpus_of_type(t);
    partnered_.assign(n, 0);
    hosts_.clear();
    PolicyOutput out;

    // Jobs the core keeps whatever the answer: every running job between rounds, restoring
    // jobs at rounds. A packed pair holds its GPUs once.
    for (std::size_t i = 0; i < n; ++i) {
      const JobView& j = in.jobs[i];
      if (!pinned(j)) continue;
      const long p = j.packed_with;
      const bool counted = p >= 0 && pinned(view(p)) && static_cast<JobId>(p) < j.id;
      if (!counted) free_[j.current_type] -= j.current_gpus;
      if (p < 0) {
        hosts_.push_back(Host{i, j.current_gpus, j.current_type});
        continue;
      }
      partnered_[i] = 1;
      const std::size_t pi = index(p);
      if (!partnered_[pi] && !pinned(in.jobs[pi])) {
        // A restoring job keeps its partner, which asks to stay packed with it.
        partnered_[pi] = 1;
        out.ranked.push_back(
            Request{in.jobs[pi].id, j.current_gpus, j.current_type, static_cast<long>(j.id)});
      }
    }

    // Round-robin: the longest waiting first, then running jobs, the newest turn first.
    order_.clear();
    for (std::size_t i = 0; i < n; ++i)
      if (!pinned(in.jobs[i]) && !partnered_[i]) order_.push_back(i);
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      const JobView& x = in.jobs[a];
      const JobView& y = in.jobs[b];
      if (x.running != y.running) return !x.running;
      return x.running ? x.last_start > y.last_start : x.queued_since < y.queued_since;
    });
    leftovers_.clear();
    for (std::size_t i : order_) {
      const JobView& j = in.jobs[i];
      const int gpus = j.requested_gpus;
      const int type = choose_type(j, gpus);
      if (type < 0) {
        leftovers_.push_back(i);
        continue;
      }
      free_[type] -= gpus;
      out.ranked.push_back(Request{j.id, gpus, type, -1, wants_consolidation(j, type)});
      hosts_.push_back(Host{i, gpus, type});
    }

    // Packing: a job left without GPUs shares those of the served job it gains most with.
    if (can_pack) {
      for (std::size_t w : leftovers_) {
        const JobView& guest = in.jobs[w];
        const Host* best = nullptr;
        double best_gain = 1;  // time-slicing the pair does exactly 1 GPU's worth of work
        for (const Host& h : hosts_) {
          if (partnered_[h.view] || h.gpus != guest.requested_gpus) continue;
          const double gain = packing_gain(guest, in.jobs[h.view], h.type, h.gpus);
          if (gain > best_gain) best = &h, best_gain = gain;
        }
        if (!best) continue;
        partnered_[best->view] = partnered_[w] = 1;
        out.ranked.push_back(Request{guest.id, best->gpus, best->type,
                                     static_cast<long>(in.jobs[best->view].id)});
      }
    }
    return out;
  }

 private:
  /// A job that holds or is given GPUs in this call, and could take a packing partner.
  struct Host {
    std::size_t view;
    int gpus;
    int type;
  };

  bool pinned(const JobView& j) const { return j.running && (!in_->round_boundary || j.restoring); }
  std::size_t index(long id) const {
    const auto it = std::lower_bound(index_of_.begin(), index_of_.end(),
                                     std::make_pair(static_cast<JobId>(id), std::size_t{0}));
    return it->second;
  }
  const JobView& view(long id) const { return in_->jobs[index(id)]; }
  static std::pair<JobId, JobId> pair_of(JobId a, JobId b) { return std::minmax(a, b); }

  /// The type the core would pick: the current one if it has room, else the one with most.
  int choose_type(const JobView& j, int gpus) const {
    if (j.current_type >= 0 && free_[j.current_type] >= gpus) return j.current_type;
    int best = -1;
    for (int t = 0; t < static_cast<int>(free_.size()); ++t)
      if (free_[t] >= gpus && (best < 0 || free_[t] > free_[best])) best = t;
    return best;
  }

  /// Work the pair does packed, in GPUs' worth of each job alone; above 1 packing beats
  /// time-slicing them. 0 without co-location entries or for a pair that failed before.
  double packing_gain(const JobView& a, const JobView& b, int type, int gpus) const {
    if (unprofitable_.count(pair_of(a.id, b.id))) return 0;
    const ThroughputModel& tp = *in_->throughput;
    const PlacementShape shape{type, gpus, tp.min_nodes(type, gpus)};
    const auto ra = tp.colocated_progress_rate(a.id, b.id, shape);
    const auto rb = tp.colocated_progress_rate(b.id, a.id, shape);
    if (!ra || !rb) return 0;
    return *ra / tp.progress_rate(a.id, shape) + *rb / tp.progress_rate(b.id, shape);
  }

  /// Checks the rates packed pairs actually reach; a pair that does less work packed than
  /// time-sliced is remembered and not packed again (the core unpacks it this round).
  void introspect() {
    const ThroughputModel& tp = *in_->throughput;
    for (const JobView& j : in_->jobs) {
      if (!j.running || j.packed_with < 0 || static_cast<JobId>(j.packed_with) < j.id) continue;
      const JobView& p = view(j.packed_with);
      if (j.restoring || p.restoring || j.rate <= 0 || p.rate <= 0) continue;
      const PlacementShape shape{j.current_type, j.current_gpus, j.nodes};
      const double gain = j.rate / tp.progress_rate(j.id, shape) + p.rate / tp.progress_rate(p.id, shape);
      if (gain <= 1) unprofitable_.insert(pair_of(j.id, p.id));
    }
  }

  /// Should a running job move to fewer nodes? Only if it is spread and would run faster.
  bool wants_consolidation(const JobView& j, int type) const {
    if (!migration_ || !j.running || j.current_type != type || j.packed_with >= 0 ||
        j.current_gpus != j.requested_gpus)
      return false;
    const ThroughputModel& tp = *in_->throughput;
    const int fewest = tp.min_nodes(type, j.current_gpus);
    if (j.nodes <= fewest) return false;
    return tp.progress_rate(j.id, PlacementShape{type, j.current_gpus, fewest}) >
           tp.progress_rate(j.id, PlacementShape{type, j.current_gpus, j.nodes});
  }

  // Only the pairs found unprofitable outlive a call; the rest is rebuilt from the input.
  std::string save_state() const override {
    PolicyStateWriter w;
    w.put(unprofitable_.size());
    for (const auto& [a, b] : unprofitable_) w.put(a).put(b);
    w.put(used_gavel_);
    if (used_gavel_) gavel_.save(w);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name(), state);
    constexpr std::size_t kMaxPairs = std::size_t{1} << 40;
    unprofitable_.clear();
    for (std::size_t n = r.get_count(kMaxPairs); n > 0; --n) {
      const auto a = static_cast<JobId>(r.get_int());
      const auto b = static_cast<JobId>(r.get_int());
      unprofitable_.emplace(a, b);
    }
    used_gavel_ = r.get_bool();
    if (used_gavel_) gavel_.restore(r);
    r.finish();
  }

  bool packing_;
  bool migration_;
  const PolicyInput* in_ = nullptr;
  std::vector<std::pair<JobId, std::size_t>> index_of_;  // job id -> view index, sorted
  std::vector<int> free_;                                // GPUs per type still to hand out
  std::vector<char> partnered_;                          // by view index: packed in this answer
  std::vector<Host> hosts_;
  std::vector<std::size_t> order_;
  std::vector<std::size_t> leftovers_;                   // served no GPUs of their own
  std::set<std::pair<JobId, JobId>> unprofitable_;       // pairs seen doing worse packed
  bool used_gavel_ = false;
  GandivaGavel gavel_;  // under --mechanism gavel
};

}  // namespace

DLSCHED_REGISTER_POLICY("gandiva",
                        "Gandiva: round-robin time-slicing with cheap suspends, profitable "
                        "packing on one GPU, migration to consolidate",
                        GandivaPolicy)

}  // namespace dlsched
