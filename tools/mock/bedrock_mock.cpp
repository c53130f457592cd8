// Bedrock Converse for baton-mock (WIRE_FORMATS.md §7): /converse JSON (keys in the alphabetical
// order AWS's serializer uses) and /converse-stream as application/vnd.amazon.eventstream
// frames, with the "p" padding field AWS adds to stream payloads.
#include <string>

#include "mock/dialect_mock.hpp"
#include "mock/dialect_util.hpp"

namespace baton::mock {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

constexpr int64_t kLatencyMs = 120;

DialectError Validation(std::string message) {
  return DialectError{400, std::move(message), "ValidationException"};
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

std::string ToolUseId(const GenIds& ids, std::size_t k) {
  return "tooluse_mock" + std::to_string(ids.seq) + "_" + std::to_string(k);
}

void AppendUsage(std::string& b, const GenReply& reply) {
  b += "{\"inputTokens\":";
  AppendInt(b, reply.prompt_tokens);
  b += ",\"outputTokens\":";
  AppendInt(b, reply.completion_tokens);
  b += ",\"totalTokens\":";
  AppendInt(b, reply.prompt_tokens + reply.completion_tokens);
  b += '}';
}

// Padding as AWS adds it: a run of letters whose length varies with the event.
void AppendPadding(std::string& b, std::size_t n) {
  static constexpr std::string_view kPad =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  b += ",\"p\":\"";
  b += kPad.substr(0, 4 + (n * 7) % 40);
  b += "\"}";
}

class FrameBuilder {
 public:
  // `json` is the payload without its closing brace; the padding closes it.
  void Event(std::string_view type, std::string json, bool content) {
    AppendPadding(json, s_.size());
    s_.Add(EventStreamFrame({{":event-type", std::string(type)},
                             {":content-type", "application/json"},
                             {":message-type", "event"}},
                            json),
           content);
  }
  SseStream Take() { return s_.Take(); }

 private:
  EventBuilder s_;
};

std::string BlockHead(std::size_t index) {
  std::string b = "{\"contentBlockIndex\":";
  AppendInt(b, static_cast<int64_t>(index));
  return b;
}

}  // namespace

std::optional<DialectError> ParseBedrockRequest(std::string_view body, std::string_view model_id,
                                                GenRequest* out) {
  out->model = std::string(model_id);
  json::value root;
  if (!ParseObject(body, root)) {
    return Validation("Malformed input request, please reformat your input and try again.");
  }
  const json::object& o = root.get_object();
  const json::array* messages = FindArray(o, "messages");
  if (messages == nullptr) {
    return Validation(
        "1 validation error detected: Value null at 'messages' failed to satisfy constraint: "
        "Member must not be null");
  }
  int64_t words = 0;
  if (const json::value* system = Find(o, "system")) {
    CollectText(*system, &words, nullptr);
  }
  const json::value* last_user = nullptr;
  for (const json::value& m : *messages) {
    if (!m.is_object()) {
      return Validation("Malformed input request, please reformat your input and try again.");
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
        if (b.is_object() && b.get_object().contains("toolResult")) {
          out->last_is_tool_result = true;
        }
      }
    }
  }
  if (const json::object* ic = FindObject(o, "inferenceConfig")) {
    if (const json::value* max = Find(*ic, "maxTokens")) {
      if (std::optional<int64_t> n = AsInt(*max); n && *n > 0) {
        out->max_tokens = *n;
      }
    }
  }
  if (const json::object* tc = FindObject(o, "toolConfig")) {
    if (const json::array* tools = FindArray(*tc, "tools")) {
      for (const json::value& t : *tools) {
        const json::object* spec = t.is_object() ? FindObject(t.get_object(), "toolSpec") : nullptr;
        if (spec == nullptr) {
          continue;
        }
        std::optional<std::string_view> name = FindString(*spec, "name");
        if (!name) {
          continue;
        }
        const json::value* schema = nullptr;
        if (const json::object* input = FindObject(*spec, "inputSchema")) {
          schema = Find(*input, "json");
        }
        out->tools.push_back({std::string(*name), ArgumentsFromRequired(schema)});
      }
    }
    if (const json::object* choice = FindObject(*tc, "toolChoice")) {
      if (const json::object* tool = FindObject(*choice, "tool")) {
        out->tool_choice_name = std::string(FindString(*tool, "name").value_or(""));
      }
    }
  }
  if (const json::object* extra = FindObject(o, "additionalModelRequestFields")) {
    for (std::string_view key : {"thinking", "reasoning_config", "reasoningConfig"}) {
      if (const json::object* t = FindObject(*extra, key)) {
        out->thinking =
            out->thinking || FindString(*t, "type") == std::optional<std::string_view>("enabled");
      }
    }
  }
  return std::nullopt;
}

std::string BedrockConverseBody(const GenRequest& /*request*/, const GenReply& reply,
                                const GenIds& ids) {
  std::string b = "{\"metrics\":{\"latencyMs\":";
  AppendInt(b, kLatencyMs);
  b += "},\"output\":{\"message\":{\"content\":[";
  bool first = true;
  auto comma = [&b, &first] {
    if (!first) {
      b += ',';
    }
    first = false;
  };
  if (!reply.thought.empty()) {
    comma();
    b += "{\"reasoningContent\":{\"reasoningText\":{\"signature\":";
    AppendJsonString(b, ThinkingSignature());
    b += ",\"text\":";
    AppendJsonString(b, JoinWords(reply.thought));
    b += "}}}";
  }
  if (!reply.words.empty()) {
    comma();
    b += "{\"text\":";
    AppendJsonString(b, JoinWords(reply.words));
    b += '}';
  }
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    comma();
    b += "{\"toolUse\":{\"input\":";
    b += reply.calls[k].arguments;
    b += ",\"name\":";
    AppendJsonString(b, reply.calls[k].name);
    b += ",\"toolUseId\":";
    AppendJsonString(b, ToolUseId(ids, k));
    b += "}}";
  }
  b += "],\"role\":\"assistant\"}},\"stopReason\":\"";
  b += StopReason(reply.stop);
  b += "\",\"usage\":";
  AppendUsage(b, reply);
  b += '}';
  return b;
}

SseStream BedrockStream(const GenRequest& /*request*/, const GenReply& reply, const GenIds& ids) {
  FrameBuilder f;
  f.Event("messageStart", "{\"role\":\"assistant\"", false);
  std::size_t index = 0;
  if (!reply.thought.empty()) {
    for (std::size_t i = 0; i < reply.thought.size(); ++i) {
      std::string b = BlockHead(index);
      b += ",\"delta\":{\"reasoningContent\":{\"text\":";
      AppendJsonString(
          b, i == 0 ? std::string(reply.thought[i]) : " " + std::string(reply.thought[i]));
      b += "}}";
      f.Event("contentBlockDelta", std::move(b), true);
    }
    std::string b = BlockHead(index);
    b += ",\"delta\":{\"reasoningContent\":{\"signature\":";
    AppendJsonString(b, ThinkingSignature());
    b += "}}";
    f.Event("contentBlockDelta", std::move(b), false);
    f.Event("contentBlockStop", BlockHead(index), false);
    ++index;
  }
  if (!reply.words.empty()) {
    for (std::size_t i = 0; i < reply.words.size(); ++i) {
      std::string b = BlockHead(index);
      b += ",\"delta\":{\"text\":";
      AppendJsonString(b, i == 0 ? std::string(reply.words[i]) : " " + std::string(reply.words[i]));
      b += '}';
      f.Event("contentBlockDelta", std::move(b), true);
    }
    f.Event("contentBlockStop", BlockHead(index), false);
    ++index;
  }
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    std::string b = BlockHead(index);
    b += ",\"start\":{\"toolUse\":{\"name\":";
    AppendJsonString(b, reply.calls[k].name);
    b += ",\"toolUseId\":";
    AppendJsonString(b, ToolUseId(ids, k));
    b += "}}";
    f.Event("contentBlockStart", std::move(b), false);
    for (std::string_view fragment : Fragments(reply.calls[k].arguments, 8)) {
      std::string d = BlockHead(index);
      d += ",\"delta\":{\"toolUse\":{\"input\":";
      AppendJsonString(d, fragment);
      d += "}}";
      f.Event("contentBlockDelta", std::move(d), true);
    }
    f.Event("contentBlockStop", BlockHead(index), false);
    ++index;
  }
  std::string stop = "{\"stopReason\":\"";
  stop += StopReason(reply.stop);
  stop += '"';
  f.Event("messageStop", std::move(stop), false);
  std::string meta = "{\"usage\":";
  AppendUsage(meta, reply);
  meta += ",\"metrics\":{\"latencyMs\":";
  AppendInt(meta, kLatencyMs);
  meta += '}';
  f.Event("metadata", std::move(meta), false);
  return f.Take();
}

}  // namespace baton::mock
