// OpenAI chat responses, streams and errors ↔ canonical form. The decoder accepts what
// OpenAI-compatible servers really send (DeepSeek's "usage":null on every chunk, Azure's
// prompt-filter chunk with no choices, Ollama's whole tool calls in one chunk, servers that omit
// [DONE]); the encoder writes what the official SDKs expect from OpenAI itself.
#include "dialects/openai_chat/openai_codec.hpp"

#include <map>

#include <boost/json.hpp>

#include "core/json_text.hpp"
#include "dialects/json_number.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/openai_chat/openai_json.hpp"
#include "dialects/sse.hpp"

namespace baton::canon {

namespace json = boost::json;

namespace {

using openai_json::IntOf;
using openai_json::Member;
using openai_json::StringOf;

Usage UsageFrom(const json::object& u) {
  Usage usage;
  usage.present = true;
  usage.input_tokens = IntOf(Member(u, "prompt_tokens"));
  usage.output_tokens = IntOf(Member(u, "completion_tokens"));
  if (const json::value* d = Member(u, "prompt_tokens_details"); d != nullptr && d->is_object()) {
    usage.cache_read_tokens = IntOf(Member(d->get_object(), "cached_tokens"));
  }
  if (usage.cache_read_tokens == 0) {
    usage.cache_read_tokens = IntOf(Member(u, "prompt_cache_hit_tokens"));  // DeepSeek
  }
  if (const json::value* d = Member(u, "completion_tokens_details");
      d != nullptr && d->is_object()) {
    usage.reasoning_tokens = IntOf(Member(d->get_object(), "reasoning_tokens"));
  }
  return usage;
}

std::string ArgumentsText(const json::value* args) {
  if (args == nullptr) {
    return {};
  }
  if (args->is_string()) {
    return std::string(args->get_string());
  }
  return json::serialize(*args);
}

// Content that some servers send as an array of parts instead of a string.
std::string ContentText(const json::value* content) {
  if (content == nullptr) {
    return {};
  }
  if (content->is_string()) {
    return std::string(content->get_string());
  }
  std::string out;
  if (content->is_array()) {
    for (const json::value& p : content->get_array()) {
      if (p.is_object()) {
        out += StringOf(Member(p.get_object(), "text"));
      }
    }
  }
  return out;
}

std::string ReasoningText(const json::object& message) {
  for (const char* key : {"reasoning_content", "reasoning"}) {
    if (const json::value* r = Member(message, key); r != nullptr && r->is_string()) {
      return std::string(r->get_string());
    }
  }
  return {};
}

void AppendUsageJson(std::string& out, const Usage& u) {
  out += R"({"prompt_tokens":)";
  out += std::to_string(u.input_tokens);
  out += R"(,"completion_tokens":)";
  out += std::to_string(u.output_tokens);
  out += R"(,"total_tokens":)";
  out += std::to_string(u.input_tokens + u.output_tokens);
  if (u.cache_read_tokens > 0) {
    out += R"(,"prompt_tokens_details":{"cached_tokens":)";
    out += std::to_string(u.cache_read_tokens);
    out += "}";
  }
  if (u.reasoning_tokens > 0) {
    out += R"(,"completion_tokens_details":{"reasoning_tokens":)";
    out += std::to_string(u.reasoning_tokens);
    out += "}";
  }
  out += "}";
}

std::string ChatId(std::string_view upstream_id) {
  if (upstream_id.starts_with("chatcmpl-")) {
    return std::string(upstream_id);
  }
  return NewId("chatcmpl-");
}

}  // namespace

// ---- Non-streamed responses ----

Result<Response> ParseOpenAiChatResponse(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return Error(ErrorKind::kUpstreamError, "The upstream returned a response that is not JSON.");
  }
  const json::object& o = doc.get_object();
  if (Member(o, "error") != nullptr) {
    return ParseOpenAiChatError(502, json::serialize(doc));
  }
  Response resp;
  resp.id = StringOf(Member(o, "id"));
  resp.model = StringOf(Member(o, "model"));
  resp.created = IntOf(Member(o, "created"));
  if (const json::value* u = Member(o, "usage"); u != nullptr && u->is_object()) {
    resp.usage = UsageFrom(u->get_object());
  }
  const json::value* choices = Member(o, "choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty() ||
      !choices->get_array()[0].is_object()) {
    return Error(ErrorKind::kUpstreamError, "The upstream returned a response without choices.");
  }
  const json::object& choice = choices->get_array()[0].get_object();
  std::string finish = StringOf(Member(choice, "finish_reason"));
  resp.finish = finish.empty() ? FinishReason::kStop : FinishReasonFromOpenAi(finish);
  const json::value* mv = Member(choice, "message");
  if (mv != nullptr && mv->is_object()) {
    const json::object& m = mv->get_object();
    std::string reasoning = ReasoningText(m);
    if (!reasoning.empty()) {
      Part p;
      p.type = Part::Type::kThinking;
      p.text = std::move(reasoning);
      resp.content.push_back(std::move(p));
    }
    std::string text = ContentText(Member(m, "content"));
    if (text.empty()) {
      text = StringOf(Member(m, "refusal"));
    }
    if (!text.empty()) {
      resp.content.push_back(Part::Text(std::move(text)));
    }
    bool has_calls = false;
    if (const json::value* calls = Member(m, "tool_calls"); calls != nullptr && calls->is_array()) {
      for (const json::value& cv : calls->get_array()) {
        if (!cv.is_object()) {
          continue;
        }
        const json::object& c = cv.get_object();
        const json::value* fn = Member(c, "function");
        if (fn == nullptr || !fn->is_object()) {
          continue;
        }
        Part call;
        call.type = Part::Type::kToolCall;
        call.id = StringOf(Member(c, "id"));
        if (call.id.empty()) {
          call.id = NewId("call_");
        }
        call.name = StringOf(Member(fn->get_object(), "name"));
        call.arguments = ArgumentsText(Member(fn->get_object(), "arguments"));
        if (call.arguments.empty()) {
          call.arguments = "{}";
        }
        resp.content.push_back(std::move(call));
        has_calls = true;
      }
    }
    if (const json::value* fc = Member(m, "function_call"); fc != nullptr && fc->is_object()) {
      Part call;
      call.type = Part::Type::kToolCall;
      call.id = NewId("call_");
      call.name = StringOf(Member(fc->get_object(), "name"));
      call.arguments = ArgumentsText(Member(fc->get_object(), "arguments"));
      resp.content.push_back(std::move(call));
      has_calls = true;
    }
    if (has_calls && resp.finish == FinishReason::kStop) {
      resp.finish = FinishReason::kToolCalls;  // Ollama and Gemini's compat layer say "stop"
    }
  }
  return resp;
}

std::string RenderOpenAiChatResponse(const Response& response, const Request& request) {
  std::string text;
  std::string reasoning;
  bool has_text = false;
  std::string calls;
  for (const Part& p : response.content) {
    if (p.type == Part::Type::kText) {
      text += p.text;
      has_text = true;
    } else if (p.type == Part::Type::kThinking) {
      reasoning += p.text;
    } else if (p.type == Part::Type::kToolCall) {
      calls += calls.empty() ? "[" : ",";
      calls += R"({"id":)";
      AppendJsonString(calls, p.id.empty() ? NewId("call_") : p.id);
      calls += R"(,"type":"function","function":{"name":)";
      AppendJsonString(calls, p.name);
      calls += R"(,"arguments":)";
      AppendJsonString(calls, p.arguments.empty() ? std::string_view("{}") : p.arguments);
      calls += "}}";
    }
  }
  FinishReason finish = response.finish;
  if (!calls.empty() && (finish == FinishReason::kStop || finish == FinishReason::kStopSequence)) {
    finish = FinishReason::kToolCalls;
  }
  std::string out;
  out.reserve(256 + text.size() + reasoning.size() + calls.size());
  out += R"({"id":)";
  AppendJsonString(out, ChatId(response.id));
  out += R"(,"object":"chat.completion","created":)";
  out += std::to_string(response.created != 0 ? response.created : UnixNow());
  out += R"(,"model":)";
  AppendJsonString(out, response.model.empty() ? request.model : response.model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  if (has_text || calls.empty()) {
    AppendJsonString(out, text);
  } else {
    out += "null";
  }
  if (!reasoning.empty()) {
    out += R"(,"reasoning_content":)";
    AppendJsonString(out, reasoning);
  }
  if (!calls.empty()) {
    out += R"(,"tool_calls":)";
    out += calls;
    out += "]";
  }
  out += R"(,"refusal":null},"logprobs":null,"finish_reason":)";
  AppendJsonString(out, OpenAiFinishReason(finish));
  out += R"(}],"usage":)";
  AppendUsageJson(out, response.usage);
  out += "}";
  return out;
}

// ---- Errors ----

std::string RenderOpenAiChatError(const Error& error) {
  return openai::RenderError(error);
}

int OpenAiChatErrorStatus(const Error& error) {
  return openai::ErrorStatus(error);
}

Error ParseOpenAiChatError(int status, std::string_view body) {
  Error e(KindForUpstreamStatus(status), "");
  e.upstream_status = status;
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (!ec && doc.is_object()) {
    const json::object& o = doc.get_object();
    const json::value* err = Member(o, "error");
    if (err != nullptr && err->is_string()) {
      e.message = std::string(err->get_string());
    } else if (err != nullptr && err->is_object()) {
      const json::object& eo = err->get_object();
      e.message = StringOf(Member(eo, "message"));
      e.code = StringOf(Member(eo, "code"));
      // error.param names a field of the upstream's request, which the client did not send in
      // this form: not passed on.
    } else if (const json::value* m = Member(o, "message"); m != nullptr && m->is_string()) {
      e.message = std::string(m->get_string());
    }
  } else if (!ec && doc.is_string()) {
    e.message = std::string(doc.get_string());
  }
  if (e.message.empty()) {
    e.message = "The upstream returned HTTP " + std::to_string(status) + ".";
  }
  return e;
}

// ---- Stream decoding ----

namespace {

class ChatDecoder final : public StreamDecoder {
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
      Fail("The upstream sent a stream event that is too large.", out);
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
    stopped_ = true;
    StreamEvent ev;
    if (finish_seen_) {
      ev.type = StreamEvent::Type::kEnd;  // some servers omit [DONE]
    } else {
      ev.type = StreamEvent::Type::kError;
      ev.error =
          Error(ErrorKind::kUpstreamError, "the upstream ended the stream before it was complete");
    }
    out.push_back(std::move(ev));
  }

 private:
  void Fail(std::string message, StreamEvents& out) {
    StreamEvent err;
    err.type = StreamEvent::Type::kError;
    err.error = Error(ErrorKind::kUpstreamError, std::move(message));
    out.push_back(std::move(err));
    stopped_ = true;
  }

  void OnData(std::string_view data, StreamEvents& out) {
    if (data == "[DONE]") {
      StreamEvent end;
      end.type = StreamEvent::Type::kEnd;
      out.push_back(std::move(end));
      stopped_ = true;
      return;
    }
    json::error_code ec;
    json::value doc = json::parse(data, ec);
    if (ec || !doc.is_object()) {
      Fail("The upstream sent a malformed stream event.", out);
      return;
    }
    const json::object& o = doc.get_object();
    if (Member(o, "error") != nullptr) {
      Error e = ParseOpenAiChatError(500, json::serialize(doc));
      e.kind = ErrorKind::kUpstreamError;
      e.upstream_status = 0;
      StreamEvent ev;
      ev.type = StreamEvent::Type::kError;
      ev.error = std::move(e);
      out.push_back(std::move(ev));
      stopped_ = true;
      return;
    }
    const json::value* choices = Member(o, "choices");
    const json::value* usage = Member(o, "usage");
    const json::object* choice = nullptr;
    if (choices != nullptr && choices->is_array()) {
      for (const json::value& c : choices->get_array()) {
        if (c.is_object() && IntOf(Member(c.get_object(), "index")) == 0) {
          choice = &c.get_object();
          break;
        }
      }
    }
    bool has_usage = usage != nullptr && usage->is_object();
    if (choice == nullptr && !has_usage) {
      return;  // Azure's prompt_filter_results chunk, or an empty keep-alive object
    }
    if (!started_) {
      started_ = true;
      StreamEvent start;
      start.type = StreamEvent::Type::kStart;
      start.id = StringOf(Member(o, "id"));
      start.name = StringOf(Member(o, "model"));
      out.push_back(std::move(start));
    }
    if (choice != nullptr) {
      OnChoice(*choice, out);
    }
    if (has_usage) {
      StreamEvent ev;
      ev.type = StreamEvent::Type::kUsage;
      ev.usage = UsageFrom(usage->get_object());
      out.push_back(std::move(ev));
    }
  }

  void OnChoice(const json::object& choice, StreamEvents& out) {
    const json::value* dv = Member(choice, "delta");
    if (dv != nullptr && dv->is_object()) {
      const json::object& d = dv->get_object();
      std::string reasoning = ReasoningText(d);
      if (!reasoning.empty()) {
        StreamEvent ev;
        ev.type = StreamEvent::Type::kThinkingDelta;
        ev.text = std::move(reasoning);
        out.push_back(std::move(ev));
      }
      std::string text = ContentText(Member(d, "content"));
      if (text.empty()) {
        text = StringOf(Member(d, "refusal"));
      }
      if (!text.empty()) {
        StreamEvent ev;
        ev.type = StreamEvent::Type::kTextDelta;
        ev.text = std::move(text);
        out.push_back(std::move(ev));
      }
      if (const json::value* calls = Member(d, "tool_calls");
          calls != nullptr && calls->is_array()) {
        for (const json::value& cv : calls->get_array()) {
          if (cv.is_object()) {
            OnToolCall(cv.get_object(), out);
          }
        }
      }
      if (const json::value* fc = Member(d, "function_call"); fc != nullptr && fc->is_object()) {
        json::object as_call;  // legacy streaming function_call: one call at index 0
        as_call["index"] = 0;
        as_call["function"] = *fc;
        OnToolCall(as_call, out);
      }
    }
    std::string finish = StringOf(Member(choice, "finish_reason"));
    if (!finish.empty() && !finish_seen_) {
      finish_seen_ = true;
      StreamEvent ev;
      ev.type = StreamEvent::Type::kFinish;
      ev.finish = FinishReasonFromOpenAi(finish);
      if (ev.finish == FinishReason::kStop && !tool_indexes_.empty()) {
        ev.finish = FinishReason::kToolCalls;
      }
      out.push_back(std::move(ev));
    }
  }

  void OnToolCall(const json::object& c, StreamEvents& out) {
    const json::value* fn = Member(c, "function");
    const json::object* f = (fn != nullptr && fn->is_object()) ? &fn->get_object() : nullptr;
    std::string id = StringOf(Member(c, "id"));
    std::string name = f != nullptr ? StringOf(Member(*f, "name")) : std::string();
    // The upstream's index names the call; without one, a new id starts a new call and anything
    // else continues the latest.
    int64_t key = 0;
    if (const json::value* idx = Member(c, "index"); idx != nullptr && idx->is_number()) {
      key = IntOf(idx);
    } else if (!id.empty() && !ids_seen_.contains(id)) {
      key = kNoIndexBase + static_cast<int64_t>(tool_indexes_.size());
    } else if (!id.empty()) {
      key = ids_seen_[id];
    } else {
      key = last_key_;
    }
    auto it = tool_indexes_.find(key);
    if (it == tool_indexes_.end()) {
      if (id.empty() && name.empty()) {
        return;  // a fragment for a call that never started: nothing to attach it to
      }
      int tool_index = static_cast<int>(tool_indexes_.size());
      it = tool_indexes_.emplace(key, tool_index).first;
      StreamEvent ev;
      ev.type = StreamEvent::Type::kToolCallStart;
      ev.tool_index = tool_index;
      ev.id = id.empty() ? NewId("call_") : id;
      ev.name = std::move(name);
      ids_seen_[ev.id] = key;
      out.push_back(std::move(ev));
    }
    last_key_ = key;
    std::string args = f != nullptr ? ArgumentsText(Member(*f, "arguments")) : std::string();
    if (!args.empty()) {
      StreamEvent ev;
      ev.type = StreamEvent::Type::kToolArgsDelta;
      ev.tool_index = it->second;
      ev.text = std::move(args);
      out.push_back(std::move(ev));
    }
  }

  static constexpr int64_t kNoIndexBase = 1 << 20;
  SseSplitter splitter_;
  bool started_ = false;
  bool finish_seen_ = false;
  bool stopped_ = false;
  std::map<int64_t, int> tool_indexes_;      // upstream index → tool_index
  std::map<std::string, int64_t> ids_seen_;  // call id → upstream index key
  int64_t last_key_ = 0;
};

// ---- Stream encoding ----

class ChatEncoder final : public StreamEncoder {
 public:
  explicit ChatEncoder(const Request& request)
      : include_usage_(request.include_usage), request_model_(request.model) {}

  void Encode(const StreamEvent& event, std::string& out) override {
    if (ended_) {
      return;
    }
    switch (event.type) {
      case StreamEvent::Type::kStart:
        Begin(event.id, event.name, out);
        break;
      case StreamEvent::Type::kTextDelta:
        Begin({}, {}, out);
        if (!event.text.empty()) {
          Delta(out, [&](std::string& o) {
            o += R"("content":)";
            AppendJsonString(o, event.text);
          });
        }
        break;
      case StreamEvent::Type::kThinkingDelta:
        Begin({}, {}, out);
        if (!event.text.empty()) {
          Delta(out, [&](std::string& o) {
            o += R"("reasoning_content":)";
            AppendJsonString(o, event.text);
          });
        }
        break;
      case StreamEvent::Type::kToolCallStart:
        Begin({}, {}, out);
        tool_calls_ = true;
        Delta(out, [&](std::string& o) {
          o += R"("tool_calls":[{"index":)";
          o += std::to_string(event.tool_index);
          o += R"(,"id":)";
          AppendJsonString(o, event.id);
          o += R"(,"type":"function","function":{"name":)";
          AppendJsonString(o, event.name);
          o += R"(,"arguments":""}}])";
        });
        break;
      case StreamEvent::Type::kToolArgsDelta:
        Begin({}, {}, out);
        if (!event.text.empty()) {
          Delta(out, [&](std::string& o) {
            o += R"("tool_calls":[{"index":)";
            o += std::to_string(event.tool_index);
            o += R"(,"function":{"arguments":)";
            AppendJsonString(o, event.text);
            o += "}}]";
          });
        }
        break;
      case StreamEvent::Type::kFinish:
        Begin({}, {}, out);
        FinishChunk(event.finish, out);
        break;
      case StreamEvent::Type::kUsage:
        usage_ = event.usage;
        break;
      case StreamEvent::Type::kEnd:
        Begin({}, {}, out);
        if (!finish_sent_) {
          FinishChunk(FinishReason::kStop, out);
        }
        if (include_usage_ && usage_.present) {
          ChunkHead(out);
          out += R"("choices":[],"usage":)";
          AppendUsageJson(out, usage_);
          out += "}\n\n";
        }
        out += "data: [DONE]\n\n";
        ended_ = true;
        break;
      case StreamEvent::Type::kError: {
        out += R"(data: {"error":{"message":)";
        AppendJsonString(out, event.error.message);
        out += R"(,"type":)";
        AppendJsonString(out, openai::ErrorType(event.error.kind));
        out += R"(,"param":null,"code":)";
        if (event.error.code.empty()) {
          out += "null";
        } else {
          AppendJsonString(out, event.error.code);
        }
        out += "}}\n\ndata: [DONE]\n\n";
        ended_ = true;
        break;
      }
      case StreamEvent::Type::kSignatureDelta:
      case StreamEvent::Type::kRedactedThinking:
        break;  // nothing in this dialect carries them
    }
  }

 private:
  void Begin(std::string_view id, std::string_view model, std::string& out) {
    if (started_) {
      return;
    }
    started_ = true;
    id_.clear();
    AppendJsonString(id_, ChatId(id));
    created_ = std::to_string(UnixNow());
    model_.clear();
    AppendJsonString(model_, model.empty() ? std::string_view(request_model_) : model);
    Delta(out, [](std::string& o) { o += R"("role":"assistant","content":"")"; });
  }

  void ChunkHead(std::string& out) const {
    out += R"(data: {"id":)";
    out += id_;
    out += R"(,"object":"chat.completion.chunk","created":)";
    out += created_;
    out += R"(,"model":)";
    out += model_;
    out += ",";
  }

  template <typename Fill>
  void Delta(std::string& out, Fill fill) {
    ChunkHead(out);
    out += R"("choices":[{"index":0,"delta":{)";
    fill(out);
    out += R"(},"logprobs":null,"finish_reason":null}]}

)";
  }

  void FinishChunk(FinishReason reason, std::string& out) {
    if (finish_sent_) {
      return;
    }
    finish_sent_ = true;
    if (tool_calls_ && (reason == FinishReason::kStop || reason == FinishReason::kStopSequence)) {
      reason = FinishReason::kToolCalls;
    }
    ChunkHead(out);
    out += R"("choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":)";
    AppendJsonString(out, OpenAiFinishReason(reason));
    out += "}]}\n\n";
  }

  bool include_usage_;
  std::string request_model_;
  bool started_ = false;
  bool ended_ = false;
  bool finish_sent_ = false;
  bool tool_calls_ = false;
  std::string id_;       // JSON string literal
  std::string created_;  // decimal
  std::string model_;    // JSON string literal
  Usage usage_;
};

}  // namespace

std::unique_ptr<StreamDecoder> MakeOpenAiChatDecoder() {
  return std::make_unique<ChatDecoder>();
}

std::unique_ptr<StreamEncoder> MakeOpenAiChatEncoder(const Request& request) {
  return std::make_unique<ChatEncoder>(request);
}

void FlushLastEvent(const SseSplitter& splitter,
                    const std::function<bool(std::string_view data)>& on_data) {
  std::string_view pending = splitter.pending();
  if (pending.empty() ||
      !(pending.back() == '\n' || pending.back() == '\r' || pending.ends_with("[DONE]"))) {
    return;
  }
  std::string tail(pending);
  tail += "\n\n";
  SseSplitter last;  // a fresh splitter: the event is complete once the blank line is added
  last.Feed(tail, [&](const SseEvent& ev) { return !ev.has_data || on_data(ev.data); });
}

}  // namespace baton::canon
