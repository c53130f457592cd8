#include "money/counters.hpp"

#include <string>

namespace baton {

std::string_view ScopeKind(std::string_view scope_id) {
  return scope_id.substr(0, scope_id.find(':'));
}

namespace {

std::string ScopeNoun(std::string_view scope_id) {
  std::string_view kind = ScopeKind(scope_id);
  if (kind == "global") {
    return "the gateway";
  }
  return "this " + std::string(kind);
}

}  // namespace

Error RateLimitRefusal(const LimitScope& scope, bool tokens) {
  const int64_t limit = tokens ? scope.tpm : scope.rpm;
  return {ErrorKind::kRateLimited,
          "Rate limit reached for " + ScopeNoun(scope.id) + ": " + std::to_string(limit) +
              (tokens ? " tokens" : " requests") + " per minute.",
          "rate_limit_exceeded"};
}

Error BudgetRefusal(const LimitScope& scope, Money committed, Money worst_case) {
  return {ErrorKind::kRateLimited,
          "Budget exceeded for " + ScopeNoun(scope.id) + ": the budget is $" +
              ToUsdString(scope.budget) + ", $" + ToUsdString(committed) +
              " is spent or reserved and this request may cost up to $" + ToUsdString(worst_case) +
              ".",
          "budget_exceeded"};
}

}  // namespace baton
