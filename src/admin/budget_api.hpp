// The budget endpoints (issue 5, items 2 and 4):
//
//   GET  /budget/stats   the live budget accounts of the running counters, as
//                        AdminControl::BudgetStatsJson() renders them ({"budgets":[...]})
//   POST /budget/reset   {"key":"sk-... or hash"} | {"team_id":"..."} | {"zone":"..."} |
//                        {"global":true} → {"status":"success","scope":KIND,"id":ID}
//
// A key or team reset sets the store's spend to 0 (the durable total), then zeroes the live
// account (AdminControl::ResetBudget; "no such account" is fine there, the store reset is what
// counts) and asks for a key-table rebuild (changed = true). A zone or global reset only
// touches the live account, so AdminControl's kNotFound is the answer when budgets are off.
//
// Thread-safety: stateless. Blocking: store I/O; the admin API runs it on its blocking pool.
#pragma once

#include <string_view>

#include "admin/api_fields.hpp"
#include "admin/control.hpp"
#include "store/store.hpp"

namespace baton {

// True for every path under /budget/.
bool IsBudgetApiPath(std::string_view path);

// Serves one /budget/* request. `store` may be null (virtual keys off): key and team resets
// then answer 404.
AdminResponse HandleBudgetApi(AdminControl& control, Store* store, std::string_view method,
                              std::string_view path, std::string_view body);

}  // namespace baton
