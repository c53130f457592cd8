// GET /events: the live event feed (docs/events.md), as a WebSocket (one event per text frame)
// or as Server-Sent Events (`Accept: text/event-stream` or `?format=sse`:
// "event: <type>\ndata: <json>\n\n"). Master key required when one is configured, in a header
// only (never `?key=`: URLs end up in logs). `?types=a,b` filters.
//
// The first message is {"type":"events.subscribed",...}: from then on the client gets every
// matching event. A client that falls more than [events] subscriber_queue events behind loses
// the oldest and gets {"type":"events.dropped","count":N} before the next events. The feed ends
// when the client goes or the server drains.
// Thread-safety: runs on the connection's thread; the bus is thread-safe.
#pragma once

#include <functional>

#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

Awaitable<void> HandleEvents(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                             std::function<bool()> draining);

}  // namespace baton
