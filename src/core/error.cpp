#include "core/error.h"

namespace dlsched {

InputError::InputError(const std::string& file, long line, const std::string& message)
    : Error(file + ":" + std::to_string(line) + ": " + message), file_(file), line_(line) {}

InputError::InputError(const std::string& message) : Error(message) {}

}  // namespace dlsched
