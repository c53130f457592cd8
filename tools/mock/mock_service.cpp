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

// ---- MockService ----

MockService::MockService(MockOptions options) : options_(std::move(options)) {
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
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
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

Awaitable<void> MockService::SendError(ResponseWriter& writer, const Call& call,
                                       const ApiError& error) {
  HttpHeaders h = Headers(call, "application/json");
  if (error.status == 429) {
    h.push_back({"retry-after", "1"});
  }
  co_await writer.Send(error.status, std::move(h), ErrorBody(error));
}

Awaitable<void> MockService::Handle(HttpRequest& request, ResponseWriter& writer) {
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

  if (!options_.require_key.empty()) {
    std::string_view key = BearerToken(request.Header("authorization"));
    if (key.empty()) {
      key = request.Header("api-key");  // Azure style
    }
    if (key != options_.require_key) {
      co_await SendError(writer, call, InvalidKeyError(key));
      co_return;
    }
  }

  if (options_.hang) {
    co_await Hang(writer);
    co_return;
  }
  co_await Sleep(options_.latency_ms);

  const bool post = request.method == "POST";
  const bool get = request.method == "GET";
  if (post && EndsWith(path, "/chat/completions")) {
    co_await HandleChat(request, writer, call);
  } else if (post && EndsWith(path, "/embeddings")) {
    co_await HandleEmbeddings(request, writer, call);
  } else if (get && EndsWith(path, "/models")) {
    co_await SendJson(writer, call, ModelsBody());
  } else if (get && path.find("/models/") != std::string_view::npos &&
             path.substr(path.rfind("/models/") + 8).size() > 0) {
    co_await SendJson(writer, call, ModelBody(path.substr(path.rfind("/models/") + 8)));
  } else {
    ApiError e;
    e.status = 404;
    e.message = "Invalid URL (" + request.method + " " + std::string(path) + ")";
    co_await SendError(writer, call, e);
  }
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
        ",\"streams_dropped\":" + std::to_string(streams_dropped_.load()) + "}";
    co_await writer.Send(200, std::move(h), std::move(b));
  } else {
    ApiError e;
    e.status = 404;
    e.message = "Invalid URL (" + request.method + " " + std::string(path) + ")";
    co_await writer.Send(404, std::move(h), ErrorBody(e));
  }
}

Awaitable<bool> MockService::ApplyFaults(ResponseWriter& writer, const Call& call,
                                         const ModelHook& hook) {
  if (hook.kind == ModelHook::Kind::kHang) {
    co_await Hang(writer);
    co_return true;
  }
  if (hook.kind == ModelHook::Kind::kFail) {
    co_await SendError(writer, call, ErrorForStatus(hook.value));
    co_return true;
  }
  if (options_.fail_status != 0) {
    uint64_t n = fail_seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (ShouldFail(n, options_.fail_rate)) {
      co_await SendError(writer, call, ErrorForStatus(options_.fail_status));
      co_return true;
    }
  }
  co_return false;
}

Awaitable<void> MockService::HandleChat(HttpRequest& request, ResponseWriter& writer,
                                        const Call& call) {
  ChatRequest chat;
  if (std::optional<ApiError> error = ParseChatRequest(request.body, &chat)) {
    co_await SendError(writer, call, *error);
    co_return;
  }
  const ModelHook hook = ParseModelHook(chat.model);
  if (co_await ApplyFaults(writer, call, hook)) {
    co_return;
  }
  const int drop_after =
      hook.kind == ModelHook::Kind::kDrop ? hook.value : options_.drop_after_chunks;
  const int delay_ms = hook.kind == ModelHook::Kind::kSlow ? hook.value : options_.chunk_delay_ms;

  const Fixture* fixture = nullptr;
  if (!fixtures_.empty()) {
    if (auto it = fixtures_.find(chat.model); it != fixtures_.end()) {
      fixture = &it->second;
    }
  }

  if (!chat.stream) {
    if (drop_after >= 0) {
      writer.Abort();
      streams_dropped_.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    if (hook.kind == ModelHook::Kind::kSlow) {
      co_await Sleep(delay_ms);
    }
    if (fixture && fixture->json) {
      co_await SendJson(writer, call, *fixture->json);
      co_return;
    }
    ChatReply reply = PlanChatReply(chat, options_.chunks);
    ChatIds ids{call.seq, static_cast<int64_t>(std::time(nullptr))};
    co_await SendJson(writer, call, ChatCompletionBody(chat, reply, ids));
    co_return;
  }

  if (fixture && fixture->sse) {
    std::shared_ptr<const SseStream> stream = fixture->sse;  // keeps it alive across waits
    co_await WriteStream(writer, call, *stream, delay_ms, drop_after);
    co_return;
  }
  ChatReply reply = PlanChatReply(chat, options_.chunks);
  ChatIds ids{call.seq, static_cast<int64_t>(std::time(nullptr))};
  SseStream stream = ChatCompletionStream(chat, reply, ids);
  co_await WriteStream(writer, call, stream, delay_ms, drop_after);
}

Awaitable<void> MockService::WriteStream(ResponseWriter& writer, const Call& call,
                                         const SseStream& stream, int delay_ms, int drop_after) {
  if (!co_await writer.Begin(200, Headers(call, "text/event-stream"))) {
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
                                              const Call& call) {
  EmbeddingsRequest embeddings;
  if (std::optional<ApiError> error = ParseEmbeddingsRequest(request.body, &embeddings)) {
    co_await SendError(writer, call, *error);
    co_return;
  }
  const ModelHook hook = ParseModelHook(embeddings.model);
  if (co_await ApplyFaults(writer, call, hook)) {
    co_return;
  }
  if (hook.kind == ModelHook::Kind::kDrop || options_.drop_after_chunks >= 0) {
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
