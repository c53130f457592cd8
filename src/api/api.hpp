// The gateway's HTTP endpoints: dispatch by method and path to the dialect handlers, health,
// model lists (DESIGN.md §2, api/). Handlers run the pipeline filters (auth, ...) and the router.
//
// Thread-safety: an Api is shared by every worker thread; Handle() reads the current snapshot
// through the SnapshotSource and keeps it for the whole request.
// Lifetime: owned by the App; outlives the server.
#pragma once

#include <functional>
#include <memory>

#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

using SnapshotSource = std::function<std::shared_ptr<const Snapshot>()>;

struct ApiStatus {
  std::function<bool()> draining;  // the server is shutting down
};

class Api {
 public:
  Api(SnapshotSource snapshots, ApiStatus status);
  // The HttpHandler for the server.
  Awaitable<void> Handle(HttpRequest& request, ResponseWriter& writer);

 private:
  SnapshotSource snapshots_;
  ApiStatus status_;
};

}  // namespace baton
