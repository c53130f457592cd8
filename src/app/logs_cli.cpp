#include "app/logs_cli.hpp"

#include <cstdio>
#include <optional>

#include "config/config.hpp"
#include "telemetry/log_file.hpp"

namespace baton {

namespace {

struct Resolved {
  std::string dir;
  std::optional<LogKey> key;
};

// Fills dir and key; false (message printed) on an error.
bool Resolve(const LogsOptions& options, Resolved& out) {
  std::optional<Config> config;
  try {
    config = LoadConfigIfPresent(options.config_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return false;
  }
  out.dir = options.dir;
  if (out.dir.empty() && config) {
    out.dir = config->log.dir;
  }
  if (out.dir.empty()) {
    out.dir = DefaultLogDir();
  }
  std::string key_text;
  if (!options.key_ref.empty()) {
    ResolvedSecret secret = ResolveSecret(options.key_ref, ".");
    if (!secret.error.empty() || !secret.unset.empty()) {
      std::fprintf(stderr, "baton: --key: %s\n",
                   (secret.error.empty() ? secret.unset : secret.error).c_str());
      return false;
    }
    key_text = secret.value;
  } else if (config && config->log.encrypt_key_configured) {
    if (config->log.encrypt_key.empty()) {
      std::fprintf(stderr, "baton: %s: log.encrypt_key: %s\n", config->source.c_str(),
                   config->log.encrypt_key_unset_reason.c_str());
      return false;
    }
    key_text = config->log.encrypt_key;
  }
  if (!key_text.empty()) {
    auto key = ParseLogKey(key_text);
    if (!key.ok()) {
      std::fprintf(stderr, "baton: %s\n", key.error().message.c_str());
      return false;
    }
    out.key = *key;
  }
  return true;
}

}  // namespace

int RunLogsCat(const LogsOptions& options) {
  Resolved r;
  if (!Resolve(options, r)) {
    return 2;
  }
  Status s = ReadRequestLog(r.dir, r.key ? &*r.key : nullptr, {}, [](const LogLine& line) {
    std::fwrite(line.json.data(), 1, line.json.size(), stdout);
    std::fputc('\n', stdout);
    return OkStatus();
  });
  std::fflush(stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "baton: %s\n", s.error().message.c_str());
    return 2;
  }
  return 0;
}

int RunLogsVerify(const LogsOptions& options) {
  Resolved r;
  if (!Resolve(options, r)) {
    return 2;
  }
  auto result = VerifyRequestLog(r.dir, r.key ? &*r.key : nullptr, ReadCheckpoint(r.dir));
  if (!result.ok()) {
    std::fprintf(stderr, "baton: %s\n", result.error().message.c_str());
    return 2;
  }
  if (!result->intact) {
    std::fprintf(stderr, "baton: %s/%s:%lld: %s\n", r.dir.c_str(), result->file.c_str(),
                 static_cast<long long>(result->line_no),  // NOLINT(google-runtime-int)
                 result->problem.c_str());
    std::printf("broken: %lld lines checked before the break\n",
                static_cast<long long>(result->lines));  // NOLINT(google-runtime-int)
    return 1;
  }
  std::printf("ok: %lld lines in %lld files, chain intact (%s)\n",
              static_cast<long long>(result->lines),  // NOLINT(google-runtime-int)
              static_cast<long long>(result->files),  // NOLINT(google-runtime-int)
              r.dir.c_str());
  return 0;
}

}  // namespace baton
