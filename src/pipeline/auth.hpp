// Authentication filter: who is calling. For now the master key only (virtual keys come with the
// keys-and-budgets work). Accepts the key as `Authorization: Bearer K` (OpenAI, Anthropic 1.x),
// `x-api-key: K` (Anthropic 0.x), `api-key: K` (Azure clients) and `x-goog-api-key: K` (Gemini).
// Comparison is constant-time; errors never contain the presented key.
// Pure function; thread-safe.
#pragma once

#include <string_view>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/http_types.hpp"

namespace baton {

// The key the client presented, from whichever header carries it; empty when none.
std::string_view PresentedKey(const HttpHeaders& headers);

// OkStatus when the server is open (no master key) or the presented key is the master key;
// kUnauthorized (code invalid_api_key) otherwise.
Status Authenticate(const ServerConfig& server, const HttpHeaders& headers);

}  // namespace baton
