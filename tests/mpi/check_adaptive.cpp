// Checks an emulation of adaptive jobs (--mechanism pollux) against the leases rank 0 sent:
//   emu_check_adaptive EMU.h5 LEASES.log [--grow-shrink JOB_ID] [--compare SIM.h5]
// LEASES.log is what rank 0 wrote with DLSCHED_EMU_LEASE_LOG: one line per lease sent to a
// job's workers, "lease job round time gpu,gpu,... batch atomic accum budget", and one when it
// had reported, "end lease steps".
//  - every job finished with exactly its progress: its /jobs row, the sum of its /progress rows
//    and its closing /adaptive row (no GPUs) agree;
//  - and with exactly its samples: only its last lease used up its budget (the steps that end
//    the job), and every /adaptive row counts the samples of the steps done before it;
//  - each lease ran what /adaptive says the job had at that time: as many GPUs on the same
//    nodes, the same batch size, atomic batch and accumulation steps; and on the GPUs that
//    /allocations gave it; its /progress row counts one report per member;
//  - every /adaptive row with GPUs led to a lease in its round;
//  - --grow-shrink: the job's GPU count rose and fell at least once each while it ran;
//  - --compare: a simulation of the same experiment gave every job the same sequence of
//    allocations and batch sizes (when each came may differ: emulated rounds lose time to
//    control overhead, and leases end at whole steps).
// Prints what it found; exits 1 on any broken property.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "check_expect.h"
#include "io/hdf5_results.h"

namespace {

using namespace dlsched;
using check::close_to;
using check::expect;

struct Lease {
  std::uint64_t id = 0;
  std::uint32_t job = 0;
  std::int64_t round = 0;
  double time = 0;
  std::vector<int> gpus;
  int batch = 0, atomic = 0, accum = 0;
  long budget = 0;
  long steps = -1;  // -1 until its "end" line
};

std::vector<Lease> read_leases(const std::string& path) {
  std::ifstream in(path);
  expect(static_cast<bool>(in), fmt::format("{} readable", path));
  std::vector<Lease> leases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    if (line.rfind("end ", 0) == 0) {
      std::string word;
      std::uint64_t id = 0;
      long steps = -1;
      s >> word >> id >> steps;
      const auto it = std::find_if(leases.begin(), leases.end(),
                                   [&](const Lease& l) { return l.id == id; });
      expect(!s.fail() && it != leases.end() && it->steps < 0,
             fmt::format("end line '{}' ends a lease sent once", line));
      if (it != leases.end()) it->steps = steps;
      continue;
    }
    Lease l;
    std::string gpus;
    s >> l.id >> l.job >> l.round >> l.time >> gpus >> l.batch >> l.atomic >> l.accum >> l.budget;
    expect(!s.fail(), fmt::format("lease line '{}' well formed", line));
    std::istringstream g(gpus);
    for (std::string id; std::getline(g, id, ',');) l.gpus.push_back(std::stoi(id));
    leases.push_back(l);
  }
  return leases;
}

/// The /adaptive row of `job` in force at `time`: its last one written at or before it.
const AdaptiveRecord* row_at(const ResultsFile& r, std::uint32_t job, double time) {
  const AdaptiveRecord* found = nullptr;
  for (const AdaptiveRecord& a : r.adaptive)
    if (a.job == job && a.time <= time) found = &a;
  return found;
}

/// "0:2,3:1" of a set of GPUs, by the nodes /cluster puts them on.
std::string placement_of(const ResultsFile& r, const std::vector<int>& gpus) {
  std::map<int, int> per_node;
  for (int g : gpus) ++per_node[r.cluster.at(g).node];
  std::string s;
  for (const auto& [node, n] : per_node) s += fmt::format("{}{}:{}", s.empty() ? "" : ",", node, n);
  return s;
}

/// The GPUs /allocations says `job` held just after `time` (rows up to and including it).
std::set<int> held_at(const ResultsFile& r, std::uint32_t job, double time) {
  std::set<int> held;
  for (const AllocationRecord& a : r.allocations) {
    if (a.job != job || a.time > time) continue;
    if (a.event == static_cast<std::int8_t>(AllocationEvent::START)) held.insert(a.gpu);
    else held.erase(a.gpu);
  }
  return held;
}

void check_finished_exactly(const ResultsFile& r) {
  expect(!r.jobs.empty(), "some job finished");
  for (const JobRecord& j : r.jobs) {
    expect(j.status == 1, fmt::format("job {} finished", j.job_id));
    expect(close_to(j.iterations_done, j.iterations),
           fmt::format("job {} did {} of its progress {}", j.job_id, j.iterations_done,
                       j.iterations));
    double sum = 0;
    for (const ProgressRecord& p : r.progress)
      if (p.job == j.job) sum += p.iterations;
    expect(close_to(sum, j.iterations),
           fmt::format("job {}'s leases made {} progress, not {}", j.job_id, sum, j.iterations));
    const AdaptiveRecord* last = row_at(r, j.job, j.finish);
    expect(last && last->gpus == 0 && close_to(last->progress, j.iterations) &&
               last->time == j.finish && last->samples > 0,
           fmt::format("job {}'s closing /adaptive row at {} holds no GPUs and all its progress",
                       j.job_id, j.finish));
  }
}

void check_leases(const ResultsFile& r, const std::vector<Lease>& leases) {
  expect(!leases.empty(), "rank 0 sent leases");
  for (const Lease& l : leases) {
    const std::string what = fmt::format("lease {} (job {}, round {})", l.id, l.job, l.round);
    const AdaptiveRecord* a = row_at(r, l.job, l.time);
    expect(a != nullptr, what + " has an /adaptive row in force");
    if (!a) continue;
    expect(a->round == l.round || a->time < l.time,
           what + fmt::format(": row of round {} in force", a->round));
    expect(a->gpus == static_cast<int>(l.gpus.size()),
           what + fmt::format(" ran on {} GPUs, /adaptive says {}", l.gpus.size(), a->gpus));
    expect(a->placement == placement_of(r, l.gpus),
           what + fmt::format(" ran on nodes {}, /adaptive says {}", placement_of(r, l.gpus),
                              a->placement));
    expect(a->batch_size == l.batch && a->atomic_bsz == l.atomic && a->accum_steps == l.accum,
           what + fmt::format(" ran batch {} ({} x {} passes), /adaptive says {} ({} x {})",
                              l.batch, l.atomic, l.accum + 1, a->batch_size, a->atomic_bsz,
                              a->accum_steps + 1));
    expect(l.batch == static_cast<int>(l.gpus.size()) * l.atomic * (l.accum + 1),
           what + " batch = GPUs x atomic batch x passes");
    const std::set<int> held = held_at(r, l.job, l.time);
    expect(held == std::set<int>(l.gpus.begin(), l.gpus.end()),
           what + fmt::format(" ran on GPUs {}, /allocations gave it {}", l.gpus, held));
    int progress_rows = 0;
    for (const ProgressRecord& p : r.progress)
      if (p.job == l.job && p.round == l.round) {
        ++progress_rows;
        expect(p.workers == static_cast<int>(l.gpus.size()),
               what + fmt::format(": {} of its {} members reported", p.workers, l.gpus.size()));
      }
    expect(progress_rows == 1, what + fmt::format(" has {} /progress rows", progress_rows));
  }
  for (const AdaptiveRecord& a : r.adaptive) {
    if (a.gpus == 0) continue;
    bool sent = false;
    for (const Lease& l : leases) sent = sent || (l.job == a.job && l.round == a.round);
    expect(sent, fmt::format("job {}'s allocation {} of round {} was dispatched", a.job,
                             a.placement, a.round));
  }
}

/// Samples are whole steps of whole batches: every /adaptive row counts those of the leases
/// that ended before it, and a job's closing row those of all its leases, the last of which,
/// alone, ran its whole budget.
void check_samples(const ResultsFile& r, const std::vector<Lease>& leases) {
  std::map<std::uint32_t, std::vector<const Lease*>> by_job;
  for (const Lease& l : leases) {
    expect(l.steps >= 0 && l.steps <= l.budget,
           fmt::format("lease {} reported {} steps of a budget of {}", l.id, l.steps, l.budget));
    by_job[l.job].push_back(&l);
  }
  for (const JobRecord& j : r.jobs) {
    const auto& mine = by_job[j.job];
    expect(!mine.empty(), fmt::format("job {} had leases", j.job_id));
    for (std::size_t i = 0; i < mine.size(); ++i) {
      const bool last = i + 1 == mine.size();
      expect((mine[i]->steps == mine[i]->budget) == last,
             fmt::format("job {}'s lease {} ran {} of its {} steps ({} lease)", j.job_id,
                         mine[i]->id, mine[i]->steps, mine[i]->budget, last ? "last" : "not last"));
    }
    for (const AdaptiveRecord& a : r.adaptive) {
      if (a.job != j.job) continue;
      // Leases are sent at decisions: those of earlier rounds have ended by a row's time.
      double samples = 0;
      for (const Lease* l : mine)
        if (l->round < a.round || (a.gpus == 0 && a.time == j.finish))
          samples += static_cast<double>(l->steps) * l->batch;
      expect(a.samples == samples,
             fmt::format("job {}'s /adaptive row of round {} counts {} samples; its leases did {}",
                         j.job_id, a.round, a.samples, samples));
    }
  }
}

void check_grow_shrink(const ResultsFile& r, const std::string& job_id) {
  const JobRecord* job = nullptr;
  for (const JobRecord& j : r.jobs)
    if (j.job_id == job_id) job = &j;
  expect(job != nullptr, fmt::format("job {} in /jobs", job_id));
  if (!job) return;
  std::vector<int> gpus;
  std::vector<int> batches;
  for (const AdaptiveRecord& a : r.adaptive)
    if (a.job == job->job && a.gpus > 0) {
      gpus.push_back(a.gpus);
      batches.push_back(a.batch_size);
    }
  int grew = 0, shrank = 0;
  for (std::size_t i = 1; i < gpus.size(); ++i) {
    grew += gpus[i] > gpus[i - 1];
    shrank += gpus[i] < gpus[i - 1];
  }
  fmt::print("job {}: GPUs {} batch sizes {}\n", job_id, gpus, batches);
  expect(grew >= 1 && shrank >= 1,
         fmt::format("job {} grew {} and shrank {} times (want both)", job_id, grew, shrank));
}

/// A job's allocations and batch sizes in the order it had them: "GPUs@placement/batch=atomic x
/// passes" of each /adaptive row with GPUs.
std::map<std::uint32_t, std::vector<std::string>> configurations(const ResultsFile& r) {
  std::map<std::uint32_t, std::vector<std::string>> out;
  for (const AdaptiveRecord& a : r.adaptive)
    if (a.gpus > 0)
      out[a.job].push_back(fmt::format("{}@{}/{}={}x{}", a.gpus, a.placement, a.batch_size,
                                       a.atomic_bsz, a.accum_steps + 1));
  return out;
}

void check_same_decisions(const ResultsFile& emu, const std::string& sim_path) {
  const ResultsFile sim = read_results(sim_path);
  const auto want = configurations(sim);
  const auto got = configurations(emu);
  expect(!want.empty(), fmt::format("{} has /adaptive rows", sim_path));
  for (const auto& [job, configs] : want) {
    const auto it = got.find(job);
    const std::vector<std::string> none;
    const std::vector<std::string>& emulated = it == got.end() ? none : it->second;
    fmt::print("job {}: simulated {} emulated {}\n", job, configs, emulated);
    expect(emulated == configs, fmt::format("job {} had the allocations and batch sizes of the "
                                            "simulation",
                                            job));
  }
  expect(got.size() == want.size(), "the same jobs were placed in both runs");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: emu_check_adaptive EMU.h5 LEASES.log [--grow-shrink JOB_ID] "
                       "[--compare SIM.h5]\n");
    return 2;
  }
  const ResultsFile r = read_results(argv[1]);
  const std::vector<Lease> leases = read_leases(argv[2]);
  fmt::print("{} jobs, {} /adaptive rows, {} leases, {} /progress rows\n", r.jobs.size(),
             r.adaptive.size(), leases.size(), r.progress.size());
  expect(r.attributes.count("status") && r.attributes.at("status") == "complete",
         "the run completed");
  check_finished_exactly(r);
  check_leases(r, leases);
  check_samples(r, leases);
  for (int i = 3; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--grow-shrink") check_grow_shrink(r, argv[i + 1]);
    else if (std::string(argv[i]) == "--compare") check_same_decisions(r, argv[i + 1]);
  return check::exit_code();
}
