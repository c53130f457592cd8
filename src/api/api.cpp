#include "api/api.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_set>

#include "api/dialect_handlers.hpp"
#include "api/events_api.hpp"
#include "api/forward.hpp"
#include "api/openai_chat.hpp"
#include "api/respond.hpp"
#include "api/signing.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "pipeline/auth.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/request_log.hpp"
#include "upstream/client.hpp"

namespace baton {

namespace {

const int64_t kStartTime = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

// How long a /v1/models request waits for stale provider lists (fetched concurrently).
constexpr std::chrono::milliseconds kModelListWait{2'000};

std::string ModelsListJson(const std::vector<std::string>& ids) {
  std::string out = R"({"object":"list","data":[)";
  bool first = true;
  for (const auto& id : ids) {
    if (!first) {
      out += ',';
    }
    first = false;
    auto slash = id.find('/');
    out += R"({"id":)";
    AppendJsonString(out, id);
    out += R"(,"object":"model","created":)" + std::to_string(kStartTime) + R"(,"owned_by":)";
    AppendJsonString(out, slash == std::string::npos ? "baton" : id.substr(0, slash));
    out += '}';
  }
  out += "]}";
  return out;
}

std::string ReadinessJson(const Snapshot& snapshot, bool draining) {
  std::string out = R"({"status":)";
  out += draining ? R"("draining")" : R"("ready")";
  out += R"(,"config":)";
  AppendJsonString(out, snapshot.config().source);
  out += R"(,"providers":[)";
  bool first = true;
  for (const auto& p : snapshot.config().providers) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += R"({"name":)";
    AppendJsonString(out, p.name);
    out += R"(,"kind":)";
    AppendJsonString(out, p.kind);
    out += R"(,"available":)";
    out += p.available ? "true" : "false";
    if (!p.available) {
      out += R"(,"reason":)";
      AppendJsonString(out, p.unavailable_reason);
    }
    out += '}';
  }
  out += R"(],"models":)" + std::to_string(snapshot.routes().model_ids().size()) + "}";
  return out;
}

bool PathIs(std::string_view path, std::string_view a, std::string_view b = {}) {
  return path == a || (!b.empty() && path == b);
}

enum class EndpointKind {
  kUnknown,
  kChat,
  kEmbeddings,
  kModels,
  kProxy,
  kMessages,
  kCountTokens,
  kResponses,
  kGemini,
  kGeminiModels,
};

struct Endpoint {
  EndpointKind kind = EndpointKind::kUnknown;
  canon::Dialect dialect = canon::Dialect::kOpenAiChat;  // errors are rendered in it
  std::string_view rest;                                 // /proxy/{rest}, /v1beta/models/{rest}
};

Endpoint Classify(std::string_view path) {
  using canon::Dialect;
  if (PathIs(path, "/v1/chat/completions", "/chat/completions")) {
    return {EndpointKind::kChat};
  }
  if (PathIs(path, "/v1/embeddings", "/embeddings")) {
    return {EndpointKind::kEmbeddings};
  }
  if (PathIs(path, "/v1/models", "/models")) {
    return {EndpointKind::kModels};
  }
  if (PathIs(path, "/v1/responses", "/responses")) {
    return {EndpointKind::kResponses, Dialect::kOpenAiResponses};
  }
  if (path.starts_with("/proxy/")) {
    return {EndpointKind::kProxy, Dialect::kOpenAiChat, path.substr(7)};
  }
  std::string_view anthropic = path;
  if (anthropic.starts_with("/api/anthropic/")) {
    anthropic.remove_prefix(14);
  }
  if (anthropic == "/v1/messages") {
    return {EndpointKind::kMessages, Dialect::kAnthropic};
  }
  if (anthropic == "/v1/messages/count_tokens") {
    return {EndpointKind::kCountTokens, Dialect::kAnthropic};
  }
  if (anthropic.starts_with("/v1/messages/") || anthropic != path) {
    return {EndpointKind::kUnknown, Dialect::kAnthropic};
  }
  if (path == "/v1beta/models") {
    return {EndpointKind::kGeminiModels, Dialect::kGemini};
  }
  if (path.starts_with("/v1beta/models/")) {
    return {EndpointKind::kGemini, Dialect::kGemini, path.substr(15)};
  }
  if (path.starts_with("/v1beta/")) {
    return {EndpointKind::kUnknown, Dialect::kGemini};
  }
  return {};
}

Error MethodNotAllowed(const HttpRequest& request) {
  return {ErrorKind::kBadRequest,
          "Method " + request.method + " is not allowed for " + std::string(request.path) + ".",
          "method_not_allowed"};
}

// GET /metrics (docs/metrics.md): the master key is required when one is configured.
Awaitable<void> SendMetrics(const Snapshot& snapshot, const HttpRequest& request,
                            ResponseWriter& writer) {
  if (request.method != "GET" && request.method != "HEAD") {
    // (Headers built apart: g++ 12 miscompiles braced lists in co_await expressions.)
    HttpHeaders headers{{"allow", "GET"}, {"content-type", "application/json"}};
    co_await writer.Send(405, std::move(headers), openai::RenderError(MethodNotAllowed(request)));
    co_return;
  }
  if (Status auth = Authenticate(snapshot.config().server, request.headers); !auth.ok()) {
    co_await SendOpenAiError(writer, auth.error());
    co_return;
  }
  Metrics* metrics = snapshot.metrics();
  if (metrics == nullptr) {
    const Error error(ErrorKind::kNotFound, "Metrics are not kept.", "unknown_url");
    co_await SendOpenAiError(writer, error);
    co_return;
  }
  // Deployment health lives in the registry the snapshots share; read it now.
  std::vector<DeploymentView> views = snapshot.health().Views(snapshot.config().router);
  std::vector<DeploymentSample> deployments;
  deployments.reserve(views.size());
  for (DeploymentView& v : views) {
    DeploymentSample sample;
    sample.id = std::move(v.id);
    sample.cooldowns = v.counters.cooldowns;
    sample.up = v.state != BreakerState::kOpen;
    deployments.push_back(std::move(sample));
  }
  const PoolGauges& gauges = UpstreamClient::Gauges();
  const PoolSample pool{gauges.idle.load(std::memory_order_relaxed),
                        gauges.busy.load(std::memory_order_relaxed)};
  std::string body = metrics->Render(deployments, pool);
  HttpHeaders headers{{"content-type", std::string(kMetricsContentType)}};
  co_await writer.Send(200, std::move(headers), std::move(body));
}

// A request refused before it reached a handler (no key, a wrong, expired or blocked key) is still
// one finished request: its record goes to the request log for the audit trail (no key, no model,
// cost 0). Not counted in the metrics, whose model requests are the authenticated ones.
void RecordRefusal(const Snapshot& snapshot, const HttpRequest& request, canon::Dialect dialect,
                   int status, const Error& error) {
  RequestLog* log = snapshot.request_log();
  if (log == nullptr) {
    return;
  }
  RequestRecord r;
  r.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  r.request_id = request.request_id;
  r.dialect = canon::DialectName(dialect);
  r.status = status;
  r.error = error.code;
  if (auto seq = log->Append(std::move(r)); !seq) {
    std::fprintf(stderr, "baton: request record lost: %s\n", seq.error().message.c_str());
  }
}

}  // namespace

Api::Api(SnapshotSource snapshots, ApiStatus status, AdminControl* admin)
    : snapshots_(std::move(snapshots)),
      status_(std::move(status)),
      admin_(admin),
      admin_api_(admin) {}

Awaitable<std::vector<std::string>> Api::ModelIds(std::shared_ptr<const Snapshot> snapshot) {
  std::vector<std::string> ids = snapshot->routes().model_ids();
  if (admin_ == nullptr) {
    co_return ids;
  }
  ModelCatalog& catalog = admin_->catalog();
  if (catalog.NeedsRefresh(*snapshot)) {
    co_await catalog.Refresh(snapshot, false, kModelListWait);
  }
  std::unordered_set<std::string> seen(ids.begin(), ids.end());
  for (auto& id : catalog.DiscoveredIds(*snapshot)) {
    if (seen.insert(id).second) {
      ids.push_back(std::move(id));
    }
  }
  co_return ids;
}

Awaitable<void> Api::Handle(HttpRequest& request, ResponseWriter& writer) {
  std::shared_ptr<const Snapshot> snapshot = snapshots_();
  std::string_view path = request.path;
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";

  if (PathIs(path, "/health", "/health/liveness")) {
    co_await SendJson(writer, 200, R"({"status":"ok"})");
    co_return;
  }
  if (path == "/health/readiness") {
    bool draining = status_.draining && status_.draining();
    co_await SendJson(writer, draining ? 503 : 200, ReadinessJson(*snapshot, draining));
    co_return;
  }
  if (path == "/events") {
    co_await HandleEvents(*snapshot, request, writer, status_.draining);
    co_return;
  }
  if (path == "/metrics") {
    co_await SendMetrics(*snapshot, request, writer);
    co_return;
  }
  if (IsAdminPath(path)) {
    co_await admin_api_.Handle(snapshot, request, writer);
    co_return;
  }

  // Which endpoint, and so which dialect errors are rendered in.
  Endpoint ep = Classify(path);
  if (ep.kind == EndpointKind::kUnknown) {
    co_await SendDialectError(
        writer, ep.dialect, request,
        Error(ErrorKind::kNotFound,
              "Unknown request URL: " + request.method + " " + std::string(path) + ".",
              "unknown_url"));
    co_return;
  }
  const bool want_get = ep.kind == EndpointKind::kModels || ep.kind == EndpointKind::kGeminiModels;
  if ((want_get && !get) || (!want_get && !post)) {
    HttpHeaders headers{{"allow", want_get ? "GET" : "POST"}};
    Error e = MethodNotAllowed(request);
    if (ep.dialect == canon::Dialect::kOpenAiChat) {
      headers.push_back({"content-type", "application/json"});
      co_await writer.Send(405, std::move(headers), openai::RenderError(e));
    } else {
      const canon::Codec& codec = canon::CodecFor(ep.dialect);
      if (codec.render_error != nullptr) {
        headers.push_back({"content-type", "application/json"});
        co_await writer.Send(405, std::move(headers), codec.render_error(e));
      } else {
        co_await SendOpenAiError(writer, e, std::move(headers));
      }
    }
    co_return;
  }
  if (ep.dialect == canon::Dialect::kGemini && PresentedKey(request.headers).empty()) {
    // Gemini clients may pass the key as ?key=...
    std::string key = QueryParam(request.query, "key");
    if (!key.empty()) {
      request.headers.push_back({"x-goog-api-key", std::move(key)});
    }
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto authenticated =
      AuthenticateCaller(snapshot->config().server, admin_ != nullptr ? admin_->Keys() : nullptr,
                         request.headers, now);
  if (!authenticated) {
    co_await SendDialectError(writer, ep.dialect, request, authenticated.error());
    RecordRefusal(*snapshot, request, ep.dialect, writer.status(), authenticated.error());
    co_return;
  }
  // Kept for the whole request: it owns the key table the key and team pointers point into.
  const Caller caller = std::move(authenticated).value();
  const Metrics::InFlight in_flight(snapshot->metrics());
  // [signing]: every answer to an authenticated caller is signed where its bytes go to the
  // client, errors included (docs/signing.md); answers refused before (401, unknown URL) are not,
  // so the gateway never signs for an unknown caller.
  std::optional<SigningWriter> signing;
  if (const std::string& secret = snapshot->config().signing.secret; !secret.empty()) {
    signing.emplace(writer, secret, request.request_id);
  }
  ResponseWriter& out = signing ? static_cast<ResponseWriter&>(*signing) : writer;
  switch (ep.kind) {
    case EndpointKind::kChat:
      co_await HandleOpenAiChat(*snapshot, request, out, &caller);
      co_return;
    case EndpointKind::kEmbeddings:
      co_await HandleOpenAiEmbeddings(*snapshot, request, out, &caller);
      co_return;
    case EndpointKind::kProxy:
      co_await HandleProxy(*snapshot, request, out, PercentDecode(ep.rest), &caller);
      co_return;
    case EndpointKind::kMessages:
      co_await HandleAnthropicMessages(*snapshot, request, out, &caller);
      co_return;
    case EndpointKind::kCountTokens:
      co_await HandleAnthropicCountTokens(*snapshot, request, out, &caller);
      co_return;
    case EndpointKind::kResponses:
      co_await HandleResponses(*snapshot, request, out, &caller);
      co_return;
    case EndpointKind::kGemini:
      co_await HandleGemini(*snapshot, request, out, ep.rest, &caller);
      co_return;
    case EndpointKind::kGeminiModels: {
      std::vector<std::string> ids = co_await ModelIds(snapshot);
      co_await SendJson(out, 200, GeminiModelsJson(ids));
      co_return;
    }
    case EndpointKind::kModels:
      break;
    case EndpointKind::kUnknown:
      co_return;
  }
  std::vector<std::string> ids = co_await ModelIds(snapshot);
  if (caller.IsVirtualKey()) {
    // A key lists only the models it may use.
    std::erase_if(ids, [&caller](const std::string& id) { return !CheckCallerModel(caller, id); });
  }
  if (!request.Header("anthropic-version").empty()) {
    HttpHeaders headers{{"request-id", request.request_id}};
    co_await SendJson(out, 200, AnthropicModelsJson(ids), std::move(headers));
    co_return;
  }
  co_await SendJson(out, 200, ModelsListJson(ids));
}

}  // namespace baton
