// The message of the InputError a piece of code is expected to throw.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.h"

namespace dlsched::test {

/// Runs `f` and returns the message of the InputError it throws; a test failure (and "") if it
/// throws none.
inline std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return {};
}

}  // namespace dlsched::test
