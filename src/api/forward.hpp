// Forwarding one chat exchange to its deployments, in whatever dialect the client spoke and the
// upstream speaks (DESIGN.md §2: router → providers → dialects).
//
// Same dialect on both sides: the client's body goes upstream with only the model spliced in,
// and the answer comes back byte for byte (DESIGN.md §1.3). Different dialects: the request is
// parsed once into the canonical form (lazily, on the first deployment that needs it), rendered
// in the upstream's dialect, and the answer (JSON or stream) is decoded into canonical values or
// events and rendered in the client's dialect as it arrives (DESIGN.md §7).
//
// Routing (docs/routing.md): the zone (X-Maestro-Zone) and task (X-Baton-Task) headers may pick
// or restrict the model; the route's plan picks deployments; a failed attempt is retried on the
// same deployment (backoff with jitter, the upstream's retry-after) or falls back to the next one
// while nothing has been sent to the client. A stream is held back until its first content
// event, so a stream that fails before that falls back transparently too.
#pragma once

#include <optional>

#include "dialects/canonical.hpp"
#include "money/cost.hpp"
#include "pipeline/auth.hpp"
#include "providers/provider.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

// What a stream delivered to the client, to bill a stream the upstream cut before its usage
// report: for what was streamed, never for nothing and never for the whole.
struct StreamTally {
  int64_t chunks = 0;        // content events relayed (about one token each)
  int64_t text_bytes = 0;    // text and tool-argument bytes among them (decoded streams only)
  bool complete = false;     // the upstream ended the stream normally
  SteadyTime first_content;  // when the response head went out (time to first token)
};

struct Exchange {
  canon::Dialect client = canon::Dialect::kOpenAiChat;
  Operation operation = Operation::kChatCompletions;
  std::string model;  // as the client asked for it (alias or provider/model)
  bool stream = false;
  bool include_usage = false;  // OpenAI clients: stream_options.include_usage
  std::string_view body;       // the client's body, in its dialect
  // The client's request in canonical form: set by handlers that had to parse it anyway, else
  // parsed on first need.
  std::optional<canon::Request> canonical;
  // Set by ForwardChat from the request headers, for logs and records.
  std::string zone;     // X-Maestro-Zone
  std::string session;  // X-Maestro-Session
  std::string task;     // X-Baton-Task
  // Who is calling (api.cpp authenticated it); null or without key = master key / open server.
  // A virtual key's zone applies when no X-Maestro-Zone is sent, and its model list is checked
  // once the task and zone defaults have resolved the model.
  const Caller* caller = nullptr;
  // Set by ForwardChat once an upstream answered: which deployment, and the usage the upstream
  // reported (present=false when it reported none, or it was not read: same-dialect Anthropic,
  // Gemini and Ollama JSON answers are passed through unparsed).
  std::string answered_by;
  canon::Usage usage;
  StreamTally tally;
  // Accounting, set by ForwardChat when it returns: the tokens billed (the upstream's usage, or
  // estimates where it reported none) and their cost in pico-USD at the answering deployment's
  // price; the budget refusal or rate limit that stopped the request, if one did.
  TokenUsage billed;
  Money cost = 0;
  int attempts = 0;
};

// Routes and forwards; always answers the client (or returns when it went away).
Awaitable<void> ForwardChat(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            Exchange& exchange);

// An error in the client's dialect (body shape and status), as JSON. Anthropic clients also get
// a `request-id` header.
Awaitable<bool> SendDialectError(ResponseWriter& writer, canon::Dialect dialect,
                                 const HttpRequest& request, const Error& error,
                                 HttpHeaders extra = {});

// The events a complete (non-streamed) response would have been streamed as; used when an
// upstream answers a streaming request with one JSON body.
canon::StreamEvents ResponseToEvents(const canon::Response& response);

}  // namespace baton
