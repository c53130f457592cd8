// One request's walk over a route's deployments (DESIGN.md §2, router/ "plan").
//
// The first Next() is the routing decision: among the deployments the zone allows, whose
// provider is configured and whose breaker lets a request through, take the best priority level
// and pick one by the route's strategy (priority, weighted, least-busy, lowest-latency,
// lowest-cost). Later calls are fallbacks and follow the route's fallback mode: "priority" (any
// remaining deployment, best level first, the same strategy), "same-model" (only deployments
// serving the first one's upstream model), "none" (nothing more). Each returned deployment comes
// with a lease that holds its in-flight slot (and, after a cooldown, the half-open probe).
//
// The plan is lazy: a decision is one pass over the deployments (two for "weighted"), with no
// allocation for routes of up to 64 deployments.
// Thread-safety: a plan belongs to one request; the deployments' health is shared and atomic.
// Lifetime: borrows the route and the zone, which the request's snapshot keeps alive.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "router/health.hpp"
#include "router/route_table.hpp"

namespace baton {

class RoutePlan {
 public:
  RoutePlan(const Route& route, const ZoneConfig* zone, const Clock& clock);

  struct Pick {
    const Deployment* deployment = nullptr;
    DeploymentLease lease;
  };
  // The next deployment to try, or nullptr (deployment) when the plan is exhausted; see
  // Exhausted() for why.
  Pick Next();
  // Claims the same deployment again for a retry. False when its breaker opened meanwhile, or
  // its rpm is used up.
  bool Reacquire(const Deployment& d, DeploymentLease& lease);

  // Why nothing (more) could be tried, for the client when no attempt was made at all:
  // kForbidden when the zone excludes every deployment, kUnavailable when no provider is
  // configured or every deployment is cooling down (retry_after set), kRateLimited when every
  // deployment is at its rpm/tpm.
  Error Exhausted() const;
  // Seconds until a cooling deployment can take a probe, or the rpm window frees up (0 = none).
  int retry_after_seconds() const { return retry_after_s_; }

  int picks() const { return picks_; }
  const Route& route() const { return *route_; }

 private:
  bool Tried(std::size_t i) const;
  void MarkTried(std::size_t i);
  // Index of the strategy's choice among the eligible deployments, or npos.
  std::size_t Choose(SteadyTime now) const;
  bool Eligible(std::size_t i, SteadyTime now) const;
  // Records why nothing is eligible (for Exhausted()).
  void Explain(SteadyTime now);

  const Route* route_;
  const ZoneConfig* zone_;
  const uint8_t* zone_table_ = nullptr;  // the route's precomputed row for zone_, if any
  const Clock* clock_;
  uint64_t tried_small_ = 0;                 // routes of up to 64 deployments
  std::vector<uint64_t> tried_large_;        // longer routes: one bit per deployment
  const std::string* same_model_ = nullptr;  // "same-model": the first pick's upstream model
  int picks_ = 0;
  bool done_ = false;  // "none": the first pick was the only one
  // Why deployments were passed over (for Exhausted()).
  int zone_denied_ = 0;
  int unconfigured_ = 0;
  int cooling_ = 0;
  int limited_ = 0;
  int retry_after_s_ = 0;
  std::string unconfigured_reason_;
};

}  // namespace baton
