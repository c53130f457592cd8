// Ollama native chat dialect (WIRE_FORMATS.md §6): POST /api/chat with NDJSON streaming, as an
// upstream. Translates canonical requests into Ollama's body and Ollama's answers (whole or
// streamed) back into the canonical form. Ollama is not a client dialect here: clients that
// speak Ollama use its OpenAI-compatible /v1 paths.
//
// Ollama specifics handled here:
//  * tool-call arguments are JSON objects (not strings); calls usually carry no id, so ids are
//    synthesized ("call_" + random); tool results go back as role "tool" messages with
//    tool_name (looked up from the call id) and tool_call_id;
//  * images are base64 only: an image given by http(s) URL cannot be sent and is replaced by a
//    text note "[image: <url>]" in the message;
//  * the stream is NDJSON (one object per line; the last line may lack its newline); a line
//    with done:true ends it, a line {"error":"..."} fails it.
//
// Pure functions and per-stream objects; the functions are thread-safe, a decoder belongs to one
// stream.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "dialects/canonical.hpp"

namespace baton::ollama {

// Canonical → the /api/chat body for `model`.
std::string RenderRequest(const canon::Request& request, std::string_view model);
// A "stream": false answer → canonical.
Result<canon::Response> ParseResponse(std::string_view body);
// Decoder for the NDJSON stream.
std::unique_ptr<canon::StreamDecoder> MakeDecoder();

// {"error":"..."} for an Error and its HTTP status (for completeness; Ollama is upstream only).
std::string RenderError(const Error& error);
int ErrorStatus(const Error& error);
// An upstream error answer ({"error":"model 'x' not found"}, 404) as an Error.
Error ParseError(int status, std::string_view body);

// done_reason → canonical ("length" → kLength; stop, load, unload, unknown → kStop).
canon::FinishReason FinishReasonFromOllama(std::string_view reason);

}  // namespace baton::ollama
