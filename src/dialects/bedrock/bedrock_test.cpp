// Bedrock Converse codec and AWS event stream framing.
#include "dialects/bedrock/bedrock.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/bedrock/event_stream.hpp"

namespace baton::bedrock {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Role;
using canon::StreamEvent;
using canon::StreamEvents;
using Type = canon::StreamEvent::Type;

// ---- Event stream framing ----

std::string Event(std::string_view type, std::string_view payload) {
  return EncodeMessage({{":event-type", std::string(type)},
                        {":content-type", "application/json"},
                        {":message-type", "event"}},
                       payload);
}

TEST(EventStream, Crc32MatchesKnownValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926U);  // the standard check value for CRC-32/IEEE
  EXPECT_EQ(Crc32(""), 0U);
  EXPECT_EQ(Crc32("56789", Crc32("1234")), 0xCBF43926U);
}

TEST(EventStream, EmptyMessageIsSixteenBytes) {
  std::string m = EncodeMessage(std::vector<EventHeader>{}, "");
  ASSERT_EQ(m.size(), 16U);
  // AWS's documented empty message: total 16, headers 0, prelude CRC 0x05c248eb, CRC 0x7d98c8ff.
  EXPECT_EQ(m, std::string("\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2\x48\xeb\x7d\x98\xc8\xff", 16));
  EventStreamDecoder d;
  std::vector<EventMessage> out;
  ASSERT_TRUE(d.Feed(m, out).ok());
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(out[0].headers.empty());
  EXPECT_TRUE(out[0].payload.empty());
}

TEST(EventStream, DecodesWholeAndByteByByte) {
  std::string body = Event("messageStart", R"({"role":"assistant"})") +
                     Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
  for (bool bytewise : {false, true}) {
    EventStreamDecoder d;
    std::vector<EventMessage> out;
    if (bytewise) {
      for (char c : body) {
        ASSERT_TRUE(d.Feed(std::string_view(&c, 1), out).ok());
      }
    } else {
      ASSERT_TRUE(d.Feed(body, out).ok());
    }
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].HeaderString(":event-type"), "messageStart");
    EXPECT_EQ(out[0].HeaderString(":message-type"), "event");
    EXPECT_EQ(out[1].payload, R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})");
    EXPECT_TRUE(d.AtBoundary());
  }
}

TEST(EventStream, AllHeaderTypesRoundTrip) {
  std::vector<EventHeader> hs(10);
  for (int i = 0; i < 10; ++i) {
    hs[i].name = "h" + std::to_string(i);
    hs[i].type = static_cast<HeaderType>(i);
  }
  hs[2].number = -5;
  hs[3].number = 1000;
  hs[4].number = -70000;
  hs[5].number = 1LL << 40;
  hs[6].value = std::string("\x00\x01\x02", 3);
  hs[7].value = "text";
  hs[8].number = 1700000000000;
  hs[9].value = "0123456789abcdef";
  EventStreamDecoder d;
  std::vector<EventMessage> out;
  ASSERT_TRUE(d.Feed(EncodeMessage(hs, "payload"), out).ok());
  ASSERT_EQ(out.size(), 1U);
  const auto& got = out[0].headers;
  ASSERT_EQ(got.size(), 10U);
  EXPECT_EQ(got[0].number, 1);
  EXPECT_EQ(got[1].number, 0);
  EXPECT_EQ(got[2].number, -5);
  EXPECT_EQ(got[3].number, 1000);
  EXPECT_EQ(got[4].number, -70000);
  EXPECT_EQ(got[5].number, 1LL << 40);
  EXPECT_EQ(got[6].value, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(got[7].value, "text");
  EXPECT_EQ(got[8].number, 1700000000000);
  EXPECT_EQ(got[9].value, "0123456789abcdef");
  EXPECT_EQ(out[0].payload, "payload");
}

TEST(EventStream, CorruptByteAnywhereIsAnError) {
  std::string good = Event("messageStart", R"({"role":"assistant"})");
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EventStreamDecoder d;
    std::vector<EventMessage> out;
    Status st = d.Feed(bad, out);
    // Lengths and prelude CRC: the prelude check fails; anything later: the message check.
    EXPECT_TRUE(out.empty()) << "byte " << i;
    ASSERT_FALSE(st.ok()) << "byte " << i;
    EXPECT_EQ(st.error().kind, ErrorKind::kUpstreamError);
    EXPECT_FALSE(d.Feed(good, out).ok()) << "a failed decoder stays failed";
  }
}

TEST(EventStream, OversizedMessageIsAnError) {
  std::string big = Event("contentBlockDelta", std::string(2000, 'x'));
  EventStreamDecoder d(1024);
  std::vector<EventMessage> out;
  Status st = d.Feed(big.substr(0, 12), out);  // the prelude alone is enough to refuse it
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("exceeds"), std::string::npos);
}

// ---- ConverseStream decoding ----

StreamEvents Decode(const std::string& body, bool bytewise) {
  auto d = MakeStreamDecoder();
  StreamEvents out;
  if (bytewise) {
    for (char c : body) {
      d->Feed(std::string_view(&c, 1), out);
    }
  } else {
    d->Feed(body, out);
  }
  d->Finish(out);
  return out;
}

std::string Transcript() {
  return Event("messageStart", R"({"p":"abcdefghijk","role":"assistant"})") +
         Event(
             "contentBlockDelta",
             R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Think."}},"p":"ab"})") +
         Event("contentBlockDelta",
               R"({"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig=="}}})") +
         Event("contentBlockStop", R"({"contentBlockIndex":0})") +
         Event("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"text":"Let me "}})") +
         Event("contentBlockDelta", R"({"contentBlockIndex":1,"delta":{"text":"check."}})") +
         Event("contentBlockStop", R"({"contentBlockIndex":1})") +
         Event(
             "contentBlockStart",
             R"({"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_A","name":"get_weather"}}})") +
         Event("contentBlockDelta",
               R"({"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":"}}})") +
         Event("contentBlockDelta",
               R"({"contentBlockIndex":2,"delta":{"toolUse":{"input":"\"Paris\"}"}}})") +
         Event("contentBlockStop", R"({"contentBlockIndex":2})") +
         Event(
             "contentBlockStart",
             R"({"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"tooluse_B","name":"get_time"}}})") +
         Event("contentBlockDelta",
               R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}})") +
         Event("contentBlockStop", R"({"contentBlockIndex":3})") +
         Event("messageStop", R"({"stopReason":"tool_use"})") +
         Event(
             "metadata",
             R"({"usage":{"inputTokens":20,"outputTokens":30,"totalTokens":60,"cacheReadInputTokens":10},"metrics":{"latencyMs":123}})");
}

TEST(BedrockStream, FullTranscriptDecodes) {
  for (bool bytewise : {false, true}) {
    StreamEvents ev = Decode(Transcript(), bytewise);
    ASSERT_EQ(ev.size(), 13U) << "bytewise " << bytewise;
    EXPECT_EQ(ev[0].type, Type::kStart);
    EXPECT_FALSE(ev[0].id.empty());
    EXPECT_EQ(ev[1].type, Type::kThinkingDelta);
    EXPECT_EQ(ev[1].text, "Think.");
    EXPECT_EQ(ev[2].type, Type::kSignatureDelta);
    EXPECT_EQ(ev[2].text, "sig==");
    EXPECT_EQ(ev[3].type, Type::kTextDelta);
    EXPECT_EQ(ev[3].text, "Let me ");
    EXPECT_EQ(ev[4].text, "check.");
    EXPECT_EQ(ev[5].type, Type::kToolCallStart);
    EXPECT_EQ(ev[5].tool_index, 0);
    EXPECT_EQ(ev[5].id, "tooluse_A");
    EXPECT_EQ(ev[5].name, "get_weather");
    EXPECT_EQ(ev[6].type, Type::kToolArgsDelta);
    EXPECT_EQ(ev[6].tool_index, 0);
    EXPECT_EQ(ev[6].text + ev[7].text, R"({"city":"Paris"})");
    EXPECT_EQ(ev[8].type, Type::kToolCallStart);
    EXPECT_EQ(ev[8].tool_index, 1);
    EXPECT_EQ(ev[9].tool_index, 1);
    EXPECT_EQ(ev[9].text, "{}");
    EXPECT_EQ(ev[10].type, Type::kFinish);
    EXPECT_EQ(ev[10].finish, FinishReason::kToolCalls);
    EXPECT_EQ(ev[11].type, Type::kUsage);
    EXPECT_EQ(ev[11].usage.input_tokens, 30);
    EXPECT_EQ(ev[11].usage.cache_read_tokens, 10);
    EXPECT_EQ(ev[11].usage.output_tokens, 30);
    EXPECT_EQ(ev[12].type, Type::kEnd);
  }
}

TEST(BedrockStream, MissingMetadataStillEnds) {
  StreamEvents ev =
      Decode(Event("messageStart", R"({"role":"assistant"})") +
                 Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"x"}})") +
                 Event("messageStop", R"({"stopReason":"stop_sequence",
                 "additionalModelResponseFields":{"stop_sequence":"END"}})"),
             false);
  ASSERT_EQ(ev.size(), 4U);
  EXPECT_EQ(ev[2].finish, FinishReason::kStopSequence);
  EXPECT_EQ(ev[2].stop_sequence, "END");
  EXPECT_EQ(ev[3].type, Type::kEnd);
}

TEST(BedrockStream, CutShortIsAnError) {
  std::string body = Event("messageStart", R"({"role":"assistant"})") +
                     Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"x"}})");
  StreamEvents ev = Decode(body, false);
  ASSERT_EQ(ev.size(), 3U);
  EXPECT_EQ(ev[2].type, Type::kError);
  // Cut inside a frame.
  StreamEvents cut = Decode(body.substr(0, body.size() - 3), true);
  ASSERT_FALSE(cut.empty());
  EXPECT_EQ(cut.back().type, Type::kError);
}

TEST(BedrockStream, ExceptionsMapToKinds) {
  struct Case {
    const char* type;
    ErrorKind kind;
  } cases[] = {{"throttlingException", ErrorKind::kRateLimited},
               {"validationException", ErrorKind::kBadRequest},
               {"modelTimeoutException", ErrorKind::kUpstreamTimeout},
               {"serviceUnavailableException", ErrorKind::kUnavailable},
               {"internalServerException", ErrorKind::kUpstreamError},
               {"modelStreamErrorException", ErrorKind::kUpstreamError}};
  for (const auto& c : cases) {
    std::string body =
        Event("messageStart", R"({"role":"assistant"})") +
        EncodeMessage({{":exception-type", c.type},
                       {":content-type", "application/json"},
                       {":message-type", "exception"}},
                      R"({"message":"Too many tokens, please wait before trying again."})") +
        Event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"late"}})");
    StreamEvents ev = Decode(body, false);
    ASSERT_EQ(ev.size(), 2U) << c.type;
    EXPECT_EQ(ev[1].type, Type::kError);
    EXPECT_EQ(ev[1].error.kind, c.kind) << c.type;
    EXPECT_EQ(ev[1].error.message, "Too many tokens, please wait before trying again.");
  }
  StreamEvents err = Decode(EncodeMessage({{":message-type", "error"},
                                           {":error-code", "InternalFailure"},
                                           {":error-message", "boom"}},
                                          ""),
                            false);
  ASSERT_EQ(err.size(), 1U);
  EXPECT_EQ(err[0].error.message, "boom");
}

TEST(BedrockStream, CorruptFrameIsAnError) {
  std::string body = Transcript();
  body[body.size() / 2] ^= 0x40;
  StreamEvents ev = Decode(body, false);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().type, Type::kError);
  EXPECT_EQ(ev.back().error.kind, ErrorKind::kUpstreamError);
}

// ---- Request rendering ----

json::value Rendered(const canon::Request& r,
                     std::string_view model = "anthropic.claude-3-5-sonnet-20240620-v1:0") {
  return json::parse(RenderRequest(r, model));
}

TEST(BedrockRequest, SystemMessagesAndInference) {
  canon::Request r;
  r.model = "ignored";
  r.system = {Part::Text("Be brief."), Part::Text("Be kind.")};
  r.messages.push_back({Role::kUser, {Part::Text("Hi")}});
  r.messages.push_back({Role::kAssistant, {Part::Text("Hello")}});
  r.messages.push_back({Role::kUser, {Part::Text("More")}});
  r.messages.push_back({Role::kUser, {Part::Text("  "), Part::Text("And more")}});
  r.max_tokens = 100;
  r.temperature = 1.7;
  r.top_p = 0.9;
  r.stop = {"END", " "};
  r.top_k = 40;
  json::value v = Rendered(r);
  EXPECT_EQ(v, json::parse(R"({
    "messages":[{"role":"user","content":[{"text":"Hi"}]},
                {"role":"assistant","content":[{"text":"Hello"}]},
                {"role":"user","content":[{"text":"More"},{"text":"And more"}]}],
    "system":[{"text":"Be brief."},{"text":"Be kind."}],
    "inferenceConfig":{"maxTokens":100,"temperature":1.0,"topP":0.9,"stopSequences":["END"]},
    "additionalModelRequestFields":{"top_k":40}})"))
      << v;
  EXPECT_FALSE(
      Rendered(r, "amazon.nova-pro-v1:0").as_object().contains("additionalModelRequestFields"));
}

TEST(BedrockRequest, ToolsAndToolRoundTrip) {
  canon::Request r;
  canon::Tool t;
  t.name = "get_weather";
  t.description = "Weather for a city";
  t.parameters = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";
  r.tools.push_back(t);
  canon::Tool bare;
  bare.name = "now";
  r.tools.push_back(bare);
  r.tool_choice.mode = canon::ToolChoice::Mode::kTool;
  r.tool_choice.name = "get_weather";
  r.messages.push_back({Role::kUser, {Part::Text("Weather in Paris?")}});
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "tooluse_1";
  call.name = "get_weather";
  call.arguments = R"({"city":"Paris"})";
  r.messages.push_back({Role::kAssistant, {call}});
  Part result;
  result.type = Part::Type::kToolResult;
  result.id = "tooluse_1";
  result.content = {Part::Text("18C, sunny")};
  Part failed = result;
  failed.is_error = true;
  failed.content = {Part::Text("timeout")};
  r.messages.push_back({Role::kUser, {result, failed}});
  json::value v = Rendered(r);
  EXPECT_EQ(v, json::parse(R"({
    "messages":[
      {"role":"user","content":[{"text":"Weather in Paris?"}]},
      {"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]},
      {"role":"user","content":[
        {"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"18C, sunny"}]}},
        {"toolResult":{"toolUseId":"tooluse_1","content":[{"text":"timeout"}],"status":"error"}}]}],
    "toolConfig":{"tools":[
      {"toolSpec":{"name":"get_weather","description":"Weather for a city","inputSchema":{"json":
        {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}},
      {"toolSpec":{"name":"now","inputSchema":{"json":{"type":"object","properties":{}}}}}],
      "toolChoice":{"tool":{"name":"get_weather"}}}})"))
      << v;

  r.tool_choice.mode = canon::ToolChoice::Mode::kAny;
  EXPECT_EQ(Rendered(r).at("toolConfig").at("toolChoice"), json::parse(R"({"any":{}})"));
  r.tool_choice.mode = canon::ToolChoice::Mode::kAuto;
  EXPECT_EQ(Rendered(r).at("toolConfig").at("toolChoice"), json::parse(R"({"auto":{}})"));
  // none: the history needs a toolConfig, so tools go without a toolChoice.
  r.tool_choice.mode = canon::ToolChoice::Mode::kNone;
  EXPECT_FALSE(Rendered(r).at("toolConfig").as_object().contains("toolChoice"));
  // Without tools but with tool history, the used tools are declared.
  r.tools.clear();
  EXPECT_EQ(Rendered(r).at("toolConfig"),
            json::parse(R"({"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":
              {"type":"object","properties":{}}}}}]})"));
  // none without history: no toolConfig at all.
  canon::Request plain;
  plain.tools.push_back(t);
  plain.tool_choice.mode = canon::ToolChoice::Mode::kNone;
  plain.messages.push_back({Role::kUser, {Part::Text("hi")}});
  EXPECT_FALSE(Rendered(plain).as_object().contains("toolConfig"));
}

TEST(BedrockRequest, ImagesAndThinking) {
  canon::Request r;
  Part png;
  png.type = Part::Type::kImage;
  png.media_type = "image/png";
  png.data = "iVBORw0KGgo=";
  Part jpg = png;
  jpg.media_type = "image/jpeg";
  Part url;
  url.type = Part::Type::kImage;
  url.url = "https://example.com/cat.webp";
  r.messages.push_back({Role::kUser, {Part::Text("What is this?"), png, jpg, url}});
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "Hmm.";
  thinking.signature = "c2ln";
  Part redacted;
  redacted.type = Part::Type::kRedactedThinking;
  redacted.data = "b3BhcXVl";
  r.messages.push_back({Role::kAssistant, {thinking, redacted, Part::Text("A logo.")}});
  r.reasoning_effort = "high";
  r.max_tokens = 3000;
  r.temperature = 0.2;
  r.top_k = 5;
  json::value v = Rendered(r);
  EXPECT_EQ(v, json::parse(R"({
    "messages":[
      {"role":"user","content":[{"text":"What is this?"},
        {"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}},
        {"image":{"format":"jpeg","source":{"bytes":"iVBORw0KGgo="}}},
        {"text":"[image: https://example.com/cat.webp]"}]},
      {"role":"assistant","content":[
        {"reasoningContent":{"reasoningText":{"text":"Hmm.","signature":"c2ln"}}},
        {"reasoningContent":{"redactedContent":"b3BhcXVl"}},
        {"text":"A logo."}]}],
    "inferenceConfig":{"maxTokens":3000},
    "additionalModelRequestFields":{"thinking":{"type":"enabled","budget_tokens":2999}}})"))
      << v;
  r.max_tokens = 1000;  // no room for Claude's minimum budget: thinking dropped
  EXPECT_EQ(Rendered(r).at("additionalModelRequestFields"), json::parse(R"({"top_k":5})"));
}

// ---- Response parsing ----

TEST(BedrockResponse, TextAndUsage) {
  auto r =
      ParseResponse(R"({"output":{"message":{"role":"assistant","content":[{"text":"Hello!"}]}},
    "stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":5,"totalTokens":57,
    "cacheReadInputTokens":30,"cacheWriteInputTokens":10},"metrics":{"latencyMs":321}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->content.size(), 1U);
  EXPECT_EQ(r->content[0].text, "Hello!");
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_FALSE(r->id.empty());
  EXPECT_TRUE(r->usage.present);
  EXPECT_EQ(r->usage.input_tokens, 52);
  EXPECT_EQ(r->usage.cache_read_tokens, 30);
  EXPECT_EQ(r->usage.cache_creation_tokens, 10);
  EXPECT_EQ(r->usage.output_tokens, 5);
}

TEST(BedrockResponse, ToolUseAndReasoning) {
  auto r = ParseResponse(R"({"output":{"message":{"role":"assistant","content":[
    {"reasoningContent":{"reasoningText":{"text":"Need weather.","signature":"sig"}}},
    {"reasoningContent":{"redactedContent":"cmVk"}},
    {"text":"Checking."},
    {"toolUse":{"toolUseId":"tooluse_X","name":"get_weather","input":{"city":"Paris"}}}]}},
    "stopReason":"tool_use","usage":{"inputTokens":1,"outputTokens":2,"totalTokens":3}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->content.size(), 4U);
  EXPECT_EQ(r->content[0].type, Part::Type::kThinking);
  EXPECT_EQ(r->content[0].text, "Need weather.");
  EXPECT_EQ(r->content[0].signature, "sig");
  EXPECT_EQ(r->content[1].type, Part::Type::kRedactedThinking);
  EXPECT_EQ(r->content[1].data, "cmVk");
  EXPECT_EQ(r->content[3].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[3].id, "tooluse_X");
  EXPECT_EQ(r->content[3].name, "get_weather");
  EXPECT_EQ(json::parse(r->content[3].arguments), json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(r->finish, FinishReason::kToolCalls);
}

TEST(BedrockResponse, StopReasonsAndMalformed) {
  EXPECT_EQ(FinishFromStopReason("end_turn"), FinishReason::kStop);
  EXPECT_EQ(FinishFromStopReason("max_tokens"), FinishReason::kLength);
  EXPECT_EQ(FinishFromStopReason("stop_sequence"), FinishReason::kStopSequence);
  EXPECT_EQ(FinishFromStopReason("guardrail_intervened"), FinishReason::kContentFilter);
  EXPECT_EQ(FinishFromStopReason("content_filtered"), FinishReason::kContentFilter);
  EXPECT_EQ(FinishFromStopReason("something_new"), FinishReason::kStop);
  auto stop =
      ParseResponse(R"({"output":{"message":{"role":"assistant","content":[{"text":"1, 2"}]}},
    "stopReason":"stop_sequence","additionalModelResponseFields":{"stop_sequence":", 3"}})");
  ASSERT_TRUE(stop.ok());
  EXPECT_EQ(stop->finish, FinishReason::kStopSequence);
  EXPECT_EQ(stop->stop_sequence, ", 3");
  EXPECT_FALSE(ParseResponse("not json").ok());
  auto bad = ParseResponse(R"({"output":{}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kUpstreamError);
}

// Canonical → Bedrock request → (as if answered) Bedrock response → canonical keeps tool calls.
TEST(BedrockRoundTrip, ToolCallSurvivesBothDirections) {
  canon::Request r;
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "tooluse_9";
  call.name = "lookup";
  call.arguments = R"({"q":"x","n":2})";
  r.messages.push_back({Role::kUser, {Part::Text("go")}});
  r.messages.push_back({Role::kAssistant, {Part::Text("ok"), call}});
  json::value req = Rendered(r);
  json::object resp{{"output", json::object{{"message", req.at("messages").at(1)}}},
                    {"stopReason", "tool_use"}};
  auto parsed = ParseResponse(json::serialize(resp));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->content.size(), 2U);
  EXPECT_EQ(parsed->content[1].id, call.id);
  EXPECT_EQ(parsed->content[1].name, call.name);
  EXPECT_EQ(json::parse(parsed->content[1].arguments), json::parse(call.arguments));
}

// ---- Errors ----

TEST(BedrockError, ParsesMessageAndKind) {
  Error e = ParseError(429, R"({"message":"Too many requests, please wait before trying again."})");
  EXPECT_EQ(e.kind, ErrorKind::kRateLimited);
  EXPECT_EQ(e.message, "Too many requests, please wait before trying again.");
  EXPECT_EQ(e.upstream_status, 429);
  Error denied = ParseError(403, R"({"Message":"User is not authorized"})");
  EXPECT_EQ(denied.kind, ErrorKind::kForbidden);
  EXPECT_EQ(denied.message, "User is not authorized");
  Error junk = ParseError(500, "<html>");
  EXPECT_EQ(junk.kind, ErrorKind::kUpstreamError);
  EXPECT_EQ(junk.message, "Bedrock returned HTTP 500");
  EXPECT_EQ(json::parse(RenderError(e)),
            json::parse(R"({"message":"Too many requests, please wait before trying again."})"));
  EXPECT_EQ(ErrorStatus(e), 429);
}

TEST(BedrockCodecTable, IsUpstreamOnly) {
  const canon::Codec& c = canon::CodecFor(canon::Dialect::kBedrock);
  EXPECT_EQ(c.parse_request, nullptr);
  EXPECT_EQ(c.make_encoder, nullptr);
  EXPECT_NE(c.render_request, nullptr);
  EXPECT_NE(c.parse_response, nullptr);
  EXPECT_NE(c.make_decoder, nullptr);
  EXPECT_NE(c.parse_error, nullptr);
}

}  // namespace
}  // namespace baton::bedrock
