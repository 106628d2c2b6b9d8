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
// index) serves the highest Gittins index first, computed from a prior of past job sizes
// (gittins_index.h), never from the trace being run. A job in a lower queue whose waits since
// it last entered the top queue add up to starve_factor x the time it ran since then is
// promoted back to the top queue with its queue service reset (the paper's STARVELIMIT, scaled
// by PROMOTEKNOB).
//
// Parameters (defaults: the authors' simulator, jobs.py and run_sim.py, for its dlas-gpu and
// dlas-gpu-gittins schedules):
//   queues=3          K.
//   thresholds=3250,7200  K-1 comma-separated, increasing GPU-second queue limits.
//   starve_factor=0   PROMOTEKNOB; 0 disables promotion (dlas-gpu promotes nothing). The
//                     paper sweeps this knob (the simulator has presets 1, 2, 4 and 8).
//   delta=3250        tiresias-gittins only: the service quantum of the index, in GPU-seconds.
//   prior=FILE        tiresias-gittins only: past job sizes (GPU-seconds, a 'duration'
//                     column); default the YARN sample the simulator loads, built in.
//
// Under --mechanism tiresias (rounds of a second, no preemption cost) both policies decide
// only at the simulator's events and keep their last decision in between: arrivals,
// completions, and the queue jumps it schedules for running jobs (see next_jump()). A job
// moves down at most one queue per event, as there, and tiresias-gittins ranks by the
// simulator's own index table.
//
// In event-driven time (--round-length 0) the core asks only at arrivals, completions and the
// next queue jump or promotion the policy names (next_decision_time()): under --mechanism
// tiresias the simulator's jumps above, otherwise the exact instant a running job's service
// reaches its queue limit.
//
// Where this differs from the paper and the authors' simulator:
// - Under other mechanisms with rounds, demotion and promotion are checked when the core asks
//   (every round, arrival, completion), not at the exact instant a job crosses a threshold.
// - Under other mechanisms the index is the paper's formula over the prior; under --mechanism
//   tiresias it is the simulator's table, whose denominator sums the full sizes S of the
//   samples that finish within the quantum rather than S - a (gittins_index.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "sched/policies/gittins_index.h"
#include "sched/policies/queue_order.h"
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
    order_.reset(queues);
    if (!(delta_ > 0)) throw InputError("policy parameter delta must be positive");
    if (starve_factor_ < 0) throw InputError("policy parameter starve_factor must not be negative");
    if (gittins_) {
      const std::string prior = p.get_string(
          "prior", "", "Gittins: CSV of past job sizes, GPU-s, in a 'duration' column (default: Tiresias' YARN sample)");
      prior_ = prior.empty() ? parse_service_samples(tiresias_yarn_prior_csv(), "tiresias-yarn-gput1000.csv")
                             : load_service_samples(prior);
    }
  }
  std::string_view name() const override { return gittins_ ? "tiresias-gittins" : "tiresias-las"; }
  bool preemptive() const override { return true; }
  bool event_driven() const override { return true; }
  double next_decision_time() const override { return next_event_; }

  PolicyOutput schedule(const PolicyInput& in) override {
    // Tiresias' simulator decides only at its events (arrivals, completions, queue jumps);
    // between them it keeps its last decision, with the Gittins ranks of that moment.
    const bool at_events = in.mechanism == "tiresias";
    const bool event_time = in.round_length == 0;
    if (at_events && !is_event(in)) return last_;
    // The simulator's own index table there, the paper's formula otherwise (gittins_index.h).
    if (gittins_ && !index_)
      index_.emplace(prior_, delta_, at_events ? GittinsIndex::Form::SIMULATOR : GittinsIndex::Form::PAPER);

    update_records(in, at_events, event_time && !at_events);

    keys_.clear();
    if (gittins_) {
      // Gittins serves the highest index first, of the service since the job last entered the
      // top queue; ties go to the earlier submission, then to the queue's order.
      for (std::size_t i = 0; i < in.jobs.size(); ++i) {
        const JobView& j = in.jobs[i];
        const Track& t = jobs_[j.id];
        keys_.push_back(Key{t.queue, -index_->at(j.attained_gpu_seconds - t.service_base),
                            j.submit_time, t.seq, i});
      }
      std::sort(keys_.begin(), keys_.end(), [](const Key& a, const Key& b) {
        return std::tie(a.queue, a.neg_index, a.submit, a.seq) < std::tie(b.queue, b.neg_index, b.submit, b.seq);
      });
    } else {
      // LAS serves each queue in its own order (see pending_to_back): one walk of the queues,
      // which also drops the jobs that are no longer active.
      order_.walk([&](JobId id, int queue) {
        const Track& t = jobs_[id];
        if (t.call != calls_) return false;
        keys_.push_back(Key{queue, 0.0, 0.0, t.seq, t.pos});
        return true;
      });
      DLSCHED_EXPECTS(keys_.size() == in.jobs.size(),
                      fmt::format("tiresias-las ranked {} of {} jobs", keys_.size(), in.jobs.size()));
    }
    PolicyOutput out;
    out.ranked.reserve(keys_.size());
    for (const Key& k : keys_) out.ranked.push_back(Request{in.jobs[k.pos].id, in.jobs[k.pos].requested_gpus});
    const bool remembers = at_events || event_time;
    pending_to_back(in, remembers, at_events);
    if (remembers && in.round_length > 0) {
      // In event-driven time every call is an event: the last decision is never reused.
      last_ = out;
      last_ids_.clear();
      for (const JobView& j : in.jobs) last_ids_.push_back(j.id);
    }
    return out;
  }

  /// tiresias-las in event-driven time, where every active job fits at once: whatever the
  /// order of its queues, its walk would rank them all with their requests and every one would
  /// run. Only what schedule() changes in the policy's memory is done here, in the same order:
  /// newcomers join the top queue's back, jobs reaching a limit move down to the back of the
  /// next queue, every record is updated and the next jump is found.
  bool grants_everyone(const PolicyInput& in) override {
    if (gittins_ || in.round_length != 0) return false;
    const bool at_events = in.mechanism == "tiresias";
    int demand = 0;
    for (const JobView& j : in.jobs) {
      demand += j.requested_gpus;
      const bool seen = j.id < jobs_.size() && jobs_[j.id].seen;
      // Only newcomers may wait, and running jobs must hold what they ask for.
      if (seen != j.running || (j.running && j.current_gpus != j.requested_gpus)) return false;
    }
    if (demand > in.cluster->num_gpus()) return false;
    update_records(in, at_events, !at_events);
    next_event_ = std::numeric_limits<double>::infinity();
    for (const JobView& j : in.jobs) {
      const double at = next_jump(in.now, j, jobs_[j.id], true, at_events);
      if (at > in.now) next_event_ = std::min(next_event_, at);
    }
    return true;
  }

  /// Each job's queue, the bases its queue service counts from and its place in the queue;
  /// under --mechanism tiresias also the last decision and when the next event is due.
  std::string save_state() const override {
    PolicyStateWriter w;
    w.put(jobs_.size());
    w.put(next_seq_);
    for (const Track& t : jobs_)
      w.put(t.seen).put(t.queue).put(t.service_base).put(t.run_base).put(t.seq).put(t.waited).put(t.seen_at);
    w.put(next_event_);
    w.put(last_ids_.size());
    for (JobId id : last_ids_) w.put(id);
    w.put(last_.ranked.size());
    for (const Request& r : last_.ranked) w.put(r.job).put(r.gpus);
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
      if (t.queue < 0 || t.queue > static_cast<int>(limits_.size()))
        throw Error(fmt::format("policy {}: saved state names queue {} of {}", name(), t.queue,
                                limits_.size() + 1));
      t.service_base = r.get_double();
      t.run_base = r.get_double();
      t.seq = r.get_int();
      t.waited = r.get_double();
      t.seen_at = r.get_double();
    }
    next_event_ = r.get_double();
    last_ids_.resize(r.get_count(kMaxJobs));
    for (JobId& id : last_ids_) id = static_cast<JobId>(r.get_int());
    last_.ranked.resize(r.get_count(kMaxJobs));
    for (Request& q : last_.ranked) {
      q.job = static_cast<JobId>(r.get_int());
      q.gpus = static_cast<int>(r.get_int());
    }
    r.finish();
    // Each queue's order is its jobs' seq order.
    std::vector<JobId> seen;
    for (JobId id = 0; id < jobs_.size(); ++id)
      if (jobs_[id].seen) seen.push_back(id);
    std::sort(seen.begin(), seen.end(), [&](JobId a, JobId b) {
      return std::tie(jobs_[a].queue, jobs_[a].seq) < std::tie(jobs_[b].queue, jobs_[b].seq);
    });
    order_.reset(static_cast<int>(limits_.size()) + 1);
    for (JobId id : seen) order_.to_back(id, jobs_[id].queue);
  }

 private:
  /// What the policy remembers of a job between calls.
  struct Track {
    bool seen = false;
    int queue = 0;
    double service_base = 0;  // attained GPU-seconds when it last entered the top queue
    double run_base = 0;      // attained seconds when it last entered the top queue
    double waited = 0;        // seconds waited since then, counted once it has run again
    double seen_at = -1;      // when the policy last updated this record (-1: never)
    std::int64_t seq = 0;     // place in its queue: smaller is served first
    std::uint64_t call = 0;   // the last call that saw it active (not saved: per call)
    std::size_t pos = 0;      // its position in that call's input
  };
  struct Key {
    int queue;
    double neg_index;  // minus the Gittins index, so that ascending order serves the highest
    double submit;
    std::int64_t seq;
    std::size_t pos;
  };

  /// A new call's first pass over the jobs, in input order: newcomers join the top queue's
  /// back, and each job's record is brought to now (update_queue()), a job that changes queue
  /// joining its new queue's back.
  void update_records(const PolicyInput& in, bool at_events, bool exact_crossings) {
    ++calls_;
    for (std::size_t i = 0; i < in.jobs.size(); ++i) {
      const JobView& j = in.jobs[i];
      if (j.id >= jobs_.size()) jobs_.resize(j.id + 1);
      Track& t = jobs_[j.id];
      t.call = calls_;
      t.pos = i;
      if (!t.seen) {
        t.seen = true;
        to_back(j.id);
      }
      const int was = t.queue;
      update_queue(in.now, j, t, at_events ? 1 : static_cast<int>(limits_.size()), exact_crossings);
      if (t.queue != was) to_back(j.id);
    }
  }

  /// Moves a job to the back of its queue: a new place (seq) after every job there.
  void to_back(JobId id) {
    Track& t = jobs_[id];
    t.seq = next_seq_++;
    order_.to_back(id, t.queue);
  }

  /// Demotes a job by at most `steps` queues whose limits its queue service has reached, and
  /// promotes a starved one: a job below the top queue whose waits since it entered the top
  /// queue and ran add up to starve_factor x the time it has run since (run_sim.py,
  /// dlas_sim_jobs: last_pending_time against executed_time). A job's state changes only when
  /// the policy is called, so it waited the whole time since the last update if it waits now.
  /// `exact_crossings`: called at the instant next_jump() computed for a crossing, where the
  /// service may fall short of the limit in its last bits.
  void update_queue(double now, const JobView& j, Track& t, int steps, bool exact_crossings) const {
    const double ran = j.attained_seconds - t.run_base;
    if (!j.running && ran > 0 && t.seen_at >= 0) t.waited += now - t.seen_at;
    t.seen_at = now;
    const int last = static_cast<int>(limits_.size());
    const double slack = exact_crossings ? 1e-9 : 0.0;
    for (int s = 0; s < steps && t.queue < last &&
                    j.attained_gpu_seconds - t.service_base >= limits_[t.queue] * (1 - slack);
         ++s)
      ++t.queue;
    if (t.queue == 0 || j.running || starve_factor_ <= 0) return;
    if (ran > 0 && t.waited >= starve_factor_ * ran) {
      t.queue = 0;
      t.service_base = j.attained_gpu_seconds;
      t.run_base = j.attained_seconds;
      t.waited = 0;
    }
  }

  /// After a pass, the jobs of each queue that will wait go to its back in their order, so
  /// that running jobs stay ahead of waiting ones (Tiresias' simulator, run_sim.py). Counted
  /// as the core serves the ranking: by free GPUs, with running jobs kept between rounds.
  /// `next_event`: also finds when the next queue jump or promotion is due (next_jump()), in
  /// the same walk.
  void pending_to_back(const PolicyInput& in, bool next_event, bool reference_jumps) {
    int free = in.cluster->num_gpus();
    if (!in.round_boundary)
      for (const JobView& j : in.jobs)
        if (j.running) free -= j.current_gpus;
    if (next_event) next_event_ = std::numeric_limits<double>::infinity();
    for (const Key& k : keys_) {
      const JobView& j = in.jobs[k.pos];
      const bool runs = !in.round_boundary ? j.running || j.requested_gpus <= free
                                           : j.requested_gpus <= free;
      if (runs && (in.round_boundary || !j.running)) free -= j.requested_gpus;
      if (!runs) to_back(j.id);
      if (next_event) {
        const double at = next_jump(in.now, j, jobs_[j.id], runs, reference_jumps);
        if (at > in.now) next_event_ = std::min(next_event_, at);
      }
    }
  }

  /// Is this call one of the reference's events: a job arrived or finished since the last
  /// decision, or a queue jump is due?
  bool is_event(const PolicyInput& in) const {
    if (in.now >= next_event_ || in.jobs.size() != last_ids_.size()) return true;
    for (std::size_t i = 0; i < in.jobs.size(); ++i)
      if (in.jobs[i].id != last_ids_[i]) return true;
    return false;
  }

  /// When a job's queue may next change with no arrival or completion in between. As Tiresias'
  /// simulator does (run_sim.py, dlas_sim_jobs; `reference_jumps`): for a running job below the
  /// last queue, its queue limit minus the seconds it ran, divided by its GPUs and rounded down,
  /// from now. That mixes GPU-seconds with seconds: a multi-GPU job's jump comes after its
  /// service has crossed the limit (and one that falls short just schedules another), so
  /// demotions come late; events between them (arrivals, completions) demote it as soon as its
  /// service has crossed. Otherwise at the instant its GPU-seconds reach the limit. For a
  /// waiting job that may be promoted, when its waits will add up to starve_factor x its run
  /// (in whole seconds for the simulator, whose clock has no others). Infinity: never.
  double next_jump(double now, const JobView& j, const Track& t, bool runs,
                   bool reference_jumps) const {
    const double ran = j.attained_seconds - t.run_base;
    if (runs && t.queue < static_cast<int>(limits_.size())) {
      const double service = j.attained_gpu_seconds - t.service_base;
      return reference_jumps ? now + std::floor((limits_[t.queue] - ran) / j.requested_gpus)
                             : now + (limits_[t.queue] - service) / j.requested_gpus;
    }
    if (!runs && t.queue > 0 && starve_factor_ > 0 && ran > 0) {
      const double wait = starve_factor_ * ran - t.waited;
      return now + (reference_jumps ? std::ceil(wait) : wait);
    }
    return std::numeric_limits<double>::infinity();
  }

  bool gittins_;
  std::int64_t next_seq_ = 0;
  double starve_factor_;
  double delta_;
  std::vector<double> limits_;  // limits_[i]: service at which a job leaves queue i
  std::vector<Track> jobs_;     // by JobId
  std::vector<double> prior_;           // Gittins: past job sizes, GPU-seconds
  std::optional<GittinsIndex> index_;  // built at the first call, once the mechanism is known
  std::vector<Key> keys_;       // reused buffer
  QueueOrder order_;            // each queue's jobs in seq order (tiresias-las ranks by it)
  std::uint64_t calls_ = 0;
  // --mechanism tiresias: the last decision, the jobs it was made for, the next queue jump.
  PolicyOutput last_;
  std::vector<JobId> last_ids_;
  double next_event_ = 0;
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
                        "Tiresias discretized 2D-Gittins index over a prior of past job sizes, preemptive",
                        TiresiasGittins)

}  // namespace dlsched
