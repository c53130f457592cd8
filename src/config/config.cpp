// The baton.toml loader: toml++ parses, this file validates and builds the Config snapshot.
//
// Every error names file, line and dotted key, because a config error is the first thing a new
// user meets. Unknown keys are errors so typos cannot pass silently. Secret values never appear in
// messages: only the reference ("os.environ/NAME") or the key that holds it.
#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <toml++/toml.h>

#include "config/char_class.hpp"

namespace baton {

namespace {

using config_text::IsAlnum;
using config_text::IsDigit;
using config_text::IsSpace;

constexpr int64_t kMaxThreads = 1024;
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxWeight = 1'000'000;
// Either sign; keeps any arithmetic on priorities far from overflow.
constexpr int64_t kMaxPriority = 1'000'000;
constexpr int64_t kMaxRetries = 10;
constexpr int64_t kMaxAllowedFails = 1'000'000;
// The automatic model's two names; also accepted wherever a model is referenced.
constexpr std::string_view kAutoModel = "auto";
constexpr std::string_view kAutoModelAlt = "router-maestro";

bool IsBareKeyChar(char c) {
  return IsAlnum(c) || c == '_' || c == '-';
}

// Zone and task names follow the provider name rule (aliases also allow ':').
bool IsPlainName(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return IsAlnum(c) || c == '_' || c == '-' || c == '.';
  });
}

// A key as it would be written in TOML: bare when possible, quoted otherwise.
std::string TomlKey(std::string_view name) {
  bool bare = !name.empty() && std::ranges::all_of(name, IsBareKeyChar);
  if (bare) {
    return std::string(name);
  }
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + '"';
}

std::string Quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string Join(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? TomlKey(name) : std::string(prefix) + "." + TomlKey(name);
}

int LineOf(const toml::source_region& region) {
  return static_cast<int>(region.begin.line);
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Levenshtein distance, for "did you mean" hints on mistyped keys.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate within a small edit distance of `name`, for "did you mean" hints; empty if none.
std::string_view NearestName(std::string_view name,
                             const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_distance = 3;  // suggest only near misses
  for (std::string_view candidate : candidates) {
    std::size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) {
      out += ", ";
    }
    out += name;
  }
  return out;
}

struct Entry {
  const toml::key* key;
  const toml::node* node;
};

// A model named somewhere (context_fallbacks, zones, [defaults]); checked once every alias is
// known, so a reference may point to an alias defined further down the file.
struct ModelRef {
  const toml::node* node;  // the string, for its line
  std::string key;
  std::string model;
  std::string owner;  // the alias whose context_fallbacks these are (it may not name itself)
};

// toml++ keeps tables in a std::map (sorted by key); the config promises file order.
std::vector<Entry> InFileOrder(const toml::table& table) {
  std::vector<Entry> entries;
  for (auto&& [key, node] : table) {
    entries.push_back({&key, &node});
  }
  auto position = [](const Entry& e) {
    const toml::source_position& p = e.key->source().begin;
    const toml::source_position& q = e.node->source().begin;
    // Keys of implicitly created tables may lack a position; fall back to the node's.
    return p.line != 0 ? std::pair(p.line, p.column) : std::pair(q.line, q.column);
  };
  std::ranges::stable_sort(
      entries, [&](const Entry& a, const Entry& b) { return position(a) < position(b); });
  return entries;
}

class Loader {
 public:
  Loader(std::string source, std::string base_dir)
      : source_(std::move(source)), base_dir_(std::move(base_dir)) {}

  Config Load(std::string_view text) {
    toml::table root;
    try {
      root = toml::parse(text, source_);
    } catch (const toml::parse_error& e) {
      std::string message = "invalid TOML: " + std::string(e.description());
      // The spec's long deployment tables invite line breaks, which TOML 1.0 forbids there.
      if (e.description().find("inline table") != std::string_view::npos) {
        message +=
            " (an inline table { ... } must fit on one line, with no comma after its last "
            "entry; for long ones use [[models.NAME.deployments]] sections)";
      }
      throw ConfigError(source_, LineOf(e.source()), "", message);
    }
    Config config;
    config.source = source_;
    CheckKeys(root, "",
              {"server", "providers", "models", "router", "zones", "defaults", "store", "budget",
               "log", "cluster", "events", "metrics", "signing"});
    if (const toml::node* server = root.get("server")) {
      LoadServer(Table(*server, "server"), config.server);
    }
    if (const toml::node* providers = root.get("providers")) {
      for (const Entry& e : InFileOrder(Table(*providers, "providers"))) {
        config.providers.push_back(LoadProvider(*e.key, *e.node));
      }
    }
    // Before the aliases: they inherit its strategy and fallback.
    if (const toml::node* router = root.get("router")) {
      LoadRouter(Table(*router, "router"), config);
    }
    if (const toml::node* models = root.get("models")) {
      for (const Entry& e : InFileOrder(Table(*models, "models"))) {
        config.models.push_back(LoadModel(*e.key, *e.node, config));
      }
    }
    if (const toml::node* zones = root.get("zones")) {
      for (const Entry& e : InFileOrder(Table(*zones, "zones"))) {
        config.zones.push_back(LoadZone(*e.key, *e.node, config));
      }
    }
    if (const toml::node* defaults = root.get("defaults")) {
      LoadDefaults(Table(*defaults, "defaults"), config);
    }
    if (const toml::node* store = root.get("store")) {
      LoadStore(Table(*store, "store"), config.store);
    }
    if (const toml::node* budget = root.get("budget")) {
      LoadBudget(Table(*budget, "budget"), config.budget);
    }
    if (const toml::node* log = root.get("log")) {
      LoadLog(Table(*log, "log"), config.log);
    }
    if (const toml::node* cluster = root.get("cluster")) {
      LoadCluster(Table(*cluster, "cluster"), config.cluster);
    }
    if (const toml::node* events = root.get("events")) {
      LoadEvents(Table(*events, "events"), config.events);
    }
    if (const toml::node* metrics = root.get("metrics")) {
      LoadMetrics(Table(*metrics, "metrics"), config.metrics);
    }
    if (const toml::node* signing = root.get("signing")) {
      LoadSigning(Table(*signing, "signing"), config.signing);
    }
    for (const ModelRef& ref : model_refs_) {
      CheckModelRef(ref, config);
    }
    return config;
  }

 private:
  [[noreturn]] void Fail(int line, const std::string& key, const std::string& message) const {
    throw ConfigError(source_, line, key, message);
  }
  [[noreturn]] void Fail(const toml::node& node, const std::string& key,
                         const std::string& message) const {
    Fail(LineOf(node.source()), key, message);
  }

  const toml::table& Table(const toml::node& node, const std::string& key) const {
    if (const toml::table* table = node.as_table()) {
      return *table;
    }
    Fail(node, key, "must be a table, not " + TypeName(node));
  }

  // Rejects keys outside `allowed`, naming the first one in file order. A table-valued unknown
  // key usually means an unquoted name with a dot in it, e.g. [models.gpt-4.1].
  void CheckKeys(const toml::table& table, const std::string& path,
                 std::initializer_list<std::string_view> allowed) const {
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      if (std::ranges::find(allowed, name) != allowed.end()) {
        continue;
      }
      std::string message = "unknown key";
      std::string_view best = NearestName(name, std::vector<std::string_view>(allowed));
      if (!best.empty()) {
        message += "; did you mean \"" + std::string(best) + "\"?";
      } else {
        message += " (allowed here: " + JoinNames(allowed) + ")";
      }
      bool named_section = path.starts_with("providers.") || path.starts_with("models.") ||
                           path.starts_with("zones.");
      if (e.node->is_table() && named_section && path.find('[') == std::string::npos) {
        message += "; a name containing \".\" must be quoted, e.g. [" +
                   path.substr(0, path.find('.')) + ".\"" + path.substr(path.find('.') + 1) + "." +
                   std::string(name) + "\"]";
      }
      int line = LineOf(e.key->source());
      Fail(line > 0 ? line : LineOf(e.node->source()), Join(path, name), message);
    }
  }

  std::string String(const toml::node& node, const std::string& key) const {
    if (const auto* value = node.as_string()) {
      return value->get();
    }
    Fail(node, key, "must be a string, not " + TypeName(node));
  }

  int64_t Integer(const toml::node& node, const std::string& key, int64_t min, int64_t max) const {
    const auto* value = node.as_integer();
    if (value == nullptr) {
      Fail(node, key, "must be an integer, not " + TypeName(node));
    }
    int64_t v = value->get();
    if (v < min || v > max) {
      Fail(node, key,
           "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " +
               std::to_string(v));
    }
    return v;
  }

  // Integer milliseconds or a duration string. Zero only where it means something (drain).
  std::chrono::milliseconds Duration(const toml::node& node, const std::string& key,
                                     bool allow_zero) const {
    std::chrono::milliseconds result{0};
    if (const auto* integer = node.as_integer()) {
      if (integer->get() < 0) {
        Fail(node, key, "must not be negative");
      }
      auto parsed = ParseDuration(std::to_string(integer->get()) + "ms");
      if (!parsed) {
        Fail(node, key, "is too large");
      }
      result = *parsed;
    } else if (const auto* text = node.as_string()) {
      auto parsed = ParseDuration(text->get());
      if (!parsed) {
        Fail(node, key,
             "invalid duration " + Quote(text->get()) +
                 R"( (expected e.g. "500ms", "30s", "2m", "1h", or integer milliseconds))");
      }
      result = *parsed;
    } else {
      Fail(node, key,
           "must be a duration: integer milliseconds or a string like \"30s\", not " +
               TypeName(node));
    }
    if (result.count() == 0 && !allow_zero) {
      Fail(node, key, "must be greater than zero");
    }
    return result;
  }

  std::size_t Size(const toml::node& node, const std::string& key) const {
    std::size_t result = 0;
    if (const auto* integer = node.as_integer()) {
      if (integer->get() < 0) {
        Fail(node, key, "must not be negative");
      }
      result = static_cast<std::size_t>(integer->get());
    } else if (const auto* text = node.as_string()) {
      auto parsed = ParseByteSize(text->get());
      if (!parsed) {
        Fail(node, key,
             "invalid size " + Quote(text->get()) +
                 R"( (expected integer bytes or e.g. "512KiB", "32MiB", "1GiB", "1MB"))");
      }
      result = *parsed;
    } else {
      Fail(node, key,
           "must be a size: integer bytes or a string like \"32MiB\", not " + TypeName(node));
    }
    if (result == 0) {
      Fail(node, key, "must be greater than zero");
    }
    return result;
  }

  // Resolves a secret reference; only malformed references and unreadable files are errors.
  ResolvedSecret Secret(const toml::node& node, const std::string& key) const {
    const auto* text = node.as_string();
    if (text == nullptr) {
      Fail(node, key, "must be a string (a secret reference or literal), not " + TypeName(node));
    }
    ResolvedSecret secret = ResolveSecret(text->get(), base_dir_);
    if (!secret.error.empty()) {
      Fail(node, key, secret.error);
    }
    return secret;
  }

  std::string Path(const std::string& text) const {
    std::filesystem::path path(text);
    if (path.is_relative() && !base_dir_.empty()) {
      path = std::filesystem::path(base_dir_) / path;
    }
    return path.string();
  }

  void LoadServer(const toml::table& table, ServerConfig& server) const {
    CheckKeys(
        table, "server",
        {"host", "port", "master_key", "threads", "max_body_bytes", "max_header_bytes",
         "read_timeout", "idle_timeout", "write_timeout", "drain_timeout", "request_timeout"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("server", name);
      if (name == "host") {
        server.host = String(node, key);
        if (server.host.empty() || std::ranges::any_of(server.host, IsSpace)) {
          Fail(node, key, "must be a host name or IP address");
        }
      } else if (name == "port") {
        server.port = static_cast<uint16_t>(Integer(node, key, 0, 65535));
      } else if (name == "master_key") {
        ResolvedSecret secret = Secret(node, key);
        server.master_key_configured = true;
        server.master_key = secret.value;
        server.master_key_unset_reason = secret.unset;
        if (secret.value.empty() && secret.unset.empty()) {
          server.master_key_unset_reason = "server.master_key is empty";
        }
      } else if (name == "threads") {
        server.threads = static_cast<int>(Integer(node, key, 0, kMaxThreads));
      } else if (name == "max_body_bytes") {
        server.max_body_bytes = Size(node, key);
      } else if (name == "max_header_bytes") {
        server.max_header_bytes = Size(node, key);
      } else if (name == "read_timeout") {
        server.read_timeout = Duration(node, key, false);
      } else if (name == "idle_timeout") {
        server.idle_timeout = Duration(node, key, false);
      } else if (name == "write_timeout") {
        server.write_timeout = Duration(node, key, false);
      } else if (name == "drain_timeout") {
        server.drain_timeout = Duration(node, key, true);
      } else if (name == "request_timeout") {
        server.request_timeout = Duration(node, key, false);
      }
    }
  }

  // http(s)://host[:port][/path]; no credentials, query or fragment; trailing slashes stripped.
  std::string BaseUrl(const toml::node& node, const std::string& key) const {
    std::string url = String(node, key);
    std::string lower = url;
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t scheme_end = 0;
    if (lower.starts_with("http://")) {
      scheme_end = 7;
    } else if (lower.starts_with("https://")) {
      scheme_end = 8;
    } else {
      Fail(node, key, "\"" + url + "\" is not an http:// or https:// URL");
    }
    for (char c : url) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
        Fail(node, key, "\"" + url + "\" contains whitespace or control characters");
      }
    }
    if (url.find_first_of("?#") != std::string::npos) {
      Fail(node, key, "\"" + url + "\" must not have a query or fragment");
    }
    std::size_t path_start = url.find('/', scheme_end);
    std::string authority = url.substr(scheme_end, path_start - scheme_end);
    if (authority.find('@') != std::string::npos) {
      // Not echoed: the user-info part may hold a password.
      Fail(node, key, "must not contain credentials (user@host); use api_key or headers");
    }
    std::string host = authority;
    std::string port;
    if (authority.starts_with('[')) {
      std::size_t close = authority.find(']');
      if (close == std::string::npos) {
        Fail(node, key, "\"" + url + "\" has a malformed IPv6 address");
      }
      host = authority.substr(0, close + 1);
      std::string rest = authority.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':') {
          Fail(node, key, "\"" + url + "\" has a malformed host");
        }
        port = rest.substr(1);
      }
    } else if (std::size_t colon = authority.find(':'); colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) {
        Fail(node, key, "\"" + url + "\" has an empty port");
      }
    }
    if (host.empty() || host == "[]") {
      Fail(node, key, "\"" + url + "\" has no host");
    }
    if (!port.empty()) {
      bool digits = port.size() <= 5 && std::ranges::all_of(port, IsDigit);
      if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
        Fail(node, key, "\"" + url + "\" has an invalid port");
      }
    }
    while (url.size() > scheme_end && url.back() == '/') {
      url.pop_back();
    }
    return url;
  }

  void LoadHeaders(const toml::node& node, const std::string& key, ProviderConfig& provider) const {
    const toml::table& table = Table(node, key);
    for (const Entry& e : InFileOrder(table)) {
      std::string name(e.key->str());
      std::string header_key = Join(key, name);
      static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
      bool token = !name.empty() && std::ranges::all_of(name, [](char c) {
        return IsAlnum(c) || kTokenPunct.find(c) != std::string_view::npos;
      });
      if (!token) {
        Fail(*e.node, header_key, "is not a valid HTTP header name");
      }
      ResolvedSecret value = Secret(*e.node, header_key);
      if (value.value.find_first_of("\r\n", 0) != std::string::npos ||
          value.value.find('\0') != std::string::npos) {
        Fail(*e.node, header_key, "header value must not contain CR, LF or NUL");
      }
      if (!value.unset.empty() && provider.available) {
        provider.available = false;
        provider.unavailable_reason = value.unset;
      }
      provider.headers.emplace_back(std::move(name), std::move(value.value));
    }
  }

  // Settings that only some kinds take: api (ollama), api_version (azure), anthropic_version,
  // region and aws_profile (bedrock). A setting given to another kind is an error, so a typo in
  // the kind does not silently drop it.
  void LoadDialectSettings(const toml::table& table, const std::string& path,
                           const toml::node& kind_node, ProviderConfig& provider) const {
    auto only_for = [&](std::string_view key, std::string_view kind) -> const toml::node* {
      const toml::node* n = table.get(key);
      if (n != nullptr && provider.kind != kind) {
        Fail(*n, Join(path, key), "is only used by kind " + Quote(std::string(kind)));
      }
      return n;
    };
    if (const toml::node* n = only_for("api", "ollama")) {
      std::string api = String(*n, Join(path, "api"));
      if (api == "native") {
        provider.dialect = "ollama";
      } else if (api != "openai") {
        Fail(*n, Join(path, "api"),
             R"(must be "openai" (the /v1 OpenAI-compatible API) or "native" (/api/chat))");
      }
    }
    provider.api_version = "2024-10-21";
    if (const toml::node* n = only_for("api_version", "azure")) {
      provider.api_version = String(*n, Join(path, "api_version"));
    }
    provider.anthropic_version = "2023-06-01";
    if (const toml::node* n = only_for("anthropic_version", "anthropic")) {
      provider.anthropic_version = String(*n, Join(path, "anthropic_version"));
    }
    if (const toml::node* n = only_for("aws_profile", "bedrock")) {
      provider.aws_profile = String(*n, Join(path, "aws_profile"));
    }
    if (const toml::node* n = only_for("region", "bedrock")) {
      provider.region = String(*n, Join(path, "region"));
    } else if (provider.kind == "bedrock") {
      for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
        // Read at load only; nothing in Baton calls setenv.
        const char* v = std::getenv(var);  // NOLINT(concurrency-mt-unsafe)
        if (v != nullptr && *v != '\0') {
          provider.region = v;
          break;
        }
      }
      if (provider.region.empty()) {
        provider.region = "us-east-1";
      }
    }
    bool region_ok =
        std::ranges::all_of(provider.region, [](char c) { return IsAlnum(c) || c == '-'; });
    if (!region_ok) {
      Fail(kind_node, Join(path, "region"), "is not a valid AWS region name");
    }
  }

  ProviderConfig LoadProvider(const toml::key& name_key, const toml::node& node) const {
    ProviderConfig provider;
    provider.name = std::string(name_key.str());
    std::string path = Join("providers", provider.name);
    if (!node.is_table()) {
      Fail(node, path,
           "must be a table: each provider is its own [providers.NAME] section, not " +
               TypeName(node));
    }
    int header_line =
        LineOf(name_key.source()) > 0 ? LineOf(name_key.source()) : LineOf(node.source());
    bool valid_name = !provider.name.empty() && std::ranges::all_of(provider.name, [](char c) {
      return IsAlnum(c) || c == '_' || c == '-' || c == '.';
    });
    if (!valid_name) {
      Fail(header_line, path, "provider names may contain only letters, digits, '_', '-' and '.'");
    }
    const toml::table& table = Table(node, path);
    CheckKeys(table, path,
              {"kind", "base_url", "api_key", "headers", "ca_file", "connect_timeout",
               "first_byte_timeout", "idle_timeout", "models", "api", "api_version",
               "anthropic_version", "region", "aws_profile"});

    const toml::node* kind_node = table.get("kind");
    if (kind_node == nullptr) {
      Fail(header_line, path + ".kind",
           "is required (e.g. kind = \"openai-compatible\"; known: " + KnownKinds() + ")");
    }
    provider.kind = String(*kind_node, path + ".kind");
    const ProviderKind* kind = FindProviderKind(provider.kind);
    if (kind == nullptr) {
      Fail(*kind_node, path + ".kind",
           "unknown provider kind \"" + provider.kind + "\" (known: " + KnownKinds() + ")");
    }
    provider.dialect = std::string(kind->dialect);
    LoadDialectSettings(table, path, *kind_node, provider);
    bool builtin = provider.kind == "echo";
    if (builtin) {
      for (std::string_view unsupported : {"base_url", "api_key", "headers", "ca_file"}) {
        if (const toml::node* n = table.get(unsupported)) {
          Fail(*n, Join(path, unsupported),
               "kind \"echo\" is a built-in local provider and takes no " +
                   std::string(unsupported));
        }
      }
    }

    if (const toml::node* n = table.get("base_url")) {
      provider.base_url = BaseUrl(*n, path + ".base_url");
    } else if (!kind->base_url.empty()) {
      provider.base_url = std::string(kind->base_url);
      if (provider.dialect == "ollama") {
        provider.base_url = "http://127.0.0.1:11434";  // the native API is at the root
      }
    } else if (provider.kind == "bedrock") {
      provider.base_url = "https://bedrock-runtime." + provider.region + ".amazonaws.com";
    } else if (!builtin) {
      Fail(header_line, path + ".base_url",
           "is required for kind " + Quote(provider.kind) +
               R"( (e.g. base_url = "http://host:port/v1"))");
    }

    if (const toml::node* n = table.get("api_key")) {
      ResolvedSecret secret = Secret(*n, path + ".api_key");
      provider.api_key = std::move(secret.value);
      provider.api_key_ref = std::move(secret.ref);
      if (!secret.unset.empty()) {
        provider.available = false;
        provider.unavailable_reason = secret.unset;
      }
    } else if (!kind->key_env.empty()) {
      ResolvedSecret secret = ResolveSecret("os.environ/" + std::string(kind->key_env), base_dir_);
      provider.api_key = std::move(secret.value);
      provider.api_key_ref = std::move(secret.ref);
      if (!secret.unset.empty()) {
        provider.available = false;
        provider.unavailable_reason = secret.unset;
      }
    }

    if (const toml::node* n = table.get("headers")) {
      LoadHeaders(*n, path + ".headers", provider);
    }
    if (const toml::node* n = table.get("ca_file")) {
      std::string key = path + ".ca_file";
      std::string text = String(*n, key);
      if (text.empty()) {
        Fail(*n, key, "must not be empty");
      }
      provider.ca_file = Path(text);
      std::error_code ec;
      if (std::filesystem::is_directory(provider.ca_file, ec)) {
        Fail(*n, key, "\"" + provider.ca_file + "\" is a directory, not a PEM file");
      }
      std::ifstream in(provider.ca_file);
      if (!in) {
        Fail(*n, key,
             "cannot read \"" + provider.ca_file + "\": " + std::generic_category().message(errno));
      }
    }
    if (const toml::node* n = table.get("connect_timeout")) {
      provider.timeouts.connect = Duration(*n, path + ".connect_timeout", false);
    }
    if (const toml::node* n = table.get("first_byte_timeout")) {
      provider.timeouts.first_byte = Duration(*n, path + ".first_byte_timeout", false);
    }
    if (const toml::node* n = table.get("idle_timeout")) {
      provider.timeouts.idle = Duration(*n, path + ".idle_timeout", false);
    }
    if (const toml::node* n = table.get("models")) {
      std::string key = path + ".models";
      const toml::array* array = n->as_array();
      if (array == nullptr) {
        Fail(*n, key, "must be an array of model names, not " + TypeName(*n));
      }
      for (const toml::node& item : *array) {
        std::string model = String(item, key);
        if (model.empty()) {
          Fail(item, key, "model names must not be empty");
        }
        provider.models.push_back(std::move(model));
      }
    }
    return provider;
  }

  // A number that may be written as an integer or a float (2.5e-6, 0); finite and >= 0.
  double NonNegativeNumber(const toml::node& node, const std::string& key) const {
    double v = 0;
    if (const auto* integer = node.as_integer()) {
      v = static_cast<double>(integer->get());
    } else if (const auto* floating = node.as_floating_point()) {
      v = floating->get();
    } else {
      Fail(node, key, "must be a number, not " + TypeName(node));
    }
    if (!std::isfinite(v)) {
      Fail(node, key, "must be a finite number");
    }
    if (v < 0) {
      Fail(node, key, "must not be negative");
    }
    return v;
  }

  // An array of non-empty strings; each returned with its node (for the line of later errors).
  std::vector<std::pair<const toml::node*, std::string>> StringList(const toml::node& node,
                                                                    const std::string& key,
                                                                    std::string_view what) const {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      Fail(node, key, "must be an array of " + std::string(what) + ", not " + TypeName(node));
    }
    std::vector<std::pair<const toml::node*, std::string>> out;
    for (const toml::node& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) {
        Fail(item, key,
             "must be an array of " + std::string(what) + ", not an array holding " +
                 TypeName(item));
      }
      if (text->get().empty()) {
        Fail(item, key, "entries must not be empty");
      }
      out.emplace_back(&item, text->get());
    }
    return out;
  }

  // "provider/model" whose provider is defined. `label` starts the messages ("deployment ").
  std::string Target(const toml::node& node, const std::string& key, const Config& config,
                     const std::string& label) const {
    std::string target = String(node, key);
    std::size_t slash = target.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == target.size()) {
      Fail(node, key, label + Quote(target) + R"( must be "provider/model")");
    }
    std::string provider = target.substr(0, slash);
    if (config.FindProvider(provider) == nullptr) {
      Fail(node, key,
           label + Quote(target) + " names provider " + Quote(provider) +
               ", which is not defined in [providers]");
    }
    return target;
  }

  RouteStrategy Strategy(const toml::node& node, const std::string& key) const {
    std::string name = String(node, key);
    if (auto strategy = ParseRouteStrategy(name)) {
      return *strategy;
    }
    Fail(node, key,
         "unknown strategy " + Quote(name) +
             " (valid: priority, weighted, least-busy, lowest-latency, lowest-cost)");
  }

  FallbackMode Fallback(const toml::node& node, const std::string& key) const {
    std::string name = String(node, key);
    if (auto mode = ParseFallbackMode(name)) {
      return *mode;
    }
    Fail(node, key, "unknown fallback " + Quote(name) + " (valid: priority, same-model, none)");
  }

  void LoadRouter(const toml::table& table, Config& config) const {
    RouterConfig& router = config.router;
    CheckKeys(
        table, "router",
        {"strategy", "fallback", "max_retries", "retry_backoff", "max_retry_wait", "allowed_fails",
         "fail_window", "cooldown", "priorities", "discovery_ttl", "state_file"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("router", name);
      if (name == "strategy") {
        router.strategy = Strategy(node, key);
      } else if (name == "fallback") {
        router.fallback = Fallback(node, key);
      } else if (name == "max_retries") {
        router.max_retries = static_cast<int>(Integer(node, key, 0, kMaxRetries));
      } else if (name == "retry_backoff") {
        router.retry_backoff = Duration(node, key, true);
      } else if (name == "max_retry_wait") {
        router.max_retry_wait = Duration(node, key, true);
      } else if (name == "allowed_fails") {
        router.allowed_fails = static_cast<int>(Integer(node, key, 0, kMaxAllowedFails));
      } else if (name == "fail_window") {
        router.fail_window = Duration(node, key, false);
      } else if (name == "cooldown") {
        router.cooldown = Duration(node, key, true);  // 0 disables cooldowns
      } else if (name == "priorities") {
        for (auto& [item, text] : StringList(node, key, "\"provider/model\" strings")) {
          router.priorities.push_back(Target(*item, key, config, ""));
        }
      } else if (name == "discovery_ttl") {
        router.discovery_ttl = Duration(node, key, false);
      } else if (name == "state_file") {
        // Empty = the default location, resolved by the app (DefaultRouterStatePath).
        std::string text = String(node, key);
        router.state_file = text.empty() ? "" : Path(text);
      }
    }
  }

  bool Flag(const toml::node& node, const std::string& key) const {
    if (const auto* b = node.as_boolean()) {
      return b->get();
    }
    Fail(node, key, "must be true or false, not " + TypeName(node));
  }

  // A budget period as keys and teams write it (LiteLLM's syntax): a positive integer and one of
  // s, m, h, d, mo.
  std::string BudgetPeriod(const toml::node& node, const std::string& key) const {
    std::string text = String(node, key);
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      ++digits;
    }
    std::string_view unit = std::string_view(text).substr(digits);
    const bool unit_ok = unit == "s" || unit == "m" || unit == "h" || unit == "d" || unit == "mo";
    if (digits == 0 || digits > 9 || text[0] == '0' || !unit_ok) {
      Fail(node, key, R"(must be a period like "30s", "12h", "1d", "30d" or "1mo")");
    }
    return text;
  }

  void LoadBudget(const toml::table& table, BudgetConfig& budget) const {
    CheckKeys(table, "budget", {"daily", "hard_stop", "warning_threshold", "default_max_tokens"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("budget", name);
      if (name == "daily") {
        budget.daily = NonNegativeNumber(node, key);
      } else if (name == "hard_stop") {
        budget.hard_stop = Flag(node, key);
      } else if (name == "warning_threshold") {
        budget.warning_threshold = NonNegativeNumber(node, key);
        if (budget.warning_threshold > 1) {
          Fail(node, key, "must be a fraction between 0 and 1 (0.8 = at 80 % of a budget)");
        }
      } else if (name == "default_max_tokens") {
        budget.default_max_tokens = Integer(node, key, 0, 10'000'000);
      }
    }
  }

  void LoadStore(const toml::table& table, StoreConfig& store) const {
    CheckKeys(table, "store", {"path", "url"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("store", name);
      if (name == "path") {
        // Empty = the default location, resolved by the app (DefaultStorePath).
        std::string text = String(node, key);
        store.path = text.empty() ? "" : Path(text);
      } else if (name == "url") {
        ResolvedSecret secret = Secret(node, key);
        store.url_configured = true;
        store.url = secret.value;
        store.url_unset_reason = secret.unset;
        if (secret.value.empty() && secret.unset.empty()) {
          store.url_unset_reason = "store.url is empty";
        }
        // The URL may hold a password: the message names the expected form, never the value.
        if (!store.url.empty() && !store.url.starts_with("postgresql://") &&
            !store.url.starts_with("postgres://")) {
          Fail(node, key,
               "must be a PostgreSQL URL \"postgresql://user:password@host:port/database\" "
               "(for SQLite set store.path instead)");
        }
      }
    }
    if (store.url_configured && !store.path.empty()) {
      Fail(LineOf(table.source()), "store",
           "set either path (SQLite) or url (PostgreSQL), not both");
    }
  }

  bool Bool(const toml::node& node, const std::string& key) const {
    if (const auto* value = node.as_boolean()) {
      return value->get();
    }
    Fail(node, key, "must be true or false, not " + TypeName(node));
  }

  void LoadLog(const toml::table& table, LogConfig& log) const {
    CheckKeys(table, "log",
              {"dir", "enabled", "max_size", "rotate_daily", "content", "encrypt_key", "queue",
               "on_failure", "fsync"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("log", name);
      if (name == "dir") {
        // Empty = the default location, resolved by the app (DefaultLogDir).
        std::string text = String(node, key);
        log.dir = text.empty() ? "" : Path(text);
      } else if (name == "enabled") {
        log.enabled = Bool(node, key);
      } else if (name == "max_size") {
        log.max_size = Size(node, key);
        if (log.max_size < 4096) {
          Fail(node, key, "must be at least 4KiB");
        }
      } else if (name == "rotate_daily") {
        log.rotate_daily = Bool(node, key);
      } else if (name == "content") {
        log.content = Bool(node, key);
      } else if (name == "encrypt_key") {
        ResolvedSecret secret = Secret(node, key);
        log.encrypt_key_ref = secret.ref;
        if (node.as_string()->get().empty()) {
          continue;  // "" = no encryption, like absent
        }
        log.encrypt_key_configured = true;
        log.encrypt_key = secret.value;
        log.encrypt_key_unset_reason = secret.unset;
        // Never echo the value: it is the key.
        if (!log.encrypt_key.empty() && !IsValidLogKeyText(log.encrypt_key)) {
          Fail(node, key,
               "must be a 32-byte key written as 64 hex characters or base64 (e.g. the output "
               "of `openssl rand -hex 32`)");
        }
      } else if (name == "queue") {
        log.queue = static_cast<std::size_t>(Integer(node, key, 1, 100'000'000));
      } else if (name == "on_failure") {
        std::string mode = String(node, key);
        if (mode == "refuse") {
          log.on_failure = LogFailureMode::kRefuse;
        } else if (mode == "serve") {
          log.on_failure = LogFailureMode::kServe;
        } else {
          Fail(node, key, "unknown mode " + Quote(mode) + " (valid: refuse, serve)");
        }
      } else if (name == "fsync") {
        log.fsync = Bool(node, key);
      }
    }
  }

  void LoadCluster(const toml::table& table, ClusterConfig& cluster) const {
    CheckKeys(table, "cluster", {"redis_url", "key_prefix", "on_redis_error", "timeout"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("cluster", name);
      if (name == "redis_url") {
        ResolvedSecret secret = Secret(node, key);
        cluster.redis_url_configured = true;
        cluster.redis_url = secret.value;
        cluster.redis_url_unset_reason = secret.unset;
        if (secret.value.empty() && secret.unset.empty()) {
          cluster.redis_url_unset_reason = "cluster.redis_url is empty";
        }
        // The URL may hold a password: the message names the expected form, never the value.
        if (!cluster.redis_url.empty() && !cluster.redis_url.starts_with("redis://")) {
          Fail(node, key, "must be a Redis URL \"redis://[:PASSWORD@]HOST[:PORT][/DB]\"");
        }
      } else if (name == "key_prefix") {
        cluster.key_prefix = String(node, key);
        const bool printable =
            std::ranges::all_of(cluster.key_prefix, [](char c) { return c > ' ' && c < 127; });
        if (cluster.key_prefix.empty() || !printable) {
          Fail(node, key, "must be non-empty printable ASCII without spaces, e.g. \"baton:\"");
        }
      } else if (name == "on_redis_error") {
        std::string text = String(node, key);
        if (text == "closed") {
          cluster.on_redis_error = RedisErrorPolicy::kClosed;
        } else if (text == "open") {
          cluster.on_redis_error = RedisErrorPolicy::kOpen;
        } else {
          Fail(node, key, R"(must be "closed" or "open", not )" + Quote(text));
        }
      } else if (name == "timeout") {
        cluster.timeout = Duration(node, key, false);
      }
    }
  }

  void LoadEvents(const toml::table& table, EventsConfig& events) const {
    CheckKeys(table, "events", {"enabled", "stream", "max_len", "subscriber_queue"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("events", name);
      if (name == "enabled") {
        events.enabled = Bool(node, key);
      } else if (name == "stream") {
        events.stream = String(node, key);
        const bool printable =
            std::ranges::all_of(events.stream, [](char c) { return c > ' ' && c < 127; });
        if (events.stream.empty() || !printable) {
          Fail(node, key,
               "must be a non-empty Redis key of printable ASCII without spaces, e.g. "
               "\"agent.events\"");
        }
      } else if (name == "max_len") {
        events.max_len = Integer(node, key, 1, 1'000'000'000);
      } else if (name == "subscriber_queue") {
        events.subscriber_queue = Integer(node, key, 16, 1 << 20);
      }
    }
  }

  void LoadMetrics(const toml::table& table, MetricsConfig& metrics) const {
    CheckKeys(table, "metrics", {"enabled"});
    if (const toml::node* enabled = table.get("enabled")) {
      metrics.enabled = Bool(*enabled, "metrics.enabled");
    }
  }

  void LoadSigning(const toml::table& table, SigningConfig& signing) const {
    CheckKeys(table, "signing", {"secret"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string key = Join("signing", name);
      if (name == "secret") {
        ResolvedSecret secret = Secret(node, key);
        signing.secret_ref = secret.ref;
        if (node.as_string()->get().empty()) {
          continue;  // "" = not signing, like absent
        }
        signing.secret_configured = true;
        signing.secret = secret.value;
        signing.secret_unset_reason = secret.unset;
        // Never echo the value: it is the key.
        if (!signing.secret.empty() && signing.secret.size() < 16) {
          Fail(node, key, "is too short: use at least 16 characters (e.g. `openssl rand -hex 32`)");
        }
      }
    }
  }

  // One entry of deployments = [...]: "provider/model" or { target = "provider/model", ... }.
  DeploymentConfig LoadDeployment(const toml::node& item, const std::string& key, std::size_t index,
                                  const Config& config) const {
    DeploymentConfig dc;
    if (item.is_string()) {
      dc.target = Target(item, key, config, "deployment ");
      return dc;
    }
    const toml::table* table = item.as_table();
    if (table == nullptr) {
      Fail(
          item, key,
          R"(entries must be "provider/model" strings or inline tables { target = "provider/model", ... }, not )" +
              TypeName(item));
    }
    std::string path = key + "[" + std::to_string(index) + "]";
    CheckKeys(*table, path,
              {"target", "priority", "weight", "timeout", "rpm", "tpm", "max_tokens",
               "context_window", "input_cost_per_token", "output_cost_per_token"});
    const toml::node* target = table->get("target");
    if (target == nullptr) {
      Fail(item, path + ".target",
           R"(is required (e.g. { target = "provider/model", weight = 2 }))");
    }
    dc.target = Target(*target, path + ".target", config, "deployment ");
    for (const Entry& e : InFileOrder(*table)) {
      std::string_view name = e.key->str();
      const toml::node& node = *e.node;
      std::string field = Join(path, name);
      if (name == "priority") {
        dc.priority = static_cast<int>(Integer(node, field, -kMaxPriority, kMaxPriority));
      } else if (name == "weight") {
        dc.weight = static_cast<int>(Integer(node, field, 0, kMaxWeight));
      } else if (name == "timeout") {
        dc.timeout = Duration(node, field, true);  // 0 = none of its own
      } else if (name == "rpm") {
        dc.rpm = Integer(node, field, 0, kMaxInt64);
      } else if (name == "tpm") {
        dc.tpm = Integer(node, field, 0, kMaxInt64);
      } else if (name == "max_tokens") {
        dc.max_tokens = Integer(node, field, 0, kMaxInt64);
      } else if (name == "context_window") {
        dc.context_window = Integer(node, field, 0, kMaxInt64);
      } else if (name == "input_cost_per_token") {
        dc.input_cost_per_token = NonNegativeNumber(node, field);
      } else if (name == "output_cost_per_token") {
        dc.output_cost_per_token = NonNegativeNumber(node, field);
      }
    }
    return dc;
  }

  ModelAlias LoadModel(const toml::key& name_key, const toml::node& node, const Config& config) {
    ModelAlias alias;
    alias.name = std::string(name_key.str());
    std::string path = Join("models", alias.name);
    if (!node.is_table()) {
      Fail(node, path,
           "must be a table: each alias is its own [models.NAME] section with deployments = "
           "[...], not " +
               TypeName(node));
    }
    int header_line =
        LineOf(name_key.source()) > 0 ? LineOf(name_key.source()) : LineOf(node.source());
    bool valid_name = !alias.name.empty() && std::ranges::all_of(alias.name, [](char c) {
      return IsAlnum(c) || c == '_' || c == '-' || c == '.' || c == ':';
    });
    if (!valid_name) {
      Fail(header_line, path,
           "model names may contain only letters, digits, '_', '-', '.' and ':' (clients ask for "
           "\"provider/model\" directly without an alias)");
    }
    const toml::table& table = Table(node, path);
    CheckKeys(
        table, path,
        {"deployments", "strategy", "fallback", "max_retries", "context_fallbacks", "rpm", "tpm"});
    std::string key = path + ".deployments";
    const toml::node* deployments = table.get("deployments");
    if (deployments == nullptr) {
      Fail(header_line, key, "is required (e.g. deployments = [\"provider/model\"])");
    }
    const toml::array* array = deployments->as_array();
    if (array == nullptr) {
      Fail(*deployments, key,
           "must be an array of \"provider/model\" strings or { target = ... } tables, not " +
               TypeName(*deployments));
    }
    if (array->empty()) {
      Fail(*deployments, key, "must list at least one \"provider/model\"");
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      alias.deployments.push_back(LoadDeployment(*array->get(i), key, i, config));
    }
    // Absent = [router]'s, filled in here so the engine reads one place; max_retries stays -1.
    alias.strategy = config.router.strategy;
    alias.fallback = config.router.fallback;
    if (const toml::node* n = table.get("strategy")) {
      alias.strategy = Strategy(*n, path + ".strategy");
    }
    if (const toml::node* n = table.get("fallback")) {
      alias.fallback = Fallback(*n, path + ".fallback");
    }
    if (const toml::node* n = table.get("max_retries")) {
      alias.max_retries = static_cast<int>(Integer(*n, path + ".max_retries", 0, kMaxRetries));
    }
    if (const toml::node* n = table.get("rpm")) {
      alias.rpm = Integer(*n, path + ".rpm", 0, kMaxInt64);
    }
    if (const toml::node* n = table.get("tpm")) {
      alias.tpm = Integer(*n, path + ".tpm", 0, kMaxInt64);
    }
    if (const toml::node* n = table.get("context_fallbacks")) {
      std::string list_key = path + ".context_fallbacks";
      for (auto& [item, model] :
           StringList(*n, list_key, "aliases or \"provider/model\" strings")) {
        model_refs_.push_back({item, list_key, model, alias.name});
        alias.context_fallbacks.push_back(std::move(model));
      }
    }
    return alias;
  }

  ZoneConfig LoadZone(const toml::key& name_key, const toml::node& node, const Config& config) {
    ZoneConfig zone;
    zone.name = std::string(name_key.str());
    std::string path = Join("zones", zone.name);
    if (!node.is_table()) {
      Fail(node, path,
           "must be a table: each zone is its own [zones.NAME] section, not " + TypeName(node));
    }
    int header_line =
        LineOf(name_key.source()) > 0 ? LineOf(name_key.source()) : LineOf(node.source());
    if (!IsPlainName(zone.name)) {
      Fail(header_line, path, "zone names may contain only letters, digits, '_', '-' and '.'");
    }
    const toml::table& table = Table(node, path);
    CheckKeys(table, path,
              {"default_model", "allowed_providers", "allowed_models", "rpm", "tpm", "max_budget",
               "budget_duration", "hard_stop"});
    for (const Entry& e : InFileOrder(table)) {
      std::string_view name = e.key->str();
      const toml::node& value = *e.node;
      std::string key = Join(path, name);
      if (name == "default_model") {
        zone.default_model = String(value, key);
        if (!zone.default_model.empty()) {  // "" = none, like absent
          model_refs_.push_back({&value, key, zone.default_model, ""});
        }
      } else if (name == "allowed_providers") {
        for (auto& [item, provider] : StringList(value, key, "provider names")) {
          if (config.FindProvider(provider) == nullptr) {
            Fail(*item, key, "provider " + Quote(provider) + " is not defined in [providers]");
          }
          zone.allowed_providers.push_back(std::move(provider));
        }
      } else if (name == "allowed_models") {
        for (auto& [item, model] :
             StringList(value, key, "aliases or \"provider/model\" strings")) {
          model_refs_.push_back({item, key, model, ""});
          zone.allowed_models.push_back(std::move(model));
        }
      } else if (name == "rpm") {
        zone.rpm = Integer(value, key, 0, kMaxInt64);
      } else if (name == "tpm") {
        zone.tpm = Integer(value, key, 0, kMaxInt64);
      } else if (name == "max_budget") {
        zone.max_budget = NonNegativeNumber(value, key);
      } else if (name == "budget_duration") {
        zone.budget_duration = BudgetPeriod(value, key);
      } else if (name == "hard_stop") {
        zone.hard_stop = Flag(value, key);
      }
    }
    return zone;
  }

  void LoadDefaults(const toml::table& table, Config& config) {
    for (const Entry& e : InFileOrder(table)) {
      std::string task(e.key->str());
      std::string key = Join("defaults", task);
      int line = LineOf(e.key->source()) > 0 ? LineOf(e.key->source()) : LineOf(e.node->source());
      if (!IsPlainName(task)) {
        Fail(line, key, "task names may contain only letters, digits, '_', '-' and '.'");
      }
      std::string model = String(*e.node, key);
      if (model.empty()) {
        Fail(*e.node, key, R"(must name a model (an alias, "auto" or "provider/model"))");
      }
      model_refs_.push_back({e.node, key, model, ""});
      config.defaults.push_back({std::move(task), std::move(model)});
    }
  }

  // An alias (defined anywhere in the file), the automatic model, or "provider/model" with a
  // defined provider.
  void CheckModelRef(const ModelRef& ref, const Config& config) const {
    const std::string& model = ref.model;
    if (model == kAutoModel || model == kAutoModelAlt) {
      return;
    }
    if (model.find('/') != std::string::npos) {
      Target(*ref.node, ref.key, config, "model ");
      return;
    }
    if (!ref.owner.empty() && model == ref.owner) {
      Fail(*ref.node, ref.key, "alias " + Quote(model) + " cannot be its own context fallback");
    }
    if (config.FindAlias(model) != nullptr) {
      return;
    }
    std::string message = "model " + Quote(model) +
                          R"( is not an alias defined in [models], "auto", or "provider/model")";
    std::vector<std::string_view> aliases;
    aliases.reserve(config.models.size());
    for (const ModelAlias& alias : config.models) {
      aliases.push_back(alias.name);
    }
    std::string_view best = NearestName(model, aliases);
    if (!best.empty()) {
      message += "; did you mean " + Quote(best) + "?";
    }
    Fail(*ref.node, ref.key, message);
  }

  static std::string KnownKinds() {
    std::vector<std::string_view> names;
    for (const ProviderKind& kind : ProviderKinds()) {
      names.push_back(kind.kind);
    }
    return JoinNames(names);
  }

  std::string source_;
  std::string base_dir_;
  std::vector<ModelRef> model_refs_;  // checked at the end of Load
};

}  // namespace

const ProviderConfig* Config::FindProvider(std::string_view name) const {
  for (const ProviderConfig& provider : providers) {
    if (provider.name == name) {
      return &provider;
    }
  }
  return nullptr;
}

const ZoneConfig* Config::FindZone(std::string_view name) const {
  for (const ZoneConfig& zone : zones) {
    if (zone.name == name) {
      return &zone;
    }
  }
  return nullptr;
}

const TaskDefault* Config::FindTask(std::string_view task) const {
  for (const TaskDefault& d : defaults) {
    if (d.task == task) {
      return &d;
    }
  }
  return nullptr;
}

std::string_view RouteStrategyName(RouteStrategy strategy) {
  switch (strategy) {
    case RouteStrategy::kPriority:
      return "priority";
    case RouteStrategy::kWeighted:
      return "weighted";
    case RouteStrategy::kLeastBusy:
      return "least-busy";
    case RouteStrategy::kLowestLatency:
      return "lowest-latency";
    case RouteStrategy::kLowestCost:
      return "lowest-cost";
  }
  return "priority";
}

std::string_view FallbackModeName(FallbackMode mode) {
  switch (mode) {
    case FallbackMode::kPriority:
      return "priority";
    case FallbackMode::kSameModel:
      return "same-model";
    case FallbackMode::kNone:
      return "none";
  }
  return "priority";
}

const ModelAlias* Config::FindAlias(std::string_view name) const {
  for (const ModelAlias& alias : models) {
    if (alias.name == name) {
      return &alias;
    }
  }
  return nullptr;
}

Config LoadConfigString(std::string_view toml_text, const std::string& source,
                        const std::string& base_dir) {
  return Loader(source, base_dir).Load(toml_text);
}

Config LoadConfigString(std::string_view toml_text, const std::string& source) {
  return LoadConfigString(toml_text, source, "");
}

Config LoadConfigFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, 0, "", "cannot read config: it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, 0, "",
                      std::string("cannot read config: ") + std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path, 0, "",
                      std::string("cannot read config: ") + std::generic_category().message(errno));
  }
  std::string base_dir = std::filesystem::path(path).parent_path().string();
  return LoadConfigString(text.str(), path, base_dir.empty() ? "." : base_dir);
}

}  // namespace baton
