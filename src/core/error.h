// Typed errors shared by every layer.
#pragma once

#include <stdexcept>
#include <string>

namespace dlsched {

/// Exit status of `dlsched emulate` stopped by SIGTERM or SIGUSR1 (a time limit) after writing
/// a checkpoint into its results file: run it again with --resume to continue. 75 is
/// EX_TEMPFAIL of sysexits.h, "try again later". (1: runtime error, 2: bad input.)
inline constexpr int EXIT_CHECKPOINTED = 75;

/// Base of every error dlsched reports to a user.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad user input (trace, catalog, cluster spec, flag); the CLI exits with code 2.
/// what() reads "file:line: message" so editors and terminals can jump to the spot.
class InputError : public Error {
 public:
  InputError(const std::string& file, long line, const std::string& message);
  /// An input error that is not tied to a line (a missing file, a bad flag).
  explicit InputError(const std::string& message);

  const std::string& file() const { return file_; }
  long line() const { return line_; }

 private:
  std::string file_;
  long line_ = 0;
};

/// A broken internal invariant: a bug in dlsched or in a policy.
class InvariantError : public Error {
 public:
  using Error::Error;
};

}  // namespace dlsched

/// Checks an invariant; on failure throws InvariantError naming file, line and condition.
#define DLSCHED_EXPECTS(cond, msg)                                                      \
  do {                                                                                  \
    if (!(cond))                                                                        \
      throw ::dlsched::InvariantError(std::string(__FILE__) + ":" +                     \
                                      std::to_string(__LINE__) + ": " #cond ": " + (msg)); \
  } while (0)
