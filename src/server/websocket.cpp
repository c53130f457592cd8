// Beast's websocket::stream over the connection's own socket (by reference: the connection loop
// owns it). Reader and writer run as the two branches of one `||`, so the stream (in this frame)
// outlives both, and the end of either (client closed / source ended) cancels the other.
#include "server/websocket.hpp"

#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket.hpp>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace baton {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own spelling
using Ws = websocket::stream<tcp::socket&>;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxClientMessage = 64U << 10;

void SetCork(Ws& ws, bool on) {
  const int value = on ? 1 : 0;
  (void)::setsockopt(ws.next_layer().native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}

// The loops take references: only ever co_awaited by RunWebSocket, whose frame owns the stream
// and outlives both.
// NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters)
Awaitable<void> ReadLoop(Ws& ws) {
  co_await asio::this_coro::throw_if_cancelled(false);
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(buffer, kUseTuple);
    if (ec) {
      co_return;  // closed by the client, timed out, or cancelled
    }
    buffer.consume(buffer.size());
  }
}

// NOLINTNEXTLINE(cppcoreguidelines-avoid-reference-coroutine-parameters)
Awaitable<void> WriteLoop(Ws& ws, WebSocketSource& source) {
  co_await asio::this_coro::throw_if_cancelled(false);
  std::vector<std::string_view> frames;
  for (;;) {
    frames.clear();
    const bool more = co_await source.Next(frames);
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      co_return;
    }
    // A batch goes out corked: one TCP segment train for all its frames instead of one
    // transmission per frame (Beast writes each message on its own).
    const bool cork = frames.size() > 1;
    if (cork) {
      SetCork(ws, true);
    }
    for (std::string_view frame : frames) {
      auto [ec, n] = co_await ws.async_write(asio::buffer(frame.data(), frame.size()), kUseTuple);
      if (ec) {
        co_return;
      }
    }
    if (cork) {
      SetCork(ws, false);
    }
    if (!more) {
      co_await ws.async_close(websocket::close_code::going_away, kUseTuple);
      co_return;
    }
  }
}

}  // namespace

// References: the caller (the connection coroutine, or RunWebSocketOwned) waits for the end and
// owns the socket, the request and the source meanwhile.
// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters)
Awaitable<void> RunWebSocket(tcp::socket& socket, const HttpRequest& request,
                             WebSocketSource& source) {
  // NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)
  co_await asio::this_coro::throw_if_cancelled(false);
  http::request<http::empty_body> upgrade;
  upgrade.method_string(request.method);
  upgrade.target(request.target);
  upgrade.version(11);
  for (const HttpHeader& h : request.headers) {
    upgrade.insert(h.name, h.value);
  }
  Ws ws(socket);
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(kMaxClientMessage);
  ws.text(true);
  auto [ec] = co_await ws.async_accept(upgrade, kUseTuple);
  if (ec) {
    co_return;
  }
  using asio::experimental::awaitable_operators::operator||;
  co_await (ReadLoop(ws) || WriteLoop(ws, source));
}

// Spawned on another executor, but co_awaited by the connection coroutine (ServeWebSocket) that
// owns the request and the source until it ends: the references stay valid.
// NOLINTBEGIN(cppcoreguidelines-avoid-reference-coroutine-parameters)
Awaitable<void> RunWebSocketOwned(tcp::socket socket, const HttpRequest& request,
                                  WebSocketSource& source) {
  // NOLINTEND(cppcoreguidelines-avoid-reference-coroutine-parameters)
  co_await RunWebSocket(socket, request, source);
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace baton
