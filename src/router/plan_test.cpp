#include "router/plan.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "router/route_table.hpp"

namespace baton {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ProviderConfig EchoProvider(const std::string& name) {
  ProviderConfig p;
  p.name = name;
  p.kind = "echo";
  p.dialect = "echo";
  return p;
}

DeploymentConfig Target(const std::string& target, int priority = 0, int weight = 1) {
  DeploymentConfig d;
  d.target = target;
  d.priority = priority;
  d.weight = weight;
  return d;
}

// A snapshot with providers a, b, c (echo) and one alias "x" over the given deployments.
class PlanTest : public ::testing::Test {
 protected:
  void Build(std::vector<DeploymentConfig> deployments,
             RouteStrategy strategy = RouteStrategy::kPriority,
             FallbackMode fallback = FallbackMode::kPriority) {
    Config config;
    config.source = "test";
    for (const char* name : {"a", "b", "c"}) {
      config.providers.push_back(EchoProvider(name));
    }
    config.router.allowed_fails = 2;
    config.router.fail_window = seconds(60);
    config.router.cooldown = seconds(10);
    ModelAlias alias;
    alias.name = "x";
    alias.deployments = std::move(deployments);
    alias.strategy = strategy;
    alias.fallback = fallback;
    config.models.push_back(alias);
    RouterServices services;
    services.health = std::make_shared<HealthRegistry>(clock_);
    snapshot_ = Snapshot::Build(std::move(config), services);
    auto route = snapshot_->routes().Resolve("x");
    ASSERT_TRUE(route.ok());
    route_ = route.value();
  }

  // Ids of the deployments a fresh plan yields, in order.
  std::vector<std::string> Walk(const ZoneConfig* zone = nullptr) {
    RoutePlan plan(*route_, zone, clock_);
    std::vector<std::string> ids;
    for (auto pick = plan.Next(); pick.deployment != nullptr; pick = plan.Next()) {
      ids.push_back(pick.deployment->id);
    }
    return ids;
  }

  std::string First() {
    RoutePlan plan(*route_, nullptr, clock_);
    auto pick = plan.Next();
    return pick.deployment == nullptr ? "" : pick.deployment->id;
  }

  DeploymentHealth& Health(const std::string& id) { return snapshot_->health().For(id); }

  // Records one failed attempt on `id` (acquire + failure + release).
  bool Fail(const std::string& id) {
    bool probe = false;
    DeploymentHealth& h = Health(id);
    if (!h.TryAcquire(clock_.Now(), 0, probe)) {
      return false;
    }
    DeploymentLease lease(&h, probe);
    return lease.Failure(clock_.Now(), snapshot_->config().router, "boom");
  }

  ManualClock clock_;
  std::shared_ptr<const Snapshot> snapshot_;
  const Route* route_ = nullptr;
};

TEST_F(PlanTest, PriorityWalksLevelsInOrderAndFileOrderWithinALevel) {
  Build({Target("c/3", 2), Target("a/1", 1), Target("b/2", 1)});
  EXPECT_EQ(Walk(), (std::vector<std::string>{"a/1", "b/2", "c/3"}));
}

TEST_F(PlanTest, FallbackNoneStopsAfterTheFirstPick) {
  Build({Target("a/1"), Target("b/2")}, RouteStrategy::kPriority, FallbackMode::kNone);
  EXPECT_EQ(Walk(), std::vector<std::string>{"a/1"});
}

TEST_F(PlanTest, FallbackSameModelOnlyTriesTheSameUpstreamModel) {
  Build({Target("a/gpt"), Target("b/other"), Target("c/gpt")}, RouteStrategy::kPriority,
        FallbackMode::kSameModel);
  EXPECT_EQ(Walk(), (std::vector<std::string>{"a/gpt", "c/gpt"}));
}

TEST_F(PlanTest, WeightedSharesFollowTheWeights) {
  Build({Target("a/1", 0, 1), Target("b/2", 0, 3)}, RouteStrategy::kWeighted);
  std::map<std::string, int> counts;
  constexpr int kRuns = 20000;
  for (int i = 0; i < kRuns; ++i) {
    ++counts[First()];
  }
  EXPECT_NEAR(counts["a/1"] / static_cast<double>(kRuns), 0.25, 0.02);
  EXPECT_NEAR(counts["b/2"] / static_cast<double>(kRuns), 0.75, 0.02);
}

TEST_F(PlanTest, WeightedNeverPicksWeightZeroWhileOthersAreUp) {
  Build({Target("a/1", 0, 0), Target("b/2", 0, 1)}, RouteStrategy::kWeighted);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(First(), "b/2");
  }
}

TEST_F(PlanTest, WeightedOnlyBalancesWithinTheBestLevel) {
  Build({Target("a/1", 0, 1), Target("b/2", 0, 1), Target("c/3", 1, 1000)},
        RouteStrategy::kWeighted);
  for (int i = 0; i < 500; ++i) {
    ASSERT_NE(First(), "c/3");
  }
}

TEST_F(PlanTest, LeastBusyPicksTheDeploymentWithFewestInFlight) {
  Build({Target("a/1"), Target("b/2"), Target("c/3")}, RouteStrategy::kLeastBusy);
  bool probe = false;
  ASSERT_TRUE(Health("a/1").TryAcquire(clock_.Now(), 0, probe));
  ASSERT_TRUE(Health("c/3").TryAcquire(clock_.Now(), 0, probe));
  ASSERT_TRUE(Health("c/3").TryAcquire(clock_.Now(), 0, probe));
  EXPECT_EQ(First(), "b/2");
  ASSERT_TRUE(Health("b/2").TryAcquire(clock_.Now(), 0, probe));
  ASSERT_TRUE(Health("b/2").TryAcquire(clock_.Now(), 0, probe));
  EXPECT_EQ(First(), "a/1");
}

TEST_F(PlanTest, LeastBusySpreadsTiesInsteadOfAlwaysTakingTheFirst) {
  Build({Target("a/1"), Target("b/2"), Target("c/3")}, RouteStrategy::kLeastBusy);
  std::map<std::string, int> counts;
  for (int i = 0; i < 3000; ++i) {
    ++counts[First()];
  }
  for (const char* id : {"a/1", "b/2", "c/3"}) {
    EXPECT_GT(counts[id], 700) << id;
  }
}

TEST_F(PlanTest, LowestLatencyPicksTheSmallestTimeToFirstToken) {
  Build({Target("a/1"), Target("b/2"), Target("c/3")}, RouteStrategy::kLowestLatency);
  Health("a/1").OnSuccess(std::chrono::microseconds(9000), false);
  Health("b/2").OnSuccess(std::chrono::microseconds(3000), false);
  Health("c/3").OnSuccess(std::chrono::microseconds(5000), false);
  EXPECT_EQ(First(), "b/2");
}

TEST_F(PlanTest, LowestLatencyExploresDeploymentsWithoutASampleFirst) {
  Build({Target("a/1"), Target("b/2")}, RouteStrategy::kLowestLatency);
  Health("a/1").OnSuccess(std::chrono::microseconds(100), false);
  EXPECT_EQ(First(), "b/2");
}

TEST_F(PlanTest, LowestCostPicksTheCheapestAndUnknownPricesLast) {
  std::vector<DeploymentConfig> ds = {Target("a/1"), Target("b/2"), Target("c/3")};
  ds[1].input_cost_per_token = 1e-6;
  ds[1].output_cost_per_token = 2e-6;
  ds[2].input_cost_per_token = 0.5e-6;
  ds[2].output_cost_per_token = 1e-6;
  Build(ds, RouteStrategy::kLowestCost);
  // echo is a local kind: it costs 0, the cheapest of all.
  EXPECT_EQ(First(), "a/1");
  EXPECT_EQ(Walk(), (std::vector<std::string>{"a/1", "c/3", "b/2"}));
}

TEST(PlanCatalogTest, LowestCostUsesTheCatalogWhenNoPricesAreConfigured) {
  Config config;
  config.source = "test";
  ProviderConfig remote;
  remote.name = "cloud";
  remote.kind = "openai-compatible";
  remote.dialect = "openai";
  remote.base_url = "http://127.0.0.1:9/v1";
  config.providers.push_back(remote);
  ModelAlias alias;
  alias.name = "x";
  alias.strategy = RouteStrategy::kLowestCost;
  for (const char* target : {"cloud/unknown-model", "cloud/gpt-4o", "cloud/gpt-4o-mini"}) {
    alias.deployments.push_back(Target(target));
  }
  config.models.push_back(alias);
  auto snapshot = Snapshot::Build(std::move(config));
  const Route* route = snapshot->routes().Resolve("x").value();
  RoutePlan plan(*route, nullptr, Clock::Steady());
  std::vector<std::string> ids;
  for (auto pick = plan.Next(); pick.deployment != nullptr; pick = plan.Next()) {
    ids.push_back(pick.deployment->id);
  }
  EXPECT_EQ(ids,
            (std::vector<std::string>{"cloud/gpt-4o-mini", "cloud/gpt-4o", "cloud/unknown-model"}));
}

TEST_F(PlanTest, CooledDownDeploymentsAreSkippedThenProbedOnceThenClosedBySuccess) {
  Build({Target("a/1"), Target("b/2")});
  // allowed_fails = 2: the third failure within the window opens the breaker.
  EXPECT_FALSE(Fail("a/1"));
  EXPECT_FALSE(Fail("a/1"));
  EXPECT_TRUE(Fail("a/1"));
  EXPECT_EQ(Walk(), std::vector<std::string>{"b/2"});
  clock_.Advance(seconds(9));
  EXPECT_EQ(First(), "b/2");
  clock_.Advance(seconds(1));
  // Half-open: exactly one request gets the probe.
  RoutePlan probe_plan(*route_, nullptr, clock_);
  auto probe = probe_plan.Next();
  ASSERT_NE(probe.deployment, nullptr);
  EXPECT_EQ(probe.deployment->id, "a/1");
  EXPECT_TRUE(probe.lease.probe());
  EXPECT_EQ(First(), "b/2") << "a second request must not get the probe too";
  probe.lease.Success(std::chrono::microseconds(1000));
  probe.lease.Reset();
  EXPECT_EQ(First(), "a/1");
  auto views = snapshot_->health().Views(snapshot_->config().router);
  for (const auto& v : views) {
    if (v.id == "a/1") {
      EXPECT_EQ(v.state, BreakerState::kClosed);
      EXPECT_EQ(v.counters.cooldowns, 1U);
      EXPECT_EQ(v.recent_failures, 0);
    }
  }
}

TEST_F(PlanTest, AFailedProbeCoolsDownAgainForTheFullCooldown) {
  Build({Target("a/1"), Target("b/2")});
  Fail("a/1");
  Fail("a/1");
  ASSERT_TRUE(Fail("a/1"));
  clock_.Advance(seconds(10));
  {
    RoutePlan plan(*route_, nullptr, clock_);
    auto probe = plan.Next();
    ASSERT_EQ(probe.deployment->id, "a/1");
    EXPECT_TRUE(probe.lease.Failure(clock_.Now(), snapshot_->config().router, "still down"));
  }
  clock_.Advance(seconds(9));
  EXPECT_EQ(First(), "b/2");
  clock_.Advance(seconds(1));
  EXPECT_EQ(First(), "a/1");
}

TEST_F(PlanTest, AnAbandonedProbeFreesTheHalfOpenSlot) {
  Build({Target("a/1"), Target("b/2")});
  Fail("a/1");
  Fail("a/1");
  Fail("a/1");
  clock_.Advance(seconds(10));
  {
    RoutePlan plan(*route_, nullptr, clock_);
    auto probe = plan.Next();
    ASSERT_TRUE(probe.lease.probe());
  }  // the lease goes away without a verdict (client gone)
  RoutePlan plan(*route_, nullptr, clock_);
  auto again = plan.Next();
  ASSERT_NE(again.deployment, nullptr);
  EXPECT_EQ(again.deployment->id, "a/1");
  EXPECT_TRUE(again.lease.probe());
}

TEST_F(PlanTest, FailuresOutsideTheWindowDoNotAddUp) {
  Build({Target("a/1"), Target("b/2")});
  Fail("a/1");
  Fail("a/1");
  clock_.Advance(seconds(61));
  EXPECT_FALSE(Fail("a/1"));
  EXPECT_EQ(First(), "a/1");
}

TEST_F(PlanTest, AllCoolingIsUnavailableWithRetryAfter) {
  Build({Target("a/1"), Target("b/2")});
  for (int i = 0; i < 3; ++i) {
    Fail("a/1");
    Fail("b/2");
  }
  clock_.Advance(seconds(4));
  RoutePlan plan(*route_, nullptr, clock_);
  EXPECT_EQ(plan.Next().deployment, nullptr);
  Error e = plan.Exhausted();
  EXPECT_EQ(e.kind, ErrorKind::kUnavailable);
  EXPECT_EQ(e.code, "deployments_cooling_down");
  EXPECT_EQ(plan.retry_after_seconds(), 6);
}

TEST_F(PlanTest, RpmLimitedDeploymentsAreSkipped) {
  std::vector<DeploymentConfig> ds = {Target("a/1"), Target("b/2")};
  ds[0].rpm = 2;
  Build(ds);
  EXPECT_EQ(First(), "a/1");
  EXPECT_EQ(First(), "a/1");
  EXPECT_EQ(First(), "b/2");
  clock_.Advance(seconds(120));
  EXPECT_EQ(First(), "a/1");
}

TEST_F(PlanTest, ZoneRestrictsProvidersAndModels) {
  Build({Target("a/1"), Target("b/2"), Target("c/3")});
  ZoneConfig zone;
  zone.name = "clinic";
  zone.allowed_providers = {"b", "c"};
  EXPECT_EQ(Walk(&zone), (std::vector<std::string>{"b/2", "c/3"}));
  zone.allowed_models = {"c/3"};
  EXPECT_EQ(Walk(&zone), std::vector<std::string>{"c/3"});
  zone.allowed_models = {"x"};  // the alias itself
  EXPECT_EQ(Walk(&zone), (std::vector<std::string>{"b/2", "c/3"}));
  zone.allowed_providers = {"z"};
  RoutePlan plan(*route_, &zone, clock_);
  EXPECT_EQ(plan.Next().deployment, nullptr);
  Error e = plan.Exhausted();
  EXPECT_EQ(e.kind, ErrorKind::kForbidden);
  EXPECT_EQ(e.code, "zone_policy_violation");
  EXPECT_NE(e.message.find("clinic"), std::string::npos);
  EXPECT_NE(e.message.find("allowed providers: z"), std::string::npos);
}

TEST_F(PlanTest, ReacquireRefusesOnceTheBreakerOpened) {
  Build({Target("a/1"), Target("b/2")});
  RoutePlan plan(*route_, nullptr, clock_);
  auto pick = plan.Next();
  ASSERT_EQ(pick.deployment->id, "a/1");
  Fail("a/1");
  Fail("a/1");
  Fail("a/1");
  EXPECT_FALSE(plan.Reacquire(*pick.deployment, pick.lease));
}

TEST_F(PlanTest, RoutesOfMoreThanSixtyFourDeploymentsWalkEveryOne) {
  std::vector<DeploymentConfig> ds;
  for (int i = 0; i < 100; ++i) {
    ds.push_back(Target(std::string(1, static_cast<char>('a' + i % 3)) + "/m" + std::to_string(i)));
  }
  Build(ds, RouteStrategy::kLeastBusy);
  auto ids = Walk();
  EXPECT_EQ(ids.size(), 100U);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TEST(MinuteWindowTest, EstimatesASlidingMinute) {
  MinuteWindow w;
  SteadyTime t0{std::chrono::minutes(1000)};  // the start of a minute
  EXPECT_TRUE(w.TryAdd(t0, 60, 100));
  EXPECT_FALSE(w.TryAdd(t0 + seconds(30), 41, 100));
  EXPECT_TRUE(w.TryAdd(t0 + seconds(30), 40, 100));
  // Half way into the next minute, half of the previous minute's 100 still counts.
  EXPECT_EQ(w.Estimate(t0 + seconds(90)), 50);
  EXPECT_EQ(w.Estimate(t0 + seconds(180)), 0);
  EXPECT_GT(w.RetryAfter(t0 + seconds(60), 60, 100).count(), 0);
}

}  // namespace
}  // namespace baton
