// One routing decision over an alias of 100 deployments (issue 4 target: < 1 µs), for every
// strategy: building the plan, the first Next() (the decision, with its lease on the deployment)
// and releasing the lease. Deployments are spread over 10 echo providers; all are healthy, and
// for lowest-latency they carry different time-to-first-token averages.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "config/config.hpp"
#include "router/plan.hpp"
#include "router/route_table.hpp"

namespace baton {
namespace {

std::shared_ptr<const Snapshot> BuildSnapshot(RouteStrategy strategy, int levels) {
  Config config;
  config.source = "bench";
  for (int p = 0; p < 10; ++p) {
    ProviderConfig provider;
    provider.name = "p" + std::to_string(p);
    provider.kind = "echo";
    provider.dialect = "echo";
    config.providers.push_back(provider);
  }
  ModelAlias alias;
  alias.name = "big";
  alias.strategy = strategy;
  for (int i = 0; i < 100; ++i) {
    DeploymentConfig d;
    d.target = "p" + std::to_string(i % 10) + "/model-" + std::to_string(i);
    d.weight = 1 + i % 7;
    d.priority = i * levels / 100;
    d.input_cost_per_token = 1e-6 * (1 + i % 13);
    d.output_cost_per_token = 2e-6;
    alias.deployments.push_back(d);
  }
  config.models.push_back(alias);
  auto snapshot = Snapshot::Build(std::move(config));
  for (int i = 0; i < 100; ++i) {
    auto& h = snapshot->health().For("p" + std::to_string(i % 10) + "/model-" + std::to_string(i));
    h.OnSuccess(std::chrono::microseconds(1000 + (i * 7919) % 5000), false);
  }
  return snapshot;
}

void BM_RouteDecision(benchmark::State& state, RouteStrategy strategy, int levels) {
  auto snapshot = BuildSnapshot(strategy, levels);
  const Route* route = snapshot->routes().Resolve("big").value();
  const Clock& clock = Clock::Steady();
  for (auto _ : state) {
    RoutePlan plan(*route, nullptr, clock);
    auto pick = plan.Next();
    benchmark::DoNotOptimize(pick.deployment);
  }
}

// One priority level: every strategy scans all 100 deployments.
BENCHMARK_CAPTURE(BM_RouteDecision, priority, RouteStrategy::kPriority, 1);
BENCHMARK_CAPTURE(BM_RouteDecision, weighted, RouteStrategy::kWeighted, 1);
BENCHMARK_CAPTURE(BM_RouteDecision, least_busy, RouteStrategy::kLeastBusy, 1);
BENCHMARK_CAPTURE(BM_RouteDecision, lowest_latency, RouteStrategy::kLowestLatency, 1);
BENCHMARK_CAPTURE(BM_RouteDecision, lowest_cost, RouteStrategy::kLowestCost, 1);

// The same with a zone restricting providers (string compares per deployment).
void BM_RouteDecisionInZone(benchmark::State& state) {
  auto snapshot = BuildSnapshot(RouteStrategy::kLeastBusy, 1);
  const Route* route = snapshot->routes().Resolve("big").value();
  ZoneConfig zone;
  zone.name = "clinic";
  zone.allowed_providers = {"p1", "p3", "p5", "p7", "p9"};
  const Clock& clock = Clock::Steady();
  for (auto _ : state) {
    RoutePlan plan(*route, &zone, clock);
    auto pick = plan.Next();
    benchmark::DoNotOptimize(pick.deployment);
  }
}
BENCHMARK(BM_RouteDecisionInZone);

}  // namespace
}  // namespace baton

BENCHMARK_MAIN();
