// Anthropic Messages for baton-mock (WIRE_FORMATS.md §4): request summary, message object,
// `event:`-framed SSE stream, count_tokens, model list. Field order follows the recorded bodies
// in /work/shared/fixtures/anthropic.
#include <string>

#include "mock/dialect_mock.hpp"
#include "mock/dialect_util.hpp"

namespace baton::mock {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

DialectError Invalid(std::string message) {
  return DialectError{400, std::move(message), "invalid_request_error"};
}

std::string_view StopReason(GenReply::Stop stop) {
  switch (stop) {
    case GenReply::Stop::kLength:
      return "max_tokens";
    case GenReply::Stop::kTool:
      return "tool_use";
    case GenReply::Stop::kEnd:
      break;
  }
  return "end_turn";
}

std::string ToolId(const GenIds& ids, std::size_t k) {
  return "toolu_mock" + std::to_string(ids.seq) + "_" + std::to_string(k);
}

void AppendUsage(std::string& b, int64_t input, int64_t output) {
  b += "{\"input_tokens\":";
  AppendInt(b, input);
  b += ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":";
  AppendInt(b, output);
  b += ",\"service_tier\":\"standard\"}";
}

void AppendEvent(EventBuilder& s, std::string_view name, std::string_view data, bool content) {
  std::string& b = s.bytes();
  b += "event: ";
  b += name;
  b += "\ndata: ";
  b += data;
  b += "\n\n";
  s.Close(content);
}

void BlockStart(EventBuilder& s, std::size_t index, std::string_view block) {
  std::string d = "{\"type\":\"content_block_start\",\"index\":";
  AppendInt(d, static_cast<int64_t>(index));
  d += ",\"content_block\":";
  d += block;
  d += '}';
  AppendEvent(s, "content_block_start", d, false);
}

void BlockDelta(EventBuilder& s, std::size_t index, std::string_view type, std::string_view field,
                std::string_view value, bool content) {
  std::string d = "{\"type\":\"content_block_delta\",\"index\":";
  AppendInt(d, static_cast<int64_t>(index));
  d += ",\"delta\":{\"type\":\"";
  d += type;
  d += "\",\"";
  d += field;
  d += "\":";
  AppendJsonString(d, value);
  d += "}}";
  AppendEvent(s, "content_block_delta", d, content);
}

void BlockStop(EventBuilder& s, std::size_t index) {
  std::string d = "{\"type\":\"content_block_stop\",\"index\":";
  AppendInt(d, static_cast<int64_t>(index));
  d += '}';
  AppendEvent(s, "content_block_stop", d, false);
}

}  // namespace

std::optional<DialectError> ParseAnthropicRequest(std::string_view body, bool count_tokens,
                                                  GenRequest* out) {
  json::value root;
  if (!ParseObject(body, root)) {
    return Invalid(
        "There was an issue with the formatting or content of your request body: "
        "it is not a valid JSON object.");
  }
  const json::object& o = root.get_object();
  std::optional<std::string_view> model = FindString(o, "model");
  if (!model) {
    return Invalid("model: Field required");
  }
  out->model = std::string(*model);
  const json::array* messages = FindArray(o, "messages");
  if (messages == nullptr) {
    return Invalid("messages: Field required");
  }
  if (!count_tokens) {
    const json::value* max = Find(o, "max_tokens");
    if (max == nullptr) {
      return Invalid("max_tokens: Field required");
    }
    std::optional<int64_t> n = AsInt(*max);
    if (!n || *n < 1) {
      return Invalid("max_tokens: Input should be greater than or equal to 1");
    }
    out->max_tokens = *n;
  }
  if (const json::value* s = Find(o, "stream"); s && s->is_bool()) {
    out->stream = s->get_bool() && !count_tokens;
  }

  int64_t words = 0;
  if (const json::value* system = Find(o, "system")) {
    CollectText(*system, &words, nullptr);
  }
  const json::value* last_user = nullptr;
  for (const json::value& m : *messages) {
    if (!m.is_object()) {
      return Invalid("messages: Input should be a valid dictionary");
    }
    const json::object& mo = m.get_object();
    const json::value* content = Find(mo, "content");
    if (content) {
      CollectText(*content, &words, nullptr);
    }
    if (FindString(mo, "role") == std::optional<std::string_view>("user")) {
      last_user = content;
    }
  }
  out->prompt_tokens = std::max<int64_t>(words, 1);
  std::string text;
  if (last_user) {
    int64_t ignored = 0;
    CollectText(*last_user, &ignored, &text);
  }
  out->text_hash = Fnv1a(text);
  if (!messages->empty() && messages->back().is_object()) {
    if (const json::array* blocks = FindArray(messages->back().get_object(), "content")) {
      for (const json::value& b : *blocks) {
        if (b.is_object() &&
            FindString(b.get_object(), "type") == std::optional<std::string_view>("tool_result")) {
          out->last_is_tool_result = true;
        }
      }
    }
  }

  if (const json::array* tools = FindArray(o, "tools")) {
    for (const json::value& t : *tools) {
      if (!t.is_object()) {
        continue;
      }
      const json::object& to = t.get_object();
      std::optional<std::string_view> type = FindString(to, "type");
      std::optional<std::string_view> name = FindString(to, "name");
      if (!name || (type && *type != "custom")) {
        continue;  // server tools (web_search_..., bash_...) are not called by the mock
      }
      out->tools.push_back({std::string(*name), ArgumentsFromRequired(Find(to, "input_schema"))});
    }
  }
  if (const json::object* choice = FindObject(o, "tool_choice")) {
    std::optional<std::string_view> type = FindString(*choice, "type");
    if (type == std::optional<std::string_view>("none")) {
      out->tools_disabled = true;
    } else if (type == std::optional<std::string_view>("tool")) {
      out->tool_choice_name = std::string(FindString(*choice, "name").value_or(""));
    }
  }
  if (const json::object* thinking = FindObject(o, "thinking")) {
    std::optional<std::string_view> type = FindString(*thinking, "type");
    out->thinking = type == std::optional<std::string_view>("enabled") ||
                    type == std::optional<std::string_view>("adaptive");
  }
  return std::nullopt;
}

std::string AnthropicMessageBody(const GenRequest& request, const GenReply& reply,
                                 const GenIds& ids) {
  std::string b = "{\"model\":";
  AppendJsonString(b, request.model);
  b += ",\"id\":\"msg_mock";
  AppendInt(b, static_cast<int64_t>(ids.seq));
  b += "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[";
  bool first = true;
  auto comma = [&b, &first] {
    if (!first) {
      b += ',';
    }
    first = false;
  };
  if (!reply.thought.empty()) {
    comma();
    b += "{\"type\":\"thinking\",\"thinking\":";
    AppendJsonString(b, JoinWords(reply.thought));
    b += ",\"signature\":";
    AppendJsonString(b, ThinkingSignature());
    b += '}';
  }
  if (!reply.words.empty()) {
    comma();
    b += "{\"type\":\"text\",\"text\":";
    AppendJsonString(b, JoinWords(reply.words));
    b += '}';
  }
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    comma();
    b += "{\"type\":\"tool_use\",\"id\":";
    AppendJsonString(b, ToolId(ids, k));
    b += ",\"name\":";
    AppendJsonString(b, reply.calls[k].name);
    b += ",\"input\":";
    b += reply.calls[k].arguments;
    b += '}';
  }
  b += "],\"stop_reason\":\"";
  b += StopReason(reply.stop);
  b += "\",\"stop_sequence\":null,\"usage\":";
  AppendUsage(b, reply.prompt_tokens, reply.completion_tokens);
  b += '}';
  return b;
}

SseStream AnthropicStream(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  EventBuilder s;
  std::string d = "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock";
  AppendInt(d, static_cast<int64_t>(ids.seq));
  d += "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":";
  AppendJsonString(d, request.model);
  d += ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":";
  AppendUsage(d, reply.prompt_tokens, 1);
  d += "}}";
  AppendEvent(s, "message_start", d, false);

  std::size_t index = 0;
  bool pinged = false;
  auto ping = [&s, &pinged] {
    if (!pinged) {
      AppendEvent(s, "ping", "{\"type\": \"ping\"}", false);  // spaced, as Anthropic sends it
      pinged = true;
    }
  };
  if (!reply.thought.empty()) {
    BlockStart(s, index, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");
    ping();
    for (std::size_t i = 0; i < reply.thought.size(); ++i) {
      std::string piece =
          i == 0 ? std::string(reply.thought[i]) : " " + std::string(reply.thought[i]);
      BlockDelta(s, index, "thinking_delta", "thinking", piece, true);
    }
    BlockDelta(s, index, "signature_delta", "signature", ThinkingSignature(), false);
    BlockStop(s, index);
    ++index;
  }
  if (!reply.words.empty()) {
    BlockStart(s, index, "{\"type\":\"text\",\"text\":\"\"}");
    ping();
    for (std::size_t i = 0; i < reply.words.size(); ++i) {
      std::string piece = i == 0 ? std::string(reply.words[i]) : " " + std::string(reply.words[i]);
      BlockDelta(s, index, "text_delta", "text", piece, true);
    }
    BlockStop(s, index);
    ++index;
  }
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    std::string block = "{\"type\":\"tool_use\",\"id\":";
    AppendJsonString(block, ToolId(ids, k));
    block += ",\"name\":";
    AppendJsonString(block, reply.calls[k].name);
    block += ",\"input\":{}}";
    BlockStart(s, index, block);
    ping();
    BlockDelta(s, index, "input_json_delta", "partial_json", "", false);
    for (std::string_view f : Fragments(reply.calls[k].arguments, 8)) {
      BlockDelta(s, index, "input_json_delta", "partial_json", f, true);
    }
    BlockStop(s, index);
    ++index;
  }
  d = "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"";
  d += StopReason(reply.stop);
  d += "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":";
  AppendInt(d, reply.completion_tokens);
  d += "}}";
  AppendEvent(s, "message_delta", d, false);
  AppendEvent(s, "message_stop", "{\"type\":\"message_stop\"}", false);
  return s.Take();
}

std::string AnthropicCountTokensBody(const GenRequest& request) {
  std::string b = "{\"input_tokens\":";
  AppendInt(b, request.prompt_tokens);
  b += '}';
  return b;
}

std::string AnthropicModelBody(std::string_view id) {
  std::string b = "{\"type\":\"model\",\"id\":";
  AppendJsonString(b, id);
  b += ",\"display_name\":";
  AppendJsonString(b, "Mock " + std::string(id));
  b += ",\"created_at\":\"2025-02-19T00:00:00Z\"}";
  return b;
}

std::string AnthropicModelsBody() {
  std::string b = "{\"data\":[";
  b += AnthropicModelBody("claude-mock-sonnet");
  b += ',';
  b += AnthropicModelBody("claude-mock-haiku");
  b += "],\"has_more\":false,\"first_id\":\"claude-mock-sonnet\",\"last_id\":"
       "\"claude-mock-haiku\"}";
  return b;
}

}  // namespace baton::mock
