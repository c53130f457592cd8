// RedisCounters: the Counters seam (money/counters.hpp) kept in Redis, so several Baton
// instances sharing one Redis enforce one set of rate limits and budgets (docs/cluster.md).
//
// Admit is exactly one round trip: EVALSHA of one Lua script that reads every window and budget
// account of the request, decides, and (only when admitted) increments them all, atomically
// (Redis runs a script alone). After a Redis restart or SCRIPT FLUSH the first EVALSHA answers
// NOSCRIPT and that call retries once with EVAL (which also loads the script again). Admit runs
// on the calling coroutine's io thread connection (RedisClient). Settle is fire-and-forget: it is
// posted to the counters' own background thread, which pipelines settle scripts on its own
// connection; while Redis is down settles wait there (up to kMaxQueuedSettles, then the oldest
// are dropped: their reservations stay counted until the period ends, never under-counting).
// Usage and ResetBudget block on a hiredis connection: admin threads only.
//
// Keys (prefix configurable, default "baton:"):
//   <prefix>w:<scope id>:r:<unix minute>   requests counted in that minute (rpm windows)
//   <prefix>w:<scope id>:t:<unix minute>   tokens counted in that minute (tpm windows)
//        both expire 2 minutes after their last update (Redis's clock; only the current and
//        previous minute are ever read);
//   <prefix>b:<scope id>:<period_end>      a budget account: committed pico-USD as a decimal
//        integer string. Created at period_spend on the first admission of the period. Expires
//        one day after max(period_end, now) (late settles still land; a new period is a new
//        key), never when period_end is 0.
//
// Money is exact: amounts stay int64 pico-USD end to end. Lua numbers are doubles (exact only up
// to 2^53 pico ≈ $9007), so the script never turns money into one Lua number: amounts travel as
// decimal strings, the script adds and compares them as two exact limbs (value = hi * 1e9 + lo,
// 0 <= lo < 1e9, each limb well inside 2^53), and Redis's INCRBY (int64 arithmetic) writes them.
// Request and token counts are plain Lua numbers (far below 2^53).
//
// Redis unreachable (connect refused, reconnect backoff, no reply within the timeout): with
// fail_open = false (default) Admit refuses with kUnavailable "counters_unavailable"; with
// fail_open = true it admits with Admission::open = true (nothing counted, Settle ignores it) and
// logs a warning on stderr at most once per 10 s.
//
// Thread-safety: all members may be called from any thread (Admit from coroutines on io_contexts
// each run by one thread). Lifetime: owned by the App; outlives every request. Destroying it
// stops the settle thread (queued settles are sent first, for up to the timeout).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "money/counters.hpp"

namespace baton {

struct RedisCountersOptions {
  std::string url;  // redis://[:PASSWORD@]HOST[:PORT][/DB] (a secret: never logged)
  std::string key_prefix = "baton:";
  bool fail_open = false;                  // [cluster] on_redis_error = "open"
  std::chrono::milliseconds timeout{200};  // per Redis command on the request path
};

class RedisCounters final : public Counters {
 public:
  static constexpr size_t kMaxQueuedSettles = 100'000;

  // Parses the URL (kBadRequest when malformed, without echoing a password) and starts the
  // settle thread. Does not connect: Redis may come up later.
  static Result<std::unique_ptr<RedisCounters>> Create(RedisCountersOptions options);
  ~RedisCounters() override;
  RedisCounters(const RedisCounters&) = delete;
  RedisCounters& operator=(const RedisCounters&) = delete;

  Awaitable<Admission> Admit(const AdmitRequest& request) override;
  void Settle(const Admission& admission, Money cost, int64_t tokens, int64_t now_ms) override;
  Result<std::vector<BudgetUsage>> Usage(std::span<const LimitScope> scopes) override;
  Status ResetBudget(const LimitScope& scope) override;

  // Waits (blocking) until every Settle issued before the call has been answered by Redis or
  // dropped, at most `timeout`. For tests and orderly shutdown. True when all were handled.
  bool FlushSettles(std::chrono::milliseconds timeout);

  // Key names (exposed for tests and docs/cluster.md).
  std::string WindowKey(const std::string& scope_id, char kind, int64_t minute) const;
  std::string BudgetKey(const std::string& scope_id, int64_t period_end) const;

  struct Impl;

 private:
  explicit RedisCounters(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The sliding-window arithmetic of counters.hpp, shared by the C++ side of RedisCounters (the Lua
// script computes the same estimate with the same double operations).
// estimate = previous * (1 - f) + current, f = (now_ms mod 60000) / 60000.
double WindowEstimate(int64_t current, int64_t previous, int64_t now_ms);
// Milliseconds from now_ms until `amount` more fits under `limit` (0 when it fits now); never more
// than the end of the next minute (an amount over the limit never fits: 60 s is reported).
int64_t WindowRetryAfterMs(int64_t current, int64_t previous, int64_t now_ms, int64_t amount,
                           int64_t limit);

}  // namespace baton
