// Ollama codec: /api/chat request, whole answer and NDJSON stream ↔ canonical. See ollama.hpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "dialects/canonical.hpp"
#include "dialects/json_number.hpp"
#include "dialects/ollama/ollama.hpp"

namespace baton::ollama {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Request;
using canon::Response;
using canon::Role;
using canon::StreamEvent;
using canon::StreamEvents;
using canon::Usage;

std::optional<json::value> ParseJson(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return std::nullopt;
  }
  return v;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v != nullptr && v->is_string()) {
    return std::string(v->get_string());
  }
  return {};
}

std::optional<int64_t> IntField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  // to_number<int64_t> would throw on 1.5 or on a uint64 above int64's range.
  return JsonInt(*v);
}

json::value ObjectFromText(std::string_view text) {
  auto v = ParseJson(text);
  if (!v || !v->is_object()) {
    return json::object{};
  }
  return std::move(*v);
}

std::string ArgsText(const json::value* args) {
  if (args == nullptr || args->is_null()) {
    return "{}";
  }
  if (args->is_string()) {
    return std::string(args->get_string());
  }
  return json::serialize(*args);
}

// Ollama takes base64 only; a data: URL is unwrapped, an http(s) URL cannot be sent.
std::optional<std::string> Base64Image(const Part& p) {
  if (!p.data.empty()) {
    return p.data;
  }
  std::string_view url = p.url;
  if (url.starts_with("data:")) {
    auto comma = url.find(',');
    if (comma != std::string_view::npos) {
      return std::string(url.substr(comma + 1));
    }
  }
  return std::nullopt;
}

struct PendingMessage {
  std::string content;
  json::array images;
  bool used = false;

  void AddText(std::string_view t) {
    if (!content.empty() && !t.empty()) {
      content += "\n";
    }
    content += t;
    used = true;
  }
  void AddImage(const Part& p) {
    if (auto b64 = Base64Image(p)) {
      images.emplace_back(*b64);
    } else {
      AddText("[image: " + p.url + "]");
    }
    used = true;
  }
};

void FlushUser(PendingMessage& m, json::array& out) {
  if (!m.used) {
    return;
  }
  json::object msg{{"role", "user"}, {"content", m.content}};
  if (!m.images.empty()) {
    msg["images"] = std::move(m.images);
  }
  out.emplace_back(std::move(msg));
  m = PendingMessage{};
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - (era * 400);
  const int64_t doy = ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const int64_t doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
  return (era * 146097) + doe - 719468;
}

// created_at ("2023-08-04T08:52:19.385406455-07:00") as unix seconds; 0 when unreadable.
int64_t UnixFromRfc3339(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len, int64_t* v) {
    if (pos + len > s.size()) {
      return false;
    }
    int64_t r = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') {
        return false;
      }
      r = r * 10 + (s[i] - '0');
    }
    *v = r;
    return true;
  };
  int64_t y = 0;
  int64_t mo = 0;
  int64_t d = 0;
  int64_t h = 0;
  int64_t mi = 0;
  int64_t sec = 0;
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &sec) || mo < 1 || mo > 12) {
    return 0;
  }
  int64_t t = (DaysFromCivil(y, mo, d) * 86400) + (h * 3600) + (mi * 60) + sec;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ++pos;
    }
  }
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int64_t oh = 0;
    int64_t om = 0;
    if (num(pos + 1, 2, &oh) && num(pos + 4, 2, &om)) {
      int64_t offset = (oh * 3600) + (om * 60);
      t += s[pos] == '+' ? -offset : offset;
    }
  }
  return t;
}

Usage UsageFrom(const json::object& o) {
  Usage u;
  auto in = IntField(o, "prompt_eval_count");
  auto out = IntField(o, "eval_count");
  if (in || out) {
    u.present = true;
    u.input_tokens = in.value_or(0);
    u.output_tokens = out.value_or(0);
  }
  return u;
}

// ---- stream decoder ----

class Decoder : public canon::StreamDecoder {
 public:
  static constexpr std::size_t kMaxLine = 16U << 20;

  void Feed(std::string_view bytes, StreamEvents& out) override {
    if (stopped_) {
      return;
    }
    buffer_.append(bytes);
    std::size_t start = 0;
    for (;;) {
      auto nl = buffer_.find('\n', start);
      if (nl == std::string::npos) {
        break;
      }
      std::string_view line(buffer_.data() + start, nl - start);
      start = nl + 1;
      OnLine(line, out);
      if (stopped_) {
        buffer_.clear();
        return;
      }
    }
    buffer_.erase(0, start);
    if (buffer_.size() > kMaxLine) {
      Fail(out, "upstream stream line too long");
    }
  }

  void Finish(StreamEvents& out) override {
    if (!stopped_ && !buffer_.empty()) {
      std::string last = std::move(buffer_);
      buffer_.clear();
      OnLine(last, out);
    }
    if (!stopped_) {
      Fail(out, "upstream stream ended before done");
    }
  }

 private:
  static StreamEvent Event(StreamEvent::Type t) {
    StreamEvent e;
    e.type = t;
    return e;
  }

  void Fail(StreamEvents& out, std::string message) {
    StreamEvent e = Event(StreamEvent::Type::kError);
    e.error = Error(ErrorKind::kUpstreamError, std::move(message));
    out.push_back(std::move(e));
    stopped_ = true;
  }

  void OnLine(std::string_view line, StreamEvents& out) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      return;
    }
    auto v = ParseJson(line);
    if (!v || !v->is_object()) {
      Fail(out, "malformed upstream stream line");
      return;
    }
    const json::object& o = v->get_object();
    if (const json::value* err = o.if_contains("error")) {
      StreamEvent e = Event(StreamEvent::Type::kError);
      e.error = Error(ErrorKind::kUpstreamError,
                      err->is_string() ? std::string(err->get_string()) : json::serialize(*err));
      out.push_back(std::move(e));
      stopped_ = true;
      return;
    }
    if (!started_) {
      started_ = true;
      StreamEvent s = Event(StreamEvent::Type::kStart);
      s.id = canon::NewId("chatcmpl-");
      s.name = StringField(o, "model");
      out.push_back(std::move(s));
    }
    if (const json::object* msg =
            o.if_contains("message") != nullptr ? o.at("message").if_object() : nullptr) {
      std::string thinking = StringField(*msg, "thinking");
      if (!thinking.empty()) {
        StreamEvent e = Event(StreamEvent::Type::kThinkingDelta);
        e.text = std::move(thinking);
        out.push_back(std::move(e));
      }
      std::string content = StringField(*msg, "content");
      if (!content.empty()) {
        StreamEvent e = Event(StreamEvent::Type::kTextDelta);
        e.text = std::move(content);
        out.push_back(std::move(e));
      }
      if (const json::value* calls = msg->if_contains("tool_calls");
          calls != nullptr && calls->is_array()) {
        for (const auto& c : calls->get_array()) {
          const auto* co = c.if_object();
          const json::object* fn = co != nullptr && co->if_contains("function") != nullptr
                                       ? co->at("function").if_object()
                                       : nullptr;
          if (fn == nullptr) {
            continue;
          }
          StreamEvent start = Event(StreamEvent::Type::kToolCallStart);
          start.id = StringField(*co, "id");
          if (start.id.empty()) {
            start.id = canon::NewId("call_");
          }
          start.name = StringField(*fn, "name");
          start.tool_index = tool_count_;
          out.push_back(std::move(start));
          StreamEvent args = Event(StreamEvent::Type::kToolArgsDelta);
          args.tool_index = tool_count_;
          args.text = ArgsText(fn->if_contains("arguments"));
          out.push_back(std::move(args));
          ++tool_count_;
        }
      }
    }
    const json::value* done = o.if_contains("done");
    if (done != nullptr && done->is_bool() && done->get_bool()) {
      StreamEvent f = Event(StreamEvent::Type::kFinish);
      f.finish = tool_count_ > 0 ? FinishReason::kToolCalls
                                 : FinishReasonFromOllama(StringField(o, "done_reason"));
      out.push_back(std::move(f));
      Usage usage = UsageFrom(o);
      if (usage.present) {
        StreamEvent u = Event(StreamEvent::Type::kUsage);
        u.usage = usage;
        out.push_back(std::move(u));
      }
      out.push_back(Event(StreamEvent::Type::kEnd));
      stopped_ = true;
    }
  }

  std::string buffer_;
  bool started_ = false;
  bool stopped_ = false;
  int tool_count_ = 0;
};

}  // namespace

std::string RenderRequest(const Request& request, std::string_view model) {
  json::object body{{"model", model}};
  json::array messages;
  if (!request.system.empty()) {
    std::string system;
    for (const auto& p : request.system) {
      if (!system.empty()) {
        system += "\n\n";
      }
      system += p.text;
    }
    messages.emplace_back(json::object{{"role", "system"}, {"content", std::move(system)}});
  }
  std::vector<std::pair<std::string, std::string>> call_names;  // id → name
  for (const auto& m : request.messages) {
    if (m.role == Role::kAssistant) {
      std::string content;
      std::string thinking;
      json::array calls;
      for (const auto& p : m.parts) {
        if (p.type == Part::Type::kText) {
          content += p.text;
        } else if (p.type == Part::Type::kThinking) {
          thinking += p.text;
        } else if (p.type == Part::Type::kToolCall) {
          call_names.emplace_back(p.id, p.name);
          calls.emplace_back(json::object{
              {"function", {{"name", p.name}, {"arguments", ObjectFromText(p.arguments)}}}});
        }
      }
      json::object msg{{"role", "assistant"}, {"content", std::move(content)}};
      if (!thinking.empty()) {
        msg["thinking"] = thinking;
      }
      if (!calls.empty()) {
        msg["tool_calls"] = std::move(calls);
      }
      messages.emplace_back(std::move(msg));
      continue;
    }
    // A user turn: tool results become role "tool" messages, in order with the rest.
    PendingMessage pending;
    for (const auto& p : m.parts) {
      switch (p.type) {
        case Part::Type::kText:
          pending.AddText(p.text);
          break;
        case Part::Type::kImage:
          pending.AddImage(p);
          break;
        case Part::Type::kToolResult: {
          FlushUser(pending, messages);
          std::string name = p.name;
          if (name.empty()) {
            for (const auto& [id, n] : call_names) {
              if (id == p.id) {
                name = n;
              }
            }
          }
          PendingMessage tool;
          for (const auto& c : p.content) {
            if (c.type == Part::Type::kText) {
              tool.content += c.text;
            } else if (c.type == Part::Type::kImage) {
              tool.AddImage(c);
            }
          }
          json::object msg{{"role", "tool"}, {"content", std::move(tool.content)}};
          if (!tool.images.empty()) {
            msg["images"] = std::move(tool.images);
          }
          if (!name.empty()) {
            msg["tool_name"] = name;
          }
          if (!p.id.empty()) {
            msg["tool_call_id"] = p.id;
          }
          messages.emplace_back(std::move(msg));
          break;
        }
        case Part::Type::kToolCall:
        case Part::Type::kThinking:
        case Part::Type::kRedactedThinking:
          break;
      }
    }
    FlushUser(pending, messages);
  }
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    json::array tools;
    for (const auto& t : request.tools) {
      json::value params =
          t.parameters.empty()
              ? json::value(json::object{{"type", "object"}, {"properties", json::object{}}})
              : ObjectFromText(t.parameters);
      json::object fn{{"name", t.name}};
      if (!t.description.empty()) {
        fn["description"] = t.description;
      }
      fn["parameters"] = std::move(params);
      tools.emplace_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    body["tools"] = std::move(tools);
  }
  body["stream"] = request.stream;
  json::object options;
  if (request.temperature) {
    options["temperature"] = *request.temperature;
  }
  if (request.top_p) {
    options["top_p"] = *request.top_p;
  }
  if (request.top_k) {
    options["top_k"] = *request.top_k;
  }
  if (request.max_tokens) {
    options["num_predict"] = *request.max_tokens;
  }
  if (!request.stop.empty()) {
    json::array stops;
    for (const auto& s : request.stop) {
      stops.emplace_back(s);
    }
    options["stop"] = std::move(stops);
  }
  if (request.seed) {
    options["seed"] = *request.seed;
  }
  if (request.presence_penalty) {
    options["presence_penalty"] = *request.presence_penalty;
  }
  if (request.frequency_penalty) {
    options["frequency_penalty"] = *request.frequency_penalty;
  }
  if (!options.empty()) {
    body["options"] = std::move(options);
  }
  if (request.response_format == Request::Format::kJsonObject) {
    body["format"] = "json";
  } else if (request.response_format == Request::Format::kJsonSchema) {
    auto schema = ParseJson(request.response_schema);
    body["format"] = schema && schema->is_object() ? std::move(*schema) : json::value("json");
  }
  if (request.thinking_enabled) {
    body["think"] = true;
  }
  return json::serialize(body);
}

Result<Response> ParseResponse(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed || !parsed->is_object()) {
    return Error(ErrorKind::kUpstreamError, "malformed upstream response");
  }
  const json::object& o = parsed->get_object();
  if (o.contains("error")) {
    return ParseError(502, body);
  }
  Response r;
  r.id = canon::NewId("chatcmpl-");
  r.model = StringField(o, "model");
  r.created = UnixFromRfc3339(StringField(o, "created_at"));
  bool has_calls = false;
  if (const json::object* msg =
          o.if_contains("message") != nullptr ? o.at("message").if_object() : nullptr) {
    std::string thinking = StringField(*msg, "thinking");
    if (!thinking.empty()) {
      Part t;
      t.type = Part::Type::kThinking;
      t.text = std::move(thinking);
      r.content.push_back(std::move(t));
    }
    std::string content = StringField(*msg, "content");
    if (!content.empty()) {
      r.content.push_back(Part::Text(std::move(content)));
    }
    if (const json::value* calls = msg->if_contains("tool_calls");
        calls != nullptr && calls->is_array()) {
      for (const auto& c : calls->get_array()) {
        const auto* co = c.if_object();
        const json::object* fn = co != nullptr && co->if_contains("function") != nullptr
                                     ? co->at("function").if_object()
                                     : nullptr;
        if (fn == nullptr) {
          continue;
        }
        Part call;
        call.type = Part::Type::kToolCall;
        call.id = StringField(*co, "id");
        if (call.id.empty()) {
          call.id = canon::NewId("call_");
        }
        call.name = StringField(*fn, "name");
        call.arguments = ArgsText(fn->if_contains("arguments"));
        r.content.push_back(std::move(call));
        has_calls = true;
      }
    }
  }
  r.finish =
      has_calls ? FinishReason::kToolCalls : FinishReasonFromOllama(StringField(o, "done_reason"));
  r.usage = UsageFrom(o);
  return r;
}

std::unique_ptr<canon::StreamDecoder> MakeDecoder() {
  return std::make_unique<Decoder>();
}

std::string RenderError(const Error& error) {
  json::object body{{"error", error.message.empty() ? ErrorKindName(error.kind) : error.message}};
  return json::serialize(body);
}

int ErrorStatus(const Error& error) {
  return DefaultHttpStatus(error.kind);
}

Error ParseError(int status, std::string_view body) {
  Error e(canon::KindForUpstreamStatus(status), "");
  e.upstream_status = status;
  auto parsed = ParseJson(body);
  if (parsed && parsed->is_object()) {
    if (const json::value* err = parsed->get_object().if_contains("error")) {
      if (err->is_string()) {
        e.message = std::string(err->get_string());
      } else if (const auto* eo = err->if_object()) {
        e.message = StringField(*eo, "message");  // the /v1 compat shape, if a proxy mixes them
      }
    }
  }
  if (e.message.empty()) {
    e.message = "upstream returned HTTP " + std::to_string(status);
  }
  if (e.kind == ErrorKind::kNotFound && e.message.find("model") != std::string::npos) {
    e.code = "model_not_found";
    e.param = "model";
  }
  return e;
}

FinishReason FinishReasonFromOllama(std::string_view reason) {
  if (reason == "length") {
    return FinishReason::kLength;
  }
  return FinishReason::kStop;
}

}  // namespace baton::ollama

namespace baton::canon {

const Codec& OllamaCodec() {
  static const Codec codec{
      Dialect::kOllama,
      nullptr,  // parse_request: not a client dialect
      nullptr,
      nullptr,  // render_response, make_encoder
      &ollama::RenderRequest,
      &ollama::ParseResponse,
      &ollama::MakeDecoder,
      &ollama::RenderError,
      &ollama::ErrorStatus,
      &ollama::ParseError,
  };
  return codec;
}

}  // namespace baton::canon
