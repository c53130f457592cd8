// POST /v1/chat/completions, /v1/embeddings and /proxy/{model} (OpenAI dialect in front). See
// openai_chat.cpp for the why.
#pragma once

#include "pipeline/auth.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

// Answers one chat completion request on the given snapshot. Authentication has already passed.
Awaitable<void> HandleOpenAiChat(const Snapshot& snapshot, HttpRequest& request,
                                 ResponseWriter& writer, const Caller* caller = nullptr);
// POST /v1/embeddings: same routing and forwarding, never streamed.
Awaitable<void> HandleOpenAiEmbeddings(const Snapshot& snapshot, HttpRequest& request,
                                       ResponseWriter& writer, const Caller* caller = nullptr);
// POST /proxy/{model}: an OpenAI chat body whose model is taken from the path.
Awaitable<void> HandleProxy(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                            std::string model, const Caller* caller = nullptr);

}  // namespace baton
