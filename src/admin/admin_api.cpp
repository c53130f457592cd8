#include "admin/admin_api.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "admin/blocking_pool.hpp"
#include "admin/budget_api.hpp"
#include "admin/insights_api.hpp"
#include "admin/key_api.hpp"
#include "admin/spend_api.hpp"
#include "admin/team_api.hpp"
#include "core/json_text.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "pipeline/auth.hpp"

namespace baton {

namespace json = boost::json;

namespace {

constexpr std::string_view kAdminPrefix = "/api/admin/";
constexpr std::string_view kPrioritiesPath = "/api/admin/priorities";
// How long POST /api/admin/models/refresh waits for the providers (fetched concurrently).
constexpr std::chrono::milliseconds kRefreshWait{5'000};
// Threads running store calls for the admin endpoints (admin traffic is light; two keep one
// slow query from holding up everything else).
constexpr std::size_t kStorePoolThreads = 2;

Awaitable<bool> SendBody(ResponseWriter& writer, int status, std::string body,
                         HttpHeaders headers = {}) {
  headers.push_back({"content-type", "application/json"});
  co_return co_await writer.Send(status, std::move(headers), std::move(body));
}

Awaitable<bool> SendError(ResponseWriter& writer, const Error& error, int status = 0,
                          HttpHeaders headers = {}) {
  co_return co_await SendBody(writer, status != 0 ? status : openai::ErrorStatus(error),
                              openai::RenderError(error), std::move(headers));
}

Awaitable<bool> SendMethodNotAllowed(ResponseWriter& writer, const HttpRequest& request,
                                     std::string allow) {
  Error e(ErrorKind::kBadRequest,
          "Method " + request.method + " is not allowed for " + std::string(request.path) + ".",
          "method_not_allowed");
  // g++ 12 mishandles braced temporaries inside co_await expressions: named locals.
  HttpHeaders headers{{"allow", std::move(allow)}};
  co_return co_await SendError(writer, e, 405, std::move(headers));
}

void AppendNumber(std::string& out, double value) {
  std::array<char, 32> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), ec == std::errc() ? end : buf.data());
}

template <typename Range>
void AppendStringArray(std::string& out, const Range& items) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first) {
      out += ',';
    }
    first = false;
    AppendJsonString(out, item);
  }
  out += ']';
}

std::string PrioritiesJson(const PrioritiesView& view) {
  std::string out = R"({"priorities":)";
  AppendStringArray(out, view.priorities);
  out += R"(,"source":)";
  out += view.runtime ? R"("runtime")" : R"("config")";
  out += '}';
  return out;
}

std::string ModelsStatusJson(const std::vector<ProviderModels>& providers) {
  std::string out = R"({"providers":[)";
  bool first = true;
  for (const auto& p : providers) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += R"({"name":)";
    AppendJsonString(out, p.provider);
    out += R"(,"discovery":)";
    out += p.discovers ? "true" : "false";
    out += R"(,"models":)" + std::to_string(p.models.size());
    if (!p.error.empty()) {
      out += R"(,"error":)";
      AppendJsonString(out, p.error);
    }
    out += R"(,"fetched_at":)";
    if (p.fetched_at) {
      out += std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(p.fetched_at->time_since_epoch())
              .count());
    } else {
      out += "null";
    }
    out += '}';
  }
  out += "]}";
  return out;
}

std::string ReloadJson(const ReloadReport& report) {
  std::string out = R"({"status":"reloaded","config":)";
  AppendJsonString(out, report.config);
  out += R"(,"providers":)" + std::to_string(report.providers);
  out += R"(,"models":)" + std::to_string(report.models);
  out += R"(,"ignored":)";
  AppendStringArray(out, report.ignored);
  out += '}';
  return out;
}

// {"model":"p/m","position":N}; position is optional (the end of the list).
struct PlaceRequest {
  std::string model;
  int64_t position = std::numeric_limits<int64_t>::max();
};

Result<PlaceRequest> ParsePlaceRequest(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  const json::object* obj = ec ? nullptr : root.if_object();
  if (obj == nullptr) {
    return Error(ErrorKind::kBadRequest,
                 R"(The body must be a JSON object: {"model":"provider/model","position":0}.)",
                 "invalid_json");
  }
  PlaceRequest place;
  const json::value* model = obj->if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return Error(ErrorKind::kBadRequest, R"("model" (a "provider/model" string) is required.)",
                 "invalid_request", "model");
  }
  place.model = std::string(model->get_string());
  if (const json::value* position = obj->if_contains("position");
      position != nullptr && !position->is_null()) {
    if (position->is_int64()) {
      place.position = position->get_int64();
    } else if (position->is_uint64()) {
      place.position = std::numeric_limits<int64_t>::max();
    } else {
      return Error(ErrorKind::kBadRequest, "\"position\" must be an integer (0 = first).",
                   "invalid_request", "position");
    }
  }
  return place;
}

// The endpoints over the store: keys, teams, spend, budgets (LiteLLM-shaped) and insights.
bool IsStoreApiPath(std::string_view path) {
  return IsKeyApiPath(path) || IsTeamApiPath(path) || IsSpendApiPath(path) ||
         IsBudgetApiPath(path) || IsInsightsApiPath(path);
}

// Serves one store endpoint and, after a change, rebuilds the key table. Blocking: runs on the
// AdminApi's pool. `store` is null only for /budget/* (keys off).
AdminResponse ServeStoreApi(AdminControl& control, Store* store, const HttpRequest& request,
                            int64_t now, bool content_logging) {
  const std::string_view path = request.path;
  AdminResponse answer;
  if (IsBudgetApiPath(path)) {
    answer = HandleBudgetApi(control, store, request.method, path, request.body);
  } else if (IsKeyApiPath(path)) {
    answer = HandleKeyApi(*store, request.method, path, request.query, request.body, now);
  } else if (IsTeamApiPath(path)) {
    answer = HandleTeamApi(*store, request.method, path, request.query, request.body, now);
  } else if (IsInsightsApiPath(path)) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    answer =
        HandleInsightsApi(*store, request.method, path, request.query, content_logging, now_ms);
  } else {
    answer = HandleSpendApi(*store, request.method, path, request.query);
  }
  if (answer.changed) {
    // The change is durable; a failed rebuild leaves the old table (logged) until the next
    // change, so the admin is told rather than answered 200 with stale enforcement.
    if (Status rebuilt = control.ReloadKeys(); !rebuilt) {
      return Fail(rebuilt.error());
    }
  }
  return answer;
}

}  // namespace

AdminApi::AdminApi(AdminControl* control)
    : control_(control), pool_(std::make_unique<BlockingPool>(kStorePoolThreads)) {}

AdminApi::~AdminApi() = default;

bool IsAdminPath(std::string_view path) {
  return path == "/health/deployments" || path.starts_with(kAdminPrefix) || path == "/api/admin" ||
         IsStoreApiPath(path);
}

std::string DeploymentsHealthJson(const Snapshot& snapshot) {
  const RouterConfig& router = snapshot.config().router;
  // Which aliases (and `auto`) each deployment serves; every id a route of this snapshot uses.
  std::map<std::string, std::vector<std::string>, std::less<>> routes_of;
  std::set<std::string, std::less<>> listed;
  for (const auto& name : snapshot.routes().model_ids()) {
    auto route = snapshot.routes().Resolve(name);
    if (!route) {
      continue;
    }
    const bool direct = name.find('/') != std::string::npos;
    for (const auto& d : (*route)->deployments) {
      listed.insert(d.id);
      if (direct) {
        continue;  // a "provider/model" id routes to itself: not worth listing
      }
      auto& names = routes_of[d.id];
      if (std::ranges::find(names, name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  auto ms = [](auto duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
  };
  std::string out = R"({"router":{"allowed_fails":)" + std::to_string(router.allowed_fails);
  out += R"(,"fail_window_ms":)" + ms(router.fail_window);
  out += R"(,"cooldown_ms":)" + ms(router.cooldown);
  out += R"(},"deployments":[)";
  bool first = true;
  for (const DeploymentView& v : snapshot.health().Views(router)) {
    if (!listed.contains(v.id) && v.counters.attempts == 0) {
      continue;  // idle state of a removed deployment, or of unlisted direct requests
    }
    if (!first) {
      out += ',';
    }
    first = false;
    auto slash = v.id.find('/');
    out += R"({"id":)";
    AppendJsonString(out, v.id);
    out += R"(,"provider":)";
    AppendJsonString(out, v.id.substr(0, slash));
    out += R"(,"model":)";
    AppendJsonString(out, slash == std::string::npos ? std::string() : v.id.substr(slash + 1));
    out += R"(,"routes":)";
    auto it = routes_of.find(v.id);
    AppendStringArray(out, it != routes_of.end() ? it->second : std::vector<std::string>());
    out += R"(,"state":)";
    AppendJsonString(out, BreakerStateName(v.state));
    out += R"(,"in_flight":)" + std::to_string(v.in_flight);
    out += R"(,"ttft_ms":)";
    AppendNumber(out, static_cast<double>(v.ttft_us) / 1000.0);
    out += R"(,"recent_failures":)" + std::to_string(v.recent_failures);
    out += R"(,"cooldown_remaining_ms":)" + std::to_string(v.cooldown_left.count());
    out += R"(,"rpm_used":)" + std::to_string(v.rpm_used);
    out += R"(,"tpm_used":)" + std::to_string(v.tpm_used);
    out += R"(,"last_error":)";
    AppendJsonString(out, v.last_error);
    out += R"(,"attempts":)" + std::to_string(v.counters.attempts);
    out += R"(,"successes":)" + std::to_string(v.counters.successes);
    out += R"(,"failures":)" + std::to_string(v.counters.failures);
    out += R"(,"retries":)" + std::to_string(v.counters.retries);
    out += R"(,"fallbacks":)" + std::to_string(v.counters.fallbacks);
    out += R"(,"cooldowns":)" + std::to_string(v.counters.cooldowns);
    out += '}';
  }
  out += "]}";
  return out;
}

Awaitable<void> AdminApi::Handle(std::shared_ptr<const Snapshot> snapshot, HttpRequest& request,
                                 ResponseWriter& writer) {
  const std::string_view path = request.path;
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  // The key first, so that an unauthenticated caller learns nothing about the admin paths.
  if (Status auth = Authenticate(snapshot->config().server, request.headers); !auth) {
    co_await SendError(writer, auth.error());
    co_return;
  }
  if (path == "/health/deployments") {
    if (!get) {
      co_await SendMethodNotAllowed(writer, request, "GET");
      co_return;
    }
    co_await SendBody(writer, 200, DeploymentsHealthJson(*snapshot));
    co_return;
  }
  if (control_ == nullptr) {
    const Error unavailable(ErrorKind::kNotFound, "The admin API is not available.", "unknown_url");
    co_await SendError(writer, unavailable);
    co_return;
  }

  if (IsStoreApiPath(path)) {
    Store* store = control_->store();
    if (store == nullptr && !IsBudgetApiPath(path)) {
      const Error off(ErrorKind::kNotFound,
                      "Virtual keys are off: set [server] master_key to use /key/*, /team/*, "
                      "/spend/* and /insights/* (kept in [store]).",
                      "keys_disabled");
      co_await SendError(writer, off);
      co_return;
    }
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    // Store I/O blocks: it runs on the pool, and this coroutine resumes on its io thread after.
    AdminResponse answer;
    AdminControl& control = *control_;
    const HttpRequest& req = request;
    // g++ 12 and temporaries inside co_await expressions: a named function object.
    const bool content_logging = snapshot->config().log.content;
    std::function<void()> serve = [&answer, &control, store, &req, now, content_logging] {
      answer = ServeStoreApi(control, store, req, now, content_logging);
    };
    co_await pool_->Run(std::move(serve));
    HttpHeaders headers = std::move(answer.headers);
    if (!answer.allow.empty()) {
      headers.push_back({"allow", answer.allow});
    }
    co_await SendBody(writer, answer.status, std::move(answer.body), std::move(headers));
    co_return;
  }

  if (path == "/api/admin/config/reload") {
    if (!post) {
      co_await SendMethodNotAllowed(writer, request, "POST");
      co_return;
    }
    auto reloaded = control_->Reload("admin API");
    if (!reloaded) {
      const Error& e = reloaded.error();
      const int status = e.code == "no_config_file" ? 409 : 0;
      co_await SendError(writer, e, status);
      co_return;
    }
    co_await SendBody(writer, 200, ReloadJson(reloaded.value()));
    co_return;
  }

  if (path == "/api/admin/models" || path == "/api/admin/models/refresh") {
    const bool refresh = path.ends_with("/refresh");
    if (refresh ? !post : !get) {
      co_await SendMethodNotAllowed(writer, request, refresh ? "POST" : "GET");
      co_return;
    }
    if (refresh) {
      co_await control_->catalog().Refresh(snapshot, true, kRefreshWait);
    }
    co_await SendBody(writer, 200, ModelsStatusJson(control_->catalog().Status(*snapshot)));
    co_return;
  }

  if (path == kPrioritiesPath) {
    if (get) {
      co_await SendBody(writer, 200, PrioritiesJson(control_->Priorities()));
      co_return;
    }
    if (!post) {
      co_await SendMethodNotAllowed(writer, request, "GET, POST");
      co_return;
    }
    auto place = ParsePlaceRequest(request.body);
    if (!place) {
      co_await SendError(writer, place.error());
      co_return;
    }
    auto changed = control_->SetPriority(place->model, place->position);
    if (!changed) {
      co_await SendError(writer, changed.error());
      co_return;
    }
    co_await SendBody(writer, 200, PrioritiesJson(changed.value()));
    co_return;
  }
  if (path.starts_with(kPrioritiesPath) && path[kPrioritiesPath.size()] == '/') {
    if (method != "DELETE") {
      co_await SendMethodNotAllowed(writer, request, "DELETE");
      co_return;
    }
    // The id keeps its slash ("/api/admin/priorities/openai/gpt-4o"); "%2F" works too.
    std::string model = PercentDecode(path.substr(kPrioritiesPath.size() + 1));
    auto changed = control_->RemovePriority(model);
    if (!changed) {
      co_await SendError(writer, changed.error());
      co_return;
    }
    co_await SendBody(writer, 200, PrioritiesJson(changed.value()));
    co_return;
  }

  const Error unknown(ErrorKind::kNotFound,
                      "Unknown admin URL: " + method + " " + std::string(path) + ".",
                      "unknown_url");
  co_await SendError(writer, unknown);
}

}  // namespace baton
