// Why it looks like this:
// - same-dialect bodies are forwarded with only `model` (and, for OpenAI streams,
//   `stream_options`) spliced in, so whatever the client sent reaches the upstream byte for byte;
// - usage is always requested upstream when streaming so the gateway can account for tokens, and
//   OpenAI's separate usage chunk is dropped again when the client did not ask for it;
// - the next deployment is tried only while nothing has been sent to the client: a failure before
//   the response head (connect error, timeout, 429/5xx) falls through; after the head, a failure
//   is reported inside the stream in the client's dialect and the stream is still terminated;
// - a client that goes away makes Write() fail; returning then destroys the upstream body, which
//   closes the upstream connection and so cancels the upstream request.
#include "api/forward.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "api/forward_events.hpp"
#include "api/respond.hpp"
#include "asio/sleep.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/sse.hpp"
#include "pipeline/limits.hpp"
#include "router/plan.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/request_log.hpp"

namespace baton {

namespace {

using canon::Dialect;

constexpr std::size_t kMaxUpstreamErrorBody = 1U << 20;
constexpr std::size_t kMaxUpstreamBody = 64U << 20;
constexpr std::chrono::milliseconds kDrainAfterDone{1000};

SteadyTime SteadyClockNow() {
  return std::chrono::steady_clock::now();
}

bool IsRetryableStatus(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

// Headers of the upstream's answer that the client gets too: rate limits, retry hints, and the
// upstream's request id (as x-upstream-request-id; x-request-id is Baton's own).
void CopyPassThroughHeaders(const HttpHeaders& upstream, HttpHeaders& out) {
  for (const auto& h : upstream) {
    const std::string& n = h.name;
    if (n.empty()) {
      continue;
    }
    switch (n[0] | 0x20) {  // cheap first-letter filter before the case-insensitive compares
      case 'x':
        if (StartsWithIgnoreCase(n, "x-ratelimit-")) {
          out.push_back(h);
        } else if (EqualsIgnoreCase(n, "x-request-id")) {
          out.push_back({"x-upstream-request-id", h.value});
        }
        break;
      case 'a':
        if (StartsWithIgnoreCase(n, "anthropic-ratelimit-")) {
          out.push_back(h);
        }
        break;
      case 'r':
        if (EqualsIgnoreCase(n, "retry-after") || EqualsIgnoreCase(n, "retry-after-ms")) {
          out.push_back(h);
        } else if (EqualsIgnoreCase(n, "request-id")) {
          out.push_back({"x-upstream-request-id", h.value});
        }
        break;
      case 'o':
        if (EqualsIgnoreCase(n, "openai-processing-ms")) {
          out.push_back(h);
        }
        break;
      default:
        break;
    }
  }
}

void AddDialectHeaders(Dialect client, const HttpRequest& request, HttpHeaders& headers) {
  if (client == Dialect::kAnthropic) {
    headers.push_back({"request-id", request.request_id});
  }
}

bool IsJsonBody(const UpstreamBody& body) {
  return StartsWithIgnoreCase(FindHeader(body.headers(), "content-type"), "application/json");
}

// An upstream error as an Error, read from its body in the upstream's dialect.
Error UpstreamError(Dialect upstream_dialect, const Deployment& d, int status,
                    std::string_view body) {
  const canon::Codec& codec = canon::CodecFor(upstream_dialect);
  Error e;
  if (codec.parse_error != nullptr) {
    e = codec.parse_error(status, body);
  } else {
    e = Error(canon::KindForUpstreamStatus(status), openai::UpstreamErrorMessage(body));
  }
  e.upstream_status = status;
  if (status >= 500) {
    // The client sees a gateway error naming the upstream, whatever the upstream said.
    std::string message = "upstream provider \"" + d.provider->name() + "\" returned HTTP " +
                          std::to_string(status) + (e.message.empty() ? "" : ": " + e.message);
    e = Error(ErrorKind::kUpstreamError, std::move(message), "upstream_error");
    e.upstream_status = status;
  } else if (e.message.empty()) {
    e.message =
        "upstream provider \"" + d.provider->name() + "\" returned HTTP " + std::to_string(status);
  }
  return e;
}

canon::StreamEvent ErrorEvent(ErrorKind kind, std::string message, std::string code) {
  canon::StreamEvent ev;
  ev.type = canon::StreamEvent::Type::kError;
  ev.error = Error(kind, std::move(message), std::move(code));
  return ev;
}

void AppendOpenAiErrorEvent(std::string& out, const Error& error) {
  out += "data: ";
  out += openai::RenderError(error);
  out += "\n\ndata: [DONE]\n\n";
}

HttpHeaders StreamHeaders(HttpHeaders headers) {
  headers.push_back({"content-type", "text/event-stream"});
  headers.push_back({"cache-control", "no-cache"});
  return headers;
}

// How a relay ended.
struct RelayOutcome {
  bool committed = false;  // something went to the client (the exchange is over either way)
  Error error;             // when not committed: why the attempt failed before any content
};

// Per-attempt facts the relays need to hold back and to time the first content.
struct AttemptClock {
  SteadyTime sent_at;
  SteadyTime attempt_deadline;   // until the first content byte
  SteadyTime request_deadline;   // for the whole exchange
  StreamStartHook stream_start;  // model.streaming.start when the head goes out
};

std::chrono::microseconds Since(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               t);
}

Error CutBeforeContent(const std::string& message) {
  return {ErrorKind::kUpstreamError, message, "upstream_error"};
}

Error NoContentInTime() {
  return {ErrorKind::kUpstreamTimeout, "the upstream sent no content in time", "upstream_timeout"};
}

// The first content event arrived: the attempt counts as a success (time to first token) and the
// response head goes out. False when the client has gone.
Awaitable<bool> CommitStream(ResponseWriter& writer, HttpHeaders& headers,
                             const AttemptClock& clock, DeploymentLease& lease,
                             StreamTally& tally) {
  lease.Success(Since(clock.sent_at));
  tally.first_content = SteadyClockNow();
  clock.stream_start.Fire();
  co_return co_await writer.Begin(200, StreamHeaders(std::exchange(headers, {})));
}

// OpenAI → OpenAI: relays the upstream SSE stream event by event, untouched except for the usage
// chunk the client did not ask for. Nothing is sent before the first content chunk.
canon::Usage ToCanonical(const openai::Usage& u) {
  canon::Usage usage;
  usage.present = u.present;
  usage.input_tokens = u.prompt_tokens;
  usage.output_tokens = u.completion_tokens;
  usage.cache_read_tokens = u.cached_tokens;
  return usage;
}

Awaitable<RelayOutcome> RelayOpenAiStream(ResponseWriter& writer, HttpHeaders headers,
                                          UpstreamBody& upstream, bool client_wants_usage,
                                          AttemptClock clock, DeploymentLease& lease,
                                          canon::Usage& usage, StreamTally& tally) {
  SseSplitter splitter;
  std::string out;
  bool done = false;
  bool content = false;    // a chunk past the preamble has been seen
  bool committed = false;  // the response head went out
  bool upstream_error = false;
  auto on_event = [&](const SseEvent& ev) {
    if (!ev.has_data) {
      out.append(ev.raw);
      return true;
    }
    if (ev.data == "[DONE]") {
      done = true;
      tally.complete = true;
      content = true;
      out.append(ev.raw);
      return true;
    }
    if (!content) {
      if (openai::IsErrorChunk(ev.data)) {
        upstream_error = true;
        return false;
      }
      content = !openai::IsPreambleChunk(ev.data);
    }
    // The usage chunk was asked for by Baton (for accounting); the client sees it only if it
    // asked for it too.
    if (openai::ChunkHasUsage(ev.data)) {
      if (auto u = openai::ParseUsage(ev.data); u.present) {
        usage = ToCanonical(u);
      }
      if (openai::IsUsageOnlyChunk(ev.data)) {
        if (!client_wants_usage) {
          return true;
        }
      } else {
        ++tally.chunks;
      }
    } else if (content) {
      ++tally.chunks;  // about one token each: what a cut stream is billed for
    }
    out.append(ev.raw);
    return true;
  };
  for (;;) {
    auto piece = co_await upstream.Read();
    if (!piece) {
      if (!committed) {
        co_return RelayOutcome{false,
                               CutBeforeContent("the upstream stream failed before any content: " +
                                                piece.error().message)};
      }
      AppendOpenAiErrorEvent(
          out, Error(ErrorKind::kUpstreamError,
                     "the upstream stream failed: " + piece.error().message, "upstream_error"));
      co_await writer.WriteAndEnd(out);
      co_return RelayOutcome{true, {}};
    }
    if (piece->empty()) {
      break;
    }
    splitter.Feed(*piece, on_event);
    if (upstream_error) {
      co_return RelayOutcome{false,
                             CutBeforeContent("the upstream reported an error before any content")};
    }
    const auto now = std::chrono::steady_clock::now();
    if (!committed) {
      if (!content) {
        if (now > clock.attempt_deadline) {
          co_return RelayOutcome{false, NoContentInTime()};
        }
        continue;
      }
      committed = true;
      if (!co_await CommitStream(writer, headers, clock, lease, tally)) {
        co_return RelayOutcome{true, {}};
      }
    }
    if (!done && now > clock.request_deadline) {
      AppendOpenAiErrorEvent(
          out, Error(ErrorKind::kUpstreamTimeout,
                     "the request exceeded its time limit (request_timeout)", "request_timeout"));
      co_await writer.WriteAndEnd(out);
      co_return RelayOutcome{true, {}};
    }
    if (done || upstream.finished()) {
      // [DONE] is the last event: the client's response ends now, in this write, without
      // waiting for the upstream's own end of body (often a separate segment).
      break;
    }
    if (!out.empty()) {
      if (!co_await writer.Write(out)) {
        co_return RelayOutcome{true, {}};  // client gone: our caller destroys the upstream body
      }
      out.clear();
    }
  }
  if (!committed) {
    if (!content) {
      co_return RelayOutcome{false,
                             CutBeforeContent("the upstream ended the stream before any content")};
    }
    if (!co_await CommitStream(writer, headers, clock, lease, tally)) {
      co_return RelayOutcome{true, {}};
    }
  }
  if (!done) {
    AppendOpenAiErrorEvent(
        out, Error(ErrorKind::kUpstreamError,
                   "the upstream ended the stream before it was complete", "upstream_error"));
  }
  co_await writer.WriteAndEnd(out);
  // Read the upstream body to its end so its connection goes back to the pool; an upstream that
  // does not end its body promptly after [DONE] loses the connection instead.
  co_await upstream.Drain(kDrainAfterDone);
  co_return RelayOutcome{true, {}};
}

// Start and usage events (Anthropic's message_start carries usage) are preamble; errors are
// failures; everything else is the answer itself.
bool IsContentEvent(canon::StreamEvent::Type type) {
  using Type = canon::StreamEvent::Type;
  return type != Type::kStart && type != Type::kUsage && type != Type::kError;
}

// Any other stream: decoded into canonical events as bytes arrive. Across dialects the events
// are encoded in the client's dialect; within one dialect (Anthropic, Gemini) the upstream bytes
// are passed through untouched and the decoder only tells whether the stream completed, so a cut
// stream still gets a proper error ending. Nothing is sent before the first content event.
Awaitable<RelayOutcome> RelayDecodedStream(ResponseWriter& writer, HttpHeaders headers,
                                           UpstreamBody& upstream, canon::StreamDecoder& decoder,
                                           canon::StreamEncoder& encoder, bool passthrough,
                                           AttemptClock clock, DeploymentLease& lease,
                                           canon::Usage& usage, StreamTally& tally) {
  canon::StreamEvents events;
  std::string out;
  bool ended = false;      // kEnd or kError has been encoded: nothing more goes to the client
  bool content = false;    // a content event has been seen
  bool committed = false;  // the response head went out
  Error early_error;       // an error event before any content
  bool failed_early = false;
  auto flush_events = [&] {
    for (auto& ev : events) {
      if (ended) {
        break;
      }
      if (!content) {
        if (ev.type == canon::StreamEvent::Type::kError) {
          early_error = std::move(ev.error);
          failed_early = true;
          break;
        }
        content = IsContentEvent(ev.type);
      }
      if (ev.type == canon::StreamEvent::Type::kUsage) {
        usage = ev.usage;  // decoders report the running total
      } else if (ev.type == canon::StreamEvent::Type::kEnd) {
        tally.complete = true;
      } else if (IsContentEvent(ev.type)) {
        ++tally.chunks;
        tally.text_bytes += static_cast<int64_t>(ev.text.size());
      }
      bool terminal =
          ev.type == canon::StreamEvent::Type::kEnd || ev.type == canon::StreamEvent::Type::kError;
      if (!passthrough || ev.type == canon::StreamEvent::Type::kError) {
        encoder.Encode(ev, out);
      }
      ended = terminal;
    }
    events.clear();
  };
  for (;;) {
    auto piece = co_await upstream.Read();
    if (!piece) {
      if (!committed) {
        co_return RelayOutcome{false,
                               CutBeforeContent("the upstream stream failed before any content: " +
                                                piece.error().message)};
      }
      events.push_back(ErrorEvent(ErrorKind::kUpstreamError,
                                  "the upstream stream failed: " + piece.error().message,
                                  "upstream_error"));
      flush_events();
      co_await writer.WriteAndEnd(out);
      co_return RelayOutcome{true, {}};
    }
    if (piece->empty()) {
      decoder.Finish(events);
      flush_events();
      break;
    }
    if (passthrough) {
      out.append(*piece);
    }
    decoder.Feed(*piece, events);
    flush_events();
    if (failed_early) {
      co_return RelayOutcome{false, std::move(early_error)};
    }
    const auto now = std::chrono::steady_clock::now();
    if (!committed) {
      if (!content) {
        if (now > clock.attempt_deadline) {
          co_return RelayOutcome{false, NoContentInTime()};
        }
        continue;
      }
      committed = true;
      if (!co_await CommitStream(writer, headers, clock, lease, tally)) {
        co_return RelayOutcome{true, {}};
      }
    }
    if (!ended && now > clock.request_deadline) {
      events.push_back(ErrorEvent(ErrorKind::kUpstreamTimeout,
                                  "the request exceeded its time limit (request_timeout)",
                                  "request_timeout"));
      flush_events();
      co_await writer.WriteAndEnd(out);
      co_return RelayOutcome{true, {}};
    }
    if (ended) {
      break;
    }
    if (!out.empty()) {
      if (!co_await writer.Write(out)) {
        co_return RelayOutcome{true, {}};
      }
      out.clear();
    }
  }
  if (failed_early) {
    co_return RelayOutcome{false, std::move(early_error)};
  }
  if (!committed) {
    if (!content) {
      co_return RelayOutcome{false,
                             CutBeforeContent("the upstream ended the stream before any content")};
    }
    if (!co_await CommitStream(writer, headers, clock, lease, tally)) {
      co_return RelayOutcome{true, {}};
    }
  }
  co_await writer.WriteAndEnd(out);
  co_await upstream.Drain(kDrainAfterDone);
  co_return RelayOutcome{true, {}};
}
// The body for a same-dialect upstream: the client's, with the deployment's model spliced in.
std::string SpliceModel(const Exchange& ex, std::string_view model) {
  switch (ex.client) {
    case Dialect::kOpenAiChat:
      if (ex.operation == Operation::kChatCompletions) {
        return openai::RewriteChatRequest(ex.body, model, ex.stream);
      }
      break;
    case Dialect::kGemini:
      return std::string(ex.body);  // the model is in the URL
    default:
      break;
  }
  std::string quoted;
  AppendJsonString(quoted, model);
  if (auto span = FindTopLevelMember(ex.body, "model")) {
    return ReplaceValue(ex.body, *span, quoted);
  }
  return AppendMember(ex.body, "model", quoted);
}

bool SameDialect(const Exchange& ex, Dialect upstream) {
  return ex.client == upstream || ex.operation == Operation::kEmbeddings;
}

// What one failed attempt means for the plan.
enum class Verdict {
  kRetry,            // worth another try on the same deployment (408/409/429/5xx, reset, timeout)
  kFallback,         // this deployment cannot serve it (connect failure, 401/403/404): next one
  kContextExceeded,  // the prompt is too long for this deployment: context_fallbacks
  kFinal,            // the client's own mistake (other 4xx): returned as it is
};

struct Failure {
  Verdict verdict = Verdict::kRetry;
  bool counts = true;  // against the deployment's breaker
  Error error;
  int status = 0;       // the upstream's HTTP status, when it answered with an error
  std::string body;     // that answer's body
  HttpHeaders headers;  // its pass-through headers
  std::chrono::milliseconds retry_after{-1};  // the upstream's retry-after, when given
};

// retry-after-ms (OpenAI, Anthropic) or retry-after in seconds; -1 when absent or a date.
std::chrono::milliseconds RetryAfter(const HttpHeaders& headers) {
  auto parse = [](std::string_view text, double scale) -> int64_t {
    char* end = nullptr;
    std::string copy(text);
    double v = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() || v < 0 || v > 86'400'000) {
      return -1;
    }
    return static_cast<int64_t>(v * scale);
  };
  std::string_view ms = FindHeader(headers, "retry-after-ms");
  if (!ms.empty()) {
    if (int64_t v = parse(ms, 1); v >= 0) {
      return std::chrono::milliseconds(v);
    }
  }
  std::string_view s = FindHeader(headers, "retry-after");
  if (!s.empty()) {
    if (int64_t v = parse(s, 1000); v >= 0) {
      return std::chrono::milliseconds(v);
    }
  }
  return std::chrono::milliseconds(-1);
}

bool ContainsIgnoreCase(std::string_view text, std::string_view needle) {
  if (needle.size() > text.size()) {
    return false;
  }
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (EqualsIgnoreCase(text.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// Providers word "prompt too long" differently: OpenAI's code, Anthropic's "prompt is too
// long", Gemini's "input token count ... exceeds", Ollama/vLLM's "context length".
bool IsContextWindowError(const Error& e) {
  if (e.code == "context_length_exceeded" || e.code == "string_above_max_length") {
    return true;
  }
  constexpr std::array<std::string_view, 8> kNeedles = {
      "context length",  "context window",    "context_length",  "prompt is too long",
      "maximum context", "input token count", "too many tokens", "input is too long"};
  return std::ranges::any_of(
      kNeedles, [&](std::string_view needle) { return ContainsIgnoreCase(e.message, needle); });
}

// The deployment's output cap applied to a same-dialect body (OpenAI Chat, Anthropic,
// Responses). Returns false when the dialect keeps it where a splice cannot reach (Gemini's
// generationConfig), so the caller translates instead.
bool CapMaxTokens(Dialect dialect, Operation op, std::string& body, int64_t cap) {
  if (cap <= 0 || op != Operation::kChatCompletions) {
    return true;
  }
  std::vector<std::string_view> names;
  switch (dialect) {
    case Dialect::kOpenAiChat:
      names = {"max_completion_tokens", "max_tokens"};
      break;
    case Dialect::kAnthropic:
      names = {"max_tokens"};
      break;
    case Dialect::kOpenAiResponses:
      names = {"max_output_tokens"};
      break;
    default:
      return false;
  }
  const std::string value = std::to_string(cap);
  bool found = false;
  for (std::string_view name : names) {
    auto span = FindTopLevelMember(body, name);
    if (!span) {
      continue;
    }
    found = true;
    std::string_view current(body.data() + span->value_begin, span->value_end - span->value_begin);
    char* end = nullptr;
    std::string copy(current);
    long long v = std::strtoll(copy.c_str(), &end, 10);
    if (current == "null" || end == copy.c_str() || v > cap) {
      body = ReplaceValue(body, *span, value);
    }
  }
  if (!found) {
    body = AppendMember(body, names.back(), value);
  }
  return true;
}

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void LogLine(const std::string& line) {
  std::fprintf(stderr, "baton: %s\n", line.c_str());
}

class Forwarder {
 public:
  Forwarder(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer, Exchange& ex)
      : snapshot_(snapshot),
        router_(snapshot.config().router),
        request_(request),
        writer_(writer),
        ex_(ex),
        client_codec_(canon::CodecFor(ex.client)),
        deadline_(std::chrono::steady_clock::now() + snapshot.config().server.request_timeout) {}

  Awaitable<void> Run();
  // Settles the admission with the real cost and fills the exchange's accounting. Called once,
  // after Run (also when the client went away); the destructor calls it when Run never ended.
  void Account();
  // Hands the request's record to the request log (once; after Account). With `wait`, returns
  // only once the record is written, so a client never sees an answer whose record a crash
  // could lose.
  Awaitable<void> Record(bool wait, int status = 0);
  ~Forwarder() {
    // Run never ended (the server is shutting down): settle and record what is known.
    try {
      Account();
      (void)RecordNow();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing can be done in a destructor
    }
  }
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

 private:
  // Checks and counts rate limits and budgets before anything is sent. False when the client
  // was answered with a refusal.
  Awaitable<bool> Admit(const Route& route);
  // Appends the record without waiting; its sequence number (0 = no log, or not taken).
  uint64_t RecordNow(int status = 0);
  // The client's max output tokens (0 = none given); nullopt when reading them failed (the
  // client was answered).
  Awaitable<std::optional<int64_t>> RequestedMaxTokens();
  // Runs one route's plan. Returns true once the client has been answered.
  Awaitable<bool> RunRoute(const Route& route);
  // One attempt on one deployment. Returns true once the client has been answered; otherwise
  // `failure` says what went wrong.
  Awaitable<bool> Attempt(const Deployment& d, DeploymentLease& lease, Failure& failure);
  // Answers with the last failure (every deployment tried).
  Awaitable<void> SendLastFailure();
  Awaitable<void> SendError(const Error& error, HttpHeaders headers = {}) {
    error_code_ = error.code.empty() ? std::string(ErrorKindName(error.kind)) : error.code;
    co_await SendDialectError(writer_, ex_.client, request_, error, std::move(headers));
  }
  // x-baton-provider/-model/-attempts and, when limits applied, the gateway's x-ratelimit-*
  // (replacing the upstream's own) appended to `headers`.
  void AddBatonHeaders(const Deployment& d, HttpHeaders& headers) const;
  // " (request R, zone Z, session S)": what ties a log line to its request.
  std::string LogTags() const;
  // An event about this request, with its common fields (docs/events.md).
  EventBuilder Ev(EventType type) const;
  std::string_view KeyAlias() const {
    return ex_.caller != nullptr && ex_.caller->key.key != nullptr
               ? std::string_view(ex_.caller->key.key->alias)
               : std::string_view();
  }
  // The client's request in canonical form (parsed on first need); an error was sent when null.
  Awaitable<const canon::Request*> Canonical();
  std::chrono::milliseconds Backoff(int retry) const;

  const Snapshot& snapshot_;
  const RouterConfig& router_;
  HttpRequest& request_;
  ResponseWriter& writer_;
  Exchange& ex_;
  const canon::Codec& client_codec_;
  const SteadyTime deadline_;
  const ZoneConfig* zone_ = nullptr;
  const Deployment* last_deployment_ = nullptr;
  int64_t last_prompt_estimate_ = 0;             // tokens the last attempt counted against its tpm
  const Deployment* answered_ = nullptr;         // the deployment whose answer the client got
  int64_t prompt_estimate_ = 0;                  // tokens: the client's body bytes / 4
  int64_t output_cap_ = 0;                       // max output tokens imposed by a budget (0 = none)
  const SteadyTime started_ = SteadyClockNow();  // for the record's latency
  // Limits and budgets (pipeline/limits.hpp): the scopes counted, the admission to settle.
  std::vector<LimitScope> scopes_;
  std::string model_asked_;  // before task and zone defaults replaced it
  std::string error_code_;   // of the last error answered, "" on success
  // The last failure, for the answer when everything failed.
  Failure last_;
  // Routes built per request (direct "provider/model" ids) live as long as the forwarder, so
  // answered_ stays valid for the accounting at the end.
  Route scratch_;
  Route fallback_scratch_;
  Admission admission_;
  int attempts_ = 0;
  int retry_after_s_ = 0;  // from the plan, when nothing could be tried
  int fallbacks_ = 0;
  bool context_exceeded_ = false;
  bool admitted_ = false;
  bool accounted_ = false;
  bool recorded_ = false;  // the request log has this request's record
};

void Forwarder::AddBatonHeaders(const Deployment& d, HttpHeaders& headers) const {
  headers.push_back({"x-baton-provider", d.provider->name()});
  headers.push_back({"x-baton-model", d.id});
  headers.push_back({"x-baton-attempts", std::to_string(attempts_)});
  if (admitted_) {
    AddRateLimitHeaders(admission_.rate, headers);
  }
}

// The output tokens the client allows at most (0 when it set no limit; embeddings produce none).
Awaitable<std::optional<int64_t>> Forwarder::RequestedMaxTokens() {
  if (ex_.operation != Operation::kChatCompletions) {
    co_return std::optional<int64_t>(0);
  }
  std::vector<std::string_view> names;
  if (!ex_.canonical) {
    switch (ex_.client) {
      case Dialect::kOpenAiChat:
        names = {"max_completion_tokens", "max_tokens"};
        break;
      case Dialect::kAnthropic:
        names = {"max_tokens"};
        break;
      case Dialect::kOpenAiResponses:
        names = {"max_output_tokens"};
        break;
      default:
        break;
    }
  }
  if (names.empty()) {
    // Gemini keeps it in generationConfig: read through the canonical form.
    const canon::Request* canonical = co_await Canonical();
    if (canonical == nullptr) {
      co_return std::nullopt;  // answered with the parse error
    }
    co_return std::optional<int64_t>(canonical->max_tokens.value_or(0));
  }
  for (std::string_view name : names) {
    if (auto span = FindTopLevelMember(ex_.body, name)) {
      std::string text(ex_.body.substr(span->value_begin, span->value_end - span->value_begin));
      char* end = nullptr;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (end != text.c_str() && v > 0) {
        co_return std::optional<int64_t>(v);
      }
    }
  }
  co_return std::optional<int64_t>(0);
}

Awaitable<bool> Forwarder::Admit(const Route& route) {
  Counters* counters = snapshot_.counters();
  if (counters == nullptr) {
    co_return true;
  }
  const Config& config = snapshot_.config();
  const int64_t now_ms = UnixMillis();
  CollectLimitScopes(ex_.caller, zone_, route, config.budget, snapshot_.baselines(), now_ms / 1000,
                     scopes_);
  if (scopes_.empty()) {
    co_return true;
  }
  prompt_estimate_ = static_cast<int64_t>(ex_.body.size() / 4);
  Money worst_case = 0;
  if (AnyBudget(scopes_)) {
    std::optional<int64_t> max_tokens = co_await RequestedMaxTokens();
    if (!max_tokens) {
      co_return false;
    }
    int64_t max_output = *max_tokens;
    if (max_output == 0 && ex_.operation == Operation::kChatCompletions) {
      // No limit from the client: the budget's default bounds the answer (and its cost).
      max_output = config.budget.default_max_tokens;
      output_cap_ = config.budget.default_max_tokens;
    }
    worst_case = RouteWorstCase(route, prompt_estimate_, max_output);
  }
  AdmitRequest request;
  request.scopes = scopes_;
  request.worst_case = worst_case;
  request.tokens = prompt_estimate_;
  request.now_ms = now_ms;
  admission_ = co_await counters->Admit(request);
  if (admission_.refused) {
    HttpHeaders headers;
    if (admission_.retry_after_ms > 0) {
      headers.push_back({"retry-after", std::to_string(std::max<int64_t>(
                                            1, (admission_.retry_after_ms + 999) / 1000))});
    }
    AddRateLimitHeaders(admission_.rate, headers);
    LogLine("refused: " + admission_.refused->message + LogTags());
    PublishEvent(snapshot_.events(), EventType::kBudgetExceeded,
                 [&] { return BudgetRefusalEvent(Ev(EventType::kBudgetExceeded), admission_); });
    co_await SendError(*admission_.refused, std::move(headers));
    co_return false;
  }
  admitted_ = !admission_.open;
  for (const BudgetLevel* level : CrossedWarnings(admission_, config.budget.warning_threshold)) {
    if (Metrics* metrics = snapshot_.metrics()) {
      metrics->BudgetWarning(ScopeKind(level->scope));
    }
    LogLine("budget warning: " + std::string(ScopeKind(level->scope)) + " budget at $" +
            ToUsdString(level->committed) + " of $" + ToUsdString(level->budget) + LogTags());
    PublishEvent(snapshot_.events(), EventType::kBudgetWarning,
                 [&] { return BudgetEvent(Ev(EventType::kBudgetWarning), *level); });
  }
  co_return true;
}

void Forwarder::Account() {
  if (accounted_) {
    return;
  }
  accounted_ = true;
  ex_.attempts = attempts_;
  TokenUsage billed;
  if (answered_ != nullptr) {
    const canon::Usage& reported = ex_.usage;
    if (reported.present) {
      billed.prompt = reported.input_tokens;
      billed.completion = reported.output_tokens;
      billed.cached_prompt = reported.cache_read_tokens;
      billed.cache_write = reported.cache_creation_tokens;
    }
    if (billed.prompt <= 0) {
      billed.prompt =
          prompt_estimate_ > 0 ? prompt_estimate_ : static_cast<int64_t>(ex_.body.size() / 4);
    }
    if (ex_.stream && !ex_.tally.complete) {
      // Cut mid-way: what reached the client, unless the upstream's count says more.
      billed.completion = std::max({billed.completion, ex_.tally.chunks, ex_.tally.text_bytes / 4});
    }
    ex_.billed = billed;
    ex_.cost = RequestCost(answered_->price, billed);
  }
  if (admitted_) {
    const int64_t tokens = answered_ != nullptr ? billed.prompt + billed.completion : 0;
    snapshot_.counters()->Settle(admission_, ex_.cost, tokens, UnixMillis());
  }
}

std::string Forwarder::LogTags() const {
  std::string tags = " (request " + request_.request_id;
  if (!ex_.zone.empty()) {
    tags += ", zone " + ex_.zone;
  }
  if (!ex_.session.empty()) {
    tags += ", session " + ex_.session;
  }
  return tags + ")";
}

EventBuilder Forwarder::Ev(EventType type) const {
  return {type, request_.request_id, ex_.model, ex_.zone, KeyAlias()};
}

std::chrono::milliseconds Forwarder::Backoff(int retry) const {
  // Exponential with "equal jitter": half fixed, half random, so retries of many clients spread.
  const int64_t base = router_.retry_backoff.count() << std::min(retry, 16);
  const auto jitter = static_cast<int64_t>(
      static_cast<double>(base) * 0.5 *
      (static_cast<double>(std::chrono::steady_clock::now().time_since_epoch().count() % 1000) /
       1000.0));
  return std::chrono::milliseconds((base / 2) + jitter);
}

Awaitable<const canon::Request*> Forwarder::Canonical() {
  if (!ex_.canonical) {
    if (client_codec_.parse_request == nullptr) {
      co_await SendError(Error(ErrorKind::kInternal, "dialect not available"));
      co_return nullptr;
    }
    auto parsed = client_codec_.parse_request(ex_.body);
    if (!parsed) {
      co_await SendError(parsed.error());
      co_return nullptr;
    }
    ex_.canonical = std::move(parsed).value();
    ex_.canonical->stream = ex_.stream;
    ex_.canonical->include_usage = ex_.canonical->include_usage || ex_.include_usage;
  }
  co_return &*ex_.canonical;
}

Awaitable<void> Forwarder::Run() {
  const Config& config = snapshot_.config();
  model_asked_ = ex_.model;
  if (RequestLog* log = snapshot_.request_log();
      log != nullptr && config.log.on_failure == LogFailureMode::kRefuse && !log->Healthy()) {
    // No record could be kept: refuse rather than serve unaccounted (docs/request-log.md).
    co_await SendError(log->UnavailableError());
    co_return;
  }
  ex_.session = std::string(FindHeader(request_.headers, "x-maestro-session"));
  ex_.task = std::string(FindHeader(request_.headers, "x-baton-task"));
  std::string zone_name(FindHeader(request_.headers, "x-maestro-zone"));
  if (ex_.caller != nullptr) {
    // A key bound to a zone runs there; naming another zone is refused.
    auto bound = CallerZone(*ex_.caller, zone_name);
    if (!bound) {
      co_await SendError(bound.error());
      co_return;
    }
    zone_name = std::move(bound).value();
  }
  if (!zone_name.empty()) {
    ex_.zone = zone_name;
    zone_ = config.FindZone(zone_name);
    if (zone_ == nullptr) {
      co_await SendError(Error(ErrorKind::kForbidden,
                               "unknown zone \"" + ex_.zone + "\" (X-Maestro-Zone)",
                               "zone_not_found"));
      co_return;
    }
    if (zone_->rpm > 0) {
      MinuteWindow& window = snapshot_.health().ZoneRequests(zone_->name);
      const SteadyTime now = snapshot_.health().clock().Now();
      if (!window.TryAdd(now, 1, zone_->rpm)) {
        auto wait = window.RetryAfter(now, 1, zone_->rpm);
        HttpHeaders headers;
        headers.push_back(
            {"retry-after", std::to_string(std::max<int64_t>(1, (wait.count() + 999) / 1000))});
        co_await SendError(Error(ErrorKind::kRateLimited,
                                 "zone \"" + zone_->name + "\" is at its limit of " +
                                     std::to_string(zone_->rpm) + " requests per minute",
                                 "zone_rate_limited"),
                           std::move(headers));
        co_return;
      }
    }
  }
  // The model: a task default replaces "let the gateway choose"; a zone's default fills in a
  // missing one.
  const bool gateway_choice = ex_.model.empty() || ex_.model == "default" ||
                              ex_.model == kAutoModel || ex_.model == kAutoModelAlt;
  if (!ex_.task.empty() && gateway_choice) {
    if (const TaskDefault* task = config.FindTask(ex_.task)) {
      ex_.model = task->model;
    }
  }
  if (zone_ != nullptr && !zone_->default_model.empty() &&
      (ex_.model.empty() || ex_.model == "default")) {
    ex_.model = zone_->default_model;
  }
  if (ex_.caller != nullptr) {
    // The name the request resolved to (alias, auto or provider/model) must be on the key's
    // list (and its team's).
    if (Status allowed = CheckCallerModel(*ex_.caller, ex_.model); !allowed) {
      co_await SendError(allowed.error());
      co_return;
    }
  }
  PublishEvent(snapshot_.events(), EventType::kRequestStart,
               [&] { return Ev(EventType::kRequestStart).Build(); });
  auto route = snapshot_.Resolve(ex_.model, scratch_);
  if (!route) {
    co_await SendError(route.error());
    co_return;
  }
  if (!co_await Admit(**route)) {
    co_return;
  }
  if (co_await RunRoute(**route)) {
    co_return;
  }
  if (context_exceeded_ && SteadyClockNow() < deadline_) {
    // The prompt is too long for this route: its context_fallbacks, in order.
    const std::vector<std::string> fallbacks = (*route)->context_fallbacks;
    for (const auto& name : fallbacks) {
      auto next = snapshot_.Resolve(name, fallback_scratch_);
      if (!next) {
        continue;
      }
      LogLine("context fallback " + (*route)->name + " -> " + name + LogTags());
      context_exceeded_ = false;
      if (co_await RunRoute(**next)) {
        co_return;
      }
      if (!context_exceeded_) {
        break;
      }
    }
  }
  co_await SendLastFailure();
}

Awaitable<bool> Forwarder::RunRoute(const Route& route) {
  RoutePlan plan(route, zone_, snapshot_.health().clock());
  const Deployment* previous = nullptr;
  for (;;) {
    if (SteadyClockNow() >= deadline_ && attempts_ > 0) {
      co_return false;
    }
    RoutePlan::Pick pick = plan.Next();
    if (pick.deployment == nullptr) {
      if (plan.picks() == 0 && attempts_ == 0 && last_deployment_ == nullptr) {
        last_ = Failure{};
        last_.error = plan.Exhausted();
        retry_after_s_ = plan.retry_after_seconds();
      }
      co_return false;
    }
    const Deployment& d = *pick.deployment;
    if (previous != nullptr) {
      previous->health->CountFallback();
      ++fallbacks_;
      LogLine("fallback " + previous->id + " -> " + d.id + " for \"" + route.name +
              "\": " + last_.error.message + LogTags());
      PublishEvent(snapshot_.events(), EventType::kFallback, [&] {
        return FallbackEvent(Ev(EventType::kFallback), *previous, d, last_.error);
      });
    }
    previous = &d;
    last_deployment_ = &d;
    if (d.settings.context_window > 0 &&
        static_cast<int64_t>(ex_.body.size() / 4) > d.settings.context_window) {
      // The prompt estimate (4 bytes a token) is over this deployment's window: skip it.
      last_ = Failure{};
      last_.verdict = Verdict::kContextExceeded;
      last_.error = Error(ErrorKind::kBadRequest,
                          "the prompt (about " + std::to_string(ex_.body.size() / 4) +
                              " tokens) exceeds the context window of " + d.id + " (" +
                              std::to_string(d.settings.context_window) + " tokens)",
                          "context_length_exceeded", "messages");
      context_exceeded_ = true;
      continue;
    }
    for (int retry = 0;; ++retry) {
      if (writer_.client_gone()) {
        co_return true;  // nobody to answer: stop spending upstream attempts
      }
      Failure failure;
      if (co_await Attempt(d, pick.lease, failure)) {
        ex_.answered_by = d.id;
        answered_ = &d;
        if (d.settings.tpm > 0 && ex_.usage.present) {
          // The prompt estimate counted at dispatch, replaced by what the upstream reported.
          d.health->AddTokens(
              snapshot_.health().clock().Now(),
              ex_.usage.input_tokens + ex_.usage.output_tokens - last_prompt_estimate_);
        }
        co_return true;
      }
      const SteadyTime now = SteadyClockNow();
      if (failure.counts &&
          pick.lease.Failure(snapshot_.health().clock().Now(), router_, failure.error.message)) {
        LogLine("cooldown " + d.id + " for " + std::to_string(router_.cooldown.count()) +
                " ms after repeated failures: " + failure.error.message + LogTags());
        PublishEvent(snapshot_.events(), EventType::kCooldown, [&] {
          return CooldownEvent(Ev(EventType::kCooldown), d, router_.cooldown, failure.error);
        });
      }
      last_ = std::move(failure);
      if (last_.verdict == Verdict::kFinal) {
        co_await SendLastFailure();
        co_return true;
      }
      if (last_.verdict == Verdict::kContextExceeded) {
        context_exceeded_ = true;
        co_return false;  // the rest of this route likely has the same window
      }
      if (last_.verdict != Verdict::kRetry || retry >= route.max_retries) {
        break;
      }
      auto wait = Backoff(retry);
      if (last_.retry_after.count() >= 0) {
        wait = std::max(wait, last_.retry_after);
      }
      if (wait > router_.max_retry_wait || now + wait >= deadline_) {
        break;  // better served elsewhere than after this wait
      }
      co_await SleepUntil(now + wait);
      if (!plan.Reacquire(d, pick.lease)) {
        break;  // its breaker opened meanwhile, or its rpm is used up
      }
    }
  }
}

Awaitable<bool> Forwarder::Attempt(const Deployment& d, DeploymentLease& lease, Failure& failure) {
  Provider& provider = *d.provider;
  const Dialect upstream_dialect = provider.dialect();
  if (!provider.Supports(ex_.operation)) {
    failure.verdict = Verdict::kFallback;
    failure.counts = false;
    failure.error = Error(ErrorKind::kBadRequest,
                          "provider \"" + provider.name() + "\" does not serve this endpoint",
                          "unsupported_endpoint");
    co_return false;
  }
  bool same = SameDialect(ex_, upstream_dialect);
  const canon::Codec& upstream_codec = canon::CodecFor(upstream_dialect);
  ProviderCall call;
  call.operation = ex_.operation;
  call.stream = ex_.stream;
  call.model = d.model;
  call.client_headers = &request_.headers;
  // The deployment's output cap, and the one a budget imposes on requests without max_tokens.
  int64_t cap = d.settings.max_tokens;
  if (output_cap_ > 0 && (cap <= 0 || output_cap_ < cap)) {
    cap = output_cap_;
  }
  if (same) {
    call.body = SpliceModel(ex_, d.model);
    if (!CapMaxTokens(ex_.client, ex_.operation, call.body, cap)) {
      same = false;  // the cap is applied through the canonical form instead
    }
  }
  if (!same) {
    const canon::Request* canonical = co_await Canonical();
    if (canonical == nullptr) {
      co_return true;
    }
    if (upstream_codec.render_request == nullptr) {
      failure.verdict = Verdict::kFallback;
      failure.counts = false;
      failure.error = Error(ErrorKind::kUnavailable,
                            std::string("translation to the ") +
                                canon::DialectName(upstream_dialect) + " dialect is not available",
                            "unsupported_dialect");
      co_return false;
    }
    if (cap > 0 && (!canonical->max_tokens || *canonical->max_tokens > cap)) {
      canon::Request capped = *canonical;
      capped.max_tokens = cap;
      call.body = upstream_codec.render_request(capped, d.model);
    } else {
      call.body = upstream_codec.render_request(*canonical, d.model);
    }
  }
  AttemptClock clock;
  clock.sent_at = SteadyClockNow();
  clock.request_deadline = deadline_;
  clock.stream_start = {snapshot_.events(), request_.request_id, ex_.model,
                        ex_.zone,           KeyAlias(),          d.id};
  clock.attempt_deadline = d.settings.timeout.count() > 0
                               ? std::min(deadline_, clock.sent_at + d.settings.timeout)
                               : deadline_;
  call.deadline = clock.attempt_deadline;
  ++attempts_;
  last_prompt_estimate_ = static_cast<int64_t>(call.body.size() / 4);
  if (d.settings.tpm > 0) {
    d.health->AddTokens(snapshot_.health().clock().Now(), last_prompt_estimate_);
  }
  auto opened = co_await provider.Send(std::move(call));
  if (!opened) {
    failure.error = std::move(opened).error();
    if (failure.error.code == kConnectFailedCode) {
      failure.verdict = Verdict::kFallback;  // unreachable: another deployment, at once
    } else if (failure.error.kind == ErrorKind::kUpstreamTimeout ||
               failure.error.kind == ErrorKind::kUpstreamError) {
      failure.verdict = Verdict::kRetry;
    } else {
      // Not configured (kUnavailable) or refused before sending: nothing the upstream did.
      failure.verdict = Verdict::kFallback;
      failure.counts = false;
    }
    co_return false;
  }
  std::unique_ptr<UpstreamBody> upstream = std::move(opened).value();
  const int status = upstream->status();
  if (status >= 400) {
    auto body = co_await upstream->ReadAll(kMaxUpstreamErrorBody);
    failure.status = status;
    if (body) {
      failure.body = std::move(body).value();
    }
    CopyPassThroughHeaders(upstream->headers(), failure.headers);
    failure.retry_after = RetryAfter(upstream->headers());
    failure.error = UpstreamError(upstream_dialect, d, status, failure.body);
    if (IsRetryableStatus(status)) {
      failure.verdict = Verdict::kRetry;
    } else if (status == 401 || status == 403 || status == 404) {
      failure.verdict = Verdict::kFallback;  // wrong key, missing model: this deployment only
    } else if (IsContextWindowError(failure.error)) {
      failure.verdict = Verdict::kContextExceeded;
      failure.counts = false;
    } else {
      failure.verdict = Verdict::kFinal;
      failure.counts = false;
    }
    co_return false;
  }
  HttpHeaders headers;
  headers.reserve(12);
  CopyPassThroughHeaders(upstream->headers(), headers);
  AddBatonHeaders(d, headers);
  AddDialectHeaders(ex_.client, request_, headers);
  if (ex_.stream && !IsJsonBody(*upstream)) {
    RelayOutcome outcome;
    if (same && ex_.client == Dialect::kOpenAiChat) {
      outcome = co_await RelayOpenAiStream(writer_, std::move(headers), *upstream,
                                           ex_.include_usage, clock, lease, ex_.usage, ex_.tally);
    } else {
      if (upstream_codec.make_decoder == nullptr || client_codec_.make_encoder == nullptr) {
        co_await SendError(Error(ErrorKind::kInternal, "stream translation not available"),
                           std::move(headers));
        co_return true;
      }
      auto decoder = upstream_codec.make_decoder();
      canon::Request fallback_request;
      const canon::Request& client_request = ex_.canonical ? *ex_.canonical : fallback_request;
      if (!ex_.canonical) {
        fallback_request.model = ex_.model;
        fallback_request.stream = true;
      }
      auto encoder = client_codec_.make_encoder(client_request);
      outcome = co_await RelayDecodedStream(writer_, std::move(headers), *upstream, *decoder,
                                            *encoder, same, clock, lease, ex_.usage, ex_.tally);
    }
    if (outcome.committed) {
      co_return true;
    }
    failure.verdict = Verdict::kRetry;
    failure.error = std::move(outcome.error);
    co_return false;
  }
  auto body = co_await upstream->ReadAll(kMaxUpstreamBody);
  if (!body) {
    failure.verdict = Verdict::kRetry;
    failure.error = std::move(body).error();
    co_return false;
  }
  lease.Success(Since(clock.sent_at));
  if (same && !ex_.stream) {
    if (upstream_dialect == Dialect::kOpenAiChat || ex_.operation == Operation::kEmbeddings) {
      ex_.usage = ToCanonical(openai::FindUsage(*body));
    } else if (upstream_codec.parse_response != nullptr) {
      // Anthropic, Gemini, Ollama: their usage sits in dialect-specific members; the body
      // still goes out untouched.
      if (auto parsed = upstream_codec.parse_response(*body)) {
        ex_.usage = parsed->usage;
      }
    }
    answered_ = &d;
    Account();
    co_await Record(true, 200);
    co_await SendJson(writer_, 200, std::move(*body), std::move(headers));
    co_return true;
  }
  // Translate the answer (or, for a stream request answered with JSON, replay it as events).
  canon::Response response;
  if (upstream_codec.parse_response != nullptr) {
    auto parsed = upstream_codec.parse_response(*body);
    if (!parsed) {
      Error e(ErrorKind::kUpstreamError,
              "upstream provider \"" + provider.name() +
                  "\" sent an answer that could not be read: " + parsed.error().message,
              "upstream_error");
      co_await SendError(e, std::move(headers));
      co_return true;
    }
    response = std::move(parsed).value();
    ex_.usage = response.usage;
  }
  canon::Request fallback_request;
  fallback_request.model = ex_.model;
  const canon::Request& client_request = ex_.canonical ? *ex_.canonical : fallback_request;
  if (ex_.stream) {
    if (!co_await writer_.Begin(200, StreamHeaders(std::exchange(headers, {})))) {
      co_return true;
    }
    auto encoder = client_codec_.make_encoder(client_request);
    std::string out;
    for (const auto& ev : ResponseToEvents(response)) {
      encoder->Encode(ev, out);
    }
    co_await writer_.WriteAndEnd(out);
    co_return true;
  }
  std::string rendered = client_codec_.render_response(response, client_request);
  answered_ = &d;
  Account();
  co_await Record(true, 200);
  co_await SendJson(writer_, 200, std::move(rendered), std::move(headers));
  co_return true;
}

Awaitable<void> Forwarder::SendLastFailure() {
  HttpHeaders headers = last_.headers;
  if (last_deployment_ != nullptr) {
    AddBatonHeaders(*last_deployment_, headers);
  }
  if (retry_after_s_ > 0 && FindHeader(headers, "retry-after").empty()) {
    headers.push_back({"retry-after", std::to_string(retry_after_s_)});
  }
  const int status = last_.status;
  if (status > 0 && last_deployment_ != nullptr) {
    // An upstream's own error answer. Same dialect and a 4xx with a proper error body: relayed
    // as it is. Otherwise rendered in the client's dialect (5xx become 502).
    const Dialect upstream_dialect = last_deployment_->provider->dialect();
    if (status < 500 && upstream_dialect == ex_.client && !last_.body.empty() &&
        last_.body.front() == '{' && last_.body.find("\"error\"") != std::string::npos) {
      AddDialectHeaders(ex_.client, request_, headers);
      error_code_ = last_.error.code.empty() ? "upstream_error" : last_.error.code;
      co_await SendJson(writer_, status, std::move(last_.body), std::move(headers));
      co_return;
    }
  }
  co_await SendError(last_.error, std::move(headers));
}

}  // namespace

Awaitable<bool> SendDialectError(ResponseWriter& writer, Dialect dialect,
                                 const HttpRequest& request, const Error& error,
                                 HttpHeaders extra) {
  const canon::Codec& codec = canon::CodecFor(dialect);
  if (dialect == Dialect::kOpenAiChat || codec.render_error == nullptr) {
    co_return co_await SendOpenAiError(writer, error, std::move(extra));
  }
  AddDialectHeaders(dialect, request, extra);
  co_return co_await SendJson(writer, codec.error_status(error), codec.render_error(error),
                              std::move(extra));
}

canon::StreamEvents ResponseToEvents(const canon::Response& response) {
  using Type = canon::StreamEvent::Type;
  canon::StreamEvents events;
  canon::StreamEvent start;
  start.type = Type::kStart;
  start.id = response.id;
  start.name = response.model;
  events.push_back(std::move(start));
  int tool_index = 0;
  for (const auto& part : response.content) {
    canon::StreamEvent ev;
    switch (part.type) {
      case canon::Part::Type::kText:
        ev.type = Type::kTextDelta;
        ev.text = part.text;
        events.push_back(std::move(ev));
        break;
      case canon::Part::Type::kThinking:
        ev.type = Type::kThinkingDelta;
        ev.text = part.text;
        events.push_back(ev);
        if (!part.signature.empty()) {
          ev.type = Type::kSignatureDelta;
          ev.text = part.signature;
          events.push_back(std::move(ev));
        }
        break;
      case canon::Part::Type::kRedactedThinking:
        ev.type = Type::kRedactedThinking;
        ev.text = part.data;
        events.push_back(std::move(ev));
        break;
      case canon::Part::Type::kToolCall:
        ev.type = Type::kToolCallStart;
        ev.tool_index = tool_index;
        ev.id = part.id;
        ev.name = part.name;
        events.push_back(ev);
        ev.type = Type::kToolArgsDelta;
        ev.text = part.arguments;
        events.push_back(std::move(ev));
        ++tool_index;
        break;
      default:
        break;
    }
  }
  canon::StreamEvent finish;
  finish.type = Type::kFinish;
  finish.finish = response.finish;
  finish.stop_sequence = response.stop_sequence;
  events.push_back(std::move(finish));
  if (response.usage.present) {
    canon::StreamEvent usage;
    usage.type = Type::kUsage;
    usage.usage = response.usage;
    events.push_back(std::move(usage));
  }
  canon::StreamEvent end;
  end.type = Type::kEnd;
  events.push_back(std::move(end));
  return events;
}

uint64_t Forwarder::RecordNow(int status) {
  RequestLog* log = snapshot_.request_log();
  Metrics* metrics = snapshot_.metrics();
  if (recorded_ || (log == nullptr && metrics == nullptr &&
                    !Listening(snapshot_.events(), EventType::kRequestComplete))) {
    return 0;
  }
  recorded_ = true;
  RequestRecord r;
  r.time_ms = UnixMillis();
  r.request_id = request_.request_id;
  if (ex_.caller != nullptr && ex_.caller->key.key != nullptr) {
    const KeyRecord& key = *ex_.caller->key.key;
    r.key_alias = key.alias;
    r.key_hash = key.key_hash;
    r.key_prefix = key.key_prefix;
    r.team_id = key.team_id;
  }
  r.zone = ex_.zone;
  r.session = ex_.session;
  r.dialect = canon::DialectName(ex_.client);
  r.operation = ex_.operation == Operation::kEmbeddings ? "embeddings" : "chat";
  r.model_asked = model_asked_;
  if (answered_ != nullptr) {
    r.model_used = answered_->id;
    r.provider = answered_->provider->name();
  }
  r.attempts = attempts_;
  r.fallbacks = fallbacks_;
  if (status == 0) {
    status = writer_.status() != 0 ? writer_.status() : 499;  // 499: the client went away
  }
  r.status = status;
  r.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClockNow() - started_).count();
  if (ex_.stream && ex_.tally.first_content != SteadyTime{}) {
    r.ttft_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(ex_.tally.first_content - started_)
            .count();
  }
  r.prompt_tokens = ex_.billed.prompt;
  r.completion_tokens = ex_.billed.completion;
  r.cached_tokens = ex_.billed.cached_prompt;
  r.cost = ex_.cost;
  r.error = error_code_;
  if (r.error.empty() && ex_.stream && answered_ != nullptr && !ex_.tally.complete) {
    r.error = "stream_cut";
  }
  r.stream = ex_.stream;
  if (metrics != nullptr) {
    metrics->Observe(r, admission_.refused_budget ? ScopeKind(admission_.refused_budget->scope)
                                                  : std::string_view());
  }
  PublishEvent(snapshot_.events(), EventType::kRequestComplete,
               [&] { return CompleteEvent(Ev(EventType::kRequestComplete), r); });
  if (log == nullptr) {
    return 0;
  }
  if (snapshot_.config().log.content) {
    r.content = ex_.body;  // redacted by the log's writer thread, off the request path
  }
  auto seq = log->Append(std::move(r));
  if (!seq) {
    LogLine("request record lost: " + seq.error().message + LogTags());
    return 0;
  }
  return *seq;
}

Awaitable<void> Forwarder::Record(bool wait, int status) {
  const uint64_t seq = RecordNow(status);
  if (wait && seq != 0) {
    // A failing log keeps the record queued and writes it on recovery; this answer still goes
    // out (the next requests are refused while it fails).
    (void)co_await snapshot_.request_log()->Written(seq);
  }
}

Awaitable<void> ForwardChat(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            Exchange& ex) {
  Forwarder forwarder(snapshot, request, writer, ex);
  co_await forwarder.Run();
  forwarder.Account();
  co_await forwarder.Record(false);
}

}  // namespace baton
