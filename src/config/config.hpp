// Baton's configuration: the parsed, validated, immutable snapshot of `baton.toml`.
//
// Loading happens at startup (and later on reload) and may throw ConfigError, whose what() names
// the file, line and key. Once built, a Config is never mutated; the running gateway holds it as
// std::shared_ptr<const Config> so requests in flight keep the snapshot they started with.
// Thread-safety: a built Config is immutable and safe to share.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace baton {

// Thrown by the loaders. what() is "FILE:LINE: KEY: MESSAGE" (LINE omitted when unknown).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, std::string key, const std::string& message);
  const std::string& file() const { return file_; }  // NOLINT(readability-identifier-naming)
  int line() const { return line_; }                 // NOLINT(readability-identifier-naming)
  const std::string& key() const { return key_; }    // NOLINT(readability-identifier-naming)

 private:
  std::string file_;
  int line_;
  std::string key_;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 4000;
  std::string master_key;              // resolved value; empty = open (local use only)
  bool master_key_configured = false;  // a master_key entry exists (even if its env var is unset)
  // When master_key_configured but master_key is empty: why, e.g. "BATON_MASTER_KEY is not set"
  // (never a secret value). The app refuses to start in that case.
  std::string master_key_unset_reason;
  int threads = 0;  // 0 = one per core
  std::size_t max_body_bytes = 32U << 20;
  std::size_t max_header_bytes = 64U << 10;
  std::chrono::milliseconds read_timeout{30'000};      // whole request, once its first byte came
  std::chrono::milliseconds idle_timeout{75'000};      // keep-alive connection with no request
  std::chrono::milliseconds write_timeout{30'000};     // one write to a slow client
  std::chrono::milliseconds drain_timeout{15'000};     // graceful shutdown deadline
  std::chrono::milliseconds request_timeout{600'000};  // one request end to end, all attempts
};

// Timeouts of calls to one provider.
struct UpstreamTimeouts {
  std::chrono::milliseconds connect{5'000};       // TCP + TLS handshake (+ proxy CONNECT)
  std::chrono::milliseconds first_byte{120'000};  // request sent → response head
  std::chrono::milliseconds idle{60'000};         // between two reads of the body
};

struct ProviderConfig {
  std::string name;         // key under [providers.NAME]; the prefix of "NAME/model" ids
  std::string kind;         // "openai", "openai-compatible", a preset ("groq", ...), "echo",
                            // "ollama", "anthropic", ...
  std::string dialect;      // wire dialect the upstream speaks: "openai", "anthropic", "gemini",
                            // "echo"
  std::string base_url;     // e.g. "https://api.openai.com/v1"; no trailing slash
  std::string api_key;      // resolved secret; empty when none
  std::string api_key_ref;  // as written in the file (for messages; never the secret itself):
                            // "os.environ/NAME", "env:NAME", "file:PATH", "<literal>" or ""
  bool available = true;    // false when the key (or a header) references an unset variable or
                            // a missing file
  std::string unavailable_reason;  // why not available (no secret values in it)
  // Extra headers sent upstream, in file order. Values may be secret references (resolved here);
  // an unset variable makes the provider unavailable.
  std::vector<std::pair<std::string, std::string>> headers;
  // Extra CA bundle (PEM) trusted for this provider, besides the system's. A relative path in the
  // file is resolved against the config file's directory; checked readable at load.
  std::string ca_file;
  UpstreamTimeouts timeouts;
  std::vector<std::string> models;  // models listed in /v1/models as "NAME/model" (optional)
  // Dialect-specific settings (each only read by its kind):
  std::string api_version;        // azure: the api-version query value
  std::string anthropic_version;  // anthropic: the anthropic-version header sent upstream
  std::string region;             // bedrock: AWS region (default from AWS_REGION / profile)
  std::string aws_profile;        // bedrock: profile in the shared credentials file
};

// How an alias picks the deployment to try first among the healthy ones of its best priority
// level (docs/routing.md).
enum class RouteStrategy {
  kPriority,       // "priority": the lowest priority value, then file order
  kWeighted,       // "weighted": random, proportional to weight
  kLeastBusy,      // "least-busy": fewest requests in flight
  kLowestLatency,  // "lowest-latency": lowest moving average of time to first token
  kLowestCost,     // "lowest-cost": lowest price per token (input + output)
};
// What happens after the chosen deployment failed (and used up its retries), named as in
// Router-Maestro.
enum class FallbackMode {
  kPriority,   // "priority": the next deployment in the plan
  kSameModel,  // "same-model": only deployments serving the same upstream model elsewhere
  kNone,       // "none": no other deployment
};
std::string_view RouteStrategyName(RouteStrategy strategy);
std::string_view FallbackModeName(FallbackMode mode);
// The inverse of the names above ("least-busy" -> kLeastBusy); nullopt for anything else (exact,
// case-sensitive match, as written in baton.toml).
std::optional<RouteStrategy> ParseRouteStrategy(std::string_view name);
std::optional<FallbackMode> ParseFallbackMode(std::string_view name);

// One deployment of an alias: written as "provider/model" or as an inline table
// { target = "provider/model", priority = 1, weight = 2, timeout = "20s", rpm = 60, ... }.
struct DeploymentConfig {
  std::string target;  // "provider/model"
  int priority = 0;    // lower goes first; deployments with equal priority are balanced by the
                       // alias's strategy. Default: 0 for all (file order breaks ties for
                       // "priority").
  int weight = 1;      // "weighted" strategy: relative share (1..1000000)
  // Per attempt: from sending the request to the first content byte. 0 = only the provider's
  // timeouts and the request's deadline apply.
  std::chrono::milliseconds timeout{0};
  int64_t rpm = 0;             // requests per minute this deployment accepts; 0 = unlimited
  int64_t tpm = 0;             // tokens per minute (prompt estimate + completion); 0 = unlimited
  int64_t max_tokens = 0;      // cap on output tokens sent upstream; 0 = no cap
  int64_t context_window = 0;  // max prompt tokens; 0 = unknown (no pre-check)
  // Prices in USD per token for "lowest-cost" (and, later, spend); negative = not configured.
  double input_cost_per_token = -1;
  double output_cost_per_token = -1;
};

struct ModelAlias {
  std::string name;                           // what clients send as "model"
  std::vector<DeploymentConfig> deployments;  // in file order, never empty
  RouteStrategy strategy = RouteStrategy::kPriority;
  FallbackMode fallback = FallbackMode::kPriority;
  int max_retries = -1;  // retries of one deployment before falling back; -1 = [router]'s
  // Tried, in order, when a deployment refuses the prompt as too long for its context window
  // (or the prompt estimate exceeds a deployment's context_window): aliases or "provider/model".
  std::vector<std::string> context_fallbacks;
  // Limits on the alias as a whole, over all its deployments and callers (docs/budgets.md).
  int64_t rpm = 0;  // 0 = none
  int64_t tpm = 0;
};

// [router]: defaults for every alias, retries, cooldowns, the `auto` model and discovery.
struct RouterConfig {
  RouteStrategy strategy = RouteStrategy::kPriority;  // aliases without their own
  FallbackMode fallback = FallbackMode::kPriority;
  int max_retries = 2;                               // retries of one deployment (0..10)
  std::chrono::milliseconds retry_backoff{200};      // first retry waits ~this, doubling, jittered
  std::chrono::milliseconds max_retry_wait{10'000};  // a longer wait (e.g. retry-after) falls
                                                     // back to the next deployment instead
  int allowed_fails = 3;                             // failures within fail_window ...
  std::chrono::milliseconds fail_window{60'000};
  std::chrono::milliseconds cooldown{30'000};  // ... cool a deployment down for this long
  // The `auto` model (also "router-maestro"): "provider/model" entries, first healthy and
  // authenticated one wins; later ones are its fallbacks. Changed at run time through the admin
  // API (persisted in state_file, which then wins over this list).
  std::vector<std::string> priorities;
  std::chrono::milliseconds discovery_ttl{300'000};  // providers' model lists are cached this long
  // Where run-time changes (priorities) are kept; default $XDG_STATE_HOME/baton/router.json
  // (~/.local/state/baton/router.json).
  std::string state_file;
};

// [zones.NAME]: a policy chosen by the X-Maestro-Zone header (or, later, bound to a key).
struct ZoneConfig {
  std::string name;
  std::string default_model;                   // used when the request names no model / "default"
  std::vector<std::string> allowed_providers;  // empty = all
  std::vector<std::string> allowed_models;     // aliases or "provider/model"; empty = all
  int64_t rpm = 0;                             // requests per minute in the zone; 0 = unlimited
  int64_t tpm = 0;                             // tokens per minute in the zone; 0 = unlimited
  double max_budget = -1;                      // USD per budget_duration; negative = none
  std::string budget_duration = "1d";          // "30s", "12h", "1d", "1mo": periods from 1970 UTC
  bool hard_stop = true;                       // false: warn and count, never refuse
};

// [budget]: the global daily budget and what every budget shares (docs/budgets.md).
struct BudgetConfig {
  double daily = -1;  // USD per UTC day over all requests; negative = none
  bool hard_stop = true;
  // Fraction of any budget (key, team, zone, global) at which a warning is raised once per period.
  double warning_threshold = 0.8;
  // A request without max_tokens that is subject to a budget is capped at this many output
  // tokens, so its worst-case cost is bounded (0 = no cap; its worst case then assumes this
  // many anyway and a longer answer can overshoot the budget).
  int64_t default_max_tokens = 4096;
};

// [store]: where virtual keys, teams and spend live (issue 5). Only opened when a master key is
// configured (virtual keys need one). Either a SQLite file (`path`) or a PostgreSQL URL (`url`).
struct StoreConfig {
  // SQLite file; empty = DefaultStorePath() ($XDG_DATA_HOME/baton/baton.db). Ignored with a url.
  std::string path;
  // "postgresql://..." (or "postgres://..."): use PostgreSQL. Resolved like a secret (it may hold
  // a password: "os.environ/NAME", "env:NAME", "file:PATH" or literal). Empty = SQLite.
  std::string url;
  bool url_configured = false;   // a url entry exists (even if its variable is unset)
  std::string url_unset_reason;  // when url_configured and url is empty: why (no secret)
};

// [log]: the request log (docs/request-log.md; telemetry/request_log.hpp).
enum class LogFailureMode {
  kRefuse,  // "refuse": answer new requests 503 while the log cannot be written (default)
  kServe,   // "serve": keep serving; records wait in the queue (up to its bound)
};
struct LogConfig {
  std::string dir;  // empty = DefaultLogDir() ($XDG_STATE_HOME/baton/logs)
  bool enabled = true;
  std::size_t max_size = 100'000'000;  // rotate before a file would pass it
  bool rotate_daily = true;            // new file at UTC midnight
  bool content = false;                // log (redacted) prompt/response text
  // Encryption at rest: the resolved secret (64 hex characters or base64 of 32 bytes, checked at
  // load); empty = no encryption.
  std::string encrypt_key;
  std::string encrypt_key_ref;           // as written, for messages ("env:NAME", ...)
  bool encrypt_key_configured = false;   // an encrypt_key entry exists and is non-empty
  std::string encrypt_key_unset_reason;  // configured but its variable/file is unset (the app
                                         // refuses to start rather than log in clear)
  std::size_t queue = 65536;             // records waiting to be written, at most
  LogFailureMode on_failure = LogFailureMode::kRefuse;
  bool fsync = false;  // fdatasync each batch before a record counts as written
};

// [cluster]: several instances sharing rate-limit windows, budget reservations and change
// notifications through Redis (docs/cluster.md). Off while redis_url is absent.
enum class RedisErrorPolicy {
  kClosed,  // "closed" (default): refuse requests (503 counters_unavailable) while Redis is down
  kOpen,    // "open": admit them without counting (a warning is logged at most every 10 s)
};
struct ClusterConfig {
  // "redis://[:PASSWORD@]HOST[:PORT][/DB]". Resolved like a secret (it may hold a password:
  // "os.environ/NAME", "env:NAME", "file:PATH" or literal). Empty = single instance.
  std::string redis_url;
  bool redis_url_configured = false;   // a redis_url entry exists (even if its variable is unset)
  std::string redis_url_unset_reason;  // when configured but empty: why (never the secret)
  std::string key_prefix = "baton:";   // every Redis key and the pub/sub channel start with it
  RedisErrorPolicy on_redis_error = RedisErrorPolicy::kClosed;
  std::chrono::milliseconds timeout{200};  // one Redis round trip on the request path
};

// [events]: live events (docs/events.md) to `GET /events` subscribers (WebSocket, SSE) and, with
// [cluster] redis_url, to a Redis stream.
struct EventsConfig {
  bool enabled = true;
  std::string stream = "agent.events";  // the Redis stream (XADD ... MAXLEN ~ max_len)
  int64_t max_len = 10000;              // approximate cap of the stream's length
  // Events a subscriber may fall behind before it loses the oldest (and is told: events.dropped).
  int64_t subscriber_queue = 1024;
};

// [metrics]: the Prometheus endpoint and the counters behind it (docs/metrics.md).
struct MetricsConfig {
  bool enabled = true;  // false: nothing is counted and GET /metrics answers 404
};

// [signing]: signed responses (docs/signing.md). Off while secret is absent or "".
struct SigningConfig {
  std::string secret;               // the resolved HMAC key; empty = not signing
  std::string secret_ref;           // as written, for messages ("env:NAME", ...)
  bool secret_configured = false;   // a non-empty secret entry exists
  std::string secret_unset_reason;  // configured but its variable/file is unset (the app refuses
                                    // to start rather than answer unsigned)
};

// [defaults]: task name (header X-Baton-Task) → model, e.g. vitals = "gpt-4o".
struct TaskDefault {
  std::string task;
  std::string model;
};

struct Config {
  std::string source;  // file path, or "<built-in default>"
  ServerConfig server;
  std::vector<ProviderConfig> providers;  // in file order
  std::vector<ModelAlias> models;         // in file order
  RouterConfig router;
  std::vector<ZoneConfig> zones;      // in file order
  std::vector<TaskDefault> defaults;  // in file order
  StoreConfig store;
  BudgetConfig budget;
  LogConfig log;
  ClusterConfig cluster;
  EventsConfig events;
  MetricsConfig metrics;
  SigningConfig signing;

  const ProviderConfig* FindProvider(std::string_view name) const;
  const ModelAlias* FindAlias(std::string_view name) const;
  const ZoneConfig* FindZone(std::string_view name) const;
  const TaskDefault* FindTask(std::string_view task) const;
};

// Parses and validates TOML text. `source` names the file in errors. Relative paths in the text
// (ca_file, file: secrets) are resolved against `base_dir` (the current directory when empty).
Config LoadConfigString(std::string_view toml_text, const std::string& source);
Config LoadConfigString(std::string_view toml_text, const std::string& source,
                        const std::string& base_dir);
// Reads and parses a file. Throws ConfigError when it cannot be read or is invalid. Relative
// paths inside it are resolved against the file's directory.
Config LoadConfigFile(const std::string& path);
// The embedded default configuration (TOML text), used when no file exists.
std::string_view DefaultConfigToml();
// `~/.config/baton/baton.toml` (honouring XDG_CONFIG_HOME).
std::string DefaultConfigPath();
// For offline commands (`baton logs`, `baton verify`, `baton stats --local`): the file named by
// `path` when given, else the default file when it exists, else nullopt. Throws ConfigError like
// LoadConfigFile.
std::optional<Config> LoadConfigIfPresent(const std::string& path);
// Where [router] state_file defaults to when the file leaves it unset:
// `$XDG_STATE_HOME/baton/router.json`, else `~/.local/state/baton/router.json`.
std::string DefaultRouterStatePath();
// Where [store] path defaults to: `$XDG_DATA_HOME/baton/baton.db`, else
// `~/.local/share/baton/baton.db`.
std::string DefaultStorePath();
// Where [log] dir defaults to: `$XDG_STATE_HOME/baton/logs`, else `~/.local/state/baton/logs`.
std::string DefaultLogDir();
// Whether text is a valid [log] encrypt_key value: 64 hex characters, or base64 (standard or
// URL-safe, padding optional) of exactly 32 bytes.
bool IsValidLogKeyText(std::string_view text);

// Known provider presets: kind → OpenAI-compatible base URL and the env var holding its key.
struct ProviderPreset {
  std::string_view kind;
  std::string_view base_url;
  std::string_view key_env;  // empty when no key is needed (local servers)
};
// Presets: openai, groq, deepseek, mistral, together, fireworks, openrouter, perplexity, xai,
// cerebras, lmstudio, vllm, ollama. Returns nullptr for other kinds.
const ProviderPreset* FindPreset(std::string_view kind);

// Every accepted provider kind: the presets, plus "openai-compatible" (base_url required),
// "anthropic", "gemini" and "echo" (built in, local). "azure" and "bedrock" are rejected at load
// with a "not supported yet" message.
struct ProviderKind {
  std::string_view kind;
  std::string_view dialect;   // "openai", "anthropic", "gemini", "ollama", "bedrock", "echo"
  std::string_view base_url;  // default base URL; empty = must be given (or none, for echo)
  std::string_view key_env;   // env var of the default api_key; empty = no key by default
};
const ProviderKind* FindProviderKind(std::string_view kind);
// All kinds, in the order they are listed in error messages.
std::span<const ProviderKind> ProviderKinds();

// Value syntaxes shared by the config loaders (TOML now, LiteLLM YAML later).
//
// Durations: one or more <number><unit> with unit ms, s, m or h ("500ms", "30s", "2m", "1m30s",
// "1.5s"), or "0" without a unit; millisecond resolution. Returns nullopt when malformed or over
// ~100 years.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Byte sizes: an integer with an optional unit B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB
// (powers of 1024), case-insensitive, optional space: "1048576", "512KiB", "32MiB", "1MB".
std::optional<std::size_t> ParseByteSize(std::string_view text);

// A secret reference resolved: "os.environ/NAME" and "env:NAME" read the environment, "file:PATH"
// reads a file (whitespace-trimmed; a relative PATH is taken against base_dir), anything else is
// the literal secret. An unset/empty variable or a missing/empty file sets `unset` (callers treat
// it as "no key": a provider becomes unavailable); a malformed reference or an unreadable file
// sets `error`. Neither message ever contains the secret.
struct ResolvedSecret {
  std::string value;  // the secret; empty when unset
  std::string ref;    // printable: "os.environ/NAME", "env:NAME", "file:PATH" or "<literal>"
  std::string unset;  // non-empty when the variable/file is unset or empty: "NAME is not set"
  std::string error;  // non-empty when the reference is malformed or the file unreadable
};
ResolvedSecret ResolveSecret(std::string_view ref, const std::string& base_dir);

}  // namespace baton
