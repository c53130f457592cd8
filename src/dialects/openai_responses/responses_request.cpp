// Responses API requests ↔ canonical requests. Input items map onto canonical turns:
// message items by role, function_call items into assistant turns, function_call_output items
// into user turns (consecutive items of one role merge, as the canonical form alternates roles).
#include <algorithm>
#include <map>

#include <boost/json.hpp>

#include "dialects/json_number.hpp"
#include "dialects/openai_chat/openai_codec.hpp"
#include "dialects/openai_chat/openai_json.hpp"
#include "dialects/openai_responses/responses_codec.hpp"

namespace baton::canon {

namespace json = boost::json;

namespace {

using openai_json::AsDouble;
using openai_json::BadRequest;
using openai_json::BadType;
using openai_json::Member;
using openai_json::Missing;

std::optional<int64_t> AsInt(const json::value& v) {
  if (v.is_double()) {
    return std::nullopt;  // integers only, as before
  }
  return JsonInt(v);
}

// Content parts of a message item (or a function_call_output's output array).
std::optional<Error> ReadContent(const json::value& content, const std::string& param,
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
    if (t == "input_text" || t == "output_text" || t == "text" || t == "refusal") {
      const json::value* text = Member(part, t == "refusal" ? "refusal" : "text");
      if (text == nullptr || !text->is_string()) {
        return Missing(p + (t == "refusal" ? ".refusal" : ".text"));
      }
      out.push_back(Part::Text(std::string(text->get_string())));
    } else if (t == "input_image") {
      const json::value* url = Member(part, "image_url");
      if (url != nullptr && url->is_object()) {
        url = Member(url->get_object(), "url");
      }
      if (url == nullptr || !url->is_string()) {
        return BadRequest(
            "Only input_image parts with an image_url (an http(s) URL or a data "
            "URI) are supported by this gateway; file_id needs OpenAI's file "
            "store.",
            p + ".image_url");
      }
      out.push_back(ImageFromUri(url->get_string()));
    } else {
      return BadRequest("Invalid value: '" + std::string(t) +
                            "'. This gateway supports the content types 'input_text', "
                            "'input_image' and 'output_text'.",
                        p + ".type");
    }
  }
  return std::nullopt;
}

struct ParseState {
  std::map<std::string, std::string> call_names;  // call_id → function name
};

std::optional<Error> ReadItem(const json::value& iv, std::size_t i, Request& req, ParseState& st) {
  std::string param = "input[" + std::to_string(i) + "]";
  if (!iv.is_object()) {
    return BadType(param, "an object");
  }
  const json::object& item = iv.get_object();
  std::string_view type = "message";
  if (const json::value* t = Member(item, "type")) {
    if (!t->is_string()) {
      return BadType(param + ".type", "a string");
    }
    type = t->get_string();
  }
  if (type == "message") {
    const json::value* role_v = Member(item, "role");
    if (role_v == nullptr || !role_v->is_string()) {
      return Missing(param + ".role");
    }
    std::string_view role = role_v->get_string();
    const json::value* content = Member(item, "content");
    if (content == nullptr) {
      return Missing(param + ".content");
    }
    std::vector<Part> parts;
    if (auto e = ReadContent(*content, param + ".content", parts)) {
      return e;
    }
    if (role == "system" || role == "developer") {
      for (Part& p : parts) {
        if (p.type != Part::Type::kText) {
          return BadRequest("System and developer messages may only hold text.",
                            param + ".content");
        }
        req.system.push_back(std::move(p));
      }
    } else if (role == "user") {
      AppendToTurn(req.messages, Role::kUser, std::move(parts));
    } else if (role == "assistant") {
      std::erase_if(parts,
                    [](const Part& p) { return p.type == Part::Type::kText && p.text.empty(); });
      AppendToTurn(req.messages, Role::kAssistant, std::move(parts));
    } else {
      return BadRequest("Invalid value: '" + std::string(role) +
                            "'. Supported values are: 'user', 'assistant', 'system', and "
                            "'developer'.",
                        param + ".role");
    }
    return std::nullopt;
  }
  if (type == "function_call") {
    const json::value* call_id = Member(item, "call_id");
    const json::value* name = Member(item, "name");
    const json::value* args = Member(item, "arguments");
    if (call_id == nullptr || !call_id->is_string()) {
      return Missing(param + ".call_id");
    }
    if (name == nullptr || !name->is_string()) {
      return Missing(param + ".name");
    }
    Part call;
    call.type = Part::Type::kToolCall;
    call.id = std::string(call_id->get_string());
    call.name = std::string(name->get_string());
    call.arguments = (args != nullptr && args->is_string()) ? std::string(args->get_string()) : "";
    if (call.arguments.empty()) {
      call.arguments = "{}";
    }
    st.call_names[call.id] = call.name;
    std::vector<Part> parts;
    parts.push_back(std::move(call));
    AppendToTurn(req.messages, Role::kAssistant, std::move(parts));
    return std::nullopt;
  }
  if (type == "function_call_output") {
    const json::value* call_id = Member(item, "call_id");
    const json::value* output = Member(item, "output");
    if (call_id == nullptr || !call_id->is_string()) {
      return Missing(param + ".call_id");
    }
    if (output == nullptr) {
      return Missing(param + ".output");
    }
    Part result;
    result.type = Part::Type::kToolResult;
    result.id = std::string(call_id->get_string());
    if (auto it = st.call_names.find(result.id); it != st.call_names.end()) {
      result.name = it->second;
    }
    if (auto e = ReadContent(*output, param + ".output", result.content)) {
      return e;
    }
    std::vector<Part> parts;
    parts.push_back(std::move(result));
    AppendToTurn(req.messages, Role::kUser, std::move(parts));
    return std::nullopt;
  }
  if (type == "reasoning") {
    // OpenAI's own reasoning (often encrypted) means nothing to another provider.
    return std::nullopt;
  }
  if (type == "item_reference") {
    return BadRequest(
        "Item references are not supported by this gateway (stateless); send the full input.",
        param + ".type");
  }
  return BadRequest("Invalid value: '" + std::string(type) +
                        "'. This gateway supports the input item types 'message', "
                        "'function_call' and 'function_call_output'.",
                    param + ".type");
}

std::optional<Error> ReadTool(const json::value& tv, const std::string& param, Request& req) {
  if (!tv.is_object()) {
    return BadType(param, "an object");
  }
  const json::object& t = tv.get_object();
  const json::value* type = Member(t, "type");
  if (type == nullptr || !type->is_string()) {
    return Missing(param + ".type");
  }
  if (type->get_string() != "function") {
    return BadRequest("The built-in tool '" + std::string(type->get_string()) +
                          "' is not supported by this gateway; only function tools are.",
                      param + ".type", "unsupported_tool");
  }
  const json::value* name = Member(t, "name");
  if (name == nullptr || !name->is_string() || name->get_string().empty()) {
    return Missing(param + ".name");
  }
  Tool tool;
  tool.name = std::string(name->get_string());
  if (const json::value* d = Member(t, "description"); d != nullptr && d->is_string()) {
    tool.description = std::string(d->get_string());
  }
  if (const json::value* p = Member(t, "parameters")) {
    if (!p->is_object()) {
      return BadType(param + ".parameters", "an object");
    }
    tool.parameters = json::serialize(*p);
  }
  if (const json::value* s = Member(t, "strict"); s != nullptr && s->is_bool()) {
    tool.strict = s->get_bool();
  }
  req.tools.push_back(std::move(tool));
  return std::nullopt;
}

std::optional<Error> ReadToolChoice(const json::value& v, Request& req) {
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
                        "tool_choice");
    }
    return std::nullopt;
  }
  if (!v.is_object()) {
    return BadType("tool_choice", "one of a string or object");
  }
  const json::object& o = v.get_object();
  const json::value* type = Member(o, "type");
  if (type != nullptr && type->is_string() && type->get_string() == "function") {
    const json::value* name = Member(o, "name");
    if (name == nullptr || !name->is_string()) {
      return Missing("tool_choice.name");
    }
    req.tool_choice.mode = ToolChoice::Mode::kTool;
    req.tool_choice.name = std::string(name->get_string());
    return std::nullopt;
  }
  if (type != nullptr && type->is_string() && type->get_string() == "allowed_tools") {
    const json::value* mode = Member(o, "mode");
    req.tool_choice.mode =
        (mode != nullptr && mode->is_string() && mode->get_string() == "required")
            ? ToolChoice::Mode::kAny
            : ToolChoice::Mode::kAuto;
    return std::nullopt;
  }
  return BadRequest(
      "This gateway supports tool_choice 'auto', 'none', 'required' and "
      "{\"type\":\"function\",\"name\":...}.",
      "tool_choice");
}

std::optional<Error> ReadBody(const json::object& o, Request& req) {
  if (Member(o, "previous_response_id") != nullptr) {
    return BadRequest(
        "previous_response_id is not supported by this gateway (stateless); send the full input",
        "previous_response_id", "unsupported_parameter");
  }
  if (Member(o, "conversation") != nullptr) {
    return BadRequest(
        "conversation is not supported by this gateway (stateless); send the full input",
        "conversation", "unsupported_parameter");
  }
  const json::value* model = Member(o, "model");
  if (model == nullptr) {
    return Missing("model");
  }
  if (!model->is_string() || model->get_string().empty()) {
    return BadType("model", "a non-empty string");
  }
  req.model = std::string(model->get_string());
  if (const json::value* ins = Member(o, "instructions")) {
    if (!ins->is_string()) {
      return BadType("instructions", "a string");
    }
    if (!ins->get_string().empty()) {
      req.system.push_back(Part::Text(std::string(ins->get_string())));
    }
  }
  const json::value* input = Member(o, "input");
  if (input == nullptr) {
    return Missing("input");
  }
  ParseState st;
  if (input->is_string()) {
    req.messages.push_back({Role::kUser, {Part::Text(std::string(input->get_string()))}});
  } else if (input->is_array()) {
    std::size_t i = 0;
    for (const json::value& item : input->get_array()) {
      if (auto e = ReadItem(item, i++, req, st)) {
        return e;
      }
    }
  } else {
    return BadType("input", "one of a string or array of objects");
  }
  if (req.messages.empty()) {
    return BadRequest("The input holds no user or assistant content.", "input", "empty_input");
  }
  if (const json::value* tools = Member(o, "tools")) {
    if (!tools->is_array()) {
      return BadType("tools", "an array");
    }
    std::size_t j = 0;
    for (const json::value& t : tools->get_array()) {
      if (auto e = ReadTool(t, "tools[" + std::to_string(j++) + "]", req)) {
        return e;
      }
    }
  }
  if (const json::value* tc = Member(o, "tool_choice")) {
    if (auto e = ReadToolChoice(*tc, req)) {
      return e;
    }
  }
  if (const json::value* p = Member(o, "parallel_tool_calls")) {
    if (!p->is_bool()) {
      return BadType("parallel_tool_calls", "a boolean");
    }
    req.parallel_tool_calls = p->get_bool();
  }
  if (const json::value* m = Member(o, "max_output_tokens")) {
    auto v = AsInt(*m);
    if (!v) {
      return BadType("max_output_tokens", "an integer");
    }
    if (*v < 1) {
      return BadRequest(
          "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 1.",
          "max_output_tokens", "integer_below_min_value");
    }
    req.max_tokens = v;
  }
  for (auto [key, dst] :
       {std::pair{"temperature", &req.temperature}, std::pair{"top_p", &req.top_p}}) {
    if (const json::value* v = Member(o, key)) {
      *dst = AsDouble(*v);
      if (!*dst) {
        return BadType(key, "a decimal");
      }
    }
  }
  if (const json::value* s = Member(o, "stream")) {
    if (!s->is_bool()) {
      return BadType("stream", "a boolean");
    }
    req.stream = s->get_bool();
  }
  if (const json::value* r = Member(o, "reasoning"); r != nullptr && r->is_object()) {
    if (const json::value* effort = Member(r->get_object(), "effort");
        effort != nullptr && effort->is_string() && effort->get_string() != "none") {
      req.reasoning_effort = std::string(effort->get_string());
      req.thinking_enabled = true;
    }
  }
  if (const json::value* text = Member(o, "text"); text != nullptr && text->is_object()) {
    if (const json::value* f = Member(text->get_object(), "format");
        f != nullptr && f->is_object()) {
      const json::object& fo = f->get_object();
      const json::value* type = Member(fo, "type");
      std::string_view t = (type != nullptr && type->is_string())
                               ? std::string_view(type->get_string())
                               : std::string_view("text");
      if (t == "json_object") {
        req.response_format = Request::Format::kJsonObject;
      } else if (t == "json_schema") {
        req.response_format = Request::Format::kJsonSchema;
        if (const json::value* n = Member(fo, "name"); n != nullptr && n->is_string()) {
          req.response_schema_name = std::string(n->get_string());
        }
        const json::value* schema = Member(fo, "schema");
        req.response_schema = schema != nullptr ? json::serialize(*schema) : "{}";
      } else if (t != "text") {
        return BadRequest("Invalid value: '" + std::string(t) +
                              "'. Supported values are: 'text', 'json_object', and "
                              "'json_schema'.",
                          "text.format.type");
      }
    }
  }
  if (const json::value* u = Member(o, "user"); u != nullptr && u->is_string()) {
    req.user = std::string(u->get_string());
  } else if (const json::value* sid = Member(o, "safety_identifier");
             sid != nullptr && sid->is_string()) {
    req.user = std::string(sid->get_string());
  }
  return std::nullopt;
}

}  // namespace

Result<Request> ParseResponsesRequest(std::string_view body) {
  json::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) {
    return Error(ErrorKind::kBadRequest,
                 "We could not parse the JSON body of your request. (HINT: This likely means "
                 "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                 "payload, but what was sent was not valid JSON.)",
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

json::value SchemaValue(const std::string& text) {
  json::error_code ec;
  json::value v = json::parse(text.empty() ? std::string_view("{}") : std::string_view(text), ec);
  if (ec) {
    return json::object{{"type", "object"}, {"properties", json::object{}}};
  }
  return v;
}

json::array ContentParts(const std::vector<Part>& parts, const char* text_type) {
  json::array out;
  for (const Part& p : parts) {
    if (p.type == Part::Type::kText) {
      out.push_back(json::object{{"type", text_type}, {"text", p.text}});
    } else if (p.type == Part::Type::kImage) {
      out.push_back(json::object{{"type", "input_image"}, {"image_url", ImageUri(p)}});
    }
  }
  return out;
}

}  // namespace

// The tools, tool_choice and text.format of a request as the Responses API spells them (also
// echoed in rendered responses).
json::array ResponsesTools(const Request& request) {
  json::array tools;
  for (const Tool& t : request.tools) {
    json::object tool{{"type", "function"}, {"name", t.name}};
    tool["description"] = t.description.empty() ? json::value(nullptr) : json::value(t.description);
    tool["parameters"] = SchemaValue(t.parameters);
    tool["strict"] = t.strict.value_or(false);
    tools.push_back(std::move(tool));
  }
  return tools;
}

json::value ResponsesToolChoice(const Request& request) {
  switch (request.tool_choice.mode) {
    case ToolChoice::Mode::kNone:
      return "none";
    case ToolChoice::Mode::kAny:
      return "required";
    case ToolChoice::Mode::kTool:
      return json::object{{"type", "function"}, {"name", request.tool_choice.name}};
    case ToolChoice::Mode::kUnset:
    case ToolChoice::Mode::kAuto:
      break;
  }
  return "auto";
}

json::object ResponsesTextFormat(const Request& request) {
  if (request.response_format == Request::Format::kJsonObject) {
    return json::object{{"type", "json_object"}};
  }
  if (request.response_format == Request::Format::kJsonSchema) {
    return json::object{
        {"type", "json_schema"},
        {"name", request.response_schema_name.empty() ? "response" : request.response_schema_name},
        {"schema", SchemaValue(request.response_schema)}};
  }
  return json::object{{"type", "text"}};
}

std::string RenderResponsesRequest(const Request& request, std::string_view model) {
  json::object body;
  body["model"] = model;
  if (!request.system.empty()) {
    body["instructions"] = JoinText(request.system, "\n\n");
  }
  json::array input;
  for (const Message& m : request.messages) {
    if (m.role == Role::kUser) {
      std::vector<Part> rest;
      for (const Part& p : m.parts) {
        if (p.type == Part::Type::kToolResult) {
          bool only_text = std::ranges::all_of(
              p.content, [](const Part& c) { return c.type == Part::Type::kText; });
          json::value output;
          if (only_text) {
            output = JoinText(p.content, "\n");
          } else {
            output = ContentParts(p.content, "input_text");
          }
          input.push_back(json::object{
              {"type", "function_call_output"}, {"call_id", p.id}, {"output", std::move(output)}});
        } else if (p.type == Part::Type::kText || p.type == Part::Type::kImage) {
          rest.push_back(p);
        }
      }
      if (!rest.empty()) {
        input.push_back(json::object{
            {"type", "message"}, {"role", "user"}, {"content", ContentParts(rest, "input_text")}});
      }
    } else {
      std::vector<Part> text;
      json::array calls;
      for (const Part& p : m.parts) {
        if (p.type == Part::Type::kText && !p.text.empty()) {
          text.push_back(p);
        } else if (p.type == Part::Type::kToolCall) {
          calls.push_back(json::object{{"type", "function_call"},
                                       {"call_id", p.id},
                                       {"name", p.name},
                                       {"arguments", p.arguments.empty() ? "{}" : p.arguments}});
        }
      }
      if (!text.empty()) {
        input.push_back(json::object{{"type", "message"},
                                     {"role", "assistant"},
                                     {"content", ContentParts(text, "output_text")}});
      }
      for (auto& c : calls) {
        input.push_back(std::move(c));
      }
    }
  }
  body["input"] = std::move(input);
  if (!request.tools.empty()) {
    body["tools"] = ResponsesTools(request);
    if (request.parallel_tool_calls) {
      body["parallel_tool_calls"] = *request.parallel_tool_calls;
    }
  }
  if (request.tool_choice.mode != ToolChoice::Mode::kUnset) {
    body["tool_choice"] = ResponsesToolChoice(request);
  }
  if (request.max_tokens) {
    body["max_output_tokens"] = *request.max_tokens;
  }
  if (request.temperature) {
    body["temperature"] = std::clamp(*request.temperature, 0.0, 2.0);
  }
  if (request.top_p) {
    body["top_p"] = *request.top_p;
  }
  std::string effort = ReasoningEffortOf(request);
  if (!effort.empty()) {
    body["reasoning"] = json::object{{"effort", effort}};
  }
  if (request.response_format != Request::Format::kText) {
    body["text"] = json::object{{"format", ResponsesTextFormat(request)}};
  }
  if (!request.user.empty()) {
    body["user"] = request.user;
  }
  if (request.stream) {
    body["stream"] = true;
  }
  body["store"] = false;  // the gateway never relies on stored responses
  return json::serialize(body);
}

}  // namespace baton::canon
