// Gemini codec: GenerateContent request/response/stream ↔ canonical. See gemini.hpp for the
// Gemini-specific rules (ids, thought signatures, stream end).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "dialects/canonical.hpp"
#include "dialects/gemini/gemini.hpp"
#include "dialects/json_number.hpp"
#include "dialects/sse.hpp"

namespace baton::gemini {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Message;
using canon::Part;
using canon::Request;
using canon::Response;
using canon::Role;
using canon::StreamEvent;
using canon::StreamEvents;
using canon::Usage;

// The REST API accepts both spellings of its field names; clients use either.
const json::value* Field(const json::object& o, std::string_view camel, std::string_view snake) {
  if (const json::value* v = o.if_contains(camel)) {
    return v;
  }
  if (!snake.empty()) {
    return o.if_contains(snake);
  }
  return nullptr;
}

const json::object* ObjectField(const json::object& o, std::string_view camel,
                                std::string_view snake) {
  const json::value* v = Field(o, camel, snake);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* ArrayField(const json::object& o, std::string_view camel,
                              std::string_view snake) {
  const json::value* v = Field(o, camel, snake);
  return v != nullptr ? v->if_array() : nullptr;
}

std::string StringField(const json::object& o, std::string_view camel,
                        std::string_view snake = {}) {
  const json::value* v = Field(o, camel, snake);
  if (v != nullptr && v->is_string()) {
    return std::string(v->get_string());
  }
  return {};
}

std::optional<double> NumberField(const json::object& o, std::string_view camel,
                                  std::string_view snake) {
  const json::value* v = Field(o, camel, snake);
  if (v == nullptr || !v->is_number()) {
    return std::nullopt;
  }
  return v->to_number<double>();
}

// Integers may arrive as numbers or, proto3-JSON style, as strings ("int64 as string").
std::optional<int64_t> IntField(const json::object& o, std::string_view camel,
                                std::string_view snake) {
  const json::value* v = Field(o, camel, snake);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_number()) {
    return JsonInt(*v);
  }
  if (v->is_string()) {
    std::string_view s = v->get_string();
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) {
      return ClampJsonInt(n);
    }
  }
  return std::nullopt;
}

bool BoolField(const json::object& o, std::string_view camel, std::string_view snake = {}) {
  const json::value* v = Field(o, camel, snake);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::optional<json::value> ParseJson(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return std::nullopt;
  }
  return v;
}

// Gemini's OpenAPI-style schemas spell types in upper case ("OBJECT"); JSON Schema wants lower
// case. Applied to schemas coming from Gemini clients before they reach other dialects.
void LowercaseTypes(json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto& kv : *o) {
      if (kv.key() == "type") {
        if (kv.value().is_string()) {
          std::string s(kv.value().get_string());
          std::ranges::transform(
              s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          kv.value() = s;
          continue;
        }
      }
      LowercaseTypes(kv.value());
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) {
      LowercaseTypes(e);
    }
  }
}

// Gemini's `parameters` / `responseSchema` is an OpenAPI subset that rejects some JSON Schema
// keywords OpenAI-style clients send. Strips them at every schema level; property names inside
// "properties" are left alone (a property may well be called "strict").
void CleanSchema(json::value& v) {
  auto* o = v.if_object();
  if (o == nullptr) {
    if (auto* a = v.if_array()) {
      for (auto& e : *a) {
        CleanSchema(e);
      }
    }
    return;
  }
  for (std::string_view k : {"$schema", "additionalProperties", "strict"}) {
    o->erase(k);
  }
  for (auto& kv : *o) {
    if (kv.key() == "properties" || kv.key() == "$defs" || kv.key() == "definitions") {
      if (auto* props = kv.value().if_object()) {
        for (auto& p : *props) {
          CleanSchema(p.value());
        }
      }
    } else if (kv.value().is_object() || kv.value().is_array()) {
      CleanSchema(kv.value());
    }
  }
}

json::value SchemaForGemini(std::string_view schema_text) {
  auto v = ParseJson(schema_text);
  if (!v || !v->is_object()) {
    return json::object{{"type", "object"}};
  }
  CleanSchema(*v);
  return std::move(*v);
}

// The text of a function response: a bare string stays as is, {"content"|"output"|"result": s}
// (what clients and RenderRequest write) unwraps to s, anything else is serialized.
std::string ResponseText(const json::value& response, bool* is_error) {
  if (response.is_string()) {
    return std::string(response.get_string());
  }
  if (const auto* o = response.if_object()) {
    if (o->size() == 1) {
      for (std::string_view k : {"content", "output", "result", "error"}) {
        if (const json::value* inner = o->if_contains(k)) {
          if (k == "error") {
            *is_error = true;
          }
          return inner->is_string() ? std::string(inner->get_string()) : json::serialize(*inner);
        }
      }
    }
  }
  return json::serialize(response);
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

json::value ArgsValue(std::string_view arguments) {
  auto v = ParseJson(arguments);
  if (!v || !v->is_object()) {
    return json::object{};
  }
  return std::move(*v);
}

Usage UsageFrom(const json::object& u) {
  Usage usage;
  usage.present = true;
  int64_t prompt = IntField(u, "promptTokenCount", "prompt_token_count").value_or(0);
  int64_t tool_prompt =
      IntField(u, "toolUsePromptTokenCount", "tool_use_prompt_token_count").value_or(0);
  int64_t candidates = IntField(u, "candidatesTokenCount", "candidates_token_count").value_or(0);
  int64_t thoughts = IntField(u, "thoughtsTokenCount", "thoughts_token_count").value_or(0);
  usage.input_tokens = prompt + tool_prompt;
  usage.output_tokens = candidates + thoughts;
  usage.reasoning_tokens = thoughts;
  usage.cache_read_tokens =
      IntField(u, "cachedContentTokenCount", "cached_content_token_count").value_or(0);
  return usage;
}

json::object UsageJson(const Usage& usage) {
  json::object u;
  int64_t candidates = std::max<int64_t>(0, usage.output_tokens - usage.reasoning_tokens);
  u["promptTokenCount"] = usage.input_tokens;
  u["candidatesTokenCount"] = candidates;
  u["totalTokenCount"] = usage.input_tokens + usage.output_tokens;
  if (usage.reasoning_tokens > 0) {
    u["thoughtsTokenCount"] = usage.reasoning_tokens;
  }
  if (usage.cache_read_tokens > 0) {
    u["cachedContentTokenCount"] = usage.cache_read_tokens;
  }
  return u;
}

Error BadRequest(std::string message) {
  return {ErrorKind::kBadRequest, std::move(message)};
}

// The thoughtSignature Google documents for function calls whose real signature is unknown.
constexpr std::string_view kSkipSignatureValidator = "skip_thought_signature_validator";

// Gemini refuses a signature it did not make ("Corrupted thought signature"), and a history can
// hold other models' signatures (Anthropic's, after a fallback or a model switch). Gemini's are
// base64 of a message starting with field 1 (byte 0x0A, so "C..."); Anthropic's start "E" or
// "R". Anything else is not sent; an unsigned call then gets the placeholder, which costs
// Gemini 3 some context but never fails the request.
bool LooksLikeGeminiSignature(std::string_view sig) {
  return sig.starts_with('C') || sig == kSkipSignatureValidator;
}

// ---- parse_request ----

struct CallRecord {
  std::string id;
  std::string name;
  bool answered = false;
};

// Appends reasoning. Gemini closes a run of thought parts with a signature, either on the last
// thought part or on the part that follows the run (a functionCall or text); an unsigned run and
// the signature that closes it become one thinking part, as other dialects expect.
void AddThinking(std::vector<Part>& out, std::string_view text, std::string signature) {
  if (!out.empty() && out.back().type == Part::Type::kThinking && out.back().signature.empty()) {
    out.back().text += text;
    out.back().signature = std::move(signature);
    return;
  }
  if (text.empty() && signature.empty()) {
    return;
  }
  Part t;
  t.type = Part::Type::kThinking;
  t.text = std::string(text);
  t.signature = std::move(signature);
  out.push_back(std::move(t));
}

struct RequestParser {
  std::vector<CallRecord> calls;
  int ordinal = 0;

  // Non-thought parts may carry a thoughtSignature: kept as thinking in front of the part.
  static void AddSignature(const json::object& p, std::vector<Part>& out) {
    std::string sig = StringField(p, "thoughtSignature", "thought_signature");
    if (!sig.empty()) {
      AddThinking(out, "", std::move(sig));
    }
  }

  std::optional<Error> ParsePart(const json::object& p, std::vector<Part>& out) {
    if (const json::value* text = p.if_contains("text")) {
      if (!text->is_string()) {
        return BadRequest("Invalid value at 'contents.parts.text': expected a string.");
      }
      if (BoolField(p, "thought")) {
        AddThinking(out, text->get_string(),
                    StringField(p, "thoughtSignature", "thought_signature"));
        return std::nullopt;
      }
      AddSignature(p, out);
      out.push_back(Part::Text(std::string(text->get_string())));
      return std::nullopt;
    }
    if (const json::object* d = ObjectField(p, "inlineData", "inline_data")) {
      Part img;
      img.type = Part::Type::kImage;
      img.media_type = StringField(*d, "mimeType", "mime_type");
      img.data = StringField(*d, "data");
      out.push_back(std::move(img));
      return std::nullopt;
    }
    if (const json::object* f = ObjectField(p, "fileData", "file_data")) {
      Part img;
      img.type = Part::Type::kImage;
      img.media_type = StringField(*f, "mimeType", "mime_type");
      img.url = StringField(*f, "fileUri", "file_uri");
      out.push_back(std::move(img));
      return std::nullopt;
    }
    if (const json::object* fc = ObjectField(p, "functionCall", "function_call")) {
      Part call;
      call.type = Part::Type::kToolCall;
      call.name = StringField(*fc, "name");
      if (call.name.empty()) {
        return BadRequest("functionCall.name is required.");
      }
      call.id = StringField(*fc, "id");
      if (call.id.empty()) {
        call.id = "call_" + call.name + "_" + std::to_string(ordinal);
      }
      ++ordinal;
      call.arguments = ArgsText(fc->if_contains("args"));
      calls.push_back({call.id, call.name, false});
      AddSignature(p, out);
      out.push_back(std::move(call));
      return std::nullopt;
    }
    if (const json::object* fr = ObjectField(p, "functionResponse", "function_response")) {
      Part result;
      result.type = Part::Type::kToolResult;
      result.name = StringField(*fr, "name");
      result.id = StringField(*fr, "id");
      if (result.id.empty()) {
        // Responses come back in the order of the calls: the earliest unanswered call of this
        // name is the one answered (parallel calls of one function pair up in order).
        for (auto& c : calls) {
          if (!c.answered && c.name == result.name) {
            result.id = c.id;
            break;
          }
        }
        if (result.id.empty()) {
          result.id = "call_" + result.name + "_" + std::to_string(ordinal++);
        }
      }
      for (auto& c : calls) {
        if (c.id == result.id) {
          c.answered = true;
          break;
        }
      }
      const json::value* response = fr->if_contains("response");
      std::string text = response != nullptr ? ResponseText(*response, &result.is_error) : "";
      result.content.push_back(Part::Text(std::move(text)));
      out.push_back(std::move(result));
      return std::nullopt;
    }
    // executableCode, codeExecutionResult, videoMetadata, ...: nothing canonical to carry.
    return std::nullopt;
  }
};

void ParseThinkingConfig(const json::object& tc, Request& r) {
  if (auto budget = IntField(tc, "thinkingBudget", "thinking_budget"); budget && *budget > 0) {
    r.thinking_budget = budget;
  }
  std::string level = StringField(tc, "thinkingLevel", "thinking_level");
  std::ranges::transform(level, level.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (level == "low" || level == "medium" || level == "high" || level == "minimal") {
    r.reasoning_effort = level;
  }
  r.thinking_enabled = BoolField(tc, "includeThoughts", "include_thoughts");
}

std::optional<Error> ParseGenerationConfig(const json::object& g, Request& r) {
  r.temperature = NumberField(g, "temperature", "");
  r.top_p = NumberField(g, "topP", "top_p");
  r.top_k = IntField(g, "topK", "top_k");
  r.max_tokens = IntField(g, "maxOutputTokens", "max_output_tokens");
  r.seed = IntField(g, "seed", "");
  r.presence_penalty = NumberField(g, "presencePenalty", "presence_penalty");
  r.frequency_penalty = NumberField(g, "frequencyPenalty", "frequency_penalty");
  if (auto n = IntField(g, "candidateCount", "candidate_count")) {
    r.n = std::max<int64_t>(1, *n);
  }
  if (const json::array* stops = ArrayField(g, "stopSequences", "stop_sequences")) {
    for (const auto& s : *stops) {
      if (s.is_string()) {
        r.stop.emplace_back(s.get_string());
      }
    }
  }
  std::string mime = StringField(g, "responseMimeType", "response_mime_type");
  if (mime == "application/json") {
    r.response_format = Request::Format::kJsonObject;
    const json::value* schema = Field(g, "responseJsonSchema", "response_json_schema");
    bool lowercase = false;
    if (schema == nullptr) {
      schema = Field(g, "responseSchema", "response_schema");
      lowercase = true;
    }
    if (schema != nullptr && schema->is_object()) {
      json::value s = *schema;
      if (lowercase) {
        LowercaseTypes(s);
      }
      r.response_format = Request::Format::kJsonSchema;
      r.response_schema = json::serialize(s);
      r.response_schema_name = "response";
    }
  }
  if (const json::object* tc = ObjectField(g, "thinkingConfig", "thinking_config")) {
    ParseThinkingConfig(*tc, r);
  }
  return std::nullopt;
}

void ParseTools(const json::array& tools, Request& r) {
  for (const auto& t : tools) {
    const auto* to = t.if_object();
    if (to == nullptr) {
      continue;
    }
    // googleSearch, codeExecution, urlContext, ...: server-side tools no other dialect can run;
    // skipped rather than refused so such clients still get an answer.
    const json::array* decls = ArrayField(*to, "functionDeclarations", "function_declarations");
    if (decls == nullptr) {
      continue;
    }
    for (const auto& d : *decls) {
      const auto* dobj = d.if_object();
      if (dobj == nullptr) {
        continue;
      }
      canon::Tool tool;
      tool.name = StringField(*dobj, "name");
      tool.description = StringField(*dobj, "description");
      if (const json::value* js = Field(*dobj, "parametersJsonSchema", "parameters_json_schema");
          js != nullptr && js->is_object()) {
        tool.parameters = json::serialize(*js);
      } else if (const json::value* ps = dobj->if_contains("parameters");
                 ps != nullptr && ps->is_object()) {
        json::value p = *ps;
        LowercaseTypes(p);
        tool.parameters = json::serialize(p);
      }
      r.tools.push_back(std::move(tool));
    }
  }
}

void ParseToolConfig(const json::object& tc, Request& r) {
  const json::object* fcc = ObjectField(tc, "functionCallingConfig", "function_calling_config");
  if (fcc == nullptr) {
    return;
  }
  std::string mode = StringField(*fcc, "mode");
  const json::array* allowed = ArrayField(*fcc, "allowedFunctionNames", "allowed_function_names");
  if (mode == "AUTO") {
    r.tool_choice.mode = canon::ToolChoice::Mode::kAuto;
  } else if (mode == "ANY" || mode == "VALIDATED") {
    r.tool_choice.mode = canon::ToolChoice::Mode::kAny;
    // One allowed name forces that function; several cannot be said canonically (kAny).
    if (allowed != nullptr && allowed->size() == 1 && (*allowed)[0].is_string()) {
      r.tool_choice.mode = canon::ToolChoice::Mode::kTool;
      r.tool_choice.name = std::string((*allowed)[0].get_string());
    }
  } else if (mode == "NONE") {
    r.tool_choice.mode = canon::ToolChoice::Mode::kNone;
  }
}

// ---- render_request ----

std::string GuessMimeType(std::string_view url) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  auto dot = path.rfind('.');
  std::string ext;
  if (dot != std::string_view::npos) {
    ext = std::string(path.substr(dot + 1));
    std::ranges::transform(ext, ext.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  if (ext == "png") {
    return "image/png";
  }
  if (ext == "gif") {
    return "image/gif";
  }
  if (ext == "webp") {
    return "image/webp";
  }
  if (ext == "heic") {
    return "image/heic";
  }
  if (ext == "pdf") {
    return "application/pdf";
  }
  return "image/jpeg";
}

json::object ImagePart(const Part& p) {
  std::string_view url = p.url;
  if (p.url.empty() || url.starts_with("data:")) {
    std::string media = p.media_type;
    std::string data = p.data;
    if (url.starts_with("data:")) {
      auto comma = url.find(',');
      auto semi = url.find(';');
      if (semi != std::string_view::npos && semi < comma) {
        media = std::string(url.substr(5, semi - 5));
      }
      data = comma == std::string_view::npos ? "" : std::string(url.substr(comma + 1));
    }
    return {{"inlineData", {{"mimeType", media.empty() ? "image/jpeg" : media}, {"data", data}}}};
  }
  std::string media = p.media_type.empty() ? GuessMimeType(url) : p.media_type;
  return {{"fileData", {{"mimeType", media}, {"fileUri", p.url}}}};
}

std::string JoinedText(const std::vector<Part>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.type == Part::Type::kText) {
      out += p.text;
    }
  }
  return out;
}

json::value FunctionResponseValue(const Part& result) {
  std::string text = JoinedText(result.content);
  if (result.is_error) {
    return json::object{{"error", text}};
  }
  auto v = ParseJson(text);
  if (v && v->is_object()) {
    return std::move(*v);
  }
  return json::object{{"content", text}};
}

const char* ModeName(canon::ToolChoice::Mode m) {
  switch (m) {
    case canon::ToolChoice::Mode::kAuto:
      return "AUTO";
    case canon::ToolChoice::Mode::kAny:
    case canon::ToolChoice::Mode::kTool:
      return "ANY";
    case canon::ToolChoice::Mode::kNone:
      return "NONE";
    case canon::ToolChoice::Mode::kUnset:
      break;
  }
  return "";
}

int64_t BudgetForEffort(std::string_view effort) {
  if (effort == "low") {
    return 1024;
  }
  if (effort == "medium") {
    return 8192;
  }
  if (effort == "high") {
    return 24576;
  }
  // "minimal": the smallest budget every 2.5 model accepts (Flash-Lite's floor is 512).
  return 512;
}

// Turns content parts into Gemini parts. Thinking text is not sent back (other dialects'
// reasoning would be meaningless to Gemini); a thinking signature travels on the next part.
// for_client: rendering a response (call ids kept, a trailing signature kept on an empty part)
// rather than an upstream request.
json::array RenderParts(const std::vector<Part>& parts, bool include_thought_text,
                        const std::vector<std::pair<std::string, std::string>>& call_names,
                        bool for_client) {
  json::array out;
  std::string pending_signature;
  bool seen_call = false;
  auto attach = [&](json::object& o) {
    if (!pending_signature.empty()) {
      o["thoughtSignature"] = pending_signature;
      pending_signature.clear();
    }
  };
  for (const auto& p : parts) {
    switch (p.type) {
      case Part::Type::kText: {
        // Gemini refuses empty text parts in requests ("empty text parameter").
        if (p.text.empty() && !for_client) {
          break;
        }
        json::object o{{"text", p.text}};
        attach(o);
        out.emplace_back(std::move(o));
        break;
      }
      case Part::Type::kThinking:
        if (include_thought_text && !p.text.empty()) {
          json::object o{{"text", p.text}, {"thought", true}};
          if (!p.signature.empty()) {
            o["thoughtSignature"] = p.signature;
          }
          out.emplace_back(std::move(o));
        } else if (!p.signature.empty() && (for_client || LooksLikeGeminiSignature(p.signature))) {
          pending_signature = p.signature;
        }
        break;
      case Part::Type::kImage: {
        json::object o = ImagePart(p);
        attach(o);
        out.emplace_back(std::move(o));
        break;
      }
      case Part::Type::kToolCall: {
        json::object fc{{"name", p.name}, {"args", ArgsValue(p.arguments)}};
        if (for_client && !p.id.empty()) {
          fc["id"] = p.id;
        }
        json::object o{{"functionCall", std::move(fc)}};
        // Gemini 3 refuses a history whose function calls lost their signature (history from
        // another dialect's client or model never had one). Google documents this placeholder
        // for such histories; the first call of a turn is the one that must carry a signature.
        if (!for_client && !seen_call && pending_signature.empty()) {
          pending_signature = kSkipSignatureValidator;
        }
        seen_call = true;
        attach(o);
        out.emplace_back(std::move(o));
        break;
      }
      case Part::Type::kToolResult: {
        std::string name = p.name;
        if (name.empty()) {
          for (const auto& [id, n] : call_names) {
            if (id == p.id) {
              name = n;
            }
          }
        }
        out.emplace_back(json::object{
            {"functionResponse", {{"name", name}, {"response", FunctionResponseValue(p)}}}});
        // Images in a tool result cannot go inside functionResponse: they follow it.
        for (const auto& c : p.content) {
          if (c.type == Part::Type::kImage) {
            out.emplace_back(ImagePart(c));
          }
        }
        break;
      }
      case Part::Type::kRedactedThinking:
        break;
    }
  }
  if (!pending_signature.empty() && for_client) {
    out.emplace_back(json::object{{"text", ""}, {"thoughtSignature", pending_signature}});
  }
  return out;
}

// ---- stream decoder ----

class Decoder : public canon::StreamDecoder {
 public:
  void Feed(std::string_view bytes, StreamEvents& out) override {
    if (failed_) {
      return;
    }
    splitter_.Feed(bytes, [&](const SseEvent& ev) {
      if (ev.has_data) {
        OnData(ev.data, out);
      }
      return !failed_;
    });
    if (splitter_.overflow() && !failed_) {
      Fail(out, "upstream stream event too large");
    }
  }

  void Finish(StreamEvents& out) override {
    if (failed_) {
      return;
    }
    // A last event without its blank line: complete it.
    if (!splitter_.pending().empty()) {
      Feed("\r\n\r\n", out);
      if (failed_) {
        return;
      }
    }
    if (finish_seen_) {
      out.push_back(Event(StreamEvent::Type::kEnd));
      return;
    }
    if (usage_.present) {
      StreamEvent u = Event(StreamEvent::Type::kUsage);
      u.usage = usage_;
      out.push_back(std::move(u));
    }
    Fail(out, "upstream stream ended before a finishReason");
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
    failed_ = true;
  }

  void OnData(std::string_view data, StreamEvents& out) {
    if (data == "[DONE]") {
      return;
    }
    auto v = ParseJson(data);
    if (!v || !v->is_object()) {
      Fail(out, "malformed upstream stream event");
      return;
    }
    const json::object& o = v->get_object();
    if (o.contains("error")) {
      StreamEvent e = Event(StreamEvent::Type::kError);
      e.error = ParseError(0, data);
      if (e.error.kind == ErrorKind::kBadRequest) {
        e.error.kind = ErrorKind::kUpstreamError;
      }
      out.push_back(std::move(e));
      failed_ = true;
      return;
    }
    const json::object* usage = ObjectField(o, "usageMetadata", "usage_metadata");
    if (usage != nullptr) {
      usage_ = UsageFrom(*usage);
    }
    if (!started_) {
      started_ = true;
      StreamEvent s = Event(StreamEvent::Type::kStart);
      s.id = StringField(o, "responseId", "response_id");
      if (s.id.empty()) {
        s.id = canon::NewId("gen-");
      }
      s.name = StringField(o, "modelVersion", "model_version");
      if (usage_.present) {
        s.usage = usage_;
        s.usage.output_tokens = 0;
        s.usage.reasoning_tokens = 0;
      }
      out.push_back(std::move(s));
    }
    const json::array* candidates =
        o.if_contains("candidates") != nullptr ? o.at("candidates").if_array() : nullptr;
    std::string finish;
    bool just_finished = false;
    if (candidates != nullptr && !candidates->empty() && (*candidates)[0].is_object()) {
      const json::object& cand = (*candidates)[0].get_object();
      if (const json::object* content = ObjectField(cand, "content", "")) {
        if (const json::array* parts = ArrayField(*content, "parts", "")) {
          for (const auto& pv : *parts) {
            if (const auto* p = pv.if_object()) {
              OnPart(*p, out);
            }
          }
        }
      }
      finish = StringField(cand, "finishReason", "finish_reason");
    } else if (const json::object* fb = ObjectField(o, "promptFeedback", "prompt_feedback")) {
      if (!StringField(*fb, "blockReason", "block_reason").empty()) {
        finish = "SAFETY";
      }
    }
    if (!finish.empty() && !finish_seen_) {
      finish_seen_ = true;
      StreamEvent f = Event(StreamEvent::Type::kFinish);
      f.finish = tool_count_ > 0 ? FinishReason::kToolCalls : FinishReasonFromGemini(finish);
      out.push_back(std::move(f));
      just_finished = true;
    }
    // Usage goes out once the answer is finished (and again if a later event updates it);
    // before that every event repeats running totals nobody needs.
    if (finish_seen_ && usage_.present && (usage != nullptr || just_finished)) {
      StreamEvent u = Event(StreamEvent::Type::kUsage);
      u.usage = usage_;
      out.push_back(std::move(u));
    }
  }

  void OnPart(const json::object& p, StreamEvents& out) {
    std::string sig = StringField(p, "thoughtSignature", "thought_signature");
    bool thought = BoolField(p, "thought");
    if (!sig.empty() && !thought) {
      StreamEvent t = Event(StreamEvent::Type::kThinkingDelta);
      out.push_back(std::move(t));
      StreamEvent s = Event(StreamEvent::Type::kSignatureDelta);
      s.text = sig;
      out.push_back(std::move(s));
    }
    if (const json::value* text = p.if_contains("text"); text != nullptr && text->is_string()) {
      StreamEvent e =
          Event(thought ? StreamEvent::Type::kThinkingDelta : StreamEvent::Type::kTextDelta);
      e.text = std::string(text->get_string());
      if (!e.text.empty() || thought) {
        out.push_back(std::move(e));
      }
      if (thought && !sig.empty()) {
        StreamEvent s = Event(StreamEvent::Type::kSignatureDelta);
        s.text = sig;
        out.push_back(std::move(s));
      }
      return;
    }
    if (const json::object* fc = ObjectField(p, "functionCall", "function_call")) {
      StreamEvent start = Event(StreamEvent::Type::kToolCallStart);
      start.id = StringField(*fc, "id");
      if (start.id.empty()) {
        start.id = canon::NewId("call_");
      }
      start.name = StringField(*fc, "name");
      start.tool_index = tool_count_;
      out.push_back(std::move(start));
      StreamEvent args = Event(StreamEvent::Type::kToolArgsDelta);
      args.tool_index = tool_count_;
      args.text = ArgsText(fc->if_contains("args"));
      out.push_back(std::move(args));
      ++tool_count_;
    }
  }

  SseSplitter splitter_;
  Usage usage_;
  bool started_ = false;
  bool finish_seen_ = false;
  bool failed_ = false;
  int tool_count_ = 0;
};

// ---- stream encoder ----

class Encoder : public canon::StreamEncoder {
 public:
  explicit Encoder(const Request& request)
      : include_thoughts_(request.thinking_enabled), model_(request.model) {}

  void Encode(const StreamEvent& ev, std::string& out) override {
    if (done_) {
      return;
    }
    switch (ev.type) {
      case StreamEvent::Type::kStart:
        if (!ev.id.empty()) {
          id_ = ev.id;
        }
        if (!ev.name.empty()) {
          model_ = ev.name;
        }
        break;
      case StreamEvent::Type::kTextDelta: {
        FlushCall(out);
        if (ev.text.empty()) {
          break;
        }
        json::object part{{"text", ev.text}};
        AttachSignature(part);
        EmitParts(json::array{std::move(part)}, out);
        break;
      }
      case StreamEvent::Type::kThinkingDelta:
        FlushCall(out);
        if (include_thoughts_ && !ev.text.empty()) {
          EmitParts(json::array{json::object{{"text", ev.text}, {"thought", true}}}, out);
        }
        break;
      case StreamEvent::Type::kSignatureDelta:
        signature_ += ev.text;
        break;
      case StreamEvent::Type::kRedactedThinking:
        break;
      case StreamEvent::Type::kToolCallStart:
        FlushCall(out);
        call_open_ = true;
        call_id_ = ev.id;
        call_name_ = ev.name;
        call_args_.clear();
        break;
      case StreamEvent::Type::kToolArgsDelta:
        if (call_open_) {
          call_args_ += ev.text;
        }
        break;
      case StreamEvent::Type::kFinish:
        FlushCall(out);
        finish_ = ev.finish;
        break;
      case StreamEvent::Type::kUsage:
        usage_ = ev.usage;
        break;
      case StreamEvent::Type::kEnd:
        FlushCall(out);
        EmitFinal(out);
        done_ = true;
        break;
      case StreamEvent::Type::kError: {
        FlushCall(out);
        int status = ErrorStatus(ev.error);
        json::object err{{"error",
                          {{"code", status},
                           {"message", ev.error.message},
                           {"status", GoogleStatusName(status)}}}};
        Emit(err, out);
        done_ = true;
        break;
      }
    }
  }

 private:
  void AttachSignature(json::object& part) {
    if (!signature_.empty()) {
      part["thoughtSignature"] = signature_;
      signature_.clear();
    }
  }

  void FlushCall(std::string& out) {
    if (!call_open_) {
      return;
    }
    call_open_ = false;
    json::object fc{{"name", call_name_}, {"args", ArgsValue(call_args_)}};
    if (!call_id_.empty()) {
      fc["id"] = call_id_;
    }
    json::object part{{"functionCall", std::move(fc)}};
    AttachSignature(part);
    EmitParts(json::array{std::move(part)}, out);
  }

  json::object Envelope(json::object candidate) {
    candidate["index"] = 0;
    json::object o{{"candidates", json::array{std::move(candidate)}}};
    if (!model_.empty()) {
      o["modelVersion"] = model_;
    }
    if (!id_.empty()) {
      o["responseId"] = id_;
    }
    return o;
  }

  void EmitParts(json::array parts, std::string& out) {
    Emit(Envelope({{"content", {{"parts", std::move(parts)}, {"role", "model"}}}}), out);
  }

  void EmitFinal(std::string& out) {
    json::object content{{"role", "model"}};
    if (!signature_.empty()) {
      content["parts"] = json::array{json::object{{"text", ""}, {"thoughtSignature", signature_}}};
      signature_.clear();
    }
    json::object cand{{"content", std::move(content)},
                      {"finishReason", GeminiFinishReason(finish_)}};
    json::object o = Envelope(std::move(cand));
    o["usageMetadata"] = UsageJson(usage_);
    Emit(o, out);
  }

  static void Emit(const json::object& o, std::string& out) {
    out += "data: ";
    out += json::serialize(o);
    out += "\r\n\r\n";
  }

  bool include_thoughts_;
  std::string model_;
  std::string id_;
  std::string signature_;
  bool call_open_ = false;
  std::string call_id_;
  std::string call_name_;
  std::string call_args_;
  FinishReason finish_ = FinishReason::kStop;
  Usage usage_;
  bool done_ = false;
};

}  // namespace

// ---- public functions ----

Result<Request> ParseRequest(std::string_view body) {
  auto parsed = ParseJson(body);
  if (!parsed) {
    return BadRequest("Invalid JSON payload received.");
  }
  if (!parsed->is_object()) {
    return BadRequest("Invalid JSON payload received. Expected an object.");
  }
  const json::object& o = parsed->get_object();
  Request r;
  std::string model = StringField(o, "model");
  if (model.starts_with("models/")) {
    model.erase(0, 7);
  }
  r.model = std::move(model);

  if (const json::value* si = Field(o, "systemInstruction", "system_instruction")) {
    if (si->is_string()) {
      r.system.push_back(Part::Text(std::string(si->get_string())));
    } else if (const auto* sio = si->if_object()) {
      if (const json::array* parts = ArrayField(*sio, "parts", "")) {
        for (const auto& p : *parts) {
          if (const auto* po = p.if_object()) {
            std::string text = StringField(*po, "text");
            if (!text.empty()) {
              r.system.push_back(Part::Text(std::move(text)));
            }
          }
        }
      }
    }
  }

  const json::value* contents = o.if_contains("contents");
  if (contents == nullptr) {
    return BadRequest("* GenerateContentRequest.contents: contents is not specified");
  }
  RequestParser parser;
  // A single Content (not in a list) is accepted too, as a one-element list.
  json::array one;
  const json::array* list = contents->if_array();
  if (list == nullptr) {
    if (!contents->is_object()) {
      return BadRequest("Invalid value at 'contents': expected a list of Content.");
    }
    one.push_back(*contents);
    list = &one;
  }
  for (const auto& c : *list) {
    const auto* co = c.if_object();
    if (co == nullptr) {
      return BadRequest("Invalid value at 'contents': expected a Content object.");
    }
    std::string role = StringField(*co, "role");
    Message m;
    m.role = role == "model" ? Role::kAssistant : Role::kUser;
    if (const json::array* parts = ArrayField(*co, "parts", "")) {
      for (const auto& p : *parts) {
        if (const auto* po = p.if_object()) {
          if (auto err = parser.ParsePart(*po, m.parts)) {
            return *err;
          }
        }
      }
    }
    r.messages.push_back(std::move(m));
  }
  if (r.messages.empty()) {
    return BadRequest("* GenerateContentRequest.contents: contents is not specified");
  }

  if (const json::array* tools = ArrayField(o, "tools", "")) {
    ParseTools(*tools, r);
  }
  if (const json::object* tc = ObjectField(o, "toolConfig", "tool_config")) {
    ParseToolConfig(*tc, r);
  }
  if (const json::object* g = ObjectField(o, "generationConfig", "generation_config")) {
    if (auto err = ParseGenerationConfig(*g, r)) {
      return *err;
    }
  }
  return r;
}

std::string RenderRequest(const Request& request, std::string_view /*model*/) {
  json::object body;
  std::vector<std::pair<std::string, std::string>> call_names;
  json::array contents;
  for (const auto& m : request.messages) {
    for (const auto& p : m.parts) {
      if (p.type == Part::Type::kToolCall) {
        call_names.emplace_back(p.id, p.name);
      }
    }
    json::array parts = RenderParts(m.parts, false, call_names, false);
    if (parts.empty()) {
      continue;
    }
    const char* role = m.role == Role::kAssistant ? "model" : "user";
    // Turns of one role in a row (tool results, then a user's text) become one content: Gemini
    // wants the function responses in the content right after the calls, and alternating roles.
    if (!contents.empty() && contents.back().at("role").as_string() == role) {
      json::array& prev = contents.back().as_object()["parts"].as_array();
      for (auto& part : parts) {
        prev.push_back(std::move(part));
      }
      continue;
    }
    contents.emplace_back(json::object{{"role", role}, {"parts", std::move(parts)}});
  }
  body["contents"] = std::move(contents);
  if (!request.system.empty()) {
    json::array parts;
    for (const auto& p : request.system) {
      parts.emplace_back(json::object{{"text", p.text}});
    }
    body["systemInstruction"] = json::object{{"parts", std::move(parts)}};
  }
  if (!request.tools.empty()) {
    json::array decls;
    for (const auto& t : request.tools) {
      json::object d{{"name", t.name}};
      if (!t.description.empty()) {
        d["description"] = t.description;
      }
      if (!t.parameters.empty()) {
        d["parameters"] = SchemaForGemini(t.parameters);
      }
      decls.emplace_back(std::move(d));
    }
    body["tools"] = json::array{json::object{{"functionDeclarations", std::move(decls)}}};
  }
  if (request.tool_choice.mode != canon::ToolChoice::Mode::kUnset) {
    json::object fcc{{"mode", ModeName(request.tool_choice.mode)}};
    if (request.tool_choice.mode == canon::ToolChoice::Mode::kTool) {
      fcc["allowedFunctionNames"] = json::array{json::value(request.tool_choice.name)};
    }
    body["toolConfig"] = json::object{{"functionCallingConfig", std::move(fcc)}};
  }
  json::object gen;
  if (request.max_tokens) {
    gen["maxOutputTokens"] = *request.max_tokens;
  }
  if (request.temperature) {
    gen["temperature"] = std::clamp(*request.temperature, 0.0, 2.0);
  }
  if (request.top_p) {
    gen["topP"] = *request.top_p;
  }
  if (request.top_k) {
    gen["topK"] = *request.top_k;
  }
  if (!request.stop.empty()) {
    json::array stops;
    for (const auto& s : request.stop) {
      stops.emplace_back(s);
    }
    gen["stopSequences"] = std::move(stops);
  }
  if (request.seed) {
    gen["seed"] = *request.seed;
  }
  if (request.presence_penalty) {
    gen["presencePenalty"] = *request.presence_penalty;
  }
  if (request.frequency_penalty) {
    gen["frequencyPenalty"] = *request.frequency_penalty;
  }
  if (request.n > 1) {
    gen["candidateCount"] = request.n;
  }
  if (request.response_format != Request::Format::kText) {
    gen["responseMimeType"] = "application/json";
    if (request.response_format == Request::Format::kJsonSchema &&
        !request.response_schema.empty()) {
      gen["responseSchema"] = SchemaForGemini(request.response_schema);
    }
  }
  if (request.thinking_budget || !request.reasoning_effort.empty() || request.thinking_enabled) {
    json::object tc;
    if (request.thinking_budget) {
      tc["thinkingBudget"] = *request.thinking_budget;
    } else if (!request.reasoning_effort.empty()) {
      tc["thinkingBudget"] = BudgetForEffort(request.reasoning_effort);
    }
    if (request.thinking_enabled) {
      tc["includeThoughts"] = true;
    }
    gen["thinkingConfig"] = std::move(tc);
  }
  if (!gen.empty()) {
    body["generationConfig"] = std::move(gen);
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
  r.id = StringField(o, "responseId", "response_id");
  if (r.id.empty()) {
    r.id = canon::NewId("gen-");
  }
  r.model = StringField(o, "modelVersion", "model_version");
  if (const json::object* u = ObjectField(o, "usageMetadata", "usage_metadata")) {
    r.usage = UsageFrom(*u);
  }
  const json::array* candidates =
      o.if_contains("candidates") != nullptr ? o.at("candidates").if_array() : nullptr;
  if (candidates == nullptr || candidates->empty() || !(*candidates)[0].is_object()) {
    // The prompt itself was blocked (promptFeedback.blockReason), or nothing came back.
    const json::object* fb = ObjectField(o, "promptFeedback", "prompt_feedback");
    r.finish = fb != nullptr && !StringField(*fb, "blockReason", "block_reason").empty()
                   ? FinishReason::kContentFilter
                   : FinishReason::kStop;
    return r;
  }
  const json::object& cand = (*candidates)[0].get_object();
  bool has_calls = false;
  if (const json::object* content = ObjectField(cand, "content", "")) {
    if (const json::array* parts = ArrayField(*content, "parts", "")) {
      for (const auto& pv : *parts) {
        const auto* p = pv.if_object();
        if (p == nullptr) {
          continue;
        }
        std::string sig = StringField(*p, "thoughtSignature", "thought_signature");
        bool thought = BoolField(*p, "thought");
        if (!sig.empty() && !thought) {
          AddThinking(r.content, "", sig);
        }
        if (const json::value* text = p->if_contains("text");
            text != nullptr && text->is_string()) {
          if (thought) {
            AddThinking(r.content, text->get_string(), sig);
          } else if (!r.content.empty() && r.content.back().type == Part::Type::kText) {
            r.content.back().text += text->get_string();
          } else {
            r.content.push_back(Part::Text(std::string(text->get_string())));
          }
        } else if (const json::object* fc = ObjectField(*p, "functionCall", "function_call")) {
          Part call;
          call.type = Part::Type::kToolCall;
          call.id = StringField(*fc, "id");
          if (call.id.empty()) {
            call.id = canon::NewId("call_");
          }
          call.name = StringField(*fc, "name");
          call.arguments = ArgsText(fc->if_contains("args"));
          r.content.push_back(std::move(call));
          has_calls = true;
        }
      }
    }
  }
  r.finish = has_calls ? FinishReason::kToolCalls
                       : FinishReasonFromGemini(StringField(cand, "finishReason", "finish_reason"));
  return r;
}

std::string RenderResponse(const Response& response, const Request& request) {
  json::object content{{"role", "model"}};
  json::array parts = RenderParts(response.content, request.thinking_enabled, {}, true);
  if (!parts.empty()) {
    content["parts"] = std::move(parts);
  }
  json::object cand{{"content", std::move(content)},
                    {"finishReason", GeminiFinishReason(response.finish)},
                    {"index", 0}};
  json::object body{{"candidates", json::array{std::move(cand)}},
                    {"usageMetadata", UsageJson(response.usage)}};
  std::string model = response.model.empty() ? request.model : response.model;
  if (!model.empty()) {
    body["modelVersion"] = model;
  }
  if (!response.id.empty()) {
    body["responseId"] = response.id;
  }
  return json::serialize(body);
}

std::unique_ptr<canon::StreamDecoder> MakeDecoder() {
  return std::make_unique<Decoder>();
}

std::unique_ptr<canon::StreamEncoder> MakeEncoder(const Request& request) {
  return std::make_unique<Encoder>(request);
}

const char* GoogleStatusName(int http_status) {
  switch (http_status) {
    case 400:
    case 413:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 501:
      return "UNIMPLEMENTED";
    case 502:
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      break;
  }
  return http_status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT";
}

int ErrorStatus(const Error& error) {
  return DefaultHttpStatus(error.kind);
}

std::string RenderError(const Error& error) {
  int status = ErrorStatus(error);
  json::object body{
      {"error",
       {{"code", status},
        {"message", error.message.empty() ? ErrorKindName(error.kind) : error.message},
        {"status", GoogleStatusName(status)}}}};
  return json::serialize(body);
}

Error ParseError(int status, std::string_view body) {
  Error e(canon::KindForUpstreamStatus(status), "");
  e.upstream_status = status;
  auto parsed = ParseJson(body);
  const json::object* err = nullptr;
  if (parsed) {
    const json::value* root = &*parsed;
    // The non-SSE stream form wraps everything in an array.
    if (root->is_array() && !root->get_array().empty()) {
      root = root->get_array().data();
    }
    if (const auto* ro = root->if_object()) {
      err = ObjectField(*ro, "error", "");
    }
  }
  if (err != nullptr) {
    e.message = StringField(*err, "message");
    std::string status_name = StringField(*err, "status");
    if (status == 0) {  // a mid-stream error event: its code is the only status there is
      if (auto code = IntField(*err, "code", "")) {
        e.kind = canon::KindForUpstreamStatus(static_cast<int>(*code));
        e.upstream_status = static_cast<int>(*code);
      }
    }
    bool bad_key = status_name == "UNAUTHENTICATED";
    if (const json::array* details = ArrayField(*err, "details", "")) {
      for (const auto& d : *details) {
        if (const auto* dobj = d.if_object()) {
          bad_key = bad_key || StringField(*dobj, "reason") == "API_KEY_INVALID";
        }
      }
    }
    // Gemini answers a wrong key with 400 INVALID_ARGUMENT; clients of other dialects expect an
    // authentication error for it.
    if (bad_key) {
      e.kind = ErrorKind::kUnauthorized;
      e.code = "invalid_api_key";
    }
  }
  if (e.message.empty()) {
    e.message = "upstream returned HTTP " + std::to_string(status);
  }
  return e;
}

FinishReason FinishReasonFromGemini(std::string_view reason) {
  if (reason == "MAX_TOKENS") {
    return FinishReason::kLength;
  }
  if (reason == "SAFETY" || reason == "RECITATION" || reason == "LANGUAGE" || reason == "OTHER" ||
      reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" || reason == "SPII" ||
      reason.starts_with("IMAGE_")) {
    return FinishReason::kContentFilter;
  }
  // STOP, MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, unknown.
  return FinishReason::kStop;
}

const char* GeminiFinishReason(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
    case FinishReason::kContextWindow:
      return "MAX_TOKENS";
    case FinishReason::kContentFilter:
      return "SAFETY";
    case FinishReason::kNone:
    case FinishReason::kStop:
    case FinishReason::kStopSequence:
    case FinishReason::kToolCalls:
    case FinishReason::kPauseTurn:
      break;
  }
  return "STOP";
}

}  // namespace baton::gemini

namespace baton::canon {

const Codec& GeminiCodec() {
  static const Codec codec{
      Dialect::kGemini,       &gemini::ParseRequest,  &gemini::RenderResponse, &gemini::MakeEncoder,
      &gemini::RenderRequest, &gemini::ParseResponse, &gemini::MakeDecoder,    &gemini::RenderError,
      &gemini::ErrorStatus,   &gemini::ParseError,
  };
  return codec;
}

}  // namespace baton::canon
