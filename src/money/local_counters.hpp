// The in-process Counters (counters.hpp) for a single instance: every scope's two rate windows
// and its budget account live in one table in memory.
//
// One mutex guards the table, so each Admit (checks and increments over all of a request's
// scopes) is atomic and all-or-nothing without rollbacks; it is held for well under a
// microsecond per request. State is lost on restart: windows start empty and a budget account
// starts again at the store's period_spend, which the spend writer keeps up to date.
//
// Thread-safety: all members may be called from any thread. Lifetime: owned by the App.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "money/counters.hpp"

namespace baton {

// The sliding-window estimate of counters.hpp for one window: the count in the current unix
// minute, the previous minute's count, and the estimate at now_ms.
struct MinuteCounts {
  int64_t minute = 0;  // unix minute of `current`
  int64_t current = 0;
  int64_t previous = 0;

  // Moves to the minute of now_ms (what was current becomes previous, or both drop to 0).
  void Roll(int64_t now_ms);
  // previous * (1 - fraction of the minute past) + current. Call Roll first.
  double Estimate(int64_t now_ms) const;
  // Milliseconds from now_ms until `amount` more fits under `limit` (0 when it fits now); with
  // nothing counted at all it never exceeds a minute. Call Roll first.
  int64_t RetryAfterMs(int64_t now_ms, int64_t amount, int64_t limit) const;
};

class LocalCounters final : public Counters {
 public:
  Awaitable<Admission> Admit(const AdmitRequest& request) override;
  void Settle(const Admission& admission, Money cost, int64_t tokens, int64_t now_ms) override;
  Result<std::vector<BudgetUsage>> Usage(std::span<const LimitScope> scopes) override;
  Status ResetBudget(const LimitScope& scope) override;

  // The synchronous core of Admit (Admit only wraps it), for tests and benchmarks. Scopes past
  // the 16th are ignored (a request has at most five: key, team, zone, model, global).
  Admission AdmitNow(const AdmitRequest& request);

 private:
  struct ScopeState {
    MinuteCounts requests;
    MinuteCounts tokens;
    int64_t period_end = -1;  // of `committed`; -1 = no account yet
    Money committed = 0;
  };
  // The account of `scope` for its current period, started at period_spend when new. mu_ held.
  static Money& Account(ScopeState& state, const LimitScope& scope);

  std::mutex mu_;
  std::unordered_map<std::string, ScopeState> scopes_;
};

}  // namespace baton
