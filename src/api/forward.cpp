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

#include "api/respond.hpp"
#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/sse.hpp"

namespace baton {

namespace {

using canon::Dialect;

constexpr std::size_t kMaxUpstreamErrorBody = 1U << 20;
constexpr std::size_t kMaxUpstreamBody = 64U << 20;
constexpr std::chrono::milliseconds kDrainAfterDone{1000};

bool IsRetryableStatus(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

bool IsRetryableError(const Error& e) {
  return e.kind == ErrorKind::kUpstreamError || e.kind == ErrorKind::kUpstreamTimeout ||
         e.kind == ErrorKind::kUnavailable;
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
    headers.push_back({"request-id", "req_" + request.request_id});
  }
}

HttpHeaders ResponseHeaders(const Exchange& ex, const HttpRequest& request, const Deployment& d,
                            int attempts, const UpstreamBody* upstream) {
  HttpHeaders headers;
  headers.reserve(12);
  if (upstream != nullptr) {
    CopyPassThroughHeaders(upstream->headers(), headers);
  }
  headers.push_back({"x-baton-provider", d.provider->name()});
  headers.push_back({"x-baton-model", d.id});
  headers.push_back({"x-baton-attempts", std::to_string(attempts)});
  AddDialectHeaders(ex.client, request, headers);
  return headers;
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

// An upstream HTTP error as the client sees it. Same dialect and 4xx with a proper error body:
// relayed as it is. Otherwise rendered in the client's dialect (5xx become 502).
Awaitable<void> RelayUpstreamError(ResponseWriter& writer, const HttpRequest& request,
                                   const Exchange& ex, const Deployment& d, int attempts,
                                   const UpstreamBody& upstream, std::string body) {
  HttpHeaders headers = ResponseHeaders(ex, request, d, attempts, &upstream);
  const int status = upstream.status();
  const Dialect upstream_dialect = d.provider->dialect();
  if (status < 500 && upstream_dialect == ex.client && !body.empty() && body.front() == '{' &&
      body.find("\"error\"") != std::string::npos) {
    co_await SendJson(writer, status, std::move(body), std::move(headers));
    co_return;
  }
  Error e = UpstreamError(upstream_dialect, d, status, body);
  co_await SendDialectError(writer, ex.client, request, e, std::move(headers));
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

// OpenAI → OpenAI: relays the upstream SSE stream event by event, untouched except for the usage
// chunk the client did not ask for.
Awaitable<void> RelayOpenAiStream(ResponseWriter& writer, HttpHeaders headers,
                                  UpstreamBody& upstream, bool client_wants_usage,
                                  std::chrono::steady_clock::time_point deadline) {
  if (!co_await writer.Begin(200, StreamHeaders(std::move(headers)))) {
    co_return;
  }
  SseSplitter splitter;
  std::string out;
  bool done = false;
  auto on_event = [&](const SseEvent& ev) {
    if (!ev.has_data) {
      out.append(ev.raw);
      return true;
    }
    if (ev.data == "[DONE]") {
      done = true;
      out.append(ev.raw);
      return true;
    }
    // The usage chunk was asked for by Baton (for accounting, which will read it here with
    // openai::ParseUsage); the client sees it only if it asked for it too.
    if (!client_wants_usage && openai::IsUsageOnlyChunk(ev.data)) {
      return true;
    }
    out.append(ev.raw);
    return true;
  };
  for (;;) {
    auto piece = co_await upstream.Read();
    if (!piece) {
      AppendOpenAiErrorEvent(
          out, Error(ErrorKind::kUpstreamError,
                     "the upstream stream failed: " + piece.error().message, "upstream_error"));
      co_await writer.WriteAndEnd(out);
      co_return;
    }
    if (piece->empty()) {
      break;
    }
    splitter.Feed(*piece, on_event);
    if (!done && std::chrono::steady_clock::now() > deadline) {
      AppendOpenAiErrorEvent(
          out, Error(ErrorKind::kUpstreamTimeout,
                     "the request exceeded its time limit (request_timeout)", "request_timeout"));
      co_await writer.WriteAndEnd(out);
      co_return;
    }
    if (done || upstream.finished()) {
      // [DONE] is the last event: the client's response ends now, in this write, without
      // waiting for the upstream's own end of body (often a separate segment).
      break;
    }
    if (!out.empty()) {
      if (!co_await writer.Write(out)) {
        co_return;  // client gone: the upstream body is destroyed by our caller
      }
      out.clear();
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
}

// Any other stream: decoded into canonical events as bytes arrive. Across dialects the events
// are encoded in the client's dialect; within one dialect (Anthropic, Gemini) the upstream bytes
// are passed through untouched and the decoder only tells whether the stream completed, so a cut
// stream still gets a proper error ending.
Awaitable<void> RelayDecodedStream(ResponseWriter& writer, HttpHeaders headers,
                                   UpstreamBody& upstream, canon::StreamDecoder& decoder,
                                   canon::StreamEncoder& encoder, bool passthrough,
                                   std::chrono::steady_clock::time_point deadline) {
  if (!co_await writer.Begin(200, StreamHeaders(std::move(headers)))) {
    co_return;
  }
  canon::StreamEvents events;
  std::string out;
  bool ended = false;  // kEnd or kError has been encoded: nothing more goes to the client
  auto flush_events = [&] {
    for (const auto& ev : events) {
      if (ended) {
        break;
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
      events.push_back(ErrorEvent(ErrorKind::kUpstreamError,
                                  "the upstream stream failed: " + piece.error().message,
                                  "upstream_error"));
      flush_events();
      co_await writer.WriteAndEnd(out);
      co_return;
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
    if (!ended && std::chrono::steady_clock::now() > deadline) {
      events.push_back(ErrorEvent(ErrorKind::kUpstreamTimeout,
                                  "the request exceeded its time limit (request_timeout)",
                                  "request_timeout"));
      flush_events();
      co_await writer.WriteAndEnd(out);
      co_return;
    }
    if (ended) {
      break;
    }
    if (!out.empty()) {
      if (!co_await writer.Write(out)) {
        co_return;
      }
      out.clear();
    }
  }
  co_await writer.WriteAndEnd(out);
  co_await upstream.Drain(kDrainAfterDone);
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

Awaitable<void> ForwardChat(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            Exchange& ex) {
  Route scratch;
  auto route = snapshot.Resolve(ex.model, scratch);
  if (!route) {
    co_await SendDialectError(writer, ex.client, request, route.error());
    co_return;
  }
  const auto& deployments = (*route)->deployments;
  const auto deadline = std::chrono::steady_clock::now() + snapshot.config().server.request_timeout;
  Error last_error(ErrorKind::kUnavailable, "no deployment could serve the request");
  const canon::Codec& client_codec = canon::CodecFor(ex.client);
  for (std::size_t i = 0; i < deployments.size(); ++i) {
    const Deployment& d = deployments[i];
    const bool last = i + 1 == deployments.size();
    const int attempts = static_cast<int>(i) + 1;
    Provider& provider = *d.provider;
    const Dialect upstream_dialect = provider.dialect();
    if (!provider.Supports(ex.operation)) {
      last_error = Error(ErrorKind::kBadRequest,
                         "provider \"" + provider.name() + "\" does not serve this endpoint",
                         "unsupported_endpoint");
      continue;
    }
    const bool same = SameDialect(ex, upstream_dialect);
    const canon::Codec& upstream_codec = canon::CodecFor(upstream_dialect);
    ProviderCall call;
    call.operation = ex.operation;
    call.stream = ex.stream;
    call.deadline = deadline;
    call.model = d.model;
    call.client_headers = &request.headers;
    if (same) {
      call.body = SpliceModel(ex, d.model);
    } else {
      if (!ex.canonical) {
        if (client_codec.parse_request == nullptr) {
          co_await SendDialectError(writer, ex.client, request,
                                    Error(ErrorKind::kInternal, "dialect not available"));
          co_return;
        }
        auto parsed = client_codec.parse_request(ex.body);
        if (!parsed) {
          co_await SendDialectError(writer, ex.client, request, parsed.error());
          co_return;
        }
        ex.canonical = std::move(parsed).value();
        ex.canonical->stream = ex.stream;
        ex.canonical->include_usage = ex.canonical->include_usage || ex.include_usage;
      }
      if (upstream_codec.render_request == nullptr) {
        last_error = Error(ErrorKind::kUnavailable,
                           std::string("translation to the ") +
                               canon::DialectName(upstream_dialect) + " dialect is not available",
                           "unsupported_dialect");
        continue;
      }
      call.body = upstream_codec.render_request(*ex.canonical, d.model);
    }
    auto opened = co_await provider.Send(std::move(call));
    if (!opened) {
      last_error = std::move(opened).error();
      if (!last && IsRetryableError(last_error)) {
        continue;
      }
      co_await SendDialectError(writer, ex.client, request, last_error,
                                ResponseHeaders(ex, request, d, attempts, nullptr));
      co_return;
    }
    std::unique_ptr<UpstreamBody> upstream = std::move(opened).value();
    const int status = upstream->status();
    if (status >= 400) {
      auto body = co_await upstream->ReadAll(kMaxUpstreamErrorBody);
      if (!last && IsRetryableStatus(status)) {
        continue;
      }
      std::string error_body;  // a named value: g++ 12 double-frees ?: temporaries in co_await
      if (body) {
        error_body = std::move(body).value();
      }
      co_await RelayUpstreamError(writer, request, ex, d, attempts, *upstream,
                                  std::move(error_body));
      co_return;
    }
    HttpHeaders headers = ResponseHeaders(ex, request, d, attempts, upstream.get());
    if (ex.stream && !IsJsonBody(*upstream)) {
      if (same && ex.client == Dialect::kOpenAiChat) {
        co_await RelayOpenAiStream(writer, std::move(headers), *upstream, ex.include_usage,
                                   deadline);
        co_return;
      }
      if (upstream_codec.make_decoder == nullptr || client_codec.make_encoder == nullptr) {
        co_await SendDialectError(writer, ex.client, request,
                                  Error(ErrorKind::kInternal, "stream translation not available"),
                                  std::move(headers));
        co_return;
      }
      auto decoder = upstream_codec.make_decoder();
      canon::Request fallback_request;
      const canon::Request& client_request = ex.canonical ? *ex.canonical : fallback_request;
      if (!ex.canonical) {
        fallback_request.model = ex.model;
        fallback_request.stream = true;
      }
      auto encoder = client_codec.make_encoder(client_request);
      co_await RelayDecodedStream(writer, std::move(headers), *upstream, *decoder, *encoder, same,
                                  deadline);
      co_return;
    }
    auto body = co_await upstream->ReadAll(kMaxUpstreamBody);
    if (!body) {
      last_error = std::move(body).error();
      if (!last) {
        continue;
      }
      co_await SendDialectError(writer, ex.client, request, last_error,
                                ResponseHeaders(ex, request, d, attempts, nullptr));
      co_return;
    }
    if (same && !ex.stream) {
      co_await SendJson(writer, 200, std::move(*body), std::move(headers));
      co_return;
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
        co_await SendDialectError(writer, ex.client, request, e, std::move(headers));
        co_return;
      }
      response = std::move(parsed).value();
    }
    canon::Request fallback_request;
    fallback_request.model = ex.model;
    const canon::Request& client_request = ex.canonical ? *ex.canonical : fallback_request;
    if (ex.stream) {
      if (!co_await writer.Begin(200, StreamHeaders(std::move(headers)))) {
        co_return;
      }
      auto encoder = client_codec.make_encoder(client_request);
      std::string out;
      for (const auto& ev : ResponseToEvents(response)) {
        encoder->Encode(ev, out);
      }
      co_await writer.WriteAndEnd(out);
      co_return;
    }
    co_await SendJson(writer, 200, client_codec.render_response(response, client_request),
                      std::move(headers));
    co_return;
  }
  co_await SendDialectError(writer, ex.client, request, last_error);
}

}  // namespace baton
