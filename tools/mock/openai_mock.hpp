// Pure response generation for baton-mock's OpenAI-style endpoints (WIRE_FORMATS.md §0, §1, §3).
//
// Request JSON in, exact response bytes out: chat completions (one JSON body or a list of SSE
// events in one buffer), embeddings, model lists, OpenAI-shaped errors, the fault hooks encoded in
// model names and the deterministic fail-rate rule. No I/O, no clocks, no global state: every
// function is deterministic in its arguments, so tests can check the bytes.
// Thread-safety: free functions and plain values only; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_text.hpp"  // AppendJsonString

namespace baton::mock {

// An error answer: HTTP status plus OpenAI's {"error":{message,type,param,code}} fields.
// Empty param/code render as null.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;
  std::string code;
};

// {"error":{"message":...,"type":...,"param":...|null,"code":...|null}}
std::string ErrorBody(const ApiError& error);
// The error the fault flags and `mock-fail-<CODE>` answer with: 429 → type "requests", code
// "rate_limit_exceeded"; 401 → invalid_api_key; 404 → model_not_found; 5xx → server_error; other
// 4xx → invalid_request_error.
ApiError ErrorForStatus(int status);
// The 401 for a missing (`presented` empty) or wrong key, with the key masked as OpenAI does.
ApiError InvalidKeyError(std::string_view presented);

// ---- Chat completions ----

// A tool call the mock will answer with: a function name and its JSON arguments text.
struct ToolCall {
  std::string name;
  std::string arguments;  // compact JSON object text
};

// What the generator needs from a chat request; nothing refers to the parsed JSON.
struct ChatRequest {
  std::string model;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  uint64_t text_hash = 0;             // FNV-1a of the last user message's text
  int64_t prompt_tokens = 1;          // 1 + (characters of all message texts) / 4
  std::optional<ToolCall> tool;       // set when the answer is a tool call
  std::optional<ToolCall> next_tool;  // the function tool after `tool` (for mock-tools-2)
};

// Parses a chat completions body. On failure returns the 400 to answer with. A non-empty
// `model_override` (Azure's deployment) is the model, and the body need not name one.
std::optional<ApiError> ParseChatRequest(std::string_view body, ChatRequest* out,
                                         std::string_view model_override = {});

// The answer decided for a request: either words of text or one tool call.
struct ChatReply {
  std::vector<std::string_view> words;  // text answer; views into a static word list
  std::optional<ToolCall> tool;         // tool answer (then words is empty)
  std::optional<ToolCall> tool2;        // a second, parallel call (mock-tools-2)
  std::string_view finish_reason;       // "stop", "length" or "tool_calls"
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// `word_count` words (default --chunks), truncated by max_tokens (finish "length"); a tool call
// when the request chose one (two parallel calls when `tool_calls` is 2: the chosen tool and the
// next). The first word is always "Mock".
ChatReply PlanChatReply(const ChatRequest& request, int word_count, int tool_calls = 1);

// The text of a reply: words joined by single spaces.
std::string ReplyText(const ChatReply& reply);

// Per-request identity: ids are `chatcmpl-mock<seq>` / `call_mock<seq>`, `created` is unix time.
struct ChatIds {
  uint64_t seq = 0;
  int64_t created = 0;
};

// The non-streaming chat.completion body.
std::string ChatCompletionBody(const ChatRequest& request, const ChatReply& reply,
                               const ChatIds& ids);

// A whole SSE body in one buffer, with event boundaries, so the writer can send it with one Write
// or event by event without copying.
struct SseStream {
  struct Event {
    std::size_t end = 0;   // offset just past the event's blank line
    bool content = false;  // a content/argument chunk: --chunk-delay-ms waits before these
  };
  std::string bytes;
  std::vector<Event> events;

  std::size_t size() const { return events.size(); }
  std::string_view EventAt(std::size_t i) const;
  // Bytes of events [0, n).
  std::string_view Prefix(std::size_t n) const;
};

// The chat.completion.chunk stream: role chunk, one chunk per word (the first word bare, then
// " word", so concatenating the deltas gives ReplyText) or tool-call argument fragments, the
// finish chunk, the usage chunk when include_usage, then `data: [DONE]`.
SseStream ChatCompletionStream(const ChatRequest& request, const ChatReply& reply,
                               const ChatIds& ids);

// Splits recorded SSE bytes into events (blank-line separated, `\n` or `\r\n` framing); the bytes
// are kept exactly. Every event is marked as content.
SseStream SplitSse(std::string bytes);

// Arguments JSON for a function tool from its JSON-schema `parameters`: each property →
// "mock" (string), 1 (number/integer), true (boolean), else null. Takes the parameters JSON text.
std::string ToolArgumentsFromSchema(std::string_view parameters_json);

// Splits text into fragments of about `size` bytes, never inside a UTF-8 sequence.
std::vector<std::string_view> Fragments(std::string_view text, std::size_t size);

// ---- Embeddings ----

struct EmbeddingsRequest {
  std::string model;
  std::vector<uint64_t> seeds;  // one per input: hash of its text or tokens
  int64_t prompt_tokens = 0;
  int dimensions = 8;
  bool base64 = false;
};

std::optional<ApiError> ParseEmbeddingsRequest(std::string_view body, EmbeddingsRequest* out,
                                               std::string_view model_override = {});

// A unit-length float32 vector derived from `seed` only.
std::vector<float> EmbeddingVector(uint64_t seed, int dimensions);

std::string EmbeddingsBody(const EmbeddingsRequest& request);

std::string Base64Encode(std::string_view bytes);

// ---- Models ----

// {"object":"list","data":[mock-gpt, mock-gpt-mini, mock-embed]}
const std::string& ModelsBody();
// One model object with the given id.
std::string ModelBody(std::string_view id);

// ---- Fault hooks ----

// Faults and answer shapes a model name can ask for: mock-fail-<CODE>, mock-hang, mock-drop-<N>,
// mock-slow-<MS>, mock-tool (value 1), mock-tools-2 (value 2), mock-think, mock-error-mid.
struct ModelHook {
  enum class Kind { kNone, kFail, kHang, kDrop, kSlow, kTool, kThink, kErrorMid };
  Kind kind = Kind::kNone;
  int value = 0;  // status, event count, milliseconds or number of tool calls
};
ModelHook ParseModelHook(std::string_view model);

// Deterministic fail rate: the n-th (1-based) request fails when floor(n*rate) !=
// floor((n-1)*rate). rate 1 fails all, 0 none, 0.25 every fourth.
bool ShouldFail(uint64_t n, double rate);

// ---- Helpers ----

// The generated answer's words: "Mock", then words of a fixed list from an offset given by `hash`.
std::vector<std::string_view> AnswerWords(uint64_t hash, int64_t count);

uint64_t Fnv1a(std::string_view bytes, uint64_t hash = 14695981039346656037ull);

}  // namespace baton::mock
