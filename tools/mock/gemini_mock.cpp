// Gemini generateContent / streamGenerateContent / countTokens / models for baton-mock
// (WIRE_FORMATS.md §5). Non-streaming bodies are pretty-printed and SSE events use Google's
// `"key": value` spacing with CRLF framing, as in /work/shared/fixtures/gemini.
#include <string>

#include "mock/dialect_mock.hpp"
#include "mock/dialect_util.hpp"

namespace baton::mock {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

DialectError Invalid(std::string message) {
  return DialectError{400, std::move(message), "INVALID_ARGUMENT"};
}

std::string_view FinishReason(GenReply::Stop stop) {
  return stop == GenReply::Stop::kLength ? "MAX_TOKENS" : "STOP";
}

void AppendPromptDetails(std::string& b, int64_t prompt) {
  b += ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":";
  AppendInt(b, prompt);
  b += "}]";
}

void AppendFullUsage(std::string& b, const GenReply& reply) {
  const int64_t candidates = reply.completion_tokens - reply.thinking_tokens;
  b += ",\"usageMetadata\":{\"promptTokenCount\":";
  AppendInt(b, reply.prompt_tokens);
  b += ",\"candidatesTokenCount\":";
  AppendInt(b, candidates);
  b += ",\"totalTokenCount\":";
  AppendInt(b, reply.prompt_tokens + reply.completion_tokens);
  AppendPromptDetails(b, reply.prompt_tokens);
  if (reply.thinking_tokens > 0) {
    b += ",\"thoughtsTokenCount\":";
    AppendInt(b, reply.thinking_tokens);
  }
  b += '}';
}

void AppendTail(std::string& b, const GenRequest& request, const GenIds& ids) {
  b += ",\"modelVersion\":";
  AppendJsonString(b, request.model);
  b += ",\"responseId\":\"mock";
  AppendInt(b, static_cast<int64_t>(ids.seq));
  b += "\"}";
}

void AppendCallParts(std::string& b, const GenReply& reply, bool* first) {
  for (const ToolSpec& call : reply.calls) {
    if (!*first) {
      b += ',';
    }
    *first = false;
    b += "{\"functionCall\":{\"name\":";
    AppendJsonString(b, call.name);
    b += ",\"args\":";
    b += call.arguments;
    b += "}}";
  }
}

// One streamed GenerateContentResponse with `parts` (JSON text of the parts array's contents).
std::string StreamObject(const GenRequest& request, const GenReply& reply, const GenIds& ids,
                         std::string_view parts, bool last) {
  std::string b = "{\"candidates\":[{\"content\":{\"parts\":[";
  b += parts;
  b += "],\"role\":\"model\"}";
  if (last) {
    b += ",\"finishReason\":\"";
    b += FinishReason(reply.stop);
    b += "\",\"index\":0}]";
    AppendFullUsage(b, reply);
  } else {
    b += "}],\"usageMetadata\":{\"promptTokenCount\":";
    AppendInt(b, reply.prompt_tokens);
    b += ",\"totalTokenCount\":";
    AppendInt(b, reply.prompt_tokens);
    AppendPromptDetails(b, reply.prompt_tokens);
    b += '}';
  }
  AppendTail(b, request, ids);
  return b;
}

}  // namespace

std::optional<DialectError> ParseGeminiRequest(std::string_view body, std::string_view model,
                                               GenRequest* out) {
  out->model = std::string(model);
  json::value root;
  if (!ParseObject(body, root)) {
    return Invalid("Invalid JSON payload received. Unexpected token.");
  }
  const json::object& o = root.get_object();
  const json::array* contents = FindArray(o, "contents");
  if (contents == nullptr || contents->empty()) {
    return Invalid("* GenerateContentRequest.contents: contents is not specified\n");
  }
  int64_t words = 0;
  if (const json::value* system = Find(o, "systemInstruction")) {
    CollectText(*system, &words, nullptr);
  } else if (const json::value* system2 = Find(o, "system_instruction")) {
    CollectText(*system2, &words, nullptr);
  }
  const json::value* last_user = nullptr;
  for (const json::value& c : *contents) {
    if (!c.is_object()) {
      return Invalid(
          "Invalid value at 'contents' (type.googleapis.com/google.ai.generativelanguage."
          "v1beta.Content)");
    }
    const json::object& co = c.get_object();
    const json::value* parts = Find(co, "parts");
    if (parts) {
      CollectText(*parts, &words, nullptr);
    }
    std::optional<std::string_view> role = FindString(co, "role");
    if (!role || *role == "user") {
      last_user = parts;
    }
  }
  out->prompt_tokens = std::max<int64_t>(words, 1);
  std::string text;
  if (last_user) {
    int64_t ignored = 0;
    CollectText(*last_user, &ignored, &text);
  }
  out->text_hash = Fnv1a(text);
  if (contents->back().is_object()) {
    if (const json::array* parts = FindArray(contents->back().get_object(), "parts")) {
      for (const json::value& p : *parts) {
        if (p.is_object() && (p.get_object().contains("functionResponse") ||
                              p.get_object().contains("function_response"))) {
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
      const json::array* decls = FindArray(t.get_object(), "functionDeclarations");
      if (decls == nullptr) {
        decls = FindArray(t.get_object(), "function_declarations");
      }
      if (decls == nullptr) {
        continue;
      }
      for (const json::value& d : *decls) {
        if (!d.is_object()) {
          continue;
        }
        std::optional<std::string_view> name = FindString(d.get_object(), "name");
        if (!name) {
          continue;
        }
        const json::value* schema = Find(d.get_object(), "parameters");
        if (schema == nullptr) {
          schema = Find(d.get_object(), "parametersJsonSchema");
        }
        out->tools.push_back({std::string(*name), ArgumentsFromRequired(schema)});
      }
    }
  }
  if (const json::object* tc = FindObject(o, "toolConfig")) {
    if (const json::object* fc = FindObject(*tc, "functionCallingConfig")) {
      std::optional<std::string_view> mode = FindString(*fc, "mode");
      if (mode == std::optional<std::string_view>("NONE")) {
        out->tools_disabled = true;
      }
      if (const json::array* allowed = FindArray(*fc, "allowedFunctionNames");
          allowed && !allowed->empty() && (*allowed)[0].is_string()) {
        out->tool_choice_name = std::string((*allowed)[0].get_string());
      }
    }
  }
  if (const json::object* gc = FindObject(o, "generationConfig")) {
    if (const json::value* max = Find(*gc, "maxOutputTokens")) {
      if (std::optional<int64_t> n = AsInt(*max); n && *n > 0) {
        out->max_tokens = *n;
      }
    }
    if (const json::object* tc = FindObject(*gc, "thinkingConfig")) {
      if (const json::value* inc = Find(*tc, "includeThoughts"); inc && inc->is_bool()) {
        out->thinking = inc->get_bool();
      }
    }
  }
  return std::nullopt;
}

std::string GeminiResponseBody(const GenRequest& request, const GenReply& reply,
                               const GenIds& ids) {
  std::string b = "{\"candidates\":[{\"content\":{\"parts\":[";
  bool first = true;
  if (!reply.thought.empty()) {
    b += "{\"text\":";
    AppendJsonString(b, JoinWords(reply.thought));
    b += ",\"thought\":true}";
    first = false;
  }
  if (!reply.words.empty()) {
    if (!first) {
      b += ',';
    }
    first = false;
    b += "{\"text\":";
    AppendJsonString(b, JoinWords(reply.words));
    b += '}';
  }
  AppendCallParts(b, reply, &first);
  b += "],\"role\":\"model\"},\"finishReason\":\"";
  b += FinishReason(reply.stop);
  b += "\",\"index\":0}]";
  AppendFullUsage(b, reply);
  AppendTail(b, request, ids);
  return GooglePretty(b);
}

SseStream GeminiStream(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  std::vector<std::pair<std::string, bool>> objects;  // compact JSON, content flag
  for (std::size_t i = 0; i < reply.thought.size(); ++i) {
    std::string part = "{\"text\":";
    AppendJsonString(part,
                     i == 0 ? std::string(reply.thought[i]) : " " + std::string(reply.thought[i]));
    part += ",\"thought\":true}";
    bool last = i + 1 == reply.thought.size() && reply.words.empty() && reply.calls.empty();
    objects.emplace_back(StreamObject(request, reply, ids, part, last), true);
  }
  for (std::size_t i = 0; i < reply.words.size(); ++i) {
    std::string part = "{\"text\":";
    AppendJsonString(part,
                     i == 0 ? std::string(reply.words[i]) : " " + std::string(reply.words[i]));
    part += '}';
    objects.emplace_back(StreamObject(request, reply, ids, part, i + 1 == reply.words.size()),
                         true);
  }
  if (!reply.calls.empty()) {
    std::string parts;
    bool first = true;
    AppendCallParts(parts, reply, &first);
    objects.emplace_back(StreamObject(request, reply, ids, parts, true), true);
  }
  EventBuilder s;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    std::string& b = s.bytes();
    if (request.sse) {
      b += "data: ";
      b += GoogleSpaced(objects[i].first);
      b += "\r\n\r\n";
    } else {
      b += i == 0 ? "[" : ",\r\n";
      b += GooglePretty(objects[i].first);
      if (i + 1 == objects.size()) {
        b += ']';
      }
    }
    s.Close(objects[i].second);
  }
  return s.Take();
}

std::string GeminiCountTokensBody(const GenRequest& request) {
  std::string b = "{\"totalTokens\":";
  AppendInt(b, request.prompt_tokens);
  AppendPromptDetails(b, request.prompt_tokens);
  b += '}';
  return GooglePretty(b);
}

std::string GeminiModelBody(std::string_view name) {
  std::string id(name);
  if (id.starts_with("models/")) {
    id = id.substr(7);
  }
  std::string b = "{\"name\":";
  AppendJsonString(b, "models/" + id);
  b += ",\"version\":\"001\",\"displayName\":";
  AppendJsonString(b, "Mock " + id);
  b += ",\"description\":\"baton-mock model\",\"inputTokenLimit\":1048576,"
       "\"outputTokenLimit\":65536,\"supportedGenerationMethods\":[\"generateContent\","
       "\"countTokens\"],\"temperature\":1,\"topP\":0.95,\"topK\":64,\"maxTemperature\":2,"
       "\"thinking\":true}";
  return b;
}

std::string GeminiModelsBody() {
  std::string b = "{\"models\":[";
  b += GeminiModelBody("gemini-mock-flash");
  b += ',';
  b += GeminiModelBody("gemini-mock-pro");
  b += "]}";
  return GooglePretty(b);
}

}  // namespace baton::mock
