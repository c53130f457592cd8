// The endpoints of the non-OpenAI client dialects: Anthropic Messages (+ count_tokens), the
// OpenAI Responses API, and Gemini's generateContent family. Each parses the client's body once
// into the canonical form and hands it to ForwardChat (forward.hpp). Authentication has passed.
#pragma once

#include <string>
#include <vector>

#include "pipeline/auth.hpp"
#include "router/route_table.hpp"
#include "server/http.hpp"

namespace baton {

// POST /v1/messages (and /api/anthropic/v1/messages).
Awaitable<void> HandleAnthropicMessages(const Snapshot& snapshot, HttpRequest& request,
                                        ResponseWriter& writer, const Caller* caller = nullptr);
// POST /v1/messages/count_tokens: forwarded when the model's first deployment is Anthropic's,
// else counted locally (docs/tokenizer.md).
Awaitable<void> HandleAnthropicCountTokens(const Snapshot& snapshot, HttpRequest& request,
                                           ResponseWriter& writer, const Caller* caller = nullptr);
// POST /v1/responses.
Awaitable<void> HandleResponses(const Snapshot& snapshot, HttpRequest& request,
                                ResponseWriter& writer, const Caller* caller = nullptr);
// POST /v1beta/models/{model}:{method} with method generateContent, streamGenerateContent or
// countTokens; `rest` is the path after "/v1beta/models/".
Awaitable<void> HandleGemini(const Snapshot& snapshot, HttpRequest& request, ResponseWriter& writer,
                             std::string_view rest, const Caller* caller = nullptr);

// Model lists in the Anthropic and Gemini shapes, of the ids /v1/models lists (aliases, auto,
// configured and discovered "provider/model" ids).
std::string AnthropicModelsJson(const std::vector<std::string>& ids);
std::string GeminiModelsJson(const std::vector<std::string>& ids);

}  // namespace baton
