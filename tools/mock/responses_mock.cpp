// OpenAI Responses API for baton-mock (WIRE_FORMATS.md §2): the response object and the
// streaming event sequence with sequence_number, for text, function calls and reasoning
// summaries.
#include <string>

#include "mock/dialect_mock.hpp"
#include "mock/dialect_util.hpp"

namespace baton::mock {

using namespace detail;  // NOLINT(google-build-using-namespace): internal helpers

namespace {

DialectError Missing(std::string_view name) {
  return DialectError{400, "Missing required parameter: '" + std::string(name) + "'.", {}};
}

std::string Id(std::string_view prefix, const GenIds& ids) {
  return std::string(prefix) + std::to_string(ids.seq);
}

std::string CallSuffix(const GenIds& ids, std::size_t k) {
  return std::to_string(ids.seq) + "_" + std::to_string(k);
}

std::string ReasoningItem(const GenReply& reply, const GenIds& ids, bool done) {
  std::string b = "{\"id\":";
  AppendJsonString(b, Id("rs_mock", ids));
  b += ",\"type\":\"reasoning\",\"summary\":[";
  if (done) {
    b += "{\"type\":\"summary_text\",\"text\":";
    AppendJsonString(b, JoinWords(reply.thought));
    b += '}';
  }
  b += "]}";
  return b;
}

std::string TextPart(std::string_view text) {
  std::string b = "{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":";
  AppendJsonString(b, text);
  b += '}';
  return b;
}

std::string MessageItem(const GenReply& reply, const GenIds& ids, bool done) {
  std::string b = "{\"id\":";
  AppendJsonString(b, Id("msg_mock", ids));
  b += ",\"type\":\"message\",\"status\":";
  b += done ? "\"completed\"" : "\"in_progress\"";
  b += ",\"content\":[";
  if (done) {
    b += TextPart(JoinWords(reply.words));
  }
  b += "],\"role\":\"assistant\"}";
  return b;
}

std::string CallItem(const GenReply& reply, const GenIds& ids, std::size_t k, bool done) {
  std::string b = "{\"id\":";
  AppendJsonString(b, "fc_mock" + CallSuffix(ids, k));
  b += ",\"type\":\"function_call\",\"status\":";
  b += done ? "\"completed\"" : "\"in_progress\"";
  b += ",\"arguments\":";
  AppendJsonString(b, done ? reply.calls[k].arguments : std::string());
  b += ",\"call_id\":";
  AppendJsonString(b, "call_mock" + CallSuffix(ids, k));
  b += ",\"name\":";
  AppendJsonString(b, reply.calls[k].name);
  b += '}';
  return b;
}

// The response object; `final` = completed (or incomplete) with output and usage, otherwise
// in_progress with no output.
std::string ResponseObject(const GenRequest& request, const GenReply& reply, const GenIds& ids,
                           bool final) {
  const bool incomplete = final && reply.stop == GenReply::Stop::kLength;
  std::string b = "{\"id\":";
  AppendJsonString(b, Id("resp_mock", ids));
  b += ",\"object\":\"response\",\"created_at\":";
  AppendInt(b, ids.created);
  b += ",\"status\":";
  b += !final ? "\"in_progress\"" : incomplete ? "\"incomplete\"" : "\"completed\"";
  b += ",\"background\":false,\"error\":null,\"incomplete_details\":";
  b += incomplete ? "{\"reason\":\"max_output_tokens\"}" : "null";
  b += ",\"instructions\":null,\"max_output_tokens\":";
  if (request.max_tokens) {
    AppendInt(b, *request.max_tokens);
  } else {
    b += "null";
  }
  b += ",\"model\":";
  AppendJsonString(b, request.model);
  b += ",\"output\":[";
  if (final) {
    bool first = true;
    auto comma = [&b, &first] {
      if (!first) {
        b += ',';
      }
      first = false;
    };
    if (!reply.thought.empty()) {
      comma();
      b += ReasoningItem(reply, ids, true);
    }
    if (!reply.words.empty()) {
      comma();
      b += MessageItem(reply, ids, true);
    }
    for (std::size_t k = 0; k < reply.calls.size(); ++k) {
      comma();
      b += CallItem(reply, ids, k, true);
    }
  }
  b += "],\"parallel_tool_calls\":true,\"previous_response_id\":null,\"reasoning\":{\"effort\":"
       "null,\"summary\":null},\"store\":true,\"temperature\":1.0,\"text\":{\"format\":{"
       "\"type\":\"text\"}},\"tool_choice\":\"auto\",\"tools\":[],\"top_p\":1.0,"
       "\"truncation\":\"disabled\",\"usage\":";
  if (final) {
    b += "{\"input_tokens\":";
    AppendInt(b, reply.prompt_tokens);
    b += ",\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":";
    AppendInt(b, reply.completion_tokens);
    b += ",\"output_tokens_details\":{\"reasoning_tokens\":";
    AppendInt(b, reply.thinking_tokens);
    b += "},\"total_tokens\":";
    AppendInt(b, reply.prompt_tokens + reply.completion_tokens);
    b += '}';
  } else {
    b += "null";
  }
  b += ",\"user\":null,\"metadata\":{}}";
  return b;
}

class ResponsesEvents {
 public:
  // `fields` continues the object after "sequence_number":n (starting with a comma) and closes it.
  void Add(std::string_view type, std::string_view fields, bool content) {
    std::string& b = s_.bytes();
    b += "event: ";
    b += type;
    b += "\ndata: {\"type\":\"";
    b += type;
    b += "\",\"sequence_number\":";
    AppendInt(b, static_cast<int64_t>(s_.size()));
    b += fields;
    b += "\n\n";
    s_.Close(content);
  }
  SseStream Take() { return s_.Take(); }

 private:
  EventBuilder s_;
};

std::string ItemFields(std::size_t output_index, std::string_view item) {
  std::string f = ",\"output_index\":";
  AppendInt(f, static_cast<int64_t>(output_index));
  f += ",\"item\":";
  f += item;
  f += '}';
  return f;
}

std::string Where(std::string_view item_id, std::size_t output_index) {
  std::string f = ",\"item_id\":";
  AppendJsonString(f, item_id);
  f += ",\"output_index\":";
  AppendInt(f, static_cast<int64_t>(output_index));
  return f;
}

std::string Piece(const std::vector<std::string_view>& words, std::size_t i) {
  return i == 0 ? std::string(words[i]) : " " + std::string(words[i]);
}

}  // namespace

std::optional<DialectError> ParseResponsesRequest(std::string_view body, GenRequest* out) {
  json::value root;
  if (!ParseObject(body, root)) {
    return DialectError{400,
                        "We could not parse the JSON body of your request. (HINT: This likely "
                        "means you aren't using your HTTP library correctly. The OpenAI API "
                        "expects a JSON payload, but what was sent was not valid JSON.)",
                        {}};
  }
  const json::object& o = root.get_object();
  std::optional<std::string_view> model = FindString(o, "model");
  if (!model) {
    return Missing("model");
  }
  out->model = std::string(*model);
  const json::value* input = Find(o, "input");
  if (input == nullptr || !(input->is_string() || input->is_array())) {
    return Missing("input");
  }
  if (const json::value* s = Find(o, "stream"); s && s->is_bool()) {
    out->stream = s->get_bool();
  }
  int64_t words = 0;
  if (const json::value* instructions = Find(o, "instructions")) {
    CollectText(*instructions, &words, nullptr);
  }
  CollectText(*input, &words, nullptr);
  out->prompt_tokens = std::max<int64_t>(words, 1);
  const json::value* last_user = input->is_string() ? input : nullptr;
  if (input->is_array()) {
    for (const json::value& item : input->get_array()) {
      if (item.is_object() &&
          FindString(item.get_object(), "role") == std::optional<std::string_view>("user")) {
        last_user = Find(item.get_object(), "content");
      }
    }
    const json::array& items = input->get_array();
    if (!items.empty() && items.back().is_object()) {
      out->last_is_tool_result = FindString(items.back().get_object(), "type") ==
                                 std::optional<std::string_view>("function_call_output");
    }
  }
  std::string text;
  if (last_user) {
    int64_t ignored = 0;
    CollectText(*last_user, &ignored, &text);
  }
  out->text_hash = Fnv1a(text);
  if (const json::value* max = Find(o, "max_output_tokens"); max && !max->is_null()) {
    std::optional<int64_t> n = AsInt(*max);
    if (!n || *n < 16) {
      return DialectError{400,
                          "Invalid 'max_output_tokens': integer below minimum value. Expected a "
                          "value >= 16.",
                          {}};
    }
    out->max_tokens = *n;
  }
  if (const json::array* tools = FindArray(o, "tools")) {
    for (const json::value& t : *tools) {
      if (!t.is_object()) {
        continue;
      }
      const json::object& to = t.get_object();
      if (FindString(to, "type") != std::optional<std::string_view>("function")) {
        continue;  // built-in tools (web_search, file_search, ...) are not called by the mock
      }
      const json::object* fn = FindObject(to, "function");
      const json::object& f = fn ? *fn : to;
      if (std::optional<std::string_view> name = FindString(f, "name")) {
        out->tools.push_back({std::string(*name), ArgumentsFromRequired(Find(f, "parameters"))});
      }
    }
  }
  if (const json::value* choice = Find(o, "tool_choice")) {
    if (choice->is_string() && choice->get_string() == "none") {
      out->tools_disabled = true;
    } else if (choice->is_object()) {
      out->tool_choice_name = std::string(FindString(choice->get_object(), "name").value_or(""));
    }
  }
  if (const json::object* reasoning = FindObject(o, "reasoning")) {
    const json::value* summary = Find(*reasoning, "summary");
    out->thinking = summary && summary->is_string();
  }
  return std::nullopt;
}

std::string ResponsesBody(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  return ResponseObject(request, reply, ids, true);
}

SseStream ResponsesStream(const GenRequest& request, const GenReply& reply, const GenIds& ids) {
  ResponsesEvents e;
  std::string f = ",\"response\":" + ResponseObject(request, reply, ids, false) + "}";
  e.Add("response.created", f, false);
  e.Add("response.in_progress", f, false);
  std::size_t output_index = 0;
  if (!reply.thought.empty()) {
    const std::string id = Id("rs_mock", ids);
    const std::string where = Where(id, output_index) + ",\"summary_index\":0";
    e.Add("response.output_item.added", ItemFields(output_index, ReasoningItem(reply, ids, false)),
          false);
    e.Add("response.reasoning_summary_part.added",
          where + ",\"part\":{\"type\":\"summary_text\",\"text\":\"\"}}", false);
    for (std::size_t i = 0; i < reply.thought.size(); ++i) {
      std::string d = where + ",\"delta\":";
      AppendJsonString(d, Piece(reply.thought, i));
      d += '}';
      e.Add("response.reasoning_summary_text.delta", d, true);
    }
    std::string text;
    AppendJsonString(text, JoinWords(reply.thought));
    e.Add("response.reasoning_summary_text.done", where + ",\"text\":" + text + "}", false);
    e.Add("response.reasoning_summary_part.done",
          where + ",\"part\":{\"type\":\"summary_text\",\"text\":" + text + "}}", false);
    e.Add("response.output_item.done", ItemFields(output_index, ReasoningItem(reply, ids, true)),
          false);
    ++output_index;
  }
  if (!reply.words.empty()) {
    const std::string id = Id("msg_mock", ids);
    const std::string where = Where(id, output_index) + ",\"content_index\":0";
    e.Add("response.output_item.added", ItemFields(output_index, MessageItem(reply, ids, false)),
          false);
    e.Add("response.content_part.added", where + ",\"part\":" + TextPart("") + "}", false);
    for (std::size_t i = 0; i < reply.words.size(); ++i) {
      std::string d = where + ",\"delta\":";
      AppendJsonString(d, Piece(reply.words, i));
      d += ",\"logprobs\":[]}";
      e.Add("response.output_text.delta", d, true);
    }
    const std::string full = JoinWords(reply.words);
    std::string done = where + ",\"text\":";
    AppendJsonString(done, full);
    done += ",\"logprobs\":[]}";
    e.Add("response.output_text.done", done, false);
    e.Add("response.content_part.done", where + ",\"part\":" + TextPart(full) + "}", false);
    e.Add("response.output_item.done", ItemFields(output_index, MessageItem(reply, ids, true)),
          false);
    ++output_index;
  }
  for (std::size_t k = 0; k < reply.calls.size(); ++k) {
    const std::string id = "fc_mock" + CallSuffix(ids, k);
    const std::string where = Where(id, output_index);
    e.Add("response.output_item.added", ItemFields(output_index, CallItem(reply, ids, k, false)),
          false);
    for (std::string_view fragment : Fragments(reply.calls[k].arguments, 8)) {
      std::string d = where + ",\"delta\":";
      AppendJsonString(d, fragment);
      d += '}';
      e.Add("response.function_call_arguments.delta", d, true);
    }
    std::string done = where + ",\"arguments\":";
    AppendJsonString(done, reply.calls[k].arguments);
    done += '}';
    e.Add("response.function_call_arguments.done", done, false);
    e.Add("response.output_item.done", ItemFields(output_index, CallItem(reply, ids, k, true)),
          false);
    ++output_index;
  }
  const bool incomplete = reply.stop == GenReply::Stop::kLength;
  e.Add(incomplete ? "response.incomplete" : "response.completed",
        ",\"response\":" + ResponseObject(request, reply, ids, true) + "}", false);
  return e.Take();
}

}  // namespace baton::mock
