// Amazon Bedrock Converse API (upstream only): request rendering, response and ConverseStream
// parsing, errors. The codec table is BedrockCodec() in bedrock_codec.cpp.
//
// Wire (WIRE_FORMATS.md §7): POST /model/{modelId}/converse and /converse-stream, SigV4-signed by
// the provider (src/providers/aws). The model is in the URL, never in the body.
//
// Rendering choices (the canonical form has things Converse has not):
//   * consecutive turns of the same role are merged (Converse requires alternation); empty text
//     parts are dropped (Converse rejects blank text blocks);
//   * images given by URL become a text block "[image: URL]" (Converse takes bytes or S3 only, and
//     a dialect does no I/O);
//   * tool_choice none: Converse has no "none"; toolConfig is omitted, unless the history holds
//     tool calls or results, which Converse accepts only with a toolConfig: then the tools are sent
//     without a toolChoice (and tools named in the history are declared when none are given);
//   * reasoning (thinking_enabled / thinking_budget / reasoning_effort) and top_k go to
//     additionalModelRequestFields as Anthropic's "thinking" / "top_k" for Claude models (model id
//     containing "anthropic" or "claude", or unknown); effort → budget: minimal/low 1024,
//     medium 2048, high 4096; the budget stays below maxTokens (thinking dropped under 1024);
//     with thinking on, temperature and top_k are dropped and topP only kept at ≥ 0.95 (Claude's
//     rules). Other models get neither;
//   * temperature is clamped to [0, 1]; whitespace-only stop sequences are dropped;
//   * response_format, seed, penalties, user, n are not sent (Converse has no such fields).
// Parsing: usage inputTokens excludes cached tokens, so canonical input_tokens = inputTokens +
// cacheReadInputTokens + cacheWriteInputTokens. Converse answers carry no id or model: the id is
// synthesized ("bedrock-..."), the model left empty.
//
// Thread-safety: pure functions; a stream decoder is per stream.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "dialects/canonical.hpp"

namespace baton::bedrock {

std::string RenderRequest(const canon::Request& request, std::string_view model);
Result<canon::Response> ParseResponse(std::string_view body);
// Decodes a ConverseStream body (application/vnd.amazon.eventstream).
std::unique_ptr<canon::StreamDecoder> MakeStreamDecoder();

// An HTTP error answer: body {"message":"..."} (or "Message"); kind from the status.
Error ParseError(int status, std::string_view body);
// Bedrock-shaped error body {"message":"..."} and the kind's default status (Bedrock is never a
// client dialect; these exist so the table is complete).
std::string RenderError(const Error& error);
int ErrorStatus(const Error& error);

// Converse stopReason → canonical (unknown → kStop).
canon::FinishReason FinishFromStopReason(std::string_view stop_reason);
// A stream exception type (":exception-type", e.g. "throttlingException") → kind.
ErrorKind KindForException(std::string_view exception_type);

}  // namespace baton::bedrock
