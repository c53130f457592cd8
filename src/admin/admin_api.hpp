// The admin and visibility endpoints of the routing engine (issue 4, items 4, 8, 9; user docs in
// docs/admin-routing.md). JSON in and out, errors in OpenAI's shape; every endpoint needs the
// master key when one is configured.
//
//   GET    /health/deployments            each deployment's breaker state, load and counters
//   POST   /api/admin/config/reload       re-read the config file, swap the snapshot
//   GET    /api/admin/models              discovery state per provider (no fetch)
//   POST   /api/admin/models/refresh      fetch every provider's model list now
//   GET    /api/admin/priorities          the `auto` list and where it comes from
//   POST   /api/admin/priorities          {"model":"p/m","position":0}: insert or move
//   DELETE /api/admin/priorities/{p/m}    remove
//   /key/generate|info|list|update|delete  virtual keys (key_api.hpp; master key only, even
//                                          though LiteLLM lets a key read its own /key/info)
//
// Thread-safety: an AdminApi is shared by every worker thread; it holds no state of its own.
// Lifetime: owned by the Api; the AdminControl it points to outlives it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "admin/control.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

// True for the paths served here: /health/deployments, everything under /api/admin/ and /key/.
bool IsAdminPath(std::string_view path);

// The body of GET /health/deployments for a snapshot: HealthRegistry::Views plus the aliases
// (and `auto`) each deployment serves. Deployments of the snapshot's routes are listed, and any
// other id with attempts (a removed deployment, "provider/*" for unlisted direct requests).
std::string DeploymentsHealthJson(const Snapshot& snapshot);

class AdminApi {
 public:
  // control may be null (no run-time services): only /health/deployments is served then.
  explicit AdminApi(AdminControl* control) : control_(control) {}

  // Handles a request whose path IsAdminPath(); always answers.
  Awaitable<void> Handle(std::shared_ptr<const Snapshot> snapshot, HttpRequest& request,
                         ResponseWriter& writer);

 private:
  AdminControl* control_;
};

}  // namespace baton
