// Fuzz target: a throughput table in Gavel's JSON (simulation_throughputs.json), through its
// own loader and through ThroughputTable::load, which --throughputs uses and which picks the
// reader by content. A rate the table itself refuses (ThroughputTable::set's invariant: the
// simulator divides iterations by every rate) escapes as InvariantError and is a finding: the
// reader must refuse it first, at its line.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/throughput_table.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string path = fuzz::write_scratch(data, size, ".json");
  fuzz::refuse_only_with_input_error([&] { ThroughputTable::load_gavel_json(path); });
  fuzz::refuse_only_with_input_error([&] { ThroughputTable::load(path); });
  return 0;
}
