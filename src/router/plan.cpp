// Why it looks like this:
// - deployments are stored sorted by priority, so the best level starts at the first eligible
//   deployment and a "priority" decision stops there;
// - ties under least-busy and lowest-latency are broken by starting the scan at a random
//   offset, so idle deployments share the load instead of the first one taking it all;
// - the reasons for an empty plan are worked out only when it is empty (Explain), keeping the
//   decision itself free of bookkeeping.
#include "router/plan.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>

namespace baton {

namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// xorshift64*: a fast per-thread generator; routing needs spread, not secrecy.
uint64_t NextRandom() {
  thread_local uint64_t state = [] {
    auto seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<uintptr_t>(&seed);  // NOLINT(*-reinterpret-cast): per-thread salt
    return seed == 0 ? 0x9E3779B97F4A7C15ULL : seed;
  }();
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

std::string JoinList(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

}  // namespace

RoutePlan::RoutePlan(const Route& route, const ZoneConfig* zone, const Clock& clock)
    : route_(&route), zone_(zone), clock_(&clock) {
  if (route.deployments.size() > 64) {
    tried_large_.assign((route.deployments.size() + 63) / 64, 0);
  }
  if (zone != nullptr && route.zones != nullptr && zone >= route.zones &&
      zone < route.zones + route.zone_count) {
    zone_table_ = route.zone_allowed.data() +
                  static_cast<std::size_t>(zone - route.zones) * route.deployments.size();
  }
}

bool RoutePlan::Tried(std::size_t i) const {
  const uint64_t word = tried_large_.empty() ? tried_small_ : tried_large_[i / 64];
  return (word >> (i % 64) & 1U) != 0;
}

void RoutePlan::MarkTried(std::size_t i) {
  if (tried_large_.empty()) {
    tried_small_ |= uint64_t{1} << i;
  } else {
    tried_large_[i / 64] |= uint64_t{1} << (i % 64);
  }
}

bool RoutePlan::Eligible(std::size_t i, SteadyTime now) const {
  if (Tried(i)) {
    return false;
  }
  const RouteSlot& slot = route_->slots[i];
  if (!slot.available || !slot.health->Available(now) || !slot.health->RequestsFit(now, slot.rpm) ||
      !slot.health->TokensFit(now, slot.tpm)) {
    return false;
  }
  if (same_model_ != nullptr && route_->deployments[i].model != *same_model_) {
    return false;
  }
  if (zone_table_ != nullptr) {
    return zone_table_[i] != 0;
  }
  return zone_ == nullptr || ZoneAllows(zone_, *route_, route_->deployments[i]);
}

std::size_t RoutePlan::Choose(SteadyTime now) const {
  const auto& slots = route_->slots;
  const std::size_t n = slots.size();
  std::size_t first = 0;
  while (first < n && !Eligible(first, now)) {
    ++first;
  }
  if (first == n || route_->strategy == RouteStrategy::kPriority) {
    return first == n ? kNone : first;
  }
  const int level = slots[first].priority;
  std::size_t end = first + 1;
  while (end < n && slots[end].priority == level) {
    ++end;
  }
  if (end == first + 1) {
    return first;
  }
  const std::size_t span = end - first;
  switch (route_->strategy) {
    case RouteStrategy::kWeighted: {
      // One pass collecting the eligible deployments with their running weight totals, then one
      // random draw (scaled by a multiply, not a division) and a binary search.
      constexpr std::size_t kMaxSpan = 128;
      std::array<uint32_t, kMaxSpan> index{};
      std::array<uint64_t, kMaxSpan> cumulative{};
      std::size_t count = 0;
      uint64_t total = 0;
      for (std::size_t i = first; i < end; ++i) {
        const auto w = static_cast<uint64_t>(std::max(0, slots[i].weight));
        if (w == 0 || (i != first && !Eligible(i, now))) {
          continue;
        }
        total += w;
        if (count < kMaxSpan) {
          index[count] = static_cast<uint32_t>(i);
          cumulative[count] = total;
          ++count;
        }
      }
      if (count == 0) {
        return first;
      }
      total = cumulative[count - 1];  // a level wider than kMaxSpan draws among its first ones
      const auto r =
          static_cast<uint64_t>((static_cast<unsigned __int128>(NextRandom()) * total) >> 64U);
      const auto* hit = std::upper_bound(cumulative.data(), cumulative.data() + count, r);
      return index[static_cast<std::size_t>(hit - cumulative.data())];
    }
    case RouteStrategy::kLeastBusy:
    case RouteStrategy::kLowestLatency: {
      const bool busy = route_->strategy == RouteStrategy::kLeastBusy;
      const std::size_t offset = NextRandom() % span;
      std::size_t best = kNone;
      int64_t best_score = std::numeric_limits<int64_t>::max();
      for (std::size_t k = 0; k < span; ++k) {
        std::size_t i = first + offset + k;
        if (i >= end) {
          i -= span;
        }
        const int64_t score = busy ? slots[i].health->in_flight() : slots[i].health->ttft_us();
        if (score < best_score && (i == first || Eligible(i, now))) {
          best = i;
          best_score = score;
        }
      }
      return best == kNone ? first : best;
    }
    case RouteStrategy::kLowestCost: {
      std::size_t best = first;
      for (std::size_t i = first + 1; i < end; ++i) {
        if (slots[i].cost_per_token < slots[best].cost_per_token && Eligible(i, now)) {
          best = i;
        }
      }
      return best;
    }
    case RouteStrategy::kPriority:
      break;
  }
  return first;
}

RoutePlan::Pick RoutePlan::Next() {
  Pick pick;
  if (done_) {
    return pick;
  }
  const SteadyTime now = clock_->Now();
  for (;;) {
    std::size_t i = Choose(now);
    if (i == kNone) {
      Explain(now);
      return pick;
    }
    MarkTried(i);
    const Deployment& d = route_->deployments[i];
    bool probe = false;
    if (!route_->slots[i].health->TryAcquire(now, route_->slots[i].rpm, probe)) {
      continue;  // lost a race for the probe or the last rpm slot
    }
    pick.deployment = &d;
    pick.lease = DeploymentLease(d.health, probe);
    if (picks_++ == 0) {
      if (route_->fallback == FallbackMode::kNone) {
        done_ = true;
      } else if (route_->fallback == FallbackMode::kSameModel) {
        same_model_ = &d.model;
      }
    }
    return pick;
  }
}

bool RoutePlan::Reacquire(const Deployment& d, DeploymentLease& lease) {
  lease.Reset();
  const SteadyTime now = clock_->Now();
  bool probe = false;
  if (!d.health->TryAcquire(now, d.settings.rpm, probe)) {
    return false;
  }
  lease = DeploymentLease(d.health, probe);
  d.health->CountRetry();
  return true;
}

void RoutePlan::Explain(SteadyTime now) {
  zone_denied_ = unconfigured_ = cooling_ = limited_ = 0;
  int64_t wait_ms = std::numeric_limits<int64_t>::max();
  for (std::size_t i = 0; i < route_->deployments.size(); ++i) {
    if (Tried(i)) {
      continue;
    }
    const Deployment& d = route_->deployments[i];
    if (same_model_ != nullptr && d.model != *same_model_) {
      continue;
    }
    if (!ZoneAllows(zone_, *route_, d)) {
      ++zone_denied_;
    } else if (!d.provider->config().available) {
      ++unconfigured_;
      if (unconfigured_reason_.empty()) {
        unconfigured_reason_ = "provider \"" + d.provider->name() +
                               "\" is not configured: " + d.provider->config().unavailable_reason;
      }
    } else if (!d.health->Available(now)) {
      ++cooling_;
      wait_ms = std::min<int64_t>(wait_ms, d.health->CooldownLeft(now).count());
    } else {
      ++limited_;
      wait_ms = std::min<int64_t>(wait_ms, d.health->RpmRetryAfter(now, d.settings.rpm).count());
    }
  }
  if (wait_ms != std::numeric_limits<int64_t>::max()) {
    retry_after_s_ = static_cast<int>(std::max<int64_t>(1, (wait_ms + 999) / 1000));
  }
}

Error RoutePlan::Exhausted() const {
  const std::string& name = route_->name;
  if (zone_denied_ > 0 && unconfigured_ == 0 && cooling_ == 0 && limited_ == 0) {
    std::string message = "zone \"" + zone_->name + "\" does not allow model \"" + name + "\"";
    if (!zone_->allowed_models.empty()) {
      message += " (allowed models: " + JoinList(zone_->allowed_models) + ")";
    }
    if (!zone_->allowed_providers.empty()) {
      message +=
          (zone_->allowed_models.empty() ? " (allowed providers: " : "; allowed providers: ");
      message += JoinList(zone_->allowed_providers) + ")";
    }
    return {ErrorKind::kForbidden, std::move(message), "zone_policy_violation", "model"};
  }
  if (cooling_ > 0 && limited_ == 0) {
    return {ErrorKind::kUnavailable,
            "every deployment of \"" + name + "\" is cooling down after repeated failures",
            "deployments_cooling_down"};
  }
  if (limited_ > 0) {
    return {ErrorKind::kRateLimited, "every deployment of \"" + name + "\" is at its rpm/tpm limit",
            "rate_limit_exceeded"};
  }
  if (unconfigured_ > 0) {
    return {ErrorKind::kUnavailable, unconfigured_reason_, "provider_unavailable"};
  }
  return {ErrorKind::kUnavailable, "no deployment of \"" + name + "\" could serve the request",
          "no_deployment"};
}

}  // namespace baton
