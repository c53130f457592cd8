// POST /v1/chat/completions in front, for OpenAI-dialect upstreams.
//
// Why it looks like this:
// - the body is forwarded with only `model` (and, when streaming, `stream_options`) spliced in,
//   so whatever the client sent reaches the upstream byte for byte (DESIGN.md §1.3);
// - usage is always requested upstream when streaming so the gateway can account for tokens, and
//   the separate usage chunk is dropped again when the client did not ask for it;
// - the next deployment is tried only while nothing has been sent to the client: a failure before
//   the response head (connect error, timeout, 429/5xx) falls through; after the head, a failure
//   is reported inside the stream and the stream is still terminated with [DONE];
// - a client that goes away makes Write() fail; returning then destroys the upstream body, which
//   closes the upstream connection and so cancels the upstream request.
#include "api/openai_chat.hpp"

#include "api/respond.hpp"
#include "dialects/embeddings/embeddings.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/sse.hpp"

namespace baton {

namespace {

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

HttpHeaders ResponseHeaders(const Deployment& d, int attempts, const UpstreamBody* upstream) {
  HttpHeaders headers;
  headers.reserve(12);
  if (upstream != nullptr) {
    CopyPassThroughHeaders(upstream->headers(), headers);
  }
  headers.push_back({"x-baton-provider", d.provider->name()});
  headers.push_back({"x-baton-model", d.id});
  headers.push_back({"x-baton-attempts", std::to_string(attempts)});
  return headers;
}

bool IsEventStream(const UpstreamBody& body) {
  return StartsWithIgnoreCase(FindHeader(body.headers(), "content-type"), "text/event-stream");
}

// An upstream HTTP error as the client sees it: 4xx keep their status and OpenAI-shaped body;
// 5xx become 502 naming the upstream status.
Awaitable<void> RelayUpstreamError(ResponseWriter& writer, const Deployment& d, int attempts,
                                   const UpstreamBody& upstream, std::string body) {
  HttpHeaders headers = ResponseHeaders(d, attempts, &upstream);
  int status = upstream.status();
  std::string message = openai::UpstreamErrorMessage(body);
  if (status >= 500) {
    Error e(ErrorKind::kUpstreamError,
            "upstream provider \"" + d.provider->name() + "\" returned HTTP " +
                std::to_string(status) + (message.empty() ? "" : ": " + message),
            "upstream_error");
    co_await SendOpenAiError(writer, e, std::move(headers));
    co_return;
  }
  if (!message.empty() && body.find("\"error\"") != std::string::npos && body.front() == '{') {
    co_await SendJson(writer, status, std::move(body), std::move(headers));
    co_return;
  }
  ErrorKind kind = ErrorKind::kBadRequest;
  switch (status) {
    case 401:
      kind = ErrorKind::kUnauthorized;
      break;
    case 403:
      kind = ErrorKind::kForbidden;
      break;
    case 404:
      kind = ErrorKind::kNotFound;
      break;
    case 429:
      kind = ErrorKind::kRateLimited;
      break;
    default:
      break;
  }
  Error e(kind, "upstream provider \"" + d.provider->name() + "\" returned HTTP " +
                    std::to_string(status));
  headers.push_back({"content-type", "application/json"});
  co_await writer.Send(status, std::move(headers), openai::RenderError(e));
}

void AppendErrorEvent(std::string& out, const Error& error) {
  out += "data: ";
  out += openai::RenderError(error);
  out += "\n\ndata: [DONE]\n\n";
}

// Relays an upstream SSE stream to the client, event by event.
Awaitable<void> RelayStream(ResponseWriter& writer, const Deployment& d, int attempts,
                            UpstreamBody& upstream, bool client_wants_usage,
                            std::chrono::steady_clock::time_point deadline) {
  HttpHeaders headers = ResponseHeaders(d, attempts, &upstream);
  headers.push_back({"content-type", "text/event-stream"});
  headers.push_back({"cache-control", "no-cache"});
  if (!co_await writer.Begin(200, std::move(headers))) {
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
      AppendErrorEvent(
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
      AppendErrorEvent(
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
    AppendErrorEvent(
        out, Error(ErrorKind::kUpstreamError,
                   "the upstream ended the stream before it was complete", "upstream_error"));
  }
  co_await writer.WriteAndEnd(out);
  // Read the upstream body to its end so its connection goes back to the pool; an upstream that
  // does not end its body promptly after [DONE] loses the connection instead.
  co_await upstream.Drain(kDrainAfterDone);
}

// Routes one OpenAI-dialect request (already validated) to its deployments, falling through to the
// next one while nothing has been sent to the client.
Awaitable<void> Forward(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                        Operation operation, std::string model, bool stream, bool include_usage) {
  Route scratch;
  auto route = snapshot.Resolve(model, scratch);
  if (!route) {
    co_await SendOpenAiError(writer, route.error());
    co_return;
  }
  const auto& deployments = (*route)->deployments;
  const auto deadline = std::chrono::steady_clock::now() + snapshot.config().server.request_timeout;
  Error last_error(ErrorKind::kUnavailable, "no deployment could serve the request");
  for (std::size_t i = 0; i < deployments.size(); ++i) {
    const Deployment& d = deployments[i];
    const bool last = i + 1 == deployments.size();
    const int attempts = static_cast<int>(i) + 1;
    ProviderCall call;
    call.operation = operation;
    call.stream = stream;
    call.deadline = deadline;
    call.body = openai::RewriteChatRequest(request.body, d.model, stream);
    auto opened = co_await d.provider->Send(std::move(call));
    if (!opened) {
      last_error = std::move(opened).error();
      if (!last && IsRetryableError(last_error)) {
        continue;
      }
      co_await SendOpenAiError(writer, last_error, ResponseHeaders(d, attempts, nullptr));
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
      co_await RelayUpstreamError(writer, d, attempts, *upstream, std::move(error_body));
      co_return;
    }
    if (stream && IsEventStream(*upstream)) {
      co_await RelayStream(writer, d, attempts, *upstream, include_usage, deadline);
      co_return;
    }
    auto body = co_await upstream->ReadAll(kMaxUpstreamBody);
    if (!body) {
      last_error = std::move(body).error();
      if (!last) {
        continue;
      }
      co_await SendOpenAiError(writer, last_error, ResponseHeaders(d, attempts, nullptr));
      co_return;
    }
    HttpHeaders headers = ResponseHeaders(d, attempts, upstream.get());
    co_await SendJson(writer, 200, std::move(*body), std::move(headers));
    co_return;
  }
  co_await SendOpenAiError(writer, last_error);
}

}  // namespace

Awaitable<void> HandleOpenAiChat(const Snapshot& snapshot, HttpRequest& request,
                                 ResponseWriter& writer) {
  auto info = openai::InspectChatRequest(request.body);
  if (!info) {
    co_await SendOpenAiError(writer, info.error());
    co_return;
  }
  co_await Forward(snapshot, request, writer, Operation::kChatCompletions, info->model,
                   info->stream, info->include_usage);
}

Awaitable<void> HandleOpenAiEmbeddings(const Snapshot& snapshot, HttpRequest& request,
                                       ResponseWriter& writer) {
  auto info = embeddings::InspectEmbeddingsRequest(request.body);
  if (!info) {
    co_await SendOpenAiError(writer, info.error());
    co_return;
  }
  co_await Forward(snapshot, request, writer, Operation::kEmbeddings, info->model,
                   /*stream=*/false, /*include_usage=*/false);
}

}  // namespace baton
