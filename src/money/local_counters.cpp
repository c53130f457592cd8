#include "money/local_counters.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace baton {

namespace {

constexpr int64_t kMinuteMs = 60'000;

// Milliseconds until a window holding these counts is empty again.
int64_t FullResetMs(const MinuteCounts& w, int64_t now_ms) {
  const int64_t into = now_ms - (w.minute * kMinuteMs);
  if (w.current > 0) {
    return (2 * kMinuteMs) - into;
  }
  return w.previous > 0 ? kMinuteMs - into : 0;
}

}  // namespace

void MinuteCounts::Roll(int64_t now_ms) {
  const int64_t m = now_ms / kMinuteMs;
  if (m == minute) {
    return;
  }
  previous = m == minute + 1 ? current : 0;
  current = 0;
  minute = m;
}

double MinuteCounts::Estimate(int64_t now_ms) const {
  const double past = static_cast<double>(now_ms - (minute * kMinuteMs)) / kMinuteMs;
  return (static_cast<double>(previous) * (1.0 - past)) + static_cast<double>(current);
}

int64_t MinuteCounts::RetryAfterMs(int64_t now_ms, int64_t amount, int64_t limit) const {
  const auto room = static_cast<double>(limit - amount);
  if (Estimate(now_ms) <= room) {
    return 0;
  }
  const int64_t into = now_ms - (minute * kMinuteMs);
  if (room >= static_cast<double>(current) && previous > 0) {
    // Within this minute, once the previous minute's share has shrunk enough.
    const double fraction =
        1.0 - ((room - static_cast<double>(current)) / static_cast<double>(previous));
    const auto at = static_cast<int64_t>(std::ceil(fraction * kMinuteMs));
    return std::max<int64_t>(1, at - into);
  }
  // In the next minute, where the current count becomes the shrinking previous one.
  const int64_t to_next = kMinuteMs - into;
  if (room < 0 || current <= 0) {
    return to_next + kMinuteMs;
  }
  const double fraction = 1.0 - (room / static_cast<double>(current));
  return to_next + std::max<int64_t>(0, static_cast<int64_t>(std::ceil(fraction * kMinuteMs)));
}

Money& LocalCounters::Account(ScopeState& state, const LimitScope& scope) {
  // A new period (or the first sight of this scope) starts at the store's figure for it. A
  // request built from an older key table (a smaller period_end) uses the current account.
  const bool newer =
      scope.period_end > state.period_end || (scope.period_end == 0 && state.period_end != 0);
  if (state.period_end < 0 || newer) {
    state.period_end = scope.period_end;
    state.committed = scope.period_spend;
  }
  return state.committed;
}

Admission LocalCounters::AdmitNow(const AdmitRequest& request) {
  Admission out;
  const int64_t now = request.now_ms;
  std::lock_guard lock(mu_);
  // Pass 1: check everything; nothing changes unless every check passes.
  std::array<ScopeState*, 16> states{};
  const std::size_t n = std::min<std::size_t>(request.scopes.size(), states.size());
  for (std::size_t i = 0; i < n; ++i) {
    const LimitScope& scope = request.scopes[i];
    ScopeState& state = scopes_[scope.id];
    states[i] = &state;
    if (scope.rpm > 0) {
      state.requests.Roll(now);
      if (state.requests.Estimate(now) + 1 > static_cast<double>(scope.rpm)) {
        out.refused = RateLimitRefusal(scope, false);
        const int64_t wait = state.requests.RetryAfterMs(now, 1, scope.rpm);
        out.retry_after_ms = std::max(out.retry_after_ms, wait);
        out.rate.limit_requests = scope.rpm;
        out.rate.remaining_requests = 0;
        out.rate.reset_requests_ms = wait;
      }
    }
    if (scope.tpm > 0) {
      state.tokens.Roll(now);
      const int64_t amount = std::min(request.tokens, scope.tpm);  // a huge prompt can pass alone
      if (state.tokens.Estimate(now) + static_cast<double>(amount) >
          static_cast<double>(scope.tpm)) {
        if (!out.refused) {
          out.refused = RateLimitRefusal(scope, true);
        }
        const int64_t wait = state.tokens.RetryAfterMs(now, amount, scope.tpm);
        out.retry_after_ms = std::max(out.retry_after_ms, wait);
        out.rate.limit_tokens = scope.tpm;
        out.rate.remaining_tokens = 0;
        out.rate.reset_tokens_ms = wait;
      }
    }
  }
  if (out.refused) {
    return out;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const LimitScope& scope = request.scopes[i];
    if (scope.budget > 0 && scope.hard_stop) {
      const Money committed = Account(*states[i], scope);
      if (SaturatingAdd(committed, request.worst_case) > scope.budget) {
        out.refused = BudgetRefusal(scope, committed, request.worst_case);
        out.refused_budget = BudgetLevel{scope.id, committed, scope.budget};
        if (scope.period_end > 0) {
          out.retry_after_ms = std::max<int64_t>(0, (scope.period_end * 1000) - now);
        }
        return out;
      }
    }
  }
  // Pass 2: count.
  int64_t best_requests = std::numeric_limits<int64_t>::max();
  int64_t best_tokens = std::numeric_limits<int64_t>::max();
  for (std::size_t i = 0; i < n; ++i) {
    const LimitScope& scope = request.scopes[i];
    ScopeState& state = *states[i];
    if (scope.rpm > 0) {
      state.requests.current += 1;
      const auto used = static_cast<int64_t>(std::ceil(state.requests.Estimate(now)));
      const int64_t remaining = std::max<int64_t>(0, scope.rpm - used);
      if (remaining < best_requests) {
        best_requests = remaining;
        out.rate.limit_requests = scope.rpm;
        out.rate.remaining_requests = remaining;
        out.rate.reset_requests_ms = FullResetMs(state.requests, now);
      }
    }
    if (scope.tpm > 0) {
      state.tokens.current += request.tokens;
      const auto used = static_cast<int64_t>(std::ceil(state.tokens.Estimate(now)));
      const int64_t remaining = std::max<int64_t>(0, scope.tpm - used);
      if (remaining < best_tokens) {
        best_tokens = remaining;
        out.rate.limit_tokens = scope.tpm;
        out.rate.remaining_tokens = remaining;
        out.rate.reset_tokens_ms = FullResetMs(state.tokens, now);
      }
    }
    if (scope.budget > 0) {
      Money& committed = Account(state, scope);
      committed = SaturatingAdd(committed, request.worst_case);
      out.budgets.push_back({scope.id, committed, scope.budget});
    }
  }
  out.scopes.assign(request.scopes.begin(),
                    request.scopes.begin() + static_cast<std::ptrdiff_t>(n));
  out.reserved = request.worst_case;
  out.reserved_tokens = request.tokens;
  out.admitted_ms = now;
  return out;
}

Awaitable<Admission> LocalCounters::Admit(const AdmitRequest& request) {
  co_return AdmitNow(request);
}

void LocalCounters::Settle(const Admission& admission, Money cost, int64_t tokens, int64_t now_ms) {
  if (admission.refused || admission.open) {
    return;
  }
  std::lock_guard lock(mu_);
  for (const LimitScope& scope : admission.scopes) {
    auto it = scopes_.find(scope.id);
    if (it == scopes_.end()) {
      continue;
    }
    ScopeState& state = it->second;
    if (scope.tpm > 0 && tokens != admission.reserved_tokens) {
      state.tokens.Roll(now_ms);
      state.tokens.current =
          std::max<int64_t>(0, state.tokens.current + (tokens - admission.reserved_tokens));
    }
    if (scope.budget > 0 && state.period_end == scope.period_end) {
      // A reservation of a period that has since ended is dropped with it.
      state.committed = SaturatingAdd(state.committed, SaturatingAdd(cost, -admission.reserved));
    }
  }
}

Result<std::vector<BudgetUsage>> LocalCounters::Usage(std::span<const LimitScope> scopes) {
  std::vector<BudgetUsage> out;
  std::lock_guard lock(mu_);
  for (const LimitScope& scope : scopes) {
    BudgetUsage usage{scope.id, scope.period_spend, scope.budget, scope.period_end};
    auto it = scopes_.find(scope.id);
    if (it != scopes_.end() && it->second.period_end == scope.period_end) {
      usage.committed = it->second.committed;
    }
    out.push_back(std::move(usage));
  }
  return out;
}

Status LocalCounters::ResetBudget(const LimitScope& scope) {
  std::lock_guard lock(mu_);
  ScopeState& state = scopes_[scope.id];
  state.period_end = scope.period_end;
  state.committed = 0;
  return OkStatus();
}

}  // namespace baton
