// Anthropic Messages responses (non-streaming): an upstream's message → canonical, canonical → the
// message a client gets.
//
// Usage: Anthropic counts cached prompt tokens apart from input_tokens; the canonical input is
// the whole prompt (input + cache writes + cache reads), so the render subtracts them again.
#include <string>
#include <utility>

#include "core/json_text.hpp"
#include "dialects/anthropic/anthropic.hpp"
#include "dialects/anthropic/json_util.hpp"

namespace baton::anthropic {

namespace {

using canon::FinishReason;
using canon::Part;
using detail::IntOr;
using detail::ParseJson;
using detail::StringOr;
namespace json = boost::json;

}  // namespace

FinishReason FinishReasonFromStopReason(std::string_view s) {
  if (s == "stop_sequence") {
    return FinishReason::kStopSequence;
  }
  if (s == "max_tokens") {
    return FinishReason::kLength;
  }
  if (s == "tool_use") {
    return FinishReason::kToolCalls;
  }
  if (s == "refusal") {
    return FinishReason::kContentFilter;
  }
  if (s == "pause_turn") {
    return FinishReason::kPauseTurn;
  }
  if (s == "model_context_window_exceeded") {
    return FinishReason::kContextWindow;
  }
  if (s == "compaction") {
    return FinishReason::kLength;
  }
  return FinishReason::kStop;
}

const char* StopReasonFor(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStopSequence:
      return "stop_sequence";
    case FinishReason::kLength:
      return "max_tokens";
    case FinishReason::kToolCalls:
      return "tool_use";
    case FinishReason::kContentFilter:
      return "refusal";
    case FinishReason::kPauseTurn:
      return "pause_turn";
    case FinishReason::kContextWindow:
      return "model_context_window_exceeded";
    case FinishReason::kNone:
    case FinishReason::kStop:
      break;
  }
  return "end_turn";
}

Result<canon::Response> ParseResponse(std::string_view body) {
  auto doc = ParseJson(body);
  if (!doc || !doc->is_object()) {
    return Error(ErrorKind::kUpstreamError, "the upstream returned a response that is not JSON");
  }
  const json::object& o = doc->get_object();
  if (StringOr(o, "type") == "error") {
    return ParseError(502, body);
  }
  canon::Response r;
  r.id = StringOr(o, "id");
  r.model = StringOr(o, "model");
  if (const json::value* content = o.if_contains("content");
      content != nullptr && content->is_array()) {
    for (const json::value& b : content->get_array()) {
      if (!b.is_object()) {
        continue;
      }
      const json::object& bo = b.get_object();
      std::string_view type = StringOr(bo, "type");
      Part p;
      if (type == "text") {
        p.text = StringOr(bo, "text");
      } else if (type == "thinking") {
        p.type = Part::Type::kThinking;
        p.text = StringOr(bo, "thinking");
        p.signature = StringOr(bo, "signature");
      } else if (type == "redacted_thinking") {
        p.type = Part::Type::kRedactedThinking;
        p.data = StringOr(bo, "data");
      } else if (type == "tool_use") {
        p.type = Part::Type::kToolCall;
        p.id = StringOr(bo, "id");
        p.name = StringOr(bo, "name");
        const json::value* input = bo.if_contains("input");
        p.arguments = input != nullptr ? json::serialize(*input) : "{}";
      } else {
        // server_tool_use, web_search_tool_result, ...: results of Anthropic-side tools that no
        // other dialect can represent.
        continue;
      }
      r.content.push_back(std::move(p));
    }
  }
  r.finish = FinishReasonFromStopReason(StringOr(o, "stop_reason", "end_turn"));
  // The answer to a json_schema response format arrives as a call of the forced tool: the
  // client asked for text.
  std::size_t calls = 0;
  Part* json_call = nullptr;
  for (Part& p : r.content) {
    if (p.type == Part::Type::kToolCall) {
      ++calls;
      if (p.name == kJsonToolName) {
        json_call = &p;
      }
    }
  }
  if (calls == 1 && json_call != nullptr) {
    Part text = Part::Text(std::move(json_call->arguments));
    *json_call = std::move(text);
    if (r.finish == FinishReason::kToolCalls) {
      r.finish = FinishReason::kStop;
    }
  }
  r.stop_sequence = StringOr(o, "stop_sequence");
  if (const json::value* u = o.if_contains("usage"); u != nullptr && u->is_object()) {
    const json::object& uo = u->get_object();
    r.usage.present = true;
    r.usage.cache_creation_tokens = IntOr(uo, "cache_creation_input_tokens");
    r.usage.cache_read_tokens = IntOr(uo, "cache_read_input_tokens");
    r.usage.input_tokens =
        IntOr(uo, "input_tokens") + r.usage.cache_creation_tokens + r.usage.cache_read_tokens;
    r.usage.output_tokens = IntOr(uo, "output_tokens");
  }
  return r;
}

std::string RenderResponse(const canon::Response& response, const canon::Request& request) {
  std::string out;
  out.reserve(256);
  out += R"({"id":)";
  AppendJsonString(out, response.id.starts_with("msg_") ? response.id : canon::NewId("msg_"));
  out += R"(,"type":"message","role":"assistant","model":)";
  AppendJsonString(out, response.model.empty() ? request.model : response.model);
  out += R"(,"content":[)";
  bool first = true;
  bool has_tool_calls = false;
  for (const Part& p : response.content) {
    std::string block;
    switch (p.type) {
      case Part::Type::kText:
        if (p.text.empty()) {
          continue;
        }
        block = R"({"type":"text","text":)";
        AppendJsonString(block, p.text);
        break;
      case Part::Type::kThinking:
        block = R"({"type":"thinking","thinking":)";
        AppendJsonString(block, p.text);
        block += R"(,"signature":)";
        AppendJsonString(block, p.signature);
        break;
      case Part::Type::kRedactedThinking:
        block = R"({"type":"redacted_thinking","data":)";
        AppendJsonString(block, p.data);
        break;
      case Part::Type::kToolCall: {
        has_tool_calls = true;
        block = R"({"type":"tool_use","id":)";
        AppendJsonString(block, p.id.empty() ? canon::NewId("toolu_") : p.id);
        block += R"(,"name":)";
        AppendJsonString(block, p.name);
        block += R"(,"input":)";
        auto input = ParseJson(p.arguments);
        block += input && input->is_object() ? json::serialize(*input) : "{}";
        break;
      }
      case Part::Type::kImage:
      case Part::Type::kToolResult:
        continue;
    }
    block += '}';
    if (!first) {
      out += ',';
    }
    first = false;
    out += block;
  }
  out += R"(],"stop_reason":)";
  FinishReason finish = response.finish;
  if (has_tool_calls && (finish == FinishReason::kStop || finish == FinishReason::kNone)) {
    finish = FinishReason::kToolCalls;
  }
  AppendJsonString(out, StopReasonFor(finish));
  out += R"(,"stop_sequence":)";
  if (finish == FinishReason::kStopSequence && !response.stop_sequence.empty()) {
    AppendJsonString(out, response.stop_sequence);
  } else {
    out += "null";
  }
  const canon::Usage& u = response.usage;
  int64_t input = u.input_tokens - u.cache_read_tokens - u.cache_creation_tokens;
  out += R"(,"usage":{"input_tokens":)";
  out += std::to_string(input < 0 ? 0 : input);
  out += R"(,"cache_creation_input_tokens":)";
  out += std::to_string(u.cache_creation_tokens);
  out += R"(,"cache_read_input_tokens":)";
  out += std::to_string(u.cache_read_tokens);
  out += R"(,"output_tokens":)";
  out += std::to_string(u.output_tokens);
  out += "}}";
  return out;
}

}  // namespace baton::anthropic
