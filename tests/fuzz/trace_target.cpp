// Fuzz target: a trace file in one format, as `dlsched simulate --trace-format F` and
// `dlsched trace` read it. Built once per registered format (DLSCHED_FUZZ_TRACE_FORMAT, set by
// dlsched_add_trace_fuzz_target), so that each reader is fuzzed directly rather than only
// those that content detection happens to pick. A trace that reads must also survive what the
// commands do next: its summary, and `dlsched trace convert`, whose canonical CSV must read
// back to the same jobs.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/trace.h"
#include "core/trace_stats.h"
#include "fuzz_input.h"

#ifndef DLSCHED_FUZZ_TRACE_FORMAT
#error "DLSCHED_FUZZ_TRACE_FORMAT names the trace format this target reads"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string path = fuzz::write_scratch(data, size);
  fuzz::refuse_only_with_input_error([&] {
    TraceOptions options;
    options.format = DLSCHED_FUZZ_TRACE_FORMAT;
    const Trace trace = read_trace(path, options);
    format_stats(summarize(trace));

    std::ostringstream canonical;
    write_canonical_csv(trace, canonical);
    const std::string text = canonical.str();
    const std::string again_path =
        fuzz::write_scratch(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), ".csv");
    TraceOptions as_dlsched;
    as_dlsched.format = "dlsched";
    Trace again;
    try {
      again = read_trace(again_path, as_dlsched);
    } catch (const InputError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      fuzz::require(false, "the canonical CSV of a trace that was read reads back");
    }
    fuzz::require(again.jobs.size() == trace.jobs.size(), "the canonical CSV keeps every job");
    for (std::size_t i = 0; i < trace.jobs.size(); ++i) {
      const JobSpec& a = trace.jobs[i];
      const JobSpec& b = again.jobs[i];
      if (a.id == b.id && a.model == b.model && a.num_gpus == b.num_gpus &&
          a.submit_time == b.submit_time && a.iterations == b.iterations &&
          a.duration == b.duration && a.priority == b.priority && a.batch_size == b.batch_size)
        continue;
      std::fprintf(stderr, "line %ld: read id '%s' model '%s', read back id '%s' model '%s'\n",
                   a.source_line, a.id.c_str(), a.model.c_str(), b.id.c_str(), b.model.c_str());
      fuzz::require(false, "the canonical CSV reads back to the same jobs");
    }
  });
  return 0;
}
