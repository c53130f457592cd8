// The running gateway's mutable side: the current snapshot (swapped atomically), and the
// services every snapshot shares — the deployment health registry, the model catalog and the
// run-time `auto` priority list (persisted in the router state file). Reload and priority
// changes build a new snapshot with the same services and swap it in; requests in flight keep
// the snapshot they started with (issue 4, items 8 and 9).
//
// Thread-safety: Current() is a lock-free-for-readers atomic load, safe from any thread (the
// request path). Reload() and the priority changes may be called from any thread (admin
// handlers on worker threads, SIGHUP on worker 0); they are serialised by a mutex and never run
// on the request path.
// Virtual keys (issue 5): when a master key is configured, the Runtime opens the [store] at
// startup and holds the KeyTable (every key and team) like the snapshot, an atomic shared_ptr
// swapped after every admin change (ReloadKeys). A reload does not reopen the store: [store]
// changes, and a master key added later, need a restart (reported as ignored).
// Lifetime: owned by RunServe; outlives the server, its io_contexts and every request.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "admin/control.hpp"
#include "cluster/change_bus.hpp"
#include "cluster/event_stream.hpp"
#include "config/config.hpp"
#include "money/local_counters.hpp"
#include "pipeline/keys.hpp"
#include "router/discovery.hpp"
#include "router/health.hpp"
#include "router/route_table.hpp"
#include "store/store.hpp"
#include "telemetry/events.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/request_log.hpp"
#include "telemetry/spend_writer.hpp"

namespace baton {

struct RuntimeOptions {
  // The file the config came from; empty when the server runs on the built-in default (which
  // cannot be reloaded from disk).
  std::string config_path;
  // Command-line overrides, applied again to every reloaded config.
  std::optional<std::string> host;
  std::optional<uint16_t> port;
  // The state file; empty: StateFilePath(config) of the initial config.
  std::optional<std::string> state_file;
  // Opens the store (tests); unset: from the config's [store] (OpenConfiguredStore).
  StoreFactory store_factory;
};

// Opens the store [store] names: PostgreSQL for a url, else the SQLite file (default
// DefaultStorePath(), whose folder is created with mode 0700). Throws std::runtime_error
// (startup) with a message that never contains the URL's password.
std::unique_ptr<Store> OpenConfiguredStore(const StoreConfig& config);

class Runtime final : public AdminControl {
 public:
  // Builds the first snapshot from `config` (overrides already applied) with the priorities of
  // the state file when it holds a valid list (an unreadable or corrupt one: a warning on
  // stderr, the config's list). Throws (startup) when the snapshot cannot be built.
  Runtime(Config config, RuntimeOptions options);

  std::shared_ptr<const Snapshot> Current() const { return current_.load(); }
  const std::string& state_file() const { return state_file_; }

  Result<ReloadReport> Reload(std::string_view trigger) override;
  PrioritiesView Priorities() const override;
  Result<PrioritiesView> SetPriority(const std::string& model, int64_t position) override;
  Result<PrioritiesView> RemovePriority(const std::string& model) override;
  ModelCatalog& catalog() override { return catalog_; }
  Store* store() override { return store_.get(); }
  std::shared_ptr<const KeyTable> Keys() const override { return keys_.load(); }
  Status ReloadKeys() override;
  Result<std::string> BudgetStatsJson() override;
  Status ResetBudget(std::string_view scope_kind, std::string_view id) override;
  // Ends live-event delivery (EventBus::StopDelivery): after the server's threads stopped, before
  // the server is destroyed.
  void StopEventDelivery() {
    if (events_) {
      events_->StopDelivery();
    }
  }

 private:
  // [cluster]: Redis counters instead of the in-process ones, and the change bus that makes
  // every instance reload keys and teams after a change anywhere. Throws (startup) on an unset
  // or malformed redis_url.
  void OpenCluster(const Config& config);
  // Rebuilds the key table from the store (what ReloadKeys does, without announcing it).
  Status ReloadKeysLocal();
  // Opens the request log ([log]) and, with a store, the spend writer fed by it, replaying what
  // the store is missing. Throws (startup) on an unusable encryption key or a failed replay.
  void OpenRequestLog(const Config& config);
  // [events]: the event bus and, with [cluster] redis_url, its Redis stream sink. Read at
  // startup only (a reload keeps them).
  void OpenEvents(const Config& config);
  // The scopes of every budget in effect (keys, teams, zones, global) at `now` (unix seconds).
  std::vector<LimitScope> BudgetScopes(int64_t now) const;
  // The store's spend in the current period of the config's zone and global budgets, read once
  // at startup (after the log replay), so a restart does not forget what today already cost.
  void LoadBaselines(const Config& config);
  // The maintenance loop: once a second, budget periods that ended are reset in the store.
  void Maintain(const std::stop_token& stop);
  // What every snapshot shares, with `priorities` as the run-time `auto` list.
  RouterServices Services(std::optional<std::vector<std::string>> priorities) const;
  // Swaps in a snapshot of `config` with the current services. mu_ held. Throws like Build.
  void Install(Config config);
  // Builds with `priorities` as the run-time list, persists it, then swaps. mu_ held.
  Result<PrioritiesView> ApplyPriorities(std::vector<std::string> priorities);

  RuntimeOptions options_;
  std::string state_file_;
  ServerConfig running_server_;  // the settings the server was started with
  StoreConfig running_store_;
  std::shared_ptr<HealthRegistry> health_ = std::make_shared<HealthRegistry>();
  // Live events: null with [events] enabled = false. Declared early: destroyed after everything
  // that publishes; its Redis sink (declared below) stops first.
  std::unique_ptr<EventBus> events_;
  ModelCatalog catalog_;
  // Rate limits and budgets (pipeline/limits.hpp): in-process counters for one instance.
  std::shared_ptr<Counters> counters_ = std::make_shared<LocalCounters>();
  std::shared_ptr<const BudgetBaselines> baselines_ = std::make_shared<const BudgetBaselines>();
  mutable std::mutex mu_;  // serialises changes; guards runtime_priorities_
  std::optional<std::vector<std::string>> runtime_priorities_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::unique_ptr<Store> store_;  // null without a master key
  // Declared after the store and destroyed before it, the log first: closing the log drains
  // its queue into the spend writer, which then stores what is pending.
  std::unique_ptr<SpendWriter> spend_writer_;  // null without a store
  std::unique_ptr<RequestLog> request_log_;    // null with [log] enabled = false
  std::mutex keys_mu_;                         // serialises rebuilds, so an older one never wins
  std::atomic<std::shared_ptr<const KeyTable>> keys_;
  // /metrics (docs/metrics.md): always kept; the snapshots point to it.
  std::unique_ptr<Metrics> metrics_ = std::make_unique<Metrics>();
  // [cluster]: key and team changes to and from the other instances; null without Redis or a
  // store. Its subscriber thread reloads keys, so it is destroyed (joined) before the key table and
  // the store.
  std::unique_ptr<ChangeBus> changes_;
  std::unique_ptr<RedisEventStream> event_stream_;  // null without [cluster] redis_url
  // Background upkeep while a store is open (budget resets on schedule); stopped and joined
  // first on destruction, before the store closes.
  std::jthread maintenance_;
};

}  // namespace baton
