#include "router/route_table.hpp"

#include <algorithm>
#include <unordered_set>

#include "money/catalog.hpp"
#include "money/cost.hpp"

namespace baton {

namespace {

Error UnknownModel(std::string_view model) {
  return {ErrorKind::kNotFound,
          "The model `" + std::string(model) + "` does not exist or you do not have access to it.",
          "model_not_found", "model"};
}

// The deployment's price: configured per-token prices over the built-in catalog (src/money);
// nullopt for a remote model neither knows. Local servers cost 0.
std::optional<ModelPrice> DeploymentPrice(const Provider& provider, std::string_view model,
                                          const DeploymentConfig& settings) {
  PriceOverride prices;
  prices.input_cost_per_token = settings.input_cost_per_token;
  prices.output_cost_per_token = settings.output_cost_per_token;
  const bool local = IsLocalProviderKind(provider.config().kind);
  const ModelPrice* catalog = local ? nullptr : FindPrice(model);
  auto price = ApplyPriceOverride(catalog, prices);
  if (!price && local) {
    return ModelPrice{};
  }
  return price;
}

Deployment MakeDeployment(Provider* provider, std::string id, DeploymentConfig settings,
                          DeploymentHealth& health) {
  Deployment d;
  d.provider = provider;
  d.model = id.substr(id.find('/') + 1);
  d.local = IsLocalProviderKind(provider->config().kind);
  // "lowest-cost" ranks by input + output per token; unknown remote prices sort last.
  if (auto price = DeploymentPrice(*provider, d.model, settings)) {
    d.price = *price;
    d.price_known = true;
    d.cost_per_token = SaturatingAdd(price->input, price->output);
  } else {
    d.cost_per_token = kMoneyMax;
  }
  d.health = &health;
  settings.target = id;
  d.settings = std::move(settings);
  d.id = std::move(id);
  return d;
}

// A client's "provider/model" asked for directly: one deployment, retries but no fallback.
Route DirectRoute(Provider* provider, const std::string& id, DeploymentHealth& health,
                  const Config& config, bool zone_table) {
  Route route;
  route.name = id;
  route.fallback = FallbackMode::kNone;
  route.max_retries = config.router.max_retries;
  route.deployments.push_back(MakeDeployment(provider, id, DeploymentConfig{}, health));
  route.Finish(zone_table ? &config : nullptr);
  return route;
}

}  // namespace

void Route::Finish(const Config* config) {
  slots.clear();
  worst_price = ModelPrice{};
  slots.reserve(deployments.size());
  for (const Deployment& d : deployments) {
    RouteSlot slot;
    slot.health = d.health;
    slot.rpm = d.settings.rpm;
    slot.tpm = d.settings.tpm;
    slot.cost_per_token = d.cost_per_token;
    slot.priority = d.settings.priority;
    slot.weight = d.settings.weight;
    slot.available = d.provider->config().available;
    slots.push_back(slot);
    worst_price.input = std::max(worst_price.input, d.price.input);
    worst_price.output = std::max(worst_price.output, d.price.output);
    worst_price.cached_input = std::max(worst_price.cached_input, d.price.cached_input);
    worst_price.cache_write = std::max(worst_price.cache_write, d.price.cache_write);
  }
  zone_allowed.clear();
  zones = nullptr;
  zone_count = 0;
  if (config == nullptr || config->zones.empty()) {
    return;
  }
  zones = config->zones.data();
  zone_count = config->zones.size();
  zone_allowed.reserve(zone_count * deployments.size());
  for (const ZoneConfig& zone : config->zones) {
    for (const Deployment& d : deployments) {
      zone_allowed.push_back(ZoneAllows(&zone, *this, d) ? 1 : 0);
    }
  }
}

bool ZoneAllows(const ZoneConfig* zone, const Route& route, const Deployment& d) {
  if (zone == nullptr) {
    return true;
  }
  auto contains = [](const std::vector<std::string>& list, std::string_view value) {
    return std::ranges::find(list, value) != list.end();
  };
  if (!zone->allowed_providers.empty() && !contains(zone->allowed_providers, d.provider->name())) {
    return false;
  }
  return zone->allowed_models.empty() || contains(zone->allowed_models, route.name) ||
         contains(zone->allowed_models, d.id);
}

RouteTable RouteTable::Build(const Config& config,
                             const std::vector<std::unique_ptr<Provider>>& providers,
                             const std::vector<std::string>& priorities, HealthRegistry& health) {
  RouteTable table;
  for (const auto& p : providers) {
    table.providers_.emplace(p->name(), p.get());
    table.unlisted_health_.emplace(p->name(), &health.For(p->name() + "/*"));
  }
  auto provider_of = [&](const std::string& id) -> Provider* {
    auto slash = id.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == id.size()) {
      return nullptr;
    }
    auto it = table.providers_.find(id.substr(0, slash));
    return it == table.providers_.end() ? nullptr : it->second;
  };
  std::unordered_set<std::string> seen;
  auto direct = [&](const std::string& id) {
    Provider* provider = provider_of(id);
    if (provider == nullptr || !seen.insert(id).second) {
      return false;
    }
    table.routes_.emplace(id, DirectRoute(provider, id, health.For(id), config, true));
    return true;
  };
  for (const auto& alias : config.models) {
    Route route;
    route.name = alias.name;
    route.strategy = alias.strategy;
    route.fallback = alias.fallback;
    route.max_retries = alias.max_retries >= 0 ? alias.max_retries : config.router.max_retries;
    route.context_fallbacks = alias.context_fallbacks;
    route.rpm = alias.rpm;
    route.tpm = alias.tpm;
    for (const auto& d : alias.deployments) {
      Provider* provider = provider_of(d.target);
      if (provider == nullptr) {
        continue;  // rejected by config validation already
      }
      route.deployments.push_back(MakeDeployment(provider, d.target, d, health.For(d.target)));
    }
    std::ranges::stable_sort(route.deployments, [](const Deployment& a, const Deployment& b) {
      return a.settings.priority < b.settings.priority;
    });
    if (!route.deployments.empty() && seen.insert(alias.name).second) {
      route.Finish(&config);
      table.model_ids_.push_back(alias.name);
      table.routes_.emplace(alias.name, std::move(route));
    }
  }
  // The automatic choice: the priorities list in order, under both names.
  Route automatic;
  automatic.name = std::string(kAutoModel);
  automatic.strategy = RouteStrategy::kPriority;
  automatic.fallback = config.router.fallback;
  automatic.max_retries = config.router.max_retries;
  for (const auto& id : priorities) {
    if (Provider* provider = provider_of(id)) {
      automatic.deployments.push_back(
          MakeDeployment(provider, id, DeploymentConfig{}, health.For(id)));
    }
  }
  if (!automatic.deployments.empty() && !seen.contains(std::string(kAutoModel))) {
    seen.insert(std::string(kAutoModel));
    automatic.Finish(&config);
    table.model_ids_.emplace_back(kAutoModel);
    if (!seen.contains(std::string(kAutoModelAlt))) {
      seen.insert(std::string(kAutoModelAlt));
      Route alt = automatic;
      alt.name = std::string(kAutoModelAlt);
      alt.Finish(&config);  // allowed_models may name either
      table.routes_.emplace(alt.name, std::move(alt));
    }
    table.routes_.emplace(automatic.name, std::move(automatic));
  }
  std::vector<std::string> direct_ids;
  for (const auto& alias : config.models) {
    for (const auto& d : alias.deployments) {
      direct_ids.push_back(d.target);
    }
  }
  for (const auto& id : priorities) {
    direct_ids.push_back(id);
  }
  for (const auto& p : config.providers) {
    for (const auto& m : p.models) {
      direct_ids.push_back(p.name + "/" + m);
    }
  }
  for (const auto& id : direct_ids) {
    if (direct(id)) {
      table.model_ids_.push_back(id);
    }
  }
  return table;
}

Result<const Route*> RouteTable::Resolve(std::string_view model) const {
  auto it = routes_.find(std::string(model));
  if (it == routes_.end()) {
    return UnknownModel(model);
  }
  return &it->second;
}

std::shared_ptr<const Snapshot> Snapshot::Build(Config config, RouterServices services) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config_ = std::move(config);
  snapshot->health_ =
      services.health ? std::move(services.health) : std::make_shared<HealthRegistry>();
  snapshot->counters_ = std::move(services.counters);
  snapshot->request_log_ = services.request_log;
  snapshot->events_ = services.events;
  // [metrics] enabled = false: nothing counts and /metrics answers 404 (a reload turns it back on;
  // the counters kept meanwhile in the runtime's Metrics stay where they were).
  snapshot->metrics_ = snapshot->config_.metrics.enabled ? services.metrics : nullptr;
  snapshot->baselines_ = services.baselines ? std::move(services.baselines)
                                            : std::make_shared<const BudgetBaselines>();
  snapshot->priorities_ =
      services.priorities ? std::move(*services.priorities) : snapshot->config_.router.priorities;
  for (const auto& p : snapshot->config_.providers) {
    snapshot->providers_.push_back(MakeProvider(p));
  }
  snapshot->routes_ = RouteTable::Build(snapshot->config_, snapshot->providers_,
                                        snapshot->priorities_, *snapshot->health_);
  return snapshot;
}

Result<const Route*> Snapshot::Resolve(std::string_view model, Route& scratch) const {
  auto known = routes_.Resolve(model);
  if (known) {
    return known;
  }
  // "provider/model" for a model the config does not list: the provider decides.
  auto slash = model.find('/');
  if (slash != std::string_view::npos && slash + 1 < model.size()) {
    auto it = routes_.providers_.find(std::string(model.substr(0, slash)));
    if (it != routes_.providers_.end()) {
      scratch = DirectRoute(it->second, std::string(model),
                            *routes_.unlisted_health_.at(it->second->name()), config_, false);
      return &scratch;
    }
  }
  return known;
}

}  // namespace baton
