// Typed errors shared by every layer.
#pragma once

#include <stdexcept>
#include <string>

namespace dlsched {

/// Exit statuses of every dlsched command and of the MPI ranks, defined once here.
/// A failure that is not the input's fault (an I/O error, a lost rank, a bug).
inline constexpr int EXIT_RUNTIME_ERROR = 1;
/// Bad input (an InputError or a command-line parse error), reported as `file:line: what`.
inline constexpr int EXIT_INPUT_ERROR = 2;
/// `dlsched emulate` stopped by SIGTERM or SIGUSR1 (a time limit) after writing a checkpoint
/// into its results file: run it again with --resume to continue. 75 is EX_TEMPFAIL of
/// sysexits.h, "try again later".
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
