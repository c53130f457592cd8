// The events the Forwarder publishes (docs/events.md), built here so that forward.cpp carries only
// one-line hooks. Every function is cheap to skip: callers go through PublishEvent, which builds
// nothing when nobody listens.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "money/counters.hpp"
#include "router/route_table.hpp"
#include "telemetry/events.hpp"
#include "telemetry/request_record.hpp"

namespace baton {

// model.budget.warning: scope kind (never a key hash), budget and committed in USD.
Event BudgetEvent(EventBuilder builder, const BudgetLevel& level);
// model.budget.exceeded for an admission refused by a budget; nullopt for any other refusal.
std::optional<Event> BudgetRefusalEvent(EventBuilder builder, const Admission& admission);
// model.request.complete: status, latency, usage, cost, what answered, from the request's record.
Event CompleteEvent(EventBuilder builder, const RequestRecord& record);

// model.fallback: from and to ("provider/model"), reason (the failure that moved on).
Event FallbackEvent(EventBuilder builder, const Deployment& from, const Deployment& to,
                    const Error& reason);
// model.cooldown: the deployment, for how long, why.
Event CooldownEvent(EventBuilder builder, const Deployment& deployment,
                    std::chrono::milliseconds cooldown, const Error& reason);

// model.streaming.start, fired when a stream's head goes out (the relays' CommitStream). Views
// into the Forwarder's state, valid for the attempt.
struct StreamStartHook {
  EventBus* bus = nullptr;
  std::string_view request_id;
  std::string_view model;
  std::string_view zone;
  std::string_view key_alias;
  std::string_view deployment;
  void Fire() const;
};

}  // namespace baton
