// The canonical form: one in-memory shape for chat requests, responses and stream events that
// every dialect translates to and from (DESIGN.md §4: N dialects, not N² translators).
//
// Only cross-dialect traffic goes through here; same-dialect traffic is forwarded with byte
// splices instead (DESIGN.md §1.3).
//
// The shape follows the most expressive dialect (Anthropic's): system prompts apart from the
// turns; messages are user or assistant turns made of parts; tool calls are parts of assistant
// turns and tool results are parts of user turns. A dialect with `role: "tool"` messages (OpenAI,
// Ollama) turns each tool-result part into one such message and merges consecutive ones back into
// one user turn when parsing.
//
// Stream translation: a StreamDecoder turns an upstream body, fed in arbitrary pieces, into
// StreamEvents; a StreamEncoder turns StreamEvents into the client's wire bytes. Both keep the
// per-stream state their dialect needs (block indexes, synthesized ids, what is open).
//
// Thread-safety: plain values and per-stream objects; a Codec is an immutable table of pure
// functions, safe from every thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace baton::canon {

enum class Dialect {
  kOpenAiChat,       // POST /v1/chat/completions (and every OpenAI-compatible server, Azure)
  kOpenAiResponses,  // POST /v1/responses
  kAnthropic,        // POST /v1/messages
  kGemini,           // POST /v1beta/models/{model}:generateContent / :streamGenerateContent
  kOllama,           // POST /api/chat (native, NDJSON)
  kBedrock,          // POST /model/{id}/converse / converse-stream (upstream only)
};
const char* DialectName(Dialect d);  // "openai", "openai-responses", "anthropic", ...

// One piece of a turn.
struct Part {
  enum class Type {
    kText,              // text
    kImage,             // media_type + data (base64), or url
    kToolCall,          // id, name, arguments (assistant turns)
    kToolResult,        // id (the call it answers), name (when known), content, is_error
    kThinking,          // text (the reasoning), signature (opaque, may be empty)
    kRedactedThinking,  // data (opaque)
  };
  Type type = Type::kText;
  std::string text;           // kText, kThinking
  std::string media_type;     // kImage with base64 data: "image/png"
  std::string data;           // kImage: base64 bytes (no data: prefix); kRedactedThinking: opaque
  std::string url;            // kImage given by URL (http(s)://...); data is empty then
  std::string id;             // kToolCall: call id; kToolResult: the id of the call answered
  std::string name;           // kToolCall: function name; kToolResult: function name if known
  std::string arguments;      // kToolCall: the arguments as JSON object text, e.g. {"city":"Paris"}
  std::vector<Part> content;  // kToolResult: text and image parts
  bool is_error = false;      // kToolResult
  std::string signature;      // kThinking

  static Part Text(std::string t) {
    Part p;
    p.text = std::move(t);
    return p;
  }
};

enum class Role { kUser, kAssistant };

struct Message {
  Role role = Role::kUser;
  std::vector<Part> parts;
};

struct Tool {
  std::string name;
  std::string description;
  std::string parameters;  // JSON Schema as JSON text; "" = none given
  std::optional<bool> strict;
};

struct ToolChoice {
  enum class Mode { kUnset, kAuto, kAny, kNone, kTool };  // kAny = OpenAI "required"
  Mode mode = Mode::kUnset;
  std::string name;  // kTool
};

struct Request {
  std::string model;         // as the client sent it (routing replaces it per deployment)
  std::vector<Part> system;  // text parts, in order (OpenAI system/developer messages anywhere)
  std::vector<Message> messages;
  std::vector<Tool> tools;
  ToolChoice tool_choice;
  std::optional<bool> parallel_tool_calls;  // false = one call at most
  std::optional<int64_t> max_tokens;        // output token cap, if the client gave one
  std::optional<double> temperature;        // as given (each renderer clamps to its range)
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> presence_penalty;
  std::optional<double> frequency_penalty;
  std::optional<int64_t> seed;
  std::vector<std::string> stop;  // stop sequences
  bool stream = false;
  bool include_usage = false;  // OpenAI client asked for stream_options.include_usage
  // Reasoning: either an effort ("low" | "medium" | "high" | "minimal") or a token budget, or
  // both; a renderer uses what its dialect has and derives the other.
  std::string reasoning_effort;
  std::optional<int64_t> thinking_budget;
  bool thinking_enabled = false;  // Anthropic thinking / Gemini includeThoughts / effort given
  enum class Format { kText, kJsonObject, kJsonSchema };
  Format response_format = Format::kText;
  std::string response_schema;       // kJsonSchema: schema JSON text
  std::string response_schema_name;  // kJsonSchema: name
  std::string user;                  // end-user id (OpenAI user, Anthropic metadata.user_id)
  int64_t n = 1;                     // choices asked for; >1 only where the upstream has it
};

enum class FinishReason {
  kNone,           // not finished (yet)
  kStop,           // natural end
  kStopSequence,   // a stop sequence matched (Response::stop_sequence says which, if known)
  kLength,         // output token cap
  kToolCalls,      // the model called tools
  kContentFilter,  // refused / filtered
  kPauseTurn,      // Anthropic pause_turn (rendered as stop elsewhere)
  kContextWindow,  // model_context_window_exceeded
};

struct Usage {
  bool present = false;
  int64_t input_tokens = 0;           // all prompt tokens, cached ones included
  int64_t output_tokens = 0;          // all completion tokens, reasoning included
  int64_t cache_read_tokens = 0;      // part of input_tokens read from the prompt cache
  int64_t cache_creation_tokens = 0;  // part of input_tokens written to the prompt cache
  int64_t reasoning_tokens = 0;       // part of output_tokens spent on reasoning
};

struct Response {
  std::string id;             // upstream's id, or synthesized
  std::string model;          // the model that answered, as the upstream reports it
  int64_t created = 0;        // unix seconds (0 = now when rendered)
  std::vector<Part> content;  // kText, kThinking, kRedactedThinking, kToolCall, in order
  FinishReason finish = FinishReason::kStop;
  std::string stop_sequence;  // kStopSequence: the one that matched, when known
  Usage usage;
};

// One step of a streamed answer, in the order the upstream produced it.
struct StreamEvent {
  enum class Type {
    kStart,             // the answer begins: id, model; usage may hold the input tokens so far
    kTextDelta,         // text
    kThinkingDelta,     // text (reasoning)
    kSignatureDelta,    // text = signature for the current thinking part
    kRedactedThinking,  // text = opaque data of a whole redacted thinking part
    kToolCallStart,     // tool_index, id, name (arguments follow as kToolArgsDelta)
    kToolArgsDelta,     // tool_index, text = a fragment of the arguments JSON
    kFinish,            // finish (+ stop_sequence): no more content follows
    kUsage,             // usage (cumulative totals so far; later ones replace earlier ones)
    kEnd,               // the upstream completed the stream normally
    kError,             // the stream failed: error; nothing follows
  };
  Type type = Type::kTextDelta;
  std::string text;
  std::string id;      // kStart: response id; kToolCallStart: call id
  std::string name;    // kStart: model; kToolCallStart: function name
  int tool_index = 0;  // 0-based count of tool calls in this answer (not a block index)
  FinishReason finish = FinishReason::kNone;
  std::string stop_sequence;
  Usage usage;
  Error error;
};

using StreamEvents = std::vector<StreamEvent>;

// Turns an upstream stream body, in pieces as they arrive, into events.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Appends the events completed by these bytes. Malformed input yields a kError event.
  virtual void Feed(std::string_view bytes, StreamEvents& out) = 0;
  // The upstream body ended. Appends kEnd when the stream was complete (for dialects without an
  // explicit end marker, e.g. Gemini, a finish reason seen means complete), or kError when it
  // was cut short. Must be called once, after the last Feed.
  virtual void Finish(StreamEvents& out) = 0;
};

// Turns events into the client's wire bytes.
class StreamEncoder {
 public:
  virtual ~StreamEncoder() = default;
  // Appends the bytes for one event (possibly none, e.g. when buffering until kEnd). kEnd and
  // kError terminate the client's stream properly for its dialect ([DONE], message_stop, ...).
  virtual void Encode(const StreamEvent& event, std::string& out) = 0;
};

// What a dialect offers. A null entry means the dialect has no such direction (e.g. Bedrock is
// never a client dialect, so parse_request and the encoders may be null).
struct Codec {
  Dialect dialect;
  // Client side: parse what a client sent; render what it gets back.
  Result<Request> (*parse_request)(std::string_view body) = nullptr;
  std::string (*render_response)(const Response& response, const Request& request) = nullptr;
  std::unique_ptr<StreamEncoder> (*make_encoder)(const Request& request) = nullptr;
  // Upstream side: render what is sent; parse what comes back. `model` is the upstream's model
  // name (for dialects that carry it in the URL, render ignores it).
  std::string (*render_request)(const Request& request, std::string_view model) = nullptr;
  Result<Response> (*parse_response)(std::string_view body) = nullptr;
  std::unique_ptr<StreamDecoder> (*make_decoder)() = nullptr;
  // Errors: the dialect's body and status for an Error; and an upstream's error answer (status +
  // body in this dialect) as an Error (kind from the status, message from the body, and
  // upstream_status set).
  std::string (*render_error)(const Error& error) = nullptr;
  int (*error_status)(const Error& error) = nullptr;
  Error (*parse_error)(int status, std::string_view body) = nullptr;
};

// The codec of a dialect. Always returns a valid table.
const Codec& CodecFor(Dialect d);
// The tables themselves, each defined next to its dialect's code.
const Codec& OpenAiChatCodec();
const Codec& OpenAiResponsesCodec();
const Codec& AnthropicCodec();
const Codec& GeminiCodec();
const Codec& OllamaCodec();
const Codec& BedrockCodec();

// ---- Shared helpers for the dialect implementations ----

// OpenAI's finish_reason string for a canonical reason (WIRE_FORMATS.md §8).
const char* OpenAiFinishReason(FinishReason r);
// Canonical reason for an OpenAI finish_reason string (unknown → kStop).
FinishReason FinishReasonFromOpenAi(std::string_view s);
// A fresh random id with the given prefix, e.g. NewId("call_") → "call_3fK9x...". Thread-safe.
std::string NewId(std::string_view prefix);
// ErrorKind for an upstream HTTP status (401 → kUnauthorized, 429 → kRateLimited, 5xx →
// kUpstreamError, 408/504 → kUpstreamTimeout, other 4xx → kBadRequest, ...).
ErrorKind KindForUpstreamStatus(int status);

}  // namespace baton::canon
