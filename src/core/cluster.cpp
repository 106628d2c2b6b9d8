#include "core/cluster.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace dlsched {
namespace {

// Bounds above the largest real clusters (about 200,000 GPUs in 2026). The scheduler keeps a
// few words per GPU and the results file one /cluster row (92 bytes) per GPU, so a run costs
// about 250 bytes of memory per GPU: 1,000,000 GPUs take about 360 MB before the first job.
// A bound of 1e8 let a typo ask for 25 GB and a 9 GB file.
constexpr int kMaxNodes = 1'000'000;
constexpr int kMaxGpusPerNode = 1024;
constexpr long long kMaxGpus = 1'000'000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// GPU type names are identifiers shared with the catalog and throughput tables.
bool valid_type_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

/// A file path rather than a shorthand: it names a TOML file or an existing path.
bool looks_like_file(const std::string& spec) {
  std::error_code ec;
  return spec.ends_with(".toml") || spec.find('/') != std::string::npos ||
         std::filesystem::exists(spec, ec);
}

// ---------------------------------------------------------------------------------------------
// Shorthand: "NODESxGPUS[:type]" groups, comma separated.
// ---------------------------------------------------------------------------------------------

/// Parses a positive count; nullopt when the text is not all digits.
std::optional<long long> parse_count(std::string_view s) {
  if (s.empty()) return std::nullopt;
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

ClusterSpec::Group parse_group(const std::string& spec, std::string_view text,
                               const std::string& default_type) {
  auto fail = [&](const std::string& what) {
    return InputError("cluster spec '" + spec + "': " + what);
  };
  const std::string group(text);
  if (text.empty()) throw fail("empty group (a stray comma?)");

  std::string_view shape = text;
  std::string type = default_type;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    shape = trim(text.substr(0, colon));
    const std::string_view t = trim(text.substr(colon + 1));
    if (t.empty()) throw fail("group '" + group + "': empty GPU type after ':'");
    if (!valid_type_name(t))
      throw fail("group '" + group + "': GPU type '" + std::string(t) +
                 "' may only contain letters, digits, '_', '-' and '.'");
    type = std::string(t);
  }

  const auto x = shape.find_first_of("xX");
  if (x == std::string_view::npos)
    throw fail("group '" + group +
               "': expected NODESxGPUS[:type], e.g. 8x4:v100, or a cluster .toml file");
  const std::string_view nodes_text = trim(shape.substr(0, x));
  const std::string_view gpus_text = trim(shape.substr(x + 1));
  if (nodes_text.empty()) throw fail("group '" + group + "': missing the node count before 'x'");
  if (gpus_text.empty())
    throw fail("group '" + group + "': missing the GPUs per node after 'x'");
  const auto nodes = parse_count(nodes_text);
  const auto gpus = parse_count(gpus_text);
  if (!nodes || !gpus)
    throw fail("group '" + group + "': expected NODESxGPUS[:type] with whole numbers, e.g. 8x4:v100");
  if (*nodes < 1 || *nodes > kMaxNodes)
    throw fail("group '" + group + "': the node count must be between 1 and " +
               std::to_string(kMaxNodes));
  if (*gpus < 1 || *gpus > kMaxGpusPerNode)
    throw fail("group '" + group + "': GPUs per node must be between 1 and " +
               std::to_string(kMaxGpusPerNode));
  return ClusterSpec::Group{static_cast<int>(*nodes), static_cast<int>(*gpus), lower(type)};
}

ClusterSpec parse_shorthand(const std::string& spec, const std::string& default_type) {
  if (spec.empty())
    throw InputError("cluster spec '': empty (expected a cluster file or NODESxGPUS[:type], "
                     "e.g. 8x4:v100,8x4:p100)");
  std::vector<ClusterSpec::Group> groups;
  long long total = 0;
  std::string_view rest = spec;
  while (true) {
    const auto comma = rest.find(',');
    groups.push_back(parse_group(spec, trim(rest.substr(0, comma)), default_type));
    total += static_cast<long long>(groups.back().nodes) * groups.back().gpus_per_node;
    if (total > kMaxGpus)
      throw InputError("cluster spec '" + spec + "': more than " + std::to_string(kMaxGpus) +
                       " GPUs");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  ClusterSpec c = ClusterSpec::from_groups(groups);
  c.set_source(spec);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Cluster files (jobs/clusters/*.toml); the schema is documented in those files.
// ---------------------------------------------------------------------------------------------

long line_of(const toml::node& n) { return static_cast<long>(n.source().begin.line); }

/// Rejects keys outside `allowed`, so that a misspelt key is not silently ignored.
void only_keys(const std::string& file, const toml::table& t, const std::string& what,
               std::initializer_list<std::string_view> allowed) {
  for (auto&& [key, value] : t) {
    bool known = false;
    for (auto a : allowed) known = known || key.str() == a;
    if (known) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    throw InputError(file, static_cast<long>(key.source().begin.line),
                     "unknown key '" + std::string(key.str()) + "' in " + what +
                         " (expected one of: " + list + ")");
  }
}

/// Reads an optional non-negative number into `out` (kept when the key is absent).
void read_number(const std::string& file, const toml::table& t, std::string_view key,
                 bool positive, double& out) {
  const toml::node* n = t.get(key);
  if (!n) return;
  double v = 0;
  if (const auto* i = n->as_integer())
    v = static_cast<double>(i->get());
  else if (const auto* f = n->as_floating_point())
    v = f->get();
  else
    throw InputError(file, line_of(*n), "'" + std::string(key) + "' must be a number");
  if (!std::isfinite(v) || v < 0 || (positive && v == 0))
    throw InputError(file, line_of(*n),
                     "'" + std::string(key) + "' must be " + (positive ? "positive" : ">= 0"));
  out = v;
}

int read_count(const std::string& file, const toml::table& group, std::string_view key,
               long long max, const std::string& what) {
  const toml::node* n = group.get(key);
  if (!n) throw InputError(file, line_of(group), "missing '" + std::string(key) + "' in " + what);
  const auto* i = n->as_integer();
  if (!i || i->get() < 1 || i->get() > max)
    throw InputError(file, line_of(*n),
                     "'" + std::string(key) + "' in " + what + " must be an integer from 1 to " +
                         std::to_string(max));
  return static_cast<int>(i->get());
}

Interconnect read_interconnect(const std::string& file, const toml::table& root) {
  Interconnect links;
  const toml::node* n = root.get("interconnect");
  if (!n) return links;
  const auto* t = n->as_table();
  if (!t) throw InputError(file, line_of(*n), "'interconnect' must be a table");
  only_keys(file, *t, "[interconnect]",
            {"intra_node_gb_per_s", "inter_node_gb_per_s", "intra_node_latency_us",
             "inter_node_latency_us"});
  read_number(file, *t, "intra_node_gb_per_s", true, links.intra_node_gb_per_s);
  read_number(file, *t, "inter_node_gb_per_s", true, links.inter_node_gb_per_s);
  read_number(file, *t, "intra_node_latency_us", false, links.intra_node_latency_us);
  read_number(file, *t, "inter_node_latency_us", false, links.inter_node_latency_us);
  return links;
}

std::vector<ClusterSpec::Group> read_groups(const std::string& file, const toml::table& root) {
  const toml::node* n = root.get("groups");
  if (!n) throw InputError(file, 1, "missing [[groups]] (each: nodes, gpus_per_node, type)");
  const auto* arr = n->as_array();
  if (!arr || arr->empty())
    throw InputError(file, line_of(*n), "'groups' must be a non-empty array of [[groups]] tables");
  std::vector<ClusterSpec::Group> groups;
  long long total = 0;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& g = *arr->get(i);
    const std::string what = "group " + std::to_string(i + 1);
    const auto* t = g.as_table();
    if (!t) throw InputError(file, line_of(g), what + " must be a table");
    only_keys(file, *t, what, {"nodes", "gpus_per_node", "type"});
    ClusterSpec::Group group;
    group.nodes = read_count(file, *t, "nodes", kMaxNodes, what);
    group.gpus_per_node = read_count(file, *t, "gpus_per_node", kMaxGpusPerNode, what);
    const toml::node* type = t->get("type");
    if (!type) throw InputError(file, line_of(*t), "missing 'type' in " + what);
    const auto* s = type->as_string();
    if (!s || !valid_type_name(s->get()))
      throw InputError(file, line_of(*type),
                       "'type' in " + what +
                           " must be a GPU type name (letters, digits, '_', '-', '.')");
    group.type = lower(s->get());
    total += static_cast<long long>(group.nodes) * group.gpus_per_node;
    if (total > kMaxGpus)
      throw InputError(file, line_of(*t), "more than " + std::to_string(kMaxGpus) + " GPUs");
    groups.push_back(std::move(group));
  }
  return groups;
}

ClusterSpec parse_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError("cluster spec '" + path + "': no such file");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<long>(e.source().begin.line), std::string(e.description()));
  }
  only_keys(path, root, "the cluster file", {"name", "description", "interconnect", "groups"});
  for (std::string_view key : {"name", "description"})
    if (const toml::node* n = root.get(key); n && !n->is_string())
      throw InputError(path, line_of(*n), "'" + std::string(key) + "' must be a string");

  const Interconnect links = read_interconnect(path, root);
  ClusterSpec c = ClusterSpec::from_groups(read_groups(path, root), links);
  c.set_source(path);
  return c;
}

}  // namespace

ClusterSpec ClusterSpec::parse(const std::string& spec, const std::string& default_type) {
  const std::string text(trim(spec));
  if (!text.empty() && looks_like_file(text)) return parse_file(text);
  return parse_shorthand(text, default_type);
}

ClusterSpec ClusterSpec::from_groups(const std::vector<Group>& groups, Interconnect links) {
  DLSCHED_EXPECTS(!groups.empty(), "a cluster needs at least one group of nodes");
  ClusterSpec c;
  c.links_ = links;
  for (const Group& g : groups) {
    DLSCHED_EXPECTS(g.nodes > 0 && g.gpus_per_node > 0,
                    "group " + std::to_string(g.nodes) + "x" + std::to_string(g.gpus_per_node) +
                        " must have positive counts");
    DLSCHED_EXPECTS(!g.type.empty(), "a group needs a GPU type");
    DLSCHED_EXPECTS(static_cast<long long>(c.num_gpus_) +
                            static_cast<long long>(g.nodes) * g.gpus_per_node <=
                        kMaxGpus,
                    "too many GPUs");
    int type = c.type_index(g.type);
    if (type < 0) {
      type = static_cast<int>(c.gpu_types_.size());
      c.gpu_types_.push_back(g.type);
      c.gpus_per_type_.push_back(0);
    }
    for (int i = 0; i < g.nodes; ++i) {
      Node node;
      node.index = static_cast<int>(c.nodes_.size());
      node.name = fmt::format("n{}", node.index);
      node.gpu_type = type;
      node.num_gpus = g.gpus_per_node;
      node.first_gpu = c.num_gpus_;
      c.gpu_node_.insert(c.gpu_node_.end(), g.gpus_per_node, node.index);
      c.num_gpus_ += g.gpus_per_node;
      c.gpus_per_type_[type] += g.gpus_per_node;
      c.nodes_.push_back(std::move(node));
    }
  }
  return c;
}

int ClusterSpec::type_index(const std::string& name) const {
  for (std::size_t i = 0; i < gpu_types_.size(); ++i)
    if (gpu_types_[i] == name) return static_cast<int>(i);
  const std::string wanted = lower(name);
  for (std::size_t i = 0; i < gpu_types_.size(); ++i)
    if (lower(gpu_types_[i]) == wanted) return static_cast<int>(i);
  return -1;
}

int ClusterSpec::nodes_spanned(const std::vector<GpuId>& gpus) const {
  // Jobs hold a handful of GPUs: a quadratic scan beats building a set on the simulator's
  // hot path.
  int span = 0;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const int node = node_of(gpus[i]);
    bool seen = false;
    for (std::size_t k = 0; k < i && !seen; ++k) seen = node_of(gpus[k]) == node;
    span += seen ? 0 : 1;
  }
  return span;
}

std::string ClusterSpec::describe() const {
  // Consecutive nodes of the same shape read as one group, as they were most likely written.
  std::string out;
  for (std::size_t i = 0; i < nodes_.size();) {
    std::size_t j = i;
    while (j < nodes_.size() && nodes_[j].gpu_type == nodes_[i].gpu_type &&
           nodes_[j].num_gpus == nodes_[i].num_gpus)
      ++j;
    if (!out.empty()) out += " + ";
    out += std::to_string(j - i) + "x" + std::to_string(nodes_[i].num_gpus) + " " +
           gpu_types_[nodes_[i].gpu_type];
    i = j;
  }
  out += " (" + std::to_string(num_gpus_) + (num_gpus_ == 1 ? " GPU)" : " GPUs)");
  return out;
}

}  // namespace dlsched
