// Gemini codec: requests both ways, responses, the SSE decoder on the recorded fixtures (whole and
// byte by byte, CRLF framing), the encoder, errors.
#include "dialects/gemini/gemini.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/canonical.hpp"
#include "dialects/sse.hpp"

namespace baton::gemini {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Request;
using canon::Response;
using canon::Role;
using canon::StreamEvent;
using canon::StreamEvents;

std::string Golden(const std::string& rel) {
  std::ifstream in(std::filesystem::path(BATON_SOURCE_DIR) / "tests" / "golden" / rel,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StreamEvents Decode(std::string_view body, bool byte_by_byte) {
  auto d = MakeDecoder();
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

std::string Types(const StreamEvents& evs) {
  std::string s;
  for (const auto& e : evs) {
    switch (e.type) {
      case StreamEvent::Type::kStart:
        s += "S";
        break;
      case StreamEvent::Type::kTextDelta:
        s += "T";
        break;
      case StreamEvent::Type::kThinkingDelta:
        s += "K";
        break;
      case StreamEvent::Type::kSignatureDelta:
        s += "G";
        break;
      case StreamEvent::Type::kRedactedThinking:
        s += "R";
        break;
      case StreamEvent::Type::kToolCallStart:
        s += "C";
        break;
      case StreamEvent::Type::kToolArgsDelta:
        s += "A";
        break;
      case StreamEvent::Type::kFinish:
        s += "F";
        break;
      case StreamEvent::Type::kUsage:
        s += "U";
        break;
      case StreamEvent::Type::kEnd:
        s += "E";
        break;
      case StreamEvent::Type::kError:
        s += "X";
        break;
    }
  }
  return s;
}

TEST(GeminiParseRequest, SystemContentsAndGenerationConfig) {
  auto r = ParseRequest(R"({
    "system_instruction": {"parts": [{"text": "Be brief."}]},
    "contents": [{"role": "user", "parts": [{"text": "Hi"},
                  {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                  {"file_data": {"mime_type": "image/jpeg", "file_uri": "https://x/y.jpg"}}]}],
    "generationConfig": {"temperature": 0.5, "topP": 0.9, "topK": 40, "maxOutputTokens": 100,
      "stopSequences": ["END"], "candidateCount": 2, "seed": 7, "presencePenalty": 0.1,
      "frequencyPenalty": 0.2, "responseMimeType": "application/json",
      "responseSchema": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}},
      "thinkingConfig": {"thinkingBudget": 2048, "includeThoughts": true}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "");
  ASSERT_EQ(r->system.size(), 1U);
  EXPECT_EQ(r->system[0].text, "Be brief.");
  ASSERT_EQ(r->messages.size(), 1U);
  const auto& parts = r->messages[0].parts;
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(parts[1].type, Part::Type::kImage);
  EXPECT_EQ(parts[1].media_type, "image/png");
  EXPECT_EQ(parts[1].data, "iVBORw0KGgo=");
  EXPECT_EQ(parts[2].url, "https://x/y.jpg");
  EXPECT_EQ(*r->temperature, 0.5);
  EXPECT_EQ(*r->top_p, 0.9);
  EXPECT_EQ(*r->top_k, 40);
  EXPECT_EQ(*r->max_tokens, 100);
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r->n, 2);
  EXPECT_EQ(*r->seed, 7);
  EXPECT_EQ(*r->presence_penalty, 0.1);
  EXPECT_EQ(*r->frequency_penalty, 0.2);
  EXPECT_EQ(r->response_format, Request::Format::kJsonSchema);
  EXPECT_EQ(json::parse(r->response_schema),
            json::parse(R"({"type":"object","properties":{"a":{"type":"string"}}})"));
  EXPECT_EQ(*r->thinking_budget, 2048);
  EXPECT_TRUE(r->thinking_enabled);
}

TEST(GeminiParseRequest, FunctionCallsPairWithResponsesByName) {
  auto r = ParseRequest(R"({"contents": [
    {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
    {"role": "model", "parts": [
      {"functionCall": {"name": "weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQBSIG"},
      {"functionCall": {"name": "weather", "args": {"city": "Rome"}}}]},
    {"role": "user", "parts": [
      {"functionResponse": {"name": "weather", "response": {"content": "sunny"}}},
      {"functionResponse": {"name": "weather", "response": {"temp": 20}}}]}],
    "tools": [{"functionDeclarations": [{"name": "weather", "description": "Weather",
       "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]},
       {"googleSearch": {}}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["weather"]}}
  })");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->messages.size(), 3U);
  const auto& model = r->messages[1];
  EXPECT_EQ(model.role, Role::kAssistant);
  ASSERT_EQ(model.parts.size(), 3U);
  EXPECT_EQ(model.parts[0].type, Part::Type::kThinking);
  EXPECT_EQ(model.parts[0].signature, "CiQBSIG");
  EXPECT_EQ(model.parts[1].id, "call_weather_0");
  EXPECT_EQ(json::parse(model.parts[1].arguments), json::parse(R"({"city":"Paris"})"));
  EXPECT_EQ(model.parts[2].id, "call_weather_1");
  const auto& results = r->messages[2].parts;
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].type, Part::Type::kToolResult);
  EXPECT_EQ(results[0].id, "call_weather_0");
  EXPECT_EQ(results[0].content[0].text, "sunny");
  EXPECT_EQ(results[1].id, "call_weather_1");
  EXPECT_EQ(json::parse(results[1].content[0].text), json::parse(R"({"temp":20})"));
  ASSERT_EQ(r->tools.size(), 1U);
  EXPECT_EQ(json::parse(r->tools[0].parameters),
            json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})"));
  EXPECT_EQ(r->tool_choice.mode, canon::ToolChoice::Mode::kTool);
  EXPECT_EQ(r->tool_choice.name, "weather");
}

TEST(GeminiParseRequest, RejectsMalformedBodies) {
  EXPECT_FALSE(ParseRequest("not json").ok());
  EXPECT_FALSE(ParseRequest("[]").ok());
  auto r = ParseRequest(R"({"generationConfig": {}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
  EXPECT_FALSE(ParseRequest(R"({"contents": [{"parts": [{"text": 5}]}]})").ok());
}

TEST(GeminiRenderRequest, ToolsRoundTripAndSchemaCleanup) {
  Request r;
  r.system.push_back(Part::Text("sys"));
  r.messages.push_back({Role::kUser, {Part::Text("hi")}});
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "call_1";
  call.name = "get_weather";
  call.arguments = R"({"city":"Paris"})";
  r.messages.push_back({Role::kAssistant, {call}});
  Part result;
  result.type = Part::Type::kToolResult;
  result.id = "call_1";
  result.content.push_back(Part::Text("sunny"));
  r.messages.push_back({Role::kUser, {result}});
  canon::Tool tool;
  tool.name = "get_weather";
  tool.parameters = R"({"$schema":"x","type":"object","additionalProperties":false,"strict":true,)"
                    R"("properties":{"strict":{"type":"boolean"}}})";
  r.tools.push_back(tool);
  r.tool_choice.mode = canon::ToolChoice::Mode::kAny;
  r.temperature = 3.5;
  r.reasoning_effort = "medium";
  r.thinking_enabled = true;
  json::value body = json::parse(RenderRequest(r, "gemini-2.5-flash"));
  EXPECT_EQ(body, json::parse(R"({
    "contents": [
      {"role": "user", "parts": [{"text": "hi"}]},
      {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                                   "thoughtSignature": "skip_thought_signature_validator"}]},
      {"role": "user", "parts": [{"functionResponse": {"name": "get_weather",
                                  "response": {"content": "sunny"}}}]}],
    "systemInstruction": {"parts": [{"text": "sys"}]},
    "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters":
       {"type": "object", "properties": {"strict": {"type": "boolean"}}}}]}],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY"}},
    "generationConfig": {"temperature": 2.0,
                         "thinkingConfig": {"thinkingBudget": 8192, "includeThoughts": true}}
  })"))
      << body;
}

TEST(GeminiRenderRequest, SignatureTravelsOnTheNextPart) {
  Request r;
  Part sig;
  sig.type = Part::Type::kThinking;
  sig.text = "thoughts are not sent back";
  sig.signature = "CiQBSIG";
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "c";
  call.name = "f";
  call.arguments = "";
  r.messages.push_back({Role::kUser, {Part::Text("q")}});
  r.messages.push_back({Role::kAssistant, {sig, call}});
  json::value body = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(body.at("contents").at(1), json::parse(R"({"role":"model","parts":[
      {"functionCall":{"name":"f","args":{}},"thoughtSignature":"CiQBSIG"}]})"));
  // Another model's signature (Anthropic's start "E") is not sent to Gemini.
  r.messages[1].parts[0].signature = "EqYCCpMBCBAYAipA";
  body = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(body.at("contents").at(1), json::parse(R"({"role":"model","parts":[
      {"functionCall":{"name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]})"));
}

TEST(GeminiRenderRequest, EmptyTextPartsAndImageUrls) {
  Request r;
  Part img;
  img.type = Part::Type::kImage;
  img.url = "https://example.com/photo.PNG?size=large";
  Part data_url;
  data_url.type = Part::Type::kImage;
  data_url.url = "data:image/webp;base64,UklGR";
  r.messages.push_back({Role::kUser, {Part::Text(""), img, data_url}});
  r.messages.push_back({Role::kAssistant, {Part::Text("")}});
  r.n = 3;
  r.response_format = Request::Format::kJsonObject;
  json::value body = json::parse(RenderRequest(r, ""));
  EXPECT_EQ(body, json::parse(R"({"contents":[{"role":"user","parts":[
      {"fileData":{"mimeType":"image/png","fileUri":"https://example.com/photo.PNG?size=large"}},
      {"inlineData":{"mimeType":"image/webp","data":"UklGR"}}]}],
      "generationConfig":{"candidateCount":3,"responseMimeType":"application/json"}})"))
      << body;
}

TEST(GeminiRenderRequest, TurnsOfOneRoleInARowAreMerged) {
  Request r;
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "c1";
  call.name = "f";
  call.arguments = "{}";
  Part result;
  result.type = Part::Type::kToolResult;
  result.id = "c1";
  result.content.push_back(Part::Text("done"));
  r.messages.push_back({Role::kUser, {Part::Text("go")}});
  r.messages.push_back({Role::kAssistant, {call}});
  r.messages.push_back({Role::kUser, {result}});
  r.messages.push_back({Role::kUser, {Part::Text("and now?")}});
  json::value body = json::parse(RenderRequest(r, ""));
  ASSERT_EQ(body.at("contents").as_array().size(), 3U) << body;
  EXPECT_EQ(body.at("contents").at(2), json::parse(R"({"role":"user","parts":[
      {"functionResponse":{"name":"f","response":{"content":"done"}}},{"text":"and now?"}]})"));
}

TEST(GeminiParseResponse, ThinkingAndUsage) {
  auto r = ParseResponse(Golden("gemini_to_openai/response_thinking_summary.in.json"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 2U);
  EXPECT_EQ(r->content[0].type, Part::Type::kThinking);
  EXPECT_EQ(r->content[1].text, "Mountain View");
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_EQ(r->id, "2pmHaJqQEoqC-8YP6eStyAY");
  EXPECT_EQ(r->model, "gemini-2.5-flash");
  EXPECT_EQ(r->usage.input_tokens, 14);
  EXPECT_EQ(r->usage.output_tokens, 26);
  EXPECT_EQ(r->usage.reasoning_tokens, 24);
}

TEST(GeminiParseResponse, ToolCallMeansToolCallsEvenOnStop) {
  auto r = ParseResponse(Golden("gemini_to_openai/response_tool_dice_roll_no_args.in.json"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 2U);
  EXPECT_EQ(r->content[0].type, Part::Type::kThinking);
  EXPECT_TRUE(r->content[0].signature.starts_with("CrEBARFN"));
  EXPECT_EQ(r->content[1].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[1].name, "dice_roll");
  EXPECT_EQ(r->content[1].arguments, "{}");
  EXPECT_TRUE(r->content[1].id.starts_with("call_"));
  EXPECT_EQ(r->finish, FinishReason::kToolCalls);
}

TEST(GeminiParseResponse, ThoughtRunAndItsSignatureAreOnePart) {
  auto r = ParseResponse(R"({"candidates":[{"content":{"role":"model","parts":[
      {"text":"Let me ","thought":true},{"text":"roll.","thought":true},
      {"functionCall":{"name":"dice_roll","args":{}},"thoughtSignature":"CiQBSIG"},
      {"functionCall":{"name":"dice_roll","args":{}}}]},"finishReason":"STOP"}]})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 3U);
  EXPECT_EQ(r->content[0].type, Part::Type::kThinking);
  EXPECT_EQ(r->content[0].text, "Let me roll.");
  EXPECT_EQ(r->content[0].signature, "CiQBSIG");
  EXPECT_EQ(r->content[1].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[2].type, Part::Type::kToolCall);
  EXPECT_NE(r->content[1].id, r->content[2].id);
  // Sent back upstream: thought text dropped, the signature on the first call only.
  Request req;
  req.messages.push_back({Role::kUser, {Part::Text("roll twice")}});
  req.messages.push_back({Role::kAssistant, r->content});
  json::value body = json::parse(RenderRequest(req, ""));
  EXPECT_EQ(body.at("contents").at(1), json::parse(R"({"role":"model","parts":[
      {"functionCall":{"name":"dice_roll","args":{}},"thoughtSignature":"CiQBSIG"},
      {"functionCall":{"name":"dice_roll","args":{}}}]})"));
}

TEST(GeminiParseResponse, CachedTokensAndPromptBlock) {
  auto r = ParseResponse(Golden("gemini_to_openai/response_implicit_caching_vertex.in.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->usage.input_tokens, 12013);
  EXPECT_EQ(r->usage.cache_read_tokens, 11243);
  EXPECT_EQ(r->usage.output_tokens, 88);
  auto blocked = ParseResponse(
      R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}})");
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->content.empty());
  EXPECT_EQ(blocked->finish, FinishReason::kContentFilter);
  auto max =
      ParseResponse(R"({"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}]})");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->finish, FinishReason::kLength);
}

TEST(GeminiStreamDecoder, BasicReplyWholeAndByteByByte) {
  std::string body = Golden("gemini_to_openai/stream_basic_reply_short.in.sse");
  ASSERT_NE(body.find("\r\n"), std::string::npos);
  for (bool bytes : {false, true}) {
    StreamEvents evs = Decode(body, bytes);
    EXPECT_EQ(Types(evs), "STTTFUE") << bytes;
    EXPECT_EQ(evs[0].name, "gemini-2.0-flash");
    EXPECT_EQ(evs[0].usage.input_tokens, 7);
    EXPECT_EQ(evs[1].text, "The");
    EXPECT_EQ(evs[3].text, " is **Cheyenne**.\n");
    EXPECT_EQ(evs[4].finish, FinishReason::kStop);
    EXPECT_EQ(evs[5].usage.input_tokens, 7);
    EXPECT_EQ(evs[5].usage.output_tokens, 10);
  }
}

TEST(GeminiStreamDecoder, ThinkingStream) {
  StreamEvents evs = Decode(Golden("gemini_to_openai/stream_thinking_summary.in.sse"), true);
  EXPECT_EQ(Types(evs), "SKKKTTFUE");
  EXPECT_EQ(evs[0].id, "0J-HaJetAqv0jrEPwu-tsQ0");
  EXPECT_EQ(evs[7].usage.output_tokens, 588);
  EXPECT_EQ(evs[7].usage.reasoning_tokens, 540);
}

TEST(GeminiStreamDecoder, ToolCallStream) {
  StreamEvents evs = Decode(Golden("gemini_to_openai/stream_tool_weather_berlin.in.sse"), true);
  EXPECT_EQ(Types(evs), "SKGCAFUE");
  EXPECT_EQ(evs[3].name, "weather");
  EXPECT_EQ(evs[3].tool_index, 0);
  EXPECT_EQ(json::parse(evs[4].text),
            json::parse(R"({"latitude":"52.5200","longitude":"13.4050"})"));
  EXPECT_EQ(evs[5].finish, FinishReason::kToolCalls);
  EXPECT_EQ(evs[6].usage.input_tokens, 103);
  EXPECT_EQ(evs[6].usage.output_tokens, 73);
}

TEST(GeminiStreamDecoder, CutStreamAndErrorEvent) {
  std::string body = Golden("gemini_to_openai/stream_basic_reply_short.in.sse");
  std::string cut = body.substr(0, body.find("data:", 10));
  StreamEvents evs = Decode(cut, false);
  EXPECT_EQ(Types(evs), "STUX");
  StreamEvents err = Decode(
      "data: {\"error\":{\"code\":429,\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}"
      "\r\n\r\n",
      false);
  ASSERT_EQ(Types(err), "X");
  EXPECT_EQ(err[0].error.kind, ErrorKind::kRateLimited);
  EXPECT_EQ(err[0].error.message, "quota");
  // A last event without its blank line still counts.
  StreamEvents tail = Decode(body.substr(0, body.size() - 4), false);
  EXPECT_EQ(Types(tail), "STTTFUE");
}

std::vector<std::string> SseData(std::string_view body) {
  std::vector<std::string> out;
  SseSplitter s;
  s.Feed(body, [&](const SseEvent& e) {
    out.emplace_back(e.data);
    return true;
  });
  return out;
}

TEST(GeminiStreamEncoder, BuffersToolCallsAndEndsWithFinishAndUsage) {
  Request req;
  req.model = "m";
  auto enc = MakeEncoder(req);
  std::string out;
  auto ev = [](StreamEvent::Type t) {
    StreamEvent e;
    e.type = t;
    return e;
  };
  StreamEvent s = ev(StreamEvent::Type::kStart);
  s.id = "r1";
  s.name = "gpt-x";
  enc->Encode(s, out);
  StreamEvent t = ev(StreamEvent::Type::kTextDelta);
  t.text = "Hi";
  enc->Encode(t, out);
  StreamEvent c = ev(StreamEvent::Type::kToolCallStart);
  c.id = "call_9";
  c.name = "f";
  enc->Encode(c, out);
  for (const char* frag : {"{\"a\"", ":1}"}) {
    StreamEvent a = ev(StreamEvent::Type::kToolArgsDelta);
    a.text = frag;
    enc->Encode(a, out);
  }
  StreamEvent f = ev(StreamEvent::Type::kFinish);
  f.finish = FinishReason::kToolCalls;
  enc->Encode(f, out);
  StreamEvent u = ev(StreamEvent::Type::kUsage);
  u.usage.present = true;
  u.usage.input_tokens = 5;
  u.usage.output_tokens = 3;
  enc->Encode(u, out);
  enc->Encode(ev(StreamEvent::Type::kEnd), out);
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
  EXPECT_NE(out.find("}\r\n\r\n"), std::string::npos);
  auto data = SseData(out);
  ASSERT_EQ(data.size(), 3U) << out;
  EXPECT_EQ(json::parse(data[0]), json::parse(R"({"candidates":[{"content":{"parts":[
      {"text":"Hi"}],"role":"model"},"index":0}],"modelVersion":"gpt-x","responseId":"r1"})"));
  EXPECT_EQ(json::parse(data[1]), json::parse(R"({"candidates":[{"content":{"parts":[
      {"functionCall":{"name":"f","args":{"a":1},"id":"call_9"}}],"role":"model"},"index":0}],
      "modelVersion":"gpt-x","responseId":"r1"})"));
  EXPECT_EQ(json::parse(data[2]), json::parse(R"({"candidates":[{"content":{"role":"model"},
      "finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,
      "candidatesTokenCount":3,"totalTokenCount":8},"modelVersion":"gpt-x","responseId":"r1"})"));
}

TEST(GeminiRobustness, OddShapesDoNotThrow) {
  for (const char* body :
       {R"({"contents":{"role":"user","parts":[{"text":"single content"}]}})",
        R"({"contents":[{"parts":"x"}],"generationConfig":{"maxOutputTokens":"12","topK":1e300}})",
        R"({"contents":[{"parts":[{"functionResponse":{"name":"f","response":"plain"}}]}],
            "tools":[1,{"functionDeclarations":[2,{"name":"g"}]}],"toolConfig":[]})",
        R"({"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":"{}"}}]}],
            "generationConfig":{"seed":18446744073709551615,"stopSequences":[1,"x"]}})"}) {
    auto r = ParseRequest(body);
    EXPECT_TRUE(r.ok()) << body;
  }
  auto one = ParseRequest(R"({"contents":{"parts":[{"text":"a"}]},
      "generationConfig":{"maxOutputTokens":"12"}})");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one->max_tokens, 12);
  for (const char* body :
       {R"({"candidates":"x"})", R"({"candidates":[{"content":{"parts":[1,{"text":2}]}}]})",
        R"({"candidates":[],"usageMetadata":{"promptTokenCount":-1}})", "[]", "null"}) {
    (void)ParseResponse(body);
    (void)ParseError(500, body);
    auto d = MakeDecoder();
    StreamEvents evs;
    d->Feed(std::string("data: ") + body + "\r\n\r\n", evs);
    d->Finish(evs);
    ASSERT_FALSE(evs.empty());
    EXPECT_EQ(evs.back().type, StreamEvent::Type::kError) << body;
  }
}

TEST(GeminiStreamEncoder, ErrorEvent) {
  auto enc = MakeEncoder(Request{});
  std::string out;
  StreamEvent e;
  e.type = StreamEvent::Type::kError;
  e.error = Error(ErrorKind::kUpstreamTimeout, "too slow");
  enc->Encode(e, out);
  auto data = SseData(out);
  ASSERT_EQ(data.size(), 1U);
  EXPECT_EQ(json::parse(data[0]), json::parse(R"({"error":{"code":504,"message":"too slow",
      "status":"DEADLINE_EXCEEDED"}})"));
}

TEST(GeminiRoundTrip, ResponseThroughCanonical) {
  Request req;
  req.thinking_enabled = true;
  auto r = ParseResponse(Golden("gemini_to_openai/response_thinking_summary.in.json"));
  ASSERT_TRUE(r.ok());
  json::value out = json::parse(RenderResponse(*r, req));
  json::value in = json::parse(Golden("gemini_to_openai/response_thinking_summary.in.json"));
  EXPECT_EQ(out.at("candidates").at(0).at("content"), in.at("candidates").at(0).at("content"));
  EXPECT_EQ(out.at("usageMetadata").at("thoughtsTokenCount"), json::value(24));
  EXPECT_EQ(out.at("usageMetadata").at("candidatesTokenCount"), json::value(2));
  // Without includeThoughts the thought part is left out.
  json::value plain = json::parse(RenderResponse(*r, Request{}));
  EXPECT_EQ(plain.at("candidates").at(0).at("content").at("parts").as_array().size(), 1U);
}

TEST(GeminiRoundTrip, RequestThroughCanonical) {
  std::string body = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]},
    {"role":"model","parts":[{"functionCall":{"name":"f","args":{"x":1}}}]},
    {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"content":"ok"}}}]}],
    "systemInstruction":{"parts":[{"text":"s"}]},
    "generationConfig":{"maxOutputTokens":10,"stopSequences":["x"]}})";
  auto r = ParseRequest(body);
  ASSERT_TRUE(r.ok());
  // The call had no signature: it gets Google's placeholder on the way back.
  json::value expected = json::parse(body);
  expected.at("contents").at(1).at("parts").at(0).as_object()["thoughtSignature"] =
      "skip_thought_signature_validator";
  EXPECT_EQ(json::parse(RenderRequest(*r, "")), expected);
}

TEST(GeminiErrors, ParseAndRender) {
  Error e = ParseError(
      400,
      R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}})");
  EXPECT_EQ(e.kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(e.upstream_status, 400);
  EXPECT_EQ(e.message, "API key not valid. Please pass a valid API key.");
  Error q = ParseError(
      429,
      R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})");
  EXPECT_EQ(q.kind, ErrorKind::kRateLimited);
  Error junk = ParseError(503, "<html>");
  EXPECT_EQ(junk.kind, ErrorKind::kUnavailable);
  EXPECT_FALSE(junk.message.empty());
  EXPECT_EQ(ErrorStatus(Error(ErrorKind::kNotFound, "x")), 404);
  EXPECT_EQ(json::parse(RenderError(Error(ErrorKind::kNotFound, "no model"))),
            json::parse(R"({"error":{"code":404,"message":"no model","status":"NOT_FOUND"}})"));
}

TEST(GeminiFinishReasons, Mapping) {
  EXPECT_EQ(FinishReasonFromGemini("STOP"), FinishReason::kStop);
  EXPECT_EQ(FinishReasonFromGemini("MAX_TOKENS"), FinishReason::kLength);
  EXPECT_EQ(FinishReasonFromGemini("RECITATION"), FinishReason::kContentFilter);
  EXPECT_EQ(FinishReasonFromGemini("IMAGE_SAFETY"), FinishReason::kContentFilter);
  EXPECT_EQ(FinishReasonFromGemini("MALFORMED_FUNCTION_CALL"), FinishReason::kStop);
  EXPECT_STREQ(GeminiFinishReason(FinishReason::kLength), "MAX_TOKENS");
  EXPECT_STREQ(GeminiFinishReason(FinishReason::kContentFilter), "SAFETY");
  EXPECT_STREQ(GeminiFinishReason(FinishReason::kToolCalls), "STOP");
}

TEST(GeminiCodec, TableIsComplete) {
  const canon::Codec& c = canon::CodecFor(canon::Dialect::kGemini);
  EXPECT_TRUE(c.parse_request && c.render_response && c.make_encoder && c.render_request &&
              c.parse_response && c.make_decoder && c.render_error && c.error_status &&
              c.parse_error);
}

}  // namespace
}  // namespace baton::gemini
