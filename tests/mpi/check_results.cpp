// Checks an emulation's results file: every job ran exactly its iterations, no worker rank
// served two jobs at once, no worker held two job communicators, preempted jobs resumed where
// they stopped, and (optionally) the job order and GPU counts match a simulation of the same
// experiment.
//   emu_check_results EMU.h5 [--expect-preemptions] [--expect-released] [--expect-requeue]
//   [--compare SIM.h5]
//   [--write-throughputs OUT.json]
//   [--interrupted GAP]
//   emu_check_results EMU.h5 --checkpointed
// --expect-released: some job communicator was freed because another rank set needed its ranks.
// --expect-requeue: the run was checkpointed and resumed (allocation event 3, checkpoint
// consumed). --checkpointed: the file is a run stopped with a checkpoint, not yet resumed: the
// checkpoint's progress must match the rows written, every GPU must be free.
// --interrupted GAP: resumed once, at least GAP wall seconds after its checkpoint: the root
// attributes count it, the gap is no experiment time (rounds and leases go on from the
// checkpoint's clock), and the restore delays charged for the requeue are one per requeued job.
// --write-throughputs writes the measured rates as a throughput table (Gavel's JSON layout) that
// `dlsched simulate --throughputs` reads, so a simulation can run on what the emulator measured.
// Prints what it found; exits 1 on the first broken property.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "check_expect.h"
#include "io/hdf5_results.h"
#include "run/run_checkpoint.h"

namespace {

using namespace dlsched;

using check::close_to;
using check::expect;

/// Start events grouped by decision time: each group is the set of (job, GPUs) started then.
std::vector<std::set<std::pair<std::uint32_t, int>>> start_groups(const ResultsFile& r) {
  std::map<std::pair<double, std::uint32_t>, int> gpus;  // (time, job) -> GPUs started
  for (const auto& a : r.allocations)
    if (a.event == 1) ++gpus[{a.time, a.job}];
  std::vector<std::set<std::pair<std::uint32_t, int>>> groups;
  double last = -1;
  for (const auto& [key, count] : gpus) {
    if (groups.empty() || key.first != last) groups.emplace_back();
    groups.back().insert({key.second, count});
    last = key.first;
  }
  return groups;
}

std::string describe(const std::set<std::pair<std::uint32_t, int>>& g) {
  std::string s;
  for (const auto& [job, n] : g) s += fmt::format("{}job {} x{}", s.empty() ? "" : ", ", job, n);
  return "{" + s + "}";
}

/// A count attribute of the run, -1 (and a failure) if missing.
long count_attribute(const ResultsFile& r, const std::string& key) {
  const auto it = r.attributes.find(key);
  expect(it != r.attributes.end(), fmt::format("{} attribute present", key));
  return it == r.attributes.end() ? -1 : std::stol(it->second);
}

/// Workers said how many communicators they held at the end of each lease: never more than
/// one, since a rank set's communicator is freed once another set needs one of its ranks.
void check_communicators(const ResultsFile& r, bool expect_released) {
  const long built = count_attribute(r, "communicators_built");
  const long released = count_attribute(r, "communicators_released");
  const long most = count_attribute(r, "communicators_most_held_by_a_worker");
  const long workers = static_cast<long>(r.cluster.size());
  expect(built >= 1, fmt::format("{} communicators built", built));
  expect(most == 1, fmt::format("a worker held up to {} communicators (expected 1)", most));
  expect(released <= built && built - released <= workers,
         fmt::format("{} built, {} freed: more left than the {} workers can hold", built, released,
                     workers));
  if (expect_released)
    expect(released > 0, "placements changed, so some communicator was freed");
  fmt::print("communicators: {} built, {} reused, {} freed, at most {} per worker\n", built,
             count_attribute(r, "communicators_reused"), released, most);
}

void check_emulation(const ResultsFile& r, bool expect_preemptions, bool expect_released) {
  expect(r.attributes.count("mode") && r.attributes.at("mode") == "emulate",
         "mode attribute is emulate");
  expect(r.attributes.count("status") && r.attributes.at("status") == "complete",
         "status attribute is complete");
  expect(r.attributes.count("backend") > 0, "backend attribute present");
  expect(r.attributes.count("hostnames") > 0, "hostnames attribute present");
  expect(!r.jobs.empty(), "jobs table is not empty");
  expect(!r.cluster.empty(), "cluster table is not empty");

  // Exact iterations: the job row and the sum of its progress rows.
  std::map<std::uint32_t, std::vector<ProgressRecord>> progress;
  for (const auto& p : r.progress) progress[p.job].push_back(p);
  long preemptions = 0;
  for (const JobRecord& j : r.jobs) {
    expect(j.status == 1, fmt::format("job {} finished", j.job_id));
    expect(
        j.iterations_done == j.iterations,
        fmt::format("job {} did {} of {} iterations", j.job_id, j.iterations_done, j.iterations));
    auto& rows = progress[j.job];
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.start < b.start; });
    double sum = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      sum += rows[i].iterations;
      expect(rows[i].iterations >= 0 && rows[i].seconds >= 0 && rows[i].compute_seconds >= 0 &&
                 rows[i].comm_seconds >= 0,
             fmt::format("job {} progress row {} has non-negative figures", j.job_id, i));
      if (i > 0)
        expect(rows[i].start >= rows[i - 1].end - 1e-9,
               fmt::format("job {} progress rows {} and {} overlap in time", j.job_id, i - 1, i));
    }
    // Resumed where it stopped: no iteration lost or repeated across preemptions.
    expect(close_to(sum, j.iterations),
           fmt::format("job {}: progress rows add up to {} iterations, trace asks {}", j.job_id,
                       sum, j.iterations));
    preemptions += j.preemptions;
  }
  if (expect_preemptions) expect(preemptions > 0, "the run preempted at least one job");

  // Policy preemptions are the stops with event 0, one instant each; a checkpoint's requeue
  // (event 3) is not one of them.
  std::map<std::uint32_t, std::set<double>> stops;
  for (const auto& a : r.allocations)
    if (a.event == 0) stops[a.job].insert(a.time);
  for (const JobRecord& j : r.jobs)
    expect(static_cast<std::size_t>(j.preemptions) == stops[j.job].size(),
           fmt::format("job {}: {} preemptions but {} stops in /allocations", j.job_id,
                       j.preemptions, stops[j.job].size()));

  // One job per worker rank at a time, replayed from /allocations in the order the driver
  // wrote them (time order; within an instant, the order decisions were carried out).
  std::vector<AllocationRecord> events = r.allocations;
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  std::map<int, long> owner;
  for (const auto& e : events) {
    const auto it = owner.find(e.gpu);
    if (e.event == 1) {
      expect(it == owner.end(),
             fmt::format("t={}: GPU {} given to job {} while job {} holds it", e.time, e.gpu, e.job,
                         it == owner.end() ? -1 : it->second));
      owner[e.gpu] = e.job;
    } else {
      expect(it != owner.end() && it->second == static_cast<long>(e.job),
             fmt::format("t={}: job {} released GPU {} it did not hold", e.time, e.job, e.gpu));
      if (it != owner.end()) owner.erase(it);
    }
  }
  expect(owner.empty(), "every GPU is free at the end");
  check_communicators(r, expect_released);
  double overhead = 0;
  for (const auto& round : r.rounds) overhead = std::max(overhead, round.control_overhead);
  fmt::print(
      "{} jobs, {} progress rows, {} allocation rows, {} rounds, {} preemptions, max control "
      "overhead {:.4f} s\n",
      r.jobs.size(), r.progress.size(), r.allocations.size(), r.rounds.size(), preemptions,
      overhead);
}

/// Replays /allocations; returns how many GPUs are still held at the end.
std::size_t held_at_end(const ResultsFile& r) {
  std::vector<AllocationRecord> events = r.allocations;
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.time < b.time; });
  std::map<int, long> owner;
  for (const auto& e : events) {
    if (e.event == 1) {
      expect(!owner.count(e.gpu), fmt::format("t={}: GPU {} given twice", e.time, e.gpu));
      owner[e.gpu] = e.job;
    } else {
      owner.erase(e.gpu);
    }
  }
  return owner.size();
}

/// A run stopped with a checkpoint: what the checkpoint says each job did must be exactly what
/// the rows written before it add up to, and the checkpoint stopped every job.
void check_checkpointed(const ResultsFile& r, const std::string& path) {
  expect(r.attributes.count("status") && r.attributes.at("status") == "checkpointed",
         "status attribute is checkpointed");
  expect(r.checkpoint == "pending", "the checkpoint is pending");
  const RunCheckpoint c = read_checkpoint(path);
  std::map<std::uint32_t, double> done;
  for (const auto& p : r.progress) {
    done[p.job] += p.iterations;
    expect(p.end <= c.clock + 1e-9, fmt::format("progress row of job {} ends at {}, after the "
                                                "checkpoint at {}", p.job, p.end, c.clock));
  }
  std::size_t finished = 0, requeued = 0;
  for (std::uint32_t j = 0; j < c.jobs.size(); ++j) {
    const JobState& s = c.scheduler.jobs[j];
    expect(s.status != JobState::Status::RUNNING, fmt::format("job {} is not running", j));
    expect(close_to(done[j], c.jobs[j].iterations_done),
           fmt::format("job {}: rows add up to {} iterations, the checkpoint says {}", j, done[j],
                       c.jobs[j].iterations_done));
    expect(close_to(s.progress_iterations, c.jobs[j].iterations_done),
           fmt::format("job {}: core progress {} != driver progress {}", j,
                       s.progress_iterations, c.jobs[j].iterations_done));
    finished += s.status == JobState::Status::DONE;
    requeued += static_cast<std::size_t>(s.requeues);
  }
  std::size_t finished_rows = 0;
  for (const auto& j : r.jobs) finished_rows += j.status == 1;
  expect(finished_rows == finished,
         fmt::format("{} finished job rows, {} finished jobs in the checkpoint", finished_rows,
                     finished));
  std::size_t requeue_rows = 0;
  for (const auto& a : r.allocations) requeue_rows += a.event == 3 && a.time == c.clock;
  expect(requeued > 0 && requeue_rows > 0, "the checkpoint stopped running jobs (event 3)");
  expect(held_at_end(r) == 0, "every GPU is free at the checkpoint");
  expect(r.rounds.size() == static_cast<std::size_t>(c.rounds),
         fmt::format("{} round rows, checkpoint at round {}", r.rounds.size(), c.rounds));
  fmt::print("checkpoint at t={} ({}), round {}: {} of {} jobs finished, {} requeued, {} "
             "progress rows\n",
             c.clock, c.signal, c.rounds, finished, c.jobs.size(), requeued, r.progress.size());
}

/// A run that was checkpointed and resumed: its checkpoint is consumed and its jobs were
/// requeued (event 3) and started again after it.
void check_requeued(const ResultsFile& r) {
  expect(r.checkpoint == "consumed", "the checkpoint is marked consumed");
  double requeue_time = -1;
  std::set<std::uint32_t> requeued;
  for (const auto& a : r.allocations)
    if (a.event == 3) requeue_time = a.time, requeued.insert(a.job);
  expect(!requeued.empty(), "jobs were requeued by the checkpoint (event 3)");
  for (std::uint32_t job : requeued) {
    bool restarted = false;
    for (const auto& a : r.allocations)
      restarted = restarted || (a.job == job && a.event == 1 && a.time >= requeue_time);
    expect(restarted, fmt::format("requeued job {} started again after the checkpoint", job));
  }
}

/// A run resumed once, `gap` wall seconds or more after its checkpoint (the time between the
/// two launches, measured by the caller).
void check_interruption(const ResultsFile& r, double gap) {
  auto attribute = [&](const char* key) {
    expect(r.attributes.count(key) > 0, fmt::format("root attribute {} is present", key));
    return r.attributes.count(key) ? std::stod(r.attributes.at(key)) : -1.0;
  };
  expect(attribute("interruptions") == 1, "interruptions = 1");
  const double stopped = attribute("interrupted_wall_seconds");
  expect(stopped >= gap, fmt::format("interrupted_wall_seconds = {} covers the {} s between the "
                                     "launches",
                                     stopped, gap));
  double requeue_time = -1;
  std::set<std::uint32_t> requeued;
  for (const auto& a : r.allocations)
    if (a.event == 3) requeue_time = a.time, requeued.insert(a.job);
  // The gap is not experiment time: after the checkpoint rounds tick every round length while
  // jobs wait, and the first leases are sent at once. Were the gap counted, both would jump by
  // it (and every later JCT with them). (Before the checkpoint a round may be long: a failed
  // worker holds the boundary until the lease timeout.)
  double next_round = 1e300;
  for (const auto& round : r.rounds)
    if (round.time > requeue_time) next_round = std::min(next_round, round.time);
  expect(next_round == 1e300 || next_round < requeue_time + gap / 2,
         fmt::format("the first round after the checkpoint at t={} is at t={}; the {} s between "
                     "launches is not experiment time",
                     requeue_time, next_round, gap));
  double first_after = 1e300;
  for (const auto& p : r.progress)
    if (p.start >= requeue_time) first_after = std::min(first_after, p.start);
  expect(first_after < requeue_time + gap / 2,
         fmt::format("the first lease after the checkpoint at t={} starts at t={}", requeue_time,
                     first_after));
  // Each requeued job restarts once, paying the restore delay a restart pays in the simulator.
  if (r.attributes.count("per_model_restore") && r.attributes.at("per_model_restore") == "false") {
    const double delay = attribute("restore_delay") * attribute("time_scale");
    const double charged = attribute("requeue_restore_seconds");
    expect(close_to(charged, delay * static_cast<double>(requeued.size())),
           fmt::format("requeue_restore_seconds = {}: {} requeued jobs x {} s restore delay",
                       charged, requeued.size(), delay));
  }
  fmt::print("interruption: {} s stopped, not experiment time; {} jobs requeued at t={}, next "
             "lease at t={}\n",
             stopped, requeued.size(), requeue_time, first_after);
}

void compare_with_simulation(const ResultsFile& emu, const ResultsFile& sim) {
  const auto e = start_groups(emu), s = start_groups(sim);
  expect(e.size() == s.size(),
         fmt::format("{} emulated start decisions, {} simulated", e.size(), s.size()));
  for (std::size_t i = 0; i < std::min(e.size(), s.size()); ++i)
    expect(e[i] == s[i], fmt::format("start decision {}: emulated {}, simulated {}", i,
                                     describe(e[i]), describe(s[i])));
  std::map<std::uint32_t, double> sim_jct;
  for (const auto& j : sim.jobs) sim_jct[j.job] = j.jct;
  double worst = 0;
  for (const auto& j : emu.jobs)
    worst = std::max(worst, std::abs(j.jct - sim_jct[j.job]) / std::max(1e-9, sim_jct[j.job]));
  fmt::print("{} start decisions match the simulation; largest JCT difference {:.1f}%\n", e.size(),
             100 * worst);
}

/// Measured iterations per second per (GPU type, placement, model, workers), pooled over
/// the jobs and leases that ran so, in Gavel's throughput JSON layout.
void write_throughputs(const ResultsFile& r, const std::string& path) {
  std::map<int, std::string> type_of_gpu;
  for (const auto& g : r.cluster) type_of_gpu[g.gpu] = g.type;
  std::map<std::uint32_t, std::string> model_of;
  for (const auto& j : r.jobs) model_of[j.job] = j.model;
  // Each job's placements, in start order: (time, type, consolidated).
  struct Start {
    double time;
    std::string key;
  };
  std::map<std::uint32_t, std::vector<Start>> starts;
  std::map<std::pair<double, std::uint32_t>, std::pair<std::set<int>, std::string>> groups;
  for (const auto& a : r.allocations)
    if (a.event == 1) {
      auto& g = groups[{a.time, a.job}];
      g.first.insert(a.node);
      g.second = type_of_gpu[a.gpu];
    }
  for (const auto& [key, g] : groups)
    starts[key.second].push_back(
        {key.first, g.second + (g.first.size() > 1 ? "_unconsolidated" : "")});
  std::map<std::string, std::map<std::string, std::pair<double, double>>>
      sums;  // worker -> job key -> (iters, s)
  for (const auto& p : r.progress) {
    const auto& s = starts[p.job];
    const Start* placed = nullptr;
    for (const auto& st : s)
      if (st.time <= p.start + 1e-9) placed = &st;
    if (!placed || p.seconds <= 0) continue;
    auto& cell = sums[placed->key][fmt::format("('{}', {})", model_of[p.job], p.workers)];
    cell.first += p.iterations;
    cell.second += p.seconds;
  }
  std::ofstream out(path);
  out << "{\n";
  std::size_t w = 0;
  for (const auto& [worker, jobs] : sums) {
    out << fmt::format("  \"{}\": {{\n", worker);
    std::size_t j = 0;
    for (const auto& [key, cell] : jobs)
      out << fmt::format("    \"{}\": {{\"null\": {}}}{}\n", key, cell.first / cell.second,
                         ++j < jobs.size() ? "," : "");
    out << (++w < sums.size() ? "  },\n" : "  }\n");
  }
  out << "}\n";
  fmt::print("wrote measured throughputs of {} placements to {}\n", sums.size(), path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr,
               "usage: {} EMU.h5 [--expect-preemptions] [--expect-released] [--compare SIM.h5]\n",
               argv[0]);
    return 2;
  }
  bool expect_preemptions = false, expect_released = false, expect_requeue = false,
       checkpointed = false;
  std::string sim_path, throughputs_path;
  double interrupted_gap = -1;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--expect-preemptions")
      expect_preemptions = true;
    else if (a == "--expect-released")
      expect_released = true;
    else if (a == "--expect-requeue")
      expect_requeue = true;
    else if (a == "--checkpointed")
      checkpointed = true;
    else if (a == "--interrupted" && i + 1 < argc)
      interrupted_gap = std::stod(argv[++i]);
    else if (a == "--compare" && i + 1 < argc)
      sim_path = argv[++i];
    else if (a == "--write-throughputs" && i + 1 < argc)
      throughputs_path = argv[++i];
    else {
      fmt::print(stderr, "unknown argument {}\n", a);
      return 2;
    }
  }
  try {
    const ResultsFile emu = read_results(argv[1]);
    if (checkpointed) {
      check_checkpointed(emu, argv[1]);
      return check::exit_code();
    }
    check_emulation(emu, expect_preemptions, expect_released);
    if (expect_requeue) check_requeued(emu);
    if (interrupted_gap >= 0) check_interruption(emu, interrupted_gap);
    if (!throughputs_path.empty()) write_throughputs(emu, throughputs_path);
    if (!sim_path.empty()) compare_with_simulation(emu, read_results(sim_path));
  } catch (const std::exception& e) {
    fmt::print(stderr, "FAIL: {}\n", e.what());
    return 1;
  }
  return check::exit_code();
}
