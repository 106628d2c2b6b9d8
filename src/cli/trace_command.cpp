// dlsched trace: inspect and convert workload traces.
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/output_file.h"
#include "core/trace.h"
#include "core/trace_stats.h"

namespace dlsched::cli {
namespace {

struct TraceArgs {
  std::string input;
  std::string output;
  TraceOptions options;
};

int run_stats(const TraceArgs& a) {
  const Trace trace = read_trace(a.input, a.options);
  std::cout << "trace " << trace.path << " (format " << trace.format << ", sha256 "
            << trace.sha256 << ")\n"
            << format_stats(summarize(trace));
  return 0;
}

int run_convert(const TraceArgs& a) {
  refuse_output_over_inputs(a.output, {a.input});
  const Trace trace = read_trace(a.input, a.options);
  StagedFile staged(a.output);
  {
    std::ofstream out(staged.path());
    if (!out) throw InputError(a.output + ": cannot create file");
    write_canonical_csv(trace, out);
    out.close();
    if (!out) throw Error(a.output + ": write failed");
  }
  staged.commit();
  std::cerr << "wrote " << trace.jobs.size() << " jobs to " << a.output << "\n";
  return 0;
}

}  // namespace

CommandAction add_trace_command(CLI::App& app) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "inspect or convert a workload trace");
  cmd->require_subcommand(1);
  CLI::App* stats = cmd->add_subcommand("stats", "summarise a trace: jobs, GPU demand, arrivals");
  CLI::App* convert = cmd->add_subcommand("convert", "write a trace as dlsched's canonical CSV");
  for (CLI::App* sub : {stats, convert}) {
    sub->add_option("trace", args->input, "trace file")->required();
    sub->add_option("--trace-format", args->options.format, "format, or auto to detect")
        ->capture_default_str();
    sub->add_option("--default-model", args->options.default_model,
                    "model for traces that name none (Philly)")
        ->capture_default_str();
  }
  convert->add_option("-o,--out", args->output, "output CSV")->required();
  return [stats, convert, args]() -> int {
    if (stats->parsed()) return run_stats(*args);
    if (convert->parsed()) return run_convert(*args);
    return -1;
  };
}

}  // namespace dlsched::cli
