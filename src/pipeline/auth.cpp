#include "pipeline/auth.hpp"

#include <openssl/crypto.h>

namespace baton {

namespace {

Error NoKey() {
  return {ErrorKind::kUnauthorized,
          "You didn't provide an API key. You need to provide your API key in an Authorization "
          "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_api_key"};
}

Error WrongKey() {
  return {ErrorKind::kUnauthorized, "Incorrect API key provided.", "invalid_api_key"};
}

bool IsMasterKey(const ServerConfig& server, std::string_view key) {
  const std::string& master = server.master_key;
  return !master.empty() && key.size() == master.size() &&
         CRYPTO_memcmp(key.data(), master.data(), key.size()) == 0;
}

}  // namespace

std::string_view PresentedKey(const HttpHeaders& headers) {
  std::string_view auth = FindHeader(headers, "authorization");
  if (StartsWithIgnoreCase(auth, "bearer ")) {
    auth.remove_prefix(7);
    while (!auth.empty() && auth.front() == ' ') {
      auth.remove_prefix(1);
    }
    return auth;
  }
  for (std::string_view name : {"x-api-key", "api-key", "x-goog-api-key"}) {
    std::string_view v = FindHeader(headers, name);
    if (!v.empty()) {
      return v;
    }
  }
  return {};
}

Status Authenticate(const ServerConfig& server, const HttpHeaders& headers) {
  if (!server.master_key_configured) {
    return OkStatus();
  }
  std::string_view key = PresentedKey(headers);
  if (key.empty()) {
    return NoKey();
  }
  if (!IsMasterKey(server, key)) {
    return WrongKey();
  }
  return OkStatus();
}

Result<Caller> AuthenticateCaller(const ServerConfig& server, std::shared_ptr<const KeyTable> keys,
                                  const HttpHeaders& headers, int64_t now_unix) {
  // Virtual keys exist only behind a master key (as in LiteLLM): an open server stays open.
  if (!server.master_key_configured) {
    return Caller{};
  }
  std::string_view key = PresentedKey(headers);
  if (key.empty()) {
    return NoKey();
  }
  if (IsMasterKey(server, key)) {
    return Caller{};
  }
  if (keys == nullptr) {
    return WrongKey();
  }
  // The model is checked later, once aliases, tasks and zones have resolved it.
  auto context = keys->Check(key, "", now_unix);
  if (!context) {
    return context.error();
  }
  Caller caller;
  caller.key = context.value();
  caller.table = std::move(keys);
  return caller;
}

Status CheckCallerModel(const Caller& caller, std::string_view model) {
  if (!caller.IsVirtualKey()) {
    return OkStatus();
  }
  const KeyRecord& key = *caller.key.key;
  const bool key_ok = ModelAllowed(key.models, model);
  const bool team_ok = caller.key.team == nullptr || ModelAllowed(caller.key.team->models, model);
  if (key_ok && team_ok) {
    return OkStatus();
  }
  return Error(
      ErrorKind::kForbidden,
      "API key " + key.key_prefix + " is not allowed to use model \"" + std::string(model) + "\".",
      "model_not_allowed", "model");
}

Result<std::string> CallerZone(const Caller& caller, std::string_view header_zone) {
  if (!caller.IsVirtualKey() || caller.key.key->zone.empty()) {
    return std::string(header_zone);
  }
  const std::string& bound = caller.key.key->zone;
  if (header_zone.empty() || header_zone == bound) {
    return bound;
  }
  return Error(ErrorKind::kForbidden,
               "API key " + caller.key.key->key_prefix + " is bound to zone \"" + bound +
                   "\" and may not use zone \"" + std::string(header_zone) + "\" (X-Maestro-Zone).",
               "zone_not_allowed");
}

}  // namespace baton
