#include "mock/openai_mock.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include <boost/json.hpp>

namespace baton::mock {
namespace {

namespace json = boost::json;

// The answer vocabulary. Plain ASCII words, so a delta needs no escaping.
constexpr std::array<std::string_view, 32> kWords = {
    "alpha",   "baton",  "relay",  "quick",  "answer", "from",  "the",     "mock",
    "server",  "tokens", "stream", "gently", "across", "wires", "while",   "tests",
    "measure", "every",  "byte",   "and",    "each",   "chunk", "arrives", "in",
    "order",   "with",   "steady", "timing", "before", "done",  "again",   "today"};
constexpr std::string_view kFirstWord = "Mock";
constexpr std::size_t kArgumentFragmentBytes = 4;
constexpr int kMaxDimensions = 8192;
constexpr std::size_t kMaxEmbeddingInputs = 2048;

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, end);
}

void AppendFloat(std::string& out, float v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  out.append(buf, end);
}

// The JSON body was not valid JSON (OpenAI's wording).
ApiError BadJsonError() {
  ApiError e;
  e.message =
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
      "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
      "sent was not valid JSON.)";
  return e;
}

ApiError MissingParam(std::string_view name) {
  ApiError e;
  e.message = "Missing required parameter: '" + std::string(name) + "'.";
  e.param = std::string(name);
  e.code = "missing_required_parameter";
  return e;
}

ApiError InvalidParam(std::string_view name, std::string_view why) {
  ApiError e;
  e.message = "Invalid '" + std::string(name) + "': " + std::string(why);
  e.param = std::string(name);
  e.code = "invalid_value";
  return e;
}

const json::value* Find(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::optional<int64_t> AsInt(const json::value& v) {
  if (v.is_int64()) {
    return v.get_int64();
  }
  if (v.is_uint64()) {
    uint64_t u = v.get_uint64();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (std::floor(d) == d && std::fabs(d) < 9e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

// Appends the text of a message's `content` (string, or parts with a "text" string) to `out`.
void AppendContentText(const json::value& content, std::string& out) {
  if (content.is_string()) {
    const json::string& s = content.get_string();
    out.append(s.data(), s.size());
  } else if (content.is_array()) {
    for (const json::value& part : content.get_array()) {
      if (!part.is_object()) {
        continue;
      }
      if (const json::value* t = Find(part.get_object(), "text"); t && t->is_string()) {
        out.append(t->get_string().data(), t->get_string().size());
      }
    }
  }
}

// Length of a message's text without building it.
std::size_t ContentTextLength(const json::value& content) {
  if (content.is_string()) {
    return content.get_string().size();
  }
  std::size_t n = 0;
  if (content.is_array()) {
    for (const json::value& part : content.get_array()) {
      if (!part.is_object()) {
        continue;
      }
      if (const json::value* t = Find(part.get_object(), "text"); t && t->is_string()) {
        n += t->get_string().size();
      }
    }
  }
  return n;
}

std::string_view SchemaType(const json::value& property) {
  if (!property.is_object()) {
    return {};
  }
  const json::value* type = Find(property.get_object(), "type");
  if (type == nullptr) {
    return {};
  }
  if (type->is_string()) {
    return type->get_string();
  }
  if (type->is_array()) {  // ["string", "null"]: the first non-null type
    for (const json::value& t : type->get_array()) {
      if (t.is_string() && t.get_string() != "null") {
        return t.get_string();
      }
    }
  }
  return {};
}

std::string ArgumentsFromParameters(const json::value* parameters) {
  std::string out = "{";
  if (parameters && parameters->is_object()) {
    const json::value* props = Find(parameters->get_object(), "properties");
    if (props && props->is_object()) {
      bool first = true;
      for (const auto& kv : props->get_object()) {
        if (!first) {
          out += ',';
        }
        first = false;
        AppendJsonString(out, kv.key());
        out += ':';
        std::string_view type = SchemaType(kv.value());
        if (type == "string") {
          out += "\"mock\"";
        } else if (type == "number" || type == "integer") {
          out += '1';
        } else if (type == "boolean") {
          out += "true";
        } else {
          out += "null";
        }
      }
    }
  }
  out += '}';
  return out;
}

// The function a tool entry names: {"type":"function","function":{"name",...}} (Chat) or
// {"type":"function","name",...} (Responses style). Null when it is not a function tool.
const json::object* ToolFunction(const json::value& tool, std::string_view* name) {
  if (!tool.is_object()) {
    return nullptr;
  }
  const json::object& t = tool.get_object();
  if (const json::value* type = Find(t, "type");
      type && !(type->is_string() && type->get_string() == "function")) {
    return nullptr;
  }
  const json::object* fn = &t;
  if (const json::value* f = Find(t, "function"); f && f->is_object()) {
    fn = &f->get_object();
  }
  const json::value* n = Find(*fn, "name");
  if (n == nullptr || !n->is_string()) {
    return nullptr;
  }
  *name = n->get_string();
  return fn;
}

// Also sets *next to the function tool after the chosen one (wrapping; the chosen one again when
// it is the only one), for parallel calls.
std::optional<ToolCall> ChooseTool(const json::object& request, std::optional<ToolCall>* next) {
  const json::value* tools = Find(request, "tools");
  if (tools == nullptr || !tools->is_array() || tools->get_array().empty()) {
    return std::nullopt;
  }
  std::string_view wanted;
  if (const json::value* choice = Find(request, "tool_choice"); choice) {
    if (choice->is_string() && choice->get_string() == "none") {
      return std::nullopt;
    }
    if (choice->is_object()) {
      const json::object& c = choice->get_object();
      const json::value* fn = Find(c, "function");
      const json::value* n =
          fn && fn->is_object() ? Find(fn->get_object(), "name") : Find(c, "name");
      if (n && n->is_string()) {
        wanted = n->get_string();
      }
    }
  }
  // The named function when tool_choice names one that exists, else the first function tool.
  const json::object* chosen = nullptr;
  std::string_view chosen_name;
  for (const json::value& tool : tools->get_array()) {
    std::string_view name;
    const json::object* fn = ToolFunction(tool, &name);
    if (fn == nullptr) {
      continue;
    }
    if (chosen == nullptr || name == wanted) {
      chosen = fn;
      chosen_name = name;
    }
    if (wanted.empty() || name == wanted) {
      break;
    }
  }
  if (chosen == nullptr) {
    return std::nullopt;
  }
  ToolCall call;
  call.name = std::string(chosen_name);
  call.arguments = ArgumentsFromParameters(Find(*chosen, "parameters"));
  const json::object* first_fn = nullptr;
  const json::object* after = nullptr;
  std::string_view first_name;
  std::string_view after_name;
  bool seen = false;
  for (const json::value& tool : tools->get_array()) {
    std::string_view name;
    const json::object* fn = ToolFunction(tool, &name);
    if (fn == nullptr) {
      continue;
    }
    if (first_fn == nullptr) {
      first_fn = fn;
      first_name = name;
    }
    if (seen) {
      after = fn;
      after_name = name;
      break;
    }
    seen = fn == chosen;
  }
  if (after == nullptr) {
    after = first_fn;
    after_name = first_name;
  }
  ToolCall second;
  second.name = std::string(after_name);
  second.arguments = ArgumentsFromParameters(Find(*after, "parameters"));
  *next = std::move(second);
  return call;
}

void AppendUsage(std::string& out, int64_t prompt, int64_t completion) {
  out += "{\"prompt_tokens\":";
  AppendInt(out, prompt);
  out += ",\"completion_tokens\":";
  AppendInt(out, completion);
  out += ",\"total_tokens\":";
  AppendInt(out, prompt + completion);
  out += ",\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
}

// Shared start of every chunk: `data: {"id":...,"system_fingerprint":"fp_mock","choices":[`.
std::string ChunkPrefix(const ChatRequest& request, const ChatIds& ids) {
  std::string p = "data: {\"id\":\"chatcmpl-mock";
  AppendInt(p, static_cast<int64_t>(ids.seq));
  p += "\",\"object\":\"chat.completion.chunk\",\"created\":";
  AppendInt(p, ids.created);
  p += ",\"model\":";
  AppendJsonString(p, request.model);
  p += ",\"system_fingerprint\":\"fp_mock\",\"choices\":[";
  return p;
}

class StreamBuilder {
 public:
  StreamBuilder(std::string prefix, std::size_t reserve) : prefix_(std::move(prefix)) {
    stream_.bytes.reserve(reserve);
  }

  // One choice chunk: `delta` is a JSON object text; empty finish = null.
  void Choice(std::string_view delta, std::string_view finish, bool content) {
    std::string& b = stream_.bytes;
    b += prefix_;
    b += "{\"index\":0,\"delta\":";
    b += delta;
    b += ",\"logprobs\":null,\"finish_reason\":";
    if (finish.empty()) {
      b += "null";
    } else {
      b += '"';
      b += finish;
      b += '"';
    }
    b += "}]}\n\n";
    stream_.events.push_back({b.size(), content});
  }

  void Usage(int64_t prompt, int64_t completion) {
    std::string& b = stream_.bytes;
    b += prefix_;
    b += "],\"usage\":";
    AppendUsage(b, prompt, completion);
    b += "}\n\n";
    stream_.events.push_back({b.size(), false});
  }

  void Done() {
    stream_.bytes += "data: [DONE]\n\n";
    stream_.events.push_back({stream_.bytes.size(), false});
  }

  SseStream Take() { return std::move(stream_); }

 private:
  std::string prefix_;
  SseStream stream_;
};

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Seeds and token counts of one token-array input.
bool AddTokenInput(const json::array& tokens, EmbeddingsRequest* out) {
  uint64_t h = Fnv1a("tokens");
  for (const json::value& t : tokens) {
    std::optional<int64_t> v = AsInt(t);
    if (!v) {
      return false;
    }
    char bytes[8];
    std::memcpy(bytes, &*v, 8);
    h = Fnv1a(std::string_view(bytes, 8), h);
  }
  out->seeds.push_back(h);
  out->prompt_tokens += static_cast<int64_t>(tokens.size());
  return true;
}

void AddTextInput(std::string_view text, EmbeddingsRequest* out) {
  out->seeds.push_back(Fnv1a(text));
  out->prompt_tokens += std::max<int64_t>(1, static_cast<int64_t>((text.size() + 3) / 4));
}

}  // namespace

// ---- Helpers ----

uint64_t Fnv1a(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::vector<std::string_view> AnswerWords(uint64_t hash, int64_t count) {
  std::vector<std::string_view> words;
  words.reserve(static_cast<std::size_t>(std::max<int64_t>(count, 0)));
  for (int64_t i = 0; i < count; ++i) {
    words.push_back(i == 0 ? kFirstWord
                           : kWords[(hash + static_cast<uint64_t>(i)) % kWords.size()]);
  }
  return words;
}

// ---- Errors ----

std::string ErrorBody(const ApiError& error) {
  std::string out = "{\"error\":{\"message\":";
  AppendJsonString(out, error.message);
  out += ",\"type\":";
  AppendJsonString(out, error.type);
  out += ",\"param\":";
  if (error.param.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, error.param);
  }
  out += ",\"code\":";
  if (error.code.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, error.code);
  }
  out += "}}";
  return out;
}

ApiError ErrorForStatus(int status) {
  ApiError e;
  e.status = status;
  switch (status) {
    case 400:
      e.message = "Injected bad request (baton-mock).";
      break;
    case 401:
      e.message = "Incorrect API key provided. (baton-mock)";
      e.code = "invalid_api_key";
      break;
    case 403:
      e.message = "You are not allowed to use this model. (baton-mock)";
      break;
    case 404:
      e.message = "The model does not exist or you do not have access to it. (baton-mock)";
      e.code = "model_not_found";
      break;
    case 429:
      e.message =
          "Rate limit reached for requests in organization org-mock on requests per min (RPM): "
          "Limit 10000, Used 10000, Requested 1. Please try again in 1s.";
      e.type = "requests";
      e.code = "rate_limit_exceeded";
      break;
    default:
      if (status >= 500) {
        e.message = "The server had an error while processing your request. Sorry about that!";
        e.type = "server_error";
      } else {
        e.message = "Injected error " + std::to_string(status) + " (baton-mock).";
      }
  }
  return e;
}

ApiError InvalidKeyError(std::string_view presented) {
  ApiError e;
  e.status = 401;
  e.code = "invalid_api_key";
  if (presented.empty()) {
    e.message =
        "You didn't provide an API key. You need to provide your API key in an Authorization "
        "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
  } else {
    std::string masked;
    if (presented.size() > 8) {
      masked = std::string(presented.substr(0, 3)) + "*****" +
               std::string(presented.substr(presented.size() - 4));
    } else {
      masked = "*****";
    }
    e.message = "Incorrect API key provided: " + masked +
                ". You can find your API key at https://platform.openai.com/account/api-keys.";
  }
  return e;
}

// The start every endpoint shares: one parse into the caller's arena (root must have been built
// on it) and the required "model".
std::optional<ApiError> ParseWithModel(std::string_view body, json::monotonic_resource& mr,
                                       json::value& root, std::string& model,
                                       std::string_view model_override) {
  boost::system::error_code ec;
  root = json::parse(body, ec, &mr);
  if (ec || !root.is_object()) {
    return BadJsonError();
  }
  if (!model_override.empty()) {  // Azure: the deployment in the path is the model
    model = std::string(model_override);
    return std::nullopt;
  }
  const json::value* m = Find(root.get_object(), "model");
  if (m == nullptr || !m->is_string()) {
    ApiError e = MissingParam("model");
    e.message = "you must provide a model parameter";
    e.code.clear();
    return e;
  }
  model = std::string(m->get_string());
  return std::nullopt;
}

// ---- Chat ----

std::optional<ApiError> ParseChatRequest(std::string_view body, ChatRequest* out,
                                         std::string_view model_override) {
  // One parse into a stack buffer: the only per-request heavy work the mock does.
  unsigned char buffer[8192];
  json::monotonic_resource mr(buffer, sizeof(buffer));
  json::value root(&mr);
  if (auto error = ParseWithModel(body, mr, root, out->model, model_override)) {
    return error;
  }
  const json::object& o = root.get_object();

  const json::value* messages = Find(o, "messages");
  if (messages == nullptr || !messages->is_array()) {
    return MissingParam("messages");
  }
  std::size_t chars = 0;
  const json::value* last_user = nullptr;
  for (const json::value& m : messages->get_array()) {
    if (!m.is_object()) {
      return InvalidParam("messages", "each message must be an object.");
    }
    const json::object& mo = m.get_object();
    if (const json::value* c = Find(mo, "content"); c) {
      chars += ContentTextLength(*c);
      if (const json::value* role = Find(mo, "role");
          role && role->is_string() && role->get_string() == "user") {
        last_user = c;
      }
    }
  }
  out->prompt_tokens = 1 + static_cast<int64_t>(chars / 4);
  std::string text;
  if (last_user) {
    AppendContentText(*last_user, text);
  }
  out->text_hash = Fnv1a(text);

  if (const json::value* s = Find(o, "stream"); s && s->is_bool()) {
    out->stream = s->get_bool();
  }
  out->include_usage = false;
  if (const json::value* so = Find(o, "stream_options"); so && so->is_object()) {
    if (const json::value* iu = Find(so->get_object(), "include_usage"); iu && iu->is_bool()) {
      out->include_usage = iu->get_bool();
    }
  }

  out->max_tokens.reset();
  for (std::string_view key : {"max_completion_tokens", "max_tokens"}) {
    const json::value* v = Find(o, key);
    if (v == nullptr || v->is_null()) {
      continue;
    }
    std::optional<int64_t> n = AsInt(*v);
    if (!n) {
      return InvalidParam(key, "expected an integer.");
    }
    if (*n < 1) {
      return InvalidParam(key, "integer below minimum value. Expected a value >= 1, but got " +
                                   std::to_string(*n) + " instead.");
    }
    out->max_tokens = *n;
    break;
  }

  out->next_tool.reset();
  out->tool = ChooseTool(o, &out->next_tool);
  return std::nullopt;
}

ChatReply PlanChatReply(const ChatRequest& request, int word_count, int tool_calls) {
  ChatReply reply;
  reply.prompt_tokens = request.prompt_tokens;
  if (request.tool) {
    reply.tool = request.tool;
    reply.finish_reason = "tool_calls";
    reply.completion_tokens =
        static_cast<int64_t>(Fragments(request.tool->arguments, kArgumentFragmentBytes).size());
    if (tool_calls >= 2 && request.next_tool) {
      reply.tool2 = request.next_tool;
      reply.completion_tokens += static_cast<int64_t>(
          Fragments(request.next_tool->arguments, kArgumentFragmentBytes).size());
    }
    return reply;
  }
  int64_t n = std::max(word_count, 1);
  reply.finish_reason = "stop";
  if (request.max_tokens && *request.max_tokens < n) {
    n = *request.max_tokens;
    reply.finish_reason = "length";
  }
  reply.words = AnswerWords(request.text_hash, n);
  reply.completion_tokens = n;
  return reply;
}

std::string ReplyText(const ChatReply& reply) {
  std::string text;
  for (std::size_t i = 0; i < reply.words.size(); ++i) {
    if (i > 0) {
      text += ' ';
    }
    text += reply.words[i];
  }
  return text;
}

std::string ChatCompletionBody(const ChatRequest& request, const ChatReply& reply,
                               const ChatIds& ids) {
  std::string b;
  b.reserve(512 + reply.words.size() * 8 + (reply.tool ? reply.tool->arguments.size() * 2 : 0));
  b += "{\"id\":\"chatcmpl-mock";
  AppendInt(b, static_cast<int64_t>(ids.seq));
  b += "\",\"object\":\"chat.completion\",\"created\":";
  AppendInt(b, ids.created);
  b += ",\"model\":";
  AppendJsonString(b, request.model);
  b += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  if (reply.tool) {
    b += "null,\"tool_calls\":[{\"id\":\"call_mock";
    AppendInt(b, static_cast<int64_t>(ids.seq));
    b += "\",\"type\":\"function\",\"function\":{\"name\":";
    AppendJsonString(b, reply.tool->name);
    b += ",\"arguments\":";
    AppendJsonString(b, reply.tool->arguments);
    b += "}}";
    if (reply.tool2) {
      b += ",{\"id\":\"call_mock";
      AppendInt(b, static_cast<int64_t>(ids.seq));
      b += "_1\",\"type\":\"function\",\"function\":{\"name\":";
      AppendJsonString(b, reply.tool2->name);
      b += ",\"arguments\":";
      AppendJsonString(b, reply.tool2->arguments);
      b += "}}";
    }
    b += ']';
  } else {
    AppendJsonString(b, ReplyText(reply));
  }
  b += ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"";
  b += reply.finish_reason;
  b += "\"}],\"usage\":";
  AppendUsage(b, reply.prompt_tokens, reply.completion_tokens);
  b += ",\"system_fingerprint\":\"fp_mock\"}";
  return b;
}

std::string_view SseStream::EventAt(std::size_t i) const {
  std::size_t begin = i == 0 ? 0 : events[i - 1].end;
  return std::string_view(bytes).substr(begin, events[i].end - begin);
}

std::string_view SseStream::Prefix(std::size_t n) const {
  if (n == 0) {
    return {};
  }
  n = std::min(n, events.size());
  return std::string_view(bytes).substr(0, events[n - 1].end);
}

SseStream ChatCompletionStream(const ChatRequest& request, const ChatReply& reply,
                               const ChatIds& ids) {
  std::string prefix = ChunkPrefix(request, ids);
  std::size_t events = reply.words.size() + 8 +
                       (reply.tool ? reply.tool->arguments.size() / kArgumentFragmentBytes : 0);
  StreamBuilder s(prefix, events * (prefix.size() + 96));
  std::string delta;
  delta.reserve(256);
  if (reply.tool) {
    delta =
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_mock";
    AppendInt(delta, static_cast<int64_t>(ids.seq));
    delta += "\",\"type\":\"function\",\"function\":{\"name\":";
    AppendJsonString(delta, reply.tool->name);
    delta += ",\"arguments\":\"\"}}],\"refusal\":null}";
    s.Choice(delta, {}, false);
    for (std::string_view fragment : Fragments(reply.tool->arguments, kArgumentFragmentBytes)) {
      delta = "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":";
      AppendJsonString(delta, fragment);
      delta += "}}]}";
      s.Choice(delta, {}, true);
    }
    if (reply.tool2) {  // a parallel call starts with its own index, id and name
      delta = "{\"tool_calls\":[{\"index\":1,\"id\":\"call_mock";
      AppendInt(delta, static_cast<int64_t>(ids.seq));
      delta += "_1\",\"type\":\"function\",\"function\":{\"name\":";
      AppendJsonString(delta, reply.tool2->name);
      delta += ",\"arguments\":\"\"}}]}";
      s.Choice(delta, {}, false);
      for (std::string_view fragment : Fragments(reply.tool2->arguments, kArgumentFragmentBytes)) {
        delta = "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":";
        AppendJsonString(delta, fragment);
        delta += "}}]}";
        s.Choice(delta, {}, true);
      }
    }
  } else {
    s.Choice("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", {}, false);
    for (std::size_t i = 0; i < reply.words.size(); ++i) {
      delta = "{\"content\":\"";
      if (i > 0) {
        delta += ' ';
      }
      delta += reply.words[i];  // plain ASCII: no escaping needed
      delta += "\"}";
      s.Choice(delta, {}, true);
    }
  }
  s.Choice("{}", reply.finish_reason, false);
  if (request.include_usage) {
    s.Usage(reply.prompt_tokens, reply.completion_tokens);
  }
  s.Done();
  return s.Take();
}

SseStream SplitSse(std::string bytes) {
  SseStream s;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t lf = bytes.find("\n\n", pos);
    std::size_t crlf = bytes.find("\r\n\r\n", pos);
    std::size_t end;
    if (lf == std::string::npos && crlf == std::string::npos) {
      end = bytes.size();
    } else if (crlf == std::string::npos || (lf != std::string::npos && lf < crlf)) {
      end = lf + 2;
    } else {
      end = crlf + 4;
    }
    s.events.push_back({end, true});
    pos = end;
  }
  s.bytes = std::move(bytes);
  return s;
}

std::string ToolArgumentsFromSchema(std::string_view parameters_json) {
  boost::system::error_code ec;
  json::value v = json::parse(parameters_json, ec);
  return ArgumentsFromParameters(ec ? nullptr : &v);
}

std::vector<std::string_view> Fragments(std::string_view text, std::size_t size) {
  std::vector<std::string_view> out;
  size = std::max<std::size_t>(size, 1);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = std::min(pos + size, text.size());
    // Never end a fragment before a UTF-8 continuation byte.
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// ---- Embeddings ----

std::optional<ApiError> ParseEmbeddingsRequest(std::string_view body, EmbeddingsRequest* out,
                                               std::string_view model_override) {
  unsigned char buffer[8192];
  json::monotonic_resource mr(buffer, sizeof(buffer));
  json::value root(&mr);
  if (auto error = ParseWithModel(body, mr, root, out->model, model_override)) {
    return error;
  }
  const json::object& o = root.get_object();
  out->seeds.clear();
  out->prompt_tokens = 0;

  const json::value* input = Find(o, "input");
  if (input == nullptr || input->is_null()) {
    return MissingParam("input");
  }
  ApiError invalid_input;
  invalid_input.message =
      "'$.input' is invalid. Please check the API reference: "
      "https://platform.openai.com/docs/api-reference.";
  if (input->is_string()) {
    if (input->get_string().empty()) {
      return invalid_input;
    }
    AddTextInput(input->get_string(), out);
  } else if (input->is_array()) {
    const json::array& a = input->get_array();
    if (a.empty() || a.size() > kMaxEmbeddingInputs) {
      return invalid_input;
    }
    if (a.front().is_string()) {
      for (const json::value& v : a) {
        if (!v.is_string() || v.get_string().empty()) {
          return invalid_input;
        }
        AddTextInput(v.get_string(), out);
      }
    } else if (a.front().is_array()) {
      for (const json::value& v : a) {
        if (!v.is_array() || v.get_array().empty() || !AddTokenInput(v.get_array(), out)) {
          return invalid_input;
        }
      }
    } else if (!AddTokenInput(a, out)) {
      return invalid_input;
    }
  } else {
    return invalid_input;
  }

  out->dimensions = 8;
  if (const json::value* d = Find(o, "dimensions"); d && !d->is_null()) {
    std::optional<int64_t> n = AsInt(*d);
    if (!n || *n < 1 || *n > kMaxDimensions) {
      return InvalidParam("dimensions", "expected an integer between 1 and 8192.");
    }
    out->dimensions = static_cast<int>(*n);
  }
  out->base64 = false;
  if (const json::value* f = Find(o, "encoding_format"); f && !f->is_null()) {
    if (f->is_string() && f->get_string() == "base64") {
      out->base64 = true;
    } else if (!(f->is_string() && f->get_string() == "float")) {
      return InvalidParam("encoding_format", "expected 'float' or 'base64'.");
    }
  }
  return std::nullopt;
}

std::vector<float> EmbeddingVector(uint64_t seed, int dimensions) {
  std::vector<float> v(static_cast<std::size_t>(std::max(dimensions, 0)));
  uint64_t state = seed;
  double norm = 0;
  for (float& x : v) {
    // 24 random bits → [-1, 1)
    x = static_cast<float>(static_cast<double>(SplitMix64(state) >> 40) / 8388608.0 - 1.0);
    norm += static_cast<double>(x) * x;
  }
  if (norm > 0) {
    double scale = 1.0 / std::sqrt(norm);
    for (float& x : v) {
      x = static_cast<float>(x * scale);
    }
  }
  return v;
}

std::string EmbeddingsBody(const EmbeddingsRequest& request) {
  std::string b;
  std::size_t per = request.base64 ? request.dimensions * 4 / 3 + 8 : request.dimensions * 14;
  b.reserve(128 + request.seeds.size() * (64 + per) + request.model.size());
  b += "{\"object\":\"list\",\"data\":[";
  std::string raw;
  for (std::size_t i = 0; i < request.seeds.size(); ++i) {
    if (i > 0) {
      b += ',';
    }
    b += "{\"object\":\"embedding\",\"index\":";
    AppendInt(b, static_cast<int64_t>(i));
    b += ",\"embedding\":";
    std::vector<float> v = EmbeddingVector(request.seeds[i], request.dimensions);
    if (request.base64) {
      raw.resize(v.size() * 4);
      for (std::size_t j = 0; j < v.size(); ++j) {
        uint32_t u = std::bit_cast<uint32_t>(v[j]);
        raw[j * 4 + 0] = static_cast<char>(u & 0xff);
        raw[j * 4 + 1] = static_cast<char>((u >> 8) & 0xff);
        raw[j * 4 + 2] = static_cast<char>((u >> 16) & 0xff);
        raw[j * 4 + 3] = static_cast<char>((u >> 24) & 0xff);
      }
      b += '"';
      b += Base64Encode(raw);
      b += '"';
    } else {
      b += '[';
      for (std::size_t j = 0; j < v.size(); ++j) {
        if (j > 0) {
          b += ',';
        }
        AppendFloat(b, v[j]);
      }
      b += ']';
    }
    b += '}';
  }
  b += "],\"model\":";
  AppendJsonString(b, request.model);
  b += ",\"usage\":{\"prompt_tokens\":";
  AppendInt(b, request.prompt_tokens);
  b += ",\"total_tokens\":";
  AppendInt(b, request.prompt_tokens);
  b += "}}";
  return b;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = at(i) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t n = (at(i) << 16) | (at(i + 1) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

// ---- Models ----

const std::string& ModelsBody() {
  static const std::string kBody = [] {
    std::string b = "{\"object\":\"list\",\"data\":[";
    bool first = true;
    for (std::string_view id : {"mock-gpt", "mock-gpt-mini", "mock-embed"}) {
      if (!first) {
        b += ',';
      }
      first = false;
      b += ModelBody(id);
    }
    b += "]}";
    return b;
  }();
  return kBody;
}

std::string ModelBody(std::string_view id) {
  std::string b = "{\"id\":";
  AppendJsonString(b, id);
  b += ",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"baton-mock\"}";
  return b;
}

// ---- Fault hooks ----

ModelHook ParseModelHook(std::string_view model) {
  if (!model.starts_with("mock-")) {
    return {};
  }
  if (model == "mock-hang") {
    return {ModelHook::Kind::kHang, 0};
  }
  if (model == "mock-tool") {
    return {ModelHook::Kind::kTool, 1};
  }
  if (model == "mock-tools-2") {
    return {ModelHook::Kind::kTool, 2};
  }
  if (model == "mock-think") {
    return {ModelHook::Kind::kThink, 0};
  }
  if (model == "mock-error-mid") {
    return {ModelHook::Kind::kErrorMid, 0};
  }
  struct Prefix {
    std::string_view text;
    ModelHook::Kind kind;
  };
  for (Prefix p :
       {Prefix{"mock-fail-", ModelHook::Kind::kFail}, Prefix{"mock-drop-", ModelHook::Kind::kDrop},
        Prefix{"mock-slow-", ModelHook::Kind::kSlow}}) {
    if (!model.starts_with(p.text)) {
      continue;
    }
    std::string_view digits = model.substr(p.text.size());
    int value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || value < 0) {
      return {};
    }
    if (p.kind == ModelHook::Kind::kFail && (value < 100 || value > 599)) {
      return {};
    }
    return {p.kind, value};
  }
  return {};
}

bool ShouldFail(uint64_t n, double rate) {
  if (n == 0 || rate <= 0) {
    return false;
  }
  if (rate >= 1) {
    return true;
  }
  // The epsilon keeps products like 0.7 * 10 = 7.000000000000001 / 2.9999999999999996 on the
  // integer they mean.
  constexpr double kEps = 1e-9;
  double now = std::floor(static_cast<double>(n) * rate + kEps);
  double before = std::floor(static_cast<double>(n - 1) * rate + kEps);
  return now != before;
}

}  // namespace baton::mock
