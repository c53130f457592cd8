#include "api/dialect_handlers.hpp"

#include <array>
#include <ctime>

#include "api/forward.hpp"
#include "api/respond.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/tokens/count.hpp"

namespace baton {

namespace {

using canon::Dialect;

constexpr std::size_t kMaxCountBody = 1U << 20;

// Parses the client's body with its dialect's codec and forwards it.
Awaitable<void> ParseAndForward(const Snapshot& snapshot, HttpRequest& request,
                                ResponseWriter& writer, Dialect dialect,
                                std::string model_from_path, bool stream_from_path,
                                const Caller* caller) {
  const canon::Codec& codec = canon::CodecFor(dialect);
  auto parsed = codec.parse_request(request.body);
  if (!parsed) {
    co_await SendDialectError(writer, dialect, request, parsed.error());
    co_return;
  }
  Exchange ex;
  ex.client = dialect;
  ex.caller = caller;
  ex.body = request.body;
  if (!model_from_path.empty()) {
    parsed->model = std::move(model_from_path);
    parsed->stream = stream_from_path;
  }
  ex.model = parsed->model;
  ex.stream = parsed->stream;
  ex.include_usage = parsed->include_usage;
  if (ex.model.empty()) {
    co_await SendDialectError(
        writer, dialect, request,
        Error(ErrorKind::kBadRequest, "model: Field required", "invalid_request_error", "model"));
    co_return;
  }
  ex.canonical = std::move(parsed).value();
  co_await ForwardChat(snapshot, request, writer, ex);
}

std::string CountJson(std::string_view key, int64_t n) {
  return "{\"" + std::string(key) + "\":" + std::to_string(n) + "}";
}

// count_tokens when no upstream counts: the local tokenizer (exact BPE for OpenAI-family models,
// a documented estimate for the others).
Awaitable<void> CountLocally(ResponseWriter& writer, const HttpRequest& request, Dialect dialect,
                             const canon::Request& req, const Deployment& d) {
  // Counted as the deployment would see it: its model picks the encoding, its kind the family.
  canon::Request as_sent = req;
  as_sent.model = d.model;
  int64_t n = tokens::CountRequestTokens(as_sent, d.provider->config().kind);
  HttpHeaders headers{{"x-baton-token-count", "local"}};
  if (dialect == Dialect::kAnthropic) {
    headers.push_back({"request-id", request.request_id});
    co_await SendJson(writer, 200, CountJson("input_tokens", n), std::move(headers));
  } else {
    co_await SendJson(writer, 200, CountJson("totalTokens", n), std::move(headers));
  }
}

// The count for a request in canonical form: forwarded to the first deployment when it is of the
// client's own dialect and counts tokens itself; counted here otherwise.
Awaitable<void> CountTokens(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            Dialect dialect, const canon::Request& req, std::string body,
                            const Caller* caller) {
  // A virtual key counts only with the models it may use (the count may go upstream).
  if (caller != nullptr) {
    if (Status allowed = CheckCallerModel(*caller, req.model); !allowed) {
      co_await SendDialectError(writer, dialect, request, allowed.error());
      co_return;
    }
  }
  Route scratch;
  auto route = snapshot.Resolve(req.model, scratch);
  if (!route) {
    co_await SendDialectError(writer, dialect, request, route.error());
    co_return;
  }
  const Deployment& d = (*route)->deployments.front();
  Provider& provider = *d.provider;
  if (provider.dialect() != dialect || !provider.Supports(Operation::kCountTokens)) {
    co_await CountLocally(writer, request, dialect, req, d);
    co_return;
  }
  ProviderCall call;
  call.operation = Operation::kCountTokens;
  call.model = d.model;
  call.client_headers = &request.headers;
  call.deadline = std::chrono::steady_clock::now() + snapshot.config().server.request_timeout;
  std::string quoted;
  AppendJsonString(quoted, d.model);
  // Gemini carries the model in the path; the others in the body.
  auto span = dialect == Dialect::kGemini ? std::nullopt : FindTopLevelMember(body, "model");
  call.body = span ? ReplaceValue(body, *span, quoted) : std::move(body);
  auto opened = co_await provider.Send(std::move(call));
  if (!opened) {
    // The upstream cannot count right now: the local count is better than an error.
    co_await CountLocally(writer, request, dialect, req, d);
    co_return;
  }
  auto upstream = std::move(opened).value();
  auto answer = co_await upstream->ReadAll(kMaxCountBody);
  if (!answer || upstream->status() >= 500) {
    co_await CountLocally(writer, request, dialect, req, d);
    co_return;
  }
  HttpHeaders headers{{"x-baton-provider", provider.name()}, {"x-baton-model", d.id}};
  if (dialect == Dialect::kAnthropic) {
    headers.push_back({"request-id", request.request_id});
  }
  co_await SendJson(writer, upstream->status(), std::move(answer).value(), std::move(headers));
}

// RFC 3339 time the models were listed from (the process start; no upstream dates yet).
std::string StartTimeRfc3339() {
  static const std::string started = [] {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::array<char, 32> buf{};
    std::size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf.data(), n);
  }();
  return started;
}

}  // namespace

Awaitable<void> HandleAnthropicMessages(const Snapshot& snapshot, HttpRequest& request,
                                        ResponseWriter& writer, const Caller* caller) {
  co_await ParseAndForward(snapshot, request, writer, Dialect::kAnthropic, {}, false, caller);
}

Awaitable<void> HandleAnthropicCountTokens(const Snapshot& snapshot, HttpRequest& request,
                                           ResponseWriter& writer, const Caller* caller) {
  // count_tokens bodies have no max_tokens, which the Messages parser requires.
  std::string body = request.body;
  std::string parse_body = body;
  if (!FindTopLevelMember(parse_body, "max_tokens")) {
    if (FindTopLevelMember(parse_body, "model") || parse_body.starts_with('{')) {
      parse_body = AppendMember(parse_body, "max_tokens", "1");
    }
  }
  auto parsed = canon::CodecFor(Dialect::kAnthropic).parse_request(parse_body);
  if (!parsed) {
    co_await SendDialectError(writer, Dialect::kAnthropic, request, parsed.error());
    co_return;
  }
  co_await CountTokens(snapshot, request, writer, Dialect::kAnthropic, *parsed, std::move(body),
                       caller);
}

Awaitable<void> HandleResponses(const Snapshot& snapshot, HttpRequest& request,
                                ResponseWriter& writer, const Caller* caller) {
  co_await ParseAndForward(snapshot, request, writer, Dialect::kOpenAiResponses, {}, false, caller);
}

Awaitable<void> HandleGemini(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                             std::string_view rest, const Caller* caller) {
  auto colon = rest.rfind(':');
  std::string model =
      colon == std::string_view::npos ? std::string() : PercentDecode(rest.substr(0, colon));
  std::string_view method = colon == std::string_view::npos ? rest : rest.substr(colon + 1);
  if (model.empty() || (method != "generateContent" && method != "streamGenerateContent" &&
                        method != "countTokens")) {
    co_await SendDialectError(
        writer, Dialect::kGemini, request,
        Error(ErrorKind::kNotFound,
              "Unknown request URL: POST " + std::string(request.path) +
                  " (expected /v1beta/models/{model}:generateContent, :streamGenerateContent "
                  "or :countTokens)",
              "unknown_url"));
    co_return;
  }
  if (method == "countTokens") {
    // {"contents": [...]} or {"generateContentRequest": {...}}: both count the same contents.
    std::string parse_body = request.body;
    if (auto span = FindTopLevelMember(parse_body, "generateContentRequest")) {
      parse_body = parse_body.substr(span->value_begin, span->value_end - span->value_begin);
    }
    auto parsed = canon::CodecFor(Dialect::kGemini).parse_request(parse_body);
    if (!parsed) {
      co_await SendDialectError(writer, Dialect::kGemini, request, parsed.error());
      co_return;
    }
    parsed->model = model;
    co_await CountTokens(snapshot, request, writer, Dialect::kGemini, *parsed, request.body,
                         caller);
    co_return;
  }
  // streamGenerateContent is served as SSE (Baton always answers ?alt=sse's form).
  co_await ParseAndForward(snapshot, request, writer, Dialect::kGemini, std::move(model),
                           method == "streamGenerateContent", caller);
}

std::string AnthropicModelsJson(const std::vector<std::string>& ids) {
  std::string out = R"({"data":[)";
  bool first = true;
  for (const auto& id : ids) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += R"({"type":"model","id":)";
    AppendJsonString(out, id);
    out += R"(,"display_name":)";
    AppendJsonString(out, id);
    out += R"(,"created_at":)";
    AppendJsonString(out, StartTimeRfc3339());
    out += '}';
  }
  out += R"(],"has_more":false,"first_id":)";
  if (ids.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, ids.front());
  }
  out += R"(,"last_id":)";
  if (ids.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, ids.back());
  }
  out += '}';
  return out;
}

std::string GeminiModelsJson(const std::vector<std::string>& ids) {
  std::string out = R"({"models":[)";
  bool first = true;
  for (const auto& id : ids) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += R"({"name":)";
    AppendJsonString(out, "models/" + id);
    out += R"(,"displayName":)";
    AppendJsonString(out, id);
    out += R"(,"supportedGenerationMethods":["generateContent","streamGenerateContent",)"
           R"("countTokens"]})";
  }
  out += "]}";
  return out;
}

}  // namespace baton
