// Output files that never damage inputs and are never seen half-written.
#pragma once

#include <string>
#include <vector>

namespace dlsched {

/// Throws InputError if `output` names one of `inputs`: the same file under another spelling,
/// through a symbolic link or as a hard link (compared as files, not as strings). Inputs that
/// do not exist are ignored.
void refuse_output_over_inputs(const std::string& output, const std::vector<std::string>& inputs);

/// A file written under a temporary name beside its final path (FINAL.partial) and renamed
/// there by commit(), so the final path only ever holds a complete file, and an existing file
/// there stays intact until then. Destroyed without commit() (an error, an exception), it
/// removes the temporary file. A killed process leaves at most FINAL.partial.
class StagedFile {
 public:
  explicit StagedFile(std::string final_path);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  /// Where to write.
  const std::string& path() const { return staging_; }
  const std::string& final_path() const { return final_; }
  /// Moves the written file to its final path. Throws Error if the rename fails.
  void commit();

 private:
  std::string final_;
  std::string staging_;
  bool committed_ = false;
};

}  // namespace dlsched
