// Model name → deployments, and the immutable runtime snapshot a request runs on.
//
// A client asks for an alias from [models.NAME] (its deployments in priority order) or for
// "provider/model" directly. The Snapshot bundles the config with the providers and routes built
// from it; requests hold a shared_ptr to the snapshot they started with, so a reload (later) can
// swap it without disturbing requests in flight.
// Thread-safety: immutable after Build(); shared by all worker threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "providers/provider.hpp"

namespace baton {

struct Deployment {
  Provider* provider = nullptr;
  std::string model;  // the upstream's model name
  std::string id;     // "provider/model"
};

struct Route {
  std::string name;                     // what the client asked for
  std::vector<Deployment> deployments;  // priority order, never empty
};

class RouteTable {
 public:
  // providers must outlive the table.
  static RouteTable Build(const Config& config,
                          const std::vector<std::unique_ptr<Provider>>& providers);
  // The route for a requested model; kNotFound (code model_not_found, param model) when unknown.
  Result<const Route*> Resolve(std::string_view model) const;
  // Every id a client may ask for: aliases first, then "provider/model" ids (file order, unique).
  const std::vector<std::string>& model_ids() const { return model_ids_; }

 private:
  std::unordered_map<std::string, Route> routes_;  // aliases and known provider/model ids
  std::unordered_map<std::string, Provider*> providers_;
  std::vector<std::string> model_ids_;
  // Direct "provider/model" requests for ids not listed anywhere: built per request.
  friend class Snapshot;
};

class Snapshot {
 public:
  // Builds providers and routes. Throws on an unservable config (startup / reload).
  static std::shared_ptr<const Snapshot> Build(Config config);

  const Config& config() const { return config_; }
  const RouteTable& routes() const { return routes_; }
  const std::vector<std::unique_ptr<Provider>>& providers() const { return providers_; }
  // Resolves a model, including "provider/model" ids not listed in the config (those are built
  // into `scratch`, which must then outlive the returned pointer).
  Result<const Route*> Resolve(std::string_view model, Route& scratch) const;

 private:
  Config config_;
  std::vector<std::unique_ptr<Provider>> providers_;
  RouteTable routes_;
};

}  // namespace baton
