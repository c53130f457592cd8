// OpenAI Chat Completions ↔ canonical form (WIRE_FORMATS.md §1, §8): the entries of
// OpenAiChatCodec(), plus small helpers the OpenAI Responses codec shares (data URIs, reasoning
// effort, usage objects).
//
// Choices this codec makes (documented in tests/golden/README-openai.md):
//  * Rendered upstream requests use "max_tokens" (every OpenAI-compatible server knows it), and a
//    streamed request always asks for usage (`stream_options.include_usage`).
//  * Thinking is rendered to clients as the non-standard `reasoning_content` (as DeepSeek does)
//    and read back from `reasoning_content` or `reasoning` (DeepSeek, vLLM, OpenRouter).
//  * System parts are rendered upstream as one system message (texts joined by a blank line).
//
// Thread-safety: pure functions; the decoder and encoder are per-stream objects (one thread at a
// time).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "dialects/canonical.hpp"
#include "dialects/sse.hpp"

namespace baton::canon {

// Codec entries.
Result<Request> ParseOpenAiChatRequest(std::string_view body);
std::string RenderOpenAiChatRequest(const Request& request, std::string_view model);
Result<Response> ParseOpenAiChatResponse(std::string_view body);
std::string RenderOpenAiChatResponse(const Response& response, const Request& request);
std::unique_ptr<StreamDecoder> MakeOpenAiChatDecoder();
std::unique_ptr<StreamEncoder> MakeOpenAiChatEncoder(const Request& request);
std::string RenderOpenAiChatError(const Error& error);
int OpenAiChatErrorStatus(const Error& error);
// An upstream's error answer in OpenAI's shape ({"error":{"message",...}}), a plain
// {"error":"..."} (Ollama) or any other body.
Error ParseOpenAiChatError(int status, std::string_view body);

// ---- Helpers shared with the Responses codec ----

// Splits "data:<media type>;base64,<data>" into its media type and base64 data. False for any
// other string (URLs, data URIs that are not base64).
bool SplitDataUri(std::string_view uri, std::string& media_type, std::string& data);
// An image part as a URL: its url, or a data URI built from media_type and data.
std::string ImageUri(const Part& image);
// An image part from an OpenAI image URL (data URI or http(s) URL).
Part ImageFromUri(std::string_view uri);
// The reasoning effort to send upstream: the one given, else one derived from thinking_budget
// (<=1024 low, <=2048 medium, else high); "" when neither is set.
std::string ReasoningEffortOf(const Request& request);
// Token budget for an effort ("minimal"/"low" 1024, "medium" 2048, "high" 4096); 0 if unknown.
int64_t BudgetForEffort(std::string_view effort);
// The text of a run of parts: kText parts concatenated (other parts skipped).
std::string JoinText(const std::vector<Part>& parts, std::string_view separator = "");
// Appends parts to the last turn when it has the same role (the canonical form alternates
// roles), else starts a turn. Tool results go before any other part of a user turn.
void AppendToTurn(std::vector<Message>& messages, Role role, std::vector<Part> parts);
// Current unix time in seconds.
int64_t UnixNow();
// At the end of an OpenAI-style SSE body: hands the splitter's trailing event to on_data when it
// lacks only its blank line (its last line is ended, or it is a bare "data: [DONE]"); some
// servers end the body right after. A cut line is an incomplete event and is not handed out.
void FlushLastEvent(const SseSplitter& splitter,
                    const std::function<bool(std::string_view data)>& on_data);

}  // namespace baton::canon
