// OpenAI chat requests ↔ canonical requests. Parsing validates the body the way the OpenAI API
// does (same messages and params, so a client sees the same 400 it would get from OpenAI);
// rendering targets the widest set of OpenAI-compatible servers.
#include <algorithm>
#include <chrono>
#include <map>

#include <boost/json.hpp>

#include "dialects/json_number.hpp"
#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/openai_chat/openai_codec.hpp"
#include "dialects/openai_chat/openai_json.hpp"

namespace baton::canon {

namespace json = boost::json;

namespace {

using openai_json::AsDouble;
using openai_json::BadRequest;
using openai_json::BadType;
using openai_json::Member;
using openai_json::Missing;

std::optional<int64_t> AsInt(const json::value& v) {
  return JsonInt(v, /*exact=*/true);
}

// Reads an optional number member into out; error for a wrong type.
template <typename T>
std::optional<Error> ReadNumber(const json::object& o, std::string_view key,
                                std::optional<T>& out) {
  const json::value* v = Member(o, key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if constexpr (std::is_same_v<T, double>) {
    out = AsDouble(*v);
    if (!out) {
      return BadType(std::string(key), "a decimal");
    }
  } else {
    out = AsInt(*v);
    if (!out) {
      return BadType(std::string(key), "an integer");
    }
  }
  return std::nullopt;
}

// Text parts of a content value that may only hold text (system, developer, tool messages):
// a string, or an array of {"type":"text","text":...}.
std::optional<Error> ReadTextContent(const json::value& content, const std::string& param,
                                     std::vector<Part>& out) {
  if (content.is_string()) {
    out.push_back(Part::Text(std::string(content.get_string())));
    return std::nullopt;
  }
  if (!content.is_array()) {
    return BadType(param, "one of a string or array of objects");
  }
  std::size_t j = 0;
  for (const json::value& item : content.get_array()) {
    std::string p = param + "[" + std::to_string(j++) + "]";
    if (!item.is_object()) {
      return BadType(p, "an object");
    }
    const json::object& part = item.get_object();
    const json::value* type = Member(part, "type");
    const json::value* text = Member(part, "text");
    if (type != nullptr && type->is_string() && type->get_string() == "text" && text != nullptr &&
        text->is_string()) {
      out.push_back(Part::Text(std::string(text->get_string())));
      continue;
    }
    if (type == nullptr) {
      return Missing(p + ".type");
    }
    return BadRequest(
        "Invalid content part in '" + p + "': only text parts are allowed in this message.",
        p + ".type");
  }
  return std::nullopt;
}

// User content: a string or an array of text and image_url parts.
std::optional<Error> ReadUserContent(const json::value& content, const std::string& param,
                                     std::vector<Part>& out) {
  if (content.is_string()) {
    out.push_back(Part::Text(std::string(content.get_string())));
    return std::nullopt;
  }
  if (!content.is_array()) {
    return BadType(param, "one of a string or array of objects");
  }
  std::size_t j = 0;
  for (const json::value& item : content.get_array()) {
    std::string p = param + "[" + std::to_string(j++) + "]";
    if (!item.is_object()) {
      return BadType(p, "an object");
    }
    const json::object& part = item.get_object();
    const json::value* type = Member(part, "type");
    if (type == nullptr || !type->is_string()) {
      return Missing(p + ".type");
    }
    std::string_view t = type->get_string();
    if (t == "text") {
      const json::value* text = Member(part, "text");
      if (text == nullptr || !text->is_string()) {
        return Missing(p + ".text");
      }
      out.push_back(Part::Text(std::string(text->get_string())));
    } else if (t == "image_url") {
      const json::value* image = Member(part, "image_url");
      const json::value* url = nullptr;
      if (image != nullptr && image->is_object()) {
        url = Member(image->get_object(), "url");
      } else if (image != nullptr && image->is_string()) {
        url = image;  // some clients send the URL directly
      }
      if (url == nullptr || !url->is_string()) {
        return Missing(p + ".image_url.url");
      }
      out.push_back(ImageFromUri(url->get_string()));
    } else {
      return BadRequest("Invalid value: '" + std::string(t) +
                            "'. This gateway supports the content part types 'text' and "
                            "'image_url' when translating to another provider.",
                        p + ".type");
    }
  }
  return std::nullopt;
}

std::string ArgumentsText(const json::value& args) {
  if (args.is_string()) {
    return std::string(args.get_string());
  }
  return json::serialize(args);  // some servers (and Ollama) send an object
}

struct ParseState {
  std::map<std::string, std::string> call_names;  // tool call id → function name
  std::map<std::string, std::string> legacy_ids;  // function name → id (legacy function_call)
  int legacy_count = 0;
};

std::optional<Error> ReadMessage(const json::value& mv, std::size_t i, Request& req,
                                 ParseState& st) {
  std::string param = "messages[" + std::to_string(i) + "]";
  if (!mv.is_object()) {
    return BadType(param, "an object");
  }
  const json::object& m = mv.get_object();
  const json::value* role_v = Member(m, "role");
  if (role_v == nullptr) {
    return Missing(param + ".role");
  }
  if (!role_v->is_string()) {
    return BadType(param + ".role", "a string");
  }
  std::string_view role = role_v->get_string();
  const json::value* content = Member(m, "content");
  if (role == "system" || role == "developer") {
    if (content == nullptr) {
      return Missing(param + ".content");
    }
    return ReadTextContent(*content, param + ".content", req.system);
  }
  if (role == "user") {
    if (content == nullptr) {
      return Missing(param + ".content");
    }
    std::vector<Part> parts;
    if (auto e = ReadUserContent(*content, param + ".content", parts)) {
      return e;
    }
    AppendToTurn(req.messages, Role::kUser, std::move(parts));
    return std::nullopt;
  }
  if (role == "assistant") {
    std::vector<Part> parts;
    for (const char* key : {"reasoning_content", "reasoning"}) {
      const json::value* r = Member(m, key);
      if (r != nullptr && r->is_string() && !r->get_string().empty()) {
        Part p;
        p.type = Part::Type::kThinking;
        p.text = std::string(r->get_string());
        parts.push_back(std::move(p));
        break;
      }
    }
    if (content != nullptr) {
      if (content->is_string()) {
        if (!content->get_string().empty()) {
          parts.push_back(Part::Text(std::string(content->get_string())));
        }
      } else if (content->is_array()) {
        std::size_t j = 0;
        for (const json::value& item : content->get_array()) {
          std::string p = param + ".content[" + std::to_string(j++) + "]";
          if (!item.is_object()) {
            return BadType(p, "an object");
          }
          const json::object& part = item.get_object();
          const json::value* text = Member(part, "text");
          if (text == nullptr) {
            text = Member(part, "refusal");
          }
          if (text == nullptr || !text->is_string()) {
            return BadRequest("Invalid content part in '" + p +
                                  "': assistant messages may only hold text and refusal parts.",
                              p + ".type");
          }
          parts.push_back(Part::Text(std::string(text->get_string())));
        }
      } else {
        return BadType(param + ".content", "one of a string or array of objects");
      }
    }
    if (const json::value* refusal = Member(m, "refusal");
        refusal != nullptr && refusal->is_string() && content == nullptr) {
      parts.push_back(Part::Text(std::string(refusal->get_string())));
    }
    if (const json::value* calls = Member(m, "tool_calls")) {
      if (!calls->is_array()) {
        return BadType(param + ".tool_calls", "an array");
      }
      std::size_t j = 0;
      for (const json::value& cv : calls->get_array()) {
        std::string p = param + ".tool_calls[" + std::to_string(j++) + "]";
        if (!cv.is_object()) {
          return BadType(p, "an object");
        }
        const json::object& c = cv.get_object();
        const json::value* id = Member(c, "id");
        const json::value* fn = Member(c, "function");
        if (id == nullptr || !id->is_string()) {
          return Missing(p + ".id");
        }
        if (fn == nullptr || !fn->is_object()) {
          return Missing(p + ".function");
        }
        const json::value* name = Member(fn->get_object(), "name");
        if (name == nullptr || !name->is_string()) {
          return Missing(p + ".function.name");
        }
        const json::value* args = Member(fn->get_object(), "arguments");
        Part call;
        call.type = Part::Type::kToolCall;
        call.id = std::string(id->get_string());
        call.name = std::string(name->get_string());
        call.arguments = args == nullptr ? "{}" : ArgumentsText(*args);
        if (call.arguments.empty()) {
          call.arguments = "{}";
        }
        st.call_names[call.id] = call.name;
        parts.push_back(std::move(call));
      }
    }
    if (const json::value* fc = Member(m, "function_call"); fc != nullptr && fc->is_object()) {
      const json::value* name = Member(fc->get_object(), "name");
      const json::value* args = Member(fc->get_object(), "arguments");
      if (name == nullptr || !name->is_string()) {
        return Missing(param + ".function_call.name");
      }
      Part call;
      call.type = Part::Type::kToolCall;
      call.id = "call_legacy_" + std::to_string(st.legacy_count++);
      call.name = std::string(name->get_string());
      call.arguments = args == nullptr ? "{}" : ArgumentsText(*args);
      st.legacy_ids[call.name] = call.id;
      st.call_names[call.id] = call.name;
      parts.push_back(std::move(call));
    }
    // An assistant message with nothing in it adds no turn (the users around it then merge).
    AppendToTurn(req.messages, Role::kAssistant, std::move(parts));
    return std::nullopt;
  }
  if (role == "tool" || role == "function") {
    Part result;
    result.type = Part::Type::kToolResult;
    if (role == "tool") {
      const json::value* id = Member(m, "tool_call_id");
      if (id == nullptr || !id->is_string()) {
        return Missing(param + ".tool_call_id");
      }
      result.id = std::string(id->get_string());
      auto it = st.call_names.find(result.id);
      if (it != st.call_names.end()) {
        result.name = it->second;
      }
    } else {
      const json::value* name = Member(m, "name");
      if (name == nullptr || !name->is_string()) {
        return Missing(param + ".name");
      }
      result.name = std::string(name->get_string());
      auto it = st.legacy_ids.find(result.name);
      result.id = it != st.legacy_ids.end() ? it->second : "call_legacy_" + result.name;
    }
    if (content == nullptr) {
      return Missing(param + ".content");
    }
    if (auto e = ReadTextContent(*content, param + ".content", result.content)) {
      return e;
    }
    std::vector<Part> parts;
    parts.push_back(std::move(result));
    AppendToTurn(req.messages, Role::kUser, std::move(parts));
    return std::nullopt;
  }
  return BadRequest("Invalid value: '" + std::string(role) +
                        "'. Supported values are: 'system', 'assistant', 'user', 'function', "
                        "'tool', and 'developer'.",
                    param + ".role");
}

std::optional<Error> ReadTool(const json::value& tv, const std::string& param, Request& req) {
  if (!tv.is_object()) {
    return BadType(param, "an object");
  }
  const json::object& t = tv.get_object();
  const json::value* type = Member(t, "type");
  if (type != nullptr && (!type->is_string() || type->get_string() != "function")) {
    return BadRequest(
        "Invalid value for '" + param + ".type': this gateway supports only 'function' tools.",
        param + ".type");
  }
  const json::value* fn = Member(t, "function");
  const json::object* f = &t;  // legacy `functions` entries are the function object itself
  if (fn != nullptr) {
    if (!fn->is_object()) {
      return BadType(param + ".function", "an object");
    }
    f = &fn->get_object();
  } else if (type != nullptr) {
    return Missing(param + ".function");
  }
  const json::value* name = Member(*f, "name");
  if (name == nullptr || !name->is_string() || name->get_string().empty()) {
    return Missing(param + ".function.name");
  }
  Tool tool;
  tool.name = std::string(name->get_string());
  if (const json::value* d = Member(*f, "description"); d != nullptr && d->is_string()) {
    tool.description = std::string(d->get_string());
  }
  if (const json::value* p = Member(*f, "parameters")) {
    if (!p->is_object()) {
      return BadType(param + ".function.parameters", "an object");
    }
    tool.parameters = json::serialize(*p);
  }
  if (const json::value* s = Member(*f, "strict"); s != nullptr && s->is_bool()) {
    tool.strict = s->get_bool();
  }
  req.tools.push_back(std::move(tool));
  return std::nullopt;
}

std::optional<Error> ReadToolChoice(const json::value& v, std::string_view key, Request& req) {
  std::string param(key);
  if (v.is_string()) {
    std::string_view s = v.get_string();
    if (s == "auto") {
      req.tool_choice.mode = ToolChoice::Mode::kAuto;
    } else if (s == "none") {
      req.tool_choice.mode = ToolChoice::Mode::kNone;
    } else if (s == "required") {
      req.tool_choice.mode = ToolChoice::Mode::kAny;
    } else {
      return BadRequest("Invalid value: '" + std::string(s) +
                            "'. Supported values are: 'none', 'auto', and 'required'.",
                        param);
    }
    return std::nullopt;
  }
  if (!v.is_object()) {
    return BadType(param, "one of a string or object");
  }
  const json::object& o = v.get_object();
  const json::value* name = nullptr;
  if (const json::value* fn = Member(o, "function"); fn != nullptr && fn->is_object()) {
    name = Member(fn->get_object(), "name");
  } else {
    name = Member(o, "name");  // legacy function_call: {"name": ...}
  }
  if (name == nullptr || !name->is_string()) {
    return Missing(param + ".function.name");
  }
  req.tool_choice.mode = ToolChoice::Mode::kTool;
  req.tool_choice.name = std::string(name->get_string());
  return std::nullopt;
}

std::optional<Error> ReadBody(const json::object& o, Request& req) {
  const json::value* model = Member(o, "model");
  if (model == nullptr) {
    return BadRequest("you must provide a model parameter", "model", "missing_model");
  }
  if (!model->is_string() || model->get_string().empty()) {
    return BadType("model", "a non-empty string");
  }
  req.model = std::string(model->get_string());
  const json::value* messages = Member(o, "messages");
  if (messages == nullptr) {
    return Missing("messages");
  }
  if (!messages->is_array()) {
    return BadType("messages", "an array");
  }
  if (messages->get_array().empty()) {
    return BadRequest(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages", "empty_array");
  }
  ParseState st;
  std::size_t i = 0;
  for (const json::value& m : messages->get_array()) {
    if (auto e = ReadMessage(m, i++, req, st)) {
      return e;
    }
  }
  for (const char* key : {"tools", "functions"}) {
    if (const json::value* tools = Member(o, key)) {
      if (!tools->is_array()) {
        return BadType(key, "an array");
      }
      std::size_t j = 0;
      for (const json::value& t : tools->get_array()) {
        if (auto e = ReadTool(t, std::string(key) + "[" + std::to_string(j++) + "]", req)) {
          return e;
        }
      }
    }
  }
  if (const json::value* tc = Member(o, "tool_choice")) {
    if (auto e = ReadToolChoice(*tc, "tool_choice", req)) {
      return e;
    }
  } else if (const json::value* fc = Member(o, "function_call")) {
    if (auto e = ReadToolChoice(*fc, "function_call", req)) {
      return e;
    }
  }
  if (const json::value* p = Member(o, "parallel_tool_calls")) {
    if (!p->is_bool()) {
      return BadType("parallel_tool_calls", "a boolean");
    }
    req.parallel_tool_calls = p->get_bool();
  }
  std::optional<int64_t> max_tokens;
  std::optional<int64_t> max_completion;
  if (auto e = ReadNumber(o, "max_tokens", max_tokens)) {
    return e;
  }
  if (auto e = ReadNumber(o, "max_completion_tokens", max_completion)) {
    return e;
  }
  req.max_tokens = max_completion ? max_completion : max_tokens;
  if (req.max_tokens && *req.max_tokens < 1) {
    return BadRequest("Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.",
                      max_completion ? "max_completion_tokens" : "max_tokens",
                      "integer_below_min_value");
  }
  if (auto e = ReadNumber(o, "temperature", req.temperature)) {
    return e;
  }
  if (auto e = ReadNumber(o, "top_p", req.top_p)) {
    return e;
  }
  if (auto e = ReadNumber(o, "top_k", req.top_k)) {  // vLLM / OpenRouter extension
    return e;
  }
  if (auto e = ReadNumber(o, "presence_penalty", req.presence_penalty)) {
    return e;
  }
  if (auto e = ReadNumber(o, "frequency_penalty", req.frequency_penalty)) {
    return e;
  }
  if (auto e = ReadNumber(o, "seed", req.seed)) {
    return e;
  }
  if (const json::value* stop = Member(o, "stop")) {
    if (stop->is_string()) {
      req.stop.emplace_back(stop->get_string());
    } else if (stop->is_array()) {
      for (const json::value& s : stop->get_array()) {
        if (!s.is_string()) {
          return BadType("stop", "one of a string or array of strings");
        }
        req.stop.emplace_back(s.get_string());
      }
    } else {
      return BadType("stop", "one of a string or array of strings");
    }
  }
  if (const json::value* s = Member(o, "stream")) {
    if (!s->is_bool()) {
      return BadType("stream", "a boolean");
    }
    req.stream = s->get_bool();
  }
  if (const json::value* so = Member(o, "stream_options"); so != nullptr && so->is_object()) {
    if (const json::value* iu = Member(so->get_object(), "include_usage");
        iu != nullptr && iu->is_bool()) {
      req.include_usage = iu->get_bool();
    }
  }
  if (const json::value* re = Member(o, "reasoning_effort")) {
    if (!re->is_string()) {
      return BadType("reasoning_effort", "a string");
    }
    std::string_view effort = re->get_string();
    if (effort != "none") {
      req.reasoning_effort = std::string(effort);
      req.thinking_enabled = true;
    }
  }
  if (const json::value* rf = Member(o, "response_format")) {
    const json::value* type = rf->is_object() ? Member(rf->get_object(), "type") : nullptr;
    if (type == nullptr || !type->is_string()) {
      return Missing("response_format.type");
    }
    std::string_view t = type->get_string();
    if (t == "json_object") {
      req.response_format = Request::Format::kJsonObject;
    } else if (t == "json_schema") {
      const json::value* js = Member(rf->get_object(), "json_schema");
      if (js == nullptr || !js->is_object()) {
        return Missing("response_format.json_schema");
      }
      req.response_format = Request::Format::kJsonSchema;
      if (const json::value* n = Member(js->get_object(), "name"); n != nullptr && n->is_string()) {
        req.response_schema_name = std::string(n->get_string());
      }
      const json::value* schema = Member(js->get_object(), "schema");
      req.response_schema = schema != nullptr ? json::serialize(*schema) : "{}";
    } else if (t != "text") {
      return BadRequest("Invalid value: '" + std::string(t) +
                            "'. Supported values are: 'text', 'json_object', and 'json_schema'.",
                        "response_format.type");
    }
  }
  if (const json::value* u = Member(o, "user"); u != nullptr && u->is_string()) {
    req.user = std::string(u->get_string());
  }
  std::optional<int64_t> n;
  if (auto e = ReadNumber(o, "n", n)) {
    return e;
  }
  if (n) {
    if (*n < 1) {
      return BadRequest("Invalid 'n': integer below minimum value. Expected a value >= 1.", "n",
                        "integer_below_min_value");
    }
    req.n = *n;
  }
  return std::nullopt;
}

}  // namespace

Result<Request> ParseOpenAiChatRequest(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) {
    // Same wording as the same-dialect path.
    auto inspected = openai::InspectChatRequest(body);
    if (!inspected.ok()) {
      return inspected.error();
    }
    return Error(ErrorKind::kBadRequest, "We could not parse the JSON body of your request.",
                 "invalid_json");
  }
  if (!doc.is_object()) {
    return Error(ErrorKind::kBadRequest, "The request body must be a JSON object.",
                 "invalid_request", "");
  }
  Request req;
  if (auto e = ReadBody(doc.get_object(), req)) {
    return std::move(*e);
  }
  return req;
}

namespace {

json::value ParametersValue(const std::string& text) {
  if (text.empty()) {
    return json::object{{"type", "object"}, {"properties", json::object{}}};
  }
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return json::object{{"type", "object"}, {"properties", json::object{}}};
  }
  return v;
}

json::object ImageUrlPart(const Part& image) {
  return json::object{{"type", "image_url"}, {"image_url", json::object{{"url", ImageUri(image)}}}};
}

// A user message's content: a plain string for one text part (what every server accepts),
// else an array of parts.
json::value UserContent(const std::vector<Part>& parts) {
  if (parts.size() == 1 && parts[0].type == Part::Type::kText) {
    return json::string(parts[0].text);
  }
  json::array arr;
  for (const Part& p : parts) {
    if (p.type == Part::Type::kText) {
      arr.push_back(json::object{{"type", "text"}, {"text", p.text}});
    } else if (p.type == Part::Type::kImage) {
      arr.push_back(ImageUrlPart(p));
    }
  }
  return arr;
}

void RenderUserTurn(const Message& m, json::array& out) {
  std::vector<Part> rest;
  std::vector<Part> result_images;  // images inside tool results: a follow-up user message
  for (const Part& p : m.parts) {
    if (p.type == Part::Type::kToolResult) {
      std::string text;
      for (const Part& c : p.content) {
        if (c.type == Part::Type::kText) {
          if (!text.empty()) {
            text += "\n";
          }
          text += c.text;
        } else if (c.type == Part::Type::kImage) {
          result_images.push_back(c);
        }
      }
      if (p.is_error && text.empty()) {
        text = "Error";
      }
      json::object msg{{"role", "tool"}, {"tool_call_id", p.id}, {"content", text}};
      out.push_back(std::move(msg));
    } else if (p.type == Part::Type::kText || p.type == Part::Type::kImage) {
      rest.push_back(p);
    }
  }
  if (!result_images.empty()) {
    rest.insert(rest.begin(), result_images.begin(), result_images.end());
  }
  if (!rest.empty()) {
    out.push_back(json::object{{"role", "user"}, {"content", UserContent(rest)}});
  }
}

void RenderAssistantTurn(const Message& m, json::array& out) {
  std::string text;
  bool has_text = false;
  json::array calls;
  for (const Part& p : m.parts) {
    if (p.type == Part::Type::kText) {
      text += p.text;
      has_text = true;
    } else if (p.type == Part::Type::kToolCall) {
      calls.push_back(json::object{
          {"id", p.id},
          {"type", "function"},
          {"function", json::object{{"name", p.name},
                                    {"arguments", p.arguments.empty() ? "{}" : p.arguments}}}});
    }
  }
  json::object msg{{"role", "assistant"}};
  if (has_text && (!text.empty() || calls.empty())) {
    msg["content"] = text;
  } else {
    msg["content"] = nullptr;
  }
  if (!calls.empty()) {
    msg["tool_calls"] = std::move(calls);
  }
  out.push_back(std::move(msg));
}

}  // namespace

std::string RenderOpenAiChatRequest(const Request& request, std::string_view model) {
  json::object body;
  body["model"] = model;
  json::array messages;
  if (!request.system.empty()) {
    messages.push_back(
        json::object{{"role", "system"}, {"content", JoinText(request.system, "\n\n")}});
  }
  for (const Message& m : request.messages) {
    if (m.role == Role::kUser) {
      RenderUserTurn(m, messages);
    } else {
      RenderAssistantTurn(m, messages);
    }
  }
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    json::array tools;
    for (const Tool& t : request.tools) {
      json::object fn{{"name", t.name}};
      if (!t.description.empty()) {
        fn["description"] = t.description;
      }
      fn["parameters"] = ParametersValue(t.parameters);
      if (t.strict) {
        fn["strict"] = *t.strict;
      }
      tools.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
    }
    body["tools"] = std::move(tools);
    // OpenAI rejects parallel_tool_calls without tools.
    if (request.parallel_tool_calls) {
      body["parallel_tool_calls"] = *request.parallel_tool_calls;
    }
  }
  // OpenAI rejects tool_choice without tools (a Gemini client may send mode NONE alone).
  switch (request.tools.empty() ? ToolChoice::Mode::kUnset : request.tool_choice.mode) {
    case ToolChoice::Mode::kUnset:
      break;
    case ToolChoice::Mode::kAuto:
      body["tool_choice"] = "auto";
      break;
    case ToolChoice::Mode::kAny:
      body["tool_choice"] = "required";
      break;
    case ToolChoice::Mode::kNone:
      body["tool_choice"] = "none";
      break;
    case ToolChoice::Mode::kTool:
      body["tool_choice"] = json::object{
          {"type", "function"}, {"function", json::object{{"name", request.tool_choice.name}}}};
      break;
  }
  if (request.max_tokens) {
    body["max_tokens"] = *request.max_tokens;
  }
  if (request.temperature) {
    body["temperature"] = std::clamp(*request.temperature, 0.0, 2.0);
  }
  if (request.top_p) {
    body["top_p"] = *request.top_p;
  }
  if (request.presence_penalty) {
    body["presence_penalty"] = *request.presence_penalty;
  }
  if (request.frequency_penalty) {
    body["frequency_penalty"] = *request.frequency_penalty;
  }
  if (request.seed) {
    body["seed"] = *request.seed;
  }
  if (!request.stop.empty()) {
    json::array stop;
    for (const std::string& s : request.stop) {
      stop.emplace_back(s);
    }
    body["stop"] = std::move(stop);
  }
  if (request.n > 1) {
    body["n"] = request.n;
  }
  std::string effort = ReasoningEffortOf(request);
  if (!effort.empty()) {
    body["reasoning_effort"] = effort;
  }
  if (request.response_format == Request::Format::kJsonObject) {
    body["response_format"] = json::object{{"type", "json_object"}};
  } else if (request.response_format == Request::Format::kJsonSchema) {
    body["response_format"] = json::object{
        {"type", "json_schema"},
        {"json_schema",
         json::object{{"name", request.response_schema_name.empty() ? "response"
                                                                    : request.response_schema_name},
                      {"schema", ParametersValue(request.response_schema)}}}};
  }
  if (!request.user.empty()) {
    body["user"] = request.user;
  }
  if (request.stream) {
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
  }
  return json::serialize(body);
}

// ---- Shared helpers ----

// Appends parts to the last turn when it has the same role (roles must alternate in the
// canonical form), else starts a turn.
void AppendToTurn(std::vector<Message>& messages, Role role, std::vector<Part> parts) {
  if (parts.empty()) {
    return;
  }
  if (messages.empty() || messages.back().role != role) {
    messages.push_back({role, {}});
  }
  auto& dst = messages.back().parts;
  // Tool results answer the previous assistant turn and must come first in a user turn.
  if (role == Role::kUser && !dst.empty()) {
    bool all_results =
        std::ranges::all_of(parts, [](const Part& p) { return p.type == Part::Type::kToolResult; });
    if (all_results) {
      auto pos = std::ranges::find_if(
          dst, [](const Part& p) { return p.type != Part::Type::kToolResult; });
      dst.insert(pos, std::make_move_iterator(parts.begin()), std::make_move_iterator(parts.end()));
      return;
    }
  }
  dst.insert(dst.end(), std::make_move_iterator(parts.begin()),
             std::make_move_iterator(parts.end()));
}

bool SplitDataUri(std::string_view uri, std::string& media_type, std::string& data) {
  constexpr std::string_view kData = "data:";
  constexpr std::string_view kBase64 = ";base64,";
  if (!uri.starts_with(kData)) {
    return false;
  }
  std::size_t marker = uri.find(kBase64);
  if (marker == std::string_view::npos) {
    return false;
  }
  media_type = std::string(uri.substr(kData.size(), marker - kData.size()));
  data = std::string(uri.substr(marker + kBase64.size()));
  return true;
}

std::string ImageUri(const Part& image) {
  if (!image.url.empty() || image.data.empty()) {
    return image.url;
  }
  return "data:" + (image.media_type.empty() ? std::string("image/png") : image.media_type) +
         ";base64," + image.data;
}

Part ImageFromUri(std::string_view uri) {
  Part p;
  p.type = Part::Type::kImage;
  if (!SplitDataUri(uri, p.media_type, p.data)) {
    p.url = std::string(uri);
  }
  return p;
}

std::string ReasoningEffortOf(const Request& request) {
  if (!request.reasoning_effort.empty()) {
    return request.reasoning_effort;
  }
  if (!request.thinking_budget) {
    return {};
  }
  if (*request.thinking_budget <= 1024) {
    return "low";
  }
  return *request.thinking_budget <= 2048 ? "medium" : "high";
}

int64_t BudgetForEffort(std::string_view effort) {
  if (effort == "minimal" || effort == "low") {
    return 1024;
  }
  if (effort == "medium") {
    return 2048;
  }
  if (effort == "high") {
    return 4096;
  }
  return 0;
}

std::string JoinText(const std::vector<Part>& parts, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const Part& p : parts) {
    if (p.type != Part::Type::kText) {
      continue;
    }
    if (!first) {
      out += separator;
    }
    out += p.text;
    first = false;
  }
  return out;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace baton::canon
