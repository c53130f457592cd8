// Anthropic Messages dialect (WIRE_FORMATS.md §4, translation rules §8): the canonical-form codec
// for POST /v1/messages — client requests parsed, upstream requests rendered, responses and SSE
// streams both ways, and errors in Anthropic's {"type":"error","error":{...}} shape.
//
// Thread-safety: the free functions are pure and thread-safe. A StreamDecoder / StreamEncoder
// holds the state of one stream and is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "dialects/canonical.hpp"

namespace baton::anthropic {

// Output token cap sent upstream when the client gave none (Anthropic requires max_tokens).
inline constexpr int64_t kDefaultMaxTokens = 4096;
// The forced tool that carries a json_schema response format (OpenAI response_format) to an
// Anthropic upstream; a call to it in the answer is turned back into text.
inline constexpr const char* kJsonToolName = "json_tool_call";

// ---- Requests ----

// Parses a client's /v1/messages body. kBadRequest with an Anthropic-style message (e.g.
// "max_tokens: Field required") for broken JSON, wrong types and unsupported content.
Result<canon::Request> ParseRequest(std::string_view body);
// The /v1/messages body for an Anthropic upstream; `model` replaces request.model when non-empty.
std::string RenderRequest(const canon::Request& request, std::string_view model);

// ---- Responses ----

Result<canon::Response> ParseResponse(std::string_view body);
std::string RenderResponse(const canon::Response& response, const canon::Request& request);

// stop_reason string ↔ canonical finish reason (unknown strings → kStop).
canon::FinishReason FinishReasonFromStopReason(std::string_view stop_reason);
const char* StopReasonFor(canon::FinishReason reason);

// ---- Streams ----

std::unique_ptr<canon::StreamDecoder> MakeStreamDecoder();
std::unique_ptr<canon::StreamEncoder> MakeStreamEncoder(const canon::Request& request);

// ---- Errors ----

// The error.type Anthropic uses for an error kind (and upstream status, when known).
const char* ErrorType(const Error& error);
// The error.type for an HTTP status ("rate_limit_error" for 429, ...).
const char* ErrorTypeForStatus(int status);
// {"type":"error","error":{"type":T,"message":M}}
std::string RenderError(const Error& error);
int ErrorStatus(const Error& error);
// An upstream's Anthropic error answer as an Error (kind from the status, message from the body).
Error ParseError(int status, std::string_view body);
// The ErrorKind for an error.type seen mid-stream (`event: error`).
ErrorKind KindForErrorType(std::string_view type);

}  // namespace baton::anthropic
