// Unit tests for the Anthropic Messages codec: request parsing and rendering, responses, the
// stream decoder against real recorded streams, the stream encoder's event order, and errors.
#include "dialects/anthropic/anthropic.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/sse.hpp"

namespace baton::anthropic {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Request;
using canon::Role;
using canon::StreamEvent;
using canon::StreamEvents;
using Type = StreamEvent::Type;

std::string Fixture(std::string_view name) {
  std::ifstream in(std::string("/work/shared/fixtures/anthropic/") + std::string(name),
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HaveFixtures() {
  return std::filesystem::exists("/work/shared/fixtures/anthropic/basic_response.sse");
}

// ---- Requests ----

TEST(AnthropicRequest, ParsesFullRequest) {
  auto r = ParseRequest(R"({
    "model":"claude-x","max_tokens":100,"system":[{"type":"text","text":"Be brief."}],
    "messages":[
      {"role":"user","content":"hi"},
      {"role":"system","content":"Also polite."},
      {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"sig"},
        {"type":"text","text":"calling"},
        {"type":"tool_use","id":"toolu_1","name":"get","input":{"a":1}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"42",
        "is_error":true},
        {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}},
        {"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}],
    "tools":[{"name":"get","description":"d","input_schema":{"type":"object"}}],
    "tool_choice":{"type":"tool","name":"get","disable_parallel_tool_use":true},
    "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":40,
    "thinking":{"type":"enabled","budget_tokens":2000},
    "metadata":{"user_id":"u1"},"stream":true})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "claude-x");
  EXPECT_EQ(r->max_tokens, 100);
  ASSERT_EQ(r->system.size(), 2U);
  EXPECT_EQ(r->system[1].text, "Also polite.");
  ASSERT_EQ(r->messages.size(), 3U);
  const auto& a = r->messages[1];
  EXPECT_EQ(a.role, Role::kAssistant);
  ASSERT_EQ(a.parts.size(), 3U);
  EXPECT_EQ(a.parts[0].type, Part::Type::kThinking);
  EXPECT_EQ(a.parts[0].signature, "sig");
  EXPECT_EQ(a.parts[2].type, Part::Type::kToolCall);
  EXPECT_EQ(a.parts[2].arguments, R"({"a":1})");
  const auto& u = r->messages[2];
  ASSERT_EQ(u.parts.size(), 3U);
  EXPECT_EQ(u.parts[0].type, Part::Type::kToolResult);
  EXPECT_TRUE(u.parts[0].is_error);
  ASSERT_EQ(u.parts[0].content.size(), 1U);
  EXPECT_EQ(u.parts[0].content[0].text, "42");
  EXPECT_EQ(u.parts[1].data, "AAA");
  EXPECT_EQ(u.parts[2].url, "https://x/y.png");
  ASSERT_EQ(r->tools.size(), 1U);
  EXPECT_EQ(r->tools[0].parameters, R"({"type":"object"})");
  EXPECT_EQ(r->tool_choice.mode, canon::ToolChoice::Mode::kTool);
  EXPECT_EQ(r->parallel_tool_calls, false);
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r->top_k, 40);
  EXPECT_TRUE(r->thinking_enabled);
  EXPECT_EQ(r->thinking_budget, 2000);
  EXPECT_EQ(r->user, "u1");
  EXPECT_TRUE(r->stream);
}

TEST(AnthropicRequest, ParseErrors) {
  struct Case {
    const char* body;
    const char* message_part;
  };
  const Case cases[] = {
      {"{", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"model":"m","messages":[]})", "max_tokens: Field required"},
      {R"({"max_tokens":5,"messages":[]})", "model: Field required"},
      {R"({"model":"m","max_tokens":5})", "messages: Field required"},
      {R"({"model":"m","max_tokens":"5","messages":[]})", "max_tokens: Input should be"},
      {R"({"model":"m","max_tokens":0,"messages":[]})", "greater than or equal to 1"},
      {R"({"model":1,"max_tokens":5,"messages":[]})", "model: Input should be a valid string"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"bot","content":"x"}]})",
       "messages.0.role"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":5}]})",
       "messages.0.content"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"video"}]}]})",
       "messages.0.content.0.type"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document",
          "source":{"type":"base64","media_type":"application/pdf","data":"x"}}]}]})",
       "document"},
      {R"({"model":"m","max_tokens":5,"messages":[],"tools":[{"type":"web_search_20250305",
          "name":"web_search"}]})",
       "server tools"},
      {R"({"model":"m","max_tokens":5,"messages":[],"tool_choice":{"type":"maybe"}})",
       "tool_choice.type"},
      {R"({"model":"m","max_tokens":5,"messages":[],"temperature":"hot"})", "temperature"},
      {R"({"model":"m","max_tokens":5,"messages":[],"stream":"yes"})", "stream"},
      {R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_use",
          "id":"a","name":"b","input":{}}]}]})",
       "only allowed in assistant"},
  };
  for (const auto& c : cases) {
    auto r = ParseRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos)
        << r.error().message << " / expected " << c.message_part;
  }
}

TEST(AnthropicRequest, PlainTextDocumentIsKept) {
  auto r = ParseRequest(R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":[
      {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc"}}]}]})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->messages[0].parts[0].text, "doc");
}

TEST(AnthropicRequest, RenderMergesToolResultsAndAlternatesRoles) {
  Request r;
  r.model = "m";
  r.system.push_back(Part::Text("sys"));
  r.messages.push_back({Role::kUser, {Part::Text("q")}});
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "call_1";
  call.name = "f";
  call.arguments = "not json";
  Part call2 = call;
  call2.id = "call_2";
  call2.arguments = R"({"x":1})";
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "unsigned";
  r.messages.push_back({Role::kAssistant, {thinking, call, call2}});
  Part res;
  res.type = Part::Type::kToolResult;
  res.id = "call_1";
  res.content.push_back(Part::Text("r1"));
  Part res2 = res;
  res2.id = "call_2";
  r.messages.push_back({Role::kUser, {res}});
  r.messages.push_back({Role::kUser, {res2}});
  r.messages.push_back({Role::kUser, {Part::Text("thanks")}});
  r.stop = {" ", "END"};
  r.temperature = 1.7;
  r.parallel_tool_calls = false;
  r.tools.push_back({"f", "", "", std::nullopt});
  r.user = "u";
  json::value v = json::parse(RenderRequest(r, "claude-up"));
  EXPECT_EQ(v.at("model"), "claude-up");
  EXPECT_EQ(v.at("max_tokens"), 4096);
  EXPECT_EQ(v.at("system").at(0).at("text"), "sys");
  const auto& msgs = v.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 3U);
  const auto& assistant = msgs[1].at("content").as_array();
  ASSERT_EQ(assistant.size(), 2U);  // unsigned thinking dropped
  EXPECT_EQ(assistant[0].at("input"), json::object{});
  EXPECT_EQ(assistant[1].at("input").at("x"), 1);
  const auto& user = msgs[2].at("content").as_array();
  ASSERT_EQ(user.size(), 3U);
  EXPECT_EQ(user[0].at("type"), "tool_result");
  EXPECT_EQ(user[1].at("tool_use_id"), "call_2");
  EXPECT_EQ(user[2].at("text"), "thanks");
  EXPECT_EQ(v.at("stop_sequences"), json::parse(R"(["END"])"));
  EXPECT_EQ(v.at("temperature").to_number<double>(), 1.0);
  EXPECT_EQ(v.at("tool_choice"),
            json::parse(R"({"type":"auto","disable_parallel_tool_use":true})"));
  EXPECT_EQ(v.at("tools").at(0).at("input_schema"),
            json::parse(R"({"type":"object","properties":{}})"));
  EXPECT_EQ(v.at("metadata").at("user_id"), "u");
  EXPECT_FALSE(v.as_object().contains("stream"));
}

TEST(AnthropicRequest, ReasoningEffortBecomesBudget) {
  Request r;
  r.model = "m";
  r.messages.push_back({Role::kUser, {Part::Text("q")}});
  r.reasoning_effort = "low";
  r.temperature = 0.2;
  json::value v = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(v.at("thinking"), json::parse(R"({"type":"enabled","budget_tokens":1024})"));
  EXPECT_FALSE(v.as_object().contains("temperature"));
  r.reasoning_effort = "high";
  v = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(v.at("thinking").at("budget_tokens"), 4096);
  EXPECT_GT(v.at("max_tokens").as_int64(), 4096);
  r.max_tokens = 500;  // too small for any thinking
  v = json::parse(RenderRequest(r, ""));
  EXPECT_FALSE(v.as_object().contains("thinking"));
}

TEST(AnthropicRequest, RoundTrip) {
  const char* body = R"({"model":"m","max_tokens":50,
    "system":[{"type":"text","text":"s"}],
    "messages":[{"role":"user","content":[{"type":"text","text":"hi"},
      {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}}]},
      {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"sg"},
        {"type":"redacted_thinking","data":"opaque"},
        {"type":"tool_use","id":"toolu_9","name":"f","input":{"k":"v"}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"ok"}]}],
    "tools":[{"name":"f","description":"d","input_schema":{"type":"object","properties":{}}}],
    "tool_choice":{"type":"any"},"stop_sequences":["x"],"temperature":0.3,"top_k":5,
    "metadata":{"user_id":"me"},"stream":true})";
  auto r = ParseRequest(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  json::value expected = json::parse(body);
  json::value actual = json::parse(RenderRequest(*r, ""));
  EXPECT_EQ(actual, expected) << json::serialize(actual);
}

// ---- Responses ----

TEST(AnthropicResponse, ParsesFixtureWithToolUseAndCache) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  auto r = ParseResponse(Fixture("toolrunner_text_and_tool_use.json"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 2U);
  EXPECT_EQ(r->content[1].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[1].arguments, R"({"value":"test"})");
  EXPECT_EQ(r->finish, FinishReason::kToolCalls);
  auto c = ParseResponse(Fixture("cache_write_json.json"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->usage.cache_creation_tokens, 7351);
  EXPECT_EQ(c->usage.input_tokens, 10 + 7351);
}

TEST(AnthropicResponse, RoundTripsStopReasonsAndUsage) {
  const std::pair<const char*, FinishReason> reasons[] = {
      {"end_turn", FinishReason::kStop},
      {"stop_sequence", FinishReason::kStopSequence},
      {"max_tokens", FinishReason::kLength},
      {"tool_use", FinishReason::kToolCalls},
      {"refusal", FinishReason::kContentFilter},
      {"pause_turn", FinishReason::kPauseTurn},
      {"model_context_window_exceeded", FinishReason::kContextWindow},
  };
  for (const auto& [s, f] : reasons) {
    EXPECT_EQ(FinishReasonFromStopReason(s), f) << s;
    EXPECT_STREQ(StopReasonFor(f), s);
  }
  const char* body =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"c","content":[
      {"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"hi"},
      {"type":"tool_use","id":"toolu_1","name":"f","input":{"a":[1,2]}}],
      "stop_reason":"stop_sequence","stop_sequence":"##",
      "usage":{"input_tokens":5,"cache_creation_input_tokens":7,"cache_read_input_tokens":11,
      "output_tokens":3}})";
  auto r = ParseResponse(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->usage.input_tokens, 23);
  EXPECT_EQ(r->stop_sequence, "##");
  Request req;
  req.model = "other";
  EXPECT_EQ(json::parse(RenderResponse(*r, req)), json::parse(body));
}

TEST(AnthropicResponse, RenderSynthesizesIdsAndModel) {
  canon::Response r;
  r.id = "chatcmpl-1";
  Part call;
  call.type = Part::Type::kToolCall;
  call.name = "f";
  call.arguments = "{broken";
  r.content.push_back(call);
  Request req;
  req.model = "asked";
  json::value v = json::parse(RenderResponse(r, req));
  EXPECT_TRUE(v.at("id").as_string().starts_with("msg_"));
  EXPECT_EQ(v.at("model"), "asked");
  EXPECT_TRUE(v.at("content").at(0).at("id").as_string().starts_with("toolu_"));
  EXPECT_EQ(v.at("content").at(0).at("input"), json::object{});
  EXPECT_EQ(v.at("stop_reason"), "tool_use");
}

// ---- Stream decoder ----

StreamEvents DecodeWhole(std::string_view body) {
  auto d = MakeStreamDecoder();
  StreamEvents out;
  d->Feed(body, out);
  d->Finish(out);
  return out;
}

StreamEvents DecodeBytes(std::string_view body) {
  auto d = MakeStreamDecoder();
  StreamEvents out;
  for (char c : body) {
    d->Feed(std::string_view(&c, 1), out);
  }
  d->Finish(out);
  return out;
}

std::string Describe(const StreamEvents& evs) {
  std::string s;
  for (const auto& e : evs) {
    s += std::to_string(static_cast<int>(e.type));
    s += '|';
    s += e.text;
    s += '|';
    s += e.id;
    s += '|';
    s += e.name;
    s += '|';
    s += std::to_string(e.tool_index);
    s += '|';
    s += std::to_string(e.usage.input_tokens) + "," + std::to_string(e.usage.output_tokens);
    s += '\n';
  }
  return s;
}

std::vector<Type> Types(const StreamEvents& evs) {
  std::vector<Type> t;
  for (const auto& e : evs) {
    t.push_back(e.type);
  }
  return t;
}

TEST(AnthropicStreamDecoder, BasicResponse) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  auto evs = DecodeWhole(Fixture("basic_response.sse"));
  std::vector<Type> expected = {Type::kStart,  Type::kTextDelta, Type::kTextDelta, Type::kTextDelta,
                                Type::kFinish, Type::kUsage,     Type::kEnd};
  EXPECT_EQ(Types(evs), expected) << Describe(evs);
  EXPECT_EQ(evs[0].id, "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK");
  EXPECT_EQ(evs[0].name, "claude-opus-4-8");
  EXPECT_EQ(evs[0].usage.input_tokens, 11);
  EXPECT_EQ(evs[1].text, "Hello");
  EXPECT_EQ(evs[4].finish, FinishReason::kStop);
  EXPECT_EQ(evs[5].usage.input_tokens, 11);
  EXPECT_EQ(evs[5].usage.output_tokens, 6);
}

TEST(AnthropicStreamDecoder, ParallelToolsCountCallsNotBlocks) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  auto evs = DecodeWhole(Fixture("parallel_tools_weather_time_sf.sse"));
  std::vector<const StreamEvent*> starts;
  std::string args0;
  std::string args1;
  for (const auto& e : evs) {
    if (e.type == Type::kToolCallStart) {
      starts.push_back(&e);
    }
    if (e.type == Type::kToolArgsDelta) {
      (e.tool_index == 0 ? args0 : args1) += e.text;
    }
  }
  ASSERT_EQ(starts.size(), 2U);
  EXPECT_EQ(starts[0]->tool_index, 0);
  EXPECT_EQ(starts[0]->name, "get_weather");
  EXPECT_EQ(starts[1]->tool_index, 1);
  EXPECT_EQ(starts[1]->id, "toolu_0121kXsENLvoDZ72LCuAnCCz");
  EXPECT_EQ(args0, R"({"location": "San Francisco, CA", "unit": "celsius"})");
  EXPECT_EQ(args1, R"({"timezone": "America/Los_Angeles"})");
  EXPECT_EQ(evs.back().type, Type::kEnd);
  EXPECT_EQ(evs[evs.size() - 3].finish, FinishReason::kToolCalls);
  EXPECT_EQ(evs[evs.size() - 2].usage.input_tokens, 506);
  EXPECT_EQ(evs[evs.size() - 2].usage.output_tokens, 153);
}

TEST(AnthropicStreamDecoder, ThinkingAndCacheUsage) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  auto evs = DecodeWhole(Fixture("thinking_strawberry.sse"));
  int thinking = 0;
  int signatures = 0;
  for (const auto& e : evs) {
    thinking += e.type == Type::kThinkingDelta ? 1 : 0;
    signatures += e.type == Type::kSignatureDelta ? 1 : 0;
  }
  EXPECT_EQ(thinking, 16);
  EXPECT_EQ(signatures, 1);
  auto cache = DecodeWhole(Fixture("cache_write_stream.sse"));
  EXPECT_EQ(cache[0].usage.input_tokens, 4 + 1165);
  EXPECT_EQ(cache[0].usage.cache_creation_tokens, 1165);
  const StreamEvent& usage = cache[cache.size() - 2];
  ASSERT_EQ(usage.type, Type::kUsage);
  EXPECT_EQ(usage.usage.input_tokens, 1169);
  EXPECT_EQ(usage.usage.output_tokens, 201);
  auto berlin = DecodeWhole(Fixture("tool_weather_berlin_stream.sse"));
  EXPECT_EQ(berlin[1].type, Type::kToolCallStart);
  EXPECT_EQ(berlin[1].tool_index, 0);
  EXPECT_EQ(berlin[berlin.size() - 2].usage.input_tokens, 633);
  EXPECT_EQ(berlin[berlin.size() - 2].usage.output_tokens, 75);
}

TEST(AnthropicStreamDecoder, ByteByByteEqualsWhole) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  for (const char* f :
       {"basic_response.sse", "tool_use_response.sse", "parallel_tools_weather_time_sf.sse",
        "thinking_strawberry.sse", "cache_write_stream.sse", "tool_weather_berlin_stream.sse"}) {
    std::string body = Fixture(f);
    EXPECT_EQ(Describe(DecodeWhole(body)), Describe(DecodeBytes(body))) << f;
  }
}

TEST(AnthropicStreamDecoder, ErrorsAndTruncation) {
  auto evs = DecodeWhole(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n\n"
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      "\"message\":\"Overloaded\"}}\n\n");
  ASSERT_EQ(evs.size(), 2U);
  EXPECT_EQ(evs[1].type, Type::kError);
  EXPECT_EQ(evs[1].error.kind, ErrorKind::kUnavailable);
  EXPECT_EQ(evs[1].error.message, "Overloaded");

  auto cut = DecodeWhole(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
  ASSERT_EQ(cut.back().type, Type::kError);
  EXPECT_EQ(cut.back().error.message, "the upstream ended the stream before it was complete");

  auto rl = DecodeWhole(
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
      "\"message\":\"slow down\"}}\n\n");
  ASSERT_EQ(rl.size(), 1U);
  EXPECT_EQ(rl[0].error.kind, ErrorKind::kRateLimited);
  auto bad = DecodeWhole("event: message_start\ndata: {nope\n\n");
  ASSERT_EQ(bad.size(), 1U);
  EXPECT_EQ(bad[0].type, Type::kError);
}

TEST(AnthropicJsonSchema, ForcedToolOutAndTextBack) {
  Request r;
  r.model = "m";
  r.messages.push_back({Role::kUser, {Part::Text("q")}});
  r.response_format = Request::Format::kJsonSchema;
  r.response_schema = R"({"type":"object","properties":{"city":{"type":"string"}}})";
  r.reasoning_effort = "high";
  json::value v = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(v.at("tools").at(0).at("name"), "json_tool_call");
  EXPECT_EQ(v.at("tools").at(0).at("input_schema"), json::parse(r.response_schema));
  EXPECT_EQ(v.at("tool_choice"), json::parse(R"({"type":"tool","name":"json_tool_call"})"));
  EXPECT_FALSE(v.as_object().contains("thinking"));

  auto resp = ParseResponse(
      R"({"id":"msg_1","type":"message","role":"assistant","model":"c","content":[
      {"type":"tool_use","id":"toolu_1","name":"json_tool_call","input":{"city":"Paris"}}],
      "stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}})");
  ASSERT_TRUE(resp.ok());
  ASSERT_EQ(resp->content.size(), 1U);
  EXPECT_EQ(resp->content[0].type, Part::Type::kText);
  EXPECT_EQ(resp->content[0].text, R"({"city":"Paris"})");
  EXPECT_EQ(resp->finish, FinishReason::kStop);

  auto evs = DecodeWhole(
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\"}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"json_tool_call\","
      "\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":1}\"}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  std::vector<Type> expected = {Type::kStart, Type::kTextDelta, Type::kFinish, Type::kUsage,
                                Type::kEnd};
  EXPECT_EQ(Types(evs), expected) << Describe(evs);
  EXPECT_EQ(evs[1].text, R"({"a":1})");
  EXPECT_EQ(evs[2].finish, FinishReason::kStop);
}

// ---- Stream encoder ----

struct Sse {
  std::string event;
  json::value data;
};

std::vector<Sse> Split(std::string_view body) {
  std::vector<Sse> out;
  SseSplitter s;
  s.Feed(body, [&](const SseEvent& ev) {
    out.push_back({std::string(ev.event), json::parse(ev.data)});
    return true;
  });
  return out;
}

StreamEvent Ev(Type t, std::string text = {}) {
  StreamEvent e;
  e.type = t;
  e.text = std::move(text);
  return e;
}

TEST(AnthropicStreamEncoder, TextToolsAndThinkingInSdkOrder) {
  Request req;
  req.model = "asked";
  auto enc = MakeStreamEncoder(req);
  std::string out;
  StreamEvent start = Ev(Type::kStart);
  start.id = "chatcmpl-1";
  start.name = "gpt-x";
  enc->Encode(start, out);
  enc->Encode(Ev(Type::kThinkingDelta, "hmm"), out);
  enc->Encode(Ev(Type::kSignatureDelta, "sig"), out);
  enc->Encode(Ev(Type::kTextDelta, ""), out);
  enc->Encode(Ev(Type::kTextDelta, "Hi"), out);
  enc->Encode(Ev(Type::kTextDelta, "!"), out);
  StreamEvent call = Ev(Type::kToolCallStart);
  call.name = "f";
  enc->Encode(call, out);
  StreamEvent args = Ev(Type::kToolArgsDelta, "{\"a\":");
  enc->Encode(args, out);
  args.text = "1}";
  enc->Encode(args, out);
  StreamEvent call2 = Ev(Type::kToolCallStart);
  call2.id = "call_2";
  call2.name = "g";
  call2.tool_index = 1;
  enc->Encode(call2, out);
  StreamEvent fin = Ev(Type::kFinish);
  fin.finish = FinishReason::kToolCalls;
  enc->Encode(fin, out);
  StreamEvent usage = Ev(Type::kUsage);
  usage.usage.present = true;
  usage.usage.input_tokens = 30;
  usage.usage.cache_read_tokens = 10;
  usage.usage.output_tokens = 7;
  enc->Encode(usage, out);
  enc->Encode(Ev(Type::kEnd), out);
  enc->Encode(Ev(Type::kTextDelta, "late"), out);  // ignored after the end

  EXPECT_EQ(out.find('\r'), std::string::npos);
  auto evs = Split(out);
  std::vector<std::string> names;
  for (const auto& e : evs) {
    names.push_back(e.event);
    EXPECT_EQ(e.data.at("type").as_string(), e.event);
  }
  std::vector<std::string> expected = {
      "message_start",      "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
      "content_block_stop", "content_block_start", "content_block_stop",  "message_delta",
      "message_stop"};
  EXPECT_EQ(names, expected) << out;
  ASSERT_EQ(evs.size(), expected.size());
  EXPECT_TRUE(evs[0].data.at("message").at("id").as_string().starts_with("msg_"));
  EXPECT_EQ(evs[0].data.at("message").at("model"), "gpt-x");
  EXPECT_EQ(evs[1].data.at("content_block").at("type"), "thinking");
  EXPECT_EQ(evs[3].data.at("delta").at("type"), "signature_delta");
  EXPECT_EQ(evs[5].data.at("index"), 1);
  EXPECT_EQ(evs[6].data.at("delta").at("text"), "Hi");
  EXPECT_EQ(evs[9].data.at("index"), 2);
  EXPECT_TRUE(evs[9].data.at("content_block").at("id").as_string().starts_with("toolu_"));
  EXPECT_EQ(evs[9].data.at("content_block").at("input"), json::object{});
  EXPECT_EQ(evs[11].data.at("delta").at("partial_json"), "1}");
  EXPECT_EQ(evs[13].data.at("content_block").at("id"), "call_2");
  EXPECT_EQ(evs[15].data.at("delta").at("stop_reason"), "tool_use");
  EXPECT_EQ(evs[15].data.at("usage"),
            json::parse(R"({"input_tokens":20,"cache_creation_input_tokens":0,
                            "cache_read_input_tokens":10,"output_tokens":7})"));
}

TEST(AnthropicStreamEncoder, NoStartNoFinishAndErrors) {
  Request req;
  req.model = "asked";
  auto enc = MakeStreamEncoder(req);
  std::string out;
  enc->Encode(Ev(Type::kTextDelta, "x"), out);
  enc->Encode(Ev(Type::kEnd), out);
  auto evs = Split(out);
  ASSERT_EQ(evs.size(), 6U);
  EXPECT_EQ(evs[0].event, "message_start");
  EXPECT_EQ(evs[0].data.at("message").at("model"), "asked");
  EXPECT_EQ(evs[4].data.at("delta").at("stop_reason"), "end_turn");

  auto enc2 = MakeStreamEncoder(req);
  std::string out2;
  enc2->Encode(Ev(Type::kTextDelta, "x"), out2);
  StreamEvent err = Ev(Type::kError);
  err.error = Error(ErrorKind::kUnavailable, "Overloaded");
  enc2->Encode(err, out2);
  enc2->Encode(Ev(Type::kEnd), out2);
  auto evs2 = Split(out2);
  ASSERT_EQ(evs2.size(), 4U);
  EXPECT_EQ(evs2[3].event, "error");
  EXPECT_EQ(evs2[3].data, json::parse(R"({"type":"error","error":{"type":"overloaded_error",
                            "message":"Overloaded"}})"));
}

TEST(AnthropicStream, FixturesRoundTripThroughEncoder) {
  if (!HaveFixtures()) {
    GTEST_SKIP();
  }
  // Anthropic → canonical → Anthropic keeps every content event (ping and whitespace aside).
  for (const char* f :
       {"tool_use_response.sse", "thinking_strawberry.sse", "parallel_tools_weather_time_sf.sse"}) {
    std::string body = Fixture(f);
    Request req;
    auto enc = MakeStreamEncoder(req);
    std::string out;
    for (const auto& e : DecodeWhole(body)) {
      enc->Encode(e, out);
    }
    auto in = Split(body);
    auto got = Split(out);
    std::vector<Sse> in_filtered;
    for (auto& e : in) {
      // Empty input_json_delta fragments carry nothing and are not re-sent.
      if (e.event == "ping" || (e.event == "content_block_delta" &&
                                e.data.at("delta").as_object().if_contains("partial_json") &&
                                e.data.at("delta").at("partial_json") == "")) {
        continue;
      }
      in_filtered.push_back(std::move(e));
    }
    ASSERT_EQ(in_filtered.size(), got.size()) << f << "\n" << out;
    for (std::size_t i = 1; i + 2 < got.size(); ++i) {
      EXPECT_EQ(in_filtered[i].data, got[i].data) << f << " event " << i;
    }
    EXPECT_EQ(got[got.size() - 2].data.at("delta").at("stop_reason"),
              in_filtered[in_filtered.size() - 2].data.at("delta").at("stop_reason"));
  }
}

// ---- Errors ----

TEST(AnthropicErrors, RenderAndStatus) {
  const std::tuple<ErrorKind, int, const char*> cases[] = {
      {ErrorKind::kBadRequest, 400, "invalid_request_error"},
      {ErrorKind::kUnauthorized, 401, "authentication_error"},
      {ErrorKind::kForbidden, 403, "permission_error"},
      {ErrorKind::kNotFound, 404, "not_found_error"},
      {ErrorKind::kPayloadTooLarge, 413, "request_too_large"},
      {ErrorKind::kRateLimited, 429, "rate_limit_error"},
      {ErrorKind::kInternal, 500, "api_error"},
      {ErrorKind::kUpstreamError, 502, "api_error"},
      {ErrorKind::kUnavailable, 503, "overloaded_error"},
      {ErrorKind::kUpstreamTimeout, 504, "timeout_error"},
  };
  for (const auto& [kind, status, type] : cases) {
    Error e(kind, "m");
    EXPECT_EQ(ErrorStatus(e), status);
    EXPECT_EQ(json::parse(RenderError(e)),
              json::parse(std::string(R"({"type":"error","error":{"type":")") + type +
                          R"(","message":"m"}})"));
  }
  Error overloaded = ParseError(
      529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(overloaded.kind, ErrorKind::kUnavailable);
  EXPECT_EQ(overloaded.upstream_status, 529);
  EXPECT_EQ(overloaded.message, "Overloaded");
  EXPECT_EQ(ErrorStatus(overloaded), 529);
  Error html = ParseError(502, "<html>bad gateway</html>");
  EXPECT_EQ(html.kind, ErrorKind::kUpstreamError);
  EXPECT_EQ(html.message, "upstream returned HTTP 502");
}

}  // namespace
}  // namespace baton::anthropic
