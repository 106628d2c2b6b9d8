// Internal plumbing for the HDF5 C API: owning handles and error reporting.
// Only src/io includes this; the rest of dlsched never sees an hid_t.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

namespace dlsched::hdf5 {

/// Owns one HDF5 identifier and closes it with the matching H5?close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);

  Hid() = default;
  /// Takes ownership of `id` (a negative id is kept as "invalid" so callers can check it).
  Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  /// The raw identifier, for HDF5 calls.
  hid_t get() const { return id_; }
  /// True if the identifier is open.
  bool valid() const { return id_ >= 0; }
  /// Closes now and reports HDF5's status (H5Fclose is where buffered data reaches the file).
  herr_t close() {
    herr_t status = 0;
    if (id_ >= 0 && closer_) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }
  /// Closes now, ignoring failure (destructors and unwinding paths).
  void reset() { static_cast<void>(close()); }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

inline Hid file_handle(hid_t id) { return Hid(id, H5Fclose); }
inline Hid dataset_handle(hid_t id) { return Hid(id, H5Dclose); }
inline Hid group_handle(hid_t id) { return Hid(id, H5Gclose); }
inline Hid dataspace_handle(hid_t id) { return Hid(id, H5Sclose); }
inline Hid datatype_handle(hid_t id) { return Hid(id, H5Tclose); }
inline Hid attribute_handle(hid_t id) { return Hid(id, H5Aclose); }
inline Hid plist_handle(hid_t id) { return Hid(id, H5Pclose); }

/// Turns off HDF5's automatic printing of its error stack for the current thread while in
/// scope (the library is thread-safe, so the setting is per thread); we report our own.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &saved_func_, &saved_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, saved_func_, saved_data_); }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t saved_func_ = nullptr;
  void* saved_data_ = nullptr;
};

/// The most specific message on the current thread's HDF5 error stack ("" if it is empty):
/// the innermost entry says what was actually wrong ("file signature not found",
/// "truncated file: eof = ..."), the outer ones only repeat which call failed. A failed system
/// call is reduced to its strerror text, which is what a user can act on.
inline std::string last_error_message() {
  std::string message;
  auto take_innermost = [](unsigned n, const H5E_error2_t* err, void* out) -> herr_t {
    if (n == 0 && err->desc) *static_cast<std::string*>(out) = err->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &message);
  H5Eclear2(H5E_DEFAULT);

  const std::string system_error = "error message = '";
  if (auto at = message.find(system_error); at != std::string::npos) {
    at += system_error.size();
    if (auto end = message.find('\'', at); end != std::string::npos)
      message = message.substr(at, end - at);
  }
  for (char& c : message)
    if (c == '\n') c = ' ';
  return message;
}

}  // namespace dlsched::hdf5
