// The virtual-key admin endpoints, in LiteLLM's paths and shapes (issue 5; docs in
// /work/shared/docs/LITELLM_COMPAT.md §2) so existing scripts keep working:
//
//   POST /key/generate   {"key_alias","team_id","models","zone","max_budget","budget_duration",
//                         "rpm_limit","tpm_limit","duration","metadata","blocked"} → the new key,
//                         shown only here ("key"), and its record ("token" = the stored hash)
//   GET  /key/info?key=sk-... (or the hash)      {"key":<as passed>,"info":{record}}
//   GET  /key/list?page=1&size=10[&team_id=][&return_full_object=true]
//                        {"keys":[hash...],"total_count","current_page","total_pages"}
//   POST /key/update     {"key":<sk-... or hash>, fields as generate; null/absent = unchanged}
//   POST /key/delete     {"keys":[...]} or {"key_aliases":[...]} → {"deleted_keys":[...]}
//
// Money goes out as exact USD decimals (max_budget, spend); times as ISO-8601 UTC. Errors are in
// OpenAI's shape. The raw key never leaves HandleKeyApi except in the /key/generate answer.
// Only the admin API calls this, after checking the master key.
//
// Thread-safety: stateless; the Store serialises itself. Blocking: every call does store I/O
// (milliseconds on SQLite); admin traffic only, never the model request path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admin/api_fields.hpp"
#include "store/store.hpp"

namespace baton {

// True for /key/generate, /key/info, /key/list, /key/update, /key/delete (and any other /key/...
// path, answered with 404 so typos are visible).
bool IsKeyApiPath(std::string_view path);

// changed = keys were created, changed or deleted: rebuild the key table.
using KeyApiResponse = AdminResponse;

// Serves one /key/* request. `now` is unix seconds (expiry = now + duration).
KeyApiResponse HandleKeyApi(Store& store, std::string_view method, std::string_view path,
                            std::string_view query, std::string_view body, int64_t now);

// A key record in LiteLLM's row shape ("token" = the hash; never the key itself).
std::string KeyJson(const KeyRecord& key);

}  // namespace baton
