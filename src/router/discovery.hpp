// Model discovery: each provider's own list of models, fetched through Provider::Send
// (Operation::kModels) and cached per provider for [router] discovery_ttl, so `/v1/models` can
// show what an upstream actually serves as "provider/model" ids (issue 4, item 8).
//
// Which providers are asked: every available one whose dialect has a list endpoint —
// OpenAI-compatible (GET {base}/models, `data[].id`), Anthropic (GET {base}/models, `data[].id`),
// Gemini (GET {base}/models, `models[].name` without "models/"), Ollama native (GET /api/tags,
// `models[].name`). Not Azure (its deployments are the configured models), Bedrock, echo.
// A failed fetch keeps the last good list and records the error; it is retried after
// min(discovery_ttl, 30 s) rather than on every `/v1/models` request.
//
// Fetches run only when asked (a `/v1/models` request finding a stale entry, or the admin
// refresh), never on the chat path. Each runs as its own coroutine on the calling worker's
// io_context (its UpstreamClient), all at once; the caller waits for them at most `wait`. A
// fetch that outlives the wait still stores its answer when it arrives.
//
// Thread-safety: a ModelCatalog is shared by every worker thread; its cache is guarded by a mutex
// that is never held across co_await. At most one fetch per provider is in flight.
// Lifetime: owned by the App; outlives every snapshot and the worker io_contexts. A fetch keeps
// the snapshot it started on (and so its Provider) alive until it ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/awaitable.hpp"
#include "core/error.hpp"
#include "router/health.hpp"
#include "router/route_table.hpp"

namespace baton {

// Whether Baton asks this provider for its model list (see the header comment).
bool DiscoversModels(const ProviderConfig& config);

// Parses a model-list answer in the provider's wire dialect ("openai", "anthropic", "gemini",
// "ollama"): the upstream's model names, in the answer's order, without duplicates. kBadRequest
// with a short reason when the body is not such a list.
Result<std::vector<std::string>> ParseModelList(std::string_view dialect, std::string_view body);

// One provider's discovery state, for the admin API.
struct ProviderModels {
  std::string provider;
  bool discovers = false;           // DiscoversModels(); false: only configured models
  std::vector<std::string> models;  // the last good list (upstream names)
  std::string error;                // the last fetch's failure; empty after a success
  std::optional<std::chrono::system_clock::time_point> fetched_at;  // the last good fetch
};

class ModelCatalog {
 public:
  // Failed fetches are retried after min(discovery_ttl, kRetryFailedAfter).
  static constexpr std::chrono::milliseconds kRetryFailedAfter{30'000};

  explicit ModelCatalog(const Clock& clock = Clock::Steady()) : clock_(&clock) {}
  ModelCatalog(const ModelCatalog&) = delete;
  ModelCatalog& operator=(const ModelCatalog&) = delete;

  // Fetches the lists of the snapshot's providers that are stale (every discovering provider
  // when `force`), concurrently, and returns when all have answered or `wait` has passed. Must
  // run on a worker thread (one with an UpstreamClient).
  Awaitable<void> Refresh(std::shared_ptr<const Snapshot> snapshot, bool force,
                          std::chrono::milliseconds wait);
  // Whether Refresh(snapshot, false, ...) would fetch anything now (cheap; no lock held long).
  bool NeedsRefresh(const Snapshot& snapshot) const;

  // Discovered "provider/model" ids of the snapshot's providers, in provider order.
  std::vector<std::string> DiscoveredIds(const Snapshot& snapshot) const;
  // The state of each of the snapshot's providers, in provider order.
  std::vector<ProviderModels> Status(const Snapshot& snapshot) const;

  // Records a fetch's outcome for the provider as configured now (tests; Refresh stores through
  // StoreFetched, which drops answers for a provider a reload has changed meanwhile).
  void Store(const ProviderConfig& provider, Result<std::vector<std::string>> result);

 private:
  struct Waiter;
  struct Entry {
    std::string identity;  // kind, dialect, base URL, key reference: a change resets the entry
    std::vector<std::string> models;
    std::string error;
    std::optional<std::chrono::system_clock::time_point> fetched_at;
    std::optional<SteadyTime> attempted;  // when the last fetch ended (success or failure)
    bool ok = false;                      // the last fetch succeeded
    bool in_flight = false;
    uint64_t generation = 0;  // changes with the identity: tells a late answer from a current one
  };
  static std::string Identity(const ProviderConfig& provider);
  // The entry for a provider, reset when the provider's identity changed (reload). mu_ held.
  Entry& EntryFor(const ProviderConfig& provider);
  static bool Stale(const Entry& entry, const RouterConfig& router, SteadyTime now);
  void Apply(Entry& entry, Result<std::vector<std::string>> result);  // mu_ held
  void StoreFetched(const std::string& provider, uint64_t generation,
                    Result<std::vector<std::string>> result);
  static Awaitable<void> FetchOne(ModelCatalog* catalog, std::shared_ptr<const Snapshot> snapshot,
                                  Provider* provider, uint64_t generation,
                                  std::chrono::steady_clock::time_point deadline,
                                  std::shared_ptr<Waiter> waiter);

  const Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;  // by provider name
  uint64_t generations_ = 0;
};

}  // namespace baton
