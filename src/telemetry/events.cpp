// One shared ring instead of a queue per subscriber: with 1000 subscribers a per-subscriber queue
// would make every request pay 1000 pushes; the ring makes Publish one slot write, and each
// subscriber's "queue" is the distance between its cursor and the head.
#include "telemetry/events.hpp"

#include <algorithm>
#include <array>
#include <bit>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/json_text.hpp"

namespace baton {

namespace asio = boost::asio;

namespace {

constexpr std::array<std::string_view, kEventTypeCount> kTypeNames = {
    "model.request.start",  "model.request.complete", "model.streaming.start",
    "model.budget.warning", "model.budget.exceeded",  "model.fallback",
    "model.cooldown",
};

EventTypeMask Bit(EventType type) {
  return 1U << static_cast<unsigned>(type);
}

int64_t UnixMillisNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  return kTypeNames.at(static_cast<std::size_t>(type));
}

Result<EventTypeMask> ParseEventTypes(std::string_view text) {
  EventTypeMask mask = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    while (!name.empty() && name.front() == ' ') {
      name.remove_prefix(1);
    }
    while (!name.empty() && name.back() == ' ') {
      name.remove_suffix(1);
    }
    if (!name.empty()) {
      const auto* it = std::ranges::find(kTypeNames, name);
      if (it == kTypeNames.end()) {
        return Error(ErrorKind::kBadRequest,
                     "unknown event type \"" + std::string(name.substr(0, 64)) + "\" in types",
                     "invalid_event_type", "types");
      }
      mask |= 1U << static_cast<unsigned>(it - kTypeNames.begin());
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return mask == 0 ? kAllEventTypes : mask;
}

EventBuilder::EventBuilder(EventType type, std::string_view request_id, std::string_view model,
                           std::string_view zone, std::string_view key_alias)
    : type_(type) {
  json_.reserve(256);
  json_ = R"({"type":")";
  json_ += EventTypeName(type);
  json_ += R"(","time":)";
  json_ += std::to_string(UnixMillisNow());
  if (!request_id.empty()) {
    Str("request_id", request_id);
  }
  if (!model.empty()) {
    Str("model", model);
  }
  if (!zone.empty()) {
    Str("zone", zone);
  }
  if (!key_alias.empty()) {
    Str("key_alias", key_alias);
  }
}

EventBuilder& EventBuilder::Str(std::string_view name, std::string_view value) {
  json_ += ",\"";
  json_ += name;
  json_ += "\":";
  AppendJsonString(json_, value);
  return *this;
}

EventBuilder& EventBuilder::Int(std::string_view name, int64_t value) {
  return Raw(name, std::to_string(value));
}

EventBuilder& EventBuilder::Bool(std::string_view name, bool value) {
  return Raw(name, value ? "true" : "false");
}

EventBuilder& EventBuilder::Usd(std::string_view name, Money amount) {
  return Raw(name, ToUsdString(amount));
}

EventBuilder& EventBuilder::Raw(std::string_view name, std::string_view json) {
  json_ += ",\"";
  json_ += name;
  json_ += "\":";
  json_ += json;
  return *this;
}

Event EventBuilder::Build() {
  json_ += '}';
  return Event{type_, std::move(json_)};
}

// --- EventBus ---

EventBus::EventBus(EventBusOptions options)
    : ring_(std::bit_ceil(std::max<std::size_t>(options.subscriber_queue, 2))) {}

EventBus::~EventBus() = default;

void EventBus::Publish(Event event) {
  if (!active()) {
    return;
  }
  auto shared = std::make_shared<const Event>(std::move(event));
  const EventTypeMask bit = Bit(shared->type);
  std::shared_ptr<const Event> old;  // freed after the lock
  {
    std::lock_guard lock(mu_);
    auto& slot = ring_[head_ & (ring_.size() - 1)];
    old = std::move(slot);
    slot = std::move(shared);
    ++head_;
    for (std::size_t i = 0; i < waiting_.size();) {
      EventSubscription* sub = waiting_[i];
      if ((sub->types_ & bit) == 0) {
        ++i;
        continue;
      }
      sub->armed_ = false;
      auto wake = std::move(sub->wake_);
      sub->wake_ = nullptr;
      waiting_[i] = waiting_.back();
      waiting_.pop_back();
      if (wake) {
        wake();
      }
    }
  }
}

std::unique_ptr<EventSubscription> EventBus::Subscribe(EventTypeMask types) {
  std::lock_guard lock(mu_);
  listeners_.fetch_add(1, std::memory_order_relaxed);
  return std::unique_ptr<EventSubscription>(new EventSubscription(this, types, head_));
}

uint64_t EventBus::published() const {
  std::lock_guard lock(mu_);
  return head_;
}

void EventBus::Unsubscribe(EventSubscription* sub) {
  std::lock_guard lock(mu_);
  if (sub->armed_) {
    std::erase(waiting_, sub);
    sub->armed_ = false;
  }
  sub->wake_ = nullptr;
  listeners_.fetch_sub(1, std::memory_order_relaxed);
}

// --- EventSubscription ---

EventSubscription::EventSubscription(EventBus* bus, EventTypeMask types, uint64_t cursor)
    : bus_(bus), types_(types), cursor_(cursor) {}

EventSubscription::~EventSubscription() {
  bus_->Unsubscribe(this);
}

EventSubscription::Batch EventSubscription::Take(std::size_t max) {
  Batch batch;
  std::lock_guard lock(bus_->mu_);
  const uint64_t head = bus_->head_;
  const uint64_t capacity = bus_->ring_.size();
  if (head - cursor_ > capacity) {
    batch.dropped = head - capacity - cursor_;
    cursor_ = head - capacity;
  }
  for (; cursor_ < head && batch.events.size() < max; ++cursor_) {
    const auto& event = bus_->ring_[cursor_ & (capacity - 1)];
    if ((types_ & Bit(event->type)) != 0) {
      batch.events.push_back(event);
    }
  }
  return batch;
}

bool EventSubscription::ArmWake(std::function<void()> wake) {
  std::lock_guard lock(bus_->mu_);
  const uint64_t head = bus_->head_;
  const uint64_t capacity = bus_->ring_.size();
  if (head - cursor_ > capacity) {
    return false;  // a drop to report
  }
  for (; cursor_ < head; ++cursor_) {
    if ((types_ & Bit(bus_->ring_[cursor_ & (capacity - 1)]->type)) != 0) {
      return false;  // a matching event is pending
    }
  }
  wake_ = std::move(wake);
  if (!armed_) {
    armed_ = true;
    bus_->waiting_.push_back(this);
  }
  return true;
}

void EventSubscription::Disarm() {
  std::lock_guard lock(bus_->mu_);
  if (armed_) {
    std::erase(bus_->waiting_, this);
    armed_ = false;
  }
  wake_ = nullptr;
}

Awaitable<EventSubscription::Batch> EventSubscription::Next(std::chrono::milliseconds max_wait,
                                                            std::size_t max) {
  Batch batch = Take(max);
  if (!batch.empty()) {
    co_return batch;
  }
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, max_wait);
  std::weak_ptr<asio::steady_timer> weak = timer;
  // Runs on the publisher's thread: only posts; the timer is touched on its own executor.
  auto wake = [executor, weak] {
    asio::post(executor, [weak] {
      if (auto t = weak.lock()) {
        t->cancel();
      }
    });
  };
  bool cancelled = false;
  if (ArmWake(std::move(wake))) {
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    Disarm();
    if (ec == asio::error::operation_aborted) {
      cancelled = (co_await asio::this_coro::cancellation_state).cancelled() !=
                  asio::cancellation_type::none;
    }
  }
  batch = Take(max);
  batch.cancelled = cancelled;
  co_return batch;
}

}  // namespace baton
