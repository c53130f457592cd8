// Baton's configuration: the parsed, validated, immutable snapshot of `baton.toml`.
//
// Loading happens at startup (and later on reload) and may throw ConfigError, whose what() names
// the file, line and key. Once built, a Config is never mutated; the running gateway holds it as
// std::shared_ptr<const Config> so requests in flight keep the snapshot they started with.
// Thread-safety: a built Config is immutable and safe to share.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace baton {

// Thrown by the loaders. what() is "FILE:LINE: KEY: MESSAGE" (LINE omitted when unknown).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string key, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& key() const { return key_; }

 private:
  std::string file_;
  int line_;
  std::string key_;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 4000;
  std::string master_key;  // resolved value; empty = open (local use only)
  bool master_key_configured = false;  // a master_key entry exists (even if its env var is unset)
  int threads = 0;                     // 0 = one per core
  std::size_t max_body_bytes = 32u << 20;
  std::size_t max_header_bytes = 64u << 10;
  std::chrono::milliseconds read_timeout{30'000};     // whole request, once its first byte came
  std::chrono::milliseconds idle_timeout{75'000};     // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{30'000};    // one write to a slow client
  std::chrono::milliseconds drain_timeout{15'000};    // graceful shutdown deadline
  std::chrono::milliseconds request_timeout{600'000};  // one request end to end, all attempts
};

// Timeouts of calls to one provider.
struct UpstreamTimeouts {
  std::chrono::milliseconds connect{5'000};       // TCP + TLS handshake (+ proxy CONNECT)
  std::chrono::milliseconds first_byte{120'000};  // request sent → response head
  std::chrono::milliseconds idle{60'000};         // between two reads of the body
};

struct ProviderConfig {
  std::string name;      // key under [providers.NAME]; the prefix of "NAME/model" ids
  std::string kind;      // "openai", "openai-compatible", a preset ("groq", ...), "echo",
                         // "ollama", "anthropic", ...
  std::string dialect;   // wire dialect the upstream speaks: "openai", "anthropic", "echo"
  std::string base_url;  // e.g. "https://api.openai.com/v1"; no trailing slash
  std::string api_key;   // resolved secret; empty when none
  std::string api_key_ref;  // as written in the file (for messages; never the secret itself)
  bool available = true;    // false when the key references an unset variable
  std::string unavailable_reason;  // why not available (no secret values in it)
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers sent upstream
  std::string ca_file;  // extra CA bundle (PEM) trusted for this provider, besides the system's
  UpstreamTimeouts timeouts;
  std::vector<std::string> models;  // models listed in /v1/models as "NAME/model" (optional)
};

struct ModelAlias {
  std::string name;                      // what clients send as "model"
  std::vector<std::string> deployments;  // "provider/model", priority order
};

struct Config {
  std::string source;  // file path, or "<built-in default>"
  ServerConfig server;
  std::vector<ProviderConfig> providers;  // in file order
  std::vector<ModelAlias> models;         // in file order

  const ProviderConfig* FindProvider(std::string_view name) const;
  const ModelAlias* FindAlias(std::string_view name) const;
};

// Parses and validates TOML text. `source` names the file in errors.
Config LoadConfigString(std::string_view toml_text, const std::string& source);
// Reads and parses a file. Throws ConfigError when it cannot be read or is invalid.
Config LoadConfigFile(const std::string& path);
// The embedded default configuration (TOML text), used when no file exists.
std::string_view DefaultConfigToml();
// `~/.config/baton/baton.toml` (honouring XDG_CONFIG_HOME).
std::string DefaultConfigPath();

// Known provider presets: kind → OpenAI-compatible base URL and the env var holding its key.
struct ProviderPreset {
  std::string_view kind;
  std::string_view base_url;
  std::string_view key_env;  // empty when no key is needed (local servers)
};
const ProviderPreset* FindPreset(std::string_view kind);

}  // namespace baton
