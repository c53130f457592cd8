// Anthropic Messages requests: a client's body → canonical, canonical → an upstream's body.
//
// Parse errors name the offending field the way Anthropic's API does ("max_tokens: Field
// required", "messages.0.role: ..."), so a client sees the same kind of message it would get
// from Anthropic itself.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "dialects/anthropic/anthropic.hpp"
#include "dialects/anthropic/json_util.hpp"

namespace baton::anthropic {

namespace {

using canon::Message;
using canon::Part;
using canon::Request;
using canon::Role;
using detail::AsDouble;
using detail::AsInt;
using detail::ParseJson;
namespace json = boost::json;

Error Bad(const std::string& where, std::string_view what) {
  std::string msg = where;
  msg += ": ";
  msg += what;
  return {ErrorKind::kBadRequest, std::move(msg), {}, where.substr(0, where.find('.'))};
}

std::string At(const std::string& base, std::string_view key) {
  std::string s = base;
  if (!s.empty()) {
    s += '.';
  }
  s += key;
  return s;
}
std::string At(const std::string& base, std::size_t index) {
  return base + "." + std::to_string(index);
}

// Reads a required string member into out; returns an error message on failure.
std::optional<Error> RequireString(const json::object& o, std::string_view key,
                                   const std::string& where, std::string& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return Bad(At(where, key), "Field required");
  }
  if (!v->is_string()) {
    return Bad(At(where, key), "Input should be a valid string");
  }
  out = v->get_string();
  return std::nullopt;
}

std::optional<Error> OptionalString(const json::object& o, std::string_view key,
                                    const std::string& where, std::string& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    return Bad(At(where, key), "Input should be a valid string");
  }
  out = v->get_string();
  return std::nullopt;
}

std::optional<Error> ParseImage(const json::object& block, const std::string& where, Part& part) {
  part.type = Part::Type::kImage;
  const json::value* src = block.if_contains("source");
  if (src == nullptr) {
    return Bad(At(where, "source"), "Field required");
  }
  if (!src->is_object()) {
    return Bad(At(where, "source"), "Input should be an object");
  }
  const json::object& s = src->get_object();
  std::string source_where = At(where, "source");
  std::string type;
  if (auto e = RequireString(s, "type", source_where, type)) {
    return e;
  }
  if (type == "base64") {
    if (auto e = RequireString(s, "media_type", source_where, part.media_type)) {
      return e;
    }
    return RequireString(s, "data", source_where, part.data);
  }
  if (type == "url") {
    return RequireString(s, "url", source_where, part.url);
  }
  return Bad(At(source_where, "type"),
             "image sources of type '" + type + "' are not supported (use base64 or url)");
}

// A document block is kept only when it is plain text (source type "text" or "content" with text
// blocks): other upstream dialects have no PDF input, and silently dropping it would change the
// answer.
std::optional<Error> ParseDocument(const json::object& block, const std::string& where,
                                   std::vector<Part>& out) {
  const json::value* src = block.if_contains("source");
  if (src != nullptr && src->is_object()) {
    const json::object& s = src->get_object();
    std::string_view type = detail::StringOr(s, "type");
    if (type == "text") {
      if (const json::value* d = s.if_contains("data"); d != nullptr && d->is_string()) {
        out.push_back(Part::Text(std::string(d->get_string())));
        return std::nullopt;
      }
    }
    if (type == "content") {
      if (const json::value* c = s.if_contains("content"); c != nullptr) {
        if (c->is_string()) {
          out.push_back(Part::Text(std::string(c->get_string())));
          return std::nullopt;
        }
        if (c->is_array()) {
          for (const json::value& b : c->get_array()) {
            if (b.is_object() && detail::StringOr(b.get_object(), "type") == "text") {
              out.push_back(Part::Text(std::string(detail::StringOr(b.get_object(), "text"))));
            }
          }
          return std::nullopt;
        }
      }
    }
  }
  return Bad(where,
             "document blocks other than plain text (PDF, URL or file sources) are not supported "
             "by this model's provider");
}

// Content of a tool_result: a string or text/image blocks.
std::optional<Error> ParseToolResultContent(const json::value& v, const std::string& where,
                                            std::vector<Part>& out) {
  if (v.is_string()) {
    out.push_back(Part::Text(std::string(v.get_string())));
    return std::nullopt;
  }
  if (!v.is_array()) {
    return Bad(where, "Input should be a valid string or a list of content blocks");
  }
  std::size_t i = 0;
  for (const json::value& b : v.get_array()) {
    std::string bw = At(where, i++);
    if (!b.is_object()) {
      return Bad(bw, "Input should be an object");
    }
    const json::object& o = b.get_object();
    std::string type;
    if (auto e = RequireString(o, "type", bw, type)) {
      return e;
    }
    if (type == "text") {
      Part p;
      if (auto e = RequireString(o, "text", bw, p.text)) {
        return e;
      }
      out.push_back(std::move(p));
    } else if (type == "image") {
      Part p;
      if (auto e = ParseImage(o, bw, p)) {
        return e;
      }
      out.push_back(std::move(p));
    } else if (type == "document") {
      if (auto e = ParseDocument(o, bw, out)) {
        return e;
      }
    } else {
      return Bad(At(bw, "type"),
                 "content blocks of type '" + type + "' are not supported inside tool_result here");
    }
  }
  return std::nullopt;
}

std::optional<Error> ParseBlock(const json::object& o, const std::string& where, Role role,
                                std::vector<Part>& out) {
  std::string type;
  if (auto e = RequireString(o, "type", where, type)) {
    return e;
  }
  Part p;
  if (type == "text") {
    if (auto e = RequireString(o, "text", where, p.text)) {
      return e;
    }
  } else if (type == "image") {
    if (auto e = ParseImage(o, where, p)) {
      return e;
    }
  } else if (type == "document") {
    return ParseDocument(o, where, out);
  } else if (type == "tool_use") {
    if (role != Role::kAssistant) {
      return Bad(At(where, "type"), "tool_use blocks are only allowed in assistant messages");
    }
    p.type = Part::Type::kToolCall;
    if (auto e = RequireString(o, "id", where, p.id)) {
      return e;
    }
    if (auto e = RequireString(o, "name", where, p.name)) {
      return e;
    }
    const json::value* input = o.if_contains("input");
    if (input == nullptr) {
      return Bad(At(where, "input"), "Field required");
    }
    if (!input->is_object()) {
      return Bad(At(where, "input"), "Input should be a valid dictionary");
    }
    p.arguments = json::serialize(*input);
  } else if (type == "tool_result") {
    if (role != Role::kUser) {
      return Bad(At(where, "type"), "tool_result blocks are only allowed in user messages");
    }
    p.type = Part::Type::kToolResult;
    if (auto e = RequireString(o, "tool_use_id", where, p.id)) {
      return e;
    }
    if (const json::value* c = o.if_contains("content"); c != nullptr && !c->is_null()) {
      if (auto e = ParseToolResultContent(*c, At(where, "content"), p.content)) {
        return e;
      }
    }
    if (const json::value* ie = o.if_contains("is_error"); ie != nullptr && !ie->is_null()) {
      if (!ie->is_bool()) {
        return Bad(At(where, "is_error"), "Input should be a valid boolean");
      }
      p.is_error = ie->get_bool();
    }
  } else if (type == "thinking") {
    p.type = Part::Type::kThinking;
    if (auto e = RequireString(o, "thinking", where, p.text)) {
      return e;
    }
    if (auto e = OptionalString(o, "signature", where, p.signature)) {
      return e;
    }
  } else if (type == "redacted_thinking") {
    p.type = Part::Type::kRedactedThinking;
    if (auto e = RequireString(o, "data", where, p.data)) {
      return e;
    }
  } else {
    return Bad(At(where, "type"),
               "content blocks of type '" + type + "' are not supported by this model's provider");
  }
  out.push_back(std::move(p));
  return std::nullopt;
}

// content: a string or a list of blocks.
std::optional<Error> ParseContent(const json::value& v, const std::string& where, Role role,
                                  std::vector<Part>& out) {
  if (v.is_string()) {
    out.push_back(Part::Text(std::string(v.get_string())));
    return std::nullopt;
  }
  if (!v.is_array()) {
    return Bad(where, "Input should be a valid string or a list of content blocks");
  }
  std::size_t i = 0;
  for (const json::value& b : v.get_array()) {
    std::string bw = At(where, i++);
    if (!b.is_object()) {
      return Bad(bw, "Input should be an object");
    }
    if (auto e = ParseBlock(b.get_object(), bw, role, out)) {
      return e;
    }
  }
  return std::nullopt;
}

// System content (top-level `system` or a {"role":"system"} message): text only.
std::optional<Error> ParseSystem(const json::value& v, const std::string& where,
                                 std::vector<Part>& out) {
  if (v.is_string()) {
    if (!v.get_string().empty()) {
      out.push_back(Part::Text(std::string(v.get_string())));
    }
    return std::nullopt;
  }
  if (!v.is_array()) {
    return Bad(where, "Input should be a valid string or a list of text blocks");
  }
  std::size_t i = 0;
  for (const json::value& b : v.get_array()) {
    std::string bw = At(where, i++);
    if (!b.is_object()) {
      return Bad(bw, "Input should be an object");
    }
    const json::object& o = b.get_object();
    std::string type;
    if (auto e = RequireString(o, "type", bw, type)) {
      return e;
    }
    if (type != "text") {
      return Bad(At(bw, "type"), "system blocks must be of type 'text'");
    }
    Part p;
    if (auto e = RequireString(o, "text", bw, p.text)) {
      return e;
    }
    out.push_back(std::move(p));
  }
  return std::nullopt;
}

std::optional<Error> ParseTools(const json::value& v, Request& r) {
  if (!v.is_array()) {
    return Bad("tools", "Input should be a valid list");
  }
  std::size_t i = 0;
  for (const json::value& t : v.get_array()) {
    std::string where = At("tools", i++);
    if (!t.is_object()) {
      return Bad(where, "Input should be an object");
    }
    const json::object& o = t.get_object();
    std::string_view type = detail::StringOr(o, "type", "custom");
    if (type != "custom") {
      // Server tools (web_search_..., bash_..., text_editor_..., code_execution_...) run inside
      // Anthropic's platform; no other provider can execute them.
      return Bad(At(where, "type"), "server tools of type '" + std::string(type) +
                                        "' are only available on Anthropic upstreams");
    }
    canon::Tool tool;
    if (auto e = RequireString(o, "name", where, tool.name)) {
      return e;
    }
    if (auto e = OptionalString(o, "description", where, tool.description)) {
      return e;
    }
    const json::value* schema = o.if_contains("input_schema");
    if (schema == nullptr) {
      return Bad(At(where, "input_schema"), "Field required");
    }
    if (!schema->is_object()) {
      return Bad(At(where, "input_schema"), "Input should be a valid dictionary");
    }
    tool.parameters = json::serialize(*schema);
    if (const json::value* s = o.if_contains("strict"); s != nullptr && s->is_bool()) {
      tool.strict = s->get_bool();
    }
    r.tools.push_back(std::move(tool));
  }
  return std::nullopt;
}

std::optional<Error> ParseToolChoice(const json::value& v, Request& r) {
  if (!v.is_object()) {
    return Bad("tool_choice", "Input should be an object");
  }
  const json::object& o = v.get_object();
  std::string type;
  if (auto e = RequireString(o, "type", "tool_choice", type)) {
    return e;
  }
  using Mode = canon::ToolChoice::Mode;
  if (type == "auto") {
    r.tool_choice.mode = Mode::kAuto;
  } else if (type == "any") {
    r.tool_choice.mode = Mode::kAny;
  } else if (type == "none") {
    r.tool_choice.mode = Mode::kNone;
  } else if (type == "tool") {
    r.tool_choice.mode = Mode::kTool;
    if (auto e = RequireString(o, "name", "tool_choice", r.tool_choice.name)) {
      return e;
    }
  } else {
    return Bad("tool_choice.type", "Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (const json::value* d = o.if_contains("disable_parallel_tool_use");
      d != nullptr && !d->is_null()) {
    if (!d->is_bool()) {
      return Bad("tool_choice.disable_parallel_tool_use", "Input should be a valid boolean");
    }
    if (d->get_bool()) {
      r.parallel_tool_calls = false;
    }
  }
  return std::nullopt;
}

std::optional<Error> ParseThinking(const json::value& v, Request& r) {
  if (!v.is_object()) {
    return Bad("thinking", "Input should be an object");
  }
  const json::object& o = v.get_object();
  std::string type;
  if (auto e = RequireString(o, "type", "thinking", type)) {
    return e;
  }
  if (type == "enabled") {
    const json::value* b = o.if_contains("budget_tokens");
    if (b == nullptr) {
      return Bad("thinking.enabled.budget_tokens", "Field required");
    }
    auto budget = AsInt(*b);
    if (!budget) {
      return Bad("thinking.enabled.budget_tokens", "Input should be a valid integer");
    }
    r.thinking_enabled = true;
    r.thinking_budget = budget;
  } else if (type == "adaptive") {
    r.thinking_enabled = true;
  } else if (type != "disabled") {
    return Bad("thinking.type", "Input should be 'enabled', 'adaptive' or 'disabled'");
  }
  return std::nullopt;
}

std::optional<Error> ParseNumber(const json::object& o, std::string_view key,
                                 std::optional<double>& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  out = AsDouble(*v);
  if (!out) {
    return Bad(std::string(key), "Input should be a valid number");
  }
  return std::nullopt;
}

std::optional<Error> ParseBody(const json::object& o, Request& r) {
  if (auto e = RequireString(o, "model", "", r.model)) {
    return e;
  }
  const json::value* mt = o.if_contains("max_tokens");
  if (mt == nullptr || mt->is_null()) {
    return Bad("max_tokens", "Field required");
  }
  r.max_tokens = AsInt(*mt);
  if (!r.max_tokens) {
    return Bad("max_tokens", "Input should be a valid integer");
  }
  if (*r.max_tokens < 1) {
    return Bad("max_tokens", "Input should be greater than or equal to 1");
  }

  if (const json::value* s = o.if_contains("system"); s != nullptr && !s->is_null()) {
    if (auto e = ParseSystem(*s, "system", r.system)) {
      return e;
    }
  }

  const json::value* msgs = o.if_contains("messages");
  if (msgs == nullptr) {
    return Bad("messages", "Field required");
  }
  if (!msgs->is_array()) {
    return Bad("messages", "Input should be a valid list");
  }
  std::size_t i = 0;
  for (const json::value& m : msgs->get_array()) {
    std::string where = At("messages", i++);
    if (!m.is_object()) {
      return Bad(where, "Input should be an object");
    }
    const json::object& mo = m.get_object();
    std::string role;
    if (auto e = RequireString(mo, "role", where, role)) {
      return e;
    }
    const json::value* content = mo.if_contains("content");
    if (content == nullptr) {
      return Bad(At(where, "content"), "Field required");
    }
    if (role == "system") {
      if (auto e = ParseSystem(*content, At(where, "content"), r.system)) {
        return e;
      }
      continue;
    }
    Message msg;
    if (role == "user") {
      msg.role = Role::kUser;
    } else if (role == "assistant") {
      msg.role = Role::kAssistant;
    } else {
      return Bad(At(where, "role"), "Input should be 'user' or 'assistant'");
    }
    if (auto e = ParseContent(*content, At(where, "content"), msg.role, msg.parts)) {
      return e;
    }
    r.messages.push_back(std::move(msg));
  }

  if (const json::value* ss = o.if_contains("stop_sequences"); ss != nullptr && !ss->is_null()) {
    if (!ss->is_array()) {
      return Bad("stop_sequences", "Input should be a valid list");
    }
    std::size_t k = 0;
    for (const json::value& s : ss->get_array()) {
      if (!s.is_string()) {
        return Bad(At("stop_sequences", k), "Input should be a valid string");
      }
      r.stop.emplace_back(s.get_string());
      ++k;
    }
  }
  if (auto e = ParseNumber(o, "temperature", r.temperature)) {
    return e;
  }
  if (auto e = ParseNumber(o, "top_p", r.top_p)) {
    return e;
  }
  if (const json::value* tk = o.if_contains("top_k"); tk != nullptr && !tk->is_null()) {
    r.top_k = AsInt(*tk);
    if (!r.top_k) {
      return Bad("top_k", "Input should be a valid integer");
    }
  }
  if (const json::value* t = o.if_contains("tools"); t != nullptr && !t->is_null()) {
    if (auto e = ParseTools(*t, r)) {
      return e;
    }
  }
  if (const json::value* tc = o.if_contains("tool_choice"); tc != nullptr && !tc->is_null()) {
    if (auto e = ParseToolChoice(*tc, r)) {
      return e;
    }
  }
  if (const json::value* th = o.if_contains("thinking"); th != nullptr && !th->is_null()) {
    if (auto e = ParseThinking(*th, r)) {
      return e;
    }
  }
  // output_config.effort (newer API) is the same knob as OpenAI's reasoning_effort.
  if (const json::value* oc = o.if_contains("output_config"); oc != nullptr && oc->is_object()) {
    std::string_view effort = detail::StringOr(oc->get_object(), "effort");
    if (!effort.empty()) {
      r.reasoning_effort = std::string(effort);
    }
  }
  if (const json::value* md = o.if_contains("metadata"); md != nullptr && !md->is_null()) {
    if (!md->is_object()) {
      return Bad("metadata", "Input should be an object");
    }
    if (auto e = OptionalString(md->get_object(), "user_id", "metadata", r.user)) {
      return e;
    }
  }
  if (const json::value* st = o.if_contains("stream"); st != nullptr && !st->is_null()) {
    if (!st->is_bool()) {
      return Bad("stream", "Input should be a valid boolean");
    }
    r.stream = st->get_bool();
  }
  return std::nullopt;
}

// ---- Rendering ----

bool IsBlank(std::string_view s) {
  return std::ranges::all_of(
      s, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

json::object ParseObjectOr(std::string_view text, json::object fallback) {
  if (auto v = ParseJson(text); v && v->is_object()) {
    return std::move(v->get_object());
  }
  return fallback;
}

json::object ImageBlock(const Part& p) {
  json::object source;
  if (!p.url.empty() && p.data.empty()) {
    source["type"] = "url";
    source["url"] = p.url;
  } else {
    source["type"] = "base64";
    source["media_type"] = p.media_type.empty() ? "image/png" : p.media_type;
    source["data"] = p.data;
  }
  json::object b;
  b["type"] = "image";
  b["source"] = std::move(source);
  return b;
}

json::object TextBlock(std::string_view text) {
  json::object b;
  b["type"] = "text";
  b["text"] = text;
  return b;
}

// Appends the Anthropic blocks for one part (none for parts Anthropic cannot take back).
void AppendBlocks(const Part& p, json::array& out) {
  switch (p.type) {
    case Part::Type::kText:
      // Anthropic rejects empty text blocks ("text content blocks must be non-empty").
      if (!p.text.empty()) {
        out.push_back(TextBlock(p.text));
      }
      break;
    case Part::Type::kImage:
      out.push_back(ImageBlock(p));
      break;
    case Part::Type::kToolCall: {
      json::object b;
      b["type"] = "tool_use";
      b["id"] = p.id.empty() ? canon::NewId("toolu_") : p.id;
      b["name"] = p.name;
      // Invalid argument text (a model's broken JSON) becomes {}: Anthropic needs an object.
      b["input"] = ParseObjectOr(p.arguments, json::object{});
      out.push_back(std::move(b));
      break;
    }
    case Part::Type::kToolResult: {
      json::object b;
      b["type"] = "tool_result";
      b["tool_use_id"] = p.id;
      bool text_only =
          std::ranges::all_of(p.content, [](const Part& c) { return c.type == Part::Type::kText; });
      if (text_only) {
        std::string text;
        for (const Part& c : p.content) {
          text += c.text;
        }
        if (!text.empty()) {
          b["content"] = text;
        }
      } else {
        json::array content;
        for (const Part& c : p.content) {
          AppendBlocks(c, content);
        }
        b["content"] = std::move(content);
      }
      if (p.is_error) {
        b["is_error"] = true;
      }
      out.push_back(std::move(b));
      break;
    }
    case Part::Type::kThinking:
      // Anthropic verifies signatures; thinking from another provider (no signature) would be
      // rejected, so it is dropped.
      if (!p.signature.empty()) {
        json::object b;
        b["type"] = "thinking";
        b["thinking"] = p.text;
        b["signature"] = p.signature;
        out.push_back(std::move(b));
      }
      break;
    case Part::Type::kRedactedThinking:
      if (!p.data.empty()) {
        json::object b;
        b["type"] = "redacted_thinking";
        b["data"] = p.data;
        out.push_back(std::move(b));
      }
      break;
  }
}

std::optional<int64_t> BudgetForEffort(std::string_view effort) {
  if (effort == "minimal" || effort == "low") {
    return 1024;
  }
  if (effort == "medium") {
    return 2048;
  }
  if (effort == "high" || effort == "xhigh" || effort == "max") {
    return 4096;
  }
  return std::nullopt;
}

}  // namespace

Result<Request> ParseRequest(std::string_view body) {
  auto doc = ParseJson(body);
  if (!doc) {
    return Error(ErrorKind::kBadRequest, "The request body is not valid JSON");
  }
  if (!doc->is_object()) {
    return Error(ErrorKind::kBadRequest, "The request body must be a JSON object");
  }
  Request r;
  if (auto e = ParseBody(doc->get_object(), r)) {
    return std::move(*e);
  }
  return r;
}

std::string RenderRequest(const Request& request, std::string_view model) {
  json::object body;
  body["model"] = model.empty() ? std::string_view(request.model) : model;

  // Thinking: an explicit budget wins; otherwise an effort maps to a budget; thinking asked for
  // without either (Gemini includeThoughts, Anthropic adaptive) gets the medium budget.
  std::optional<int64_t> budget = request.thinking_budget;
  if (!budget && !request.reasoning_effort.empty() && request.reasoning_effort != "none") {
    budget = BudgetForEffort(request.reasoning_effort);
  }
  if (!budget && request.thinking_enabled) {
    budget = 2048;
  }
  // A json_schema response format becomes a forced tool whose input is the answer (Anthropic
  // has no schema-constrained text without a beta); the response side turns the call back into
  // text. Anthropic refuses forced tool use with thinking on, so thinking gives way.
  std::optional<json::object> json_schema;
  if (request.response_format == Request::Format::kJsonSchema) {
    if (auto v = ParseJson(request.response_schema); v && v->is_object()) {
      json_schema = std::move(v->get_object());
      budget.reset();
    }
  }
  int64_t max_tokens = request.max_tokens.value_or(kDefaultMaxTokens);
  if (budget) {
    // Anthropic requires budget_tokens < max_tokens. With no client cap, raise the default so
    // the answer still has room; with a client cap, shrink the budget (minimum 1024) or drop
    // thinking when the cap is too small for any.
    if (!request.max_tokens && max_tokens <= *budget) {
      max_tokens = *budget + kDefaultMaxTokens;
    } else if (max_tokens <= *budget) {
      budget = max_tokens - 1;
    }
    if (*budget < 1024) {
      budget.reset();
    }
  }
  body["max_tokens"] = max_tokens;

  if (!request.system.empty()) {
    json::array system;
    for (const Part& p : request.system) {
      if (!p.text.empty()) {
        system.push_back(TextBlock(p.text));
      }
    }
    if (!system.empty()) {
      body["system"] = std::move(system);
    }
  }

  // Roles must alternate: consecutive turns of one role (e.g. several role:"tool" messages, or
  // a tool result followed by a user text) become one message.
  json::array messages;
  Role last_role = Role::kUser;
  for (const Message& m : request.messages) {
    json::array blocks;
    for (const Part& p : m.parts) {
      AppendBlocks(p, blocks);
    }
    if (blocks.empty()) {
      continue;
    }
    if (!messages.empty() && m.role == last_role) {
      json::array& prev = messages.back().as_object()["content"].as_array();
      for (auto& b : blocks) {
        prev.push_back(std::move(b));
      }
      continue;
    }
    json::object msg;
    msg["role"] = m.role == Role::kUser ? "user" : "assistant";
    msg["content"] = std::move(blocks);
    messages.push_back(std::move(msg));
    last_role = m.role;
  }
  body["messages"] = std::move(messages);

  json::array stops;
  for (const std::string& s : request.stop) {
    if (!IsBlank(s)) {
      stops.emplace_back(s);
    }
  }
  if (!stops.empty()) {
    body["stop_sequences"] = std::move(stops);
  }

  if (budget) {
    // With thinking on, Anthropic accepts no temperature other than 1, no top_k, and top_p only
    // from 0.95: sampling settings from another dialect are left out rather than rejected.
    json::object thinking;
    thinking["type"] = "enabled";
    thinking["budget_tokens"] = *budget;
    body["thinking"] = std::move(thinking);
  } else {
    if (request.temperature) {
      body["temperature"] = std::clamp(*request.temperature, 0.0, 1.0);
    }
    if (request.top_p) {
      body["top_p"] = *request.top_p;
    }
    if (request.top_k) {
      body["top_k"] = *request.top_k;
    }
  }

  if (!request.tools.empty() || json_schema) {
    json::array tools;
    for (const canon::Tool& t : request.tools) {
      json::object tool;
      tool["name"] = t.name;
      if (!t.description.empty()) {
        tool["description"] = t.description;
      }
      json::object empty_schema;
      empty_schema["type"] = "object";
      empty_schema["properties"] = json::object{};
      tool["input_schema"] = ParseObjectOr(t.parameters, std::move(empty_schema));
      tools.push_back(std::move(tool));
    }
    if (json_schema) {
      json::object tool;
      tool["name"] = kJsonToolName;
      tool["description"] = "Respond with a JSON object that follows this schema.";
      tool["input_schema"] = std::move(*json_schema);
      tools.push_back(std::move(tool));
    }
    body["tools"] = std::move(tools);

    using Mode = canon::ToolChoice::Mode;
    json::object choice;
    switch (request.tool_choice.mode) {
      case Mode::kAuto:
        choice["type"] = "auto";
        break;
      case Mode::kAny:
        choice["type"] = "any";
        break;
      case Mode::kNone:
        choice["type"] = "none";
        break;
      case Mode::kTool:
        choice["type"] = "tool";
        choice["name"] = request.tool_choice.name;
        break;
      case Mode::kUnset:
        break;
    }
    if (request.parallel_tool_calls == false && request.tool_choice.mode != Mode::kNone) {
      if (choice.empty()) {
        choice["type"] = "auto";
      }
      choice["disable_parallel_tool_use"] = true;
    }
    if (json_schema) {
      choice = json::object{};
      choice["type"] = "tool";
      choice["name"] = kJsonToolName;
    }
    if (!choice.empty()) {
      body["tool_choice"] = std::move(choice);
    }
  }

  if (!request.user.empty()) {
    json::object metadata;
    metadata["user_id"] = request.user;
    body["metadata"] = std::move(metadata);
  }
  if (request.stream) {
    body["stream"] = true;
  }
  return json::serialize(body);
}

}  // namespace baton::anthropic
