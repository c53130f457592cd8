#include "pipeline/auth.hpp"

#include <openssl/crypto.h>

namespace baton {

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
    return Error(ErrorKind::kUnauthorized,
                 "You didn't provide an API key. You need to provide your API key in an "
                 "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                 "invalid_api_key");
  }
  const std::string& master = server.master_key;
  bool match = !master.empty() && key.size() == master.size() &&
               CRYPTO_memcmp(key.data(), master.data(), key.size()) == 0;
  if (!match) {
    return Error(ErrorKind::kUnauthorized, "Incorrect API key provided.", "invalid_api_key");
  }
  return OkStatus();
}

}  // namespace baton
