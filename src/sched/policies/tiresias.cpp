// Tiresias: J. Gu et al., "Tiresias: A GPU Cluster Manager for Distributed Deep Learning",
// NSDI 2019, section 3.2 (the two-dimensional attained-service scheduler 2DAS, its priority
// discretization into K queues and starvation avoidance) and section 5.4 (sensitivity).
//
// A job's attained service is GPUs x seconds allocated (2D: spatial and temporal). Jobs sit in
// K priority queues; queue i holds jobs whose service (counted since they last entered the top
// queue) is below threshold i, and every job starts in the top queue. Higher queues go first;
// inside a queue, "tiresias-las" (Discretized 2D-LAS, no job knowledge) serves jobs in queue
// order: a job joins the back of a queue when it arrives or moves there, and after every
// decision the jobs that will wait go to the back, so running jobs stay ahead of waiting ones
// (as the authors' simulator keeps its queues). "tiresias-gittins" (Discretized 2D-Gittins
// index, knows the service distribution) serves the highest Gittins index first. A job in a
// lower queue that has waited at least starve_factor x the time it ran since it last entered
// the top queue is promoted back to the top queue with its queue service reset (the paper's
// STARVELIMIT, scaled by PROMOTEKNOB).
//
// Parameters (defaults: the authors' simulator, jobs.py, for its dlas-gpu schedule):
//   queues=3          K.
//   thresholds=3250,7200  K-1 comma-separated, increasing GPU-second queue limits.
//   starve_factor=0   PROMOTEKNOB; 0 disables promotion (dlas-gpu promotes nothing). The
//                     paper sweeps this knob (the simulator has presets 1, 2, 4 and 8).
//   delta=3250        tiresias-gittins only: the service quantum of the index, in GPU-seconds.
//
// Under --mechanism tiresias, decisions come every second (the simulator's events fall on
// whole seconds) with no preemption cost.
//
// Where this differs from the paper:
// - Demotion and promotion are checked when the core asks (every round, arrival, completion),
//   not at the exact instant a job crosses a threshold, and preemption waits for the round
//   (with --mechanism tiresias, a round every second).
// - The service distribution for the Gittins index is not a prior from a past trace: it is
//   built from the total service (requested GPUs x isolated time) of every job this policy
//   has seen so far, i.e. the jobs of the current trace up to now. The ranked job's own size
//   is one of the samples, so early in a run (few samples) the index leans on oracle sizes.
// - The index uses the job's total attained service, which a promotion does not reset.
// - The waiting time compared with the run time is the job's current wait (since its last
//   preemption), not the sum of its waits since it last entered the top queue.
#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "core/error.h"
#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

/// Parses "a,b,c" into strictly increasing positive numbers.
std::vector<double> parse_thresholds(const std::string& text) {
  std::vector<double> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t comma = std::min(text.find(',', from), text.size());
    const std::string item = text.substr(from, comma - from);
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(v > 0))
      throw InputError(fmt::format("policy parameter thresholds: '{}' is not a positive number", item));
    if (!out.empty() && v <= out.back())
      throw InputError(fmt::format("policy parameter thresholds: '{}' must increase", text));
    out.push_back(v);
    from = comma + 1;
  }
  return out;
}

/// Empirical distribution of job service (GPU-seconds) and the Gittins index over it.
class ServiceDistribution {
 public:
  void add(double service) { pending_.push_back(service); }

  /// The samples folded in and those pending (when to fold depends on both).
  void save(PolicyStateWriter& w) const {
    w.put(sorted_.size());
    for (double v : sorted_) w.put(v);
    w.put(pending_.size());
    for (double v : pending_) w.put(v);
  }
  void restore(PolicyStateReader& r, std::size_t limit) {
    sorted_.resize(r.get_count(limit));
    for (double& v : sorted_) v = r.get_double();
    pending_.resize(r.get_count(limit));
    for (double& v : pending_) v = r.get_double();
    prefix_.assign(sorted_.size() + 1, 0.0);
    for (std::size_t i = 0; i < sorted_.size(); ++i) prefix_[i + 1] = prefix_[i] + sorted_[i];
  }

  /// Folds new samples in. Re-sorting costs O(n) per refresh, so with tens of thousands of
  /// jobs it is done once the new samples reach 1/64 of the known ones (exact for the first
  /// 64 jobs, within 1.6% of the samples afterwards).
  void refresh() {
    if (pending_.empty() || pending_.size() < std::max<std::size_t>(1, sorted_.size() / 64)) return;
    const auto middle = static_cast<std::ptrdiff_t>(sorted_.size());
    std::sort(pending_.begin(), pending_.end());
    sorted_.insert(sorted_.end(), pending_.begin(), pending_.end());
    std::inplace_merge(sorted_.begin(), sorted_.begin() + middle, sorted_.end());
    pending_.clear();
    prefix_.assign(sorted_.size() + 1, 0.0);
    for (std::size_t i = 0; i < sorted_.size(); ++i) prefix_[i + 1] = prefix_[i] + sorted_[i];
  }

  /// Gittins index of a job with attained service a and quantum delta (section 3.2):
  ///   G = P(S - a <= delta | S > a) / E[min(S - a, delta) | S > a]
  /// the chance to finish within the next quantum per unit of service it would cost.
  /// 0 when the job has outlived every sample (nothing is known to finish later).
  double gittins(double a, double delta) const {
    const auto first_alive = std::upper_bound(sorted_.begin(), sorted_.end(), a) - sorted_.begin();
    const auto first_after = std::upper_bound(sorted_.begin(), sorted_.end(), a + delta) - sorted_.begin();
    const auto n = static_cast<std::ptrdiff_t>(sorted_.size());
    const double alive = static_cast<double>(n - first_alive);
    if (alive == 0) return 0;
    const double finishing = static_cast<double>(first_after - first_alive);
    const double finishing_service = prefix_[first_after] - prefix_[first_alive] - a * finishing;
    const double expected = (finishing_service + delta * static_cast<double>(n - first_after)) / alive;
    return (finishing / alive) / expected;
  }

 private:
  std::vector<double> sorted_;
  std::vector<double> prefix_;  // prefix_[i] = sum of the i smallest samples
  std::vector<double> pending_;
};

class TiresiasPolicy : public Policy {
 public:
  TiresiasPolicy(const PolicyParams& p, bool gittins)
      : gittins_(gittins),
        starve_factor_(p.get_double("starve_factor", 0, 0, 1e6, "promote a waiting job to the top queue after this x the time it ran (0: never)")),
        delta_(p.get_double("delta", 3250, 1e-9, 1e12, "Gittins: service quantum, GPU-s")) {
    const int queues = p.get_int("queues", 3, 1, 64, "priority queues");
    if (queues < 1) throw InputError(fmt::format("policy parameter queues: {} < 1", queues));
    limits_ = parse_thresholds(p.get_string("thresholds", "3250,7200", "queue limits, GPU-s, comma-separated"));
    if (static_cast<int>(limits_.size()) < queues - 1)
      throw InputError(fmt::format("policy parameter thresholds: {} queues need {} thresholds, got {}",
                                   queues, queues - 1, limits_.size()));
    limits_.resize(queues - 1);  // extra thresholds are unused
    if (!(delta_ > 0)) throw InputError("policy parameter delta must be positive");
    if (starve_factor_ < 0) throw InputError("policy parameter starve_factor must not be negative");
  }
  std::string_view name() const override { return gittins_ ? "tiresias-gittins" : "tiresias-las"; }
  bool preemptive() const override { return true; }

  PolicyOutput schedule(const PolicyInput& in) override {
    for (const JobView& j : in.jobs) {
      if (j.id >= jobs_.size()) jobs_.resize(j.id + 1);
      Track& t = jobs_[j.id];
      if (!t.seen) {
        t.seen = true;
        t.seq = next_seq_++;  // joins the end of the top queue
        if (gittins_) service_.add(j.isolated_time * j.requested_gpus);
      }
      const int was = t.queue;
      update_queue(in.now, j, t);
      if (t.queue != was) t.seq = next_seq_++;  // joins the end of its new queue
    }
    if (gittins_) service_.refresh();

    keys_.resize(in.jobs.size());
    for (std::size_t i = 0; i < in.jobs.size(); ++i) {
      const JobView& j = in.jobs[i];
      // Arrival order breaks ties: views come in arrival order and the sort is stable.
      // LAS serves a queue in its own order (see pending_to_back); Gittins by index.
      keys_[i] = Key{jobs_[j.id].queue,
                     gittins_ ? -service_.gittins(j.attained_gpu_seconds, delta_)
                              : static_cast<double>(jobs_[j.id].seq),
                     i};
    }
    std::stable_sort(keys_.begin(), keys_.end(), [](const Key& a, const Key& b) {
      return a.queue != b.queue ? a.queue < b.queue : a.neg_index < b.neg_index;
    });
    PolicyOutput out;
    out.ranked.reserve(keys_.size());
    for (const Key& k : keys_) out.ranked.push_back(Request{in.jobs[k.pos].id, in.jobs[k.pos].requested_gpus});
    pending_to_back(in);
    return out;
  }

  /// Each job's queue and the bases its queue service counts from, and the service samples.
  std::string save_state() const override {
    PolicyStateWriter w;
    w.put(jobs_.size());
    w.put(next_seq_);
    for (const Track& t : jobs_)
      w.put(t.seen).put(t.queue).put(t.service_base).put(t.run_base).put(t.seq);
    service_.save(w);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name(), state);
    constexpr std::size_t kMaxJobs = std::size_t{1} << 32;
    jobs_.resize(r.get_count(kMaxJobs));
    next_seq_ = r.get_int();
    for (Track& t : jobs_) {
      t.seen = r.get_bool();
      t.queue = static_cast<int>(r.get_int());
      t.service_base = r.get_double();
      t.run_base = r.get_double();
      t.seq = r.get_int();
    }
    service_.restore(r, kMaxJobs);
    r.finish();
  }

 private:
  /// What the policy remembers of a job between calls.
  struct Track {
    bool seen = false;
    int queue = 0;
    double service_base = 0;  // attained GPU-seconds when it last entered the top queue
    double run_base = 0;      // attained seconds when it last entered the top queue
    std::int64_t seq = 0;     // place in its queue: smaller is served first
  };
  struct Key {
    int queue;
    double neg_index;  // minus the Gittins index, so that ascending order serves the highest
    std::size_t pos;
  };

  void update_queue(double now, const JobView& j, Track& t) const {
    const int last = static_cast<int>(limits_.size());
    while (t.queue < last && j.attained_gpu_seconds - t.service_base >= limits_[t.queue]) ++t.queue;
    if (t.queue == 0 || j.running || starve_factor_ <= 0) return;
    const double ran = j.attained_seconds - t.run_base;
    if (ran > 0 && now - j.queued_since >= starve_factor_ * ran) {
      t.queue = 0;
      t.service_base = j.attained_gpu_seconds;
      t.run_base = j.attained_seconds;
    }
  }

  /// After a pass, the jobs of each queue that will wait go to its back in their order, so
  /// that running jobs stay ahead of waiting ones (Tiresias' simulator, run_sim.py). Counted
  /// as the core serves the ranking: by free GPUs, with running jobs kept between rounds.
  void pending_to_back(const PolicyInput& in) {
    int free = in.cluster->num_gpus();
    if (!in.round_boundary)
      for (const JobView& j : in.jobs)
        if (j.running) free -= j.current_gpus;
    for (const Key& k : keys_) {
      const JobView& j = in.jobs[k.pos];
      const bool runs = !in.round_boundary ? j.running || j.requested_gpus <= free
                                           : j.requested_gpus <= free;
      if (runs && (in.round_boundary || !j.running)) free -= j.requested_gpus;
      if (!runs) jobs_[j.id].seq = next_seq_++;
    }
  }

  bool gittins_;
  std::int64_t next_seq_ = 0;
  double starve_factor_;
  double delta_;
  std::vector<double> limits_;  // limits_[i]: service at which a job leaves queue i
  std::vector<Track> jobs_;     // by JobId
  ServiceDistribution service_;
  std::vector<Key> keys_;       // reused buffer
};

struct TiresiasLas : TiresiasPolicy {
  explicit TiresiasLas(const PolicyParams& p) : TiresiasPolicy(p, false) {}
};
struct TiresiasGittins : TiresiasPolicy {
  explicit TiresiasGittins(const PolicyParams& p) : TiresiasPolicy(p, true) {}
};

}  // namespace

DLSCHED_REGISTER_POLICY("tiresias-las",
                        "Tiresias discretized 2D-LAS: K queues by GPU-service, FIFO inside, preemptive",
                        TiresiasLas)
DLSCHED_REGISTER_POLICY("tiresias-gittins",
                        "Tiresias discretized 2D-Gittins index over the service distribution seen, preemptive",
                        TiresiasGittins)

}  // namespace dlsched
