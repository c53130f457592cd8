// One shared ring instead of a queue per subscriber: with 1000 subscribers a per-subscriber queue
// would make every request pay 1000 pushes; the ring makes Publish one slot write, and each
// subscriber's "queue" is the distance between its cursor and the head. Wake-ups are the
// notifier's (one timer on the delivery thread), never Publish's: with 1000 subscribers a wake-up
// per event and subscriber was 1000 posts and 1000 socket writes per event on the request thread.
#include "telemetry/events.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

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

struct EventBus::Delivery {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  std::chrono::milliseconds tick;
  std::thread thread;
};

namespace {

void ArmTick(EventBus* bus, asio::steady_timer& timer, std::chrono::milliseconds tick,
             void (*on_tick)(EventBus*)) {
  timer.expires_after(tick);
  timer.async_wait([bus, &timer, tick, on_tick](const boost::system::error_code& ec) {
    if (ec) {
      return;  // stopped
    }
    on_tick(bus);
    ArmTick(bus, timer, tick, on_tick);
  });
}

}  // namespace

EventBus::EventBus(EventBusOptions options)
    : ring_(std::bit_ceil(std::max<std::size_t>(options.subscriber_queue, 2))),
      delivery_(std::make_unique<Delivery>()) {
  delivery_->tick = std::max(options.tick, std::chrono::milliseconds(1));
  ArmTick(this, delivery_->timer, delivery_->tick, [](EventBus* bus) { bus->Tick(); });
  const bool low = options.low_priority;
  delivery_->thread = std::thread([this, low] {
    pthread_setname_np(pthread_self(), "baton-events");
    if (low) {
      // SCHED_IDLE (per thread): the delivery runs on CPU time no request thread wants, and a
      // request thread waking up preempts it at once (with nice 19 it waited for the scheduler's
      // slice: 0.87x throughput with 1000 subscribers, bench/events.sh). Failure (e.g. a sandbox
      // refusing it) leaves the default policy: delivery still works.
      sched_param param{};
      param.sched_priority = 0;
      (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &param);
    }
    delivery_->io.run();
  });
}

EventBus::~EventBus() {
  StopDelivery();
}

void EventBus::StopDelivery() {
  if (delivery_ == nullptr) {
    return;
  }
  delivery_->work.reset();
  delivery_->io.stop();
  delivery_->thread.join();
  delivery_.reset();
}

asio::any_io_executor EventBus::delivery_executor() const {
  return delivery_->io.get_executor();
}

uint64_t EventBus::Total(EventTypeMask types, bool in_ring) const {
  uint64_t sum = 0;
  for (std::size_t t = 0; t < totals_.size(); ++t) {
    if ((types & (1U << t)) != 0) {
      sum += in_ring ? in_ring_.at(t) : totals_.at(t);
    }
  }
  return sum;
}

void EventBus::Publish(Event event) {
  if (!wants(event.type)) {
    return;
  }
  auto shared = std::make_shared<const Event>(std::move(event));
  const auto type = static_cast<std::size_t>(shared->type);
  std::shared_ptr<const Event> old;  // freed after the lock
  {
    std::lock_guard lock(mu_);
    auto& slot = ring_[head_ & (ring_.size() - 1)];
    old = std::move(slot);
    if (old != nullptr) {
      --in_ring_.at(static_cast<std::size_t>(old->type));
    }
    slot = std::move(shared);
    ++head_;
    ++totals_.at(type);
    ++in_ring_.at(type);
    pending_types_ |= 1U << type;
  }
}

void EventBus::Tick() {
  std::lock_guard lock(mu_);
  const EventTypeMask published = pending_types_;
  if (published == 0) {
    return;
  }
  pending_types_ = 0;
  for (std::size_t i = 0; i < waiting_.size();) {
    EventSubscription* sub = waiting_[i];
    if ((sub->types_ & published) == 0) {
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

std::unique_ptr<EventSubscription> EventBus::Subscribe(EventTypeMask types) {
  std::lock_guard lock(mu_);
  listeners_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t t = 0; t < wanted_.size(); ++t) {
    if ((types & (1U << t)) != 0) {
      wanted_.at(t).fetch_add(1, std::memory_order_relaxed);
    }
  }
  return std::unique_ptr<EventSubscription>(
      new EventSubscription(this, types, head_, Total(types, /*in_ring=*/false)));
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
  for (std::size_t t = 0; t < wanted_.size(); ++t) {
    if ((sub->types_ & (1U << t)) != 0) {
      wanted_.at(t).fetch_sub(1, std::memory_order_relaxed);
    }
  }
  listeners_.fetch_sub(1, std::memory_order_relaxed);
}

// --- EventSubscription ---

EventSubscription::EventSubscription(EventBus* bus, EventTypeMask types, uint64_t cursor,
                                     uint64_t seen)
    : bus_(bus), types_(types), cursor_(cursor), seen_(seen) {}

EventSubscription::~EventSubscription() {
  bus_->Unsubscribe(this);
}

EventSubscription::Batch EventSubscription::Take(std::size_t max) {
  Batch batch;
  std::lock_guard lock(bus_->mu_);
  const uint64_t head = bus_->head_;
  const uint64_t capacity = bus_->ring_.size();
  if (head - cursor_ > capacity) {
    // The ring is full: the matching events before its oldest slot are the matching totals less
    // the matching events still in it.
    const uint64_t seen = bus_->Total(types_, false) - bus_->Total(types_, true);
    batch.dropped = seen - seen_;
    seen_ = seen;
    cursor_ = head - capacity;
  }
  if (bus_->Total(types_, false) == seen_) {
    cursor_ = head;  // nothing pending matches the filter: no scan
    return batch;
  }
  for (; cursor_ < head && batch.events.size() < max; ++cursor_) {
    const auto& event = bus_->ring_[cursor_ & (capacity - 1)];
    if ((types_ & Bit(event->type)) != 0) {
      batch.events.push_back(event);
      ++seen_;
    }
  }
  return batch;
}

bool EventSubscription::ArmWake(std::function<void()> wake) {
  std::lock_guard lock(bus_->mu_);
  if (bus_->head_ - cursor_ > bus_->ring_.size() || bus_->Total(types_, false) != seen_) {
    return false;  // a drop to report, or a matching event pending
  }
  cursor_ = bus_->head_;
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
  // Runs on the notifier's thread: only posts; the timer is touched on its own executor.
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
