// Fuzz target: a throughput table in the profile CSV that `dlsched profile` writes, through
// its own loader and through ThroughputTable::load, which --throughputs uses and which picks
// the reader by content.
#include <cstddef>
#include <cstdint>

#include "core/throughput_table.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string path = fuzz::write_scratch(data, size, ".csv");
  fuzz::refuse_only_with_input_error([&] { ThroughputTable::load_profile_csv(path); });
  fuzz::refuse_only_with_input_error([&] { ThroughputTable::load(path); });
  return 0;
}
