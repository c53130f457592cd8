// Why it looks like this:
// - deployments are stored sorted by priority, so the best level starts at the first eligible
//   deployment and a "priority" decision stops there;
// - ties under least-busy and lowest-latency are broken by starting the scan at a random
//   offset, so idle deployments share the load instead of the first one taking it all;
// - the reasons for an empty plan are worked out only when it is empty (Explain), keeping the
//   decision itself free of bookkeeping.
#include "router/plan.hpp"

#include <algorithm>
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

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::ranges::find(list, value) != list.end();
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

bool ZoneAllows(const ZoneConfig* zone, const Route& route, const Deployment& d) {
  if (zone == nullptr) {
    return true;
  }
  if (!zone->allowed_providers.empty() && !Contains(zone->allowed_providers, d.provider->name())) {
    return false;
  }
  return zone->allowed_models.empty() || Contains(zone->allowed_models, route.name) ||
         Contains(zone->allowed_models, d.id);
}

RoutePlan::RoutePlan(const Route& route, const ZoneConfig* zone, const Clock& clock)
    : route_(&route), zone_(zone), clock_(&clock) {
  if (route.deployments.size() > 64) {
    tried_large_.assign(route.deployments.size(), false);
  }
}

bool RoutePlan::Tried(std::size_t i) const {
  return i < 64 && tried_large_.empty() ? (tried_small_ >> i & 1U) != 0 : tried_large_[i];
}

void RoutePlan::MarkTried(std::size_t i) {
  if (tried_large_.empty()) {
    tried_small_ |= uint64_t{1} << i;
  } else {
    tried_large_[i] = true;
  }
}

bool RoutePlan::Eligible(std::size_t i, SteadyTime now) const {
  if (Tried(i)) {
    return false;
  }
  const Deployment& d = route_->deployments[i];
  if (same_model_ != nullptr && d.model != *same_model_) {
    return false;
  }
  if (!d.provider->config().available || !d.health->Available(now) ||
      !d.health->RequestsFit(now, d.settings.rpm) || !d.health->TokensFit(now, d.settings.tpm)) {
    return false;
  }
  return zone_ == nullptr || ZoneAllows(zone_, *route_, d);
}

std::size_t RoutePlan::Choose(SteadyTime now) const {
  const auto& ds = route_->deployments;
  const std::size_t n = ds.size();
  std::size_t first = 0;
  while (first < n && !Eligible(first, now)) {
    ++first;
  }
  if (first == n || route_->strategy == RouteStrategy::kPriority) {
    return first == n ? kNone : first;
  }
  const int level = ds[first].settings.priority;
  std::size_t end = first + 1;
  while (end < n && ds[end].settings.priority == level) {
    ++end;
  }
  if (end == first + 1) {
    return first;
  }
  const std::size_t span = end - first;
  switch (route_->strategy) {
    case RouteStrategy::kWeighted: {
      uint64_t total = 0;
      for (std::size_t i = first; i < end; ++i) {
        if (Eligible(i, now)) {
          total += static_cast<uint64_t>(std::max(0, ds[i].settings.weight));
        }
      }
      if (total == 0) {
        return first;
      }
      uint64_t r = NextRandom() % total;
      for (std::size_t i = first; i < end; ++i) {
        if (!Eligible(i, now)) {
          continue;
        }
        auto w = static_cast<uint64_t>(std::max(0, ds[i].settings.weight));
        if (r < w) {
          return i;
        }
        r -= w;
      }
      return first;
    }
    case RouteStrategy::kLeastBusy:
    case RouteStrategy::kLowestLatency: {
      const bool busy = route_->strategy == RouteStrategy::kLeastBusy;
      const std::size_t offset = NextRandom() % span;
      std::size_t best = kNone;
      int64_t best_score = std::numeric_limits<int64_t>::max();
      for (std::size_t k = 0; k < span; ++k) {
        std::size_t i = first + (offset + k) % span;
        if (!Eligible(i, now)) {
          continue;
        }
        int64_t score = busy ? ds[i].health->in_flight() : ds[i].health->ttft_us();
        if (score < best_score) {
          best = i;
          best_score = score;
        }
      }
      return best == kNone ? first : best;
    }
    case RouteStrategy::kLowestCost: {
      std::size_t best = first;
      for (std::size_t i = first + 1; i < end; ++i) {
        if (ds[i].cost_per_token < ds[best].cost_per_token && Eligible(i, now)) {
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
    if (!d.health->TryAcquire(now, d.settings.rpm, probe)) {
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
