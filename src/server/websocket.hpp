// The WebSocket side of the server (private to src/server): Beast's websocket templates stay in
// websocket.cpp only (DESIGN.md §10).
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "server/http.hpp"

namespace baton {

// Completes the upgrade handshake of `request` on `socket` (Beast answers a malformed upgrade
// with 400 itself) and runs the session: a reader that drops what the client sends, and a
// writer sending what `source` produces, until either ends. Returns when both have stopped;
// the caller closes the socket.
Awaitable<void> RunWebSocket(boost::asio::ip::tcp::socket& socket, const HttpRequest& request,
                             WebSocketSource& source);
// The same on a socket it owns (closed at the end): a session handed over to another executor.
Awaitable<void> RunWebSocketOwned(boost::asio::ip::tcp::socket socket, const HttpRequest& request,
                                  WebSocketSource& source);

}  // namespace baton
