// Fuzz target: a model catalog (jobs/models.toml), as --models loads it. A catalog that loads
// must hold only what the simulator may divide by or scale with: positive, finite figures.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/model_catalog.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlsched;
  const std::string path = fuzz::write_scratch(data, size, ".toml");
  fuzz::refuse_only_with_input_error([&] {
    const ModelCatalog catalog = ModelCatalog::load(path);
    for (const auto& [name, model] : catalog.models()) {
      fuzz::require(std::isfinite(model.parameters) && model.parameters > 0 &&
                        std::isfinite(model.flops_per_sample) && model.flops_per_sample > 0 &&
                        model.batch_size >= 1,
                    "a loaded model has positive, finite figures");
      fuzz::require(catalog.find_model(name) == &model, "a loaded model is found by its name");
    }
    for (const auto& [name, gpu] : catalog.gpu_types())
      fuzz::require(std::isfinite(gpu.peak_tflops) && gpu.peak_tflops > 0 &&
                        gpu.efficiency > 0 && gpu.efficiency <= 1,
                    "a loaded GPU type has a positive peak and an efficiency in (0, 1]");
  });
  return 0;
}
