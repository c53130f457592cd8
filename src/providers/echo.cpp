#include "providers/echo.hpp"

#include <atomic>
#include <chrono>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "dialects/json_scan.hpp"
#include "dialects/openai_chat/openai_chat.hpp"

namespace baton {

namespace json = boost::json;

namespace {

std::atomic<uint64_t> g_echo_counter{0};

// Text of a message's content: a string, or the text parts of an array.
std::string ContentText(const json::value* content) {
  if (content == nullptr) {
    return {};
  }
  if (content->is_string()) {
    return std::string(content->as_string());
  }
  std::string text;
  if (content->is_array()) {
    for (const auto& part : content->as_array()) {
      if (!part.is_object()) {
        continue;
      }
      const json::value* t = part.as_object().if_contains("text");
      if (t != nullptr && t->is_string()) {
        if (!text.empty()) {
          text += ' ';
        }
        text.append(t->as_string().data(), t->as_string().size());
      }
    }
  }
  return text;
}

// Splits text into words, each keeping its trailing space, so the pieces concatenate back.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    j = j == std::string_view::npos ? text.size() : j + 1;
    words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

class StaticBody final : public UpstreamBody {
 public:
  StaticBody(int status, std::string content_type, std::string body)
      : status_(status), body_(std::move(body)) {
    headers_.push_back({"content-type", std::move(content_type)});
    headers_.push_back({"x-request-id", "echo-" + std::to_string(++g_echo_counter)});
  }
  int status() const override { return status_; }
  const HttpHeaders& headers() const override { return headers_; }
  bool finished() const override { return done_; }
  Awaitable<void> Drain(std::chrono::milliseconds /*max_wait*/) override {
    done_ = true;
    co_return;
  }
  Awaitable<Result<std::string_view>> Read() override {
    if (done_) {
      co_return std::string_view{};
    }
    done_ = true;
    co_return std::string_view(body_);
  }

 private:
  int status_;
  HttpHeaders headers_;
  std::string body_;
  bool done_ = false;
};

}  // namespace

EchoAnswer EchoChat(std::string_view request_body, bool stream) {
  boost::system::error_code ec;
  json::value doc = json::parse(request_body, ec);
  if (ec || !doc.is_object()) {
    return {400, "application/json",
            openai::RenderError(Error(ErrorKind::kBadRequest, "invalid JSON body"))};
  }
  const json::object& req = doc.as_object();
  std::string model = "demo";
  if (const json::value* m = req.if_contains("model"); m != nullptr && m->is_string()) {
    model = std::string(m->as_string());
  }
  std::string last_user;
  std::size_t prompt_chars = 0;
  if (const json::value* msgs = req.if_contains("messages"); msgs != nullptr && msgs->is_array()) {
    for (const auto& m : msgs->as_array()) {
      if (!m.is_object()) {
        continue;
      }
      std::string text = ContentText(m.as_object().if_contains("content"));
      prompt_chars += text.size();
      const json::value* role = m.as_object().if_contains("role");
      if (role != nullptr && role->is_string() && role->as_string() == "user") {
        last_user = std::move(text);
      }
    }
  }
  std::string reply = last_user.empty() ? "(echo: no user message)" : last_user;
  std::vector<std::string> words = Words(reply);
  int64_t max_tokens = -1;
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const json::value* v = req.if_contains(key);
        v != nullptr && v->is_int64() && max_tokens < 0) {
      max_tokens = v->as_int64();
    }
  }
  std::string finish = "stop";
  if (max_tokens >= 0 && static_cast<std::size_t>(max_tokens) < words.size()) {
    words.resize(static_cast<std::size_t>(max_tokens));
    finish = "length";
    reply.clear();
    for (const auto& w : words) {
      reply += w;
    }
  }
  auto prompt_tokens = static_cast<int64_t>((prompt_chars + 3) / 4) + 1;
  auto completion_tokens = static_cast<int64_t>(words.size());
  std::string usage = R"({"prompt_tokens":)" + std::to_string(prompt_tokens) +
                      R"(,"completion_tokens":)" + std::to_string(completion_tokens) +
                      R"(,"total_tokens":)" + std::to_string(prompt_tokens + completion_tokens) +
                      "}";
  std::string id = "chatcmpl-echo" + std::to_string(++g_echo_counter);
  std::string created = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  std::string model_json;
  AppendJsonString(model_json, model);
  std::string prefix = R"({"id":")" + id + R"(","object":")";

  if (!stream) {
    std::string body = prefix + R"(chat.completion","created":)" + created + R"(,"model":)" +
                       model_json +
                       R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
    AppendJsonString(body, reply);
    body += R"(,"refusal":null},"logprobs":null,"finish_reason":")" + finish + R"("}],"usage":)" +
            usage + R"(,"system_fingerprint":"fp_baton_echo"})";
    return {200, "application/json", std::move(body)};
  }
  std::string chunk_head = prefix + R"(chat.completion.chunk","created":)" + created +
                           R"(,"model":)" + model_json + R"(,"system_fingerprint":"fp_baton_echo")";
  std::string out;
  auto add_choice = [&](std::string_view delta, std::string_view finish_reason) {
    out += "data: ";
    out += chunk_head;
    out += R"(,"choices":[{"index":0,"delta":)";
    out += delta;
    out += R"(,"logprobs":null,"finish_reason":)";
    out += finish_reason;
    out += "}]}\n\n";
  };
  add_choice(R"({"role":"assistant","content":"","refusal":null})", "null");
  for (const auto& w : words) {
    std::string delta = R"({"content":)";
    AppendJsonString(delta, w);
    delta += '}';
    add_choice(delta, "null");
  }
  add_choice("{}", "\"" + finish + "\"");
  out += "data: " + chunk_head + R"(,"choices":[],"usage":)" + usage + "}\n\n";
  out += "data: [DONE]\n\n";
  return {200, "text/event-stream", std::move(out)};
}

Awaitable<Result<std::unique_ptr<UpstreamBody>>> EchoProvider::Send(ProviderCall call) {
  if (call.operation != Operation::kChatCompletions) {
    co_return std::unique_ptr<UpstreamBody>(std::make_unique<StaticBody>(
        404, "application/json",
        openai::RenderError(Error(ErrorKind::kNotFound,
                                  "the echo provider only answers chat completions",
                                  "unsupported_operation"))));
  }
  EchoAnswer answer = EchoChat(call.body, call.stream);
  co_return std::unique_ptr<UpstreamBody>(std::make_unique<StaticBody>(
      answer.status, std::move(answer.content_type), std::move(answer.body)));
}

}  // namespace baton
