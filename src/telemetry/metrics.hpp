// Prometheus metrics (issue 6 item 2, docs/metrics.md): counters and histograms fed by every
// finished request's RequestRecord, rendered as the text exposition format 0.0.4 at /metrics.
//
// Request path: Observe() finds each label set's cells in a fixed-size open-addressing table
// without a lock (acquire loads of the slots, then a compare of the label strings) and bumps
// relaxed atomics; a lock is taken only the first time a label set is seen (insert-only tables:
// a cell never moves nor goes away). Label values a client chooses (the model it asks for) are
// bounded: a model the router did not know (error model_not_found) counts as model="_unknown_",
// and once a family holds kMaxSeries label sets, new ones count under "_other_" labels, so
// neither memory nor the scrape grows without bound.
//
// What the registry does not own: deployment cooldowns and breaker states live in the router's
// HealthRegistry; the caller reads them at scrape time and passes them to Render as
// DeploymentSample values (telemetry does not depend on router/).
//
// Thread-safety: every member may be called from any thread concurrently. Render sees each
// counter at some moment during the call (a scrape racing requests may show a histogram's _sum
// one request behind its _count; Prometheus tolerates that).
// Lifetime: owned by the Runtime; outlives every snapshot and request that points to it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "telemetry/request_record.hpp"

namespace baton {

// The version baton_build_info reports (as `baton version` prints it).
inline constexpr std::string_view kBatonVersion = "0.1.0";

// The content type of Render's output.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// One deployment's health, read at scrape time.
struct DeploymentSample {
  std::string id;          // "provider/model"
  uint64_t cooldowns = 0;  // times its breaker opened since start
  bool up = true;          // false while the breaker is open (cooling down)
};

// The upstream connection pools (every worker's), read at scrape time.
struct PoolSample {
  int64_t idle = 0;
  int64_t busy = 0;
};

// Histogram bucket upper bounds, in milliseconds (rendered as seconds).
inline constexpr std::array<int64_t, 15> kDurationBucketsMs = {
    5, 10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 30'000, 60'000, 120'000, 300'000};
inline constexpr std::array<int64_t, 12> kTtftBucketsMs = {
    5, 10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 30'000};

class Metrics {
 public:
  // Label sets per family at most (beyond: "_other_").
  static constexpr std::size_t kMaxSeries = 1000;

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Counts one finished request: requests, latency, time to first token (streams with
  // ttft_ms >= 0), tokens, cost, refusals (error budget_exceeded / rate_limit_exceeded),
  // upstream errors (status >= 500 or an error starting with "upstream"), fallbacks.
  // `refused_scope`: for a budget refusal, the kind of scope that refused ("key", "team",
  // "zone", "model", "global"); "" when unknown.
  void Observe(const RequestRecord& record, std::string_view refused_scope = {});
  // A budget crossed its warning threshold (scope kind as above).
  void BudgetWarning(std::string_view scope);

  // baton_requests_in_flight: held (RAII) around a model request. A null registry is allowed.
  class InFlight {
   public:
    explicit InFlight(Metrics* metrics) : metrics_(metrics) {
      if (metrics_ != nullptr) {
        metrics_->in_flight_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    ~InFlight() {
      if (metrics_ != nullptr) {
        metrics_->in_flight_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    Metrics* metrics_;
  };
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // The exposition text (format 0.0.4): every family with HELP and TYPE, label sets sorted.
  // baton_upstream_pool_connections only when `pool` is given.
  std::string Render(const std::vector<DeploymentSample>& deployments = {},
                     const std::optional<PoolSample>& pool = std::nullopt) const;

  struct Families;  // the tables (metrics.cpp)

 private:
  std::unique_ptr<Families> families_;
  std::atomic<int64_t> in_flight_{0};
};

// A label value escaped for the text format (backslash, double quote, newline), with bytes
// that are not valid UTF-8 replaced by U+FFFD.
std::string EscapeLabelValue(std::string_view value);

}  // namespace baton
