// OpenAI Responses codec: request items, response objects, the semantic event stream.
#include "dialects/openai_responses/responses_codec.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/openai_chat/openai_codec.hpp"
#include "dialects/sse.hpp"

namespace baton::canon {
namespace {

namespace json = boost::json;
using Type = StreamEvent::Type;

std::string Fixture(const std::string& name) {
  std::filesystem::path path =
      std::filesystem::path(BATON_SOURCE_DIR) / "tests" / "fixtures" / "openai" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct WireEvent {
  std::string event;
  json::value data;
};

std::vector<WireEvent> Split(std::string_view body) {
  std::vector<WireEvent> out;
  SseSplitter splitter;
  splitter.Feed(body, [&](const SseEvent& ev) {
    if (ev.has_data) {
      out.push_back({std::string(ev.event), json::parse(ev.data)});
    }
    return true;
  });
  return out;
}

std::string EncodeAll(const StreamEvents& events, const Request& req) {
  auto e = MakeResponsesEncoder(req);
  std::string out;
  for (const auto& ev : events) {
    e->Encode(ev, out);
  }
  return out;
}

StreamEvents Decode(std::string_view body, bool byte_by_byte = false) {
  auto d = MakeResponsesDecoder();
  StreamEvents out;
  if (byte_by_byte) {
    for (char c : body) {
      d->Feed(std::string_view(&c, 1), out);
    }
  } else {
    d->Feed(body, out);
  }
  d->Finish(out);
  return out;
}

StreamEvents DecodeChat(std::string_view body) {
  auto d = MakeOpenAiChatDecoder();
  StreamEvents out;
  d->Feed(body, out);
  d->Finish(out);
  return out;
}

// The content of a stream, for comparing two.
struct Summary {
  std::string text;
  std::string thinking;
  std::vector<std::string> calls;  // "id name args"
  FinishReason finish = FinishReason::kNone;
  int64_t input_tokens = -1;
  int64_t output_tokens = -1;
  int ends = 0;
  int errors = 0;
  bool operator==(const Summary&) const = default;
};

Summary Summarize(const StreamEvents& events) {
  Summary s;
  std::map<int, std::size_t> calls;
  for (const auto& ev : events) {
    switch (ev.type) {
      case Type::kTextDelta:
        s.text += ev.text;
        break;
      case Type::kThinkingDelta:
        s.thinking += ev.text;
        break;
      case Type::kToolCallStart:
        calls[ev.tool_index] = s.calls.size();
        s.calls.push_back(ev.id + " " + ev.name + " ");
        break;
      case Type::kToolArgsDelta:
        s.calls[calls.at(ev.tool_index)] += ev.text;
        break;
      case Type::kFinish:
        s.finish = ev.finish;
        break;
      case Type::kUsage:
        s.input_tokens = ev.usage.input_tokens;
        s.output_tokens = ev.usage.output_tokens;
        break;
      case Type::kEnd:
        ++s.ends;
        break;
      case Type::kError:
        ++s.errors;
        break;
      default:
        break;
    }
  }
  return s;
}

StreamEvent Ev(Type t, std::string text = {}, int tool_index = 0) {
  StreamEvent e;
  e.type = t;
  e.text = std::move(text);
  e.tool_index = tool_index;
  return e;
}

Request DefaultRequest() {
  Request r;
  r.model = "gpt-4o";
  r.messages.push_back({Role::kUser, {Part::Text("hi")}});
  return r;
}

TEST(OpenAiResponsesRequest, StringInputAndInstructions) {
  auto r = ParseResponsesRequest(
      R"({"model":"gpt-4o","instructions":"Be terse.","input":"Hello","max_output_tokens":50,
          "temperature":0.3,"top_p":0.8,"user":"u1","stream":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->system.size(), 1U);
  EXPECT_EQ(r->system[0].text, "Be terse.");
  ASSERT_EQ(r->messages.size(), 1U);
  EXPECT_EQ(r->messages[0].parts[0].text, "Hello");
  EXPECT_EQ(r->max_tokens, 50);
  EXPECT_EQ(r->temperature, 0.3);
  EXPECT_EQ(r->top_p, 0.8);
  EXPECT_EQ(r->user, "u1");
  EXPECT_TRUE(r->stream);
}

TEST(OpenAiResponsesRequest, ItemsToTurns) {
  auto r = ParseResponsesRequest(R"({"model":"m","input":[
      {"role":"developer","content":"Use tools."},
      {"role":"user","content":[{"type":"input_text","text":"Weather?"},
                                {"type":"input_image","image_url":"data:image/jpeg;base64,/9j/AA=="}]},
      {"type":"reasoning","id":"rs_1","summary":[]},
      {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Checking."}]},
      {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
      {"type":"function_call","call_id":"call_2","name":"get_time","arguments":""},
      {"type":"function_call_output","call_id":"call_1","output":"sunny"},
      {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
      {"role":"user","content":"Thanks"}],
    "tools":[{"type":"function","name":"get_weather","description":"d","parameters":{"type":"object"},"strict":true},
             {"type":"function","name":"get_time"}],
    "tool_choice":{"type":"function","name":"get_weather"},"parallel_tool_calls":false,
    "reasoning":{"effort":"low"},
    "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->system.size(), 1U);
  ASSERT_EQ(r->messages.size(), 3U);
  EXPECT_EQ(r->messages[0].parts[1].type, Part::Type::kImage);
  EXPECT_EQ(r->messages[0].parts[1].media_type, "image/jpeg");
  const Message& a = r->messages[1];
  EXPECT_EQ(a.role, Role::kAssistant);
  ASSERT_EQ(a.parts.size(), 3U);
  EXPECT_EQ(a.parts[0].text, "Checking.");
  EXPECT_EQ(a.parts[1].id, "call_1");
  EXPECT_EQ(a.parts[2].arguments, "{}");
  const Message& u = r->messages[2];
  ASSERT_EQ(u.parts.size(), 3U);
  EXPECT_EQ(u.parts[0].type, Part::Type::kToolResult);
  EXPECT_EQ(u.parts[0].name, "get_weather");
  EXPECT_EQ(u.parts[1].content[0].text, "noon");
  EXPECT_EQ(u.parts[2].text, "Thanks");
  ASSERT_EQ(r->tools.size(), 2U);
  EXPECT_EQ(r->tools[0].strict, true);
  EXPECT_EQ(r->tool_choice.mode, ToolChoice::Mode::kTool);
  EXPECT_EQ(r->parallel_tool_calls, false);
  EXPECT_EQ(r->reasoning_effort, "low");
  EXPECT_TRUE(r->thinking_enabled);
  EXPECT_EQ(r->response_format, Request::Format::kJsonSchema);
  EXPECT_EQ(r->response_schema_name, "out");
}

TEST(OpenAiResponsesRequest, Refusals) {
  struct Case {
    const char* body;
    const char* param;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {R"({"model":"m","previous_response_id":"resp_1","input":"more"})", "previous_response_id",
       "previous_response_id is not supported by this gateway (stateless); send the full input"},
      {R"({"model":"m","input":"x","tools":[{"type":"web_search"}]})", "tools[0].type",
       "web_search"},
      {R"({"model":"m","input":[{"type":"item_reference","id":"msg_1"}]})", "input[0].type",
       "stateless"},
      {R"({"input":"x"})", "model", "model"},
      {R"({"model":"m"})", "input", "input"},
      {R"({"model":"m","input":5})", "input", "input"},
      {R"({"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]})",
       "input[0].content[0].type", "input_file"},
      {R"({"model":"m","input":"x","tool_choice":"sometimes"})", "tool_choice", "sometimes"},
      {"not json", "", "JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = ParseResponsesRequest(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
    EXPECT_EQ(r.error().param, c.param);
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
}

TEST(OpenAiResponsesRequest, RenderRoundTrip) {
  const char* body = R"({"model":"m","instructions":"sys","input":[
      {"role":"user","content":[{"type":"input_text","text":"Look"},{"type":"input_image","image_url":"https://x/y.png"}]},
      {"type":"function_call","call_id":"call_1","name":"f","arguments":"{\"a\":1}"},
      {"type":"function_call_output","call_id":"call_1","output":"done"},
      {"role":"assistant","content":"ok"},
      {"role":"user","content":"again"}],
    "tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"required",
    "max_output_tokens":99,"temperature":5,"reasoning":{"effort":"medium"},
    "text":{"format":{"type":"json_object"}},"stream":true})";
  auto r = ParseResponsesRequest(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string rendered = RenderResponsesRequest(*r, "upstream");
  json::value v = json::parse(rendered);
  EXPECT_EQ(v.at("model").as_string(), "upstream");
  EXPECT_EQ(v.at("instructions").as_string(), "sys");
  EXPECT_EQ(v.at("temperature").to_number<double>(), 2.0);
  EXPECT_EQ(v.at("max_output_tokens").as_int64(), 99);
  EXPECT_EQ(v.at("tool_choice").as_string(), "required");
  EXPECT_EQ(v.at("reasoning").at("effort").as_string(), "medium");
  EXPECT_EQ(v.at("text").at("format").at("type").as_string(), "json_object");
  EXPECT_EQ(v.at("store").as_bool(), false);
  const auto& input = v.at("input").as_array();
  ASSERT_EQ(input.size(), 5U);
  EXPECT_EQ(input[1].at("type").as_string(), "function_call");
  EXPECT_EQ(input[2].at("type").as_string(), "function_call_output");
  EXPECT_EQ(input[2].at("output").as_string(), "done");
  auto again = ParseResponsesRequest(rendered);
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_EQ(again->messages.size(), r->messages.size());
  for (std::size_t i = 0; i < r->messages.size(); ++i) {
    ASSERT_EQ(again->messages[i].parts.size(), r->messages[i].parts.size()) << i;
    for (std::size_t j = 0; j < r->messages[i].parts.size(); ++j) {
      EXPECT_EQ(again->messages[i].parts[j].type, r->messages[i].parts[j].type);
      EXPECT_EQ(again->messages[i].parts[j].text, r->messages[i].parts[j].text);
      EXPECT_EQ(again->messages[i].parts[j].id, r->messages[i].parts[j].id);
      EXPECT_EQ(again->messages[i].parts[j].url, r->messages[i].parts[j].url);
    }
  }
}

TEST(OpenAiResponsesResponse, RenderAndParseBack) {
  Response resp;
  resp.id = "chatcmpl-1";
  resp.model = "gpt-x";
  resp.created = 100;
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "think";
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "call_9";
  call.name = "f";
  call.arguments = R"({"a":1})";
  resp.content = {thinking, Part::Text("Hello "), Part::Text("world"), call};
  resp.finish = FinishReason::kToolCalls;
  resp.usage.present = true;
  resp.usage.input_tokens = 10;
  resp.usage.output_tokens = 4;
  resp.usage.cache_read_tokens = 3;
  resp.usage.reasoning_tokens = 1;
  Request req = DefaultRequest();
  req.max_tokens = 77;
  std::string out = RenderResponsesResponse(resp, req);
  json::value v = json::parse(out);
  EXPECT_TRUE(v.at("id").as_string().starts_with("resp_"));
  EXPECT_EQ(v.at("object").as_string(), "response");
  EXPECT_EQ(v.at("status").as_string(), "completed");
  EXPECT_EQ(v.at("created_at").as_int64(), 100);
  EXPECT_EQ(v.at("max_output_tokens").as_int64(), 77);
  const auto& output = v.at("output").as_array();
  ASSERT_EQ(output.size(), 3U);
  EXPECT_EQ(output[0].at("type").as_string(), "reasoning");
  EXPECT_EQ(output[0].at("summary").at(0).at("text").as_string(), "think");
  EXPECT_EQ(output[1].at("content").at(0).at("text").as_string(), "Hello world");
  EXPECT_TRUE(output[1].at("id").as_string().starts_with("msg_"));
  EXPECT_TRUE(output[2].at("id").as_string().starts_with("fc_"));
  EXPECT_EQ(output[2].at("call_id").as_string(), "call_9");
  EXPECT_EQ(v.at("usage").at("input_tokens_details").at("cached_tokens").as_int64(), 3);
  EXPECT_EQ(v.at("usage").at("total_tokens").as_int64(), 14);
  auto back = ParseResponsesResponse(out);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->content.size(), 3U);
  EXPECT_EQ(back->content[0].text, "think");
  EXPECT_EQ(back->content[1].text, "Hello world");
  EXPECT_EQ(back->content[2].arguments, R"({"a":1})");
  EXPECT_EQ(back->finish, FinishReason::kToolCalls);
  EXPECT_EQ(back->usage.cache_read_tokens, 3);
  EXPECT_EQ(back->usage.reasoning_tokens, 1);

  resp.finish = FinishReason::kLength;
  resp.content = {Part::Text("cut")};
  json::value inc = json::parse(RenderResponsesResponse(resp, req));
  EXPECT_EQ(inc.at("status").as_string(), "incomplete");
  EXPECT_EQ(inc.at("incomplete_details").at("reason").as_string(), "max_output_tokens");
  auto inc_back = ParseResponsesResponse(json::serialize(inc));
  ASSERT_TRUE(inc_back.ok());
  EXPECT_EQ(inc_back->finish, FinishReason::kLength);
}

TEST(OpenAiResponsesResponse, FailedIsAnError) {
  auto r = ParseResponsesResponse(
      R"({"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"boom"},"output":[]})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "boom");
}

TEST(OpenAiResponsesStream, EventOrderAndSequenceNumbers) {
  StreamEvent start = Ev(Type::kStart);
  start.id = "msg_upstream";
  start.name = "claude-x";
  StreamEvent call = Ev(Type::kToolCallStart, {}, 0);
  call.id = "toolu_1";
  call.name = "get_weather";
  StreamEvent fin = Ev(Type::kFinish);
  fin.finish = FinishReason::kToolCalls;
  StreamEvent usage = Ev(Type::kUsage);
  usage.usage.present = true;
  usage.usage.input_tokens = 5;
  usage.usage.output_tokens = 6;
  StreamEvents events = {start,
                         Ev(Type::kThinkingDelta, "hm"),
                         Ev(Type::kSignatureDelta, "sig"),
                         Ev(Type::kTextDelta, "Hel"),
                         Ev(Type::kTextDelta, "lo"),
                         call,
                         Ev(Type::kToolArgsDelta, "{\"city\":", 0),
                         Ev(Type::kToolArgsDelta, "\"Oslo\"}", 0),
                         fin,
                         usage,
                         Ev(Type::kEnd)};
  std::vector<WireEvent> wire = Split(EncodeAll(events, DefaultRequest()));
  std::vector<std::string> names;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    names.push_back(wire[i].event);
    EXPECT_EQ(wire[i].data.at("type").as_string(), wire[i].event);
    EXPECT_EQ(wire[i].data.at("sequence_number").as_int64(), static_cast<int64_t>(i));
  }
  std::vector<std::string> expected = {"response.created",
                                       "response.in_progress",
                                       "response.output_item.added",
                                       "response.reasoning_summary_part.added",
                                       "response.reasoning_summary_text.delta",
                                       "response.reasoning_summary_text.done",
                                       "response.reasoning_summary_part.done",
                                       "response.output_item.done",
                                       "response.output_item.added",
                                       "response.content_part.added",
                                       "response.output_text.delta",
                                       "response.output_text.delta",
                                       "response.output_text.done",
                                       "response.content_part.done",
                                       "response.output_item.done",
                                       "response.output_item.added",
                                       "response.function_call_arguments.delta",
                                       "response.function_call_arguments.delta",
                                       "response.function_call_arguments.done",
                                       "response.output_item.done",
                                       "response.completed"};
  EXPECT_EQ(names, expected);
  // Item ids agree between the events and the final response.
  const json::value& final_response = wire.back().data.at("response");
  const auto& output = final_response.at("output").as_array();
  ASSERT_EQ(output.size(), 3U);
  EXPECT_EQ(wire[2].data.at("item").at("id"), output[0].at("id"));
  EXPECT_EQ(wire[10].data.at("item_id"), output[1].at("id"));
  EXPECT_EQ(wire[16].data.at("item_id"), output[2].at("id"));
  EXPECT_EQ(wire[12].data.at("text").as_string(), "Hello");
  EXPECT_EQ(wire[18].data.at("arguments").as_string(), R"({"city":"Oslo"})");
  EXPECT_EQ(output[2].at("call_id").as_string(), "toolu_1");
  EXPECT_EQ(final_response.at("status").as_string(), "completed");
  EXPECT_EQ(final_response.at("model").as_string(), "claude-x");
  EXPECT_EQ(final_response.at("usage").at("total_tokens").as_int64(), 11);
  EXPECT_TRUE(wire[0].data.at("response").at("usage").is_null());
  EXPECT_EQ(wire[0].data.at("response").at("id"), final_response.at("id"));
}

TEST(OpenAiResponsesStream, LengthIsIncompleteAndErrorIsFailed) {
  StreamEvent fin = Ev(Type::kFinish);
  fin.finish = FinishReason::kLength;
  auto wire = Split(EncodeAll({Ev(Type::kStart), Ev(Type::kTextDelta, "a"), fin, Ev(Type::kEnd)},
                              DefaultRequest()));
  ASSERT_FALSE(wire.empty());
  EXPECT_EQ(wire.back().event, "response.incomplete");
  EXPECT_EQ(wire.back().data.at("response").at("incomplete_details").at("reason").as_string(),
            "max_output_tokens");

  StreamEvent err = Ev(Type::kError);
  err.error = Error(ErrorKind::kUpstreamError, "upstream broke");
  auto failed = Split(EncodeAll({Ev(Type::kStart), Ev(Type::kTextDelta, "a"), err, Ev(Type::kEnd)},
                                DefaultRequest()));
  ASSERT_GE(failed.size(), 2U);
  const auto& e = failed[failed.size() - 2];
  EXPECT_EQ(e.event, "error");
  EXPECT_EQ(e.data.at("message").as_string(), "upstream broke");
  EXPECT_EQ(e.data.at("code").as_string(), "upstream_error");
  EXPECT_TRUE(e.data.at("param").is_null());
  EXPECT_EQ(failed.back().event, "response.failed");
  EXPECT_EQ(failed.back().data.at("response").at("status").as_string(), "failed");
  EXPECT_EQ(failed.back().data.at("response").at("error").at("message").as_string(),
            "upstream broke");
}

TEST(OpenAiResponsesStream, ChatFixturesThroughResponsesAndBack) {
  for (const char* name :
       {"text_weather_sf.sse", "parallel_tools_weather_stock.sse", "tool_strict_get_weather_sf.sse",
        "deepseek_text_cached_512.sse", "json_text_long_stream.sse"}) {
    SCOPED_TRACE(name);
    StreamEvents chat = DecodeChat(Fixture(name));
    std::string wire = EncodeAll(chat, DefaultRequest());
    Summary a = Summarize(chat);
    Summary b = Summarize(Decode(wire));
    Summary c = Summarize(Decode(wire, true));
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.calls, b.calls);
    EXPECT_EQ(a.finish, b.finish);
    EXPECT_EQ(a.input_tokens, b.input_tokens);
    EXPECT_EQ(a.output_tokens, b.output_tokens);
    EXPECT_EQ(b.ends, 1);
    EXPECT_EQ(b.errors, 0);
    EXPECT_TRUE(b == c);
  }
}

TEST(OpenAiResponsesStream, DecoderCutStreamAndErrorEvent) {
  std::string body = EncodeAll({Ev(Type::kStart), Ev(Type::kTextDelta, "abc")}, DefaultRequest());
  Summary cut = Summarize(Decode(body));
  EXPECT_EQ(cut.text, "abc");
  EXPECT_EQ(cut.errors, 1);
  EXPECT_EQ(cut.ends, 0);
  std::string err =
      "event: error\ndata: "
      R"({"type":"error","sequence_number":3,"code":"rate_limit_exceeded","message":"slow down","param":null})"
      "\n\n";
  StreamEvents evs = Decode(err);
  ASSERT_EQ(evs.size(), 1U);
  EXPECT_EQ(evs[0].type, Type::kError);
  EXPECT_EQ(evs[0].error.message, "slow down");
  EXPECT_EQ(evs[0].error.code, "rate_limit_exceeded");
}

TEST(OpenAiResponsesStream, DecoderTakesDoneTextWhenNoDeltas) {
  std::string body =
      "event: response.created\ndata: "
      R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_1","model":"m","status":"in_progress","output":[]}})"
      "\n\nevent: response.output_item.added\ndata: "
      R"({"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":""}})"
      "\n\nevent: response.function_call_arguments.done\ndata: "
      R"({"type":"response.function_call_arguments.done","sequence_number":2,"item_id":"fc_1","output_index":0,"arguments":"{\"a\":1}"})"
      "\n\nevent: response.output_text.done\ndata: "
      R"({"type":"response.output_text.done","sequence_number":3,"item_id":"msg_1","output_index":1,"content_index":0,"text":"done text"})"
      "\n\nevent: response.completed\ndata: "
      R"({"type":"response.completed","sequence_number":4,"response":{"id":"resp_1","model":"m","status":"completed","output":[],"usage":{"input_tokens":1,"output_tokens":2}}})"
      "\n\n";
  Summary s = Summarize(Decode(body));
  ASSERT_EQ(s.calls.size(), 1U);
  EXPECT_EQ(s.calls[0], R"(call_1 f {"a":1})");
  EXPECT_EQ(s.text, "done text");
  EXPECT_EQ(s.finish, FinishReason::kToolCalls);
  EXPECT_EQ(s.output_tokens, 2);
  EXPECT_EQ(s.ends, 1);
  // With deltas, the done events add nothing.
  Summary again = Summarize(Decode(
      EncodeAll({Ev(Type::kStart), Ev(Type::kTextDelta, "ab"), Ev(Type::kEnd)}, DefaultRequest())));
  EXPECT_EQ(again.text, "ab");
}

}  // namespace
}  // namespace baton::canon
