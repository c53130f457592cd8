#include "api/api.hpp"

#include <chrono>

#include "api/openai_chat.hpp"
#include "api/respond.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "pipeline/auth.hpp"

namespace baton {

namespace {

const int64_t kStartTime = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();

std::string ModelsListJson(const Snapshot& snapshot) {
  std::string out = R"({"object":"list","data":[)";
  bool first = true;
  for (const auto& id : snapshot.routes().model_ids()) {
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

Error MethodNotAllowed(const HttpRequest& request) {
  return {ErrorKind::kBadRequest,
          "Method " + request.method + " is not allowed for " + std::string(request.path) + ".",
          "method_not_allowed"};
}

}  // namespace

Api::Api(SnapshotSource snapshots, ApiStatus status)
    : snapshots_(std::move(snapshots)), status_(std::move(status)) {}

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

  const bool chat = PathIs(path, "/v1/chat/completions", "/chat/completions");
  const bool embed = PathIs(path, "/v1/embeddings", "/embeddings");
  const bool models = PathIs(path, "/v1/models", "/models");
  if (!chat && !embed && !models) {
    co_await SendOpenAiError(
        writer, Error(ErrorKind::kNotFound,
                      "Unknown request URL: " + request.method + " " + std::string(path) + ".",
                      "unknown_url"));
    co_return;
  }
  if (((chat || embed) && !post) || (models && !get)) {
    Error e = MethodNotAllowed(request);
    HttpHeaders headers{{"allow", models ? "GET" : "POST"}, {"content-type", "application/json"}};
    co_await writer.Send(405, std::move(headers), openai::RenderError(e));
    co_return;
  }
  if (Status auth = Authenticate(snapshot->config().server, request.headers); !auth) {
    co_await SendOpenAiError(writer, auth.error());
    co_return;
  }
  if (chat) {
    co_await HandleOpenAiChat(*snapshot, request, writer);
    co_return;
  }
  if (embed) {
    co_await HandleOpenAiEmbeddings(*snapshot, request, writer);
    co_return;
  }
  co_await SendJson(writer, 200, ModelsListJson(*snapshot));
}

}  // namespace baton
