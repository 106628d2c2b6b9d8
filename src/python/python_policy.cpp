#include "python/python_policy.h"

#include <fmt/format.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <limits>
#include <span>
#include <vector>

#include "core/error.h"

namespace py = pybind11;

namespace dlsched {

PythonPolicy::PythonPolicy(py::object object) : object_(std::move(object)) {
  name_ = py::str(object_.attr("__class__").attr("__name__"));
  if (py::hasattr(object_, "preemptive")) preemptive_ = object_.attr("preemptive").cast<bool>();
}

void PythonPolicy::fail(const PolicyInput& input, const std::string& what) const {
  throw InputError(fmt::format("python policy {}: round {} (call {}, t={:.1f} s): {}", name_,
                               rounds_, calls_, input.now, what));
}

Request PythonPolicy::to_request(const PolicyInput& input, py::handle item) const {
  // (job, gpus) and (job, gpus, gpu_type) tuples: the cheap form of Request, read directly.
  if (PyTuple_Check(item.ptr())) {
    const Py_ssize_t n = PyTuple_GET_SIZE(item.ptr());
    bool ints = n == 2 || n == 3;
    for (Py_ssize_t i = 0; ints && i < n; ++i) ints = PyLong_Check(PyTuple_GET_ITEM(item.ptr(), i));
    if (!ints) fail(input, "a tuple answer must be (job, gpus) or (job, gpus, gpu_type) integers");
    const long job = PyLong_AsLong(PyTuple_GET_ITEM(item.ptr(), 0));
    const long gpus = PyLong_AsLong(PyTuple_GET_ITEM(item.ptr(), 1));
    const long type = n == 3 ? PyLong_AsLong(PyTuple_GET_ITEM(item.ptr(), 2)) : ANY_GPU_TYPE;
    if (PyErr_Occurred()) {
      PyErr_Clear();
      fail(input, "a tuple answer holds an integer out of range");
    }
    if (job < 0 || job > static_cast<long>(std::numeric_limits<JobId>::max()))
      fail(input, fmt::format("job {} is not an active job", job));
    if (gpus < INT_MIN || gpus > INT_MAX || type < INT_MIN || type > INT_MAX)
      fail(input, fmt::format("job {}: GPU count or type out of range", job));
    return Request{static_cast<JobId>(job), static_cast<int>(gpus), static_cast<int>(type)};
  }
  if (!py::isinstance<Request>(item))
    fail(input, fmt::format("schedule() must return dlsched.Request items or (job, gpus) "
                            "tuples, got {}",
                            std::string(py::str(item.get_type().attr("__name__")))));
  return item.cast<Request>();
}

PolicyOutput PythonPolicy::schedule(const PolicyInput& input) {
  ++calls_;
  if (input.round_boundary) ++rounds_;
  py::object answer;
  try {
    answer = object_.attr("schedule")(py::cast(input, py::return_value_policy::reference));
  } catch (py::error_already_set& e) {
    fail(input, fmt::format("schedule() raised {}", e.what()));
  }
  PolicyOutput out;
  py::object items = answer;
  if (py::isinstance<PolicyOutput>(answer)) {
    out = answer.cast<PolicyOutput>();
    items = py::cast(out.ranked);
    out.ranked.clear();
  } else if (!py::isinstance<py::list>(answer) && !py::isinstance<py::tuple>(answer)) {
    fail(input, fmt::format("schedule() must return a list of dlsched.Request or a "
                            "dlsched.Decision, got {}",
                            std::string(py::str(answer.get_type().attr("__name__")))));
  }
  // Jobs come in arrival order, which is id order: a binary search finds a request's job, and a
  // flag per job catches one asked for twice (cheap enough for every call of a long run).
  const std::span<const JobView> jobs = input.jobs;
  const bool by_id = std::is_sorted(jobs.begin(), jobs.end(),
                                    [](const JobView& a, const JobView& b) { return a.id < b.id; });
  auto position = [&](JobId id) -> long {
    if (by_id) {
      auto it = std::lower_bound(jobs.begin(), jobs.end(), id,
                                 [](const JobView& j, JobId v) { return j.id < v; });
      return it != jobs.end() && it->id == id ? it - jobs.begin() : -1;
    }
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (jobs[i].id == id) return static_cast<long>(i);
    return -1;
  };
  std::vector<char> seen(jobs.size(), 0);
  const int types = static_cast<int>(input.cluster->gpu_types().size());
  for (py::handle item : items) {
    Request r = to_request(input, item);
    const long at = position(r.job);
    if (at < 0) fail(input, fmt::format("job {} is not an active job", r.job));
    if (seen[at]++) fail(input, fmt::format("job {} is asked for twice", r.job));
    if (r.gpu_type < ANY_GPU_TYPE || r.gpu_type >= types)
      fail(input, fmt::format("job {}: GPU type {} does not exist (0..{})", r.job, r.gpu_type,
                              types - 1));
    const int capacity = r.gpu_type == ANY_GPU_TYPE ? input.cluster->num_gpus()
                                                    : input.cluster->num_gpus_of_type(r.gpu_type);
    if (r.gpus < 1 || r.gpus > capacity)
      fail(input, fmt::format("job {}: {} GPUs asked, the cluster has {}", r.job, r.gpus,
                              capacity));
    if (r.pack_with >= 0 && (r.pack_with > static_cast<long>(std::numeric_limits<JobId>::max()) ||
                             position(static_cast<JobId>(r.pack_with)) < 0))
      fail(input, fmt::format("job {}: pack_with {} is not an active job", r.job, r.pack_with));
    out.ranked.push_back(r);
  }
  return out;
}

std::unique_ptr<Policy> load_python_policy(const std::string& file, const std::string& cls,
                                           const PolicyParams& params) {
  if (!std::filesystem::exists(file)) throw InputError(file, 0, "python policy file not found");
  try {
    py::module_ util = py::module_::import("importlib.util");
    py::object spec = util.attr("spec_from_file_location")(
        std::filesystem::path(file).stem().string(), file);
    py::object module = util.attr("module_from_spec")(spec);
    spec.attr("loader").attr("exec_module")(module);
    if (!py::hasattr(module, cls.c_str()))
      throw InputError(file, 0, "python policy file has no class " + cls);
    py::dict kwargs;
    for (const auto& [k, v] : params.values()) kwargs[py::str(k)] = v;
    return std::make_unique<PythonPolicy>(module.attr(cls.c_str())(**kwargs));
  } catch (py::error_already_set& e) {
    throw InputError(file, 0, "python policy " + cls + ": " + e.what());
  }
}

}  // namespace dlsched
