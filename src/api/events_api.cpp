// One subscription per client; the transports differ only in framing. Waits are bounded (1 s) so
// a draining server ends feeds promptly, and an idle SSE feed sends a comment every 15 s so that
// a vanished client is noticed by the failed write.
#include "api/events_api.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "api/respond.hpp"
#include "core/json_text.hpp"
#include "pipeline/auth.hpp"
#include "telemetry/events.hpp"

namespace baton {

namespace {

constexpr std::chrono::milliseconds kWait{1000};
constexpr std::chrono::seconds kSseKeepAlive{15};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::string SubscribedJson(EventTypeMask types) {
  std::string out =
      R"({"type":"events.subscribed","time":)" + std::to_string(NowMs()) + R"(,"types":[)";
  bool first = true;
  for (int i = 0; i < kEventTypeCount; ++i) {
    if ((types & (1U << i)) == 0) {
      continue;
    }
    if (!first) {
      out += ',';
    }
    first = false;
    AppendJsonString(out, EventTypeName(static_cast<EventType>(i)));
  }
  return out + "]}";
}

std::string DroppedJson(uint64_t count) {
  return R"({"type":"events.dropped","time":)" + std::to_string(NowMs()) + R"(,"count":)" +
         std::to_string(count) + "}";
}

// The WebSocket feed: frames are views into the batch it keeps until the next call.
class WebSocketFeed final : public WebSocketSource {
 public:
  WebSocketFeed(EventSubscription& subscription, const std::function<bool()>& draining,
                boost::asio::any_io_executor delivery)
      : subscription_(subscription), draining_(draining), delivery_(std::move(delivery)) {}

  // The bus's low-priority delivery thread: sending to subscribers never takes a request
  // thread's CPU.
  std::optional<boost::asio::any_io_executor> executor() const override { return delivery_; }

  Awaitable<bool> Next(std::vector<std::string_view>& frames) override {
    if (!greeted_) {
      greeted_ = true;
      notice_ = SubscribedJson(subscription_.types());
      frames.emplace_back(notice_);
      co_return true;
    }
    batch_ = co_await subscription_.Next(kWait);
    if (batch_.cancelled || (draining_ && draining_())) {
      co_return false;
    }
    if (batch_.dropped > 0) {
      notice_ = DroppedJson(batch_.dropped);
      frames.emplace_back(notice_);
    }
    for (const auto& event : batch_.events) {
      frames.emplace_back(event->json);
    }
    co_return true;
  }

 private:
  EventSubscription& subscription_;
  const std::function<bool()>& draining_;
  boost::asio::any_io_executor delivery_;
  EventSubscription::Batch batch_;
  std::string notice_;
  bool greeted_ = false;
};

void AppendSse(std::string& out, std::string_view type, std::string_view json) {
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += json;
  out += "\n\n";
}

Awaitable<void> ServeSse(EventSubscription& subscription, ResponseWriter& writer,
                         const std::function<bool()>& draining) {
  HttpHeaders headers;
  headers.push_back({"content-type", "text/event-stream"});
  headers.push_back({"cache-control", "no-cache"});
  headers.push_back({"x-accel-buffering", "no"});
  if (!co_await writer.Begin(200, std::move(headers))) {
    co_return;
  }
  std::string out;
  AppendSse(out, "events.subscribed", SubscribedJson(subscription.types()));
  if (!co_await writer.Write(out)) {
    co_return;
  }
  auto last_write = std::chrono::steady_clock::now();
  for (;;) {
    EventSubscription::Batch batch = co_await subscription.Next(kWait);
    if (batch.cancelled || writer.client_gone() || (draining && draining())) {
      break;
    }
    out.clear();
    if (batch.dropped > 0) {
      AppendSse(out, "events.dropped", DroppedJson(batch.dropped));
    }
    for (const auto& event : batch.events) {
      AppendSse(out, EventTypeName(event->type), event->json);
    }
    const auto now = std::chrono::steady_clock::now();
    if (out.empty()) {
      if (now - last_write < kSseKeepAlive) {
        continue;
      }
      out = ": keep-alive\n\n";
    }
    if (!co_await writer.Write(out)) {
      co_return;
    }
    last_write = now;
  }
  if (!writer.client_gone()) {
    co_await writer.End();
  }
}

// Why the request cannot subscribe (nullopt: it can). Plain function: g++ 12 miscompiles some
// temporaries built inside co_await expressions.
std::optional<Error> Refusal(const Snapshot& snapshot, const HttpRequest& request, bool websocket,
                             bool sse) {
  if (request.method != "GET") {
    return Error(ErrorKind::kBadRequest,
                 "Method " + request.method + " is not allowed for /events.", "method_not_allowed");
  }
  // Header only: a key in the URL would end up in proxy and access logs.
  if (Status auth = Authenticate(snapshot.config().server, request.headers); !auth) {
    return auth.error();
  }
  if (snapshot.events() == nullptr) {
    return Error(ErrorKind::kNotFound, "Live events are off ([events] enabled = false).",
                 "events_disabled");
  }
  if (!websocket && !sse) {
    return Error(ErrorKind::kBadRequest,
                 "GET /events is a WebSocket (Upgrade: websocket) or an event stream "
                 "(Accept: text/event-stream, or ?format=sse).",
                 "unsupported_transport");
  }
  return std::nullopt;
}

}  // namespace

Awaitable<void> HandleEvents(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                             std::function<bool()> draining) {
  const bool websocket = IsWebSocketUpgrade(request);
  const bool sse = request.Header("accept").find("text/event-stream") != std::string_view::npos ||
                   QueryParam(request.query, "format") == "sse";
  std::optional<Error> refusal = Refusal(snapshot, request, websocket, sse);
  Result<EventTypeMask> types = ParseEventTypes(QueryParam(request.query, "types"));
  if (!refusal && !types) {
    refusal = types.error();
  }
  if (refusal) {
    co_await SendOpenAiError(writer, *refusal);
    co_return;
  }
  std::unique_ptr<EventSubscription> subscription = snapshot.events()->Subscribe(*types);
  if (websocket) {
    WebSocketFeed feed(*subscription, draining, snapshot.events()->delivery_executor());
    if (!co_await writer.ServeWebSocket(request, feed)) {
      Error bad(ErrorKind::kBadRequest, "Bad WebSocket upgrade.", "bad_upgrade");
      co_await SendOpenAiError(writer, bad);
    }
    co_return;
  }
  co_await ServeSse(*subscription, writer, draining);
}

}  // namespace baton
