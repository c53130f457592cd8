// Why it looks like this:
// - the routing side (Available, TryAcquire on a closed breaker) touches only atomics, so a
//   decision over many deployments stays well under a microsecond;
// - failures are rare next to successes, so their bookkeeping may take a mutex;
// - the failure window counts failures whatever happened in between (a deployment failing every
//   other request still cools down); only a successful half-open probe clears it.
#include "router/health.hpp"

#include <algorithm>
#include <type_traits>

namespace baton {

namespace {

constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr int64_t kTtftSmoothing = 8;  // exponential moving average, alpha = 1/8

static_assert(std::is_same_v<SteadyTime::duration, std::chrono::nanoseconds>,
              "DeploymentHealth::Available compares raw steady_clock counts with nanoseconds");

int64_t Ns(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

class SteadyClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const Clock& Clock::Steady() {
  static const SteadyClock clock;
  return clock;
}

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "healthy";
    case BreakerState::kOpen:
      return "cooldown";
    case BreakerState::kHalfOpen:
      return "half-open";
  }
  return "healthy";
}

void MinuteWindow::Roll(int64_t minute) {
  int64_t seen = minute_.load(std::memory_order_acquire);
  if (seen >= minute) {
    return;
  }
  if (!minute_.compare_exchange_strong(seen, minute, std::memory_order_acq_rel)) {
    return;  // another thread rolled it
  }
  int64_t current = current_.exchange(0, std::memory_order_acq_rel);
  previous_.store(minute == seen + 1 ? current : 0, std::memory_order_release);
}

bool MinuteWindow::TryAdd(SteadyTime now, int64_t amount, int64_t limit) {
  Roll(Ns(now) / kMinuteNs);
  if (limit > 0 && Estimate(now) + amount > limit) {
    return false;
  }
  current_.fetch_add(amount, std::memory_order_relaxed);
  return true;
}

void MinuteWindow::Add(SteadyTime now, int64_t amount) {
  Roll(Ns(now) / kMinuteNs);
  current_.fetch_add(amount, std::memory_order_relaxed);
}

int64_t MinuteWindow::Estimate(SteadyTime now) const {
  const int64_t ns = Ns(now);
  const int64_t minute = ns / kMinuteNs;
  const int64_t seen = minute_.load(std::memory_order_acquire);
  const double left_of_previous = 1.0 - (static_cast<double>(ns % kMinuteNs) / kMinuteNs);
  if (minute == seen) {
    return current_.load(std::memory_order_relaxed) +
           static_cast<int64_t>(static_cast<double>(previous_.load(std::memory_order_relaxed)) *
                                left_of_previous);
  }
  if (minute == seen + 1) {
    return static_cast<int64_t>(static_cast<double>(current_.load(std::memory_order_relaxed)) *
                                left_of_previous);
  }
  return 0;
}

std::chrono::milliseconds MinuteWindow::RetryAfter(SteadyTime now, int64_t amount,
                                                   int64_t limit) const {
  const int64_t ns = Ns(now);
  const int64_t into_minute = ns % kMinuteNs;
  const int64_t to_next_minute_ms = (kMinuteNs - into_minute) / 1'000'000;
  const int64_t minute = ns / kMinuteNs;
  const int64_t seen = minute_.load(std::memory_order_acquire);
  const int64_t current = minute == seen ? current_.load(std::memory_order_relaxed) : 0;
  int64_t previous = 0;
  if (minute == seen) {
    previous = previous_.load(std::memory_order_relaxed);
  } else if (minute == seen + 1) {
    previous = current_.load(std::memory_order_relaxed);
  }
  if (limit <= 0 || current + previous + amount <= limit || previous <= 0) {
    // Either it fits already, or only this minute's own count is in the way: wait for the
    // minute to roll (the previous minute then weighs in, so this is a lower bound).
    return std::chrono::milliseconds(limit > 0 && current + amount > limit ? to_next_minute_ms : 0);
  }
  if (current + amount > limit) {
    return std::chrono::milliseconds(to_next_minute_ms);
  }
  // previous * (1 - f) + current + amount <= limit  <=>  f >= 1 - (limit - current - amount) /
  // previous.
  const double needed =
      1.0 - (static_cast<double>(limit - current - amount) / static_cast<double>(previous));
  const auto at_ns = static_cast<int64_t>(needed * static_cast<double>(kMinuteNs));
  return std::chrono::milliseconds(std::max<int64_t>(0, ((at_ns - into_minute) / 1'000'000) + 1));
}

std::chrono::milliseconds DeploymentHealth::CooldownLeft(SteadyTime now) const {
  const int64_t open_until = open_until_ns_.load(std::memory_order_relaxed);
  const int64_t left = open_until - Ns(now);
  if (open_until == 0 || left <= 0) {
    return std::chrono::milliseconds(0);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(left));
}

bool DeploymentHealth::TryAcquire(SteadyTime now, int64_t rpm, bool& probe) {
  probe = false;
  const int64_t open_until = open_until_ns_.load(std::memory_order_acquire);
  if (open_until != 0) {
    if (Ns(now) < open_until || probing_.exchange(true, std::memory_order_acq_rel)) {
      return false;
    }
    probe = true;
  }
  if (!requests_.TryAdd(now, 1, rpm)) {
    if (probe) {
      probing_.store(false, std::memory_order_release);
      probe = false;
    }
    return false;
  }
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  attempts_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void DeploymentHealth::OnSuccess(std::chrono::microseconds ttft, bool probe) {
  successes_.fetch_add(1, std::memory_order_relaxed);
  const int64_t sample = std::max<int64_t>(1, ttft.count());
  const int64_t old = ttft_us_.load(std::memory_order_relaxed);
  ttft_us_.store(old == 0 ? sample : old + ((sample - old) / kTtftSmoothing),
                 std::memory_order_relaxed);
  if (probe) {
    std::lock_guard lock(mu_);
    fail_times_.clear();
    open_until_ns_.store(0, std::memory_order_release);
    probing_.store(false, std::memory_order_release);
  }
}

bool DeploymentHealth::OnFailure(SteadyTime now, const RouterConfig& router,
                                 std::string_view message, bool probe) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  last_error_.assign(message);
  const int64_t cooldown_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(router.cooldown).count();
  auto open = [&] {
    fail_times_.clear();
    open_until_ns_.store(std::max<int64_t>(1, Ns(now) + cooldown_ns), std::memory_order_release);
    probing_.store(false, std::memory_order_release);
    cooldowns_.fetch_add(1, std::memory_order_relaxed);
    return true;
  };
  if (probe) {
    return open();  // the half-open probe failed: cool down again
  }
  if (open_until_ns_.load(std::memory_order_relaxed) != 0) {
    return false;  // already open: an attempt that started before the breaker opened
  }
  if (router.cooldown.count() <= 0) {
    return false;  // cooldowns disabled
  }
  const SteadyTime oldest = now - router.fail_window;
  std::erase_if(fail_times_, [&](SteadyTime t) { return t < oldest; });
  fail_times_.push_back(now);
  if (static_cast<int>(fail_times_.size()) > router.allowed_fails) {
    return open();
  }
  return false;
}

void DeploymentHealth::Release(bool unresolved_probe) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (unresolved_probe) {
    probing_.store(false, std::memory_order_release);
  }
}

DeploymentView DeploymentHealth::View(SteadyTime now, const RouterConfig& router) const {
  DeploymentView v;
  v.id = id_;
  const int64_t open_until = open_until_ns_.load(std::memory_order_acquire);
  if (open_until == 0) {
    v.state = BreakerState::kClosed;
  } else if (Ns(now) < open_until) {
    v.state = BreakerState::kOpen;
    v.cooldown_left = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(open_until - Ns(now)));
  } else {
    v.state = BreakerState::kHalfOpen;
  }
  v.in_flight = in_flight();
  v.ttft_us = ttft_us();
  v.rpm_used = requests_.Estimate(now);
  v.tpm_used = tokens_.Estimate(now);
  v.counters.attempts = attempts_.load(std::memory_order_relaxed);
  v.counters.successes = successes_.load(std::memory_order_relaxed);
  v.counters.failures = failures_.load(std::memory_order_relaxed);
  v.counters.retries = retries_.load(std::memory_order_relaxed);
  v.counters.fallbacks = fallbacks_.load(std::memory_order_relaxed);
  v.counters.cooldowns = cooldowns_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  const SteadyTime oldest = now - router.fail_window;
  v.recent_failures = static_cast<int>(
      std::ranges::count_if(fail_times_, [&](SteadyTime t) { return t >= oldest; }));
  v.last_error = last_error_;
  return v;
}

DeploymentHealth& HealthRegistry::For(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = states_.find(id);
  if (it == states_.end()) {
    it =
        states_.emplace(std::string(id), std::make_unique<DeploymentHealth>(std::string(id))).first;
  }
  return *it->second;
}

MinuteWindow& HealthRegistry::ZoneRequests(std::string_view zone) {
  std::lock_guard lock(mu_);
  auto it = zones_.find(zone);
  if (it == zones_.end()) {
    it = zones_.emplace(std::string(zone), std::make_unique<MinuteWindow>()).first;
  }
  return *it->second;
}

std::vector<DeploymentView> HealthRegistry::Views(const RouterConfig& router) const {
  const SteadyTime now = clock_->Now();
  std::lock_guard lock(mu_);
  std::vector<DeploymentView> views;
  views.reserve(states_.size());
  for (const auto& [id, state] : states_) {
    views.push_back(state->View(now, router));
  }
  return views;
}

}  // namespace baton
