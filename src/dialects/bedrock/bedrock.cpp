// Bedrock Converse translation (see bedrock.hpp for the choices made). Built on boost::json
// values: Converse bodies are nested documents, and this path is not the hot one (same-dialect
// traffic never comes here).
#include "dialects/bedrock/bedrock.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "dialects/bedrock/event_stream.hpp"
#include "dialects/json_number.hpp"

namespace baton::bedrock {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Role;

namespace {

// ---- Small JSON helpers (non-throwing) ----

const json::object* ObjectAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* ArrayAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_array() : nullptr;
}

std::string StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v != nullptr && v->is_string()) {
    return std::string(v->get_string());
  }
  return {};
}

int64_t IntAt(const json::object* o, std::string_view key) {
  if (o == nullptr) {
    return 0;
  }
  const json::value* v = o->if_contains(key);
  if (v == nullptr) {
    return 0;
  }
  return JsonInt(*v).value_or(0);
}

// Parses JSON text; nullopt when it is not valid JSON.
std::optional<json::value> ParseJson(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return std::nullopt;
  }
  return v;
}

bool IsBlank(std::string_view s) {
  return std::ranges::all_of(
      s, [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// ---- Request ----

std::string ImageFormat(std::string_view media_type) {
  std::string_view t = media_type;
  if (t.starts_with("image/")) {
    t.remove_prefix(6);
  }
  if (t == "jpg") {
    return "jpeg";
  }
  return std::string(t);
}

json::value RenderImage(const Part& p) {
  if (p.data.empty()) {
    return json::object{{"text", "[image: " + p.url + "]"}};
  }
  json::object source{{"bytes", p.data}};
  json::object image{{"format", ImageFormat(p.media_type)}, {"source", std::move(source)}};
  return json::object{{"image", std::move(image)}};
}

// Tool-call arguments as a document: the JSON they hold, {} when empty, the raw text when invalid.
json::value ArgumentsValue(std::string_view arguments) {
  if (IsBlank(arguments)) {
    return json::object();
  }
  if (auto v = ParseJson(arguments)) {
    return std::move(*v);
  }
  return json::string(arguments);
}

void RenderPart(const Part& p, json::array& out) {
  switch (p.type) {
    case Part::Type::kText:
      if (!IsBlank(p.text)) {
        out.push_back(json::object{{"text", p.text}});
      }
      break;
    case Part::Type::kImage:
      out.push_back(RenderImage(p));
      break;
    case Part::Type::kToolCall: {
      json::object use{
          {"toolUseId", p.id}, {"name", p.name}, {"input", ArgumentsValue(p.arguments)}};
      out.push_back(json::object{{"toolUse", std::move(use)}});
      break;
    }
    case Part::Type::kToolResult: {
      json::array content;
      for (const Part& c : p.content) {
        if (c.type == Part::Type::kImage) {
          content.push_back(RenderImage(c));
        } else if (c.type == Part::Type::kText && !c.text.empty()) {
          content.push_back(json::object{{"text", c.text}});
        }
      }
      json::object result{{"toolUseId", p.id}, {"content", std::move(content)}};
      if (p.is_error) {
        result["status"] = "error";
      }
      out.push_back(json::object{{"toolResult", std::move(result)}});
      break;
    }
    case Part::Type::kThinking: {
      json::object text{{"text", p.text}};
      if (!p.signature.empty()) {
        text["signature"] = p.signature;
      }
      json::object reasoning{{"reasoningText", std::move(text)}};
      out.push_back(json::object{{"reasoningContent", std::move(reasoning)}});
      break;
    }
    case Part::Type::kRedactedThinking: {
      json::object reasoning{{"redactedContent", p.data}};
      out.push_back(json::object{{"reasoningContent", std::move(reasoning)}});
      break;
    }
  }
}

bool IsClaude(std::string_view model) {
  if (model.empty()) {
    return true;
  }
  std::string lower(model);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("anthropic") != std::string::npos || lower.find("claude") != std::string::npos;
}

std::optional<int64_t> ThinkingBudget(const canon::Request& r) {
  if (!r.thinking_enabled && !r.thinking_budget && r.reasoning_effort.empty()) {
    return std::nullopt;
  }
  int64_t budget = 2048;
  if (r.thinking_budget) {
    budget = *r.thinking_budget;
  } else if (r.reasoning_effort == "minimal" || r.reasoning_effort == "low") {
    budget = 1024;
  } else if (r.reasoning_effort == "high") {
    budget = 4096;
  }
  if (r.max_tokens && budget >= *r.max_tokens) {
    budget = *r.max_tokens - 1;
  }
  if (budget < 1024) {
    return std::nullopt;  // Claude's minimum; no room for thinking under this cap
  }
  return budget;
}

json::object ToolSpec(std::string_view name, std::string_view description,
                      std::string_view parameters) {
  json::value schema;
  auto parsed = parameters.empty() ? std::nullopt : ParseJson(parameters);
  if (parsed && parsed->is_object()) {
    schema = std::move(*parsed);
  } else {
    schema = json::object{{"type", "object"}, {"properties", json::object()}};
  }
  json::object spec{{"name", name}, {"inputSchema", json::object{{"json", std::move(schema)}}}};
  if (!description.empty()) {
    spec["description"] = description;  // Converse rejects an empty description
  }
  return json::object{{"toolSpec", std::move(spec)}};
}

}  // namespace

std::string RenderRequest(const canon::Request& r, std::string_view model) {
  json::object body;

  json::array messages;
  Role last_role = Role::kUser;
  bool tool_history = false;
  std::vector<std::string> history_tools;  // tool names used in the history, first-seen order
  for (const auto& msg : r.messages) {
    json::array content;
    for (const Part& p : msg.parts) {
      RenderPart(p, content);
      if (p.type == Part::Type::kToolCall || p.type == Part::Type::kToolResult) {
        tool_history = true;
        if (!p.name.empty() && std::ranges::find(history_tools, p.name) == history_tools.end()) {
          history_tools.push_back(p.name);
        }
      }
    }
    if (content.empty()) {
      continue;
    }
    if (!messages.empty() && msg.role == last_role) {
      json::array& prev = messages.back().as_object()["content"].as_array();
      for (auto& c : content) {
        prev.push_back(std::move(c));
      }
      continue;
    }
    messages.push_back(json::object{{"role", msg.role == Role::kUser ? "user" : "assistant"},
                                    {"content", std::move(content)}});
    last_role = msg.role;
  }
  body["messages"] = std::move(messages);

  json::array system;
  for (const Part& p : r.system) {
    if (p.type == Part::Type::kText && !IsBlank(p.text)) {
      system.push_back(json::object{{"text", p.text}});
    }
  }
  if (!system.empty()) {
    body["system"] = std::move(system);
  }

  bool claude = IsClaude(model);
  // Plain values rather than the optional: g++ 12 warns (falsely) about its use below.
  std::optional<int64_t> thinking_budget = claude ? ThinkingBudget(r) : std::nullopt;
  const bool thinking = thinking_budget.has_value();
  const int64_t budget = thinking_budget.value_or(0);

  json::object inference;
  if (r.max_tokens) {
    inference["maxTokens"] = *r.max_tokens;
  }
  if (r.temperature && !thinking) {
    inference["temperature"] = std::clamp(*r.temperature, 0.0, 1.0);
  }
  if (r.top_p && (!thinking || *r.top_p >= 0.95)) {
    inference["topP"] = *r.top_p;
  }
  json::array stops;
  for (const auto& s : r.stop) {
    if (!IsBlank(s)) {
      stops.push_back(json::string(s));
    }
  }
  if (!stops.empty()) {
    inference["stopSequences"] = std::move(stops);
  }
  if (!inference.empty()) {
    body["inferenceConfig"] = std::move(inference);
  }

  using Mode = canon::ToolChoice::Mode;
  bool send_tools = !r.tools.empty() && r.tool_choice.mode != Mode::kNone;
  if (send_tools || tool_history) {
    json::array tools;
    for (const auto& t : r.tools) {
      tools.push_back(ToolSpec(t.name, t.description, t.parameters));
    }
    if (tools.empty()) {
      for (const auto& name : history_tools) {
        tools.push_back(ToolSpec(name, "", ""));
      }
    }
    if (!tools.empty()) {
      json::object config{{"tools", std::move(tools)}};
      if (send_tools) {
        switch (r.tool_choice.mode) {
          case Mode::kAuto:
            config["toolChoice"] = json::object{{"auto", json::object()}};
            break;
          case Mode::kAny:
            config["toolChoice"] = json::object{{"any", json::object()}};
            break;
          case Mode::kTool:
            config["toolChoice"] =
                json::object{{"tool", json::object{{"name", r.tool_choice.name}}}};
            break;
          case Mode::kUnset:
          case Mode::kNone:
            break;
        }
      }
      body["toolConfig"] = std::move(config);
    }
  }

  json::object extra;
  if (thinking) {
    extra["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
  }
  if (claude && r.top_k && !thinking) {
    extra["top_k"] = *r.top_k;
  }
  if (!extra.empty()) {
    body["additionalModelRequestFields"] = std::move(extra);
  }
  return json::serialize(body);
}

// ---- Response ----

FinishReason FinishFromStopReason(std::string_view s) {
  if (s == "tool_use") {
    return FinishReason::kToolCalls;
  }
  if (s == "max_tokens") {
    return FinishReason::kLength;
  }
  if (s == "stop_sequence") {
    return FinishReason::kStopSequence;
  }
  if (s == "guardrail_intervened" || s == "content_filtered") {
    return FinishReason::kContentFilter;
  }
  if (s == "model_context_window_exceeded") {
    return FinishReason::kContextWindow;
  }
  return FinishReason::kStop;
}

namespace {

canon::Usage UsageFrom(const json::object* u) {
  canon::Usage usage;
  if (u == nullptr) {
    return usage;
  }
  usage.present = true;
  usage.cache_read_tokens = IntAt(u, "cacheReadInputTokens");
  usage.cache_creation_tokens = IntAt(u, "cacheWriteInputTokens");
  usage.input_tokens =
      IntAt(u, "inputTokens") + usage.cache_read_tokens + usage.cache_creation_tokens;
  usage.output_tokens = IntAt(u, "outputTokens");
  return usage;
}

// Claude on Bedrock reports the matched stop sequence in additionalModelResponseFields.
std::string MatchedStopSequence(const json::object& o) {
  const json::object* extra = ObjectAt(o, "additionalModelResponseFields");
  if (extra == nullptr) {
    return {};
  }
  return StringAt(*extra, "stop_sequence");
}

Error Malformed(std::string what) {
  return {ErrorKind::kUpstreamError, "unexpected response from Bedrock: " + what};
}

}  // namespace

Result<canon::Response> ParseResponse(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed || !parsed->is_object()) {
    return Malformed("not a JSON object");
  }
  const json::object& root = parsed->get_object();
  const json::object* output = ObjectAt(root, "output");
  const json::object* message = output != nullptr ? ObjectAt(*output, "message") : nullptr;
  const json::array* content = message != nullptr ? ArrayAt(*message, "content") : nullptr;
  if (content == nullptr) {
    return Malformed("no output.message.content");
  }
  canon::Response resp;
  resp.id = canon::NewId("bedrock-");
  for (const auto& item : *content) {
    const json::object* block = item.if_object();
    if (block == nullptr) {
      continue;
    }
    if (const json::value* text = block->if_contains("text");
        text != nullptr && text->is_string()) {
      resp.content.push_back(Part::Text(std::string(text->get_string())));
    } else if (const json::object* use = ObjectAt(*block, "toolUse")) {
      Part p;
      p.type = Part::Type::kToolCall;
      p.id = StringAt(*use, "toolUseId");
      p.name = StringAt(*use, "name");
      const json::value* input = use->if_contains("input");
      p.arguments = input != nullptr ? json::serialize(*input) : "{}";
      resp.content.push_back(std::move(p));
    } else if (const json::object* reasoning = ObjectAt(*block, "reasoningContent")) {
      Part p;
      if (const json::object* rt = ObjectAt(*reasoning, "reasoningText")) {
        p.type = Part::Type::kThinking;
        p.text = StringAt(*rt, "text");
        p.signature = StringAt(*rt, "signature");
      } else {
        p.type = Part::Type::kRedactedThinking;
        p.data = StringAt(*reasoning, "redactedContent");
      }
      resp.content.push_back(std::move(p));
    }
  }
  resp.finish = FinishFromStopReason(StringAt(root, "stopReason"));
  resp.stop_sequence = MatchedStopSequence(root);
  resp.usage = UsageFrom(ObjectAt(root, "usage"));
  return resp;
}

// ---- Errors ----

ErrorKind KindForException(std::string_view type) {
  std::string t(type);
  std::ranges::transform(t, t.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "throttlingexception") {
    return ErrorKind::kRateLimited;
  }
  if (t == "validationexception") {
    return ErrorKind::kBadRequest;
  }
  if (t == "modeltimeoutexception") {
    return ErrorKind::kUpstreamTimeout;
  }
  if (t == "serviceunavailableexception") {
    return ErrorKind::kUnavailable;
  }
  return ErrorKind::kUpstreamError;
}

Error ParseError(int status, std::string_view body) {
  std::string message;
  if (auto v = ParseJson(body); v && v->is_object()) {
    message = StringAt(v->get_object(), "message");
    if (message.empty()) {
      message = StringAt(v->get_object(), "Message");
    }
  }
  if (message.empty()) {
    message = "Bedrock returned HTTP " + std::to_string(status);
  }
  Error e(canon::KindForUpstreamStatus(status), std::move(message));
  e.upstream_status = status;
  return e;
}

std::string RenderError(const Error& error) {
  return json::serialize(json::object{{"message", error.message}});
}

int ErrorStatus(const Error& error) {
  return DefaultHttpStatus(error.kind);
}

// ---- Stream ----

namespace {

class ConverseStreamDecoder : public canon::StreamDecoder {
 public:
  void Feed(std::string_view bytes, canon::StreamEvents& out) override {
    if (done_) {
      return;
    }
    messages_.clear();
    Status st = frames_.Feed(bytes, messages_);
    for (const auto& m : messages_) {
      Handle(m, out);
      if (done_) {
        return;
      }
    }
    if (!st.ok()) {
      Fail(st.error(), out);
    }
  }

  void Finish(canon::StreamEvents& out) override {
    if (done_) {
      return;
    }
    if (stopped_ && frames_.AtBoundary()) {
      End(out);
      return;
    }
    Fail(Error(ErrorKind::kUpstreamError, "Bedrock stream ended before messageStop"), out);
  }

 private:
  void Fail(Error e, canon::StreamEvents& out) {
    canon::StreamEvent ev;
    ev.type = canon::StreamEvent::Type::kError;
    ev.error = std::move(e);
    out.push_back(std::move(ev));
    done_ = true;
  }

  void End(canon::StreamEvents& out) {
    canon::StreamEvent ev;
    ev.type = canon::StreamEvent::Type::kEnd;
    out.push_back(std::move(ev));
    done_ = true;
  }

  void Handle(const EventMessage& m, canon::StreamEvents& out) {
    std::string_view message_type = m.HeaderString(":message-type");
    if (message_type == "exception") {
      std::string_view type = m.HeaderString(":exception-type");
      std::string message;
      if (auto v = ParseJson(m.payload); v && v->is_object()) {
        message = StringAt(v->get_object(), "message");
        if (message.empty()) {
          message = StringAt(v->get_object(), "Message");
        }
      }
      if (message.empty()) {
        message = "Bedrock stream failed: " + std::string(type);
      }
      Fail(Error(KindForException(type), std::move(message), std::string(type)), out);
      return;
    }
    if (message_type == "error") {
      std::string code(m.HeaderString(":error-code"));
      std::string message(m.HeaderString(":error-message"));
      if (message.empty()) {
        message = "Bedrock stream failed: " + code;
      }
      Fail(Error(KindForException(code), std::move(message), code), out);
      return;
    }
    std::string_view event = m.HeaderString(":event-type");
    auto parsed = ParseJson(m.payload);
    if (!parsed || !parsed->is_object()) {
      Fail(Error(ErrorKind::kUpstreamError, "unexpected Bedrock stream event: payload is not JSON"),
           out);
      return;
    }
    const json::object& p = parsed->get_object();
    using Type = canon::StreamEvent::Type;
    canon::StreamEvent ev;
    if (event == "messageStart") {
      ev.type = Type::kStart;
      ev.id = canon::NewId("bedrock-");
      out.push_back(std::move(ev));
    } else if (event == "contentBlockStart") {
      const json::object* start = ObjectAt(p, "start");
      const json::object* use = start != nullptr ? ObjectAt(*start, "toolUse") : nullptr;
      if (use != nullptr) {
        ev.type = Type::kToolCallStart;
        ev.tool_index = next_tool_index_++;
        ev.id = StringAt(*use, "toolUseId");
        ev.name = StringAt(*use, "name");
        tool_blocks_[IntAt(&p, "contentBlockIndex")] = ev.tool_index;
        out.push_back(std::move(ev));
      }
    } else if (event == "contentBlockDelta") {
      const json::object* delta = ObjectAt(p, "delta");
      if (delta == nullptr) {
        return;
      }
      if (const json::value* text = delta->if_contains("text");
          text != nullptr && text->is_string()) {
        ev.type = Type::kTextDelta;
        ev.text = std::string(text->get_string());
        out.push_back(std::move(ev));
      } else if (const json::object* use = ObjectAt(*delta, "toolUse")) {
        ev.type = Type::kToolArgsDelta;
        auto it = tool_blocks_.find(IntAt(&p, "contentBlockIndex"));
        ev.tool_index = it != tool_blocks_.end() ? it->second : std::max(0, next_tool_index_ - 1);
        ev.text = StringAt(*use, "input");
        out.push_back(std::move(ev));
      } else if (const json::object* reasoning = ObjectAt(*delta, "reasoningContent")) {
        if (const json::value* t = reasoning->if_contains("text"); t != nullptr && t->is_string()) {
          ev.type = Type::kThinkingDelta;
          ev.text = std::string(t->get_string());
        } else if (const json::value* s = reasoning->if_contains("signature");
                   s != nullptr && s->is_string()) {
          ev.type = Type::kSignatureDelta;
          ev.text = std::string(s->get_string());
        } else if (const json::value* r = reasoning->if_contains("redactedContent");
                   r != nullptr && r->is_string()) {
          ev.type = Type::kRedactedThinking;
          ev.text = std::string(r->get_string());
        } else {
          return;
        }
        out.push_back(std::move(ev));
      }
    } else if (event == "messageStop") {
      ev.type = Type::kFinish;
      ev.finish = FinishFromStopReason(StringAt(p, "stopReason"));
      ev.stop_sequence = MatchedStopSequence(p);
      out.push_back(std::move(ev));
      stopped_ = true;
    } else if (event == "metadata") {
      ev.type = Type::kUsage;
      ev.usage = UsageFrom(ObjectAt(p, "usage"));
      if (ev.usage.present) {
        out.push_back(std::move(ev));
      }
      if (stopped_) {
        End(out);  // metadata is the last event of a ConverseStream
      }
    }
    // contentBlockStop and unknown events carry nothing the canonical form needs.
  }

  EventStreamDecoder frames_;
  std::vector<EventMessage> messages_;
  std::map<int64_t, int> tool_blocks_;  // contentBlockIndex → tool_index
  int next_tool_index_ = 0;
  bool stopped_ = false;  // messageStop seen
  bool done_ = false;     // kEnd or kError emitted
};

}  // namespace

std::unique_ptr<canon::StreamDecoder> MakeStreamDecoder() {
  return std::make_unique<ConverseStreamDecoder>();
}

}  // namespace baton::bedrock
