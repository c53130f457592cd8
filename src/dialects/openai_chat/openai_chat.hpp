// OpenAI Chat Completions dialect (WIRE_FORMATS.md §1): what the gateway needs to know about a
// request without re-serializing it, the minimal edits for same-dialect forwarding, stream chunk
// inspection, and errors in OpenAI's shape.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace baton::openai {

struct ChatRequestInfo {
  std::string model;
  bool stream = false;
  bool include_usage = false;         // the client asked for stream_options.include_usage
  std::optional<int64_t> max_tokens;  // max_completion_tokens or max_tokens
};

// Validates the body (JSON object with a string "model" and an array "messages") and extracts
// what routing needs. kBadRequest with an OpenAI-style message and param on failure.
Result<ChatRequestInfo> InspectChatRequest(std::string_view body);

// The body to send to an OpenAI-dialect upstream: `model` replaced by upstream_model and, when
// streaming, `stream_options` set to ask for usage; every other byte unchanged.
std::string RewriteChatRequest(std::string_view body, std::string_view upstream_model,
                               bool streaming);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cached_tokens = 0;
  bool present = false;
};

// For one streamed chunk's data: does it carry a usage object? (cheap byte check)
bool ChunkHasUsage(std::string_view data);
// Is this the separate usage chunk (`"choices":[]` plus usage) that only clients asking for
// include_usage should see?
bool IsUsageOnlyChunk(std::string_view data);
// Parses the usage object of a chunk or a full response; present=false when none.
Usage ParseUsage(std::string_view text);
// The same for a whole response body, parsing only its top-level "usage" member (cheap on large
// answers).
Usage FindUsage(std::string_view body);
// A chunk with a top-level "error" member (mid-stream error).
bool IsErrorChunk(std::string_view data);
// A chunk that carries no content yet: only the assistant role and empty content/refusal, no
// tool calls, no reasoning, no finish_reason, no usage (the "preamble" the router holds back so a
// failure after it can still fall back). Unparseable data is not a preamble.
bool IsPreambleChunk(std::string_view data);

// OpenAI error body {"error":{"message","type","param","code"}} for an Error.
std::string RenderError(const Error& error);
// The HTTP status for an Error in this dialect.
int ErrorStatus(const Error& error);
// The `type` OpenAI uses for an error kind.
const char* ErrorType(ErrorKind kind);

// Extracts error.message from an upstream OpenAI-style error body, if any (for wrapping 5xx).
std::string UpstreamErrorMessage(std::string_view body);

}  // namespace baton::openai
