// Pure response generation for baton-mock's non-Chat dialects: Anthropic Messages, Gemini,
// Ollama native, Bedrock Converse, OpenAI Responses (WIRE_FORMATS.md §2, §4–§7), plus the
// pieces they share: a dialect-neutral request summary (GenRequest), the planned answer
// (GenReply), each dialect's error shape and mid-stream error form, CRC32 and AWS event-stream
// frames.
//
// This is an independent implementation of the wire formats: it must not use src/dialects, so
// that a translation bug in the gateway is not mirrored here.
// Request JSON in, exact response bytes out; no I/O, no clocks, no global state.
// Thread-safety: free functions and plain values only; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_types.hpp"
#include "mock/openai_mock.hpp"

namespace baton::mock {

enum class Dialect { kOpenAi, kAzure, kResponses, kAnthropic, kGemini, kOllama, kBedrock };

// A function tool offered by the request, with the arguments the mock would call it with.
struct ToolSpec {
  std::string name;
  std::string arguments;  // compact JSON object text built from the schema's required properties
};

// What the generators need from a request of any dialect.
struct GenRequest {
  std::string model;
  bool stream = false;
  bool sse = true;                    // Gemini: alt=sse (false: the stream is one JSON array)
  int64_t prompt_tokens = 1;          // words in the request's texts (at least 1)
  uint64_t text_hash = 0;             // FNV-1a of the last user message's text
  std::optional<int64_t> max_tokens;  // the dialect's output limit
  std::vector<ToolSpec> tools;        // function tools, in request order
  std::string tool_choice_name;       // a tool the request forces, when it names one
  bool tools_disabled = false;        // tool_choice none / mode NONE
  bool last_is_tool_result = false;   // the last message returns a tool result
  bool thinking = false;              // the request enabled thinking / reasoning output
};

// The answer decided for a request.
struct GenReply {
  enum class Stop { kEnd, kLength, kTool };
  std::vector<std::string_view> words;    // text answer (views into static word lists)
  std::vector<std::string_view> thought;  // thinking text words; empty = no thinking
  std::vector<ToolSpec> calls;            // tool calls (then words is empty)
  Stop stop = Stop::kEnd;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // text words + thinking words + tool-call tokens
  int64_t thinking_tokens = 0;
  bool error_mid = false;  // mock-error-mid: the stream breaks after a few chunks
};

// Thinking when the request asks for it or on mock-think; tool calls on mock-tool (1) and
// mock-tools-2 (2), or when the request offers tools, does not disable them and its last message
// is not a tool result (then the tool tool_choice names, else the first). Otherwise `word_count`
// words, cut by max_tokens (Stop::kLength).
GenReply PlanGenReply(const GenRequest& request, const ModelHook& hook, int word_count);

// Words joined by single spaces.
std::string JoinWords(const std::vector<std::string_view>& words);
// Whitespace-separated words in `text`.
int64_t CountWords(std::string_view text);
// Arguments for a tool from its JSON schema text: every `required` property, in order: the first
// `enum` value, "Paris" for strings, 1 for numbers/integers, true for booleans, [] / {} for
// arrays / objects, else null. Types may be upper case (Gemini). No required list → {}.
std::string ArgumentsFromRequiredText(std::string_view schema_json);

// Per-request identity: ids carry `seq`; `created` is unix seconds.
struct GenIds {
  uint64_t seq = 0;
  int64_t created = 0;
};

// ---- Errors ----

// An error in any dialect: HTTP status, message and, optionally, the dialect's own type name
// (Anthropic error.type, Gemini status, Bedrock exception name); empty = derived from status.
struct DialectError {
  int status = 400;
  std::string message;
  std::string type;
};

// A rendered error answer: body, content type and extra headers (retry-after, request-id,
// x-amzn-ErrorType, ...).
struct ErrorAnswer {
  int status = 400;
  std::string content_type;
  std::string body;
  HttpHeaders headers;
};
ErrorAnswer RenderDialectError(Dialect dialect, const DialectError& error, uint64_t seq);
// The error an injected status (mock-fail-<CODE>, --fail-status) gets in a dialect. `model` is
// used by 404 messages (Ollama's "model 'x' not found").
DialectError InjectedError(Dialect dialect, int status, std::string_view model);
// The error a non-streaming mock-error-mid request gets (the dialect's "overloaded" answer).
DialectError OverloadedError(Dialect dialect);
// The bytes of one mid-stream error event in the dialect's framing; `events_before` is the
// number of events already sent (Responses' sequence_number).
std::string MidStreamErrorEvent(Dialect dialect, std::size_t events_before);
// Keeps the stream's events up to and including its second content event (fewer when there are
// fewer), then appends the mid-stream error event. No terminal event follows.
SseStream CutWithMidStreamError(Dialect dialect, const SseStream& stream);

// ---- Anthropic Messages (§4) ----

// `count_tokens` = the /v1/messages/count_tokens body (max_tokens not required).
std::optional<DialectError> ParseAnthropicRequest(std::string_view body, bool count_tokens,
                                                  GenRequest* out);
std::string AnthropicMessageBody(const GenRequest& request, const GenReply& reply,
                                 const GenIds& ids);
SseStream AnthropicStream(const GenRequest& request, const GenReply& reply, const GenIds& ids);
std::string AnthropicCountTokensBody(const GenRequest& request);
std::string AnthropicModelsBody();
std::string AnthropicModelBody(std::string_view id);

// ---- Gemini (§5) ----

std::optional<DialectError> ParseGeminiRequest(std::string_view body, std::string_view model,
                                               GenRequest* out);
std::string GeminiResponseBody(const GenRequest& request, const GenReply& reply, const GenIds& ids);
// alt=sse: CRLF-framed `data:` events; else (request.sse false) one JSON array, one element per
// event.
SseStream GeminiStream(const GenRequest& request, const GenReply& reply, const GenIds& ids);
std::string GeminiCountTokensBody(const GenRequest& request);
std::string GeminiModelsBody();
std::string GeminiModelBody(std::string_view name);
// Compact JSON → Google's pretty form (2-space indent, ": ").
std::string GooglePretty(std::string_view compact);
// Compact JSON → Google's stream-event form (": " after keys, nothing after commas).
std::string GoogleSpaced(std::string_view compact);

// ---- Ollama native (§6) ----

std::optional<DialectError> ParseOllamaRequest(std::string_view body, GenRequest* out);
std::string OllamaChatBody(const GenRequest& request, const GenReply& reply, const GenIds& ids);
// NDJSON: one line per event.
SseStream OllamaStream(const GenRequest& request, const GenReply& reply, const GenIds& ids);
std::string OllamaTagsBody();
// RFC 3339 UTC with nanoseconds, as Ollama's created_at.
std::string OllamaTime(int64_t unix_seconds, int64_t nanos);

// ---- Bedrock Converse (§7) ----

std::optional<DialectError> ParseBedrockRequest(std::string_view body, std::string_view model_id,
                                                GenRequest* out);
std::string BedrockConverseBody(const GenRequest& request, const GenReply& reply,
                                const GenIds& ids);
// application/vnd.amazon.eventstream frames, one event per frame.
SseStream BedrockStream(const GenRequest& request, const GenReply& reply, const GenIds& ids);

// CRC32 (IEEE, reflected polynomial 0xEDB88320), as the event-stream prelude and message use.
uint32_t Crc32(std::string_view bytes, uint32_t crc = 0);
// One event-stream message with string headers (type 7), in the given order.
std::string EventStreamFrame(const std::vector<std::pair<std::string, std::string>>& headers,
                             std::string_view payload);
// A decoded event-stream message (for tests and checks).
struct EventStreamMessage {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload;
};
// Decodes the frame at the start of `bytes`, checking both CRCs; sets *used to its length.
std::optional<EventStreamMessage> DecodeEventStreamFrame(std::string_view bytes, std::size_t* used);

// ---- OpenAI Responses (§2) ----

std::optional<DialectError> ParseResponsesRequest(std::string_view body, GenRequest* out);
std::string ResponsesBody(const GenRequest& request, const GenReply& reply, const GenIds& ids);
SseStream ResponsesStream(const GenRequest& request, const GenReply& reply, const GenIds& ids);

// ---- Azure OpenAI (§1) ----

// The first chunk Azure sends on a stream: choices [], empty id/model, prompt_filter_results.
std::string AzurePromptFilterEvent();
// Adds Azure's prompt_filter_results to a chat.completion body.
std::string AzureChatBody(std::string body);

}  // namespace baton::mock
