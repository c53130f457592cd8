// The narrow HTTP interface between the server and request handlers.
//
// Handlers see plain messages (HttpRequest), a ResponseWriter and asio::awaitable — never Beast —
// so handler translation units compile fast (DESIGN.md §10). The server owns the connection; a
// handler is co_awaited at once by the connection loop, so it may take its arguments by reference.
// Thread-safety: one request and its writer belong to one connection on one thread (strand of its
// io_context); nothing here is shared across threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "core/awaitable.hpp"
#include "core/http_types.hpp"

namespace baton {

// Not movable once built: path and query are views into target.
struct HttpRequest {
  HttpRequest() = default;
  HttpRequest(const HttpRequest&) = delete;
  HttpRequest& operator=(const HttpRequest&) = delete;

  std::string method;      // "GET", "POST", ...
  std::string target;      // raw request target: path plus query
  std::string_view path;   // view into target, without the query
  std::string_view query;  // view into target, after '?', may be empty
  HttpHeaders headers;
  std::string body;
  std::string request_id;  // the x-request-id this response will carry (read-only for handlers)
  std::string remote_address;

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

// True for a WebSocket upgrade request (GET with `Upgrade: websocket`).
inline bool IsWebSocketUpgrade(const HttpRequest& request) {
  return request.method == "GET" && EqualsIgnoreCase(request.Header("upgrade"), "websocket");
}

// What a WebSocket session sends (ResponseWriter::ServeWebSocket).
class WebSocketSource {
 public:
  virtual ~WebSocketSource() = default;
  // Waits for the next text messages and appends them to `frames`, one frame each; the views
  // must stay valid until the next call. Returning false ends the session (a close frame goes
  // out after `frames`). The wait is cancelled (the coroutine's cancellation) when the client
  // closes or goes away; the session then ends whatever this returns.
  virtual Awaitable<bool> Next(std::vector<std::string_view>& frames) = 0;
  // Where the session should run (nullopt: on the connection's own thread). Given, the server
  // hands the connection's socket over to that executor for the whole session (e.g. a
  // low-priority delivery thread, so sending never takes a request thread's CPU); the
  // connection's coroutine waits for the session's end, suspended.
  virtual std::optional<boost::asio::any_io_executor> executor() const { return std::nullopt; }
};

// Writes one response. Either Send() once, or Begin(), any number of Write(), then End().
// Begin() only prepares the head; it goes out with the first Write()/End(), so a stream costs no
// extra write for its head. Every call returns false once a write to the client failed
// (disconnected, write timed out); the handler should then stop its work (cancelling upstream
// requests) and return. A peer that closes while the handler is not writing is noticed at the
// next write.
// The server adds `x-request-id`, `content-length`/`transfer-encoding` and `connection` itself.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  virtual Awaitable<bool> Send(int status, HttpHeaders headers, std::string body) = 0;

  // Starts a chunked (streamed) response.
  virtual Awaitable<bool> Begin(int status, HttpHeaders headers) = 0;
  // Sends bytes as one chunk, flushing them to the client now. Empty data is a no-op.
  virtual Awaitable<bool> Write(std::string_view data) = 0;
  // Ends the chunked body (terminal chunk). The connection may then be reused.
  virtual Awaitable<bool> End() = 0;
  // Write(data) then End(), in one write to the socket.
  virtual Awaitable<bool> WriteAndEnd(std::string_view data) = 0;

  // Closes the connection at once, without finishing the response (a cut stream). Used by
  // baton-mock to imitate upstream faults and by handlers that must not end a broken stream
  // cleanly.
  virtual void Abort() = 0;
  // Like Abort(), but with a TCP reset (SO_LINGER {1, 0}, then close): the peer reads
  // ECONNRESET instead of an orderly end (baton-mock's reset fault).
  virtual void Reset() { Abort(); }

  // Accepts a WebSocket upgrade (RFC 6455) of `request` and sends the text frames `source`
  // produces until it ends or the client closes; the connection closes afterwards. What the
  // client sends is read and dropped (pings are answered, a close frame is honoured); an idle
  // client is pinged and dropped when it stops answering. Returns false without sending anything
  // when the request is not an upgrade (IsWebSocketUpgrade) or the response already started.
  // References: the handler co_awaits this at once and owns both until it returns.
  // NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters)
  virtual Awaitable<bool> ServeWebSocket(const HttpRequest& request, WebSocketSource& source) {
    (void)request;
    (void)source;
    co_return false;
  }

  // True after Send() or Begin().
  virtual bool started() const = 0;
  // The status of the answer once started (0 before), for request records.
  virtual int status() const { return 0; }
  // True once a write failed or the peer closed the connection.
  virtual bool client_gone() const = 0;
};

// Handles one request. Must always answer (or return with client_gone()).
using HttpHandler = std::function<Awaitable<void>(HttpRequest& request, ResponseWriter& writer)>;

}  // namespace baton
