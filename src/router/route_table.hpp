// Model name → deployments, and the immutable runtime snapshot a request runs on.
//
// A client asks for an alias from [models.NAME] (its deployments, their priorities and the
// alias's strategy), for "auto" (the [router] priorities list), or for "provider/model"
// directly. The Snapshot bundles the config with the providers and routes built from it;
// requests hold a shared_ptr to the snapshot they started with, so a reload can swap it without
// disturbing requests in flight. Deployment health lives in a HealthRegistry that outlives
// snapshots, so a reload keeps cooldowns and latency averages.
// Thread-safety: immutable after Build(); shared by all worker threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "money/catalog.hpp"
#include "money/counters.hpp"
#include "money/money.hpp"
#include "providers/provider.hpp"
#include "router/health.hpp"

namespace baton {

class EventBus;
class Metrics;
class RequestLog;

struct Deployment {
  Provider* provider = nullptr;
  std::string model;                   // the upstream's model name
  std::string id;                      // "provider/model"
  DeploymentConfig settings;           // priority, weight, timeout, rpm, ... (defaults when direct)
  DeploymentHealth* health = nullptr;  // never null in a built table
  // Price per token (input + output, pico-USD) for "lowest-cost": configured, else the built-in
  // catalog's; 0 for local servers; kMoneyMax when unknown (tried last).
  Money cost_per_token = 0;
  // The per-token prices spend is computed with (configured over the catalog's; all 0 for local
  // servers and for remote models whose price is unknown, which price_known tells apart).
  ModelPrice price;
  bool price_known = false;
  bool local = false;  // a server on this machine or LAN (ollama, lmstudio, vllm, echo)
};

// What a routing decision reads of one deployment, packed so that scanning a long route touches
// few cache lines (see RoutePlan).
struct RouteSlot {
  DeploymentHealth* health = nullptr;
  int64_t rpm = 0;
  int64_t tpm = 0;
  Money cost_per_token = 0;
  int priority = 0;
  int weight = 1;
  bool available = true;  // the provider is configured (has its key)
};

struct Route {
  std::string name;                     // what the client asked for
  std::vector<Deployment> deployments;  // by priority (stable: file order within one), never empty
  std::vector<RouteSlot> slots;         // deployments[i]'s routing fields, same order
  RouteStrategy strategy = RouteStrategy::kPriority;
  FallbackMode fallback = FallbackMode::kPriority;
  int max_retries = 2;
  std::vector<std::string> context_fallbacks;  // aliases or "provider/model"
  int64_t rpm = 0;  // the alias's own limits over all its deployments ([models.NAME] rpm, tpm)
  int64_t tpm = 0;
  // The highest price of each kind over the deployments, for worst-case budget reservations
  // (a fallback may land on any of them). Filled by Finish.
  ModelPrice worst_price;
  // Zone policy worked out at build time: zone_allowed[z * deployments.size() + i] for the
  // config's zones[z] (empty for routes built per request; the plan then checks by name).
  const ZoneConfig* zones = nullptr;
  std::size_t zone_count = 0;
  std::vector<uint8_t> zone_allowed;

  // Fills `slots` (and the zone table when `config` is given) from `deployments`.
  void Finish(const Config* config);
};

// Whether the zone lets this route use this deployment (allowed providers; allowed models name
// the route or the deployment id). A null zone allows everything.
bool ZoneAllows(const ZoneConfig* zone, const Route& route, const Deployment& d);

class RouteTable {
 public:
  // providers must outlive the table.
  static RouteTable Build(const Config& config,
                          const std::vector<std::unique_ptr<Provider>>& providers,
                          const std::vector<std::string>& priorities, HealthRegistry& health);
  // The route for a requested model; kNotFound (code model_not_found, param model) when unknown.
  Result<const Route*> Resolve(std::string_view model) const;
  // Every id a client may ask for: aliases first, then "provider/model" ids (file order, unique).
  const std::vector<std::string>& model_ids() const { return model_ids_; }

 private:
  std::unordered_map<std::string, Route> routes_;  // aliases and known provider/model ids
  std::unordered_map<std::string, Provider*> providers_;
  std::vector<std::string> model_ids_;
  // Direct requests for ids the config does not list share one state per provider
  // ("provider/*"), so client-chosen names never grow the registry.
  std::unordered_map<std::string, DeploymentHealth*> unlisted_health_;
  // Direct "provider/model" requests for ids not listed anywhere: built per request.
  friend class Snapshot;
};

// What snapshots share across reloads; owned by the App.
struct RouterServices {
  std::shared_ptr<HealthRegistry> health;  // null: Build() makes a fresh one
  // The `auto` priority list changed at run time (admin API); null or empty-optional = the
  // config's [router] priorities.
  std::optional<std::vector<std::string>> priorities;
  // Rate limits and budgets (issue 5): null = nothing is counted (no limits apply).
  std::shared_ptr<Counters> counters;
  // The store's spend of the config budgets' current periods at startup; null = none.
  std::shared_ptr<const BudgetBaselines> baselines;
  // Where finished requests are recorded (owned by the App); null = [log] enabled = false.
  RequestLog* request_log = nullptr;
  // Live events (owned by the App); null = [events] enabled = false.
  EventBus* events = nullptr;
  // Prometheus counters fed by every finished request (owned by the App); null = none kept.
  Metrics* metrics = nullptr;
};

// Names under which clients ask for the automatic choice.
inline constexpr std::string_view kAutoModel = "auto";
inline constexpr std::string_view kAutoModelAlt = "router-maestro";

class Snapshot {
 public:
  // Builds providers and routes. Throws on an unservable config (startup / reload).
  static std::shared_ptr<const Snapshot> Build(Config config, RouterServices services = {});

  const Config& config() const { return config_; }
  const RouteTable& routes() const { return routes_; }
  const std::vector<std::unique_ptr<Provider>>& providers() const { return providers_; }
  HealthRegistry& health() const { return *health_; }
  Counters* counters() const { return counters_.get(); }
  const BudgetBaselines& baselines() const { return *baselines_; }
  RequestLog* request_log() const { return request_log_; }
  EventBus* events() const { return events_; }
  Metrics* metrics() const { return metrics_; }
  // The `auto` list in effect ("provider/model" entries).
  const std::vector<std::string>& priorities() const { return priorities_; }
  // Resolves a model, including "provider/model" ids not listed in the config (those are built
  // into `scratch`, which must then outlive the returned pointer).
  Result<const Route*> Resolve(std::string_view model, Route& scratch) const;

 private:
  Config config_;
  std::vector<std::unique_ptr<Provider>> providers_;
  std::shared_ptr<HealthRegistry> health_;
  std::shared_ptr<Counters> counters_;
  std::shared_ptr<const BudgetBaselines> baselines_;
  RequestLog* request_log_ = nullptr;
  EventBus* events_ = nullptr;
  Metrics* metrics_ = nullptr;
  std::vector<std::string> priorities_;
  RouteTable routes_;
};

}  // namespace baton
