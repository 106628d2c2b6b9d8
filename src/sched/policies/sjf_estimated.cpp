// Shortest job first with estimated, not oracle, durations: "sjf-est" (non-preemptive) and
// "srtf-est" (shortest estimated remaining time, preemptive at round boundaries). They stand
// for what a cluster can do from its own history when users give no run times, the setting
// Tiresias argues from (Gu et al., NSDI 2019, section 2.2: training times are unpredictable);
// compare them with the oracle "srtf".
//
// A job's estimate is the mean isolated run time of the jobs already finished with the same
// model and GPU count; failing that, with the same model; failing that, of all finished jobs.
// Until a job finishes there is no history and jobs run in arrival order. A job has finished
// when it disappears from the active jobs the core shows the policy; its isolated time is
// remembered from when it was active. Estimated remaining time = estimate - seconds attained,
// floored at 1 ms, so a job that outlives its estimate ranks as almost done (ties by arrival).
#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sched/policy_registry.h"
#include "sched/policy_state.h"

namespace dlsched {
namespace {

/// Learns run times from finished jobs and estimates those of active ones.
class DurationEstimator {
 public:
  /// Records the jobs that finished since the previous call.
  void observe(const PolicyInput& in) {
    ++call_;
    for (const JobView& j : in.jobs) {
      if (j.id >= jobs_.size()) jobs_.resize(j.id + 1);
      Known& k = jobs_[j.id];
      if (k.model < 0) {
        k.model = model_index(j.spec != nullptr ? j.spec->model : std::string());
        k.gpus = j.requested_gpus;
        k.isolated = j.isolated_time;
      }
      k.last_call = call_;
    }
    for (JobId id : previous_) {
      const Known& k = jobs_[id];
      if (k.last_call == call_) continue;
      by_model_gpus_[{k.model, k.gpus}].add(k.isolated);
      by_model_[k.model].add(k.isolated);
      all_.add(k.isolated);
      ++version_;
    }
    previous_.clear();
    for (const JobView& j : in.jobs) previous_.push_back(j.id);
  }

  /// Everything learned so far. Cached estimates are left out: they are recomputed from the
  /// same means on demand.
  void save(PolicyStateWriter& w) const {
    w.put(call_).put(version_).put(jobs_.size());
    for (const Known& k : jobs_) w.put(k.model).put(k.gpus).put(k.isolated).put(k.last_call);
    w.put(previous_.size());
    for (JobId id : previous_) w.put(static_cast<std::int64_t>(id));
    std::vector<const std::string*> names(model_ids_.size());
    for (const auto& [name, id] : model_ids_) names[id] = &name;
    w.put(names.size());
    for (const std::string* name : names) w.put_text(*name);
    w.put(by_model_gpus_.size());
    for (const auto& [key, m] : by_model_gpus_) w.put(key.first).put(key.second).put(m.sum).put(m.count);
    w.put(by_model_.size());
    for (const auto& [key, m] : by_model_) w.put(key).put(m.sum).put(m.count);
    w.put(all_.sum).put(all_.count);
  }
  void restore(PolicyStateReader& r) {
    constexpr std::size_t kMax = std::size_t{1} << 32;
    call_ = static_cast<long>(r.get_int());
    version_ = static_cast<long>(r.get_int());
    jobs_.resize(r.get_count(kMax));
    for (Known& k : jobs_) {
      k.model = static_cast<int>(r.get_int());
      k.gpus = static_cast<int>(r.get_int());
      k.isolated = r.get_double();
      k.last_call = static_cast<long>(r.get_int());
      k.estimate_version = -1;
    }
    previous_.resize(r.get_count(kMax));
    for (JobId& id : previous_) id = static_cast<JobId>(r.get_count(kMax));
    model_ids_.clear();
    const std::size_t models = r.get_count(kMax);
    for (std::size_t i = 0; i < models; ++i) model_ids_.emplace(r.get_text(), static_cast<int>(i));
    by_model_gpus_.clear();
    for (std::size_t n = r.get_count(kMax); n > 0; --n) {
      const int model = static_cast<int>(r.get_int());
      const int gpus = static_cast<int>(r.get_int());
      Mean& m = by_model_gpus_[{model, gpus}];
      m.sum = r.get_double();
      m.count = static_cast<long>(r.get_int());
    }
    by_model_.clear();
    for (std::size_t n = r.get_count(kMax); n > 0; --n) {
      Mean& m = by_model_[static_cast<int>(r.get_int())];
      m.sum = r.get_double();
      m.count = static_cast<long>(r.get_int());
    }
    all_.sum = r.get_double();
    all_.count = static_cast<long>(r.get_int());
  }

  /// True once some job has finished: from then on every job has an estimate.
  bool has_history() const { return all_.count > 0; }

  /// Estimated isolated run time of an active job; call has_history() first.
  double estimate(const JobView& j) {
    Known& k = jobs_[j.id];
    if (k.estimate_version == version_) return k.estimate;
    k.estimate_version = version_;
    if (auto it = by_model_gpus_.find({k.model, k.gpus}); it != by_model_gpus_.end())
      k.estimate = it->second.mean();
    else if (auto m = by_model_.find(k.model); m != by_model_.end())
      k.estimate = m->second.mean();
    else
      k.estimate = all_.mean();
    return k.estimate;
  }

 private:
  struct Mean {
    double sum = 0;
    long count = 0;
    void add(double v) {
      sum += v;
      ++count;
    }
    double mean() const { return sum / static_cast<double>(count); }
  };
  /// What is remembered of a job once seen.
  struct Known {
    int model = -1;  // index into model_ids_, -1 until seen
    int gpus = 1;
    double isolated = 0;
    long last_call = 0;             // the last call that listed it active
    long estimate_version = -1;     // history version its cached estimate is from
    double estimate = 0;
  };

  int model_index(const std::string& model) {
    auto [it, added] = model_ids_.emplace(model, static_cast<int>(model_ids_.size()));
    return it->second;
  }

  std::vector<Known> jobs_;  // by JobId
  std::vector<JobId> previous_;
  std::unordered_map<std::string, int> model_ids_;
  std::map<std::pair<int, int>, Mean> by_model_gpus_;
  std::map<int, Mean> by_model_;
  Mean all_;
  long call_ = 0;
  long version_ = 0;  // bumped whenever a finished job is learned
};

class EstimatedSjfPolicy : public Policy {
 public:
  EstimatedSjfPolicy(const PolicyParams&, bool preemptive) : preemptive_(preemptive) {}
  std::string_view name() const override { return preemptive_ ? "srtf-est" : "sjf-est"; }
  bool preemptive() const override { return preemptive_; }

  PolicyOutput schedule(const PolicyInput& in) override {
    estimator_.observe(in);
    keys_.resize(in.jobs.size());
    for (std::size_t i = 0; i < in.jobs.size(); ++i) {
      const JobView& j = in.jobs[i];
      double key = 0;  // no history: all equal, so arrival order
      if (estimator_.has_history()) {
        key = estimator_.estimate(j);
        if (preemptive_) key = std::max(key - j.attained_seconds, kMinRemaining);
      }
      keys_[i] = {key, i};
    }
    // Views come in arrival order, so the stable sort gives ties to the earlier arrival.
    std::stable_sort(keys_.begin(), keys_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    PolicyOutput out;
    out.ranked.reserve(keys_.size());
    for (const auto& [key, i] : keys_) out.ranked.push_back(Request{in.jobs[i].id, in.jobs[i].requested_gpus});
    return out;
  }

  std::string save_state() const override {
    PolicyStateWriter w;
    estimator_.save(w);
    return w.str();
  }
  void restore_state(std::string_view state) override {
    PolicyStateReader r(name(), state);
    estimator_.restore(r);
    r.finish();
  }

 private:
  static constexpr double kMinRemaining = 1e-3;  // seconds
  bool preemptive_;
  DurationEstimator estimator_;
  std::vector<std::pair<double, std::size_t>> keys_;  // reused buffer
};

struct EstimatedSjf : EstimatedSjfPolicy {
  explicit EstimatedSjf(const PolicyParams& p) : EstimatedSjfPolicy(p, false) {}
};
struct EstimatedSrtf : EstimatedSjfPolicy {
  explicit EstimatedSrtf(const PolicyParams& p) : EstimatedSjfPolicy(p, true) {}
};

}  // namespace

DLSCHED_REGISTER_POLICY("sjf-est",
                        "shortest job first on run times learned from finished jobs, non-preemptive",
                        EstimatedSjf)
DLSCHED_REGISTER_POLICY("srtf-est",
                        "shortest estimated remaining time (learned from finished jobs), preemptive",
                        EstimatedSrtf)

}  // namespace dlsched
