// The event bus: fan-out, filters, a slow subscriber losing events (and being told, counting only
// what its filter takes), events nobody wants not even built, wake-ups of waiting coroutines from
// another thread. Behaviour only: speed is bench/events.sh's.
#include "telemetry/events.hpp"

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
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
  PublishEvent(&bus, EventType::kRequestStart, [&] {
    ++built;
    return Make(EventType::kRequestStart, 2);
  });
  EXPECT_EQ(built, 0);
}

TEST(EventBusTest, TypesNobodyWantsAreNotBuiltNorKept) {
  EventBus bus;
  auto only = bus.Subscribe(ParseEventTypes("model.fallback").value());
  EXPECT_TRUE(bus.wants(EventType::kFallback));
  EXPECT_FALSE(bus.wants(EventType::kRequestStart));
  int built = 0;
  PublishEvent(&bus, EventType::kRequestStart, [&] {
    ++built;
    return Make(EventType::kRequestStart, 1);
  });
  EXPECT_EQ(built, 0);
  bus.Publish(Make(EventType::kRequestComplete, 2));
  EXPECT_EQ(bus.published(), 0U);
  PublishEvent(&bus, EventType::kFallback, [&] {
    ++built;
    return Make(EventType::kFallback, 3);
  });
  EXPECT_EQ(built, 1);
  EXPECT_EQ(bus.published(), 1U);
  auto all = bus.Subscribe();
  EXPECT_TRUE(bus.wants(EventType::kRequestStart));
  all.reset();
  EXPECT_FALSE(bus.wants(EventType::kRequestStart));
  EXPECT_TRUE(bus.wants(EventType::kFallback));
  only.reset();
  EXPECT_FALSE(bus.wants(EventType::kFallback));
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
  constexpr int kEvents = 200'000;
  for (int i = 0; i < kEvents; ++i) {
    bus.Publish(Make(EventType::kRequestComplete, i));
  }
  EXPECT_EQ(bus.published(), static_cast<uint64_t>(kEvents));
  auto batch = subs[0]->Take();
  EXPECT_EQ(batch.dropped, kEvents - 1024U);
  EXPECT_EQ(batch.events.size(), 1024U);
}

TEST(EventBusTest, FilteredSubscriberIsToldOnlyOfMatchingLosses) {
  // The bug this guards: a filtered subscriber used to get events.dropped for every event skipped,
  // of any type. Only lost events its filter takes count.
  EventBus bus(EventBusOptions{.subscriber_queue = 8});
  auto all = bus.Subscribe();
  auto fallbacks = bus.Subscribe(ParseEventTypes("model.fallback").value());
  // Far behind, but every event skipped is of a type it did not ask for: no notice.
  for (int i = 0; i < 100; ++i) {
    bus.Publish(Make(EventType::kRequestStart, i));
  }
  auto quiet = fallbacks->Take();
  EXPECT_EQ(quiet.dropped, 0U);
  EXPECT_TRUE(quiet.events.empty());
  EXPECT_TRUE(quiet.empty());
  // 20 more, a fallback every 5th (n = 100, 105, 110, 115): the ring keeps 112..119.
  for (int i = 100; i < 120; ++i) {
    bus.Publish(Make(i % 5 == 0 ? EventType::kFallback : EventType::kRequestStart, i));
  }
  auto batch = fallbacks->Take();
  EXPECT_EQ(batch.dropped, 3U);  // 100, 105, 110
  ASSERT_EQ(batch.events.size(), 1U);
  EXPECT_NE(batch.events[0]->json.find("\"n\":115}"), std::string::npos);
  EXPECT_TRUE(fallbacks->Take().empty());
  // The unfiltered one counts everything it lost.
  auto everything = all->Take();
  EXPECT_EQ(everything.dropped, 112U);
  EXPECT_EQ(everything.events.size(), 8U);
  // Caught up, then lagging within the ring: nothing lost.
  bus.Publish(Make(EventType::kFallback, 120));
  bus.Publish(Make(EventType::kRequestStart, 121));
  auto next = fallbacks->Take();
  EXPECT_EQ(next.dropped, 0U);
  ASSERT_EQ(next.events.size(), 1U);
  EXPECT_NE(next.events[0]->json.find("\"n\":120}"), std::string::npos);
}

// Waits (liveness only, generous) until `pred` holds.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(EventBusTest, ArmWakeRespectsFilter) {
  EventBus bus(EventBusOptions{.tick = std::chrono::milliseconds(1), .low_priority = false});
  auto sub = bus.Subscribe(ParseEventTypes("model.cooldown").value());
  auto all = bus.Subscribe();  // so that request.start is published at all
  std::atomic<int> woken = 0;
  ASSERT_TRUE(sub->ArmWake([&] { ++woken; }));
  bus.Publish(Make(EventType::kRequestStart, 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // several ticks
  EXPECT_EQ(woken, 0);
  bus.Publish(Make(EventType::kCooldown, 2));
  ASSERT_TRUE(Eventually([&] { return woken == 1; }));
  bus.Publish(Make(EventType::kCooldown, 3));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(woken, 1);                           // one-shot
  EXPECT_FALSE(sub->ArmWake([&] { ++woken; }));  // pending
  EXPECT_EQ(sub->Take().events.size(), 2U);
  EXPECT_TRUE(sub->ArmWake([&] { ++woken; }));
  sub->Disarm();
  bus.Publish(Make(EventType::kCooldown, 4));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(woken, 1);
}

TEST(EventBusTest, DeliveryExecutorRunsOnItsOwnThread) {
  EventBus bus;
  std::atomic<bool> ran = false;
  std::thread::id where;
  boost::asio::post(bus.delivery_executor(), [&] {
    where = std::this_thread::get_id();
    ran = true;
  });
  ASSERT_TRUE(Eventually([&] { return ran.load(); }));
  EXPECT_NE(where, std::this_thread::get_id());
}

Awaitable<void> Consume(EventSubscription* sub, std::vector<std::string>* got, int want) {
  while (static_cast<int>(got->size()) < want) {
    auto batch = co_await sub->Next(std::chrono::seconds(60));  // woken long before
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
  ioc.run();
  publisher.join();
  ASSERT_EQ(got.size(), 50U);
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(got[i].find("\"n\":" + std::to_string(i) + "}"), std::string::npos);
  }
}

}  // namespace
}  // namespace baton
