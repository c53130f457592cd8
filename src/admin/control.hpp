// What the admin endpoints act on: the running gateway's reload, the run-time `auto` priority
// list and the model catalog. Implemented by the App (app/runtime.hpp), which owns those
// services; the admin handlers (admin_api.hpp) only see this interface, so layering stays
// one-way (api → admin → router).
//
// Thread-safety: every member may be called from any worker thread; implementations serialise
// changes among themselves. Changes swap the snapshot atomically; requests in flight keep theirs.
// Lifetime: the implementation outlives the server and every handler call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "router/discovery.hpp"

namespace baton {

class Store;
class KeyTable;

struct ReloadReport {
  std::string config;  // the file re-read
  std::size_t providers = 0;
  std::size_t models = 0;  // routes().model_ids() of the new snapshot
  // Settings that differ in the file but cannot change while running ("server.port", ...):
  // the running values stay in effect until a restart.
  std::vector<std::string> ignored;
};

struct PrioritiesView {
  std::vector<std::string> priorities;  // "provider/model", first wins
  bool runtime = false;                 // changed at run time (state file), else the config's
};

class AdminControl {
 public:
  virtual ~AdminControl() = default;

  // Re-reads the config file the server started with and swaps in a snapshot built from it
  // (same health registry, same run-time priorities). On failure the running snapshot stays and
  // the error says why: kBadRequest code "invalid_config" (message "FILE:LINE: KEY: MESSAGE",
  // no secrets), or code "no_config_file" when the server runs on the built-in default. Logs
  // the outcome on stderr; `trigger` ("SIGHUP", "admin API") is named in the log line.
  virtual Result<ReloadReport> Reload(std::string_view trigger) = 0;

  virtual PrioritiesView Priorities() const = 0;
  // Inserts `model` at `position` (clamped), or moves it there; persists the list and swaps in a
  // snapshot using it. kBadRequest when the model is not "provider/model" of a defined provider;
  // kInternal when the state file cannot be written (nothing changes then).
  virtual Result<PrioritiesView> SetPriority(const std::string& model, int64_t position) = 0;
  // Removes `model`; kNotFound when it is not in the list.
  virtual Result<PrioritiesView> RemovePriority(const std::string& model) = 0;

  virtual ModelCatalog& catalog() = 0;

  // Virtual keys (issue 5). The store holding keys and teams; null when none is open (no master
  // key configured), and then the /key/* endpoints answer 404.
  virtual Store* store() { return nullptr; }
  // The key table the request path checks virtual keys against; null when keys are off.
  virtual std::shared_ptr<const KeyTable> Keys() const { return nullptr; }
  // Rebuilds the key table from the store; called after every key or team change. On a store
  // error the previous table stays in effect and the error is returned.
  virtual Status ReloadKeys() { return OkStatus(); }

  // Budgets (issue 5, item 4). The live budget accounts (key, team, zone, global) of the running
  // counters, as the JSON object GET /budget/stats answers: {"budgets":[...]}. The default (no
  // budgets) is an empty list.
  virtual Result<std::string> BudgetStatsJson() { return std::string("{\"budgets\":[]}"); }
  // Zeroes one live budget account: scope_kind "key" (id = the key hash), "team" (team id),
  // "zone" (zone name) or "global" (id empty). Called by POST /budget/reset after the store's
  // spend for a key or team was set to 0, and before ReloadKeys. kNotFound when there is no such
  // account; the default answers kNotFound code "budgets_off".
  virtual Status ResetBudget(std::string_view scope_kind, std::string_view id) {
    (void)scope_kind;
    (void)id;
    return Error(ErrorKind::kNotFound, "budgets are off", "budgets_off");
  }
};

}  // namespace baton
