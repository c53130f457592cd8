// Value syntaxes and tables shared by the config loaders: provider kinds and presets, durations,
// byte sizes, secret references, ConfigError, route strategy and fallback names, and the default
// config and router state paths.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <system_error>

#include "config/char_class.hpp"
#include "config/config.hpp"

namespace baton {

namespace {

using config_text::IsAlnum;
using config_text::IsDigit;
using config_text::IsSpace;

std::string FormatConfigError(const std::string& file, int line, const std::string& key,
                              const std::string& message) {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ':' + std::to_string(line);
    }
    out += ": ";
  }
  if (!key.empty()) {
    out += key + ": ";
  }
  out += message;
  return out;
}

// Presets are also ProviderKinds; both tables are built from one list so they cannot drift.
constexpr std::array<ProviderPreset, 13> kPresets = {{
    {"openai", "https://api.openai.com/v1", "OPENAI_API_KEY"},
    {"groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY"},
    {"deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"},
    {"mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"},
    {"together", "https://api.together.xyz/v1", "TOGETHER_API_KEY"},
    {"fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"},
    {"openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
    {"perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY"},
    {"xai", "https://api.x.ai/v1", "XAI_API_KEY"},
    {"cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"},
    {"lmstudio", "http://127.0.0.1:1234/v1", ""},
    {"vllm", "http://127.0.0.1:8000/v1", ""},
    {"ollama", "http://127.0.0.1:11434/v1", ""},
}};

// Listed in error messages in this order: openai first, then the generic kind, then presets.
constexpr std::array<ProviderKind, kPresets.size() + 6> MakeKinds() {
  std::array<ProviderKind, kPresets.size() + 6> kinds{};
  std::size_t n = 0;
  kinds[n++] = {kPresets[0].kind, "openai", kPresets[0].base_url, kPresets[0].key_env};
  kinds[n++] = {"openai-compatible", "openai", "", ""};
  for (std::size_t i = 1; i < kPresets.size(); ++i) {
    kinds[n++] = {kPresets[i].kind, "openai", kPresets[i].base_url, kPresets[i].key_env};
  }
  kinds[n++] = {"anthropic", "anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"};
  kinds[n++] = {"gemini", "gemini", "https://generativelanguage.googleapis.com/v1beta",
                "GEMINI_API_KEY"};
  kinds[n++] = {"azure", "openai", "", "AZURE_API_KEY"};
  kinds[n++] = {"bedrock", "bedrock", "", ""};
  kinds[n++] = {"echo", "echo", "", ""};
  return kinds;
}
constexpr std::array<ProviderKind, kPresets.size() + 6> kKinds = MakeKinds();

// Reading the environment races only with setenv, which nothing in Baton calls after startup.
const char* GetEnv(const std::string& name) {
  return std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || IsDigit(name[0])) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) { return IsAlnum(c) || c == '_'; });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string file, int line, std::string key, const std::string& message)
    : std::runtime_error(FormatConfigError(file, line, key, message)),
      file_(std::move(file)),
      line_(line),
      key_(std::move(key)) {}

const ProviderPreset* FindPreset(std::string_view kind) {
  const auto* it = std::ranges::find(kPresets, kind, &ProviderPreset::kind);
  return it == kPresets.end() ? nullptr : it;
}

std::span<const ProviderKind> ProviderKinds() {
  return kKinds;
}

const ProviderKind* FindProviderKind(std::string_view kind) {
  const auto* it = std::ranges::find(kKinds, kind, &ProviderKind::kind);
  return it == kKinds.end() ? nullptr : it;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  // ~100 years: far beyond any sane timeout, far below int64 overflow.
  constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  text = Trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  if (text == "0") {
    return std::chrono::milliseconds{0};  // zero needs no unit (as in Go): cooldown = "0"
  }
  int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    int64_t whole = 0;
    std::size_t digits = 0;
    while (i < text.size() && IsDigit(text[i])) {
      whole = whole * 10 + (text[i] - '0');
      if (whole > kMaxMs) {
        return std::nullopt;
      }
      ++i;
      ++digits;
    }
    int64_t frac = 0;
    int64_t frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) {
        if (frac_scale >= 1'000'000'000) {
          return std::nullopt;  // more precision than we could ever honour
        }
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
        ++i;
        ++digits;
      }
    }
    if (digits == 0) {
      return std::nullopt;
    }
    int64_t unit_ms = 0;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size() && text[i] == 's') {
      unit_ms = 1000;
      ++i;
    } else if (i < text.size() && text[i] == 'm') {
      unit_ms = 60'000;
      ++i;
    } else if (i < text.size() && text[i] == 'h') {
      unit_ms = 3'600'000;
      ++i;
    } else {
      return std::nullopt;  // a unit is required: a bare "30" is ambiguous in a string
    }
    if (whole > kMaxMs / unit_ms) {
      return std::nullopt;
    }
    if ((frac * unit_ms) % frac_scale != 0) {
      return std::nullopt;  // finer than a millisecond
    }
    total += whole * unit_ms + frac * unit_ms / frac_scale;
    if (total > kMaxMs) {
      return std::nullopt;
    }
  }
  return std::chrono::milliseconds{total};
}

std::optional<std::size_t> ParseByteSize(std::string_view text) {
  text = Trim(text);
  std::size_t i = 0;
  uint64_t number = 0;
  constexpr uint64_t kMax = std::numeric_limits<std::size_t>::max();
  while (i < text.size() && IsDigit(text[i])) {
    auto digit = static_cast<uint64_t>(text[i] - '0');
    if (number > (kMax - digit) / 10) {
      return std::nullopt;
    }
    number = number * 10 + digit;
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  std::string unit = Lower(Trim(text.substr(i)));
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (unit == "kb") {
    multiplier = 1000;
  } else if (unit == "mb") {
    multiplier = uint64_t{1000} * 1000;
  } else if (unit == "gb") {
    multiplier = uint64_t{1000} * 1000 * 1000;
  } else if (unit == "kib") {
    multiplier = uint64_t{1} << 10;
  } else if (unit == "mib") {
    multiplier = uint64_t{1} << 20;
  } else if (unit == "gib") {
    multiplier = uint64_t{1} << 30;
  } else {
    return std::nullopt;
  }
  if (number > kMax / multiplier) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(number * multiplier);
}

ResolvedSecret ResolveSecret(std::string_view ref, const std::string& base_dir) {
  ResolvedSecret out;
  auto from_env = [&](std::string_view prefix) {
    std::string_view name = ref.substr(prefix.size());
    out.ref = std::string(prefix) + std::string(name);
    if (!IsEnvName(name)) {
      // The text after the prefix is not echoed: it might be a pasted secret.
      out.ref = std::string(prefix) + "...";
      out.error = "\"" + std::string(prefix) +
                  "\" must be followed by an environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
      return;
    }
    const char* value = GetEnv(std::string(name));
    if (value == nullptr) {
      out.unset = std::string(name) + " is not set";
    } else if (*value == '\0') {
      out.unset = std::string(name) + " is empty";
    } else {
      out.value = value;
    }
  };
  if (ref.starts_with("os.environ/")) {
    from_env("os.environ/");
  } else if (ref.starts_with("env:")) {
    from_env("env:");
  } else if (ref.starts_with("file:")) {
    std::string path_text(ref.substr(5));
    out.ref = "file:" + path_text;
    if (path_text.empty()) {
      out.error = "\"file:\" must be followed by a path";
      return out;
    }
    std::filesystem::path path(path_text);
    if (path.is_relative() && !base_dir.empty()) {
      path = std::filesystem::path(base_dir) / path;
    }
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) {
      // Like an unset variable: the provider is unavailable (a mounted secret may come later).
      out.unset = "secret file \"" + path.string() + "\" does not exist";
      return out;
    }
    if (std::filesystem::is_directory(path, ec)) {
      out.error = "cannot read secret file \"" + path.string() + "\": it is a directory";
      return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.error = "cannot read secret file \"" + path.string() +
                  "\": " + std::generic_category().message(errno);
      return out;
    }
    std::ostringstream content;
    content << in.rdbuf();
    out.value = std::string(Trim(content.str()));
    if (out.value.empty()) {
      out.unset = "secret file \"" + path.string() + "\" is empty";
    }
  } else {
    out.ref = ref.empty() ? "" : "<literal>";
    out.value = std::string(ref);
  }
  return out;
}

std::string DefaultConfigPath() {
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const char* xdg = GetEnv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/baton/baton.toml";
  }
  const char* home = GetEnv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.config/baton/baton.toml";
  }
  return ".config/baton/baton.toml";
}

std::optional<Config> LoadConfigIfPresent(const std::string& path) {
  if (!path.empty()) {
    return LoadConfigFile(path);
  }
  const std::string fallback = DefaultConfigPath();
  std::error_code ec;
  if (!fallback.empty() && std::filesystem::exists(fallback, ec)) {
    return LoadConfigFile(fallback);
  }
  return std::nullopt;
}

std::string DefaultRouterStatePath() {
  // Same rules as DefaultConfigPath: a relative XDG_STATE_HOME is ignored.
  const char* xdg = GetEnv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/baton/router.json";
  }
  const char* home = GetEnv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.local/state/baton/router.json";
  }
  return ".local/state/baton/router.json";
}

std::string DefaultStorePath() {
  // Same rules as DefaultConfigPath: a relative XDG_DATA_HOME is ignored.
  const char* xdg = GetEnv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/baton/baton.db";
  }
  const char* home = GetEnv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.local/share/baton/baton.db";
  }
  return ".local/share/baton/baton.db";
}

std::string DefaultLogDir() {
  // Same rules as DefaultConfigPath: a relative XDG_STATE_HOME is ignored.
  const char* xdg = GetEnv("XDG_STATE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    return std::string(xdg) + "/baton/logs";
  }
  const char* home = GetEnv("HOME");
  if (home != nullptr && home[0] != '\0') {
    return std::string(home) + "/.local/state/baton/logs";
  }
  return ".local/state/baton/logs";
}

bool IsValidLogKeyText(std::string_view text) {
  auto is_hex = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (text.size() == 64 && std::ranges::all_of(text, is_hex)) {
    return true;
  }
  // base64 of 32 bytes: 43 characters (+ one '=' padding); the last one carries 2 spare bits.
  std::string_view body = text;
  if (body.size() == 44 && body.back() == '=') {
    body.remove_suffix(1);
  }
  if (body.size() != 43) {
    return false;
  }
  bool std_alpha = false;
  bool url_alpha = false;
  for (char c : body) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c == '+' || c == '/') {
      std_alpha = true;
    } else if (c == '-' || c == '_') {
      url_alpha = true;
    } else if (!alnum) {
      return false;
    }
  }
  if (std_alpha && url_alpha) {
    return false;
  }
  // The final character encodes 4 bits of data and 2 zero bits: one of A E I M Q U Y c g k o s w
  // 0 4 8.
  constexpr std::string_view kLast = "AEIMQUYcgkosw048";
  return kLast.find(body.back()) != std::string_view::npos;
}

std::optional<RouteStrategy> ParseRouteStrategy(std::string_view name) {
  for (RouteStrategy s :
       {RouteStrategy::kPriority, RouteStrategy::kWeighted, RouteStrategy::kLeastBusy,
        RouteStrategy::kLowestLatency, RouteStrategy::kLowestCost}) {
    if (RouteStrategyName(s) == name) {
      return s;
    }
  }
  return std::nullopt;
}

std::optional<FallbackMode> ParseFallbackMode(std::string_view name) {
  for (FallbackMode m : {FallbackMode::kPriority, FallbackMode::kSameModel, FallbackMode::kNone}) {
    if (FallbackModeName(m) == name) {
      return m;
    }
  }
  return std::nullopt;
}

}  // namespace baton
