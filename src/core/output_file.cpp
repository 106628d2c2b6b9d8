#include "core/output_file.h"

#include <filesystem>
#include <fmt/format.h>
#include <system_error>

#include "core/error.h"

namespace dlsched {

void refuse_output_over_inputs(const std::string& output, const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(output, ec)) return;  // a new file cannot be an existing input
  for (const std::string& input : inputs) {
    if (input.empty()) continue;
    // equivalent() follows symbolic links and compares device and inode, so hard links and
    // other spellings of the same path are caught too.
    if (fs::equivalent(output, input, ec))
      throw InputError(fmt::format("{}: the output would overwrite the input {}", output, input));
  }
}

StagedFile::StagedFile(std::string final_path)
    : final_(std::move(final_path)), staging_(final_ + ".partial") {}

StagedFile::~StagedFile() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove(staging_, ignored);
}

void StagedFile::commit() {
  std::error_code ec;
  std::filesystem::rename(staging_, final_, ec);
  if (ec) throw Error(fmt::format("{}: cannot move {} into place: {}", final_, staging_, ec.message()));
  committed_ = true;
}

}  // namespace dlsched
