// What virtual keys, rate limits and budgets add to one request (issue 5 target: <= 5 µs), on the
// in-process counters: the key check (SHA-256 of the presented key, table lookup, expiry, block,
// model list), collecting the request's scopes (key with rpm/tpm/budget, its team with a budget,
// a zone with rpm, the global daily budget), the worst-case price, the admission (checks and
// increments over every window and budget) and the settlement with the real cost.
// The end-to-end A/B (the same load with and without keys) is bench/keys.sh.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "money/local_counters.hpp"
#include "pipeline/auth.hpp"
#include "pipeline/keys.hpp"
#include "pipeline/limits.hpp"

namespace baton {
namespace {

struct Fixture {
  std::shared_ptr<const KeyTable> table;
  std::string presented;
  ZoneConfig zone;
  Route route;
  BudgetConfig budget;
  LocalCounters counters;

  Fixture() {
    std::vector<KeyRecord> keys;
    std::vector<TeamRecord> teams;
    TeamRecord team;
    team.team_id = "research";
    team.max_budget = 1000 * kPicoPerUsd;
    teams.push_back(team);
    // 10,000 keys in the table, one of them presented.
    for (int i = 0; i < 10'000; ++i) {
      GeneratedKey g = GenerateKey();
      KeyRecord k;
      k.key_hash = g.hash;
      k.key_prefix = g.prefix;
      k.team_id = "research";
      k.models = {"smart", "fast"};
      k.rpm = 1'000'000'000;
      k.tpm = 1'000'000'000'000;
      k.max_budget = 1'000'000 * kPicoPerUsd;
      keys.push_back(k);
      if (i == 4242) {
        presented = g.key;
      }
    }
    table = KeyTable::Build(std::move(keys), std::move(teams));
    zone.name = "clinic";
    zone.rpm = 1'000'000'000;
    route.name = "smart";
    route.worst_price.input = 2'500'000;  // $2.50 / 1M tokens
    route.worst_price.output = 10'000'000;
    budget.daily = 1e9;
  }
};

void BM_KeyCheckLimitsBudget(benchmark::State& state) {
  Fixture f;
  std::vector<LimitScope> scopes;
  const BudgetBaselines baselines;
  int64_t now_ms = 1'764'547'200'000;
  for (auto _ : state) {
    auto context = f.table->Check(f.presented, "smart", now_ms / 1000);
    Caller caller;
    caller.key = *context;
    CollectLimitScopes(&caller, &f.zone, f.route, f.budget, baselines, now_ms / 1000, scopes);
    AdmitRequest request;
    request.scopes = scopes;
    request.worst_case = RouteWorstCase(f.route, 300, 256);
    request.tokens = 300;
    request.now_ms = now_ms;
    Admission admission = f.counters.AdmitNow(request);
    f.counters.Settle(admission, 1000, 400, now_ms);
    benchmark::DoNotOptimize(admission);
    ++now_ms;
  }
}
BENCHMARK(BM_KeyCheckLimitsBudget);

void BM_KeyCheckOnly(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    auto context = f.table->Check(f.presented, "smart", 1'764'547'200);
    benchmark::DoNotOptimize(context);
  }
}
BENCHMARK(BM_KeyCheckOnly);

}  // namespace
}  // namespace baton

BENCHMARK_MAIN();
