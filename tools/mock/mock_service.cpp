#include "mock/mock_service.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mock/sigv4.hpp"
#include "server/server.hpp"

namespace baton::mock {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kSleepSliceMs = 250;        // how often long waits look for a drain / gone client
constexpr int kHangMs = 6 * 3600 * 1000;  // "forever" for --hang and mock-hang

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.ends_with(suffix);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) {
    return s;
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
    --end;
  }
  return s.substr(0, end);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("baton-mock: cannot read fixture " + path.string());
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

// Adds `extra` to `h`, replacing headers of the same name.
void MergeHeaders(HttpHeaders& h, const HttpHeaders& extra) {
  for (const HttpHeader& x : extra) {
    auto same = [&x](const HttpHeader& y) { return EqualsIgnoreCase(y.name, x.name); };
    h.erase(std::remove_if(h.begin(), h.end(), same), h.end());
    h.push_back(x);
  }
}

// The fault that the command-line flags describe.
Fault FaultFromOptions(const MockOptions& o) {
  Fault f;
  f.status = o.fail_status;
  f.fail_rate = o.fail_rate;
  f.retry_after_s = o.retry_after_s;
  f.retry_after_ms = o.retry_after_ms;
  f.reset = o.reset;
  f.hang = o.hang;
  f.drop_after_chunks = o.drop_after_chunks;
  f.latency_ms = o.latency_ms;
  f.chunk_delay_ms = o.chunk_delay_ms;
  return f;
}

// Closes the connection with a TCP reset when the writer can (a server with a Reset() on its
// ResponseWriter: SO_LINGER {1,0} then close), else with Abort(), which closes it with a FIN.
// A template so that the check compiles against either version of the server.
template <typename Writer>
void ResetOrAbort(Writer& writer) {
  if constexpr (requires { writer.Reset(); }) {
    writer.Reset();
  } else {
    writer.Abort();
  }
}

std::string_view BearerToken(std::string_view authorization) {
  if (authorization.size() >= 7 && EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    std::string_view token = authorization.substr(7);
    while (!token.empty() && token.front() == ' ') {
      token.remove_prefix(1);
    }
    return token;
  }
  return {};
}

}  // namespace

// ---- RequestLog ----

void RequestLog::Record(const HttpRequest& request) {
  // Build the entry before taking the lock; the lock only moves it in.
  Entry e;
  e.method = request.method;
  e.path = std::string(request.path);
  e.query = std::string(request.query);
  e.headers.reserve(request.headers.size());
  for (const HttpHeader& h : request.headers) {
    std::string name = Lower(h.name);
    auto it = std::find_if(e.headers.begin(), e.headers.end(),
                           [&name](const auto& kv) { return kv.first == name; });
    if (it != e.headers.end()) {
      it->second += ", ";
      it->second += h.value;
    } else {
      e.headers.emplace_back(std::move(name), h.value);
    }
  }
  std::string_view body = Utf8Prefix(request.body, kMaxBodyBytes);
  e.truncated = body.size() < request.body.size();
  e.body = std::string(body);

  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) {
    entries_.pop_front();
  }
  entries_.push_back(std::move(e));
}

void RequestLog::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

std::string RequestLog::Json() const {
  std::deque<Entry> copy;
  {
    std::lock_guard lock(mu_);
    copy = entries_;
  }
  std::string out = "{\"requests\":[";
  for (std::size_t i = 0; i < copy.size(); ++i) {
    const Entry& e = copy[i];
    if (i > 0) {
      out += ',';
    }
    out += "{\"method\":";
    AppendJsonString(out, e.method);
    out += ",\"path\":";
    AppendJsonString(out, e.path);
    out += ",\"query\":";
    AppendJsonString(out, e.query);
    out += ",\"headers\":{";
    for (std::size_t j = 0; j < e.headers.size(); ++j) {
      if (j > 0) {
        out += ',';
      }
      AppendJsonString(out, e.headers[j].first);
      out += ':';
      AppendJsonString(out, e.headers[j].second);
    }
    out += "},\"body\":";
    AppendJsonString(out, e.body);
    out += ",\"body_truncated\":";
    out += e.truncated ? "true" : "false";
    out += '}';
  }
  out += "]}";
  return out;
}

namespace {

// The value of `name` in a query string (percent-decoded), if present.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(kv.substr(eq + 1));
    }
  }
  return std::nullopt;
}

// Splits NDJSON bytes into one event per line (bytes kept exactly).
SseStream SplitLines(std::string bytes) {
  SseStream s;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::size_t end = nl == std::string::npos ? bytes.size() : nl + 1;
    s.events.push_back({end, true});
    pos = end;
  }
  s.bytes = std::move(bytes);
  return s;
}

std::string_view StreamContentType(Dialect dialect, bool sse) {
  switch (dialect) {
    case Dialect::kOllama:
      return "application/x-ndjson";
    case Dialect::kBedrock:
      return "application/vnd.amazon.eventstream";
    case Dialect::kGemini:
      return sse ? "text/event-stream" : "application/json; charset=UTF-8";
    default:
      return "text/event-stream";
  }
}

std::string_view JsonContentType(Dialect dialect) {
  switch (dialect) {
    case Dialect::kGemini:
      return "application/json; charset=UTF-8";
    case Dialect::kOllama:
      return "application/json; charset=utf-8";
    default:
      return "application/json";
  }
}

// Prepends Azure's prompt-filter chunk to a chat stream.
SseStream WithAzurePromptFilter(const SseStream& stream) {
  SseStream out;
  out.bytes = AzurePromptFilterEvent();
  const std::size_t shift = out.bytes.size();
  out.events.push_back({shift, false});
  out.bytes += stream.bytes;
  for (const SseStream::Event& e : stream.events) {
    out.events.push_back({e.end + shift, e.content});
  }
  return out;
}

// Checks made before any endpoint: Azure's api-version query, Anthropic's version header.
std::optional<DialectError> PreflightErrorFor(const HttpRequest& request, Dialect dialect,
                                              bool known_route) {
  if (dialect == Dialect::kAzure && known_route &&
      QueryParam(request.query, "api-version").value_or("").empty()) {
    return DialectError{400,
                        "The api-version query parameter (?api-version=) is required for all "
                        "requests.",
                        "MissingApiVersionParameter"};
  }
  if (dialect == Dialect::kAnthropic && request.method == "POST" &&
      request.Header("anthropic-version").empty()) {
    return DialectError{400, "anthropic-version: header is required", {}};
  }
  return std::nullopt;
}

}  // namespace

// ---- MockService ----

std::optional<DialectError> MockService::PreflightError(const HttpRequest& request,
                                                        const Route& route) {
  return PreflightErrorFor(request, route.dialect, route.op != Route::Op::kNotFound);
}

std::optional<DialectError> MockService::NotFoundError(Dialect dialect, std::string_view path) {
  switch (dialect) {
    case Dialect::kAnthropic:
      return DialectError{404, "Not Found", "not_found_error"};
    case Dialect::kGemini:
      return DialectError{404, "Method not found for " + std::string(path) + ".", "NOT_FOUND"};
    case Dialect::kOllama:
      return DialectError{404, "404 page not found", {}};
    case Dialect::kBedrock:
      return DialectError{404, "The requested operation is not recognized by the service.",
                          "UnknownOperationException"};
    default:
      return std::nullopt;  // OpenAI's "Invalid URL"
  }
}

MockService::MockService(MockOptions options)
    : options_(std::move(options)), fault_(FaultFromOptions(options_)) {
  if (options_.fixtures_dir.empty()) {
    return;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(options_.fixtures_dir, ec);
  if (ec) {
    throw std::runtime_error("baton-mock: cannot read fixtures directory " + options_.fixtures_dir +
                             ": " + ec.message());
  }
  for (const fs::directory_entry& entry : it) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const fs::path& path = entry.path();
    std::string ext = path.extension().string();
    std::string model = path.stem().string();
    if (ext == ".sse") {
      fixtures_[model].sse = std::make_shared<const SseStream>(SplitSse(ReadFile(path)));
    } else if (ext == ".ndjson") {
      fixtures_[model].ndjson = std::make_shared<const SseStream>(SplitLines(ReadFile(path)));
    } else if (ext == ".json") {
      fixtures_[model].json = std::make_shared<const std::string>(ReadFile(path));
    }
  }
}

std::pair<std::string, std::string> MockService::RenderError(int status, std::string_view message) {
  ApiError e = ErrorForStatus(status);
  e.message = std::string(message);
  return {"application/json", ErrorBody(e)};
}

bool MockService::draining() const {
  const Server* s = server_.load();
  return s != nullptr && s->draining();
}

void MockService::Reset() {
  log_.Clear();
  seq_ = 0;
  fail_seq_ = 0;
  requests_ = 0;
  streams_started_ = 0;
  streams_completed_ = 0;
  streams_aborted_by_client_ = 0;
  streams_dropped_ = 0;
  connections_reset_ = 0;
}

void MockService::ResetConnection(ResponseWriter& writer) {
  ResetOrAbort(writer);
  connections_reset_.fetch_add(1, std::memory_order_relaxed);
  streams_dropped_.fetch_add(1, std::memory_order_relaxed);
}

const MockService::Fixture* MockService::FindFixture(std::string_view model) const {
  if (fixtures_.empty()) {
    return nullptr;
  }
  auto it = fixtures_.find(std::string(model));
  return it == fixtures_.end() ? nullptr : &it->second;
}

HttpHeaders MockService::Headers(const Call& call, std::string_view content_type) const {
  auto ms = std::chrono::duration_cast<milliseconds>(steady_clock::now() - call.start).count();
  HttpHeaders h;
  h.reserve(12);
  h.push_back({"content-type", std::string(content_type)});
  // Our own id replaces the server's (the server keeps a handler's x-request-id).
  h.push_back({"x-request-id", "req_mock" + std::to_string(call.seq)});
  h.push_back({"openai-processing-ms", std::to_string(ms)});
  h.push_back({"openai-version", "2020-10-01"});
  h.push_back({"openai-organization", "org-mock"});
  h.push_back({"x-ratelimit-limit-requests", "10000"});
  h.push_back({"x-ratelimit-remaining-requests", "9999"});
  h.push_back({"x-ratelimit-limit-tokens", "30000000"});
  h.push_back({"x-ratelimit-remaining-tokens", "29999000"});
  h.push_back({"x-ratelimit-reset-requests", "6ms"});
  h.push_back({"x-ratelimit-reset-tokens", "2ms"});
  return h;
}

HttpHeaders MockService::HeadersFor(Dialect dialect, const Call& call,
                                    std::string_view content_type) const {
  HttpHeaders h;
  switch (dialect) {
    case Dialect::kOpenAi:
    case Dialect::kAzure:
    case Dialect::kResponses:
      return Headers(call, content_type);
    case Dialect::kAnthropic:
      h.push_back({"content-type", std::string(content_type)});
      h.push_back({"request-id", "req_mock" + std::to_string(call.seq)});
      h.push_back({"x-request-id", "req_mock" + std::to_string(call.seq)});
      h.push_back({"anthropic-organization-id", "00000000-0000-4000-8000-000000000000"});
      h.push_back({"anthropic-ratelimit-requests-limit", "4000"});
      h.push_back({"anthropic-ratelimit-requests-remaining", "3999"});
      h.push_back({"anthropic-ratelimit-requests-reset", "2030-01-01T00:00:00Z"});
      h.push_back({"anthropic-ratelimit-tokens-limit", "2000000"});
      h.push_back({"anthropic-ratelimit-tokens-remaining", "1999000"});
      h.push_back({"anthropic-ratelimit-tokens-reset", "2030-01-01T00:00:00Z"});
      return h;
    case Dialect::kBedrock:
      h.push_back({"content-type", std::string(content_type)});
      h.push_back({"x-amzn-RequestId", "mock-" + std::to_string(call.seq)});
      return h;
    case Dialect::kGemini:
    case Dialect::kOllama:
      break;
  }
  h.push_back({"content-type", std::string(content_type)});
  return h;
}

Awaitable<bool> MockService::Sleep(int ms) {
  if (ms <= 0) {
    co_return true;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto deadline = steady_clock::now() + milliseconds(ms);
  while (true) {
    if (draining()) {
      co_return false;
    }
    // Rounded up: a truncated remainder would end the wait up to 1 ms early.
    auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) {
      co_return true;
    }
    timer.expires_after(std::min(left, milliseconds(kSleepSliceMs)));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return false;  // cancelled: the server is stopping
    }
  }
}

Awaitable<void> MockService::Hang(ResponseWriter& writer) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto deadline = steady_clock::now() + milliseconds(kHangMs);
  while (!writer.client_gone() && !draining() && steady_clock::now() < deadline) {
    timer.expires_after(milliseconds(kSleepSliceMs));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      break;
    }
  }
  writer.Abort();
}

Awaitable<void> MockService::SendJson(ResponseWriter& writer, const Call& call, std::string body) {
  co_await writer.Send(200, Headers(call, "application/json"), std::move(body));
}

Awaitable<void> MockService::SendBody(ResponseWriter& writer, const Call& call, Dialect dialect,
                                      std::string_view content_type, std::string body) {
  co_await writer.Send(200, HeadersFor(dialect, call, content_type), std::move(body));
}

Awaitable<void> MockService::SendError(ResponseWriter& writer, const Call& call,
                                       const ApiError& error, const HttpHeaders& extra) {
  HttpHeaders h = Headers(call, "application/json");
  if (error.status == 429) {
    h.push_back({"retry-after", "1"});
  }
  MergeHeaders(h, extra);
  co_await writer.Send(error.status, std::move(h), ErrorBody(error));
}

Awaitable<void> MockService::SendDialectError(ResponseWriter& writer, const Call& call,
                                              Dialect dialect, const DialectError& error,
                                              const HttpHeaders& extra) {
  ErrorAnswer a = RenderDialectError(dialect, error, call.seq);
  HttpHeaders h = HeadersFor(dialect, call, a.content_type);
  MergeHeaders(h, a.headers);
  MergeHeaders(h, extra);
  co_await writer.Send(a.status, std::move(h), std::move(a.body));
}

MockService::Route MockService::Classify(const HttpRequest& request) {
  using Op = Route::Op;
  Route r;
  std::string_view path = request.path;
  const bool post = request.method == "POST";
  const bool get = request.method == "GET";

  // Anthropic
  if (post && path == "/v1/messages") {
    r.dialect = Dialect::kAnthropic;
    r.op = Op::kGenerate;
    return r;
  }
  if (post && path == "/v1/messages/count_tokens") {
    r.dialect = Dialect::kAnthropic;
    r.op = Op::kCountTokens;
    return r;
  }
  if (get && !request.Header("anthropic-version").empty() &&
      (path == "/v1/models" || path.starts_with("/v1/models/"))) {
    r.dialect = Dialect::kAnthropic;
    r.op = path == "/v1/models" ? Op::kModels : Op::kModel;
    r.model = std::string(path.substr(std::min(path.size(), std::size_t{11})));
    return r;
  }
  // Gemini: /v1beta/models[/{model}[:method]] (also /v1/models/{model}:method)
  std::string_view rest;  // "" or "/{model}[:method]"
  bool gemini = false;
  if (path == "/v1beta/models" || path.starts_with("/v1beta/models/")) {
    rest = path.substr(14);
    gemini = true;
  } else if (path.starts_with("/v1/models/") && path.find(':') != std::string_view::npos) {
    rest = path.substr(10);
    gemini = true;
  }
  if (gemini) {
    r.dialect = Dialect::kGemini;
    std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      if (get) {
        r.op = rest.size() > 1 ? Op::kModel : Op::kModels;
        r.model = rest.size() > 1 ? PercentDecode(rest.substr(1)) : std::string();
      }
      return r;
    }
    if (!post || rest.size() < 2) {
      return r;
    }
    r.model = PercentDecode(rest.substr(1, colon - 1));
    std::string_view method = rest.substr(colon + 1);
    if (method == "generateContent") {
      r.op = Op::kGenerate;
    } else if (method == "streamGenerateContent") {
      r.op = Op::kGenerate;
      r.stream = true;
      r.sse = QueryParam(request.query, "alt") == std::optional<std::string>("sse");
    } else if (method == "countTokens") {
      r.op = Op::kCountTokens;
    }
    return r;
  }
  // Ollama native
  if (path.starts_with("/api/")) {
    r.dialect = Dialect::kOllama;
    if (post && path == "/api/chat") {
      r.op = Op::kGenerate;
    } else if (get && path == "/api/tags") {
      r.op = Op::kTags;
    } else if (get && path == "/api/version") {
      r.op = Op::kVersion;
    }
    return r;
  }
  // Azure: /openai/deployments/{deployment}/...
  if (path.starts_with("/openai/deployments/")) {
    r.dialect = Dialect::kAzure;
    std::string_view rest = path.substr(20);
    std::size_t slash = rest.find('/');
    r.model = PercentDecode(rest.substr(0, slash));
    std::string_view op = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (post && op == "/chat/completions") {
      r.op = Op::kChat;
    } else if (post && op == "/embeddings") {
      r.op = Op::kEmbeddings;
    }
    return r;
  }
  // Bedrock: /model/{modelId}/converse[-stream]
  if (path.starts_with("/model/")) {
    r.dialect = Dialect::kBedrock;
    std::string_view rest = path.substr(7);
    std::size_t slash = rest.rfind('/');
    if (post && slash != std::string_view::npos) {
      r.model = PercentDecode(rest.substr(0, slash));
      std::string_view op = rest.substr(slash + 1);
      if (op == "converse") {
        r.op = Op::kGenerate;
      } else if (op == "converse-stream") {
        r.op = Op::kGenerate;
        r.stream = true;
      }
    }
    return r;
  }
  // OpenAI Responses
  if (post && (path == "/v1/responses" || path == "/responses")) {
    r.dialect = Dialect::kResponses;
    r.op = Op::kGenerate;
    return r;
  }
  // OpenAI (and OpenAI-compatible: Ollama /v1, ...)
  r.dialect = Dialect::kOpenAi;
  if (post && EndsWith(path, "/chat/completions")) {
    r.op = Op::kChat;
  } else if (post && EndsWith(path, "/embeddings")) {
    r.op = Op::kEmbeddings;
  } else if (get && EndsWith(path, "/models")) {
    r.op = Op::kModels;
  } else if (get && path.find("/models/") != std::string_view::npos &&
             path.substr(path.rfind("/models/") + 8).size() > 0) {
    r.op = Op::kModel;
    r.model = std::string(path.substr(path.rfind("/models/") + 8));
  }
  return r;
}

std::optional<DialectError> MockService::CheckAuth(const HttpRequest& request,
                                                   const Route& route) const {
  const std::string& want = options_.require_key;
  std::string_view bearer = BearerToken(request.Header("authorization"));
  switch (route.dialect) {
    case Dialect::kOpenAi:
    case Dialect::kResponses: {
      if (want.empty()) {
        return std::nullopt;
      }
      std::string_view key = bearer.empty() ? request.Header("api-key") : bearer;
      if (key == want) {
        return std::nullopt;
      }
      ApiError e = InvalidKeyError(key);
      return DialectError{e.status, e.message, {}};
    }
    case Dialect::kAzure: {
      if (want.empty()) {
        return std::nullopt;
      }
      std::string_view key = request.Header("api-key");
      if (key == want || bearer == want) {
        return std::nullopt;
      }
      return DialectError{401,
                          "Access denied due to invalid subscription key or wrong API endpoint. "
                          "Make sure to provide a valid key for an active subscription and use a "
                          "correct regional API endpoint for your resource.",
                          "401"};
    }
    case Dialect::kAnthropic: {
      if (want.empty()) {
        return std::nullopt;
      }
      std::string_view key = request.Header("x-api-key");
      if (key == want || bearer == want) {
        return std::nullopt;
      }
      if (key.empty() && bearer.empty()) {
        return DialectError{401, "x-api-key header is required", "authentication_error"};
      }
      return DialectError{401, "invalid x-api-key", "authentication_error"};
    }
    case Dialect::kGemini: {
      if (want.empty()) {
        return std::nullopt;
      }
      std::string key(request.Header("x-goog-api-key"));
      if (key.empty()) {
        key = QueryParam(request.query, "key").value_or("");
      }
      if (key == want) {
        return std::nullopt;
      }
      if (key.empty()) {
        return DialectError{403,
                            "Method doesn't allow unregistered callers (callers without "
                            "established identity). Please use API Key or other form of API "
                            "consumer identity to call this API.",
                            "PERMISSION_DENIED"};
      }
      return DialectError{400, "API key not valid. Please pass a valid API key.",
                          "INVALID_ARGUMENT"};
    }
    case Dialect::kOllama:
      if (want.empty() || bearer == want) {
        return std::nullopt;
      }
      return DialectError{401, "unauthorized", {}};
    case Dialect::kBedrock: {
      if (!bearer.empty()) {  // Bedrock API keys
        if (want.empty() || bearer == want) {
          return std::nullopt;
        }
        return DialectError{403, "The security token included in the request is invalid.",
                            "UnrecognizedClientException"};
      }
      std::string_view authorization = request.Header("authorization");
      if (authorization.empty()) {
        return DialectError{403, "Missing Authentication Token",
                            "MissingAuthenticationTokenException"};
      }
      std::optional<SigV4Authorization> auth = ParseSigV4Authorization(authorization);
      if (!auth) {
        return DialectError{
            400,
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
            "IncompleteSignatureException"};
      }
      std::string_view amz_date = request.Header("x-amz-date");
      if (amz_date.empty()) {
        return DialectError{400,
                            "Authorization header requires existence of either a 'X-Amz-Date' or "
                            "a 'Date' header.",
                            "IncompleteSignatureException"};
      }
      if (!want.empty() && auth->access_key != want) {
        return DialectError{403, "The security token included in the request is invalid.",
                            "UnrecognizedClientException"};
      }
      if (!options_.aws_secret.empty()) {
        SigV4Request sr{request.method, request.path, request.query, &request.headers,
                        request.body};
        if (!amz_date.starts_with(auth->date) ||
            SigV4Signature(sr, *auth, amz_date, options_.aws_secret) != auth->signature) {
          return DialectError{403,
                              "The request signature we calculated does not match the signature "
                              "you provided. Check your AWS Secret Access Key and signing "
                              "method. Consult the service documentation for details.",
                              "InvalidSignatureException"};
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Awaitable<void> MockService::Handle(HttpRequest& request, ResponseWriter& writer) {
  using Op = Route::Op;
  std::string_view path = request.path;
  if (path.starts_with("/mock/")) {
    co_await HandleControl(request, writer);
    co_return;
  }
  Call call;
  call.start = steady_clock::now();
  call.seq = seq_.fetch_add(1, std::memory_order_relaxed) + 1;
  requests_.fetch_add(1, std::memory_order_relaxed);
  log_.Record(request);

  const Route route = Classify(request);
  if (route.op != Op::kNotFound) {
    if (std::optional<DialectError> denied = CheckAuth(request, route)) {
      if (route.dialect == Dialect::kOpenAi || route.dialect == Dialect::kResponses) {
        std::string_view bearer = BearerToken(request.Header("authorization"));
        const ApiError invalid =
            InvalidKeyError(bearer.empty() ? request.Header("api-key") : bearer);
        co_await SendError(writer, call, invalid);
      } else {
        co_await SendDialectError(writer, call, route.dialect, *denied);
      }
      co_return;
    }
  } else if (!options_.require_key.empty() && route.dialect == Dialect::kOpenAi) {
    // Unknown paths keep answering 401 first when a key is required, as before.
    std::string_view key = BearerToken(request.Header("authorization"));
    if (key.empty()) {
      key = request.Header("api-key");
    }
    if (key != options_.require_key) {
      const ApiError invalid = InvalidKeyError(key);
      co_await SendError(writer, call, invalid);
      co_return;
    }
  }

  // Taken after the auth check, so that a refused request does not use up a counted fault.
  // Latency and hang concern every endpoint (a counted fault reaches only generation requests).
  call.fault = fault_.Take(route.op == Op::kChat || route.op == Op::kEmbeddings ||
                           route.op == Op::kGenerate);
  if (call.fault.hang) {
    co_await Hang(writer);
    co_return;
  }
  co_await Sleep(call.fault.latency_ms);

  // g++ 12 mishandles temporaries inside co_await expressions: errors are named locals.
  if (const std::optional<DialectError> pre = PreflightError(request, route)) {
    co_await SendDialectError(writer, call, route.dialect, *pre);
    co_return;
  }

  switch (route.op) {
    case Op::kChat:
      co_await HandleChat(request, writer, call, route);
      co_return;
    case Op::kEmbeddings:
      co_await HandleEmbeddings(request, writer, call, route);
      co_return;
    case Op::kGenerate:
      co_await HandleGenerate(request, writer, call, route);
      co_return;
    case Op::kCountTokens:
      co_await HandleCountTokens(request, writer, call, route);
      co_return;
    case Op::kModels:
      if (route.dialect == Dialect::kAnthropic) {
        co_await SendBody(writer, call, route.dialect, "application/json", AnthropicModelsBody());
      } else if (route.dialect == Dialect::kGemini) {
        co_await SendBody(writer, call, route.dialect, JsonContentType(route.dialect),
                          GeminiModelsBody());
      } else {
        co_await SendJson(writer, call, ModelsBody());
      }
      co_return;
    case Op::kModel:
      if (route.dialect == Dialect::kAnthropic) {
        co_await SendBody(writer, call, route.dialect, "application/json",
                          AnthropicModelBody(route.model));
      } else if (route.dialect == Dialect::kGemini) {
        co_await SendBody(writer, call, route.dialect, JsonContentType(route.dialect),
                          GooglePretty(GeminiModelBody(route.model)));
      } else {
        co_await SendJson(writer, call, ModelBody(route.model));
      }
      co_return;
    case Op::kTags:
      co_await SendBody(writer, call, route.dialect, JsonContentType(route.dialect),
                        OllamaTagsBody());
      co_return;
    case Op::kVersion:
      co_await SendBody(writer, call, route.dialect, JsonContentType(route.dialect),
                        "{\"version\":\"0.12.6\"}");
      co_return;
    case Op::kNotFound:
      break;
  }
  if (const std::optional<DialectError> nf = NotFoundError(route.dialect, path)) {
    co_await SendDialectError(writer, call, route.dialect, *nf);
    co_return;
  }
  ApiError e;
  e.status = 404;
  e.message = "Invalid URL (" + request.method + " " + std::string(path) + ")";
  co_await SendError(writer, call, e);
}

Awaitable<void> MockService::HandleControl(HttpRequest& request, ResponseWriter& writer) {
  std::string_view path = request.path;
  HttpHeaders h;
  h.push_back({"content-type", "application/json"});
  if (path == "/mock/requests" && request.method == "GET") {
    co_await writer.Send(200, std::move(h), log_.Json());
  } else if (path == "/mock/reset" && request.method == "POST") {
    Reset();
    co_await writer.Send(200, std::move(h), "{\"ok\":true}");
  } else if (path == "/mock/stats" && request.method == "GET") {
    std::string b =
        "{\"requests\":" + std::to_string(requests_.load()) +
        ",\"streams_started\":" + std::to_string(streams_started_.load()) +
        ",\"streams_completed\":" + std::to_string(streams_completed_.load()) +
        ",\"streams_aborted_by_client\":" + std::to_string(streams_aborted_by_client_.load()) +
        ",\"streams_dropped\":" + std::to_string(streams_dropped_.load()) +
        ",\"connections_reset\":" + std::to_string(connections_reset_.load()) + "}";
    co_await writer.Send(200, std::move(h), std::move(b));
  } else if (path == "/mock/fault" && request.method == "GET") {
    co_await writer.Send(200, std::move(h), FaultJson(fault_.Get()));
  } else if (path == "/mock/fault" && (request.method == "POST" || request.method == "DELETE")) {
    Fault fault;
    std::string error;
    if (request.method == "POST" && !ParseFault(request.body, &fault, &error)) {
      ApiError e = ErrorForStatus(400);
      e.message = "POST /mock/fault: " + error;
      co_await writer.Send(400, std::move(h), ErrorBody(e));
      co_return;
    }
    fault_.Set(fault);
    fail_seq_ = 0;  // the --fail-rate count starts again with the new fault
    co_await writer.Send(200, std::move(h), FaultJson(fault_.Get()));
  } else {
    ApiError e;
    e.status = 404;
    e.message = "Invalid URL (" + request.method + " " + std::string(path) + ")";
    co_await writer.Send(404, std::move(h), ErrorBody(e));
  }
}

Awaitable<bool> MockService::ApplyFaults(ResponseWriter& writer, const Call& call,
                                         const ModelHook& hook, Dialect dialect,
                                         std::string_view model) {
  if (hook.kind == ModelHook::Kind::kHang) {
    co_await Hang(writer);
    co_return true;
  }
  int status = 0;
  HttpHeaders extra;
  if (hook.kind == ModelHook::Kind::kFail) {
    status = hook.value;
  } else if (call.fault.reset) {
    ResetConnection(writer);
    co_return true;
  } else if (call.fault.status != 0) {
    uint64_t n = fail_seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (ShouldFail(n, call.fault.fail_rate)) {
      status = call.fault.status;
      if (call.fault.retry_after_s >= 0) {
        extra.push_back({"retry-after", std::to_string(call.fault.retry_after_s)});
      }
      if (call.fault.retry_after_ms >= 0) {
        extra.push_back({"retry-after-ms", std::to_string(call.fault.retry_after_ms)});
      }
    }
  }
  if (status == 0) {
    co_return false;
  }
  if (dialect == Dialect::kOpenAi || dialect == Dialect::kAzure) {
    const ApiError e = ErrorForStatus(status);
    co_await SendError(writer, call, e, extra);
  } else {
    const DialectError e = InjectedError(dialect, status, model);
    co_await SendDialectError(writer, call, dialect, e, extra);
  }
  co_return true;
}

Awaitable<void> MockService::HandleChat(HttpRequest& request, ResponseWriter& writer,
                                        const Call& call, const Route& route) {
  const bool azure = route.dialect == Dialect::kAzure;
  ChatRequest chat;
  if (std::optional<ApiError> error =
          ParseChatRequest(request.body, &chat, azure ? std::string_view(route.model) : "")) {
    co_await SendError(writer, call, *error);
    co_return;
  }
  const ModelHook hook = ParseModelHook(chat.model);
  if (co_await ApplyFaults(writer, call, hook, route.dialect, chat.model)) {
    co_return;
  }
  const int drop_after =
      hook.kind == ModelHook::Kind::kDrop ? hook.value : call.fault.drop_after_chunks;
  const int delay_ms = hook.kind == ModelHook::Kind::kSlow ? hook.value : call.fault.chunk_delay_ms;
  const bool error_mid = hook.kind == ModelHook::Kind::kErrorMid;
  const int tool_calls = hook.kind == ModelHook::Kind::kTool ? hook.value : 1;
  const Fixture* fixture = FindFixture(chat.model);

  if (!chat.stream) {
    if (drop_after >= 0) {
      writer.Abort();
      streams_dropped_.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    if (hook.kind == ModelHook::Kind::kSlow) {
      co_await Sleep(delay_ms);
    }
    if (error_mid) {
      const ApiError e = ErrorForStatus(500);
      co_await SendError(writer, call, e);
      co_return;
    }
    if (fixture && fixture->json) {
      co_await SendJson(writer, call, *fixture->json);
      co_return;
    }
    ChatReply reply = PlanChatReply(chat, options_.chunks, tool_calls);
    ChatIds ids{call.seq, static_cast<int64_t>(std::time(nullptr))};
    std::string body = ChatCompletionBody(chat, reply, ids);
    if (azure) {
      body = AzureChatBody(std::move(body));
    }
    co_await SendJson(writer, call, std::move(body));
    co_return;
  }

  if (fixture && fixture->sse) {
    std::shared_ptr<const SseStream> stream = fixture->sse;  // keeps it alive across waits
    co_await WriteStream(writer, Headers(call, "text/event-stream"), *stream, delay_ms, drop_after);
    co_return;
  }
  ChatReply reply = PlanChatReply(chat, options_.chunks, tool_calls);
  ChatIds ids{call.seq, static_cast<int64_t>(std::time(nullptr))};
  SseStream stream = ChatCompletionStream(chat, reply, ids);
  if (azure) {
    stream = WithAzurePromptFilter(stream);
  }
  if (error_mid) {
    stream = CutWithMidStreamError(route.dialect, stream);
  }
  co_await WriteStream(writer, Headers(call, "text/event-stream"), stream, delay_ms, drop_after);
}

Awaitable<void> MockService::HandleGenerate(HttpRequest& request, ResponseWriter& writer,
                                            const Call& call, const Route& route) {
  const Dialect dialect = route.dialect;
  GenRequest gen;
  gen.stream = route.stream;
  gen.sse = route.sse;
  std::optional<DialectError> error;
  switch (dialect) {
    case Dialect::kAnthropic:
      error = ParseAnthropicRequest(request.body, false, &gen);
      break;
    case Dialect::kGemini:
      error = ParseGeminiRequest(request.body, route.model, &gen);
      break;
    case Dialect::kOllama:
      error = ParseOllamaRequest(request.body, &gen);
      break;
    case Dialect::kBedrock:
      error = ParseBedrockRequest(request.body, route.model, &gen);
      break;
    case Dialect::kResponses:
      error = ParseResponsesRequest(request.body, &gen);
      break;
    default:
      error = DialectError{404, "not found", {}};
  }
  gen.stream = gen.stream || route.stream;
  if (error) {
    co_await SendDialectError(writer, call, dialect, *error);
    co_return;
  }
  const ModelHook hook = ParseModelHook(gen.model);
  if (co_await ApplyFaults(writer, call, hook, dialect, gen.model)) {
    co_return;
  }
  const int drop_after =
      hook.kind == ModelHook::Kind::kDrop ? hook.value : call.fault.drop_after_chunks;
  const int delay_ms = hook.kind == ModelHook::Kind::kSlow ? hook.value : call.fault.chunk_delay_ms;
  const Fixture* fixture = FindFixture(gen.model);
  const GenReply reply = PlanGenReply(gen, hook, options_.chunks);
  const GenIds ids{call.seq, static_cast<int64_t>(std::time(nullptr))};

  if (!gen.stream) {
    if (drop_after >= 0) {
      writer.Abort();
      streams_dropped_.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    if (hook.kind == ModelHook::Kind::kSlow) {
      co_await Sleep(delay_ms);
    }
    if (reply.error_mid) {
      const DialectError e = OverloadedError(dialect);
      co_await SendDialectError(writer, call, dialect, e);
      co_return;
    }
    if (fixture && fixture->json) {
      co_await SendBody(writer, call, dialect, JsonContentType(dialect), *fixture->json);
      co_return;
    }
    std::string body;
    switch (dialect) {
      case Dialect::kAnthropic:
        body = AnthropicMessageBody(gen, reply, ids);
        break;
      case Dialect::kGemini:
        body = GeminiResponseBody(gen, reply, ids);
        break;
      case Dialect::kOllama:
        body = OllamaChatBody(gen, reply, ids);
        break;
      case Dialect::kBedrock:
        body = BedrockConverseBody(gen, reply, ids);
        break;
      default:
        body = ResponsesBody(gen, reply, ids);
    }
    co_await SendBody(writer, call, dialect, JsonContentType(dialect), std::move(body));
    co_return;
  }

  HttpHeaders headers = HeadersFor(dialect, call, StreamContentType(dialect, gen.sse));
  if (fixture) {
    std::shared_ptr<const SseStream> recorded =
        dialect == Dialect::kOllama ? fixture->ndjson : fixture->sse;
    if (recorded && dialect != Dialect::kBedrock) {
      co_await WriteStream(writer, std::move(headers), *recorded, delay_ms, drop_after);
      co_return;
    }
  }
  SseStream stream;
  switch (dialect) {
    case Dialect::kAnthropic:
      stream = AnthropicStream(gen, reply, ids);
      break;
    case Dialect::kGemini:
      stream = GeminiStream(gen, reply, ids);
      break;
    case Dialect::kOllama:
      stream = OllamaStream(gen, reply, ids);
      break;
    case Dialect::kBedrock:
      stream = BedrockStream(gen, reply, ids);
      break;
    default:
      stream = ResponsesStream(gen, reply, ids);
  }
  if (reply.error_mid) {
    stream = CutWithMidStreamError(dialect, stream);
  }
  co_await WriteStream(writer, std::move(headers), stream, delay_ms, drop_after);
}

Awaitable<void> MockService::HandleCountTokens(HttpRequest& request, ResponseWriter& writer,
                                               const Call& call, const Route& route) {
  GenRequest gen;
  std::optional<DialectError> error = route.dialect == Dialect::kAnthropic
                                          ? ParseAnthropicRequest(request.body, true, &gen)
                                          : ParseGeminiRequest(request.body, route.model, &gen);
  if (error) {
    co_await SendDialectError(writer, call, route.dialect, *error);
    co_return;
  }
  std::string body = route.dialect == Dialect::kAnthropic ? AnthropicCountTokensBody(gen)
                                                          : GeminiCountTokensBody(gen);
  co_await SendBody(writer, call, route.dialect, JsonContentType(route.dialect), std::move(body));
}

Awaitable<void> MockService::WriteStream(ResponseWriter& writer, HttpHeaders headers,
                                         const SseStream& stream, int delay_ms, int drop_after) {
  if (!co_await writer.Begin(200, std::move(headers))) {
    streams_aborted_by_client_.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  streams_started_.fetch_add(1, std::memory_order_relaxed);
  const std::size_t limit =
      drop_after >= 0 ? std::min<std::size_t>(drop_after, stream.size()) : stream.size();
  bool ok = true;
  if (delay_ms <= 0 && drop_after < 0) {
    // The whole stream and the end of the response in one write, as a fast upstream sends it.
    if (co_await writer.WriteAndEnd(stream.Prefix(limit))) {
      streams_completed_.fetch_add(1, std::memory_order_relaxed);
    } else {
      streams_aborted_by_client_.fetch_add(1, std::memory_order_relaxed);
    }
    co_return;
  }
  if (delay_ms <= 0) {
    // The part before the drop in one write.
    if (limit > 0) {
      ok = co_await writer.Write(stream.Prefix(limit));
    }
  } else {
    bool delaying = true;  // stops once the server drains, so the stream finishes at once
    for (std::size_t i = 0; i < limit && ok; ++i) {
      if (delaying && stream.events[i].content) {
        delaying = co_await Sleep(delay_ms);
      }
      ok = co_await writer.Write(stream.EventAt(i));
    }
  }
  if (!ok) {
    streams_aborted_by_client_.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  if (drop_after >= 0) {
    writer.Abort();
    streams_dropped_.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  if (co_await writer.End()) {
    streams_completed_.fetch_add(1, std::memory_order_relaxed);
  } else {
    streams_aborted_by_client_.fetch_add(1, std::memory_order_relaxed);
  }
}

Awaitable<void> MockService::HandleEmbeddings(HttpRequest& request, ResponseWriter& writer,
                                              const Call& call, const Route& route) {
  EmbeddingsRequest embeddings;
  const bool azure = route.dialect == Dialect::kAzure;
  if (std::optional<ApiError> error = ParseEmbeddingsRequest(
          request.body, &embeddings, azure ? std::string_view(route.model) : "")) {
    co_await SendError(writer, call, *error);
    co_return;
  }
  const ModelHook hook = ParseModelHook(embeddings.model);
  if (co_await ApplyFaults(writer, call, hook, route.dialect, embeddings.model)) {
    co_return;
  }
  if (hook.kind == ModelHook::Kind::kDrop || call.fault.drop_after_chunks >= 0) {
    writer.Abort();
    streams_dropped_.fetch_add(1, std::memory_order_relaxed);
    co_return;
  }
  if (hook.kind == ModelHook::Kind::kSlow) {
    co_await Sleep(hook.value);
  }
  co_await SendJson(writer, call, EmbeddingsBody(embeddings));
}

}  // namespace baton::mock
