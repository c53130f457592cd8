#include "app/verify_cli.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>

#include "api/signing.hpp"
#include "config/config.hpp"

namespace baton {

namespace {

// The secret, or nullopt (message printed).
std::optional<std::string> ResolveSigningSecret(const VerifyOptions& options) {
  if (!options.secret_ref.empty()) {
    ResolvedSecret secret = ResolveSecret(options.secret_ref, ".");
    if (!secret.error.empty() || !secret.unset.empty()) {
      std::fprintf(stderr, "baton: --secret: %s\n",
                   (secret.error.empty() ? secret.unset : secret.error).c_str());
      return std::nullopt;
    }
    return secret.value;
  }
  std::optional<Config> config;
  try {
    config = LoadConfigIfPresent(options.config_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "baton: %s\n", e.what());
    return std::nullopt;
  }
  if (config && config->signing.secret_configured) {
    if (config->signing.secret.empty()) {
      std::fprintf(stderr, "baton: %s: signing.secret: %s\n", config->source.c_str(),
                   config->signing.secret_unset_reason.c_str());
      return std::nullopt;
    }
    return config->signing.secret;
  }
  ResolvedSecret secret = ResolveSecret("env:BATON_SIGNING_SECRET", ".");
  if (secret.value.empty()) {
    std::fprintf(stderr,
                 "baton: no signing secret: pass --secret REF, a config with [signing] secret, "
                 "or set BATON_SIGNING_SECRET\n");
    return std::nullopt;
  }
  return secret.value;
}

}  // namespace

int RunVerify(const VerifyOptions& options) {
  std::optional<std::string> secret = ResolveSigningSecret(options);
  if (!secret) {
    return 2;
  }
  std::string text;
  if (options.path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(options.path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "baton: cannot read %s\n", options.path.c_str());
      return 2;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  VerifyReport report = VerifySigned(*secret, text, options.request_id);
  if (!report.ok) {
    std::fprintf(stderr, "baton: %s: %s\n", options.path.c_str(), report.message.c_str());
    return 1;
  }
  std::printf("%s\n", report.message.c_str());
  return 0;
}

}  // namespace baton
