#include "mock/dialect_mock.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace baton::mock {
namespace {

namespace json = boost::json;

json::value ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

json::object Obj(std::string_view text) {
  json::value v = ParseJson(text);
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.get_object() : json::object();
}

struct NamedEvent {
  std::string event;  // `event:` line, empty when absent
  json::object data;
};

// Parses `event: X\ndata: {...}\n\n` events, checking that the stream's event boundaries match
// the framing and that every event's name equals data.type when both are present.
std::vector<NamedEvent> ParseNamedSse(const SseStream& s) {
  std::vector<NamedEvent> out;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string_view e = s.EventAt(i);
    EXPECT_EQ(begin + e.size(), s.events[i].end);
    begin = s.events[i].end;
    EXPECT_TRUE(e.ends_with("\n\n")) << e;
    EXPECT_EQ(e.find('\r'), std::string_view::npos);
    NamedEvent ne;
    std::string_view rest = e.substr(0, e.size() - 2);
    while (!rest.empty()) {
      std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (line.starts_with("event: ")) {
        ne.event = std::string(line.substr(7));
      } else if (line.starts_with("data: ")) {
        ne.data = Obj(line.substr(6));
      } else {
        ADD_FAILURE() << "unexpected line: " << line;
      }
    }
    if (!ne.event.empty() && ne.data.contains("type")) {
      EXPECT_EQ(ne.event, ne.data.at("type").as_string()) << e;
    }
    out.push_back(std::move(ne));
  }
  EXPECT_EQ(begin, s.bytes.size());
  return out;
}

std::vector<std::string> Names(const std::vector<NamedEvent>& events) {
  std::vector<std::string> out;
  for (const NamedEvent& e : events) {
    out.push_back(e.event);
  }
  return out;
}

std::string ReadFixture(const std::string& rel) {
  std::ifstream in("/work/shared/fixtures/" + rel, std::ios::binary);
  if (!in) {
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Key order of an object, for shape comparisons with recorded bodies.
std::vector<std::string> Keys(const json::object& o) {
  std::vector<std::string> k;
  for (const auto& kv : o) {
    k.emplace_back(kv.key());
  }
  return k;
}

const ModelHook kNoHook{};
const GenIds kIds{7, 1727346161};

// ---- Shared planning ----

TEST(MockPlan, ArgumentsFromRequiredProperties) {
  EXPECT_EQ(
      ArgumentsFromRequiredText(
          R"({"type":"object","properties":{"location":{"type":"string"},)"
          R"("unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"},)"
          R"("x":{"type":"boolean"}},"required":["location","unit","days","x"]})"),
      R"({"location":"Paris","unit":"celsius","days":1,"x":true})");
  EXPECT_EQ(ArgumentsFromRequiredText(R"({"type":"OBJECT","properties":{"q":{"type":"STRING"},)"
                                      R"("n":{"type":"NUMBER"}},"required":["q"]})"),
            R"({"q":"Paris"})");
  EXPECT_EQ(ArgumentsFromRequiredText(R"({"type":"object","properties":{"a":{"type":"string"}}})"),
            "{}");
  EXPECT_EQ(ArgumentsFromRequiredText("nope"), "{}");
}

TEST(MockPlan, WordsAndTokens) {
  EXPECT_EQ(CountWords(""), 0);
  EXPECT_EQ(CountWords("  What's the\nweather  in SF? "), 5);
  GenRequest r;
  r.prompt_tokens = 9;
  GenReply reply = PlanGenReply(r, kNoHook, 5);
  EXPECT_EQ(reply.words.size(), 5u);
  EXPECT_EQ(reply.words[0], "Mock");
  EXPECT_EQ(reply.completion_tokens, 5);
  EXPECT_EQ(reply.prompt_tokens, 9);
  EXPECT_EQ(reply.stop, GenReply::Stop::kEnd);
  r.max_tokens = 2;
  reply = PlanGenReply(r, kNoHook, 5);
  EXPECT_EQ(reply.words.size(), 2u);
  EXPECT_EQ(reply.stop, GenReply::Stop::kLength);
}

TEST(MockPlan, ToolsThinkingAndHooks) {
  GenRequest r;
  r.tools = {{"get_weather", R"({"location":"Paris"})"}, {"get_time", "{}"}};
  GenReply reply = PlanGenReply(r, kNoHook, 5);
  ASSERT_EQ(reply.calls.size(), 1u);
  EXPECT_EQ(reply.calls[0].name, "get_weather");
  EXPECT_EQ(reply.stop, GenReply::Stop::kTool);
  EXPECT_TRUE(reply.words.empty());

  r.last_is_tool_result = true;  // after a tool result the answer is text
  EXPECT_TRUE(PlanGenReply(r, kNoHook, 5).calls.empty());
  reply = PlanGenReply(r, ParseModelHook("mock-tools-2"), 5);  // unless a hook forces calls
  ASSERT_EQ(reply.calls.size(), 2u);
  EXPECT_EQ(reply.calls[1].name, "get_time");
  r.last_is_tool_result = false;

  r.tools_disabled = true;
  EXPECT_TRUE(PlanGenReply(r, kNoHook, 5).calls.empty());
  EXPECT_EQ(PlanGenReply(r, ParseModelHook("mock-tool"), 5).calls.size(), 1u);
  r.tools_disabled = false;
  r.tool_choice_name = "get_time";
  EXPECT_EQ(PlanGenReply(r, kNoHook, 5).calls[0].name, "get_time");

  GenRequest plain;
  reply = PlanGenReply(plain, ParseModelHook("mock-think"), 3);
  EXPECT_FALSE(reply.thought.empty());
  EXPECT_EQ(reply.thinking_tokens, static_cast<int64_t>(reply.thought.size()));
  EXPECT_EQ(reply.completion_tokens, 3 + reply.thinking_tokens);
  EXPECT_TRUE(PlanGenReply(plain, ParseModelHook("mock-error-mid"), 3).error_mid);
  // mock-tool without tools in the request: plain text.
  EXPECT_TRUE(PlanGenReply(plain, ParseModelHook("mock-tool"), 3).calls.empty());
}

TEST(MockPlan, NewHookNames) {
  using K = ModelHook::Kind;
  EXPECT_EQ(ParseModelHook("mock-tool").kind, K::kTool);
  EXPECT_EQ(ParseModelHook("mock-tool").value, 1);
  EXPECT_EQ(ParseModelHook("mock-tools-2").value, 2);
  EXPECT_EQ(ParseModelHook("mock-think").kind, K::kThink);
  EXPECT_EQ(ParseModelHook("mock-error-mid").kind, K::kErrorMid);
  EXPECT_EQ(ParseModelHook("mock-tools-3").kind, K::kNone);
}

// ---- Anthropic ----

constexpr std::string_view kAnthropicText =
    R"({"model":"claude-x","max_tokens":100,"system":"be brief",)"
    R"("messages":[{"role":"user","content":[{"type":"text","text":"What's the weather in Paris?"}]}]})";

constexpr std::string_view kAnthropicTools =
    R"({"model":"claude-x","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"weather?"}],)"
    R"("tools":[{"name":"get_weather","description":"w","input_schema":{"type":"object",)"
    R"("properties":{"location":{"type":"string"}},"required":["location"]}},)"
    R"({"type":"web_search_20250305","name":"web_search"}]})";

GenRequest ParseAnthropic(std::string_view body) {
  GenRequest r;
  std::optional<DialectError> e = ParseAnthropicRequest(body, false, &r);
  EXPECT_FALSE(e) << (e ? e->message : "");
  return r;
}

TEST(MockAnthropic, NonStreamShapeMatchesFixture) {
  GenRequest r = ParseAnthropic(kAnthropicText);
  EXPECT_EQ(r.prompt_tokens, 2 + 5);
  EXPECT_EQ(r.max_tokens, 100);
  GenReply reply = PlanGenReply(r, kNoHook, 4);
  json::object o = Obj(AnthropicMessageBody(r, reply, kIds));
  std::string fixture = ReadFixture("anthropic/cache_write_json.json");
  if (!fixture.empty()) {
    std::vector<std::string> want = Keys(Obj(fixture));
    std::vector<std::string> got = Keys(o);
    // The recorded body's keys, minus those 1.x added (stop_details, ...), in the same order.
    std::vector<std::string> common;
    for (const std::string& k : want) {
      if (o.contains(k)) {
        common.push_back(k);
      }
    }
    EXPECT_EQ(got, common);
  }
  EXPECT_EQ(o.at("id"), "msg_mock7");
  EXPECT_EQ(o.at("type"), "message");
  EXPECT_EQ(o.at("role"), "assistant");
  EXPECT_EQ(o.at("model"), "claude-x");
  EXPECT_EQ(o.at("stop_reason"), "end_turn");
  EXPECT_TRUE(o.at("stop_sequence").is_null());
  const json::array& content = o.at("content").as_array();
  ASSERT_EQ(content.size(), 1u);
  EXPECT_EQ(content[0].at("type"), "text");
  EXPECT_EQ(content[0].at("text").as_string(), JoinWords(reply.words));
  const json::object& u = o.at("usage").as_object();
  EXPECT_EQ(u.at("input_tokens").as_int64(), 7);
  EXPECT_EQ(u.at("output_tokens").as_int64(), 4);
  EXPECT_EQ(u.at("cache_read_input_tokens").as_int64(), 0);
}

TEST(MockAnthropic, StreamEventOrderAndText) {
  GenRequest r = ParseAnthropic(kAnthropicText);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  std::vector<NamedEvent> ev = ParseNamedSse(AnthropicStream(r, reply, kIds));
  EXPECT_EQ(Names(ev), (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                                 "content_block_delta", "content_block_delta",
                                                 "content_block_delta", "content_block_stop",
                                                 "message_delta", "message_stop"}));
  const json::object& msg = ev[0].data.at("message").as_object();
  EXPECT_EQ(msg.at("id"), "msg_mock7");
  EXPECT_TRUE(msg.at("content").as_array().empty());
  EXPECT_TRUE(msg.at("stop_reason").is_null());
  EXPECT_EQ(msg.at("usage").at("input_tokens").as_int64(), 7);
  EXPECT_EQ(ev[1].data.at("content_block").at("type"), "text");
  std::string text;
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(ev[i].data.at("index").as_int64(), 0);
    EXPECT_EQ(ev[i].data.at("delta").at("type"), "text_delta");
    text += ev[i].data.at("delta").at("text").as_string();
  }
  EXPECT_EQ(text, JoinWords(reply.words));
  EXPECT_EQ(ev[7].data.at("delta").at("stop_reason"), "end_turn");
  EXPECT_EQ(ev[7].data.at("usage").at("output_tokens").as_int64(), 3);
  // The recorded stream's first event has the same message keys.
  std::string fixture = ReadFixture("anthropic/tool_use_response.sse");
  if (!fixture.empty()) {
    std::size_t p = fixture.find("data: ");
    json::object rec = Obj(fixture.substr(p + 6, fixture.find('\n', p) - p - 6));
    EXPECT_EQ(Keys(rec.at("message").as_object()), Keys(msg));
    EXPECT_EQ(Keys(rec.at("message").at("usage").as_object()), Keys(msg.at("usage").as_object()));
  }
}

TEST(MockAnthropic, ToolUseStreamAndBody) {
  GenRequest r = ParseAnthropic(kAnthropicTools);
  ASSERT_EQ(r.tools.size(), 1u);  // the server tool is skipped
  EXPECT_TRUE(r.stream);
  GenReply reply = PlanGenReply(r, kNoHook, 8);
  json::object o = Obj(AnthropicMessageBody(r, reply, kIds));
  EXPECT_EQ(o.at("stop_reason"), "tool_use");
  const json::object& block = o.at("content").at(0).as_object();
  EXPECT_EQ(block.at("type"), "tool_use");
  EXPECT_EQ(block.at("id"), "toolu_mock7_0");
  EXPECT_EQ(block.at("name"), "get_weather");
  EXPECT_EQ(json::serialize(block.at("input")), R"({"location":"Paris"})");

  std::vector<NamedEvent> ev = ParseNamedSse(AnthropicStream(r, reply, kIds));
  EXPECT_EQ(ev[1].data.at("content_block").at("type"), "tool_use");
  EXPECT_EQ(ev[1].data.at("content_block").at("id"), "toolu_mock7_0");
  EXPECT_TRUE(ev[1].data.at("content_block").at("input").as_object().empty());
  std::string args;
  for (const NamedEvent& e : ev) {
    if (e.event == "content_block_delta") {
      EXPECT_EQ(e.data.at("delta").at("type"), "input_json_delta");
      args += e.data.at("delta").at("partial_json").as_string();
    }
  }
  EXPECT_EQ(args, R"({"location":"Paris"})");
  EXPECT_EQ(ev[ev.size() - 2].data.at("delta").at("stop_reason"), "tool_use");

  GenReply two = PlanGenReply(r, ParseModelHook("mock-tools-2"), 8);
  json::object o2 = Obj(AnthropicMessageBody(r, two, kIds));
  ASSERT_EQ(o2.at("content").as_array().size(), 2u);
  EXPECT_EQ(o2.at("content").at(1).at("id"), "toolu_mock7_1");
}

TEST(MockAnthropic, ThinkingBlocks) {
  GenRequest r = ParseAnthropic(
      R"({"model":"m","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},)"
      R"("messages":[{"role":"user","content":"hi"}]})");
  EXPECT_TRUE(r.thinking);
  GenReply reply = PlanGenReply(r, kNoHook, 2);
  json::object o = Obj(AnthropicMessageBody(r, reply, kIds));
  const json::array& content = o.at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0].at("type"), "thinking");
  EXPECT_FALSE(content[0].at("thinking").as_string().empty());
  EXPECT_FALSE(content[0].at("signature").as_string().empty());
  EXPECT_EQ(content[1].at("type"), "text");

  std::vector<NamedEvent> ev = ParseNamedSse(AnthropicStream(r, reply, kIds));
  EXPECT_EQ(ev[1].data.at("content_block").at("type"), "thinking");
  EXPECT_EQ(ev[2].event, "ping");
  std::vector<std::string> delta_types;
  for (const NamedEvent& e : ev) {
    if (e.event == "content_block_delta") {
      std::string t(e.data.at("delta").at("type").as_string());
      if (delta_types.empty() || delta_types.back() != t) {
        delta_types.push_back(t);
      }
    }
  }
  EXPECT_EQ(delta_types,
            (std::vector<std::string>{"thinking_delta", "signature_delta", "text_delta"}));
}

TEST(MockAnthropic, RequestErrorsAndCountTokens) {
  GenRequest r;
  std::optional<DialectError> e =
      ParseAnthropicRequest(R"({"model":"m","messages":[]})", false, &r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "max_tokens: Field required");
  EXPECT_FALSE(ParseAnthropicRequest(R"({"model":"m","messages":[]})", true, &r));
  EXPECT_TRUE(ParseAnthropicRequest("{", false, &r));
  GenRequest c;
  ASSERT_FALSE(ParseAnthropicRequest(
      R"({"model":"m","messages":[{"role":"user","content":"one two three"}]})", true, &c));
  EXPECT_EQ(AnthropicCountTokensBody(c), R"({"input_tokens":3})");

  ErrorAnswer a =
      RenderDialectError(Dialect::kAnthropic, InjectedError(Dialect::kAnthropic, 529, "m"), 3);
  EXPECT_EQ(a.status, 529);
  EXPECT_EQ(a.body, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},)"
                    R"("request_id":"req_mock3"})");
  EXPECT_EQ(FindHeader(a.headers, "request-id"), "req_mock3");
  EXPECT_EQ(FindHeader(a.headers, "retry-after"), "1");
  json::object nf = Obj(RenderDialectError(Dialect::kAnthropic,
                                           InjectedError(Dialect::kAnthropic, 404, "claude-x"), 1)
                            .body);
  EXPECT_EQ(nf.at("error").at("type"), "not_found_error");
  EXPECT_EQ(nf.at("error").at("message"), "model: claude-x");

  json::object models = Obj(AnthropicModelsBody());
  EXPECT_EQ(models.at("data").at(0).at("type"), "model");
  EXPECT_FALSE(models.at("has_more").as_bool());
}

TEST(MockAnthropic, MidStreamError) {
  GenRequest r = ParseAnthropic(kAnthropicText);
  GenReply reply = PlanGenReply(r, ParseModelHook("mock-error-mid"), 8);
  SseStream cut = CutWithMidStreamError(Dialect::kAnthropic, AnthropicStream(r, reply, kIds));
  std::vector<NamedEvent> ev = ParseNamedSse(cut);
  EXPECT_EQ(Names(ev),
            (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                      "content_block_delta", "content_block_delta", "error"}));
  EXPECT_EQ(ev.back().data.at("error").at("type"), "overloaded_error");
  EXPECT_EQ(ev.back().data.at("error").at("message"), "Overloaded");
}

// ---- Gemini ----

constexpr std::string_view kGeminiText =
    R"({"systemInstruction":{"parts":[{"text":"be brief"}]},)"
    R"("contents":[{"role":"user","parts":[{"text":"Where is Google headquartered?"}]}]})";

constexpr std::string_view kGeminiTools =
    R"({"contents":[{"role":"user","parts":[{"text":"weather?"}]}],"tools":[{"functionDeclarations":[)"
    R"({"name":"weather","parameters":{"type":"OBJECT","properties":{"latitude":{"type":"STRING"},)"
    R"("longitude":{"type":"STRING"}},"required":["latitude","longitude"]}},)"
    R"({"name":"get_time","parameters":{"type":"object","properties":{}}}]}]})";

GenRequest ParseGemini(std::string_view body, bool stream = false, bool sse = true) {
  GenRequest r;
  r.stream = stream;
  r.sse = sse;
  std::optional<DialectError> e = ParseGeminiRequest(body, "gemini-x", &r);
  EXPECT_FALSE(e) << (e ? e->message : "");
  return r;
}

// Splits a Gemini SSE stream, requiring CRLF framing and no [DONE].
std::vector<json::object> GeminiEvents(const SseStream& s) {
  std::vector<json::object> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string_view e = s.EventAt(i);
    EXPECT_TRUE(e.starts_with("data: ")) << e;
    EXPECT_TRUE(e.ends_with("\r\n\r\n")) << e;
    std::string_view payload = e.substr(6, e.size() - 10);
    EXPECT_EQ(payload.find('\n'), std::string_view::npos);
    EXPECT_EQ(payload.find("[DONE]"), std::string_view::npos);
    out.push_back(Obj(payload));
  }
  return out;
}

TEST(MockGemini, NonStreamIsPrettyAndShaped) {
  GenRequest r = ParseGemini(kGeminiText);
  EXPECT_EQ(r.prompt_tokens, 2 + 4);
  GenReply reply = PlanGenReply(r, kNoHook, 4);
  std::string body = GeminiResponseBody(r, reply, kIds);
  EXPECT_TRUE(body.starts_with("{\n  \"candidates\": [\n    {\n")) << body;
  json::object o = Obj(body);
  const json::object& c = o.at("candidates").at(0).as_object();
  EXPECT_EQ(c.at("content").at("role"), "model");
  EXPECT_EQ(c.at("content").at("parts").at(0).at("text").as_string(), JoinWords(reply.words));
  EXPECT_EQ(c.at("finishReason"), "STOP");
  const json::object& u = o.at("usageMetadata").as_object();
  EXPECT_EQ(u.at("promptTokenCount").as_int64(), 6);
  EXPECT_EQ(u.at("candidatesTokenCount").as_int64(), 4);
  EXPECT_EQ(u.at("totalTokenCount").as_int64(), 10);
  EXPECT_EQ(o.at("modelVersion"), "gemini-x");
  EXPECT_EQ(o.at("responseId"), "mock7");
  std::string fixture = ReadFixture("gemini/thinking_reply_thought_summary_json.json");
  if (!fixture.empty()) {
    json::object rec = Obj(fixture);
    EXPECT_EQ(Keys(rec), Keys(o));
    EXPECT_EQ(Keys(rec.at("candidates").at(0).as_object()), Keys(c));
    // The recorded body is pretty-printed the same way.
    EXPECT_EQ(GooglePretty(json::serialize(rec)), fixture + (fixture.ends_with("\n") ? "" : "\n"));
  }
}

TEST(MockGemini, SseStreamCrlfNoDoneUsageLast) {
  GenRequest r = ParseGemini(kGeminiText, true);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  SseStream s = GeminiStream(r, reply, kIds);
  std::vector<json::object> ev = GeminiEvents(s);
  ASSERT_EQ(ev.size(), 3u);
  std::string text;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const json::object& c = ev[i].at("candidates").at(0).as_object();
    ASSERT_EQ(c.at("content").at("parts").as_array().size(), 1u);
    text += c.at("content").at("parts").at(0).at("text").as_string();
    EXPECT_EQ(c.contains("finishReason"), i + 1 == ev.size());
    EXPECT_EQ(ev[i].at("usageMetadata").as_object().contains("candidatesTokenCount"),
              i + 1 == ev.size());
  }
  EXPECT_EQ(text, JoinWords(reply.words));
  EXPECT_EQ(ev.back().at("usageMetadata").at("candidatesTokenCount").as_int64(), 3);
  // Google's spacing, as in the recording: `"key": value`, nothing after commas.
  EXPECT_NE(s.bytes.find("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Mock\"}],"
                         "\"role\": \"model\"}}],\"usageMetadata\": {\"promptTokenCount\": 6,"),
            std::string::npos)
      << s.bytes;
  std::string fixture = ReadFixture("gemini/basic_reply_short.sse");
  if (!fixture.empty()) {
    SseStream rec = SplitSse(fixture);
    std::vector<json::object> rev = GeminiEvents(rec);
    EXPECT_EQ(Keys(rev[0]),
              (std::vector<std::string>{"candidates", "usageMetadata", "modelVersion"}));
    EXPECT_EQ(Keys(rev[0].at("usageMetadata").as_object()),
              Keys(ev[0].at("usageMetadata").as_object()));
  }
}

TEST(MockGemini, JsonArrayStreamWithoutAltSse) {
  GenRequest r = ParseGemini(kGeminiText, true, false);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  SseStream s = GeminiStream(r, reply, kIds);
  json::value v = ParseJson(s.bytes);
  ASSERT_TRUE(v.is_array());
  EXPECT_EQ(v.as_array().size(), 3u);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_TRUE(s.bytes.starts_with("[{"));
  EXPECT_TRUE(s.bytes.ends_with("}\n]"));
  SseStream cut =
      CutWithMidStreamError(Dialect::kGemini, GeminiStream(r, PlanGenReply(r, kNoHook, 5), kIds));
  json::value cv = ParseJson(cut.bytes);
  ASSERT_TRUE(cv.is_array());
  EXPECT_EQ(cv.as_array().back().at("error").at("status"), "UNAVAILABLE");
}

TEST(MockGemini, FunctionCallsAndThoughts) {
  GenRequest r = ParseGemini(kGeminiTools, true);
  ASSERT_EQ(r.tools.size(), 2u);
  GenReply reply = PlanGenReply(r, ParseModelHook("mock-tools-2"), 3);
  std::vector<json::object> ev = GeminiEvents(GeminiStream(r, reply, kIds));
  ASSERT_EQ(ev.size(), 1u);
  const json::array& parts = ev[0].at("candidates").at(0).at("content").at("parts").as_array();
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].at("functionCall").at("name"), "weather");
  EXPECT_EQ(json::serialize(parts[0].at("functionCall").at("args")),
            R"({"latitude":"Paris","longitude":"Paris"})");
  EXPECT_FALSE(parts[0].at("functionCall").as_object().contains("id"));
  EXPECT_EQ(parts[1].at("functionCall").at("name"), "get_time");
  EXPECT_EQ(ev[0].at("candidates").at(0).at("finishReason"), "STOP");

  GenRequest t = ParseGemini(
      R"({"contents":[{"parts":[{"text":"why"}]}],"generationConfig":{"thinkingConfig":)"
      R"({"includeThoughts":true},"maxOutputTokens":2}})");
  EXPECT_TRUE(t.thinking);
  GenReply tr = PlanGenReply(t, kNoHook, 8);
  json::object o = Obj(GeminiResponseBody(t, tr, kIds));
  const json::array& tp = o.at("candidates").at(0).at("content").at("parts").as_array();
  ASSERT_EQ(tp.size(), 2u);
  EXPECT_TRUE(tp[0].at("thought").as_bool());
  EXPECT_FALSE(tp[1].as_object().contains("thought"));
  EXPECT_EQ(o.at("candidates").at(0).at("finishReason"), "MAX_TOKENS");
  EXPECT_EQ(o.at("usageMetadata").at("thoughtsTokenCount").as_int64(), tr.thinking_tokens);
  EXPECT_EQ(o.at("usageMetadata").at("candidatesTokenCount").as_int64(), 2);
}

TEST(MockGemini, ErrorsCountTokensAndModels) {
  json::object e =
      Obj(RenderDialectError(Dialect::kGemini, InjectedError(Dialect::kGemini, 429, "g"), 1).body);
  EXPECT_EQ(e.at("error").at("code").as_int64(), 429);
  EXPECT_EQ(e.at("error").at("status"), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(json::serialize(Obj(RenderDialectError(Dialect::kGemini,
                                                   InjectedError(Dialect::kGemini, 404, "g"), 1)
                                    .body)
                                .at("error")
                                .at("status")),
            "\"NOT_FOUND\"");
  GenRequest r = ParseGemini(kGeminiText);
  EXPECT_EQ(Obj(GeminiCountTokensBody(r)).at("totalTokens").as_int64(), 6);
  json::object models = Obj(GeminiModelsBody());
  EXPECT_TRUE(models.at("models").at(0).at("name").as_string().starts_with("models/"));
  GenRequest bad;
  EXPECT_TRUE(ParseGeminiRequest(R"({"contents":[]})", "g", &bad));
  std::string mid = MidStreamErrorEvent(Dialect::kGemini, 2);
  EXPECT_TRUE(mid.ends_with("\r\n\r\n"));
  EXPECT_EQ(Obj(mid.substr(6)).at("error").at("code").as_int64(), 503);
}

// ---- Ollama ----

std::vector<json::object> NdjsonLines(const SseStream& s) {
  std::vector<json::object> out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string_view line = s.EventAt(i);
    EXPECT_TRUE(line.ends_with("\n"));
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    out.push_back(Obj(line));
  }
  return out;
}

SseStream SplitNdjson(const std::string& bytes) {
  SseStream s;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    std::size_t end = nl == std::string::npos ? bytes.size() : nl + 1;
    s.events.push_back({end, true});
    pos = end;
  }
  s.bytes = bytes;
  return s;
}

TEST(MockOllama, StreamLinesAndFinalObject) {
  GenRequest r;
  ASSERT_FALSE(ParseOllamaRequest(
      R"({"model":"llama3","messages":[{"role":"user","content":"Tell me a joke"}]})", &r));
  EXPECT_TRUE(r.stream);  // Ollama's default
  EXPECT_EQ(r.prompt_tokens, 4);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  std::vector<json::object> lines = NdjsonLines(OllamaStream(r, reply, kIds));
  ASSERT_EQ(lines.size(), 4u);
  std::string text;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(lines[i].at("done").as_bool());
    text += lines[i].at("message").at("content").as_string();
  }
  EXPECT_EQ(text, JoinWords(reply.words));
  const json::object& last = lines.back();
  EXPECT_TRUE(last.at("done").as_bool());
  EXPECT_EQ(last.at("done_reason"), "stop");
  EXPECT_EQ(last.at("prompt_eval_count").as_int64(), 4);
  EXPECT_EQ(last.at("eval_count").as_int64(), 3);
  std::string fixture = ReadFixture("ollama/joke_stream.ndjson");
  if (!fixture.empty()) {
    if (!fixture.ends_with("\n")) {
      fixture += '\n';
    }
    std::vector<json::object> rec = NdjsonLines(SplitNdjson(fixture));
    EXPECT_EQ(Keys(rec.front()), Keys(lines.front()));
    EXPECT_EQ(Keys(rec.back()), Keys(last));
  }
}

TEST(MockOllama, NonStreamToolsAndThinking) {
  GenRequest r;
  ASSERT_FALSE(ParseOllamaRequest(
      R"({"model":"llama3.2","stream":false,"think":true,"messages":[{"role":"user","content":"weather in Paris?"}],)"
      R"("tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object",)"
      R"("properties":{"location":{"type":"string"},"format":{"type":"string","enum":["celsius","fahrenheit"]}},)"
      R"("required":["location","format"]}}}]})",
      &r));
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.thinking);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  json::object o = Obj(OllamaChatBody(r, reply, kIds));
  const json::object& m = o.at("message").as_object();
  EXPECT_EQ(m.at("content"), "");
  EXPECT_FALSE(m.at("thinking").as_string().empty());
  const json::object& call = m.at("tool_calls").at(0).as_object();
  EXPECT_EQ(call.at("function").at("name"), "get_current_weather");
  EXPECT_EQ(json::serialize(call.at("function").at("arguments")),
            R"({"location":"Paris","format":"celsius"})");
  EXPECT_TRUE(o.at("done").as_bool());
  EXPECT_EQ(o.at("done_reason"), "stop");
  std::string fixture = ReadFixture("ollama/docs_tool_call_paris.json");
  if (!fixture.empty()) {
    EXPECT_EQ(Keys(Obj(fixture)), Keys(o));
  }
  // A tool result as the last message: the answer is text.
  GenRequest after;
  ASSERT_FALSE(ParseOllamaRequest(
      R"({"model":"m","messages":[{"role":"user","content":"x"},{"role":"tool","content":"20C"}],)"
      R"("tools":[{"type":"function","function":{"name":"f"}}]})",
      &after));
  EXPECT_TRUE(PlanGenReply(after, kNoHook, 3).calls.empty());
}

TEST(MockOllama, ErrorsAndTags) {
  ErrorAnswer a =
      RenderDialectError(Dialect::kOllama, InjectedError(Dialect::kOllama, 404, "x"), 1);
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, R"({"error":"model 'x' not found"})");
  GenRequest r;
  std::optional<DialectError> e = ParseOllamaRequest(R"({"messages":[]})", &r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "model is required");
  EXPECT_EQ(Obj(OllamaTagsBody()).at("models").at(0).at("name"), "llama3.2:latest");
  std::string mid = MidStreamErrorEvent(Dialect::kOllama, 2);
  EXPECT_TRUE(Obj(mid).contains("error"));
  EXPECT_EQ(OllamaTime(0, 0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(OllamaTime(1716582406, 294874000), "2024-05-24T20:26:46.294874Z");
}

// ---- Bedrock ----

TEST(MockBedrock, Crc32KnownValues) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

TEST(MockBedrock, FrameLayout) {
  std::string f = EventStreamFrame({{":event-type", "messageStart"}}, R"({"role":"assistant"})");
  // prelude: total length, headers length, prelude CRC
  auto u32 = [&f](std::size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(f[at])) << 24 |
           static_cast<uint32_t>(static_cast<unsigned char>(f[at + 1])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(f[at + 2])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(f[at + 3]));
  };
  const std::size_t headers_len = 1 + 11 + 1 + 2 + 12;
  EXPECT_EQ(u32(0), f.size());
  EXPECT_EQ(u32(4), headers_len);
  EXPECT_EQ(u32(8), Crc32(std::string_view(f).substr(0, 8)));
  EXPECT_EQ(u32(f.size() - 4), Crc32(std::string_view(f).substr(0, f.size() - 4)));
  EXPECT_EQ(f[12], 11);
  EXPECT_EQ(f.substr(13, 11), ":event-type");
  EXPECT_EQ(f[24], 7);
  std::size_t used = 0;
  std::optional<EventStreamMessage> m = DecodeEventStreamFrame(f, &used);
  ASSERT_TRUE(m);
  EXPECT_EQ(used, f.size());
  EXPECT_EQ(m->payload, R"({"role":"assistant"})");
  std::string bad = f;
  bad[20] ^= 1;
  EXPECT_FALSE(DecodeEventStreamFrame(bad, &used));
}

std::vector<EventStreamMessage> DecodeAll(const SseStream& s) {
  std::vector<EventStreamMessage> out;
  std::string_view rest = s.bytes;
  std::size_t i = 0;
  while (!rest.empty()) {
    std::size_t used = 0;
    std::optional<EventStreamMessage> m = DecodeEventStreamFrame(rest, &used);
    EXPECT_TRUE(m) << "bad frame at event " << i;
    if (!m) {
      break;
    }
    EXPECT_EQ(s.EventAt(i).size(), used);
    out.push_back(std::move(*m));
    rest.remove_prefix(used);
    ++i;
  }
  EXPECT_EQ(i, s.size());
  return out;
}

std::string HeaderOf(const EventStreamMessage& m, std::string_view name) {
  for (const auto& [k, v] : m.headers) {
    if (k == name) {
      return v;
    }
  }
  return {};
}

constexpr std::string_view kBedrockTools =
    R"({"messages":[{"role":"user","content":[{"text":"weather in Paris?"}]}],"system":[{"text":"be brief"}],)"
    R"("inferenceConfig":{"maxTokens":100},"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather",)"
    R"("inputSchema":{"json":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}}]}})";

TEST(MockBedrock, ConverseBody) {
  GenRequest r;
  ASSERT_FALSE(ParseBedrockRequest(kBedrockTools, "anthropic.claude-3-haiku-20240307-v1:0", &r));
  EXPECT_EQ(r.prompt_tokens, 5);
  GenReply reply = PlanGenReply(r, kNoHook, 3);
  json::object o = Obj(BedrockConverseBody(r, reply, kIds));
  EXPECT_EQ(Keys(o), (std::vector<std::string>{"metrics", "output", "stopReason", "usage"}));
  EXPECT_EQ(o.at("stopReason"), "tool_use");
  const json::object& tu =
      o.at("output").at("message").at("content").at(0).at("toolUse").as_object();
  EXPECT_EQ(tu.at("name"), "get_weather");
  EXPECT_EQ(tu.at("toolUseId"), "tooluse_mock7_0");
  EXPECT_EQ(json::serialize(tu.at("input")), R"({"location":"Paris"})");
  EXPECT_EQ(o.at("usage").at("inputTokens").as_int64(), 5);
  EXPECT_EQ(o.at("usage").at("totalTokens").as_int64(), 5 + reply.completion_tokens);

  GenRequest text;
  ASSERT_FALSE(ParseBedrockRequest(
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],)"
      R"("additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":1024}}})",
      "m", &text));
  EXPECT_TRUE(text.thinking);
  json::object t = Obj(BedrockConverseBody(text, PlanGenReply(text, kNoHook, 2), kIds));
  const json::array& content = t.at("output").at("message").at("content").as_array();
  ASSERT_EQ(content.size(), 2u);
  EXPECT_FALSE(
      content[0].at("reasoningContent").at("reasoningText").at("text").as_string().empty());
  EXPECT_TRUE(content[1].at("text").as_string().starts_with("Mock"));
  EXPECT_EQ(t.at("stopReason"), "end_turn");
}

TEST(MockBedrock, ConverseStreamFrames) {
  GenRequest r;
  ASSERT_FALSE(ParseBedrockRequest(kBedrockTools, "m", &r));
  GenReply reply = PlanGenReply(r, ParseModelHook("mock-think"), 3);
  std::vector<EventStreamMessage> frames = DecodeAll(BedrockStream(r, reply, kIds));
  std::vector<std::string> types;
  std::string args;
  std::string reasoning;
  for (const EventStreamMessage& m : frames) {
    EXPECT_EQ(HeaderOf(m, ":content-type"), "application/json");
    EXPECT_EQ(HeaderOf(m, ":message-type"), "event");
    EXPECT_EQ(m.headers[0].first, ":event-type");
    types.push_back(HeaderOf(m, ":event-type"));
    json::object p = Obj(m.payload);
    EXPECT_TRUE(p.contains("p"));  // padding, as AWS sends it
    if (types.back() == "contentBlockDelta") {
      const json::object& d = p.at("delta").as_object();
      if (d.contains("toolUse")) {
        args += d.at("toolUse").at("input").as_string();
      } else if (d.contains("reasoningContent") &&
                 d.at("reasoningContent").as_object().contains("text")) {
        reasoning += d.at("reasoningContent").at("text").as_string();
      }
    }
    if (types.back() == "contentBlockStart") {
      EXPECT_EQ(p.at("start").at("toolUse").at("name"), "get_weather");
      EXPECT_EQ(p.at("contentBlockIndex").as_int64(), 1);
    }
    if (types.back() == "messageStop") {
      EXPECT_EQ(p.at("stopReason"), "tool_use");
    }
    if (types.back() == "metadata") {
      EXPECT_EQ(p.at("usage").at("inputTokens").as_int64(), 5);
      EXPECT_TRUE(p.at("metrics").as_object().contains("latencyMs"));
    }
  }
  EXPECT_EQ(types.front(), "messageStart");
  EXPECT_EQ(types[types.size() - 2], "messageStop");
  EXPECT_EQ(types.back(), "metadata");
  EXPECT_EQ(args, R"({"location":"Paris"})");
  EXPECT_EQ(reasoning, JoinWords(reply.thought));
}

TEST(MockBedrock, ErrorsAndMidStreamException) {
  ErrorAnswer a =
      RenderDialectError(Dialect::kBedrock, InjectedError(Dialect::kBedrock, 429, "m"), 4);
  EXPECT_EQ(a.body, R"({"message":"Too many requests, please wait before trying again."})");
  EXPECT_TRUE(FindHeader(a.headers, "x-amzn-ErrorType").starts_with("ThrottlingException:"));
  GenRequest r;
  ASSERT_FALSE(ParseBedrockRequest(kBedrockTools, "m", &r));
  GenRequest text = r;
  text.tools.clear();
  SseStream cut = CutWithMidStreamError(Dialect::kBedrock,
                                        BedrockStream(text, PlanGenReply(text, kNoHook, 6), kIds));
  std::vector<EventStreamMessage> frames = DecodeAll(cut);
  ASSERT_EQ(frames.size(), 4u);  // messageStart, 2 deltas, exception
  EXPECT_EQ(HeaderOf(frames.back(), ":message-type"), "exception");
  EXPECT_EQ(HeaderOf(frames.back(), ":exception-type"), "throttlingException");
  EXPECT_TRUE(Obj(frames.back().payload).contains("message"));
  EXPECT_TRUE(ParseBedrockRequest("{}", "m", &r));
}

// ---- Responses ----

TEST(MockResponses, NonStreamObject) {
  GenRequest r;
  ASSERT_FALSE(ParseResponsesRequest(
      R"({"model":"gpt-x","instructions":"be brief","input":"Tell me a three sentence story"})",
      &r));
  EXPECT_EQ(r.prompt_tokens, 2 + 6);
  GenReply reply = PlanGenReply(r, kNoHook, 4);
  json::object o = Obj(ResponsesBody(r, reply, kIds));
  EXPECT_EQ(o.at("id"), "resp_mock7");
  EXPECT_EQ(o.at("object"), "response");
  EXPECT_EQ(o.at("created_at").as_int64(), kIds.created);
  EXPECT_EQ(o.at("status"), "completed");
  const json::object& item = o.at("output").at(0).as_object();
  EXPECT_EQ(item.at("type"), "message");
  EXPECT_EQ(item.at("role"), "assistant");
  EXPECT_EQ(item.at("content").at(0).at("type"), "output_text");
  EXPECT_EQ(item.at("content").at(0).at("text").as_string(), JoinWords(reply.words));
  const json::object& u = o.at("usage").as_object();
  EXPECT_EQ(u.at("input_tokens").as_int64(), 8);
  EXPECT_EQ(u.at("output_tokens").as_int64(), 4);
  EXPECT_EQ(u.at("total_tokens").as_int64(), 12);

  r.max_tokens = 16;
  GenReply cut = PlanGenReply(r, kNoHook, 20);
  json::object inc = Obj(ResponsesBody(r, cut, kIds));
  EXPECT_EQ(inc.at("status"), "incomplete");
  EXPECT_EQ(inc.at("incomplete_details").at("reason"), "max_output_tokens");
}

TEST(MockResponses, StreamEventSequence) {
  GenRequest r;
  ASSERT_FALSE(ParseResponsesRequest(
      R"({"model":"gpt-x","stream":true,"input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]})",
      &r));
  GenReply reply = PlanGenReply(r, kNoHook, 2);
  std::vector<NamedEvent> ev = ParseNamedSse(ResponsesStream(r, reply, kIds));
  EXPECT_EQ(Names(ev),
            (std::vector<std::string>{"response.created", "response.in_progress",
                                      "response.output_item.added", "response.content_part.added",
                                      "response.output_text.delta", "response.output_text.delta",
                                      "response.output_text.done", "response.content_part.done",
                                      "response.output_item.done", "response.completed"}));
  for (std::size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(ev[i].data.at("sequence_number").as_int64(), static_cast<int64_t>(i));
  }
  EXPECT_EQ(ev[0].data.at("response").at("status"), "in_progress");
  EXPECT_TRUE(ev[0].data.at("response").at("usage").is_null());
  EXPECT_EQ(ev[6].data.at("text").as_string(), JoinWords(reply.words));
  EXPECT_EQ(ev[4].data.at("item_id"), "msg_mock7");
  EXPECT_EQ(ev.back().data.at("response").at("status"), "completed");
  EXPECT_EQ(ev.back().data.at("response").at("usage").at("output_tokens").as_int64(), 2);
}

TEST(MockResponses, FunctionCallsAndReasoning) {
  GenRequest r;
  ASSERT_FALSE(ParseResponsesRequest(
      R"({"model":"gpt-x","input":"weather?","reasoning":{"effort":"low","summary":"auto"},)"
      R"("tools":[{"type":"function","name":"get_weather","parameters":{"type":"object",)"
      R"("properties":{"location":{"type":"string"}},"required":["location"]}},{"type":"web_search"}]})",
      &r));
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_TRUE(r.thinking);
  GenReply reply = PlanGenReply(r, kNoHook, 2);
  json::object o = Obj(ResponsesBody(r, reply, kIds));
  const json::array& out = o.at("output").as_array();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].at("type"), "reasoning");
  EXPECT_EQ(out[0].at("summary").at(0).at("type"), "summary_text");
  EXPECT_EQ(out[1].at("type"), "function_call");
  EXPECT_EQ(out[1].at("call_id"), "call_mock7_0");
  EXPECT_EQ(out[1].at("arguments"), R"({"location":"Paris"})");
  EXPECT_EQ(o.at("usage").at("output_tokens_details").at("reasoning_tokens").as_int64(),
            reply.thinking_tokens);

  std::vector<NamedEvent> ev = ParseNamedSse(ResponsesStream(r, reply, kIds));
  std::string args;
  bool saw_done = false;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    EXPECT_EQ(ev[i].data.at("sequence_number").as_int64(), static_cast<int64_t>(i));
    if (ev[i].event == "response.function_call_arguments.delta") {
      args += ev[i].data.at("delta").as_string();
      EXPECT_EQ(ev[i].data.at("item_id"), "fc_mock7_0");
    }
    if (ev[i].event == "response.function_call_arguments.done") {
      saw_done = true;
      EXPECT_EQ(ev[i].data.at("arguments").as_string(), args);
    }
  }
  EXPECT_TRUE(saw_done);
  EXPECT_EQ(args, R"({"location":"Paris"})");
  EXPECT_EQ(ev[2].data.at("item").at("type"), "reasoning");

  SseStream cut = CutWithMidStreamError(Dialect::kResponses,
                                        ResponsesStream(r, PlanGenReply(r, kNoHook, 2), kIds));
  std::vector<NamedEvent> cev = ParseNamedSse(cut);
  EXPECT_EQ(cev.back().event, "error");
  EXPECT_EQ(cev.back().data.at("sequence_number").as_int64(), static_cast<int64_t>(cev.size() - 1));
  GenRequest bad;
  EXPECT_TRUE(ParseResponsesRequest(R"({"model":"m"})", &bad));
}

// ---- Azure / OpenAI mid-stream ----

TEST(MockAzure, PromptFilterChunkAndBody) {
  std::string e = AzurePromptFilterEvent();
  ASSERT_TRUE(e.starts_with("data: "));
  ASSERT_TRUE(e.ends_with("\n\n"));
  json::object o = Obj(std::string_view(e).substr(6, e.size() - 8));
  EXPECT_TRUE(o.at("choices").as_array().empty());
  EXPECT_EQ(o.at("id"), "");
  EXPECT_EQ(o.at("prompt_filter_results").at(0).at("prompt_index").as_int64(), 0);
  json::object b = Obj(AzureChatBody(R"({"id":"x","choices":[]})"));
  EXPECT_TRUE(b.contains("prompt_filter_results"));
  json::object err =
      Obj(RenderDialectError(Dialect::kAzure, DialectError{401, "denied", "401"}, 1).body);
  EXPECT_EQ(err.at("error").at("code"), "401");
  EXPECT_EQ(err.at("error").at("message"), "denied");
}

TEST(MockAzure, OpenAiMidStreamError) {
  SseStream s =
      SplitSse("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: {\"c\":3}\n\ndata: [DONE]\n\n");
  SseStream cut = CutWithMidStreamError(Dialect::kOpenAi, s);
  EXPECT_EQ(cut.size(), 3u);
  EXPECT_TRUE(cut.bytes.starts_with("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: {\"error\":"));
  EXPECT_EQ(cut.bytes.find("[DONE]"), std::string::npos);
}

}  // namespace
}  // namespace baton::mock
