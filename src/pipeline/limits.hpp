// Rate limits and budgets of one request (DESIGN.md §5, docs/budgets.md): which scopes it is
// counted against (its key, its key's team, its zone, the alias it asked for, the global daily
// budget), what it may cost at most, and the x-ratelimit-* headers. The counting itself is the
// Counters seam (money/counters.hpp); this file only turns config and key records into
// LimitScopes.
//
// Periods: a key's or team's budget resets on its own schedule (KeyRecord::budget_reset_at, the
// store moves it on); when that time has passed but the store has not caught up yet, the scope
// already names the next period with nothing spent. Zone budgets reset every budget_duration
// counted from 1970-01-01 UTC (so "1d" = at UTC midnight, "1mo" = on the 1st), the global
// budget at UTC midnight.
//
// Thread-safety: pure functions; BudgetBaselines is immutable once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/http_types.hpp"
#include "money/counters.hpp"
#include "money/money.hpp"
#include "pipeline/auth.hpp"
#include "router/route_table.hpp"

namespace baton {

// The end (unix seconds) of the period containing `now` for a duration in budget syntax ("30s",
// "12h", "1d", "1mo") counted from 1970-01-01 UTC; 0 for an invalid duration.
int64_t EpochPeriodEnd(std::string_view duration, int64_t now);
// The start of that period (0 for an invalid duration).
int64_t EpochPeriodStart(std::string_view duration, int64_t now);

// One scope each, or nullopt when it has no limit at all. A key's or team's period comes from
// its record; a zone's and the global budget's from `now` (their spend at startup from
// `baselines`).
std::optional<LimitScope> KeyScope(const KeyRecord& key, int64_t now);
std::optional<LimitScope> TeamScope(const TeamRecord& team, int64_t now);
std::optional<LimitScope> ZoneScope(const ZoneConfig& zone, const BudgetBaselines& baselines,
                                    int64_t now);
std::optional<LimitScope> GlobalScope(const BudgetConfig& budget, const BudgetBaselines& baselines,
                                      int64_t now);

// The scopes that apply, appended to `out` (cleared first): key and team (when the caller has a
// virtual key and they carry limits or a budget), zone (when it has limits or a budget), the
// route's alias (rpm/tpm) and the global daily budget. Scopes without any limit are left out.
void CollectLimitScopes(const Caller* caller, const ZoneConfig* zone, const Route& route,
                        const BudgetConfig& budget, const BudgetBaselines& baselines, int64_t now,
                        std::vector<LimitScope>& out);

// Whether any of `scopes` has a budget (then the worst case matters and output is capped).
bool AnyBudget(const std::vector<LimitScope>& scopes);

// The most a request can cost on this route: the prompt estimate at the route's highest prompt
// price plus `max_output_tokens` at its highest output price.
Money RouteWorstCase(const Route& route, int64_t prompt_tokens, int64_t max_output_tokens);

// The budget levels that crossed `threshold` (a fraction) with this admission: committed before
// it (committed - reserved) was under threshold × budget and is no longer.
std::vector<const BudgetLevel*> CrossedWarnings(const Admission& admission, double threshold);

// OpenAI's x-ratelimit-limit/remaining/reset-requests and -tokens headers for the tightest
// windows (none when no window applied). Reset values are durations like "1s", "6m0s".
void AddRateLimitHeaders(const RateStatus& rate, HttpHeaders& headers);

}  // namespace baton
