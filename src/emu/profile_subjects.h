// The models `dlsched profile` measures and the experiment whose jobs stand for them, so a
// measurement's work per iteration comes from the same iteration_work() that emulate uses.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/step_model.h"
#include "emu/driver.h"
#include "sched/experiment.h"

namespace dlsched::emu {

/// What to profile: a trace's models and/or models named on the command line.
struct SubjectOptions {
  std::string trace_path;           ///< optional: profile every model this trace names
  std::string trace_format = "auto";
  std::string default_model = "ResNet-50";
  std::vector<std::string> models;  ///< --model names (catalog keys)
  std::string models_path;          ///< catalog; empty: the default one
  std::string cluster;              ///< cluster spec the measurements run on
  StepSettings step;                ///< how a worker's step runs (overlap, buckets)
};

/// One model to measure, and the job whose work stands for it.
struct ProfileSubject {
  std::string model;  ///< key written to the table: the trace's spelling, else the catalog's
  JobId job = 0;      ///< the first job of the model in the trace, or a job made for --model
  int batch = 1;      ///< per-worker batch size of that job
};

/// The experiment a profile runs: the trace's jobs (if any) plus one single-GPU job of the
/// catalog's figures for each --model the trace does not name, prepared by the throughput
/// model (no measured table: the profile measures one).
struct ProfileExperiment {
  std::unique_ptr<Experiment> experiment;
  std::vector<ProfileSubject> subjects;
};

/// Loads catalog, cluster and trace and picks the subjects. An unknown --model is an
/// InputError naming the flag and the catalog; trace problems are the trace reader's and the
/// throughput model's `file:line` errors; no model at all is an InputError.
ProfileExperiment load_profile_experiment(const SubjectOptions& options);

/// One line per subject whose model other jobs of the trace run with different work per
/// iteration (another per-worker batch or, in sleep mode, another speed derived from the
/// trace's durations), naming them: one table row per model cannot describe those jobs.
std::vector<std::string> subject_warnings(const ProfileExperiment& p,
                                          const DriverSettings& settings);

}  // namespace dlsched::emu
