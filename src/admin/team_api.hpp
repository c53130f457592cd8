// The team admin endpoints, in LiteLLM's paths and shapes (issue 5; LITELLM_COMPAT.md §2):
//
//   POST /team/new     {"team_alias","team_id","models","max_budget","budget_duration",
//                       "rpm_limit","tpm_limit","blocked","metadata"} → the team row; team_id is
//                       generated (a random UUID) when absent
//   POST /team/update  {"team_id", fields as new; null/absent = unchanged}
//                       → {"team_id","data":{team row}}
//   GET  /team/info?team_id=   {"team_id","team_info":{team row},"keys":[key rows]}
//   GET  /team/list            [team rows], ordered by alias then id
//   POST /team/delete  {"team_ids":[...]} → {"deleted_teams":[...]} (the teams' keys go too)
//
// Money goes out as exact USD decimals, times as ISO-8601 UTC, errors in OpenAI's shape.
// Only the admin API calls this, after checking the master key.
//
// Thread-safety: stateless; the Store serialises itself. Blocking: every call does store I/O;
// the admin API runs it on its blocking pool (blocking_pool.hpp), never on an io thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "admin/api_fields.hpp"
#include "store/store.hpp"

namespace baton {

// True for every path under /team/ (unknown ones are answered 404 by HandleTeamApi).
bool IsTeamApiPath(std::string_view path);

// A team record in LiteLLM's row shape.
std::string TeamJson(const TeamRecord& team);

// Serves one /team/* request. `now` is unix seconds. changed = teams (or their keys) changed.
AdminResponse HandleTeamApi(Store& store, std::string_view method, std::string_view path,
                            std::string_view query, std::string_view body, int64_t now);

}  // namespace baton
