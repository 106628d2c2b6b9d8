// Internal plumbing of the results file: failure reporting, compound row layouts, string
// attributes, extendible tables. Only src/io includes this; the rest of dlsched never sees an
// hid_t.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "io/hdf5_handles.h"
#include "io/hdf5_results.h"

namespace dlsched::hdf5 {

// A chunk of about this many bytes. Every flush rewrites the last, partly filled chunk of each
// table that grew, so small chunks keep a per-round flush cheap; they stay large enough that a
// 500k-row run has few chunks to index, and a nearly empty table costs little disk.
inline constexpr std::size_t kChunkBytes = 64 * 1024;
inline constexpr std::size_t kMinChunkRows = 128;
inline constexpr std::size_t kMaxChunkRows = 8192;
// Rows read per H5Dread, so reading a large table does not need a second full-size buffer.
inline constexpr hsize_t kReadBlockRows = 65536;
// Rows a table writer holds before it appends them whatever the flush interval, so a run of
// millions of short rounds streams to the file instead of buffering a second of them.
inline constexpr std::size_t kMaxPendingBytes = std::size_t{1} << 20;

// ---------------------------------------------------------------------------------------------
// Failure reporting: the writer's failures are Errors, the reader's are InputErrors (the file is
// the user's input). Both name the file and the operation, plus HDF5's own innermost message.

class Reporter {
 public:
  Reporter(std::string path, bool input) : path_(std::move(path)), input_(input) {}

  /// Throws with `what` (already a full sentence after the path).
  [[noreturn]] void raise(const std::string& what) const {
    std::string message = path_ + ": " + what;
    if (input_) throw InputError(message);
    throw Error(message);
  }
  /// Throws for a failed HDF5 call, appending HDF5's reason.
  [[noreturn]] void fail(std::string_view operation) const {
    std::string reason = hdf5::last_error_message();
    std::string what = input_ ? "corrupt dlsched results file (" + std::string(operation)
                              : "cannot " + std::string(operation);
    if (!reason.empty()) what += ": " + reason;
    if (input_) what += ")";
    raise(what);
  }
  hid_t check(hid_t id, std::string_view operation) const {
    if (id < 0) fail(operation);
    return id;
  }
  herr_t check(herr_t status, std::string_view operation) const {
    if (status < 0) fail(operation);
    return status;
  }

 private:
  std::string path_;
  bool input_;
};

// ---------------------------------------------------------------------------------------------
// Row layouts: each table is a packed compound whose fields are named like the record members.
// Rows are encoded into a byte buffer with exactly the file's layout, so H5Dwrite copies bytes
// without a type conversion.

template <class T>
struct ScalarType;
template <>
struct ScalarType<double> {
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};
template <>
struct ScalarType<std::int64_t> {
  static hid_t memory() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct ScalarType<std::int32_t> {
  static hid_t memory() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct ScalarType<std::uint32_t> {
  static hid_t memory() { return H5T_NATIVE_UINT32; }
  static hid_t file() { return H5T_STD_U32LE; }
};
template <>
struct ScalarType<std::int8_t> {
  static hid_t memory() { return H5T_NATIVE_INT8; }
  static hid_t file() { return H5T_STD_I8LE; }
};

/// Copies `value` into a fixed field of `width` bytes, null-padded. A value that does not fit is
/// cut at a UTF-8 character boundary so the stored bytes stay valid UTF-8.
inline void put_fixed_string(char* out, std::size_t width, const std::string& value) {
  std::size_t n = std::min(value.size(), width);
  if (n < value.size())
    while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  std::memcpy(out, value.data(), n);
  std::memset(out + n, 0, width - n);
}

/// The value of a null-padded fixed field (all `width` bytes if there is no null).
inline std::string get_fixed_string(const char* in, std::size_t width) {
  const void* nul = std::memchr(in, '\0', width);
  return std::string(in, nul ? static_cast<const char*>(nul) - in : width);
}

inline Hid make_string_type(std::size_t width, const Reporter& report) {
  Hid type = hdf5::datatype_handle(report.check(H5Tcopy(H5T_C_S1), "create a string type"));
  report.check(H5Tset_size(type.get(), width), "size a string type");
  report.check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "pad a string type");
  report.check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set a string character set");
  return type;
}

/// One column of a table: its name, its width in a row, and how to move it between a record
/// and the row bytes. Built by column<&Record::member>() so each column costs one indirect call.
template <class R>
struct Column {
  const char* name;
  std::size_t bytes;
  hid_t (*scalar_type)(bool native);  ///< null for a string column
  void (*encode)(const R& record, char* out, std::size_t bytes);
  void (*decode)(const char* in, std::size_t bytes, R& record);
};

template <class M>
struct MemberOf;
template <class R, class T>
struct MemberOf<T R::*> {
  using Record = R;
  using Type = T;
};

/// The column for `member`; a string member needs its fixed width in bytes.
template <auto member>
Column<typename MemberOf<decltype(member)>::Record> column(const char* name,
                                                           std::size_t string_bytes = 0) {
  using R = typename MemberOf<decltype(member)>::Record;
  using T = typename MemberOf<decltype(member)>::Type;
  if constexpr (std::is_same_v<T, std::string>) {
    return {name, string_bytes, nullptr,
            [](const R& r, char* out, std::size_t n) { put_fixed_string(out, n, r.*member); },
            [](const char* in, std::size_t n, R& r) { r.*member = get_fixed_string(in, n); }};
  } else {
    return {name, sizeof(T),
            [](bool native) { return native ? ScalarType<T>::memory() : ScalarType<T>::file(); },
            [](const R& r, char* out, std::size_t) { std::memcpy(out, &(r.*member), sizeof(T)); },
            [](const char* in, std::size_t, R& r) { std::memcpy(&(r.*member), in, sizeof(T)); }};
  }
}

// Column names are the member names, spelled once.
#define DLSCHED_COLUMN(record, member, ...) \
  column<&record::member>(#member __VA_OPT__(, ) __VA_ARGS__)

template <class R>
class RowLayout {
 public:
  RowLayout(const char* table, std::vector<Column<R>> columns) : table_(table) {
    for (auto& c : columns) {
      fields_.push_back({c, row_bytes_});
      row_bytes_ += c.bytes;
    }
    chunk_rows_ = std::clamp(kChunkBytes / row_bytes_, kMinChunkRows, kMaxChunkRows);
  }

  /// Dataset name (without the leading '/').
  const char* table() const { return table_; }
  /// Bytes of one encoded row.
  std::size_t row_bytes() const { return row_bytes_; }
  /// Rows per chunk of the dataset.
  std::size_t chunk_rows() const { return chunk_rows_; }
  /// Column names, in file order.
  std::vector<const char*> column_names() const {
    std::vector<const char*> names;
    for (const auto& f : fields_) names.push_back(f.column.name);
    return names;
  }

  /// The compound type stored in the file (little-endian, whatever the host).
  Hid file_type(const Reporter& report) const { return make_type(report, false); }
  /// The same compound with native scalars, used for reading and writing buffers.
  Hid memory_type(const Reporter& report) const { return make_type(report, true); }

  /// The first column whose type in `stored` (a compound read from a file) is not exactly the
  /// type this layout writes, or whose bytes lie outside the stored row; null if all match.
  /// HDF5 converts whatever a damaged file declares, and crashes on some of it, so a reader
  /// checks this before converting anything.
  const char* first_mismatched_column(hid_t stored, const Reporter& report) const {
    const std::size_t stored_bytes = H5Tget_size(stored);
    for (const auto& f : fields_) {
      const int index = H5Tget_member_index(stored, f.column.name);
      if (index < 0) return f.column.name;
      Hid member = hdf5::datatype_handle(H5Tget_member_type(stored, static_cast<unsigned>(index)));
      if (member.get() < 0) return f.column.name;
      Hid expected_string;
      const hid_t expected = member_type(f, false, expected_string, report);
      const std::size_t offset = H5Tget_member_offset(stored, static_cast<unsigned>(index));
      if (H5Tequal(member.get(), expected) <= 0 || offset + f.column.bytes > stored_bytes)
        return f.column.name;
    }
    return nullptr;
  }

  void encode(const R& row, char* out) const {
    for (const auto& f : fields_) f.column.encode(row, out + f.offset, f.column.bytes);
  }

  R decode(const char* in) const {
    R row;
    for (const auto& f : fields_) f.column.decode(in + f.offset, f.column.bytes, row);
    return row;
  }

 private:
  struct Field {
    Column<R> column;
    std::size_t offset;
  };

  /// The HDF5 type of one column; a string type is made and kept alive in `owned`.
  static hid_t member_type(const Field& f, bool native, Hid& owned, const Reporter& report) {
    if (f.column.scalar_type) return f.column.scalar_type(native);
    owned = make_string_type(f.column.bytes, report);
    return owned.get();
  }

  Hid make_type(const Reporter& report, bool native) const {
    Hid type = hdf5::datatype_handle(
        report.check(H5Tcreate(H5T_COMPOUND, row_bytes_), "create the row type"));
    for (const auto& f : fields_) {
      Hid string_type;
      report.check(H5Tinsert(type.get(), f.column.name, f.offset,
                             member_type(f, native, string_type, report)),
                   "build the row type");
    }
    return type;
  }

  const char* table_;
  std::vector<Field> fields_;
  std::size_t row_bytes_ = 0;
  std::size_t chunk_rows_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Attributes: scalar variable-length UTF-8 strings on the root group (h5py returns them as str).

inline Hid make_attribute_string_type(const Reporter& report) {
  Hid type = hdf5::datatype_handle(report.check(H5Tcopy(H5T_C_S1), "create a string type"));
  report.check(H5Tset_size(type.get(), H5T_VARIABLE), "size a string type");
  report.check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set a string character set");
  return type;
}

inline void write_string_attribute(hid_t file, const std::string& key, const std::string& value,
                            const Reporter& report) {
  std::string operation = "write attribute \"" + key + "\"";
  htri_t exists = report.check(H5Aexists(file, key.c_str()), operation);
  // HDF5 cannot resize an attribute in place; replacing is delete + create.
  if (exists > 0) report.check(H5Adelete(file, key.c_str()), operation);
  Hid type = make_attribute_string_type(report);
  Hid space = hdf5::dataspace_handle(report.check(H5Screate(H5S_SCALAR), operation));
  Hid attribute = hdf5::attribute_handle(report.check(
      H5Acreate2(file, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      operation));
  const char* text = value.c_str();
  report.check(H5Awrite(attribute.get(), type.get(), &text), operation);
}

/// Reads one string attribute, variable- or fixed-length (other tools may have added either).
/// Returns false for attributes that are not a single string, which we skip.
inline bool read_string_attribute(hid_t file, const std::string& key, std::string& value,
                           const Reporter& report) {
  std::string operation = "reading attribute \"" + key + "\"";
  Hid attribute = hdf5::attribute_handle(
      report.check(H5Aopen(file, key.c_str(), H5P_DEFAULT), operation));
  Hid type = hdf5::datatype_handle(report.check(H5Aget_type(attribute.get()), operation));
  if (H5Tget_class(type.get()) != H5T_STRING) return false;
  Hid space = hdf5::dataspace_handle(report.check(H5Aget_space(attribute.get()), operation));
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return false;

  htri_t variable = report.check(H5Tis_variable_str(type.get()), operation);
  if (variable > 0) {
    Hid memory = make_attribute_string_type(report);
    char* text = nullptr;
    report.check(H5Aread(attribute.get(), memory.get(), &text), operation);
    value = text ? text : "";
    H5free_memory(text);
  } else {
    std::size_t width = H5Tget_size(type.get());
    std::string buffer(width, '\0');
    report.check(H5Aread(attribute.get(), type.get(), buffer.data()), operation);
    value = get_fixed_string(buffer.data(), width);
  }
  return true;
}

inline RunAttributes read_string_attributes(hid_t file, const Reporter& report) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  report.check(H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names),
               "listing attributes");
  RunAttributes attributes;
  for (const auto& name : names) {
    std::string value;
    if (read_string_attribute(file, name, value, report)) attributes[name] = value;
  }
  return attributes;
}

/// File access properties shared by writer and reader. Locking is off so that a user can read a
/// file while a run writes it, and because cluster file systems (Lustre, NFS) often refuse the
/// locks. The format is capped at 1.8's so the superblock carries no "open for writing" flag:
/// a file left by a killed run opens without h5clear.
inline Hid make_file_access(const Reporter& report) {
  Hid fapl = hdf5::plist_handle(
      report.check(H5Pcreate(H5P_FILE_ACCESS), "create file access properties"));
  report.check(H5Pset_file_locking(fapl.get(), false, true), "disable file locking");
  // The 1.8 format at least: its superblock and object headers carry checksums, so a damaged
  // file is refused when it is opened instead of crashing the library (the earliest format has
  // none, and HDF5 divides by a zero chunk size read from a damaged header). HDF5 1.8 and later,
  // h5py included, read it.
  report.check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18),
               "set the file format version");
  return fapl;
}

// ---------------------------------------------------------------------------------------------
// Tables.

/// One extendible table of the writer: rows are encoded into `pending_` and appended on flush.
template <class R>
class TableWriter {
 public:
  /// Creates the table in `file` (a file or group), or with `append` opens the existing one
  /// and adds rows after those it holds.
  TableWriter(hid_t file, const RowLayout<R>& layout, const Reporter& report, bool append = false)
      : layout_(&layout), memory_type_(layout.memory_type(report)) {
    if (append) {
      std::string operation = std::string("open table /") + layout.table() + " to append";
      dataset_ = hdf5::dataset_handle(
          report.check(H5Dopen2(file, layout.table(), H5P_DEFAULT), operation));
      Hid space = hdf5::dataspace_handle(report.check(H5Dget_space(dataset_.get()), operation));
      if (H5Sget_simple_extent_ndims(space.get()) != 1)
        report.raise(operation + ": not a one-dimensional table");
      report.check(H5Sget_simple_extent_dims(space.get(), &rows_in_file_, nullptr), operation);
      return;
    }
    std::string operation = std::string("create table /") + layout.table();
    hsize_t initial = 0;
    hsize_t maximum = H5S_UNLIMITED;
    Hid space = hdf5::dataspace_handle(
        report.check(H5Screate_simple(1, &initial, &maximum), operation));
    Hid dcpl = hdf5::plist_handle(report.check(H5Pcreate(H5P_DATASET_CREATE), operation));
    hsize_t chunk = layout.chunk_rows();
    report.check(H5Pset_chunk(dcpl.get(), 1, &chunk), operation);
    // Rows are written right after the extent grows to hold them: filling new chunks with a
    // default value first would be a wasted write.
    report.check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), operation);
    Hid file_type = layout.file_type(report);
    dataset_ = hdf5::dataset_handle(
        report.check(H5Dcreate2(file, layout.table(), file_type.get(), space.get(), H5P_DEFAULT,
                                dcpl.get(), H5P_DEFAULT),
                     operation));
  }

  /// Buffers a row. Returns true once kMaxPendingBytes of rows wait: time to flush().
  bool append(const R& row) {
    std::size_t at = pending_.size();
    pending_.resize(at + layout_->row_bytes());
    layout_->encode(row, pending_.data() + at);
    return pending_.size() >= kMaxPendingBytes;
  }

  /// Appends the pending rows to the dataset (they reach the disk with the file's flush).
  void flush(const Reporter& report) {
    if (pending_.empty()) return;
    std::string operation = std::string("append to table /") + layout_->table();
    hsize_t count = pending_.size() / layout_->row_bytes();
    hsize_t extent = rows_in_file_ + count;
    report.check(H5Dset_extent(dataset_.get(), &extent), operation);
    Hid file_space =
        hdf5::dataspace_handle(report.check(H5Dget_space(dataset_.get()), operation));
    report.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &rows_in_file_, nullptr,
                                     &count, nullptr),
                 operation);
    Hid memory_space =
        hdf5::dataspace_handle(report.check(H5Screate_simple(1, &count, nullptr), operation));
    if (H5Dwrite(dataset_.get(), memory_type_.get(), memory_space.get(), file_space.get(),
                 H5P_DEFAULT, pending_.data()) < 0) {
      // Keep unwritten rows out of the extent so readers never see garbage.
      std::string reason = hdf5::last_error_message();
      H5Dset_extent(dataset_.get(), &rows_in_file_);
      report.raise("cannot " + operation + ": " + reason);
    }
    rows_in_file_ = extent;
    pending_.clear();
  }

  /// Closes the dataset (pending rows are dropped; flush first).
  void close() {
    dataset_.reset();
    memory_type_.reset();
  }

 private:
  const RowLayout<R>* layout_;
  Hid memory_type_;
  Hid dataset_;
  std::vector<char> pending_;
  hsize_t rows_in_file_ = 0;
};

template <class R>
std::vector<R> read_table(hid_t file, const RowLayout<R>& layout, const Reporter& report) {
  std::string table = std::string("/") + layout.table();
  std::string operation = "reading table " + table;
  htri_t exists = report.check(H5Lexists(file, layout.table(), H5P_DEFAULT), operation);
  if (exists <= 0) report.raise("corrupt dlsched results file (table " + table + " is missing)");
  Hid dataset = hdf5::dataset_handle(
      report.check(H5Dopen2(file, layout.table(), H5P_DEFAULT), operation));

  // Check the columns by name first: HDF5 would silently leave a missing one unset.
  Hid stored_type = hdf5::datatype_handle(report.check(H5Dget_type(dataset.get()), operation));
  if (H5Tget_class(stored_type.get()) != H5T_COMPOUND)
    report.raise("corrupt dlsched results file (table " + table + " is not a table of rows)");
  for (const char* name : layout.column_names())
    if (H5Tget_member_index(stored_type.get(), name) < 0)
      report.raise("corrupt dlsched results file (table " + table + " has no column \"" +
                   name + "\")");
  if (const char* column = layout.first_mismatched_column(stored_type.get(), report))
    report.raise("corrupt dlsched results file (table " + table + ", column \"" + column +
                 "\" has an unexpected type)");

  Hid file_space =
      hdf5::dataspace_handle(report.check(H5Dget_space(dataset.get()), operation));
  if (H5Sget_simple_extent_ndims(file_space.get()) != 1)
    report.raise("corrupt dlsched results file (table " + table + " is not one-dimensional)");
  hsize_t rows = 0;
  report.check(H5Sget_simple_extent_dims(file_space.get(), &rows, nullptr), operation);
  // Every row in the extent was written, so its bytes are stored; a larger count is damage (and
  // must not become a huge allocation).
  std::size_t stored_row_bytes = std::max<std::size_t>(1, H5Tget_size(stored_type.get()));
  hsize_t stored_rows = H5Dget_storage_size(dataset.get()) / stored_row_bytes;
  if (rows > stored_rows)
    report.raise("corrupt dlsched results file (table " + table + " claims " +
                 std::to_string(rows) + " rows but stores " + std::to_string(stored_rows) + ")");

  Hid memory_type = layout.memory_type(report);
  std::vector<R> out;
  out.reserve(rows);
  std::vector<char> buffer;
  for (hsize_t start = 0; start < rows; start += kReadBlockRows) {
    hsize_t count = std::min(kReadBlockRows, rows - start);
    buffer.resize(count * layout.row_bytes());
    report.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &count,
                                     nullptr),
                 operation);
    Hid memory_space =
        hdf5::dataspace_handle(report.check(H5Screate_simple(1, &count, nullptr), operation));
    report.check(H5Dread(dataset.get(), memory_type.get(), memory_space.get(), file_space.get(),
                         H5P_DEFAULT, buffer.data()),
                 operation);
    for (hsize_t i = 0; i < count; ++i)
      out.push_back(layout.decode(buffer.data() + i * layout.row_bytes()));
  }
  return out;
}


}  // namespace dlsched::hdf5
