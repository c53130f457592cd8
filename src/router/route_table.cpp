#include "router/route_table.hpp"

#include <unordered_set>

namespace baton {

namespace {

Error UnknownModel(std::string_view model) {
  return {ErrorKind::kNotFound,
          "The model `" + std::string(model) + "` does not exist or you do not have access to it.",
          "model_not_found", "model"};
}

}  // namespace

RouteTable RouteTable::Build(const Config& config,
                             const std::vector<std::unique_ptr<Provider>>& providers) {
  RouteTable table;
  for (const auto& p : providers) {
    table.providers_.emplace(p->name(), p.get());
  }
  std::unordered_set<std::string> seen;
  auto direct = [&](const std::string& id) {
    auto slash = id.find('/');
    auto it = table.providers_.find(id.substr(0, slash));
    if (slash == std::string::npos || it == table.providers_.end()) {
      return;
    }
    if (seen.insert(id).second) {
      Route route{id, {Deployment{it->second, id.substr(slash + 1), id}}};
      table.routes_.emplace(id, std::move(route));
    }
  };
  for (const auto& alias : config.models) {
    Route route{alias.name, {}};
    for (const auto& d : alias.deployments) {
      auto slash = d.find('/');
      auto it = table.providers_.find(d.substr(0, slash));
      if (slash == std::string::npos || it == table.providers_.end()) {
        continue;  // rejected by config validation already
      }
      route.deployments.push_back(Deployment{it->second, d.substr(slash + 1), d});
    }
    if (!route.deployments.empty() && seen.insert(alias.name).second) {
      table.model_ids_.push_back(alias.name);
      table.routes_.emplace(alias.name, std::move(route));
    }
  }
  std::vector<std::string> direct_ids;
  for (const auto& alias : config.models) {
    for (const auto& d : alias.deployments) {
      direct_ids.push_back(d);
    }
  }
  for (const auto& p : config.providers) {
    for (const auto& m : p.models) {
      direct_ids.push_back(p.name + "/" + m);
    }
  }
  for (const auto& id : direct_ids) {
    bool fresh = !seen.contains(id);
    direct(id);
    if (fresh && seen.contains(id)) {
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

std::shared_ptr<const Snapshot> Snapshot::Build(Config config) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config_ = std::move(config);
  for (const auto& p : snapshot->config_.providers) {
    snapshot->providers_.push_back(MakeProvider(p));
  }
  snapshot->routes_ = RouteTable::Build(snapshot->config_, snapshot->providers_);
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
      std::string id(model);
      scratch = Route{id, {Deployment{it->second, id.substr(slash + 1), id}}};
      return &scratch;
    }
  }
  return known;
}

}  // namespace baton
