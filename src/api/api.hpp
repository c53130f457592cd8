// The gateway's HTTP endpoints: dispatch by method and path to the dialect handlers, health,
// model lists (DESIGN.md §2, api/). Handlers run the pipeline filters (auth, ...) and the router.
//
// Thread-safety: an Api is shared by every worker thread; Handle() reads the current snapshot
// through the SnapshotSource and keeps it for the whole request.
// Lifetime: owned by the App; outlives the server.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admin/admin_api.hpp"
#include "admin/control.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

using SnapshotSource = std::function<std::shared_ptr<const Snapshot>()>;

struct ApiStatus {
  std::function<bool()> draining;  // the server is shutting down
};

class Api {
 public:
  // admin: the run-time services behind /api/admin/* and model discovery; null serves only the
  // configured models and /health/deployments.
  Api(SnapshotSource snapshots, ApiStatus status, AdminControl* admin = nullptr);
  // The HttpHandler for the server.
  Awaitable<void> Handle(HttpRequest& request, ResponseWriter& writer);

 private:
  // The ids /v1/models lists: the snapshot's (aliases, auto, configured "provider/model"), then
  // the discovered ones; refreshes stale provider lists first (bounded wait).
  Awaitable<std::vector<std::string>> ModelIds(std::shared_ptr<const Snapshot> snapshot);

  SnapshotSource snapshots_;
  ApiStatus status_;
  AdminControl* admin_;
  AdminApi admin_api_;
};

}  // namespace baton
