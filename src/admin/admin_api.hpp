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
//   /team/new|update|info|list|delete      teams (team_api.hpp)
//   /spend/logs|keys|teams                 spend records and totals (spend_api.hpp)
//   /budget/stats|reset                    live budget accounts (budget_api.hpp)
// The key, team, spend and budget endpoints do store I/O: they run on the AdminApi's own small
// thread pool (blocking_pool.hpp), never on an io thread.
//
// Thread-safety: an AdminApi is shared by every worker thread; its only state is the pool.
// Lifetime: owned by the Api; the AdminControl it points to outlives it. Destroying it joins the
// pool's threads (after the io threads stopped).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "admin/control.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

class BlockingPool;

// True for the paths served here: /health/deployments, everything under /api/admin/, /key/,
// /team/, /spend/ and /budget/.
bool IsAdminPath(std::string_view path);

// The body of GET /health/deployments for a snapshot: HealthRegistry::Views plus the aliases
// (and `auto`) each deployment serves. Deployments of the snapshot's routes are listed, and any
// other id with attempts (a removed deployment, "provider/*" for unlisted direct requests).
std::string DeploymentsHealthJson(const Snapshot& snapshot);

class AdminApi {
 public:
  // control may be null (no run-time services): only /health/deployments is served then.
  explicit AdminApi(AdminControl* control);
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Handles a request whose path IsAdminPath(); always answers.
  Awaitable<void> Handle(std::shared_ptr<const Snapshot> snapshot, HttpRequest& request,
                         ResponseWriter& writer);

 private:
  AdminControl* control_;
  std::unique_ptr<BlockingPool> pool_;
};

}  // namespace baton
