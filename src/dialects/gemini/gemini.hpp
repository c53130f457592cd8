// Gemini dialect (WIRE_FORMATS.md §5, §8): POST /v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse, both as a client dialect (Baton serves these paths) and as an
// upstream. Translates between Gemini's GenerateContent shapes and the canonical form.
//
// Gemini specifics handled here:
//  * The model is in the URL, not the body: ParseRequest leaves Request::model empty unless the
//    body names one; the HTTP handler sets it from the path. RenderRequest ignores `model`.
//  * functionCall parts usually carry no id: ParseRequest synthesizes deterministic ids
//    ("call_<name>_<ordinal>") and pairs each functionResponse with the earliest unanswered call
//    of the same name; responses get "call_" + random ids.
//  * thoughtSignature on a non-thought part (a functionCall, or a final text part) becomes a
//    kThinking part with empty text and that signature, placed before the part (in streams:
//    kThinkingDelta "" + kSignatureDelta); RenderRequest puts it back on the next part.
//    A function call with no signature at all gets Google's documented placeholder
//    "skip_thought_signature_validator" when sent upstream (Gemini 3 refuses unsigned calls).
//    Thought text itself is never sent back upstream; clients see it only with includeThoughts.
//  * Streams are SSE with CRLF framing and no end marker: a finishReason seen means complete.
//    Only the `alt=sse` form is decoded (Baton always asks for it), not the JSON-array form.
//  * Only candidates[0] is read. Server-side tools (googleSearch, codeExecution, urlContext)
//    are skipped without error; safetySettings and cachedContent are ignored. Gemini-style
//    upper-case schema types ("OBJECT") are lower-cased for other dialects; JSON Schema keys
//    Gemini's `parameters` rejects ($schema, additionalProperties, strict) are stripped on the
//    way to Gemini.
//  * Errors: a wrong key is 401 UNAUTHENTICATED here (Gemini itself says 400 API_KEY_INVALID,
//    which ParseError maps to kUnauthorized); other kinds use their default status.
//
// Pure functions and per-stream objects; the functions are thread-safe, a decoder or encoder
// belongs to one stream.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "dialects/canonical.hpp"

namespace baton::gemini {

// A Gemini client's GenerateContentRequest body → canonical. kBadRequest on malformed bodies.
Result<canon::Request> ParseRequest(std::string_view body);
// Canonical → the body for a Gemini upstream (model and stream live in the URL).
std::string RenderRequest(const canon::Request& request, std::string_view model);
// A Gemini upstream's GenerateContentResponse → canonical.
Result<canon::Response> ParseResponse(std::string_view body);
// Canonical → the GenerateContentResponse a Gemini client gets. Thought parts only when the
// client asked for them (thinkingConfig.includeThoughts).
std::string RenderResponse(const canon::Response& response, const canon::Request& request);
// Decoder for an upstream `alt=sse` stream; encoder for a Gemini client's stream.
std::unique_ptr<canon::StreamDecoder> MakeDecoder();
std::unique_ptr<canon::StreamEncoder> MakeEncoder(const canon::Request& request);

// {"error":{"code","message","status"}} for an Error, and its HTTP status.
std::string RenderError(const Error& error);
int ErrorStatus(const Error& error);
// An upstream Gemini error answer as an Error (400 with reason API_KEY_INVALID → kUnauthorized).
Error ParseError(int status, std::string_view body);

// finishReason string ↔ canonical (WIRE_FORMATS.md §8).
canon::FinishReason FinishReasonFromGemini(std::string_view reason);
const char* GeminiFinishReason(canon::FinishReason reason);
// Google's status string for an HTTP status ("INVALID_ARGUMENT", "NOT_FOUND", ...).
const char* GoogleStatusName(int http_status);

}  // namespace baton::gemini
