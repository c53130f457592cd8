// Ollama's native /api/chat (NDJSON stream, or one object with "stream": false) and /api/tags for
// baton-mock (WIRE_FORMATS.md §6). Field order follows /work/shared/fixtures/ollama.
#include <ctime>
#include <string>

#include "mock/dialect_mock.hpp"
#include "mock/dialect_util.hpp"

namespace baton::mock {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

std::string_view DoneReason(GenReply::Stop stop) {
  return stop == GenReply::Stop::kLength ? "length" : "stop";
}

// Start of every line: {"model":...,"created_at":"...","message":{"role":"assistant",
std::string LineHead(const GenRequest& request, const GenIds& ids, int64_t index) {
  std::string b = "{\"model\":";
  AppendJsonString(b, request.model);
  b += ",\"created_at\":\"";
  b += OllamaTime(ids.created, 100000000 + index * 1000000);
  b += "\",\"message\":{\"role\":\"assistant\",\"content\":";
  return b;
}

void AppendToolCalls(std::string& b, const GenReply& reply, const GenIds& ids) {
  b += ",\"tool_calls\":[";
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    if (k > 0) {
      b += ',';
    }
    b += "{\"id\":\"call_mock";
    AppendInt(b, static_cast<int64_t>(ids.seq));
    b += '_';
    AppendInt(b, static_cast<int64_t>(k));
    b += "\",\"function\":{\"index\":";
    AppendInt(b, static_cast<int64_t>(k));
    b += ",\"name\":";
    AppendJsonString(b, reply.calls[k].name);
    b += ",\"arguments\":";
    b += reply.calls[k].arguments;
    b += "}}";
  }
  b += ']';
}

// `,"done_reason":...,"done":true,<durations and counts>}` closing the final object.
void AppendDone(std::string& b, const GenReply& reply) {
  const int64_t prompt_ns = reply.prompt_tokens * 1'000'000;
  const int64_t eval_ns = reply.completion_tokens * 20'000'000;
  const int64_t load_ns = 1'500'000;
  b += ",\"done_reason\":\"";
  b += DoneReason(reply.stop);
  b += "\",\"done\":true,\"total_duration\":";
  AppendInt(b, prompt_ns + eval_ns + load_ns + 2'000'000);
  b += ",\"load_duration\":";
  AppendInt(b, load_ns);
  b += ",\"prompt_eval_count\":";
  AppendInt(b, reply.prompt_tokens);
  b += ",\"prompt_eval_duration\":";
  AppendInt(b, prompt_ns);
  b += ",\"eval_count\":";
  AppendInt(b, reply.completion_tokens);
  b += ",\"eval_duration\":";
  AppendInt(b, eval_ns);
  b += '}';
}

}  // namespace

std::string OllamaTime(int64_t unix_seconds, int64_t nanos) {
  std::time_t t = static_cast<std::time_t>(unix_seconds + nanos / 1'000'000'000);
  nanos %= 1'000'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (nanos > 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09lld", static_cast<long long>(nanos));
    std::string f(frac);
    while (f.back() == '0') {
      f.pop_back();
    }
    out += f;
  }
  out += 'Z';
  return out;
}

std::optional<DialectError> ParseOllamaRequest(std::string_view body, GenRequest* out) {
  json::value root;
  if (!ParseObject(body, root)) {
    return DialectError{400, "invalid character in request body: not a JSON object", {}};
  }
  const json::object& o = root.get_object();
  std::optional<std::string_view> model = FindString(o, "model");
  if (!model || model->empty()) {
    return DialectError{400, "model is required", {}};
  }
  out->model = std::string(*model);
  out->stream = true;  // Ollama streams unless told not to
  if (const json::value* s = Find(o, "stream"); s && s->is_bool()) {
    out->stream = s->get_bool();
  }
  if (const json::value* think = Find(o, "think")) {
    out->thinking = (think->is_bool() && think->get_bool()) ||
                    (think->is_string() && !think->get_string().empty());
  }
  if (const json::object* options = FindObject(o, "options")) {
    if (const json::value* n = Find(*options, "num_predict")) {
      if (std::optional<int64_t> v = AsInt(*n); v && *v > 0) {
        out->max_tokens = *v;
      }
    }
  }
  int64_t words = 0;
  const json::value* last_user = nullptr;
  if (const json::array* messages = FindArray(o, "messages")) {
    for (const json::value& m : *messages) {
      if (!m.is_object()) {
        return DialectError{400, "invalid message format", {}};
      }
      const json::object& mo = m.get_object();
      if (const json::value* c = Find(mo, "content")) {
        CollectText(*c, &words, nullptr);
        if (FindString(mo, "role") == std::optional<std::string_view>("user")) {
          last_user = c;
        }
      }
    }
    if (!messages->empty() && messages->back().is_object()) {
      out->last_is_tool_result = FindString(messages->back().get_object(), "role") ==
                                 std::optional<std::string_view>("tool");
    }
  }
  out->prompt_tokens = std::max<int64_t>(words, 1);
  std::string text;
  if (last_user) {
    int64_t ignored = 0;
    CollectText(*last_user, &ignored, &text);
  }
  out->text_hash = Fnv1a(text);
  if (const json::array* tools = FindArray(o, "tools")) {
    for (const json::value& t : *tools) {
      if (!t.is_object()) {
        continue;
      }
      const json::object* fn = FindObject(t.get_object(), "function");
      if (fn == nullptr) {
        continue;
      }
      if (std::optional<std::string_view> name = FindString(*fn, "name")) {
        out->tools.push_back({std::string(*name), ArgumentsFromRequired(Find(*fn, "parameters"))});
      }
    }
  }
  return std::nullopt;
}

std::string OllamaChatBody(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  std::string b = LineHead(request, ids, 0);
  AppendJsonString(b, JoinWords(reply.words));
  if (!reply.thought.empty()) {
    b += ",\"thinking\":";
    AppendJsonString(b, JoinWords(reply.thought));
  }
  if (!reply.calls.empty()) {
    AppendToolCalls(b, reply, ids);
  }
  b += '}';
  AppendDone(b, reply);
  return b;
}

SseStream OllamaStream(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  EventBuilder s;
  int64_t index = 0;
  for (std::size_t i = 0; i < reply.thought.size(); ++i) {
    std::string& b = s.bytes();
    b += LineHead(request, ids, index++);
    b += "\"\",\"thinking\":";
    AppendJsonString(b,
                     i == 0 ? std::string(reply.thought[i]) : " " + std::string(reply.thought[i]));
    b += "},\"done\":false}\n";
    s.Close(true);
  }
  for (std::size_t i = 0; i < reply.words.size(); ++i) {
    std::string& b = s.bytes();
    b += LineHead(request, ids, index++);
    AppendJsonString(b, i == 0 ? std::string(reply.words[i]) : " " + std::string(reply.words[i]));
    b += "},\"done\":false}\n";
    s.Close(true);
  }
  if (!reply.calls.empty()) {
    std::string& b = s.bytes();
    b += LineHead(request, ids, index++);
    b += "\"\"";
    AppendToolCalls(b, reply, ids);
    b += "},\"done\":false}\n";
    s.Close(true);
  }
  std::string& b = s.bytes();
  b += LineHead(request, ids, index);
  b += "\"\"}";
  AppendDone(b, reply);
  b += '\n';
  s.Close(false);
  return s.Take();
}

std::string OllamaTagsBody() {
  std::string b = "{\"models\":[";
  bool first = true;
  for (std::string_view name : {"llama3.2:latest", "qwen3:0.6b"}) {
    if (!first) {
      b += ',';
    }
    first = false;
    b += "{\"name\":";
    AppendJsonString(b, name);
    b += ",\"model\":";
    AppendJsonString(b, name);
    b += ",\"modified_at\":\"2025-01-01T00:00:00Z\",\"size\":2019393189,\"digest\":"
         "\"a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72\",\"details\":{"
         "\"parent_model\":\"\",\"format\":\"gguf\",\"family\":\"llama\",\"families\":[\"llama\"],"
         "\"parameter_size\":\"3.2B\",\"quantization_level\":\"Q4_K_M\"}}";
  }
  b += "]}";
  return b;
}

}  // namespace baton::mock
