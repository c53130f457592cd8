// The Counters seam (DESIGN.md §4, §5): rate-limit windows and budget reservations, checked and
// taken in one step before a request leaves, and settled when it ends. LocalCounters
// (local_counters.hpp) is the in-process implementation for one instance; RedisCounters
// (cluster/redis_counters.hpp) keeps the same numbers in Redis, one atomic script per Admit, so
// several instances enforce one set of limits.
//
// A request is counted against a few scopes (its key, its key's team, its zone, the model it
// asked for, the global budget). Each scope carries the limits that apply to it; a scope with no
// limit at all is not sent. Semantics every implementation follows exactly:
//
// Rate windows (rpm, tpm): a sliding window over one minute, estimated from two fixed minutes
// (unix minute m = now_ms / 60000): estimate = previous * (1 - f) + current, f = the fraction of
// minute m already past. A request is admitted when estimate + amount <= limit for every limited
// window (amount 1 for rpm, AdmitRequest::tokens for tpm). On admission the amounts are added to
// the current minute of every window of every scope that has that limit.
//
// Budgets: each scope with a budget (> 0) has an account per budget period holding committed =
// settled spend + open reservations. When an implementation first meets an account it starts it
// at LimitScope::period_spend (what the store already holds for that period). A request is
// admitted when committed + worst_case <= budget for every scope with hard_stop; then worst_case
// is added to every budget account of the request (hard_stop or not). Settle replaces the
// reservation by the real cost (committed += cost - reserved) and corrects tpm (current minute
// += tokens - reserved tokens, never below zero).
//
// All or nothing: a refused request leaves every counter as it was.
//
// Thread-safety: every member may be called from any thread concurrently.
// Lifetime: the App owns the Counters; it outlives every request. Admit may suspend (Redis); the
// AdmitRequest and its scopes must stay valid until it completes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "money/money.hpp"

namespace baton {

struct LimitScope {
  // "key:<key hash>", "team:<team id>", "zone:<name>", "model:<name>" or "global". Printable
  // ASCII without spaces.
  std::string id;
  int64_t rpm = 0;        // requests per minute; 0 = no limit
  int64_t tpm = 0;        // tokens per minute; 0 = no limit
  Money budget = 0;       // this period's budget; <= 0 = no budget (no account is kept)
  bool hard_stop = true;  // false: requests over the budget still pass (the spend is counted)
  // The budget period: the unix second it ends (the next reset), or 0 when it never resets. A
  // new value starts a new account; the old one is left to expire.
  int64_t period_end = 0;
  Money period_spend = 0;  // the store's spend in this period: a new account starts here
};

struct AdmitRequest {
  std::span<const LimitScope> scopes;
  Money worst_case = 0;  // reserved on every budget account
  int64_t tokens = 0;    // counted on every tpm window (the prompt estimate)
  int64_t now_ms = 0;    // unix milliseconds
};

// "key", "team", "zone", "model" or "global" from a scope id ("key:…" → "key").
std::string_view ScopeKind(std::string_view scope_id);

// The refusals every implementation answers with (Admission::refused), worded alike:
// "Rate limit reached for this key: 60 requests per minute." (tokens: the tpm window) and
// "Budget exceeded for this team: the budget is $50, $49.98 is spent or reserved and this request
// may cost up to $0.04." Scope ids never appear, only their kind ("the gateway" for global).
Error RateLimitRefusal(const LimitScope& scope, bool tokens);
Error BudgetRefusal(const LimitScope& scope, Money committed, Money worst_case);

// One budget account after an admission, for warning events and /budget/stats.
struct BudgetLevel {
  std::string scope;    // LimitScope::id
  Money committed = 0;  // including this request's reservation
  Money budget = 0;
};

// The tightest window a request met, for x-ratelimit-* headers (OpenAI's names):
// x-ratelimit-limit-requests, -remaining-requests, -reset-requests and the -tokens ones. Limits
// of 0 mean no window of that kind applied (no header).
struct RateStatus {
  int64_t limit_requests = 0;
  int64_t remaining_requests = 0;
  int64_t reset_requests_ms = 0;  // until the estimate has dropped by one request
  int64_t limit_tokens = 0;
  int64_t remaining_tokens = 0;
  int64_t reset_tokens_ms = 0;
};

struct Admission {
  // Set when the request is refused (nothing was counted):
  //   kRateLimited "rate_limit_exceeded": an rpm or tpm window is full; the message names the
  //                scope kind (key, team, zone, model) and the limit, never a key hash;
  //   kRateLimited "budget_exceeded": a hard-stop budget would be passed; the message names the
  //                scope kind and the budget in USD;
  //   kUnavailable "counters_unavailable": the shared counters could not be reached and the
  //                configured behaviour is to fail closed.
  std::optional<Error> refused;
  int64_t retry_after_ms = 0;  // with rate_limit_exceeded: when a retry can pass
  RateStatus rate;  // refused by a window: that window, remaining 0, reset = its retry time
  std::vector<BudgetLevel> budgets;  // every budget account of the request, after admission
  // With budget_exceeded: the account that refused (committed before this request), for events;
  // ScopeKind(refused_budget->scope) is the scope kind metrics count refusals by.
  std::optional<BudgetLevel> refused_budget;
  // What Settle needs (owned copies: the scopes need not outlive the admission).
  std::vector<LimitScope> scopes;
  Money reserved = 0;
  int64_t reserved_tokens = 0;
  int64_t admitted_ms = 0;
  bool open = false;  // admitted without counting (fail-open while the counters were down)
};

// One account for /budget/stats.
struct BudgetUsage {
  std::string scope;
  Money committed = 0;  // settled spend + open reservations in the current period
  Money budget = 0;
  int64_t period_end = 0;
};

// What the store held at startup for the config's budgets (zone and global), per period: a
// scope's new account starts there when its period matches, else at 0.
struct BudgetBaseline {
  std::string scope;  // "zone:NAME" or "global"
  int64_t period_end = 0;
  Money spend = 0;
};
using BudgetBaselines = std::vector<BudgetBaseline>;

class Counters {
 public:
  virtual ~Counters() = default;

  // Checks and counts one request (see the semantics above). Never throws.
  virtual Awaitable<Admission> Admit(const AdmitRequest& request) = 0;

  // Replaces the reservation of an admitted request by its real `cost` and `tokens` (prompt +
  // completion as the upstream reported them; the reserved estimate when it reported none).
  // Does not wait: an implementation that needs the network queues the update. Calling it for
  // a refused or open admission does nothing.
  virtual void Settle(const Admission& admission, Money cost, int64_t tokens, int64_t now_ms) = 0;

  // The accounts of `scopes` (their current periods), for /budget/stats. Blocks (Redis): admin
  // threads only.
  virtual Result<std::vector<BudgetUsage>> Usage(std::span<const LimitScope> scopes) = 0;

  // Sets the account of `scope`'s current period back to 0 (an admin reset); open reservations
  // are forgotten too. Blocks (Redis): admin threads only.
  virtual Status ResetBudget(const LimitScope& scope) = 0;
};

}  // namespace baton
