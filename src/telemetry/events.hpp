// Live events (docs/events.md): what happens to requests (start, completion with usage and cost,
// stream start, budget warnings and refusals, fallbacks, cooldowns), published once and fanned out
// to subscribers: `GET /events` clients (WebSocket or SSE) and the Redis stream sink.
//
// Shape: one ring of the last `subscriber_queue` events, shared by every subscriber, each reading
// it at its own pace with its own cursor. Publish() does O(1) work whatever the number of
// subscribers: nothing at all (not even building the event, see PublishEvent) when no subscriber
// wants the event's type, otherwise one ring slot write under the bus mutex. It never wakes a
// subscriber itself: the bus's notifier wakes the waiting subscribers whose filter matches what
// was published, at most once per `tick` (coalescing: a subscriber gets its events in batches,
// not one wake-up per event). A subscriber that falls more than `subscriber_queue` events behind
// loses the oldest ones: its next Take() jumps ahead and reports how many events *matching its
// filter* it missed (`dropped`), which the feeds turn into an `events.dropped` notice.
//
// Delivery: the bus owns one delivery thread (its own io_context) running at the lowest CPU
// priority (SCHED_IDLE), where the notifier ticks and where the WebSocket feeds run
// (delivery_executor()), so request threads never spend CPU on sending events; when the CPU is
// busy with requests, subscribers get less and lose events rather than slow requests.
//
// Events carry no secret: key alias and key prefix at most, never a key.
//
// Thread-safety: every member of EventBus and EventSubscription may be called from any thread;
// one subscription is used by one consumer at a time. Publish holds the bus mutex for a ring write
// only.
// Lifetime: the bus (owned by the App) outlives every subscription and every snapshot holding a
// pointer to it; a subscription unsubscribes when destroyed. Destroying the bus stops and joins
// its delivery thread (coroutines still on it are destroyed unfinished).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "money/money.hpp"

namespace baton {

enum class EventType : uint8_t {
  kRequestStart,     // model.request.start
  kRequestComplete,  // model.request.complete
  kStreamingStart,   // model.streaming.start
  kBudgetWarning,    // model.budget.warning
  kBudgetExceeded,   // model.budget.exceeded
  kFallback,         // model.fallback
  kCooldown,         // model.cooldown
};
inline constexpr int kEventTypeCount = 7;

std::string_view EventTypeName(EventType type);
// A set of types as a bit mask (bit i = EventType i); kAllEventTypes = no filter.
using EventTypeMask = uint32_t;
inline constexpr EventTypeMask kAllEventTypes = (1U << kEventTypeCount) - 1;
// "model.request.complete,model.fallback" → mask; empty text = all. kBadRequest naming the
// first unknown type.
Result<EventTypeMask> ParseEventTypes(std::string_view text);

struct Event {
  EventType type = EventType::kRequestStart;
  std::string json;  // the whole event, one JSON object without newline ("type" and "time" in it)
};

// Builds an event's JSON: {"type":..,"time":<unix ms>,"request_id":..,"model":..,"zone":..,
// "key_alias":..  then the fields added}. Empty strings among the common fields are left out.
class EventBuilder {
 public:
  EventBuilder(EventType type, std::string_view request_id, std::string_view model,
               std::string_view zone, std::string_view key_alias);
  EventBuilder& Str(std::string_view name, std::string_view value);
  EventBuilder& Int(std::string_view name, int64_t value);
  EventBuilder& Bool(std::string_view name, bool value);
  EventBuilder& Usd(std::string_view name, Money amount);  // a JSON number of US dollars
  // Raw JSON value (an object built by the caller).
  EventBuilder& Raw(std::string_view name, std::string_view json);
  Event Build();  // once: moves the text out

 private:
  EventType type_;
  std::string json_;
};

class EventBus;

class EventSubscription {
 public:
  ~EventSubscription();
  EventSubscription(const EventSubscription&) = delete;
  EventSubscription& operator=(const EventSubscription&) = delete;

  struct Batch {
    std::vector<std::shared_ptr<const Event>> events;  // oldest first, matching the filter
    // Events matching the filter lost since the last Take because this subscriber fell behind
    // by more than the ring (events its filter hides are not counted).
    uint64_t dropped = 0;
    bool cancelled = false;  // Next(): the wait was cancelled (the client went away)
    bool empty() const { return events.empty() && dropped == 0; }
  };
  // The pending events (at most `max`), without waiting.
  Batch Take(std::size_t max = 4096);
  // Waits up to `max_wait` for events (woken by the notifier after a matching Publish), then
  // Take(max). Coroutine: on the
  // caller's executor; cancellable (the wait ends, `cancelled` is set).
  Awaitable<Batch> Next(std::chrono::milliseconds max_wait, std::size_t max = 4096);
  // One-shot wake-up for consumers that are not coroutines (the Redis sink's thread): `wake` runs
  // on the notifier (delivery thread), under the bus mutex, at its first tick after a matching
  // Publish (it must only post or notify). Returns false
  // without arming when matching events are already pending.
  bool ArmWake(std::function<void()> wake);
  void Disarm();

  EventTypeMask types() const { return types_; }

 private:
  friend class EventBus;
  EventSubscription(EventBus* bus, EventTypeMask types, uint64_t cursor, uint64_t seen);

  EventBus* bus_;
  const EventTypeMask types_;
  uint64_t cursor_;  // next sequence to read; guarded by bus_->mu_
  // Events matching types_ published before cursor_ (the per-type totals at cursor_, summed over
  // types_): what tells how many matching events a jump skipped. Guarded by bus_->mu_.
  uint64_t seen_;
  std::function<void()> wake_;  // armed wake-up; guarded by bus_->mu_
  bool armed_ = false;
};

struct EventBusOptions {
  // Events kept for subscribers (the per-subscriber queue bound): a subscriber further behind
  // loses the oldest. Rounded up to a power of two.
  std::size_t subscriber_queue = 1024;
  // How often the notifier wakes subscribers that have matching events pending (the coalescing
  // period: events reach subscribers at most this much later than published).
  std::chrono::milliseconds tick{15};
  // Run the delivery thread SCHED_IDLE (false: the default priority, for tests).
  bool low_priority = true;
};

class EventBus {
 public:
  explicit EventBus(EventBusOptions options = {});
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // True when anyone listens (a subscriber or a sink).
  bool active() const { return listeners_.load(std::memory_order_relaxed) > 0; }
  // True when some subscriber's filter takes `type`: callers skip building events otherwise.
  bool wants(EventType type) const {
    return wanted_[static_cast<std::size_t>(type)].load(std::memory_order_relaxed) > 0;
  }
  // Never waits on a subscriber. Dropped at once when nobody wants the type.
  void Publish(Event event);
  // A new subscriber, reading events published from now on; `types` filters.
  std::unique_ptr<EventSubscription> Subscribe(EventTypeMask types = kAllEventTypes);

  // The delivery thread's executor (low priority): where feeds that send events should run.
  // Not after StopDelivery().
  boost::asio::any_io_executor delivery_executor() const;
  // Stops and joins the delivery thread and destroys what still runs on it (feeds whose clients
  // outlived the drain, and with them the connection coroutines waiting for them). Call once the
  // server's threads have stopped and before the server is destroyed (the App does); the
  // destructor does it otherwise. Idempotent. No wake-ups happen afterwards.
  void StopDelivery();

  std::size_t subscribers() const { return listeners_.load(std::memory_order_relaxed); }
  uint64_t published() const;
  std::size_t capacity() const { return ring_.size(); }

 private:
  friend class EventSubscription;
  struct Delivery;
  void Unsubscribe(EventSubscription* sub);
  void Tick();  // the notifier (delivery thread)
  // Sum over `types` of the events published so far (of matching type); of those still in the
  // ring (`in_ring`). Under mu_.
  uint64_t Total(EventTypeMask types, bool in_ring) const;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const Event>> ring_;   // capacity a power of two
  uint64_t head_ = 0;                                // sequence of the next event
  std::array<uint64_t, kEventTypeCount> totals_{};   // events published, per type
  std::array<uint64_t, kEventTypeCount> in_ring_{};  // of those, still in the ring
  EventTypeMask pending_types_ = 0;                  // published since the notifier's last tick
  std::vector<EventSubscription*> waiting_;          // armed subscriptions
  std::atomic<std::size_t> listeners_{0};
  std::array<std::atomic<uint32_t>, kEventTypeCount> wanted_{};  // subscribers per type
  std::unique_ptr<Delivery> delivery_;                           // last: stopped first
};

// True when `bus` is set and someone listens to events of `type`.
inline bool Listening(const EventBus* bus, EventType type) {
  return bus != nullptr && bus->wants(type);
}

// Publishes an event of `type` when `bus` is set and someone wants that type; `build` (returning
// an Event, or an optional<Event> where nullopt = nothing to publish) runs only then: no cost
// otherwise.
template <typename BuildFn>
inline void PublishEvent(EventBus* bus, EventType type, BuildFn&& build) {
  if (Listening(bus, type)) {
    auto event = std::forward<BuildFn>(build)();
    if constexpr (std::is_same_v<decltype(event), std::optional<Event>>) {
      if (event) {
        bus->Publish(std::move(*event));
      }
    } else {
      bus->Publish(std::move(event));
    }
  }
}

}  // namespace baton
