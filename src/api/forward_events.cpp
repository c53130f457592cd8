#include "api/forward_events.hpp"

namespace baton {

Event BudgetEvent(EventBuilder builder, const BudgetLevel& level) {
  return builder.Str("scope", ScopeKind(level.scope))
      .Usd("budget_usd", level.budget)
      .Usd("committed_usd", level.committed)
      .Build();
}

std::optional<Event> BudgetRefusalEvent(EventBuilder builder, const Admission& admission) {
  if (!admission.refused || admission.refused->code != "budget_exceeded") {
    return std::nullopt;
  }
  if (admission.refused_budget) {
    return BudgetEvent(std::move(builder), *admission.refused_budget);
  }
  return builder.Str("message", admission.refused->message).Build();
}

Event CompleteEvent(EventBuilder builder, const RequestRecord& r) {
  std::string usage = R"({"prompt_tokens":)";
  usage += std::to_string(r.prompt_tokens);
  usage += R"(,"completion_tokens":)";
  usage += std::to_string(r.completion_tokens);
  usage += R"(,"cached_tokens":)";
  usage += std::to_string(r.cached_tokens);
  usage += '}';
  builder.Int("status", r.status)
      .Int("latency_ms", r.latency_ms)
      .Bool("stream", r.stream)
      .Raw("usage", usage)
      .Usd("cost_usd", r.cost)
      .Int("attempts", r.attempts)
      .Int("fallbacks", r.fallbacks);
  if (r.ttft_ms >= 0) {
    builder.Int("ttft_ms", r.ttft_ms);
  }
  if (!r.model_used.empty()) {
    builder.Str("model_used", r.model_used).Str("provider", r.provider);
  }
  if (!r.key_prefix.empty()) {
    builder.Str("key_prefix", r.key_prefix);
  }
  if (!r.error.empty()) {
    builder.Str("error", r.error);
  }
  return builder.Build();
}

Event FallbackEvent(EventBuilder builder, const Deployment& from, const Deployment& to,
                    const Error& reason) {
  return builder.Str("from", from.id).Str("to", to.id).Str("reason", reason.message).Build();
}

Event CooldownEvent(EventBuilder builder, const Deployment& deployment,
                    std::chrono::milliseconds cooldown, const Error& reason) {
  return builder.Str("deployment", deployment.id)
      .Int("cooldown_ms", cooldown.count())
      .Str("reason", reason.message)
      .Build();
}

void StreamStartHook::Fire() const {
  PublishEvent(bus, EventType::kStreamingStart, [this] {
    return EventBuilder(EventType::kStreamingStart, request_id, model, zone, key_alias)
        .Str("deployment", deployment)
        .Build();
  });
}

}  // namespace baton
