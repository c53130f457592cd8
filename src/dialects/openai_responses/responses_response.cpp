// Responses API response objects and streams ↔ canonical form. A response's output is a list of
// items: a reasoning item per run of thinking, a message item per run of text, a function_call
// item per tool call, in the order the model produced them. The stream encoder emits the events
// of §2 in the order the official SDKs' accumulators expect (item added → parts → deltas → done).
#include <map>
#include <set>

#include <boost/json.hpp>

#include "dialects/json_number.hpp"
#include "dialects/openai_chat/openai_codec.hpp"
#include "dialects/openai_chat/openai_json.hpp"
#include "dialects/openai_responses/responses_codec.hpp"
#include "dialects/sse.hpp"

namespace baton::canon {

namespace json = boost::json;

namespace {

using openai_json::IntOf;
using openai_json::Member;
using openai_json::StringOf;

std::string ResponseId(std::string_view upstream_id) {
  if (upstream_id.starts_with("resp_")) {
    return std::string(upstream_id);
  }
  return NewId("resp_");
}

json::value UsageValue(const Usage& u) {
  return json::object{
      {"input_tokens", u.input_tokens},
      {"input_tokens_details", json::object{{"cached_tokens", u.cache_read_tokens}}},
      {"output_tokens", u.output_tokens},
      {"output_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}},
      {"total_tokens", u.input_tokens + u.output_tokens}};
}

Usage UsageFrom(const json::object& u) {
  Usage usage;
  usage.present = true;
  usage.input_tokens = IntOf(Member(u, "input_tokens"));
  usage.output_tokens = IntOf(Member(u, "output_tokens"));
  if (const json::value* d = Member(u, "input_tokens_details"); d != nullptr && d->is_object()) {
    usage.cache_read_tokens = IntOf(Member(d->get_object(), "cached_tokens"));
  }
  if (const json::value* d = Member(u, "output_tokens_details"); d != nullptr && d->is_object()) {
    usage.reasoning_tokens = IntOf(Member(d->get_object(), "reasoning_tokens"));
  }
  return usage;
}

json::object OutputText(std::string_view text) {
  return json::object{{"type", "output_text"},
                      {"annotations", json::array{}},
                      {"logprobs", json::array{}},
                      {"text", text}};
}

json::object SummaryText(std::string_view text) {
  return json::object{{"type", "summary_text"}, {"text", text}};
}

json::object ReasoningItem(std::string_view id, std::string_view text) {
  json::array summary;
  if (!text.empty()) {
    summary.push_back(SummaryText(text));
  }
  return json::object{{"id", id}, {"type", "reasoning"}, {"summary", std::move(summary)}};
}

json::object MessageItem(std::string_view id, std::string_view status, json::array content) {
  return json::object{{"id", id},
                      {"type", "message"},
                      {"status", status},
                      {"role", "assistant"},
                      {"content", std::move(content)}};
}

json::object FunctionCallItem(std::string_view id, std::string_view status, const Part& call) {
  return json::object{{"id", id},           {"type", "function_call"},
                      {"status", status},   {"arguments", call.arguments},
                      {"call_id", call.id}, {"name", call.name}};
}

enum class ItemKind { kReasoning, kMessage, kFunctionCall };

ItemKind KindOf(const Part& p) {
  if (p.type == Part::Type::kThinking) {
    return ItemKind::kReasoning;
  }
  return p.type == Part::Type::kToolCall ? ItemKind::kFunctionCall : ItemKind::kMessage;
}

const char* IdPrefix(ItemKind k) {
  switch (k) {
    case ItemKind::kReasoning:
      return "rs_";
    case ItemKind::kMessage:
      return "msg_";
    case ItemKind::kFunctionCall:
      return "fc_";
  }
  return "item_";
}

// The output items of a response: runs of thinking and runs of text become one item each; each
// tool call is an item. ids[i] names item i (fresh ids for the rest).
json::array OutputItems(const std::vector<Part>& content, const std::vector<std::string>& ids) {
  json::array items;
  std::size_t i = 0;
  while (i < content.size()) {
    const Part& p = content[i];
    if (p.type != Part::Type::kThinking && p.type != Part::Type::kText &&
        p.type != Part::Type::kToolCall) {
      ++i;
      continue;
    }
    ItemKind kind = KindOf(p);
    std::string id = items.size() < ids.size() ? ids[items.size()] : NewId(IdPrefix(kind));
    if (kind == ItemKind::kFunctionCall) {
      Part call = p;
      if (call.arguments.empty()) {
        call.arguments = "{}";
      }
      items.push_back(FunctionCallItem(id, "completed", call));
      ++i;
      continue;
    }
    std::string text;
    while (i < content.size() && content[i].type == p.type) {
      text += content[i].text;
      ++i;
    }
    if (kind == ItemKind::kReasoning) {
      items.push_back(ReasoningItem(id, text));
    } else {
      json::array parts;
      parts.push_back(OutputText(text));
      items.push_back(MessageItem(id, "completed", std::move(parts)));
    }
  }
  return items;
}

// The full response object, with the request's settings echoed as the SDKs expect them.
json::object ResponseObject(std::string_view id, int64_t created_at, std::string_view status,
                            std::string_view model, FinishReason finish, json::array output,
                            const Usage* usage, const Request& request) {
  json::object r;
  r["id"] = id;
  r["object"] = "response";
  r["created_at"] = created_at;
  r["status"] = status;
  r["error"] = nullptr;
  if (status == "incomplete") {
    r["incomplete_details"] =
        json::object{{"reason", finish == FinishReason::kContentFilter ? "content_filter"
                                                                       : "max_output_tokens"}};
  } else {
    r["incomplete_details"] = nullptr;
  }
  r["instructions"] =
      request.system.empty() ? json::value(nullptr) : json::value(JoinText(request.system, "\n\n"));
  r["max_output_tokens"] =
      request.max_tokens ? json::value(*request.max_tokens) : json::value(nullptr);
  r["model"] = model.empty() ? std::string_view(request.model) : model;
  r["output"] = std::move(output);
  r["parallel_tool_calls"] = request.parallel_tool_calls.value_or(true);
  r["previous_response_id"] = nullptr;
  r["reasoning"] = json::object{
      {"effort", request.reasoning_effort.empty() ? json::value(nullptr)
                                                  : json::value(request.reasoning_effort)},
      {"summary", nullptr}};
  r["store"] = false;
  r["temperature"] = request.temperature.value_or(1.0);
  r["text"] = json::object{{"format", ResponsesTextFormat(request)}};
  r["tool_choice"] = ResponsesToolChoice(request);
  r["tools"] = ResponsesTools(request);
  r["top_p"] = request.top_p.value_or(1.0);
  r["truncation"] = "disabled";
  r["usage"] = usage != nullptr ? UsageValue(*usage) : json::value(nullptr);
  r["user"] = request.user.empty() ? json::value(nullptr) : json::value(request.user);
  r["metadata"] = json::object{};
  return r;
}

const char* StatusFor(FinishReason finish) {
  switch (finish) {
    case FinishReason::kLength:
    case FinishReason::kContextWindow:
    case FinishReason::kContentFilter:
      return "incomplete";
    default:
      break;
  }
  return "completed";
}

// Canonical finish for a response object's status and items.
FinishReason FinishFrom(const json::object& r, bool has_calls) {
  std::string status = StringOf(Member(r, "status"));
  if (status == "incomplete") {
    std::string reason;
    if (const json::value* d = Member(r, "incomplete_details"); d != nullptr && d->is_object()) {
      reason = StringOf(Member(d->get_object(), "reason"));
    }
    return reason == "content_filter" ? FinishReason::kContentFilter : FinishReason::kLength;
  }
  return has_calls ? FinishReason::kToolCalls : FinishReason::kStop;
}

Error FailedError(const json::object& r) {
  Error e(ErrorKind::kUpstreamError, "The upstream response failed.");
  if (const json::value* err = Member(r, "error"); err != nullptr && err->is_object()) {
    std::string m = StringOf(Member(err->get_object(), "message"));
    if (!m.empty()) {
      e.message = std::move(m);
    }
    e.code = StringOf(Member(err->get_object(), "code"));
  }
  return e;
}

}  // namespace

// ---- Non-streamed responses ----

Result<Response> ParseResponsesResponse(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return Error(ErrorKind::kUpstreamError, "The upstream returned a response that is not JSON.");
  }
  const json::object& o = doc.get_object();
  if (Member(o, "error") != nullptr && Member(o, "output") == nullptr) {
    return ParseOpenAiChatError(502, body);
  }
  if (StringOf(Member(o, "status")) == "failed") {
    return FailedError(o);
  }
  Response resp;
  resp.id = StringOf(Member(o, "id"));
  resp.model = StringOf(Member(o, "model"));
  resp.created = IntOf(Member(o, "created_at"));
  if (const json::value* u = Member(o, "usage"); u != nullptr && u->is_object()) {
    resp.usage = UsageFrom(u->get_object());
  }
  bool has_calls = false;
  if (const json::value* out = Member(o, "output"); out != nullptr && out->is_array()) {
    for (const json::value& iv : out->get_array()) {
      if (!iv.is_object()) {
        continue;
      }
      const json::object& item = iv.get_object();
      std::string type = StringOf(Member(item, "type"));
      if (type == "reasoning") {
        std::string text;
        for (const char* key : {"summary", "content"}) {
          if (const json::value* s = Member(item, key); s != nullptr && s->is_array()) {
            for (const json::value& sp : s->get_array()) {
              if (sp.is_object()) {
                if (!text.empty()) {
                  text += "\n\n";
                }
                text += StringOf(Member(sp.get_object(), "text"));
              }
            }
          }
          if (!text.empty()) {
            break;
          }
        }
        if (!text.empty()) {
          Part p;
          p.type = Part::Type::kThinking;
          p.text = std::move(text);
          resp.content.push_back(std::move(p));
        }
      } else if (type == "message") {
        if (const json::value* c = Member(item, "content"); c != nullptr && c->is_array()) {
          for (const json::value& pv : c->get_array()) {
            if (!pv.is_object()) {
              continue;
            }
            const json::object& part = pv.get_object();
            std::string text = StringOf(Member(part, "text"));
            if (text.empty()) {
              text = StringOf(Member(part, "refusal"));
            }
            if (!text.empty()) {
              resp.content.push_back(Part::Text(std::move(text)));
            }
          }
        }
      } else if (type == "function_call") {
        Part call;
        call.type = Part::Type::kToolCall;
        call.id = StringOf(Member(item, "call_id"));
        call.name = StringOf(Member(item, "name"));
        call.arguments = StringOf(Member(item, "arguments"));
        if (call.arguments.empty()) {
          call.arguments = "{}";
        }
        resp.content.push_back(std::move(call));
        has_calls = true;
      }
    }
  }
  resp.finish = FinishFrom(o, has_calls);
  return resp;
}

std::string RenderResponsesResponse(const Response& response, const Request& request) {
  FinishReason finish = response.finish;
  json::object r =
      ResponseObject(ResponseId(response.id), response.created != 0 ? response.created : UnixNow(),
                     StatusFor(finish), response.model, finish, OutputItems(response.content, {}),
                     &response.usage, request);
  return json::serialize(r);
}

// ---- Stream encoding ----

namespace {

class ResponsesEncoder final : public StreamEncoder {
 public:
  // Keeps what the response object echoes, not the conversation (which may hold images).
  explicit ResponsesEncoder(const Request& request) {
    request_.model = request.model;
    request_.system = request.system;
    request_.tools = request.tools;
    request_.tool_choice = request.tool_choice;
    request_.parallel_tool_calls = request.parallel_tool_calls;
    request_.max_tokens = request.max_tokens;
    request_.temperature = request.temperature;
    request_.top_p = request.top_p;
    request_.reasoning_effort = request.reasoning_effort;
    request_.response_format = request.response_format;
    request_.response_schema = request.response_schema;
    request_.response_schema_name = request.response_schema_name;
    request_.user = request.user;
  }

  void Encode(const StreamEvent& event, std::string& out) override {
    if (ended_) {
      return;
    }
    switch (event.type) {
      case StreamEvent::Type::kStart:
        Begin(event.id, event.name, out);
        break;
      case StreamEvent::Type::kThinkingDelta:
        Begin({}, {}, out);
        if (!event.text.empty()) {
          Open(ItemKind::kReasoning, nullptr, out);
          content_.back().text += event.text;
          Emit("response.reasoning_summary_text.delta",
               {{"item_id", ids_.back()},
                {"output_index", OutputIndex()},
                {"summary_index", 0},
                {"delta", event.text}},
               out);
        }
        break;
      case StreamEvent::Type::kTextDelta:
        Begin({}, {}, out);
        if (!event.text.empty()) {
          Open(ItemKind::kMessage, nullptr, out);
          content_.back().text += event.text;
          Emit("response.output_text.delta",
               {{"item_id", ids_.back()},
                {"output_index", OutputIndex()},
                {"content_index", 0},
                {"delta", event.text},
                {"logprobs", json::array{}}},
               out);
        }
        break;
      case StreamEvent::Type::kToolCallStart:
        Begin({}, {}, out);
        Open(ItemKind::kFunctionCall, &event, out);
        break;
      case StreamEvent::Type::kToolArgsDelta: {
        Begin({}, {}, out);
        auto it = calls_.find(event.tool_index);
        if (it == calls_.end() || event.text.empty()) {
          break;
        }
        content_[it->second].arguments += event.text;
        if (open_ && it->second == content_.size() - 1) {
          Emit("response.function_call_arguments.delta",
               {{"item_id", ids_[it->second]},
                {"output_index", static_cast<int64_t>(it->second)},
                {"delta", event.text}},
               out);
        }
        break;
      }
      case StreamEvent::Type::kFinish:
        finish_ = event.finish;
        break;
      case StreamEvent::Type::kUsage:
        usage_ = event.usage;
        break;
      case StreamEvent::Type::kEnd: {
        Begin({}, {}, out);
        Close(out);
        FinishReason finish = finish_;
        if (finish == FinishReason::kNone) {
          finish = calls_.empty() ? FinishReason::kStop : FinishReason::kToolCalls;
        }
        std::string status = StatusFor(finish);
        Emit(status == "completed" ? "response.completed" : "response.incomplete",
             {{"response", Object(status, finish, true)}}, out);
        ended_ = true;
        break;
      }
      case StreamEvent::Type::kError: {
        Begin({}, {}, out);
        std::string code =
            event.error.code.empty() ? ErrorKindName(event.error.kind) : event.error.code;
        Emit("error", {{"code", code}, {"message", event.error.message}, {"param", nullptr}}, out);
        json::object failed = Object("failed", FinishReason::kStop, false);
        failed["error"] = json::object{{"code", code}, {"message", event.error.message}};
        Emit("response.failed", {{"response", std::move(failed)}}, out);
        ended_ = true;
        break;
      }
      case StreamEvent::Type::kSignatureDelta:
      case StreamEvent::Type::kRedactedThinking:
        break;
    }
  }

 private:
  int64_t OutputIndex() const { return static_cast<int64_t>(content_.size()) - 1; }

  void Emit(std::string_view type, json::object fields, std::string& out) {
    json::object data;
    data["type"] = type;
    data["sequence_number"] = sequence_++;
    for (auto& kv : fields) {
      data[kv.key()] = std::move(kv.value());
    }
    out += "event: ";
    out += type;
    out += "\ndata: ";
    out += json::serialize(data);
    out += "\n\n";
  }

  json::object Object(std::string_view status, FinishReason finish, bool with_output) {
    json::array output;
    if (with_output) {
      output = OutputItems(content_, ids_);
    }
    return ResponseObject(id_, created_, status, model_, finish, std::move(output),
                          with_output ? &usage_ : nullptr, request_);
  }

  void Begin(std::string_view id, std::string_view model, std::string& out) {
    if (started_) {
      return;
    }
    started_ = true;
    id_ = ResponseId(id);
    model_ = model;
    created_ = UnixNow();
    json::object r = Object("in_progress", FinishReason::kNone, false);
    r["usage"] = nullptr;
    Emit("response.created", {{"response", r}}, out);
    Emit("response.in_progress", {{"response", std::move(r)}}, out);
  }

  // Makes an item of this kind the open one (closing another kind first). A tool call always
  // opens a new item.
  void Open(ItemKind kind, const StreamEvent* call, std::string& out) {
    if (open_ && open_kind_ == kind && kind != ItemKind::kFunctionCall) {
      return;
    }
    Close(out);
    open_ = true;
    open_kind_ = kind;
    ids_.push_back(NewId(IdPrefix(kind)));
    const std::string& id = ids_.back();
    Part p;
    auto index = static_cast<int64_t>(content_.size());
    switch (kind) {
      case ItemKind::kReasoning:
        p.type = Part::Type::kThinking;
        content_.push_back(p);
        Emit("response.output_item.added",
             {{"output_index", index}, {"item", ReasoningItem(id, "")}}, out);
        Emit("response.reasoning_summary_part.added",
             {{"item_id", id},
              {"output_index", index},
              {"summary_index", 0},
              {"part", SummaryText("")}},
             out);
        break;
      case ItemKind::kMessage:
        p.type = Part::Type::kText;
        content_.push_back(p);
        Emit("response.output_item.added",
             {{"output_index", index}, {"item", MessageItem(id, "in_progress", json::array{})}},
             out);
        Emit("response.content_part.added",
             {{"item_id", id},
              {"output_index", index},
              {"content_index", 0},
              {"part", OutputText("")}},
             out);
        break;
      case ItemKind::kFunctionCall:
        p.type = Part::Type::kToolCall;
        p.id = call->id.empty() ? NewId("call_") : call->id;
        p.name = call->name;
        calls_[call->tool_index] = content_.size();
        content_.push_back(p);
        Emit("response.output_item.added",
             {{"output_index", index}, {"item", FunctionCallItem(id, "in_progress", p)}}, out);
        break;
    }
  }

  void Close(std::string& out) {
    if (!open_) {
      return;
    }
    open_ = false;
    const std::string& id = ids_.back();
    int64_t index = OutputIndex();
    Part& p = content_.back();
    switch (open_kind_) {
      case ItemKind::kReasoning:
        Emit("response.reasoning_summary_text.done",
             {{"item_id", id}, {"output_index", index}, {"summary_index", 0}, {"text", p.text}},
             out);
        Emit("response.reasoning_summary_part.done",
             {{"item_id", id},
              {"output_index", index},
              {"summary_index", 0},
              {"part", SummaryText(p.text)}},
             out);
        Emit("response.output_item.done",
             {{"output_index", index}, {"item", ReasoningItem(id, p.text)}}, out);
        break;
      case ItemKind::kMessage: {
        Emit("response.output_text.done",
             {{"item_id", id},
              {"output_index", index},
              {"content_index", 0},
              {"text", p.text},
              {"logprobs", json::array{}}},
             out);
        Emit("response.content_part.done",
             {{"item_id", id},
              {"output_index", index},
              {"content_index", 0},
              {"part", OutputText(p.text)}},
             out);
        json::array parts;
        parts.push_back(OutputText(p.text));
        Emit("response.output_item.done",
             {{"output_index", index}, {"item", MessageItem(id, "completed", std::move(parts))}},
             out);
        break;
      }
      case ItemKind::kFunctionCall:
        if (p.arguments.empty()) {
          p.arguments = "{}";
        }
        Emit("response.function_call_arguments.done",
             {{"item_id", id}, {"output_index", index}, {"arguments", p.arguments}}, out);
        Emit("response.output_item.done",
             {{"output_index", index}, {"item", FunctionCallItem(id, "completed", p)}}, out);
        break;
    }
  }

  Request request_;
  bool started_ = false;
  bool ended_ = false;
  bool open_ = false;
  ItemKind open_kind_ = ItemKind::kMessage;
  int64_t sequence_ = 0;
  std::string id_;
  std::string model_;
  int64_t created_ = 0;
  std::vector<Part> content_;         // one part per output item, as built so far
  std::vector<std::string> ids_;      // item ids, parallel to content_
  std::map<int, std::size_t> calls_;  // tool_index → item index
  FinishReason finish_ = FinishReason::kNone;
  Usage usage_;
};

// ---- Stream decoding ----

class ResponsesDecoder final : public StreamDecoder {
 public:
  void Feed(std::string_view bytes, StreamEvents& out) override {
    if (stopped_) {
      return;
    }
    splitter_.Feed(bytes, [&](const SseEvent& ev) {
      if (ev.has_data) {
        OnData(ev.data, out);
      }
      return !stopped_;
    });
    if (splitter_.overflow() && !stopped_) {
      Fail(Error(ErrorKind::kUpstreamError, "The upstream sent a stream event that is too large."),
           out);
    }
  }

  void Finish(StreamEvents& out) override {
    if (stopped_) {
      return;
    }
    FlushLastEvent(splitter_, [&](std::string_view data) {
      OnData(data, out);
      return !stopped_;
    });
    if (stopped_) {
      return;
    }
    Fail(Error(ErrorKind::kUpstreamError, "the upstream ended the stream before it was complete"),
         out);
  }

 private:
  void Fail(Error e, StreamEvents& out) {
    StreamEvent ev;
    ev.type = StreamEvent::Type::kError;
    ev.error = std::move(e);
    out.push_back(std::move(ev));
    stopped_ = true;
  }

  static void Push(StreamEvent::Type type, std::string text, StreamEvents& out,
                   int tool_index = 0) {
    StreamEvent ev;
    ev.type = type;
    ev.text = std::move(text);
    ev.tool_index = tool_index;
    out.push_back(std::move(ev));
  }

  void OnData(std::string_view data, StreamEvents& out) {
    if (data == "[DONE]") {
      return;  // not part of the protocol; the terminal response event ends the stream
    }
    json::error_code ec;
    json::value doc = json::parse(data, ec);
    if (ec || !doc.is_object()) {
      Fail(Error(ErrorKind::kUpstreamError, "The upstream sent a malformed stream event."), out);
      return;
    }
    const json::object& o = doc.get_object();
    std::string type = StringOf(Member(o, "type"));
    const json::value* rv = Member(o, "response");
    const json::object* r = (rv != nullptr && rv->is_object()) ? &rv->get_object() : nullptr;
    if (type == "response.created" || type == "response.in_progress") {
      if (!started_ && r != nullptr) {
        started_ = true;
        StreamEvent ev;
        ev.type = StreamEvent::Type::kStart;
        ev.id = StringOf(Member(*r, "id"));
        ev.name = StringOf(Member(*r, "model"));
        out.push_back(std::move(ev));
      }
      return;
    }
    std::string item_id = StringOf(Member(o, "item_id"));
    if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      had_deltas_.insert(item_id);
      Push(StreamEvent::Type::kTextDelta, StringOf(Member(o, "delta")), out);
      return;
    }
    if (type == "response.reasoning_summary_text.delta" ||
        type == "response.reasoning_text.delta") {
      had_deltas_.insert(item_id);
      Push(StreamEvent::Type::kThinkingDelta, StringOf(Member(o, "delta")), out);
      return;
    }
    // Some servers send a part's text only in its .done event: take it when no delta came.
    if (type == "response.output_text.done" || type == "response.refusal.done" ||
        type == "response.reasoning_summary_text.done" || type == "response.reasoning_text.done") {
      std::string text = StringOf(Member(o, type == "response.refusal.done" ? "refusal" : "text"));
      if (had_deltas_.insert(item_id).second && !text.empty()) {
        Push(type.find("reasoning") != std::string::npos ? StreamEvent::Type::kThinkingDelta
                                                         : StreamEvent::Type::kTextDelta,
             std::move(text), out);
      }
      return;
    }
    if (type == "response.function_call_arguments.done") {
      auto it = calls_.find(item_id);
      std::string args = StringOf(Member(o, "arguments"));
      if (it != calls_.end() && had_deltas_.insert(item_id).second && !args.empty()) {
        Push(StreamEvent::Type::kToolArgsDelta, std::move(args), out, it->second);
      }
      return;
    }
    if (type == "response.output_item.added") {
      const json::value* iv = Member(o, "item");
      if (iv == nullptr || !iv->is_object() ||
          StringOf(Member(iv->get_object(), "type")) != "function_call") {
        return;
      }
      const json::object& item = iv->get_object();
      int tool_index = static_cast<int>(calls_.size());
      calls_[StringOf(Member(item, "id"))] = tool_index;
      StreamEvent ev;
      ev.type = StreamEvent::Type::kToolCallStart;
      ev.tool_index = tool_index;
      ev.id = StringOf(Member(item, "call_id"));
      ev.name = StringOf(Member(item, "name"));
      out.push_back(std::move(ev));
      std::string args = StringOf(Member(item, "arguments"));
      if (!args.empty()) {
        had_deltas_.insert(StringOf(Member(item, "id")));
        Push(StreamEvent::Type::kToolArgsDelta, std::move(args), out, tool_index);
      }
      return;
    }
    if (type == "response.function_call_arguments.delta") {
      auto it = calls_.find(item_id);
      if (it != calls_.end()) {
        had_deltas_.insert(item_id);
        Push(StreamEvent::Type::kToolArgsDelta, StringOf(Member(o, "delta")), out, it->second);
      }
      return;
    }
    if (type == "response.completed" || type == "response.incomplete") {
      StreamEvent fin;
      fin.type = StreamEvent::Type::kFinish;
      if (r != nullptr) {
        fin.finish = FinishFrom(*r, !calls_.empty());
      } else {
        fin.finish = calls_.empty() ? FinishReason::kStop : FinishReason::kToolCalls;
      }
      out.push_back(std::move(fin));
      if (r != nullptr) {
        if (const json::value* u = Member(*r, "usage"); u != nullptr && u->is_object()) {
          StreamEvent ev;
          ev.type = StreamEvent::Type::kUsage;
          ev.usage = UsageFrom(u->get_object());
          out.push_back(std::move(ev));
        }
      }
      StreamEvent end;
      end.type = StreamEvent::Type::kEnd;
      out.push_back(std::move(end));
      stopped_ = true;
      return;
    }
    if (type == "response.failed") {
      Fail(r != nullptr ? FailedError(*r)
                        : Error(ErrorKind::kUpstreamError, "The upstream response failed."),
           out);
      return;
    }
    if (type == "error") {
      Error e(ErrorKind::kUpstreamError, StringOf(Member(o, "message")));
      e.code = StringOf(Member(o, "code"));
      if (e.message.empty()) {
        e.message = "The upstream reported an error.";
      }
      Fail(std::move(e), out);
      return;
    }
  }

  SseSplitter splitter_;
  bool started_ = false;
  bool stopped_ = false;
  std::map<std::string, int> calls_;  // function_call item id → tool_index
  std::set<std::string> had_deltas_;  // item ids whose content came as deltas
};

}  // namespace

std::unique_ptr<StreamEncoder> MakeResponsesEncoder(const Request& request) {
  return std::make_unique<ResponsesEncoder>(request);
}

std::unique_ptr<StreamDecoder> MakeResponsesDecoder() {
  return std::make_unique<ResponsesDecoder>();
}

}  // namespace baton::canon
