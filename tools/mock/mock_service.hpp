// The HTTP side of baton-mock: routes requests to the pure generators in openai_mock.hpp and
// dialect_mock.hpp (OpenAI Chat, Azure, Responses, Anthropic, Gemini, Ollama, Bedrock), checks each
// dialect's auth, applies the injected fault (flags at start, POST /mock/fault at run time:
// latency, failures with retry-after, resets, drops, hangs, slow chunks) and the model-name hooks,
// replays recorded fixtures, and serves the /mock/* test hooks (request log, stats, reset, fault).
// Thread-safety: one MockService serves every worker thread. Options and fixtures are read-only
// after construction; counters are atomics; the request log and the fault are behind mutexes
// (never held across co_await).
// Lifetime: must outlive the Server that calls Handle().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "mock/dialect_mock.hpp"
#include "mock/fault.hpp"
#include "mock/openai_mock.hpp"
#include "server/http.hpp"

namespace baton {
class Server;
}

namespace baton::mock {

struct MockOptions {
  int chunks = 8;              // words per generated answer
  int latency_ms = 0;          // wait before the response head
  int chunk_delay_ms = 0;      // wait before each content chunk of a stream
  int fail_status = 0;         // 0 = off
  double fail_rate = 1.0;      // fraction of chat/embedding requests failing with fail_status
  int drop_after_chunks = -1;  // -1 = off; else cut streams after N events
  bool hang = false;           // read requests, never answer
  int retry_after_s = -1;      // with fail_status: retry-after seconds on the error (-1 = default)
  int retry_after_ms = -1;     // with fail_status: retry-after-ms on the error (-1 = none)
  bool reset = false;          // reset the connection of generation/embedding requests
  std::string fixtures_dir;    // empty = no fixture replay
  std::string require_key;     // empty = any key; else each dialect's key header must carry it
  std::string aws_secret;      // non-empty: Bedrock requests' SigV4 signatures are verified
};

// The last `capacity` requests, for GET /mock/requests. Bodies are capped at 64 KiB.
class RequestLog {
 public:
  static constexpr std::size_t kMaxBodyBytes = 64u << 10;

  explicit RequestLog(std::size_t capacity = 100) : capacity_(capacity) {}

  void Record(const HttpRequest& request);
  void Clear();
  // {"requests":[{"method","path","query","headers":{lowercased: value},"body",
  //   "body_truncated"}...]}, oldest first.
  std::string Json() const;

 private:
  struct Entry {
    std::string method;
    std::string path;
    std::string query;
    std::vector<std::pair<std::string, std::string>> headers;  // lowercased, joined duplicates
    std::string body;
    bool truncated = false;
  };

  std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
};

class MockService {
 public:
  // Loads fixtures from options.fixtures_dir (`<model>.sse` / `<model>.json`). Throws
  // std::runtime_error when the directory cannot be read.
  explicit MockService(MockOptions options);

  // Lets long waits (hangs, chunk delays) end when the server drains. Optional.
  void AttachServer(const Server* server) { server_.store(server); }

  // The server's handler. Co_awaited at once by the connection loop, so references are fine.
  Awaitable<void> Handle(HttpRequest& request, ResponseWriter& writer);

  // For ServerOptions::render_error: OpenAI-shaped errors for server-level failures.
  static std::pair<std::string, std::string> RenderError(int status, std::string_view message);

  std::size_t fixture_count() const { return fixtures_.size(); }

 private:
  struct Fixture {
    std::shared_ptr<const SseStream> sse;     // streaming answer, when recorded (.sse)
    std::shared_ptr<const SseStream> ndjson;  // streaming answer, when recorded (.ndjson)
    std::shared_ptr<const std::string> json;  // non-streaming answer, when recorded
  };
  struct Call {
    uint64_t seq = 0;
    std::chrono::steady_clock::time_point start;
    Fault fault;  // the injected fault this request gets (taken once, at its start)
  };
  // Which endpoint a request is for.
  struct Route {
    enum class Op {
      kNotFound,
      kChat,         // OpenAI / Azure chat completions
      kEmbeddings,   // OpenAI / Azure embeddings
      kModels,       // model list (OpenAI, Anthropic, Gemini)
      kModel,        // one model
      kGenerate,     // Anthropic messages, Gemini generate, Ollama chat, Bedrock, Responses
      kCountTokens,  // Anthropic count_tokens, Gemini countTokens
      kTags,         // Ollama /api/tags
      kVersion,      // Ollama /api/version
    };
    Dialect dialect = Dialect::kOpenAi;
    Op op = Op::kNotFound;
    std::string model;  // from the path: Gemini model, Bedrock model id, Azure deployment, model id
    bool stream = false;  // the path asks for a stream (Gemini stream, Bedrock converse-stream)
    bool sse = true;      // Gemini: alt=sse
  };

  static Route Classify(const HttpRequest& request);
  // Azure without api-version, Anthropic POST without anthropic-version.
  static std::optional<DialectError> PreflightError(const HttpRequest& request, const Route& route);
  // The dialect's 404 for an unknown path; nullopt = OpenAI's "Invalid URL".
  static std::optional<DialectError> NotFoundError(Dialect dialect, std::string_view path);
  // The dialect's auth check; the error to answer with when it fails.
  std::optional<DialectError> CheckAuth(const HttpRequest& request, const Route& route) const;

  Awaitable<void> HandleControl(HttpRequest& request, ResponseWriter& writer);
  Awaitable<void> HandleChat(HttpRequest& request, ResponseWriter& writer, const Call& call,
                             const Route& route);
  Awaitable<void> HandleEmbeddings(HttpRequest& request, ResponseWriter& writer, const Call& call,
                                   const Route& route);
  Awaitable<void> HandleGenerate(HttpRequest& request, ResponseWriter& writer, const Call& call,
                                 const Route& route);
  Awaitable<void> HandleCountTokens(HttpRequest& request, ResponseWriter& writer, const Call& call,
                                    const Route& route);
  // `extra` headers replace the answer's headers of the same name (e.g. retry-after).
  Awaitable<void> SendError(ResponseWriter& writer, const Call& call, const ApiError& error,
                            const HttpHeaders& extra = {});
  Awaitable<void> SendDialectError(ResponseWriter& writer, const Call& call, Dialect dialect,
                                   const DialectError& error, const HttpHeaders& extra = {});
  Awaitable<void> SendJson(ResponseWriter& writer, const Call& call, std::string body);
  Awaitable<void> SendBody(ResponseWriter& writer, const Call& call, Dialect dialect,
                           std::string_view content_type, std::string body);
  Awaitable<void> WriteStream(ResponseWriter& writer, HttpHeaders headers, const SseStream& stream,
                              int delay_ms, int drop_after);
  // Waits `ms` (less when the server drains). False when cut short by a drain.
  Awaitable<bool> Sleep(int ms);
  // Never answers: waits until the client goes away or the server drains, then aborts.
  Awaitable<void> Hang(ResponseWriter& writer);
  // Applies the mock-hang / mock-fail-<CODE> hooks and the fault's hang, reset and status
  // (generation and embedding requests), answering in `dialect`'s error shape. True when the
  // request has been dealt with.
  Awaitable<bool> ApplyFaults(ResponseWriter& writer, const Call& call, const ModelHook& hook,
                              Dialect dialect, std::string_view model);
  const Fixture* FindFixture(std::string_view model) const;

  // Response headers of a dialect: OpenAI's request id and rate-limit headers, Anthropic's
  // request-id, Bedrock's x-amzn-RequestId, ...
  HttpHeaders HeadersFor(Dialect dialect, const Call& call, std::string_view content_type) const;
  HttpHeaders Headers(const Call& call, std::string_view content_type) const;
  bool draining() const;
  void Reset();

  // The fault's connection reset: a TCP RST when the server can send one, else an abort.
  void ResetConnection(ResponseWriter& writer);

  const MockOptions options_;
  FaultState fault_;
  std::unordered_map<std::string, Fixture> fixtures_;
  std::atomic<const Server*> server_{nullptr};
  RequestLog log_;

  std::atomic<uint64_t> seq_{0};       // every OpenAI request: ids and x-request-id
  std::atomic<uint64_t> fail_seq_{0};  // chat and embedding requests: --fail-rate rule
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> streams_started_{0};
  std::atomic<uint64_t> streams_completed_{0};
  std::atomic<uint64_t> streams_aborted_by_client_{0};
  std::atomic<uint64_t> streams_dropped_{0};
  std::atomic<uint64_t> connections_reset_{0};
};

}  // namespace baton::mock
