// Ollama codec: request rendering, whole answers and the NDJSON decoder on the recorded fixtures
// (whole, byte by byte, CRLF, missing last newline), errors.
#include "dialects/ollama/ollama.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "dialects/canonical.hpp"
#include "dialects/json_number.hpp"

namespace baton::ollama {
namespace {

namespace json = boost::json;
using canon::FinishReason;
using canon::Part;
using canon::Request;
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
  static const char kLetters[] = "STKGRCAFUEX";
  std::string s;
  for (const auto& e : evs) {
    s += kLetters[static_cast<int>(e.type)];
  }
  return s;
}

TEST(OllamaRenderRequest, MessagesToolsOptions) {
  Request r;
  r.system.push_back(Part::Text("Be brief."));
  Part img;
  img.type = Part::Type::kImage;
  img.media_type = "image/png";
  img.data = "iVBOR";
  Part url_img;
  url_img.type = Part::Type::kImage;
  url_img.url = "https://example.com/cat.jpg";
  r.messages.push_back({Role::kUser, {Part::Text("Look"), img, url_img}});
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "call_1";
  call.name = "get_weather";
  call.arguments = R"({"city":"Paris"})";
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "hmm";
  r.messages.push_back({Role::kAssistant, {thinking, call}});
  Part result;
  result.type = Part::Type::kToolResult;
  result.id = "call_1";
  result.content.push_back(Part::Text("sunny"));
  r.messages.push_back({Role::kUser, {result, Part::Text("thanks")}});
  canon::Tool tool;
  tool.name = "get_weather";
  tool.description = "Weather";
  tool.parameters = R"({"type":"object","properties":{"city":{"type":"string"}}})";
  r.tools.push_back(tool);
  r.stream = true;
  r.temperature = 0.2;
  r.max_tokens = 50;
  r.stop = {"END"};
  r.seed = 1;
  r.top_k = 5;
  r.response_format = Request::Format::kJsonObject;
  r.thinking_enabled = true;
  json::value body = json::parse(RenderRequest(r, "llama3.2"));
  EXPECT_EQ(body, json::parse(R"({"model":"llama3.2","messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":"Look\n[image: https://example.com/cat.jpg]","images":["iVBOR"]},
      {"role":"assistant","content":"","thinking":"hmm","tool_calls":[
        {"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},
      {"role":"tool","content":"sunny","tool_name":"get_weather","tool_call_id":"call_1"},
      {"role":"user","content":"thanks"}],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather",
      "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
    "stream":true,
    "options":{"temperature":0.2,"top_k":5,"num_predict":50,"stop":["END"],"seed":1},
    "format":"json","think":true})"))
      << body;
}

TEST(OllamaRenderRequest, JsonSchemaFormat) {
  Request r;
  r.messages.push_back({Role::kUser, {Part::Text("hi")}});
  r.response_format = Request::Format::kJsonSchema;
  r.response_schema = R"({"type":"object"})";
  json::value body = json::parse(RenderRequest(r, "m"));
  EXPECT_EQ(body.at("format"), json::parse(R"({"type":"object"})"));
  EXPECT_EQ(body.at("stream"), json::value(false));
}

TEST(OllamaParseResponse, TextAndUsage) {
  auto r = ParseResponse(Golden("ollama_to_openai/response_joke.in.json"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 1U);
  EXPECT_TRUE(r->content[0].text.starts_with("A joke about OpenTelemetry!"));
  EXPECT_EQ(r->model, "llama3");
  EXPECT_EQ(r->finish, FinishReason::kStop);
  EXPECT_EQ(r->usage.input_tokens, 17);
  EXPECT_EQ(r->usage.output_tokens, 66);
  EXPECT_EQ(r->created, 1716580891);  // 2024-05-24T20:01:31.01558Z
  auto offset =
      ParseResponse(R"({"model":"m","created_at":"2023-08-04T08:52:19.385406455-07:00","message":)"
                    R"({"role":"assistant","content":"x"},"done":true})");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->created, 1691164339);  // 2023-08-04T15:52:19Z
}

TEST(OllamaParseResponse, ToolCallsWinOverStop) {
  auto r = ParseResponse(Golden("ollama_to_openai/response_tool_call_paris.in.json"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->content.size(), 1U);
  EXPECT_EQ(r->content[0].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[0].name, "get_current_weather");
  EXPECT_EQ(json::parse(r->content[0].arguments),
            json::parse(R"({"format":"celsius","location":"Paris, FR"})"));
  EXPECT_TRUE(r->content[0].id.starts_with("call_"));
  EXPECT_EQ(r->finish, FinishReason::kToolCalls);
  auto thinking = ParseResponse(
      R"({"model":"qwen3","message":{"role":"assistant","content":"4","thinking":"2+2"},)"
      R"("done":true,"done_reason":"length"})");
  ASSERT_TRUE(thinking.ok());
  ASSERT_EQ(thinking->content.size(), 2U);
  EXPECT_EQ(thinking->content[0].type, Part::Type::kThinking);
  EXPECT_EQ(thinking->content[0].text, "2+2");
  EXPECT_EQ(thinking->finish, FinishReason::kLength);
  EXPECT_FALSE(thinking->usage.present);
  // Odd numbers do not throw.
  auto odd = ParseResponse(
      R"({"message":{"role":"assistant","content":"x"},"done":true,"prompt_eval_count":1.5,)"
      R"("eval_count":18446744073709551615})");
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->usage.input_tokens, 1);
  EXPECT_EQ(odd->usage.output_tokens, kMaxJsonInt);  // clamped to JSON's safe integers
}

TEST(OllamaStreamDecoder, JokeWholeAndByteByByte) {
  std::string body = Golden("ollama_to_openai/stream_joke.in.ndjson");
  for (bool bytes : {false, true}) {
    StreamEvents evs = Decode(body, bytes);
    ASSERT_GE(evs.size(), 5U);
    EXPECT_EQ(evs.front().type, StreamEvent::Type::kStart);
    EXPECT_EQ(evs.front().name, "llama3");
    EXPECT_EQ(evs[1].text, "Why");
    const auto& usage = evs[evs.size() - 2];
    EXPECT_EQ(usage.type, StreamEvent::Type::kUsage);
    EXPECT_EQ(usage.usage.input_tokens, 17);
    EXPECT_EQ(usage.usage.output_tokens, 50);
    EXPECT_EQ(evs[evs.size() - 3].finish, FinishReason::kStop);
    EXPECT_EQ(evs.back().type, StreamEvent::Type::kEnd);
  }
}

TEST(OllamaStreamDecoder, CrlfNoTrailingNewlineToolsThinking) {
  std::string body =
      "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
      "\"thinking\":\"Let me\"},\"done\":false}\r\n"
      "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
      "\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}},"
      "{\"id\":\"call_x\",\"function\":{\"name\":\"g\",\"arguments\":{}}}]},\"done\":false}\r\n"
      "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
      "\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":4}";
  for (bool bytes : {false, true}) {
    StreamEvents evs = Decode(body, bytes);
    EXPECT_EQ(Types(evs), "SKCACAFUE");
    EXPECT_EQ(evs[2].name, "f");
    EXPECT_EQ(evs[2].tool_index, 0);
    EXPECT_EQ(evs[3].text, R"({"a":1})");
    EXPECT_EQ(evs[4].id, "call_x");
    EXPECT_EQ(evs[4].tool_index, 1);
    EXPECT_EQ(evs[6].finish, FinishReason::kToolCalls);
  }
}

TEST(OllamaStreamDecoder, ErrorLineAndCutStream) {
  StreamEvents err = Decode(
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
      "{\"error\":\"an error was encountered while running the model\"}\n",
      false);
  EXPECT_EQ(Types(err), "STX");
  EXPECT_EQ(err[2].error.message, "an error was encountered while running the model");
  std::string body = Golden("ollama_to_openai/stream_joke.in.ndjson");
  StreamEvents cut = Decode(body.substr(0, body.size() / 2), false);
  EXPECT_EQ(cut.back().type, StreamEvent::Type::kError);
  StreamEvents junk = Decode("not json\n", false);
  EXPECT_EQ(Types(junk), "X");
}

TEST(OllamaErrors, ParseAndRender) {
  Error e = ParseError(404, R"({"error":"model 'llama9' not found"})");
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "model 'llama9' not found");
  EXPECT_EQ(e.upstream_status, 404);
  Error s = ParseError(500, "oops");
  EXPECT_EQ(s.kind, ErrorKind::kUpstreamError);
  EXPECT_FALSE(s.message.empty());
  EXPECT_EQ(json::parse(RenderError(Error(ErrorKind::kBadRequest, "bad"))),
            json::parse(R"({"error":"bad"})"));
  EXPECT_EQ(ErrorStatus(Error(ErrorKind::kRateLimited, "x")), 429);
}

TEST(OllamaCodec, UpstreamEntriesPresent) {
  const canon::Codec& c = canon::CodecFor(canon::Dialect::kOllama);
  EXPECT_TRUE(c.render_request && c.parse_response && c.make_decoder && c.render_error &&
              c.error_status && c.parse_error);
}

}  // namespace
}  // namespace baton::ollama
