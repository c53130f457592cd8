#include "app/runtime.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>

#include <sys/stat.h>

#include "admin/api_fields.hpp"
#include "admin/router_state.hpp"
#include "cluster/change_bus.hpp"
#include "cluster/event_stream.hpp"
#include "cluster/redis_counters.hpp"
#include "core/json_text.hpp"
#include "money/money.hpp"
#include "pipeline/limits.hpp"
#include "store/postgres_store.hpp"
#include "store/sqlite_store.hpp"
#include "telemetry/log_config.hpp"

namespace baton {

namespace {

void ApplyOverrides(Config& config, const RuntimeOptions& options) {
  if (options.host) {
    config.server.host = *options.host;
  }
  if (options.port) {
    config.server.port = *options.port;
  }
}

// Listener and connection settings live in the Server, built once: a reload cannot change them.
// Each one that differs is reported and reset to the running value, so the snapshot tells what
// is in effect.
std::vector<std::string> KeepServerSettings(const ServerConfig& running, ServerConfig& next) {
  std::vector<std::string> ignored;
  auto keep = [&](const char* name, auto& value, const auto& running_value) {
    if (value != running_value) {
      ignored.emplace_back(std::string("server.") + name);
      value = running_value;
    }
  };
  keep("host", next.host, running.host);
  keep("port", next.port, running.port);
  keep("threads", next.threads, running.threads);
  keep("max_body_bytes", next.max_body_bytes, running.max_body_bytes);
  keep("max_header_bytes", next.max_header_bytes, running.max_header_bytes);
  keep("read_timeout", next.read_timeout, running.read_timeout);
  keep("idle_timeout", next.idle_timeout, running.idle_timeout);
  keep("write_timeout", next.write_timeout, running.write_timeout);
  keep("drain_timeout", next.drain_timeout, running.drain_timeout);
  return ignored;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

// Every page of a listing.
template <typename T, typename List>
Result<std::vector<T>> ListAll(List list) {
  std::vector<T> all;
  ListFilter filter;
  filter.page_size = kMaxPageSize;
  for (filter.page = 1;; ++filter.page) {
    auto page = list(filter);
    if (!page) {
      return page.error();
    }
    const std::size_t got = page->items.size();
    for (auto& item : page->items) {
      all.push_back(std::move(item));
    }
    if (got < static_cast<std::size_t>(kMaxPageSize) ||
        static_cast<int64_t>(all.size()) >= page->total) {
      return all;
    }
  }
}

}  // namespace

std::unique_ptr<Store> OpenConfiguredStore(const StoreConfig& config) {
  if (config.url_configured) {
    if (config.url.empty()) {
      throw std::runtime_error("store.url: " + config.url_unset_reason);
    }
    auto opened = PostgresStore::Open(config.url);
    if (!opened) {
      // PostgresStore's messages carry the URL without its password.
      throw std::runtime_error("store: " + opened.error().message);
    }
    return std::move(opened).value();
  }
  std::string path = config.path;
  if (path.empty()) {
    path = DefaultStorePath();
    // The data folder holds key hashes and spend: only its owner may list or read it.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir.parent_path(), ec);
      if (::mkdir(dir.c_str(), 0700) != 0 && !std::filesystem::exists(dir, ec)) {
        throw std::runtime_error("store: cannot create " + dir.string());
      }
    }
  }
  auto opened = SqliteStore::Open(path);
  if (!opened) {
    throw std::runtime_error("store: " + path + ": " + opened.error().message);
  }
  return std::move(opened).value();
}

Runtime::Runtime(Config config, RuntimeOptions options) : options_(std::move(options)) {
  state_file_ = options_.state_file ? *options_.state_file : StateFilePath(config);
  if (!state_file_.empty()) {
    auto stored = LoadPriorities(state_file_);
    if (!stored) {
      std::fprintf(stderr, "baton: warning: %s; using the config's [router] priorities\n",
                   stored.error().message.c_str());
    } else if (std::optional<std::vector<std::string>>& list = stored.value(); list.has_value()) {
      runtime_priorities_ = std::move(*list);
    }
  }
  running_server_ = config.server;
  running_store_ = config.store;
  // Virtual keys need a master key (as in LiteLLM): without one the server is open and no store
  // is opened (nothing to enforce, nothing to create files for).
  if (config.server.master_key_configured && !config.server.master_key.empty()) {
    if (options_.store_factory) {
      auto opened = options_.store_factory();
      if (!opened) {
        throw std::runtime_error("store: " + opened.error().message);
      }
      store_ = std::move(opened).value();
    } else {
      store_ = OpenConfiguredStore(config.store);
    }
    if (Status loaded = ReloadKeys(); !loaded) {
      throw std::runtime_error("store: cannot load the keys: " + loaded.error().message);
    }
  }
  if (config.signing.secret_configured && config.signing.secret.empty()) {
    throw std::runtime_error("signing.secret: " + config.signing.secret_unset_reason);
  }
  OpenCluster(config);
  OpenEvents(config);
  OpenRequestLog(config);
  LoadBaselines(config);
  current_.store(Snapshot::Build(std::move(config), Services(runtime_priorities_)));
  if (store_ != nullptr) {
    maintenance_ = std::jthread([this](const std::stop_token& stop) { Maintain(stop); });
  }
}

void Runtime::OpenEvents(const Config& config) {
  if (!config.events.enabled) {
    return;
  }
  events_ = std::make_unique<EventBus>(EventBusOptions{
      .subscriber_queue = static_cast<std::size_t>(config.events.subscriber_queue)});
  if (config.cluster.redis_url.empty()) {
    return;
  }
  RedisEventStreamOptions options;
  options.url = config.cluster.redis_url;
  options.stream = config.events.stream;
  options.max_len = config.events.max_len;
  auto started = RedisEventStream::Start(std::move(options), *events_);
  if (!started) {
    throw std::runtime_error("cluster.redis_url: " + started.error().message);
  }
  event_stream_ = std::move(started).value();
}

void Runtime::OpenRequestLog(const Config& config) {
  const LogConfig& log = config.log;
  if (!log.enabled) {
    return;
  }
  auto options = RequestLogOptionsFromConfig(log);
  if (!options) {
    // Never fall back to writing in clear what was meant to be encrypted.
    throw std::runtime_error(options.error().message);
  }
  request_log_ = std::make_unique<RequestLog>(*options);
  if (store_ != nullptr) {
    spend_writer_ = std::make_unique<SpendWriter>(*store_, SpendWriterOptionsFor(*options));
    spend_writer_->Attach(*request_log_);
  }
  request_log_->Start();
  if (spend_writer_ != nullptr) {
    // Before serving: whatever the log holds beyond the store's checkpoint (a crash, kill -9)
    // goes into the store first, so spend and budgets start from every finished request.
    auto replayed = spend_writer_->Start();
    if (!replayed) {
      throw std::runtime_error("spend records: cannot replay the request log into the store: " +
                               replayed.error().message);
    }
    if (*replayed > 0) {
      std::fprintf(stderr, "baton: %llu request records replayed into the store\n",
                   static_cast<unsigned long long>(*replayed));
      (void)ReloadKeys();  // their spend is in the key and team records now
    }
  }
}

namespace {

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<LimitScope> Runtime::BudgetScopes(int64_t now) const {
  std::vector<LimitScope> scopes;
  auto add = [&scopes](std::optional<LimitScope> scope) {
    if (scope && scope->budget > 0) {
      scopes.push_back(std::move(*scope));
    }
  };
  if (auto table = keys_.load()) {
    for (const KeyRecord& key : table->keys()) {
      add(KeyScope(key, now));
    }
    for (const TeamRecord& team : table->teams()) {
      add(TeamScope(team, now));
    }
  }
  const auto snapshot = current_.load();
  for (const ZoneConfig& zone : snapshot->config().zones) {
    add(ZoneScope(zone, *baselines_, now));
  }
  add(GlobalScope(snapshot->config().budget, *baselines_, now));
  return scopes;
}

Result<std::string> Runtime::BudgetStatsJson() {
  const int64_t now = UnixSeconds();
  std::vector<LimitScope> scopes = BudgetScopes(now);
  auto usage = counters_->Usage(scopes);
  if (!usage) {
    return usage.error();
  }
  auto table = keys_.load();
  std::string out = R"({"budgets":[)";
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    const LimitScope& scope = scopes[i];
    const BudgetUsage& u = (*usage)[i];
    const std::string_view kind = ScopeKind(scope.id);
    const std::string_view id =
        std::string_view(scope.id).substr(kind.size() + (kind == "global" ? 0 : 1));
    out += i == 0 ? "{" : ",{";
    out += R"("scope":)";
    AppendJsonString(out, kind);
    out += R"(,"id":)";
    AppendJsonString(out, id);
    if (kind == "key" && table != nullptr) {
      if (const KeyRecord* key = table->FindByHash(id); key != nullptr) {
        out += R"(,"key_alias":)";
        AppendJsonString(out, key->alias);
        out += R"(,"key_name":)";
        AppendJsonString(out, key->key_prefix);
      }
    }
    const Money remaining = std::max<Money>(0, scope.budget - u.committed);
    out += R"(,"max_budget":)" + ToUsdString(scope.budget);
    out += R"(,"spend":)" + ToUsdString(u.committed);
    out += R"(,"remaining":)" + ToUsdString(remaining);
    out += R"(,"used_fraction":)" +
           std::to_string(static_cast<double>(u.committed) / static_cast<double>(scope.budget));
    out += R"(,"hard_stop":)";
    out += scope.hard_stop ? "true" : "false";
    out += R"(,"period_end":)";
    if (scope.period_end > 0) {
      AppendJsonString(out, IsoTime(scope.period_end));
    } else {
      out += "null";
    }
    out += '}';
  }
  out += "]}";
  return out;
}

Status Runtime::ResetBudget(std::string_view scope_kind, std::string_view id) {
  const std::string wanted = scope_kind == "global"
                                 ? std::string("global")
                                 : std::string(scope_kind) + ":" + std::string(id);
  for (const LimitScope& scope : BudgetScopes(UnixSeconds())) {
    if (scope.id == wanted) {
      return counters_->ResetBudget(scope);
    }
  }
  return Error(ErrorKind::kNotFound, "no budget is set for this " + std::string(scope_kind),
               "budget_not_found");
}

void Runtime::LoadBaselines(const Config& config) {
  if (store_ == nullptr) {
    return;
  }
  const int64_t now = UnixSeconds();
  auto baselines = std::make_shared<BudgetBaselines>();
  auto add = [&](const std::optional<LimitScope>& scope, int64_t period_start,
                 const std::string& zone) {
    if (!scope || scope->budget <= 0) {
      return;
    }
    SpendSumFilter filter;
    filter.zone = zone;
    filter.from_ms = period_start * 1000;
    auto total = store_->SumSpend(filter);
    if (!total) {
      throw std::runtime_error("store: cannot read the spend of budget \"" + scope->id +
                               "\": " + total.error().message);
    }
    baselines->push_back({scope->id, scope->period_end, total->cost});
  };
  const BudgetBaselines none;
  for (const ZoneConfig& zone : config.zones) {
    auto scope = ZoneScope(zone, none, now);
    if (scope && scope->budget > 0) {
      add(scope, EpochPeriodStart(zone.budget_duration, now), zone.name);
    }
  }
  auto global = GlobalScope(config.budget, none, now);
  if (global) {
    add(global, global->period_end - 86'400, "");
  }
  baselines_ = std::move(baselines);
}

void Runtime::Maintain(const std::stop_token& stop) {
  std::mutex mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // Budgets whose period ended start again at 0 (the request path already counts them in
    // their next period; this makes the store agree and schedules the next reset).
    auto reset = store_->ResetBudgets(now);
    if (!reset) {
      std::fprintf(stderr, "baton: budget reset failed (will retry): %s\n",
                   reset.error().message.c_str());
    } else if (!reset->key_hashes.empty() || !reset->team_ids.empty()) {
      std::fprintf(stderr, "baton: budget period ended for %zu keys and %zu teams\n",
                   reset->key_hashes.size(), reset->team_ids.size());
      (void)ReloadKeys();
    }
    std::unique_lock lock(mu);
    wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
  }
}

Status Runtime::ReloadKeys() {
  Status reloaded = ReloadKeysLocal();
  if (reloaded && changes_ != nullptr) {
    // Every other instance rebuilds its table too (docs/cluster.md). A failed publish is
    // reported: the change is stored, but the others learn it only at their next reload.
    if (Status published = changes_->Publish("keys"); !published) {
      std::fprintf(stderr, "baton: key change not announced to other instances: %s\n",
                   published.error().message.c_str());
      return published;
    }
  }
  return reloaded;
}

void Runtime::OpenCluster(const Config& config) {
  const ClusterConfig& cluster = config.cluster;
  if (!cluster.redis_url_configured) {
    return;
  }
  if (cluster.redis_url.empty()) {
    throw std::runtime_error("cluster.redis_url: " + cluster.redis_url_unset_reason);
  }
  RedisCountersOptions counters;
  counters.url = cluster.redis_url;
  counters.key_prefix = cluster.key_prefix;
  counters.fail_open = cluster.on_redis_error == RedisErrorPolicy::kOpen;
  counters.timeout = cluster.timeout;
  auto created = RedisCounters::Create(counters);
  if (!created) {
    throw std::runtime_error("cluster.redis_url: " + created.error().message);
  }
  counters_ = std::move(created).value();
  if (store_ == nullptr) {
    return;  // no keys or teams to keep in step
  }
  ChangeBusOptions bus;
  bus.url = cluster.redis_url;
  bus.key_prefix = cluster.key_prefix;
  auto made = ChangeBus::Create(bus);
  if (!made) {
    throw std::runtime_error("cluster.redis_url: " + made.error().message);
  }
  changes_ = std::move(made).value();
  changes_->Subscribe([this](std::string_view what) {
    if (what == "keys") {
      (void)ReloadKeysLocal();
    }
  });
}

Status Runtime::ReloadKeysLocal() {
  if (store_ == nullptr) {
    return OkStatus();
  }
  std::lock_guard lock(keys_mu_);
  auto keys = ListAll<KeyRecord>([&](const ListFilter& f) { return store_->ListKeys(f); });
  if (!keys) {
    std::fprintf(stderr, "baton: keys not reloaded: %s\n", keys.error().message.c_str());
    return keys.error();
  }
  auto teams = ListAll<TeamRecord>([&](const ListFilter& f) { return store_->ListTeams(f); });
  if (!teams) {
    std::fprintf(stderr, "baton: keys not reloaded: %s\n", teams.error().message.c_str());
    return teams.error();
  }
  keys_.store(KeyTable::Build(std::move(keys).value(), std::move(teams).value()));
  return OkStatus();
}

RouterServices Runtime::Services(std::optional<std::vector<std::string>> priorities) const {
  RouterServices services;
  services.health = health_;
  services.priorities = std::move(priorities);
  services.counters = counters_;
  services.baselines = baselines_;
  services.request_log = request_log_.get();
  services.events = events_.get();
  services.metrics = metrics_.get();
  return services;
}

void Runtime::Install(Config config) {
  current_.store(Snapshot::Build(std::move(config), Services(runtime_priorities_)));
}

Result<ReloadReport> Runtime::Reload(std::string_view trigger) {
  std::lock_guard lock(mu_);
  auto refuse = [&](Error e) -> Result<ReloadReport> {
    std::fprintf(stderr, "baton: reload failed: %s (via %.*s); keeping the running config\n",
                 e.message.c_str(), static_cast<int>(trigger.size()), trigger.data());
    return e;
  };
  if (options_.config_path.empty()) {
    return refuse(Error(ErrorKind::kBadRequest,
                        "the server runs on the built-in default config, which cannot be "
                        "reloaded from disk; start it with --config FILE (or create "
                        "~/.config/baton/baton.toml) to use reload",
                        "no_config_file"));
  }
  ReloadReport report;
  report.config = options_.config_path;
  try {
    Config config = LoadConfigFile(options_.config_path);
    ApplyOverrides(config, options_);
    if (config.server.master_key_configured && config.server.master_key.empty()) {
      return refuse(Error(ErrorKind::kBadRequest,
                          config.source + ": server.master_key: " +
                              config.server.master_key_unset_reason + "; refusing to run open",
                          "invalid_config"));
    }
    if (config.signing.secret_configured && config.signing.secret.empty()) {
      return refuse(Error(ErrorKind::kBadRequest,
                          config.source + ": signing.secret: " +
                              config.signing.secret_unset_reason + "; refusing to answer unsigned",
                          "invalid_config"));
    }
    report.ignored = KeepServerSettings(running_server_, config.server);
    if (config.store.path != running_store_.path || config.store.url != running_store_.url ||
        config.store.url_configured != running_store_.url_configured) {
      report.ignored.emplace_back("store");
    }
    if (store_ == nullptr && config.server.master_key_configured) {
      report.ignored.emplace_back("virtual keys (the master key was added after the start)");
    }
    if (!options_.state_file && StateFilePath(config) != state_file_) {
      report.ignored.emplace_back("router.state_file");
    }
    Install(std::move(config));
  } catch (const std::exception& e) {
    // ConfigError: "FILE:LINE: KEY: MESSAGE"; Snapshot::Build: "provider \"x\": ...". Neither
    // holds a secret value.
    return refuse(Error(ErrorKind::kBadRequest, e.what(), "invalid_config"));
  }
  auto snapshot = current_.load();
  report.providers = snapshot->config().providers.size();
  report.models = snapshot->routes().model_ids().size();
  std::string ignored;
  if (!report.ignored.empty()) {
    ignored = "; not changed until a restart: " + JoinList(report.ignored);
  }
  std::fprintf(stderr, "baton: config reloaded (%s: %zu providers, %zu models, via %.*s%s)\n",
               report.config.c_str(), report.providers, report.models,
               static_cast<int>(trigger.size()), trigger.data(), ignored.c_str());
  return report;
}

PrioritiesView Runtime::Priorities() const {
  std::lock_guard lock(mu_);
  return {current_.load()->priorities(), runtime_priorities_.has_value()};
}

Result<PrioritiesView> Runtime::ApplyPriorities(std::vector<std::string> priorities) {
  auto current = current_.load();
  std::shared_ptr<const Snapshot> next;
  try {
    next = Snapshot::Build(current->config(), Services(priorities));
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInternal, std::string("cannot apply the priorities: ") + e.what());
  }
  // Persist before the swap: a change that would not survive a restart is not made at all.
  if (Status saved = SavePriorities(state_file_, priorities); !saved) {
    std::fprintf(stderr, "baton: priorities not changed: %s\n", saved.error().message.c_str());
    return saved.error();
  }
  current_.store(std::move(next));
  std::fprintf(stderr, "baton: priorities changed: [%s]\n", JoinList(priorities).c_str());
  runtime_priorities_ = std::move(priorities);
  return PrioritiesView{*runtime_priorities_, true};
}

Result<PrioritiesView> Runtime::SetPriority(const std::string& model, int64_t position) {
  std::lock_guard lock(mu_);
  auto current = current_.load();
  if (Status ok = CheckPriorityTarget(current->config(), model); !ok) {
    return ok.error();
  }
  return ApplyPriorities(PlacePriority(current->priorities(), model, position));
}

Result<PrioritiesView> Runtime::RemovePriority(const std::string& model) {
  std::lock_guard lock(mu_);
  std::vector<std::string> list = current_.load()->priorities();
  if (!baton::RemovePriority(list, model)) {
    return Error(ErrorKind::kNotFound, "\"" + model + "\" is not in the priority list",
                 "priority_not_found", "model");
  }
  return ApplyPriorities(std::move(list));
}

}  // namespace baton
