// What the Prometheus metrics add to one request (issue 6 target: request log + metrics + events
// <= 3 µs per request): Metrics::Observe of a finished request's record, on one thread and on
// several at once (the label-set lookups are lock-free, the counters relaxed atomics), a stream
// (both histograms), and a scrape (Render) of a registry holding a realistic number of series.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "telemetry/metrics.hpp"

namespace baton {
namespace {

RequestRecord Record(int i) {
  RequestRecord r;
  r.model_asked = "gpt-" + std::to_string(i % 8);
  r.model_used = "openai/gpt-4o-mini";
  r.provider = "openai";
  r.status = 200;
  r.latency_ms = 40 + (i % 300);
  r.prompt_tokens = 120;
  r.completion_tokens = 40;
  r.cached_tokens = 16;
  r.cost = 123'456'789;
  return r;
}

Metrics& Shared() {
  static Metrics metrics;
  return metrics;
}

void BM_Observe(benchmark::State& state) {
  Metrics& m = Shared();
  std::vector<RequestRecord> records;
  for (int i = 0; i < 64; ++i) {
    records.push_back(Record(i));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    m.Observe(records[i++ & 63]);
  }
}
BENCHMARK(BM_Observe)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

void BM_ObserveStream(benchmark::State& state) {
  Metrics m;
  RequestRecord r = Record(1);
  r.stream = true;
  r.ttft_ms = 180;
  for (auto _ : state) {
    m.Observe(r);
  }
}
BENCHMARK(BM_ObserveStream);

void BM_ObserveRefusal(benchmark::State& state) {
  Metrics m;
  RequestRecord r = Record(1);
  r.status = 429;
  r.provider.clear();
  r.error = "budget_exceeded";
  for (auto _ : state) {
    m.Observe(r, "key");
  }
}
BENCHMARK(BM_ObserveRefusal);

void BM_InFlightGuard(benchmark::State& state) {
  Metrics m;
  for (auto _ : state) {
    const Metrics::InFlight guard(&m);
    benchmark::DoNotOptimize(&guard);
  }
}
BENCHMARK(BM_InFlightGuard);

// A scrape of 50 models x 5 statuses and 20 deployments.
void BM_Render(benchmark::State& state) {
  Metrics m;
  for (int i = 0; i < 250; ++i) {
    RequestRecord r = Record(i);
    r.model_asked = "model-" + std::to_string(i % 50);
    r.status = 200 + (100 * (i % 5));
    m.Observe(r);
  }
  std::vector<DeploymentSample> deployments;
  for (int i = 0; i < 20; ++i) {
    deployments.push_back({"openai/model-" + std::to_string(i), 1, true});
  }
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = m.Render(deployments);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_Render);

}  // namespace
}  // namespace baton

BENCHMARK_MAIN();
