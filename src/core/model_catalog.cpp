#include "core/model_catalog.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string_view>

#include "core/error.h"

namespace dlsched {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

long line_of(const toml::node& n) { return static_cast<long>(n.source().begin.line); }

/// Reads the fields of one catalog entry, reporting problems at the offending line.
class EntryReader {
 public:
  EntryReader(const std::string& file, const toml::table& table, std::string what)
      : file_(file), table_(table), what_(std::move(what)) {}

  /// Rejects keys outside `allowed`, so that a misspelt optional key is not silently ignored.
  void only(std::initializer_list<std::string_view> allowed) const {
    for (auto&& [key, value] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw InputError(file_, static_cast<long>(key.source().begin.line),
                       "unknown key '" + std::string(key.str()) + "' in " + what_ +
                           " (expected one of: " + list + ")");
    }
  }

  /// A number (integer or float) that must be present.
  double required_number(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) throw missing(key);
    return number(key, *n);
  }

  std::optional<double> optional_number(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) return std::nullopt;
    return number(key, *n);
  }

  int required_integer(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) throw missing(key);
    const auto* i = n->as_integer();
    if (!i) throw bad(key, *n, "must be an integer");
    const int64_t v = i->get();
    if (v < 1 || v > (int64_t{1} << 30)) throw bad(key, *n, "must be a positive integer");
    return static_cast<int>(v);
  }

  std::string optional_string(std::string_view key) const {
    const toml::node* n = table_.get(key);
    if (!n) return {};
    const auto* s = n->as_string();
    if (!s) throw bad(key, *n, "must be a string");
    return s->get();
  }

  /// Fails at the key's line unless `ok` holds for its value.
  void check(std::string_view key, bool ok, const std::string& requirement) const {
    if (ok) return;
    const toml::node* n = table_.get(key);
    throw InputError(file_, n ? line_of(*n) : line_of(table_),
                     "'" + std::string(key) + "' in " + what_ + " " + requirement);
  }

 private:
  double number(std::string_view key, const toml::node& n) const {
    double v = 0;
    if (const auto* i = n.as_integer())
      v = static_cast<double>(i->get());
    else if (const auto* f = n.as_floating_point())
      v = f->get();
    else
      throw bad(key, n, "must be a number");
    if (!std::isfinite(v)) throw bad(key, n, "must be finite");
    return v;
  }

  InputError missing(std::string_view key) const {
    return InputError(file_, line_of(table_),
                      "missing required key '" + std::string(key) + "' in " + what_);
  }

  InputError bad(std::string_view key, const toml::node& n, const std::string& why) const {
    return InputError(file_, line_of(n), "'" + std::string(key) + "' in " + what_ + " " + why);
  }

  const std::string& file_;
  const toml::table& table_;
  std::string what_;
};

const toml::table& section(const std::string& file, const toml::table& root, std::string_view key) {
  const toml::node* n = root.get(key);
  if (!n) throw InputError(file, 1, "missing table [" + std::string(key) + "]");
  const auto* t = n->as_table();
  if (!t) throw InputError(file, line_of(*n), "'" + std::string(key) + "' must be a table");
  return *t;
}

const toml::table& entry_table(const std::string& file, const toml::key& key,
                               const toml::node& value, const std::string& what) {
  const auto* t = value.as_table();
  if (!t)
    throw InputError(file, static_cast<long>(key.source().begin.line),
                     what + " must be a table of fields");
  return *t;
}

GpuTypeInfo read_gpu_type(const std::string& file, const std::string& name,
                          const toml::table& t) {
  EntryReader r(file, t, "GPU type '" + name + "'");
  r.only({"peak_tflops", "efficiency", "memory_gib"});
  GpuTypeInfo g;
  g.name = name;
  g.peak_tflops = r.required_number("peak_tflops");
  r.check("peak_tflops", g.peak_tflops > 0, "must be positive");
  g.memory_gib = r.required_number("memory_gib");
  r.check("memory_gib", g.memory_gib > 0, "must be positive");
  if (auto e = r.optional_number("efficiency")) g.efficiency = *e;
  r.check("efficiency", g.efficiency > 0 && g.efficiency <= 1, "must be in (0, 1]");
  return g;
}

ModelInfo read_model(const std::string& file, const std::string& name, const toml::table& t) {
  EntryReader r(file, t, "model '" + name + "'");
  r.only({"parameters", "flops_per_sample", "forward_fraction", "batch_size", "dataset_samples",
          "epochs", "restore_seconds", "source"});
  ModelInfo m;
  m.name = name;
  m.parameters = r.required_number("parameters");
  r.check("parameters", m.parameters > 0, "must be positive");
  m.flops_per_sample = r.required_number("flops_per_sample");
  r.check("flops_per_sample", m.flops_per_sample > 0, "must be positive");
  if (auto f = r.optional_number("forward_fraction")) m.forward_fraction = *f;
  r.check("forward_fraction", m.forward_fraction > 0 && m.forward_fraction < 1,
          "must be in (0, 1)");
  m.batch_size = r.required_integer("batch_size");
  m.dataset_samples = r.optional_number("dataset_samples");
  r.check("dataset_samples", !m.dataset_samples || *m.dataset_samples > 0, "must be positive");
  m.epochs = r.optional_number("epochs");
  r.check("epochs", !m.epochs || *m.epochs > 0, "must be positive");
  m.restore_seconds = r.optional_number("restore_seconds");
  r.check("restore_seconds", !m.restore_seconds || *m.restore_seconds >= 0, "must be >= 0");
  m.source = r.optional_string("source");
  return m;
}

/// Case-insensitive fallback lookups must be unambiguous, so names equal up to case clash.
void reject_case_clash(const std::string& file, long line, const std::string& kind,
                       const std::string& name, std::map<std::string, std::string>& seen) {
  auto [it, inserted] = seen.emplace(lower(name), name);
  if (!inserted)
    throw InputError(file, line,
                     kind + " '" + name + "' differs only in case from '" + it->second + "'");
}

template <typename Info>
const Info* find_by_name(const std::map<std::string, Info>& items, const std::string& name) {
  if (auto it = items.find(name); it != items.end()) return &it->second;
  const std::string wanted = lower(name);
  for (const auto& [key, info] : items)
    if (lower(key) == wanted) return &info;
  return nullptr;
}

std::string where(const std::string& path) {
  return path.empty() ? "the model catalog" : path;
}

}  // namespace

ModelCatalog ModelCatalog::load(const std::string& path) {
  // toml++ reports a missing file as a parse error at line 0; say what is really wrong.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError("model catalog '" + path + "': no such file");

  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<long>(e.source().begin.line), std::string(e.description()));
  }

  for (auto&& [key, value] : root) {
    if (key.str() == "gpu_types" || key.str() == "models") continue;
    throw InputError(path, static_cast<long>(key.source().begin.line),
                     "unknown top-level key '" + std::string(key.str()) +
                         "' (expected [gpu_types.<name>] and [models.<name>] tables)");
  }

  ModelCatalog catalog;
  catalog.path_ = path;

  std::map<std::string, std::string> seen;
  for (auto&& [key, value] : section(path, root, "gpu_types")) {
    const std::string name(key.str());
    const long line = static_cast<long>(key.source().begin.line);
    reject_case_clash(path, line, "GPU type", name, seen);
    catalog.add_gpu_type(
        read_gpu_type(path, name, entry_table(path, key, value, "GPU type '" + name + "'")));
  }

  seen.clear();
  for (auto&& [key, value] : section(path, root, "models")) {
    const std::string name(key.str());
    const long line = static_cast<long>(key.source().begin.line);
    reject_case_clash(path, line, "model", name, seen);
    catalog.add_model(read_model(path, name, entry_table(path, key, value, "model '" + name + "'")));
  }
  return catalog;
}

const ModelInfo* ModelCatalog::find_model(const std::string& name) const {
  return find_by_name(models_, name);
}

const ModelInfo& ModelCatalog::model(const std::string& name) const {
  if (const ModelInfo* m = find_model(name)) return *m;
  throw InputError("unknown model '" + name + "' (not in " + where(path_) + ")");
}

const GpuTypeInfo* ModelCatalog::find_gpu_type(const std::string& name) const {
  return find_by_name(gpu_types_, name);
}

const GpuTypeInfo& ModelCatalog::gpu_type(const std::string& name) const {
  if (const GpuTypeInfo* g = find_gpu_type(name)) return *g;
  throw InputError("unknown GPU type '" + name + "' (not in " + where(path_) + ")");
}

}  // namespace dlsched
