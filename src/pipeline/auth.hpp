// Authentication filter: who is calling. The master key (admin and every model), or a virtual
// key (issue 5) checked against the KeyTable snapshot: an unknown, expired or blocked key (or a
// key of a blocked/deleted team) is refused with 401; the model and zone checks happen once the
// request's model and zone are known (CheckCallerModel, CallerZone, called by the forwarder).
// Accepts the key as `Authorization: Bearer K` (OpenAI, Anthropic 1.x), `x-api-key: K`
// (Anthropic 0.x), `api-key: K` (Azure clients) and `x-goog-api-key: K` (Gemini).
// The master key comparison is constant-time; errors never contain the presented key (a virtual
// key's messages show at most its display form "sk-...ab12").
// Pure functions; thread-safe. A Caller keeps the KeyTable it was checked against alive, so its
// key and team pointers stay valid for the whole request even if the table is swapped.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/http_types.hpp"
#include "pipeline/keys.hpp"

namespace baton {

// The key the client presented, from whichever header carries it; empty when none.
std::string_view PresentedKey(const HttpHeaders& headers);

// OkStatus when the server is open (no master key) or the presented key is the master key;
// kUnauthorized (code invalid_api_key) otherwise. The admin API uses this: virtual keys are
// refused there.
Status Authenticate(const ServerConfig& server, const HttpHeaders& headers);

// Who is calling, once authenticated.
struct Caller {
  std::shared_ptr<const KeyTable> table;  // set for a virtual key: owns *key.key / *key.team
  KeyContext key;                         // key.key null: the master key, or an open server
  bool IsVirtualKey() const { return key.key != nullptr; }
};

// The master key (or an open server) → a Caller without key. Any other key is looked up in
// `keys` (null = virtual keys are off: refused like a wrong key): unknown → invalid_api_key,
// expired → key_expired, blocked → key_blocked, team blocked/deleted → team_blocked, all
// kUnauthorized.
Result<Caller> AuthenticateCaller(const ServerConfig& server, std::shared_ptr<const KeyTable> keys,
                                  const HttpHeaders& headers, int64_t now_unix);

// OkStatus when the caller may use `model` (the name the request resolved to: an alias, `auto`,
// or "provider/model"); always for the master key. Else kForbidden, code model_not_allowed.
Status CheckCallerModel(const Caller& caller, std::string_view model);

// The zone a request runs in: the X-Maestro-Zone header, or the key's zone when the header is
// absent. A key bound to a zone may not name another one (kForbidden, code zone_not_allowed).
Result<std::string> CallerZone(const Caller& caller, std::string_view header_zone);

}  // namespace baton
