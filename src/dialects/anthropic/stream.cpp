// Anthropic Messages streams: the decoder turns an upstream's SSE body into canonical events;
// the encoder writes canonical events as the SSE an Anthropic SDK client expects.
//
// The SDK's stream accumulator is strict about order (message_start first, content blocks with
// consecutive indexes each opened before its deltas and closed before the next opens,
// message_delta then message_stop), so the encoder tracks what is open and buffers the finish
// reason and usage until the end: other dialects send usage after their finish reason, sometimes
// in a separate chunk, and Anthropic has one message_delta for both.
#include <string>
#include <unordered_map>
#include <utility>

#include "core/json_text.hpp"
#include "dialects/anthropic/anthropic.hpp"
#include "dialects/anthropic/json_util.hpp"
#include "dialects/sse.hpp"

namespace baton::anthropic {

namespace {

using canon::FinishReason;
using canon::StreamEvent;
using canon::StreamEvents;
using detail::IntOr;
using detail::StringOr;
namespace json = boost::json;

StreamEvent MakeEvent(StreamEvent::Type type) {
  StreamEvent ev;
  ev.type = type;
  return ev;
}

StreamEvent ErrorEvent(ErrorKind kind, std::string message) {
  StreamEvent ev = MakeEvent(StreamEvent::Type::kError);
  ev.error = Error(kind, std::move(message));
  return ev;
}

class Decoder final : public canon::StreamDecoder {
 public:
  void Feed(std::string_view bytes, StreamEvents& out) override {
    if (done_) {
      return;
    }
    splitter_.Feed(bytes, [&](const SseEvent& ev) {
      if (ev.has_data) {
        OnEvent(ev.event, ev.data, out);
      }
      return !done_;
    });
    if (!done_ && splitter_.overflow()) {
      Fail(out, "the upstream sent a stream event that is too large");
    }
  }

  void Finish(StreamEvents& out) override {
    if (done_) {
      return;
    }
    done_ = true;
    out.push_back(ErrorEvent(ErrorKind::kUpstreamError,
                             "the upstream ended the stream before it was complete"));
  }

 private:
  enum class Block { kOther, kText, kThinking, kTool, kJson };

  void Fail(StreamEvents& out, std::string message) {
    done_ = true;
    out.push_back(ErrorEvent(ErrorKind::kUpstreamError, std::move(message)));
  }

  // Reads the token counts present in an Anthropic usage object; absent or null ones keep their
  // earlier value (message_delta repeats some, cumulatively, and omits others).
  void MergeUsage(const json::object& u) {
    auto take = [&](std::string_view key, int64_t& field) {
      const json::value* v = u.if_contains(key);
      if (v != nullptr) {
        if (auto n = detail::AsInt(*v)) {
          field = *n;
        }
      }
    };
    take("input_tokens", raw_input_);
    take("cache_creation_input_tokens", cache_creation_);
    take("cache_read_input_tokens", cache_read_);
    take("output_tokens", output_);
  }

  canon::Usage CurrentUsage() const {
    canon::Usage u;
    u.present = true;
    u.cache_creation_tokens = cache_creation_;
    u.cache_read_tokens = cache_read_;
    u.input_tokens = raw_input_ + cache_creation_ + cache_read_;
    u.output_tokens = output_;
    return u;
  }

  void OnEvent(std::string_view name, std::string_view data, StreamEvents& out) {
    if (name == "ping") {
      return;
    }
    auto doc = detail::ParseJson(data);
    if (!doc || !doc->is_object()) {
      Fail(out, "the upstream sent a stream event that is not JSON");
      return;
    }
    const json::object& o = doc->get_object();
    std::string_view type = StringOr(o, "type", name);
    if (type == "message_start") {
      StreamEvent ev = MakeEvent(StreamEvent::Type::kStart);
      if (const json::value* m = o.if_contains("message"); m != nullptr && m->is_object()) {
        const json::object& mo = m->get_object();
        ev.id = StringOr(mo, "id");
        ev.name = StringOr(mo, "model");
        if (const json::value* u = mo.if_contains("usage"); u != nullptr && u->is_object()) {
          MergeUsage(u->get_object());
          ev.usage = CurrentUsage();
        }
      }
      out.push_back(std::move(ev));
    } else if (type == "content_block_start") {
      OnBlockStart(o, out);
    } else if (type == "content_block_delta") {
      OnBlockDelta(o, out);
    } else if (type == "message_delta") {
      const json::value* d = o.if_contains("delta");
      if (d != nullptr && d->is_object()) {
        const json::value* sr = d->get_object().if_contains("stop_reason");
        if (sr != nullptr && sr->is_string()) {
          StreamEvent ev = MakeEvent(StreamEvent::Type::kFinish);
          ev.finish = FinishReasonFromStopReason(sr->get_string());
          if (ev.finish == FinishReason::kToolCalls && json_answer_ && tool_count_ == 0) {
            ev.finish = FinishReason::kStop;
          }
          ev.stop_sequence = StringOr(d->get_object(), "stop_sequence");
          out.push_back(std::move(ev));
        }
      }
      if (const json::value* u = o.if_contains("usage"); u != nullptr && u->is_object()) {
        MergeUsage(u->get_object());
        StreamEvent ev = MakeEvent(StreamEvent::Type::kUsage);
        ev.usage = CurrentUsage();
        out.push_back(std::move(ev));
      }
    } else if (type == "message_stop") {
      done_ = true;
      out.push_back(MakeEvent(StreamEvent::Type::kEnd));
    } else if (type == "error") {
      std::string_view etype = "api_error";
      std::string message = "the upstream reported an error";
      if (const json::value* e = o.if_contains("error"); e != nullptr && e->is_object()) {
        etype = StringOr(e->get_object(), "type", etype);
        std::string_view m = StringOr(e->get_object(), "message");
        if (!m.empty()) {
          message = m;
        }
      }
      done_ = true;
      out.push_back(ErrorEvent(KindForErrorType(etype), std::move(message)));
    }
    // content_block_stop needs nothing; unknown event types are skipped (the API may add some).
  }

  void OnBlockStart(const json::object& o, StreamEvents& out) {
    int64_t index = IntOr(o, "index", -1);
    const json::value* cb = o.if_contains("content_block");
    if (cb == nullptr || !cb->is_object()) {
      blocks_[index] = {Block::kOther, 0};
      return;
    }
    const json::object& b = cb->get_object();
    std::string_view type = StringOr(b, "type");
    if (type == "text") {
      blocks_[index] = {Block::kText, 0};
      if (std::string_view t = StringOr(b, "text"); !t.empty()) {
        StreamEvent ev = MakeEvent(StreamEvent::Type::kTextDelta);
        ev.text = t;
        out.push_back(std::move(ev));
      }
    } else if (type == "thinking") {
      blocks_[index] = {Block::kThinking, 0};
      if (std::string_view t = StringOr(b, "thinking"); !t.empty()) {
        StreamEvent ev = MakeEvent(StreamEvent::Type::kThinkingDelta);
        ev.text = t;
        out.push_back(std::move(ev));
      }
    } else if (type == "redacted_thinking") {
      blocks_[index] = {Block::kOther, 0};
      StreamEvent ev = MakeEvent(StreamEvent::Type::kRedactedThinking);
      ev.text = StringOr(b, "data");
      out.push_back(std::move(ev));
    } else if (type == "tool_use" && StringOr(b, "name") == kJsonToolName) {
      // The forced tool of a json_schema response format: its input is the answer text.
      blocks_[index] = {Block::kJson, 0};
      json_answer_ = true;
    } else if (type == "tool_use") {
      int tool_index = tool_count_++;
      blocks_[index] = {Block::kTool, tool_index};
      StreamEvent ev = MakeEvent(StreamEvent::Type::kToolCallStart);
      ev.tool_index = tool_index;
      ev.id = StringOr(b, "id");
      ev.name = StringOr(b, "name");
      out.push_back(std::move(ev));
      // Streams give input {} here and the arguments as deltas; a non-empty input is whole.
      const json::value* input = b.if_contains("input");
      if (input != nullptr && input->is_object() && !input->get_object().empty()) {
        StreamEvent args = MakeEvent(StreamEvent::Type::kToolArgsDelta);
        args.tool_index = tool_index;
        args.text = json::serialize(*input);
        out.push_back(std::move(args));
      }
    } else {
      // server_tool_use, web_search_tool_result, ...: Anthropic-side tools, not representable.
      blocks_[index] = {Block::kOther, 0};
    }
  }

  void OnBlockDelta(const json::object& o, StreamEvents& out) {
    int64_t index = IntOr(o, "index", -1);
    auto it = blocks_.find(index);
    if (it == blocks_.end()) {
      return;  // a delta for a block that never started: nothing sensible to attach it to
    }
    const json::value* d = o.if_contains("delta");
    if (d == nullptr || !d->is_object()) {
      return;
    }
    const json::object& delta = d->get_object();
    std::string_view type = StringOr(delta, "type");
    StreamEvent ev;
    if (type == "text_delta" && it->second.kind == Block::kText) {
      ev.type = StreamEvent::Type::kTextDelta;
      ev.text = StringOr(delta, "text");
    } else if (type == "thinking_delta" && it->second.kind == Block::kThinking) {
      ev.type = StreamEvent::Type::kThinkingDelta;
      ev.text = StringOr(delta, "thinking");
    } else if (type == "signature_delta" && it->second.kind == Block::kThinking) {
      ev.type = StreamEvent::Type::kSignatureDelta;
      ev.text = StringOr(delta, "signature");
    } else if (type == "input_json_delta" && it->second.kind == Block::kJson) {
      ev.type = StreamEvent::Type::kTextDelta;
      ev.text = StringOr(delta, "partial_json");
    } else if (type == "input_json_delta" && it->second.kind == Block::kTool) {
      ev.type = StreamEvent::Type::kToolArgsDelta;
      ev.tool_index = it->second.tool_index;
      ev.text = StringOr(delta, "partial_json");
    } else {
      return;  // citations_delta and deltas of unrepresented blocks
    }
    if (ev.text.empty()) {
      return;
    }
    out.push_back(std::move(ev));
  }

  struct BlockInfo {
    Block kind = Block::kOther;
    int tool_index = 0;
  };

  SseSplitter splitter_;
  std::unordered_map<int64_t, BlockInfo> blocks_;
  int tool_count_ = 0;
  bool json_answer_ = false;  // a json_schema answer came as the forced tool's input
  int64_t raw_input_ = 0;
  int64_t cache_creation_ = 0;
  int64_t cache_read_ = 0;
  int64_t output_ = 0;
  bool done_ = false;
};

class Encoder final : public canon::StreamEncoder {
 public:
  explicit Encoder(const canon::Request& request) : model_(request.model) {}

  void Encode(const StreamEvent& ev, std::string& out) override {
    if (ended_) {
      return;
    }
    switch (ev.type) {
      case StreamEvent::Type::kStart:
        if (ev.usage.present) {
          usage_ = ev.usage;
        }
        Start(ev, out);
        break;
      case StreamEvent::Type::kTextDelta:
        if (ev.text.empty()) {
          return;
        }
        Open(Block::kText, out);
        Delta(out, R"({"type":"text_delta","text":)", ev.text);
        break;
      case StreamEvent::Type::kThinkingDelta:
        if (ev.text.empty()) {
          return;
        }
        Open(Block::kThinking, out);
        Delta(out, R"({"type":"thinking_delta","thinking":)", ev.text);
        break;
      case StreamEvent::Type::kSignatureDelta:
        if (ev.text.empty()) {
          return;
        }
        Open(Block::kThinking, out);
        Delta(out, R"({"type":"signature_delta","signature":)", ev.text);
        break;
      case StreamEvent::Type::kRedactedThinking: {
        std::string block = R"({"type":"redacted_thinking","data":)";
        AppendJsonString(block, ev.text);
        block += '}';
        OpenWith(Block::kOther, block, out);
        Close(out);
        break;
      }
      case StreamEvent::Type::kToolCallStart: {
        std::string block = R"({"type":"tool_use","id":)";
        AppendJsonString(block, ev.id.empty() ? canon::NewId("toolu_") : ev.id);
        block += R"(,"name":)";
        AppendJsonString(block, ev.name);
        block += R"(,"input":{}})";
        OpenWith(Block::kTool, block, out);
        open_tool_index_ = ev.tool_index;
        saw_tool_calls_ = true;
        break;
      }
      case StreamEvent::Type::kToolArgsDelta:
        // Fragments of a call whose block is already closed cannot be sent any more (no
        // dialect interleaves the arguments of parallel calls in practice).
        if (ev.text.empty() || open_ != Block::kTool || ev.tool_index != open_tool_index_) {
          return;
        }
        Delta(out, R"({"type":"input_json_delta","partial_json":)", ev.text);
        break;
      case StreamEvent::Type::kFinish:
        finish_ = ev.finish;
        stop_sequence_ = ev.stop_sequence;
        break;
      case StreamEvent::Type::kUsage:
        if (ev.usage.present) {
          usage_ = ev.usage;
        }
        break;
      case StreamEvent::Type::kEnd:
        End(out);
        break;
      case StreamEvent::Type::kError: {
        std::string data = R"({"type":"error","error":{"type":)";
        AppendJsonString(data, ErrorType(ev.error));
        data += R"(,"message":)";
        AppendJsonString(data, ev.error.message);
        data += "}}";
        Emit(out, "error", data);
        ended_ = true;
        break;
      }
    }
  }

 private:
  enum class Block { kNone, kText, kThinking, kTool, kOther };

  static void Emit(std::string& out, std::string_view event, std::string_view data) {
    out += "event: ";
    out += event;
    out += "\ndata: ";
    out += data;
    out += "\n\n";
  }

  void Start(const StreamEvent& ev, std::string& out) {
    if (started_) {
      return;
    }
    started_ = true;
    std::string data = R"({"type":"message_start","message":{"id":)";
    AppendJsonString(data, ev.id.starts_with("msg_") ? ev.id : canon::NewId("msg_"));
    data += R"(,"type":"message","role":"assistant","model":)";
    AppendJsonString(data, ev.name.empty() ? model_ : ev.name);
    const canon::Usage& u = usage_;
    int64_t input = u.input_tokens - u.cache_creation_tokens - u.cache_read_tokens;
    data += R"(,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":)";
    data += std::to_string(input < 0 ? 0 : input);
    data += R"(,"cache_creation_input_tokens":)";
    data += std::to_string(u.cache_creation_tokens);
    data += R"(,"cache_read_input_tokens":)";
    data += std::to_string(u.cache_read_tokens);
    data += R"(,"output_tokens":0}}})";
    Emit(out, "message_start", data);
  }

  void EnsureStarted(std::string& out) {
    if (!started_) {
      Start(StreamEvent{}, out);
    }
  }

  void Close(std::string& out) {
    if (open_ == Block::kNone) {
      return;
    }
    std::string data = R"({"type":"content_block_stop","index":)";
    data += std::to_string(index_);
    data += '}';
    Emit(out, "content_block_stop", data);
    open_ = Block::kNone;
    ++index_;
  }

  void OpenWith(Block kind, std::string_view block_json, std::string& out) {
    EnsureStarted(out);
    Close(out);
    std::string data = R"({"type":"content_block_start","index":)";
    data += std::to_string(index_);
    data += R"(,"content_block":)";
    data += block_json;
    data += '}';
    Emit(out, "content_block_start", data);
    open_ = kind;
  }

  void Open(Block kind, std::string& out) {
    if (open_ == kind) {
      return;
    }
    if (kind == Block::kText) {
      OpenWith(kind, R"({"type":"text","text":""})", out);
    } else {
      OpenWith(kind, R"({"type":"thinking","thinking":"","signature":""})", out);
    }
  }

  void Delta(std::string& out, std::string_view delta_prefix, std::string_view text) const {
    std::string data = R"({"type":"content_block_delta","index":)";
    data += std::to_string(index_);
    data += R"(,"delta":)";
    data += delta_prefix;
    AppendJsonString(data, text);
    data += "}}";
    Emit(out, "content_block_delta", data);
  }

  void End(std::string& out) {
    EnsureStarted(out);
    Close(out);
    FinishReason finish = finish_;
    if (finish == FinishReason::kNone || (finish == FinishReason::kStop && saw_tool_calls_)) {
      finish = saw_tool_calls_ ? FinishReason::kToolCalls : FinishReason::kStop;
    }
    std::string data = R"({"type":"message_delta","delta":{"stop_reason":)";
    AppendJsonString(data, StopReasonFor(finish));
    data += R"(,"stop_sequence":)";
    if (finish == FinishReason::kStopSequence && !stop_sequence_.empty()) {
      AppendJsonString(data, stop_sequence_);
    } else {
      data += "null";
    }
    data += R"(},"usage":{)";
    if (usage_.present) {
      const canon::Usage& u = usage_;
      int64_t input = u.input_tokens - u.cache_creation_tokens - u.cache_read_tokens;
      data += R"("input_tokens":)";
      data += std::to_string(input < 0 ? 0 : input);
      data += R"(,"cache_creation_input_tokens":)";
      data += std::to_string(u.cache_creation_tokens);
      data += R"(,"cache_read_input_tokens":)";
      data += std::to_string(u.cache_read_tokens);
      data += ',';
    }
    data += R"("output_tokens":)";
    data += std::to_string(usage_.output_tokens);
    data += "}}";
    Emit(out, "message_delta", data);
    Emit(out, "message_stop", R"({"type":"message_stop"})");
    ended_ = true;
  }

  std::string model_;
  bool started_ = false;
  bool ended_ = false;
  Block open_ = Block::kNone;
  int index_ = 0;  // index of the open block, or of the next one when none is open
  int open_tool_index_ = -1;
  bool saw_tool_calls_ = false;
  FinishReason finish_ = FinishReason::kNone;
  std::string stop_sequence_;
  canon::Usage usage_;
};

}  // namespace

std::unique_ptr<canon::StreamDecoder> MakeStreamDecoder() {
  return std::make_unique<Decoder>();
}

std::unique_ptr<canon::StreamEncoder> MakeStreamEncoder(const canon::Request& request) {
  return std::make_unique<Encoder>(request);
}

}  // namespace baton::anthropic
