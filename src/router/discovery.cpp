#include "router/discovery.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace baton {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A model list is small (OpenAI's is ~100 entries, ~10 KB); this only bounds a runaway body.
constexpr std::size_t kMaxListBytes = 8U << 20;

Error BadList(std::string_view dialect, std::string_view why) {
  return {ErrorKind::kUpstreamError,
          "the " + std::string(dialect) + " model list could not be read: " + std::string(why),
          "bad_model_list"};
}

// The string member `field` of every object in the array `array_key` of the root object.
Result<std::vector<std::string>> Names(std::string_view dialect, std::string_view body,
                                       std::string_view array_key, std::string_view field,
                                       std::string_view strip_prefix) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) {
    return BadList(dialect, "not JSON");
  }
  const json::object* obj = root.if_object();
  const json::value* list = obj != nullptr ? obj->if_contains(array_key) : nullptr;
  if (list == nullptr || !list->is_array()) {
    return BadList(dialect, "no \"" + std::string(array_key) + "\" array");
  }
  std::vector<std::string> names;
  std::unordered_set<std::string_view> seen;
  for (const json::value& item : list->get_array()) {
    const json::object* entry = item.if_object();
    const json::value* name = entry != nullptr ? entry->if_contains(field) : nullptr;
    if (name == nullptr || !name->is_string()) {
      continue;
    }
    std::string_view text = name->get_string();
    if (!strip_prefix.empty() && text.starts_with(strip_prefix)) {
      text.remove_prefix(strip_prefix.size());
    }
    if (!text.empty() && seen.insert(text).second) {
      names.emplace_back(text);
    }
  }
  return names;
}

// One provider's list, fetched on the calling worker's UpstreamClient. The provider is awaited
// at once by FetchOne, which keeps its snapshot alive.
Awaitable<Result<std::vector<std::string>>> FetchList(
    Provider& provider, std::chrono::steady_clock::time_point deadline) {
  ProviderCall call;
  call.operation = Operation::kModels;
  call.deadline = deadline;
  auto opened = co_await provider.Send(std::move(call));
  if (!opened) {
    co_return std::move(opened).error();
  }
  std::unique_ptr<UpstreamBody> body = std::move(opened).value();
  const int status = body->status();
  if (status != 200) {
    // The upstream's error text is not kept: some echo part of the key back.
    co_await body->Drain(std::chrono::milliseconds(200));
    Error e(ErrorKind::kUpstreamError, "the upstream answered HTTP " + std::to_string(status),
            "upstream_error");
    e.upstream_status = status;
    co_return e;
  }
  auto text = co_await body->ReadAll(kMaxListBytes);
  if (!text) {
    co_return std::move(text).error();
  }
  co_return ParseModelList(provider.config().dialect, text.value());
}

}  // namespace

// Wakes the Refresh() that waits for a batch of fetches once the last one has ended. All of a
// batch's coroutines run on one worker's io_context (one thread), so `pending` needs no lock.
struct ModelCatalog::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  void Done() {
    if (--pending == 0) {
      timer.cancel();
    }
  }
  asio::steady_timer timer;
  std::size_t pending = 0;
};

bool DiscoversModels(const ProviderConfig& config) {
  if (!config.available || config.kind == "azure") {
    return false;
  }
  return config.dialect == "openai" || config.dialect == "anthropic" ||
         config.dialect == "gemini" || config.dialect == "ollama";
}

Result<std::vector<std::string>> ParseModelList(std::string_view dialect, std::string_view body) {
  if (dialect == "openai" || dialect == "anthropic") {
    return Names(dialect, body, "data", "id", {});
  }
  if (dialect == "gemini") {
    return Names(dialect, body, "models", "name", "models/");
  }
  if (dialect == "ollama") {
    return Names(dialect, body, "models", "name", {});
  }
  return Error(ErrorKind::kBadRequest, "the " + std::string(dialect) + " dialect has no model list",
               "unsupported_dialect");
}

std::string ModelCatalog::Identity(const ProviderConfig& provider) {
  // The key's reference, never the key: a changed reference (or URL) is another account.
  return provider.kind + '\n' + provider.dialect + '\n' + provider.base_url + '\n' +
         provider.api_key_ref;
}

ModelCatalog::Entry& ModelCatalog::EntryFor(const ProviderConfig& provider) {
  std::string identity = Identity(provider);
  Entry& entry = entries_[provider.name];
  if (entry.identity != identity) {
    entry = Entry{};
    entry.identity = std::move(identity);
    entry.generation = ++generations_;
  }
  return entry;
}

bool ModelCatalog::Stale(const Entry& entry, const RouterConfig& router, SteadyTime now) {
  if (!entry.attempted) {
    return true;
  }
  auto ttl = router.discovery_ttl;
  if (!entry.ok) {
    ttl = std::min(ttl, std::chrono::milliseconds(kRetryFailedAfter));
  }
  return now - *entry.attempted >= ttl;
}

bool ModelCatalog::NeedsRefresh(const Snapshot& snapshot) const {
  const SteadyTime now = clock_->Now();
  std::lock_guard lock(mu_);
  for (const auto& p : snapshot.providers()) {
    if (!DiscoversModels(p->config())) {
      continue;
    }
    auto it = entries_.find(p->name());
    if (it == entries_.end() || it->second.identity != Identity(p->config())) {
      return true;
    }
    if (!it->second.in_flight && Stale(it->second, snapshot.config().router, now)) {
      return true;
    }
  }
  return false;
}

Awaitable<void> ModelCatalog::Refresh(std::shared_ptr<const Snapshot> snapshot, bool force,
                                      std::chrono::milliseconds wait) {
  std::vector<std::pair<Provider*, uint64_t>> todo;
  {
    const SteadyTime now = clock_->Now();
    std::lock_guard lock(mu_);
    for (const auto& p : snapshot->providers()) {
      if (!DiscoversModels(p->config())) {
        continue;
      }
      Entry& entry = EntryFor(p->config());
      if (entry.in_flight || (!force && !Stale(entry, snapshot->config().router, now))) {
        continue;
      }
      entry.in_flight = true;
      todo.emplace_back(p.get(), entry.generation);
    }
  }
  if (todo.empty()) {
    co_return;
  }
  auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  waiter->pending = todo.size();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (auto [provider, generation] : todo) {
    asio::co_spawn(executor, FetchOne(this, snapshot, provider, generation, deadline, waiter),
                   asio::detached);
  }
  if (waiter->pending == 0) {
    co_return;  // co_spawn may run a fetch inline up to its first wait; all may be over already
  }
  // The fetches end by their deadline on their own; the margin lets a fetch that fails exactly
  // at the deadline still be counted before the caller answers.
  waiter->timer.expires_after(wait + std::chrono::milliseconds(50));
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

Awaitable<void> ModelCatalog::FetchOne(ModelCatalog* catalog,
                                       std::shared_ptr<const Snapshot> snapshot, Provider* provider,
                                       uint64_t generation,
                                       std::chrono::steady_clock::time_point deadline,
                                       std::shared_ptr<Waiter> waiter) {
  auto result = co_await FetchList(*provider, deadline);
  catalog->StoreFetched(provider->name(), generation, std::move(result));
  waiter->Done();
  snapshot.reset();  // the provider may go now (after a reload)
}

void ModelCatalog::Store(const ProviderConfig& provider, Result<std::vector<std::string>> result) {
  std::lock_guard lock(mu_);
  Apply(EntryFor(provider), std::move(result));
}

void ModelCatalog::StoreFetched(const std::string& provider, uint64_t generation,
                                Result<std::vector<std::string>> result) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(provider);
  if (it == entries_.end() || it->second.generation != generation) {
    return;  // fetched for a provider a reload has since changed: not this one's list
  }
  Apply(it->second, std::move(result));
}

void ModelCatalog::Apply(Entry& entry, Result<std::vector<std::string>> result) {
  entry.in_flight = false;
  entry.attempted = clock_->Now();
  entry.ok = result.ok();
  if (result) {
    entry.models = std::move(result).value();
    entry.error.clear();
    entry.fetched_at = std::chrono::system_clock::now();
  } else {
    entry.error = result.error().message;
  }
}

std::vector<std::string> ModelCatalog::DiscoveredIds(const Snapshot& snapshot) const {
  std::vector<std::string> ids;
  std::lock_guard lock(mu_);
  for (const auto& p : snapshot.providers()) {
    auto it = entries_.find(p->name());
    if (it == entries_.end() || it->second.identity != Identity(p->config()) ||
        !DiscoversModels(p->config())) {
      continue;
    }
    for (const auto& model : it->second.models) {
      ids.push_back(p->name() + "/" + model);
    }
  }
  return ids;
}

std::vector<ProviderModels> ModelCatalog::Status(const Snapshot& snapshot) const {
  std::vector<ProviderModels> out;
  std::lock_guard lock(mu_);
  for (const auto& p : snapshot.providers()) {
    const ProviderConfig& config = p->config();
    ProviderModels status;
    status.provider = config.name;
    status.discovers = DiscoversModels(config);
    if (!status.discovers) {
      status.models = config.models;  // Bedrock, echo, Azure: what the config lists
      if (!config.available) {
        status.error = "provider is not configured: " + config.unavailable_reason;
      }
      out.push_back(std::move(status));
      continue;
    }
    auto it = entries_.find(config.name);
    if (it != entries_.end() && it->second.identity == Identity(config)) {
      status.models = it->second.models;
      status.error = it->second.error;
      status.fetched_at = it->second.fetched_at;
    }
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace baton
