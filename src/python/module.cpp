// The _dlsched extension module: the policy interface's types and one simulate() entry point.
// The pandas-facing API lives in python/dlsched/ (pure Python over this module).
#include <optional>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/output_file.h"
#include "io/hdf5_results.h"
#include "python/python_policy.h"
#include "run/cluster_records.h"
#include "sched/policy_registry.h"
#include "sim/simulator.h"

namespace py = pybind11;
using namespace dlsched;

namespace {

struct NoRows : RecordSink {
  void job(const JobRecord&) override {}
  void allocation(const AllocationRecord&) override {}
  void progress(const ProgressRecord&) override {}
  void round(const RoundRecord&) override {}
};

/// The dlsched.Policy instance of the run in progress (borrowed: run_simulation holds it).
PyObject* current_instance = nullptr;

/// "python:FILE.py:ClassName" loads FILE and makes ClassName(**params); "python:ClassName" is
/// the instance handed to dlsched.simulate().
std::unique_ptr<Policy> make_python_policy(const std::string& argument, const PolicyParams& params) {
  const auto colon = argument.rfind(':');
  if (colon == std::string::npos) {
    if (!current_instance) throw InputError("python policy " + argument + ": no instance given");
    return std::make_unique<PythonPolicy>(py::reinterpret_borrow<py::object>(current_instance));
  }
  return load_python_policy(argument.substr(0, colon), argument.substr(colon + 1), params);
}

/// Runs one simulation; `policy` is a built-in's name or a dlsched.Policy instance. The results
/// go to a temporary file next to `out`, renamed over it only once the run succeeded.
py::dict run_simulation(const std::string& trace, const std::string& cluster,
                        py::object policy, const std::string& mechanism,
                        const std::string& throughputs, const std::string& out,
                        const std::map<std::string, std::string>& params) {
  ExperimentOptions o;
  o.trace_path = trace;
  o.cluster = cluster;
  o.mechanism = mechanism;
  o.throughputs_path = throughputs;
  for (const auto& [k, v] : params) o.policy_params.set(k + "=" + v);
  struct Current {  // the instance is reachable by name only during this run
    explicit Current(PyObject* p) { current_instance = p; }
    ~Current() { current_instance = nullptr; }
  } current(py::isinstance<py::str>(policy) ? nullptr : policy.ptr());
  o.policy = py::isinstance<py::str>(policy)
                 ? policy.cast<std::string>()
                 : "python:" + std::string(py::str(policy.attr("__class__").attr("__name__")));
  std::unique_ptr<Experiment> ex = load_experiment(o);
  std::unique_ptr<Policy> made = make_policy(o.policy, o.policy_params);
  if (!out.empty()) refuse_output_over_inputs(out, o.input_files());
  // Declared before the writer: the file is closed before an unfinished one is removed.
  std::optional<StagedFile> staged;
  std::unique_ptr<Hdf5ResultsWriter> writer;
  NoRows none;
  if (!out.empty()) {
    staged.emplace(out);
    writer = std::make_unique<Hdf5ResultsWriter>(staged->path(), ex->attributes("simulate"), 1.0);
    writer->cluster(cluster_records(ex->cluster));
  }
  SimulationOptions options;
  options.progress_bar = false;
  const RunSummary s = simulate(*ex, *made, writer ? static_cast<RecordSink&>(*writer) : none, options);
  if (writer) {
    writer->close();
    staged->commit();
  }
  py::dict d;
  d["jobs"] = s.jobs;
  d["finished"] = s.finished;
  d["avg_jct"] = s.avg_jct;
  d["p50_jct"] = s.p50_jct;
  d["p99_jct"] = s.p99_jct;
  d["makespan"] = s.makespan;
  d["utilisation"] = s.utilisation;
  d["preemptions"] = s.preemptions;
  d["rounds"] = s.rounds;
  d["policy_calls"] = s.policy_calls;
  return d;
}

}  // namespace

PYBIND11_MODULE(_dlsched, m) {
  m.doc() = "dlsched core: simulate with built-in or Python policies";
  // Registered base first: pybind11 tries the last registered translator first.
  auto& error = py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<InputError>(m, "InputError", error.ptr());

  py::class_<JobView>(m, "JobView")
      .def_readonly("id", &JobView::id)
      .def_property_readonly("name", [](const JobView& j) { return j.spec ? j.spec->id : ""; })
      .def_property_readonly("model", [](const JobView& j) { return j.spec ? j.spec->model : ""; })
      .def_property_readonly("user", [](const JobView& j) { return j.spec ? j.spec->user : ""; })
      .def_property_readonly("priority",
                             [](const JobView& j) { return j.spec ? j.spec->priority : 1.0; })
      .def_readonly("submit_time", &JobView::submit_time)
      .def_readonly("requested_gpus", &JobView::requested_gpus)
      .def_readonly("iterations_total", &JobView::iterations_total)
      .def_readonly("iterations_done", &JobView::iterations_done)
      .def_readonly("attained_gpu_seconds", &JobView::attained_gpu_seconds)
      .def_readonly("attained_seconds", &JobView::attained_seconds)
      .def_readonly("isolated_time", &JobView::isolated_time)
      .def_readonly("remaining_time", &JobView::remaining_time)
      .def_readonly("running", &JobView::running)
      .def_readonly("restoring", &JobView::restoring)
      .def_readonly("current_gpus", &JobView::current_gpus)
      .def_readonly("current_type", &JobView::current_type)
      .def_readonly("preemptions", &JobView::preemptions)
      .def_readonly("last_start", &JobView::last_start)
      .def_readonly("last_stop", &JobView::last_stop)
      .def_readonly("queued_since", &JobView::queued_since)
      .def_readonly("rounds_scheduled", &JobView::rounds_scheduled)
      .def_readonly("packed_with", &JobView::packed_with)
      .def_readonly("rate", &JobView::rate)
      .def_readonly("nodes", &JobView::nodes);

  py::class_<Request>(m, "Request")
      .def(py::init([](JobId job, int gpus, int gpu_type, long pack_with, bool consolidate) {
             return Request{job, gpus, gpu_type, pack_with, consolidate};
           }),
           py::arg("job"), py::arg("gpus") = 1, py::arg("gpu_type") = ANY_GPU_TYPE,
           py::arg("pack_with") = -1, py::arg("consolidate") = false)
      .def_readwrite("job", &Request::job)
      .def_readwrite("gpus", &Request::gpus)
      .def_readwrite("gpu_type", &Request::gpu_type)
      .def_readwrite("pack_with", &Request::pack_with)
      .def_readwrite("consolidate", &Request::consolidate)
      .def("__repr__", [](const Request& r) {
        return "Request(job=" + std::to_string(r.job) + ", gpus=" + std::to_string(r.gpus) + ")";
      });

  py::class_<PolicyOutput>(m, "Decision")
      .def(py::init([](std::vector<Request> ranked, bool backfill) {
             return PolicyOutput{std::move(ranked), backfill};
           }),
           py::arg("ranked"), py::arg("backfill") = true)
      .def_readwrite("ranked", &PolicyOutput::ranked)
      .def_readwrite("backfill", &PolicyOutput::backfill);

  py::class_<PolicyInput>(m, "PolicyInput")
      .def_readonly("now", &PolicyInput::now)
      .def_readonly("round_boundary", &PolicyInput::round_boundary)
      // Views of the core's rows, not copies: valid during the schedule() call only.
      .def_property_readonly("jobs",
                             [](const PolicyInput& in) {
                               py::list jobs(in.jobs.size());
                               for (std::size_t i = 0; i < in.jobs.size(); ++i)
                                 jobs[i] = py::cast(&in.jobs[i], py::return_value_policy::reference);
                               return jobs;
                             })
      .def_property_readonly("num_gpus", [](const PolicyInput& in) { return in.cluster->num_gpus(); })
      .def_property_readonly("gpu_types",
                             [](const PolicyInput& in) { return in.cluster->gpu_types(); })
      .def_readonly("round_length", &PolicyInput::round_length)
      .def_readonly("packing_allowed", &PolicyInput::packing_allowed)
      .def_readonly("seed", &PolicyInput::seed)
      .def_readonly("decides_only_at_rounds", &PolicyInput::decides_only_at_rounds)
      .def_property_readonly("mechanism",
                             [](const PolicyInput& in) { return std::string(in.mechanism); });

  register_policy_scheme("python", make_python_policy);
  m.def("run_simulation", &run_simulation, py::arg("trace"), py::arg("cluster"),
        py::arg("policy"), py::arg("mechanism"), py::arg("throughputs"), py::arg("out"),
        py::arg("params"));
  m.def("policies", [] {
    std::vector<std::string> names;
    for (const PolicyInfo& p : registered_policies()) names.push_back(p.name);
    return names;
  });
}
