// The event bus: fan-out, filters, a slow subscriber losing events (and being told) without
// slowing Publish, wake-ups of waiting coroutines from another thread.
#include "telemetry/events.hpp"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace baton {
namespace {

Event Make(EventType type, int n) {
  return EventBuilder(type, "req_" + std::to_string(n), "gpt", "", "alias").Int("n", n).Build();
}

TEST(EventBuilderTest, JsonShape) {
  Event e = EventBuilder(EventType::kFallback, "r1", "m", "eu", "")
                .Str("from", "a/x")
                .Str("to", "b\"y")
                .Usd("cost_usd", 1'500'000)
                .Bool("stream", true)
                .Build();
  EXPECT_EQ(e.type, EventType::kFallback);
  EXPECT_TRUE(e.json.starts_with(R"({"type":"model.fallback","time":)")) << e.json;
  EXPECT_NE(e.json.find(R"("request_id":"r1","model":"m","zone":"eu","from":"a/x")"),
            std::string::npos)
      << e.json;
  EXPECT_EQ(e.json.find("key_alias"), std::string::npos);  // empty: left out
  EXPECT_NE(e.json.find(R"("to":"b\"y")"), std::string::npos);
  EXPECT_NE(e.json.find(R"("stream":true})"), std::string::npos) << e.json;
}

TEST(EventTypesTest, Parse) {
  EXPECT_EQ(ParseEventTypes("").value(), kAllEventTypes);
  auto m = ParseEventTypes("model.request.complete, model.fallback");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, (1U << 1) | (1U << 5));
  auto bad = ParseEventTypes("model.request.complete,nope");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kBadRequest);
}

TEST(EventBusTest, NobodyListensNothingKept) {
  EventBus bus;
  EXPECT_FALSE(bus.active());
  bus.Publish(Make(EventType::kRequestStart, 1));
  EXPECT_EQ(bus.published(), 0U);
  int built = 0;
  PublishEvent(&bus, [&] {
    ++built;
    return Make(EventType::kRequestStart, 2);
  });
  EXPECT_EQ(built, 0);
}

TEST(EventBusTest, FanOutInOrderWithFilter) {
  EventBus bus;
  auto all1 = bus.Subscribe();
  auto all2 = bus.Subscribe();
  auto only = bus.Subscribe(ParseEventTypes("model.fallback").value());
  EXPECT_EQ(bus.subscribers(), 3U);
  for (int i = 0; i < 10; ++i) {
    bus.Publish(Make(i % 2 == 0 ? EventType::kRequestStart : EventType::kFallback, i));
  }
  for (auto* sub : {all1.get(), all2.get()}) {
    auto batch = sub->Take();
    ASSERT_EQ(batch.events.size(), 10U);
    EXPECT_EQ(batch.dropped, 0U);
    for (int i = 0; i < 10; ++i) {
      EXPECT_NE(batch.events[i]->json.find("\"n\":" + std::to_string(i) + "}"), std::string::npos);
    }
    EXPECT_TRUE(sub->Take().empty());
  }
  auto batch = only->Take();
  ASSERT_EQ(batch.events.size(), 5U);
  for (const auto& e : batch.events) {
    EXPECT_EQ(e->type, EventType::kFallback);
  }
  only.reset();
  EXPECT_EQ(bus.subscribers(), 2U);
}

TEST(EventBusTest, SlowSubscriberLosesOldestAndIsTold) {
  EventBus bus(EventBusOptions{.subscriber_queue = 8});
  auto slow = bus.Subscribe();
  auto fast = bus.Subscribe();
  for (int i = 0; i < 20; ++i) {
    bus.Publish(Make(EventType::kRequestStart, i));
    ASSERT_EQ(fast->Take().events.size(), 1U);
  }
  auto batch = slow->Take();
  EXPECT_EQ(batch.dropped, 12U);
  ASSERT_EQ(batch.events.size(), 8U);
  EXPECT_NE(batch.events.front()->json.find("\"n\":12}"), std::string::npos);
  EXPECT_TRUE(slow->Take().empty());
}

TEST(EventBusTest, PublishNeverWaitsForASubscriber) {
  // A subscriber that never reads: a million publishes take bounded memory and time.
  EventBus bus(EventBusOptions{.subscriber_queue = 1024});
  std::vector<std::unique_ptr<EventSubscription>> subs;
  for (int i = 0; i < 1000; ++i) {
    subs.push_back(bus.Subscribe());
  }
  const auto start = std::chrono::steady_clock::now();
  constexpr int kEvents = 200'000;
  for (int i = 0; i < kEvents; ++i) {
    bus.Publish(Make(EventType::kRequestComplete, i));
  }
  const auto per_event = (std::chrono::steady_clock::now() - start) / kEvents;
  // Generous (sanitizer builds): independent of the 1000 subscribers.
  EXPECT_LT(per_event, std::chrono::microseconds(20));
  EXPECT_EQ(bus.published(), static_cast<uint64_t>(kEvents));
  auto batch = subs[0]->Take();
  EXPECT_EQ(batch.dropped, kEvents - 1024U);
  EXPECT_EQ(batch.events.size(), 1024U);
}

TEST(EventBusTest, ArmWakeRespectsFilter) {
  EventBus bus;
  auto sub = bus.Subscribe(ParseEventTypes("model.cooldown").value());
  int woken = 0;
  ASSERT_TRUE(sub->ArmWake([&] { ++woken; }));
  bus.Publish(Make(EventType::kRequestStart, 1));
  EXPECT_EQ(woken, 0);
  bus.Publish(Make(EventType::kCooldown, 2));
  EXPECT_EQ(woken, 1);
  bus.Publish(Make(EventType::kCooldown, 3));
  EXPECT_EQ(woken, 1);                           // one-shot
  EXPECT_FALSE(sub->ArmWake([&] { ++woken; }));  // pending
  EXPECT_EQ(sub->Take().events.size(), 2U);
  EXPECT_TRUE(sub->ArmWake([&] { ++woken; }));
  sub->Disarm();
  bus.Publish(Make(EventType::kCooldown, 4));
  EXPECT_EQ(woken, 1);
}

Awaitable<void> Consume(EventSubscription* sub, std::vector<std::string>* got, int want) {
  while (static_cast<int>(got->size()) < want) {
    auto batch = co_await sub->Next(std::chrono::seconds(5));
    for (const auto& e : batch.events) {
      got->push_back(e->json);
    }
  }
}

TEST(EventBusTest, NextWakesOnPublishFromAnotherThread) {
  EventBus bus;
  auto sub = bus.Subscribe();
  boost::asio::io_context ioc;
  std::vector<std::string> got;
  boost::asio::co_spawn(ioc, Consume(sub.get(), &got, 50), boost::asio::detached);
  std::thread publisher([&bus] {
    for (int i = 0; i < 50; ++i) {
      bus.Publish(Make(EventType::kRequestStart, i));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  ioc.run();
  publisher.join();
  ASSERT_EQ(got.size(), 50U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // not timeouts
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(got[i].find("\"n\":" + std::to_string(i) + "}"), std::string::npos);
  }
}

}  // namespace
}  // namespace baton
