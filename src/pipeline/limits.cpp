#include "pipeline/limits.hpp"

#include <algorithm>
#include <chrono>

#include "money/cost.hpp"
#include "store/store.hpp"

namespace baton {

namespace {

constexpr int64_t kDay = 86'400;

Money BaselineSpend(const BudgetBaselines& baselines, std::string_view scope, int64_t period_end) {
  for (const BudgetBaseline& b : baselines) {
    if (b.scope == scope && b.period_end == period_end) {
      return b.spend;
    }
  }
  return 0;
}

// "1s", "59s", "6m0s", "1h2m3s": OpenAI's reset format.
std::string ResetText(int64_t ms) {
  int64_t s = std::max<int64_t>(1, (ms + 999) / 1000);
  std::string text;
  if (s >= 3600) {
    text += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60 || !text.empty()) {
    text += std::to_string(s / 60) + "m";
    s %= 60;
  }
  return text + std::to_string(s) + "s";
}

}  // namespace

namespace {

// A key's or team's limits as a scope; its budget period from the record's reset schedule.
std::optional<LimitScope> RecordScope(std::string id, const std::optional<int64_t>& max_budget,
                                      int64_t rpm, int64_t tpm, std::string_view duration,
                                      const std::optional<int64_t>& reset_at, Money spend,
                                      int64_t now) {
  const bool budget = max_budget.has_value();
  if (!budget && rpm <= 0 && tpm <= 0) {
    return std::nullopt;
  }
  LimitScope scope;
  scope.id = std::move(id);
  scope.rpm = rpm;
  scope.tpm = tpm;
  if (budget) {
    scope.budget = *max_budget;
    scope.period_spend = spend;
    if (reset_at) {
      scope.period_end = *reset_at;
      if (*reset_at <= now) {
        // The period is over but the store has not reset it yet: the next one, nothing spent.
        if (auto d = ParseBudgetDuration(duration)) {
          scope.period_end = NextBudgetReset(*reset_at, *d, now);
        } else {
          scope.period_end = now + kDay;
        }
        scope.period_spend = 0;
      }
    }
    if (*max_budget <= 0) {
      // A budget of 0 allows only what costs nothing (a scope without budget has none at all).
      scope.budget = 1;
      scope.period_spend = std::max<Money>(scope.period_spend, 1);
    }
  }
  return scope;
}

}  // namespace

std::optional<LimitScope> KeyScope(const KeyRecord& key, int64_t now) {
  return RecordScope("key:" + key.key_hash, key.max_budget, key.rpm, key.tpm, key.budget_duration,
                     key.budget_reset_at, key.spend, now);
}

std::optional<LimitScope> TeamScope(const TeamRecord& team, int64_t now) {
  return RecordScope("team:" + team.team_id, team.max_budget, team.rpm, team.tpm,
                     team.budget_duration, team.budget_reset_at, team.spend, now);
}

std::optional<LimitScope> ZoneScope(const ZoneConfig& zone, const BudgetBaselines& baselines,
                                    int64_t now) {
  if (zone.rpm <= 0 && zone.tpm <= 0 && zone.max_budget < 0) {
    return std::nullopt;
  }
  LimitScope scope;
  scope.id = "zone:" + zone.name;
  scope.rpm = zone.rpm;
  scope.tpm = zone.tpm;
  if (zone.max_budget >= 0) {
    scope.budget = std::max<Money>(1, FromUsd(zone.max_budget));
    scope.hard_stop = zone.hard_stop;
    scope.period_end = EpochPeriodEnd(zone.budget_duration, now);
    scope.period_spend = BaselineSpend(baselines, scope.id, scope.period_end);
    if (zone.max_budget == 0) {
      scope.period_spend = std::max<Money>(scope.period_spend, 1);
    }
  }
  return scope;
}

std::optional<LimitScope> GlobalScope(const BudgetConfig& budget, const BudgetBaselines& baselines,
                                      int64_t now) {
  if (budget.daily < 0) {
    return std::nullopt;
  }
  LimitScope scope;
  scope.id = "global";
  scope.budget = std::max<Money>(1, FromUsd(budget.daily));
  scope.hard_stop = budget.hard_stop;
  scope.period_end = ((now / kDay) + 1) * kDay;
  scope.period_spend = BaselineSpend(baselines, scope.id, scope.period_end);
  if (budget.daily == 0) {
    scope.period_spend = std::max<Money>(scope.period_spend, 1);
  }
  return scope;
}

int64_t EpochPeriodEnd(std::string_view duration, int64_t now) {
  auto d = ParseBudgetDuration(duration);
  if (!d || now < 0) {
    return 0;
  }
  if (d->months == 0) {
    return ((now / d->seconds) + 1) * d->seconds;
  }
  using std::chrono::days;
  using std::chrono::sys_days;
  const std::chrono::year_month_day date{sys_days{days{now / kDay}}};
  const int64_t months_since = ((static_cast<int64_t>(static_cast<int>(date.year())) - 1970) * 12) +
                               static_cast<int64_t>(static_cast<unsigned>(date.month())) - 1;
  const int64_t end_index = ((months_since / d->months) + 1) * d->months;
  const std::chrono::year_month_day end{
      std::chrono::year{static_cast<int>(1970 + (end_index / 12))},
      std::chrono::month{static_cast<unsigned>((end_index % 12) + 1)}, std::chrono::day{1}};
  return sys_days{end}.time_since_epoch().count() * kDay;
}

int64_t EpochPeriodStart(std::string_view duration, int64_t now) {
  auto d = ParseBudgetDuration(duration);
  if (!d || now < 0) {
    return 0;
  }
  if (d->months == 0) {
    return (now / d->seconds) * d->seconds;
  }
  using std::chrono::days;
  using std::chrono::sys_days;
  const std::chrono::year_month_day date{sys_days{days{now / kDay}}};
  const int64_t months_since = ((static_cast<int64_t>(static_cast<int>(date.year())) - 1970) * 12) +
                               static_cast<int64_t>(static_cast<unsigned>(date.month())) - 1;
  const int64_t start_index = (months_since / d->months) * d->months;
  const std::chrono::year_month_day start{
      std::chrono::year{static_cast<int>(1970 + (start_index / 12))},
      std::chrono::month{static_cast<unsigned>((start_index % 12) + 1)}, std::chrono::day{1}};
  return sys_days{start}.time_since_epoch().count() * kDay;
}

void CollectLimitScopes(const Caller* caller, const ZoneConfig* zone, const Route& route,
                        const BudgetConfig& budget, const BudgetBaselines& baselines, int64_t now,
                        std::vector<LimitScope>& out) {
  out.clear();
  auto add = [&out](std::optional<LimitScope> scope) {
    if (scope) {
      out.push_back(std::move(*scope));
    }
  };
  if (caller != nullptr && caller->key.key != nullptr) {
    add(KeyScope(*caller->key.key, now));
    if (const TeamRecord* team = caller->key.team) {
      add(TeamScope(*team, now));
    }
  }
  if (zone != nullptr) {
    add(ZoneScope(*zone, baselines, now));
  }
  if (route.rpm > 0 || route.tpm > 0) {
    LimitScope scope;
    scope.id = "model:" + route.name;
    scope.rpm = route.rpm;
    scope.tpm = route.tpm;
    out.push_back(std::move(scope));
  }
  add(GlobalScope(budget, baselines, now));
}

bool AnyBudget(const std::vector<LimitScope>& scopes) {
  return std::ranges::any_of(scopes, [](const LimitScope& s) { return s.budget > 0; });
}

Money RouteWorstCase(const Route& route, int64_t prompt_tokens, int64_t max_output_tokens) {
  return WorstCase(route.worst_price, prompt_tokens, max_output_tokens);
}

std::vector<const BudgetLevel*> CrossedWarnings(const Admission& admission, double threshold) {
  std::vector<const BudgetLevel*> crossed;
  if (threshold <= 0) {
    return crossed;
  }
  for (const BudgetLevel& level : admission.budgets) {
    const auto mark = static_cast<Money>(static_cast<double>(level.budget) * threshold);
    const Money before = level.committed - admission.reserved;
    if (before < mark && level.committed >= mark) {
      crossed.push_back(&level);
    }
  }
  return crossed;
}

void AddRateLimitHeaders(const RateStatus& rate, HttpHeaders& headers) {
  if (rate.limit_requests <= 0 && rate.limit_tokens <= 0) {
    return;
  }
  // The gateway's limits are the ones this client meets; an upstream's own would mislead.
  std::erase_if(headers, [](const HttpHeader& h) {
    return h.name.size() > 12 && EqualsIgnoreCase(h.name.substr(0, 12), "x-ratelimit-");
  });
  if (rate.limit_requests > 0) {
    headers.push_back({"x-ratelimit-limit-requests", std::to_string(rate.limit_requests)});
    headers.push_back({"x-ratelimit-remaining-requests", std::to_string(rate.remaining_requests)});
    headers.push_back({"x-ratelimit-reset-requests", ResetText(rate.reset_requests_ms)});
  }
  if (rate.limit_tokens > 0) {
    headers.push_back({"x-ratelimit-limit-tokens", std::to_string(rate.limit_tokens)});
    headers.push_back({"x-ratelimit-remaining-tokens", std::to_string(rate.remaining_tokens)});
    headers.push_back({"x-ratelimit-reset-tokens", ResetText(rate.reset_tokens_ms)});
  }
}

}  // namespace baton
