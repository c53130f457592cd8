// Run-time state of every deployment, kept across config reloads: requests in flight, a moving
// average of time to first token, recent failures with a circuit breaker (cooldown, then one
// half-open probe), rpm/tpm windows and counters (DESIGN.md §2, router/).
//
// A deployment is identified by its id ("provider/model"); the same id in a reloaded config finds
// the same state, so a reload neither forgets a cooldown nor resets the latency average.
//
// Thread-safety: every member of DeploymentHealth may be called from any worker thread. Routing
// reads (Available, in_flight, ttft) are relaxed atomic loads; failure bookkeeping takes a small
// per-deployment mutex (only on failures and probes). HealthRegistry::For() takes the registry
// mutex (snapshot build, not the request path).
// Lifetime: the registry is owned by the App and outlives every snapshot that points into it;
// addresses returned by For() stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"

namespace baton {

using SteadyTime = std::chrono::steady_clock::time_point;

// Where routing reads the time: the steady clock in production, a hand-moved clock in tests.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime Now() const = 0;
  static const Clock& Steady();
};

// A clock that moves only when told to (tests). Thread-safe.
class ManualClock : public Clock {
 public:
  ManualClock() : now_ns_(1'000'000'000) {}
  SteadyTime Now() const override {
    return SteadyTime(std::chrono::nanoseconds(now_ns_.load(std::memory_order_relaxed)));
  }
  void Advance(std::chrono::nanoseconds d) { now_ns_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_ns_;
};

// An approximate sliding window of one minute: the current and the previous fixed minute, the
// previous one weighted by how much of it still overlaps the window (the same estimate nginx and
// Cloudflare use). Lock-free; the rare minute rollover may lose a concurrent increment.
class MinuteWindow {
 public:
  // Adds `amount` if the estimate stays within `limit` (limit <= 0: always adds). Returns whether
  // it was added.
  bool TryAdd(SteadyTime now, int64_t amount, int64_t limit);
  void Add(SteadyTime now, int64_t amount);
  int64_t Estimate(SteadyTime now) const;
  // When the estimate will have dropped enough to admit `amount` more under `limit` (approx.).
  std::chrono::milliseconds RetryAfter(SteadyTime now, int64_t amount, int64_t limit) const;

 private:
  void Roll(int64_t minute);
  std::atomic<int64_t> minute_{0};  // index of the current minute
  std::atomic<int64_t> current_{0};
  std::atomic<int64_t> previous_{0};
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view BreakerStateName(BreakerState state);

// Counters since start (or since the deployment first appeared), for /health/deployments and
// metrics.
struct DeploymentCounters {
  uint64_t attempts = 0;   // upstream attempts started
  uint64_t successes = 0;  // attempts that delivered an answer
  uint64_t failures = 0;   // attempts that failed (any retryable or fallback-worthy reason)
  uint64_t retries = 0;    // attempts that were retries of this deployment
  uint64_t fallbacks = 0;  // times the router moved away from this deployment to another
  uint64_t cooldowns = 0;  // times the breaker opened
};

// A copy of one deployment's state at one moment, for the admin view.
struct DeploymentView {
  std::string id;
  BreakerState state = BreakerState::kClosed;
  int in_flight = 0;
  int64_t ttft_us = 0;      // moving average; 0 = no sample yet
  int recent_failures = 0;  // within the fail window
  std::chrono::milliseconds cooldown_left{0};
  int64_t rpm_used = 0;    // requests in the last minute (estimate)
  int64_t tpm_used = 0;    // tokens in the last minute (estimate)
  std::string last_error;  // message of the latest failure (no secrets: gateway-made text)
  DeploymentCounters counters;
};

class DeploymentHealth {
 public:
  explicit DeploymentHealth(std::string id) : id_(std::move(id)) {}
  const std::string& id() const { return id_; }

  // Routing: may a request be sent now? False while cooling down, and while the half-open probe
  // is out. Cheap (atomic loads); a true answer must be confirmed by TryAcquire.
  bool Available(SteadyTime now) const {
    const int64_t open_until = open_until_ns_.load(std::memory_order_relaxed);
    return open_until == 0 ||
           (now.time_since_epoch().count() >= open_until &&  // steady_clock counts nanoseconds
            !probing_.load(std::memory_order_relaxed));
  }
  // Claims the deployment for one attempt: after the cooldown only the first caller gets the
  // probe (`probe` set); with rpm > 0 the request must fit the window. On success the attempt is
  // in flight until Release().
  bool TryAcquire(SteadyTime now, int64_t rpm, bool& probe);
  // The attempt delivered its first content byte, `ttft` after it was sent. A successful probe
  // closes the breaker.
  void OnSuccess(std::chrono::microseconds ttft, bool probe);
  // The attempt failed in a way that counts against the deployment. Returns true when this
  // failure opened the breaker (the caller logs and counts the cooldown).
  bool OnFailure(SteadyTime now, const RouterConfig& router, std::string_view message, bool probe);
  // The attempt is over. A probe that got neither verdict (client gone, a 4xx that was the
  // client's fault) frees the half-open slot for the next request.
  void Release(bool unresolved_probe);
  // Tokens used, for tpm.
  void AddTokens(SteadyTime now, int64_t tokens) { tokens_.Add(now, tokens); }
  bool TokensFit(SteadyTime now, int64_t tpm) const {
    return tpm <= 0 || tokens_.Estimate(now) < tpm;
  }
  void CountRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }
  void CountFallback() { fallbacks_.fetch_add(1, std::memory_order_relaxed); }

  // How long the cooldown still lasts (0 when closed or over).
  std::chrono::milliseconds CooldownLeft(SteadyTime now) const;
  // How long until the rpm window admits one more request.
  std::chrono::milliseconds RpmRetryAfter(SteadyTime now, int64_t rpm) const {
    return requests_.RetryAfter(now, 1, rpm);
  }
  bool RequestsFit(SteadyTime now, int64_t rpm) const {
    return rpm <= 0 || requests_.Estimate(now) + 1 <= rpm;
  }

  int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int64_t ttft_us() const { return ttft_us_.load(std::memory_order_relaxed); }
  DeploymentView View(SteadyTime now, const RouterConfig& router) const;

 private:
  std::string id_;
  std::atomic<int> in_flight_{0};
  std::atomic<int64_t> ttft_us_{0};
  // 0 = closed; otherwise the steady-clock nanoseconds at which the cooldown ends.
  std::atomic<int64_t> open_until_ns_{0};
  std::atomic<bool> probing_{false};  // the half-open probe is out
  MinuteWindow requests_;
  MinuteWindow tokens_;
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> successes_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> fallbacks_{0};
  std::atomic<uint64_t> cooldowns_{0};
  mutable std::mutex mu_;               // guards the two below
  std::vector<SteadyTime> fail_times_;  // failures within the window, oldest first
  std::string last_error_;
};

// One attempt's hold on a deployment (RAII): releases the in-flight slot, and an unresolved
// probe, when it goes out of scope.
class DeploymentLease {
 public:
  DeploymentLease() = default;
  DeploymentLease(DeploymentHealth* health, bool probe) : health_(health), probe_(probe) {}
  DeploymentLease(DeploymentLease&& other) noexcept
      : health_(std::exchange(other.health_, nullptr)),
        probe_(other.probe_),
        resolved_(other.resolved_) {}
  DeploymentLease& operator=(DeploymentLease&& other) noexcept {
    if (this != &other) {
      Reset();
      health_ = std::exchange(other.health_, nullptr);
      probe_ = other.probe_;
      resolved_ = other.resolved_;
    }
    return *this;
  }
  DeploymentLease(const DeploymentLease&) = delete;
  DeploymentLease& operator=(const DeploymentLease&) = delete;
  ~DeploymentLease() { Reset(); }

  explicit operator bool() const { return health_ != nullptr; }
  bool probe() const { return probe_; }
  void Success(std::chrono::microseconds ttft) {
    if (health_ != nullptr && !resolved_) {
      health_->OnSuccess(ttft, probe_);
      resolved_ = true;
    }
  }
  // Returns true when this failure opened the breaker.
  bool Failure(SteadyTime now, const RouterConfig& router, std::string_view message) {
    if (health_ == nullptr || resolved_) {
      return false;
    }
    resolved_ = true;
    return health_->OnFailure(now, router, message, probe_);
  }
  void Reset() {
    if (health_ != nullptr) {
      health_->Release(probe_ && !resolved_);
      health_ = nullptr;
    }
  }

 private:
  DeploymentHealth* health_ = nullptr;
  bool probe_ = false;
  bool resolved_ = false;
};

// Every deployment's state, by id. See the header comment for threading and lifetime.
class HealthRegistry {
 public:
  explicit HealthRegistry(const Clock& clock = Clock::Steady()) : clock_(&clock) {}
  // The state for an id, created on first use. The reference stays valid for the registry's
  // lifetime.
  DeploymentHealth& For(std::string_view id);
  // Copies of every state, sorted by id.
  std::vector<DeploymentView> Views(const RouterConfig& router) const;
  // The request window of a zone (its rpm limit), created on first use; valid for the
  // registry's lifetime.
  MinuteWindow& ZoneRequests(std::string_view zone);
  const Clock& clock() const { return *clock_; }

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<DeploymentHealth>, std::less<>> states_;
  std::map<std::string, std::unique_ptr<MinuteWindow>, std::less<>> zones_;
};

}  // namespace baton
