// OpenAI chat codec: requests, responses, streams and errors against the recorded fixtures.
#include "dialects/openai_chat/openai_codec.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

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

StreamEvents DecodeWhole(std::string_view body) {
  auto d = MakeOpenAiChatDecoder();
  StreamEvents out;
  d->Feed(body, out);
  d->Finish(out);
  return out;
}

StreamEvents DecodeBytes(std::string_view body) {
  auto d = MakeOpenAiChatDecoder();
  StreamEvents out;
  for (char c : body) {
    d->Feed(std::string_view(&c, 1), out);
  }
  d->Finish(out);
  return out;
}

// What a stream amounts to, for comparing two streams.
struct Summary {
  std::string id;
  std::string model;
  std::string text;
  std::string thinking;
  std::vector<std::string> call_ids;
  std::vector<std::string> call_names;
  std::vector<std::string> call_args;
  FinishReason finish = FinishReason::kNone;
  Usage usage;
  int starts = 0;
  int ends = 0;
  int errors = 0;
};

Summary Summarize(const StreamEvents& events) {
  Summary s;
  for (const auto& ev : events) {
    switch (ev.type) {
      case Type::kStart:
        ++s.starts;
        s.id = ev.id;
        s.model = ev.name;
        break;
      case Type::kTextDelta:
        s.text += ev.text;
        break;
      case Type::kThinkingDelta:
        s.thinking += ev.text;
        break;
      case Type::kToolCallStart:
        EXPECT_EQ(ev.tool_index, static_cast<int>(s.call_ids.size()));
        s.call_ids.push_back(ev.id);
        s.call_names.push_back(ev.name);
        s.call_args.emplace_back();
        break;
      case Type::kToolArgsDelta:
        EXPECT_LT(ev.tool_index, static_cast<int>(s.call_args.size()));
        if (ev.tool_index < static_cast<int>(s.call_args.size())) {
          s.call_args[ev.tool_index] += ev.text;
        }
        break;
      case Type::kFinish:
        s.finish = ev.finish;
        break;
      case Type::kUsage:
        s.usage = ev.usage;
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

void ExpectSameSummary(const Summary& a, const Summary& b) {
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.thinking, b.thinking);
  EXPECT_EQ(a.call_ids, b.call_ids);
  EXPECT_EQ(a.call_names, b.call_names);
  EXPECT_EQ(a.call_args, b.call_args);
  EXPECT_EQ(a.finish, b.finish);
  EXPECT_EQ(a.usage.present, b.usage.present);
  EXPECT_EQ(a.usage.input_tokens, b.usage.input_tokens);
  EXPECT_EQ(a.usage.output_tokens, b.usage.output_tokens);
  EXPECT_EQ(a.usage.cache_read_tokens, b.usage.cache_read_tokens);
  EXPECT_EQ(a.starts, b.starts);
  EXPECT_EQ(a.ends, b.ends);
  EXPECT_EQ(a.errors, b.errors);
}

std::string Encode(const StreamEvents& events, bool include_usage) {
  Request req;
  req.model = "client-model";
  req.include_usage = include_usage;
  auto e = MakeOpenAiChatEncoder(req);
  std::string out;
  for (const auto& ev : events) {
    e->Encode(ev, out);
  }
  return out;
}

const std::vector<const char*> kStreamFixtures = {
    "text_weather_sf.sse", "parallel_tools_weather_stock.sse", "tool_strict_get_weather_sf.sse",
    "json_text_long_stream.sse", "deepseek_text_cached_512.sse"};

TEST(OpenAiCodecStream, ParallelToolCalls) {
  Summary s = Summarize(DecodeWhole(Fixture("parallel_tools_weather_stock.sse")));
  EXPECT_EQ(s.starts, 1);
  EXPECT_EQ(s.id, "chatcmpl-ABfwAwrNePHUgBBezonVC6MX3zd63");
  EXPECT_EQ(s.model, "gpt-4o-2024-08-06");
  ASSERT_EQ(s.call_ids.size(), 2U);
  EXPECT_EQ(s.call_ids[0], "call_JMW1whyEaYG438VE1OIflxA2");
  EXPECT_EQ(s.call_names[0], "GetWeatherArgs");
  EXPECT_EQ(s.call_names[1], "get_stock_price");
  EXPECT_TRUE(json::parse(s.call_args[0]).is_object()) << s.call_args[0];
  EXPECT_TRUE(json::parse(s.call_args[1]).is_object()) << s.call_args[1];
  EXPECT_NE(s.call_args[0].find("Edinburgh"), std::string::npos);
  EXPECT_NE(s.call_args[1].find("AAPL"), std::string::npos);
  EXPECT_EQ(s.text, "");
  EXPECT_EQ(s.finish, FinishReason::kToolCalls);
  EXPECT_TRUE(s.usage.present);
  EXPECT_EQ(s.ends, 1);
  EXPECT_EQ(s.errors, 0);
}

TEST(OpenAiCodecStream, TextAndUsage) {
  Summary s = Summarize(DecodeWhole(Fixture("text_weather_sf.sse")));
  EXPECT_TRUE(s.text.starts_with("I'm unable")) << s.text;
  EXPECT_EQ(s.finish, FinishReason::kStop);
  EXPECT_TRUE(s.usage.present);
  EXPECT_GT(s.usage.input_tokens, 0);
  EXPECT_GT(s.usage.output_tokens, 0);
  EXPECT_EQ(s.ends, 1);
}

TEST(OpenAiCodecStream, DeepSeekUsageNullAndCachedTokens) {
  StreamEvents events = DecodeWhole(Fixture("deepseek_text_cached_512.sse"));
  int usage_events = 0;
  for (const auto& ev : events) {
    usage_events += ev.type == Type::kUsage ? 1 : 0;
  }
  EXPECT_EQ(usage_events, 1);  // "usage":null chunks are not usage
  Summary s = Summarize(events);
  EXPECT_EQ(s.usage.cache_read_tokens, 512);
  EXPECT_EQ(s.finish, FinishReason::kStop);
  EXPECT_FALSE(s.text.empty());
  EXPECT_EQ(s.ends, 1);
}

TEST(OpenAiCodecStream, ByteByByteEqualsWhole) {
  for (const char* name : kStreamFixtures) {
    SCOPED_TRACE(name);
    std::string body = Fixture(name);
    ExpectSameSummary(Summarize(DecodeWhole(body)), Summarize(DecodeBytes(body)));
  }
}

TEST(OpenAiCodecStream, DecodeEncodeRoundTrip) {
  for (const char* name : kStreamFixtures) {
    SCOPED_TRACE(name);
    StreamEvents first = DecodeWhole(Fixture(name));
    std::string encoded = Encode(first, true);
    EXPECT_TRUE(encoded.ends_with("data: [DONE]\n\n"));
    Summary a = Summarize(first);
    Summary b = Summarize(DecodeWhole(encoded));
    ExpectSameSummary(a, b);
    EXPECT_TRUE(b.id.starts_with("chatcmpl-"));
  }
}

TEST(OpenAiCodecStream, EncoderChunkShapes) {
  StreamEvents events = DecodeWhole(Fixture("parallel_tools_weather_stock.sse"));
  std::string out = Encode(events, false);
  std::vector<json::value> chunks;
  SseSplitter splitter;
  bool done = false;
  splitter.Feed(out, [&](const SseEvent& ev) {
    if (ev.data == "[DONE]") {
      done = true;
    } else {
      chunks.push_back(json::parse(ev.data));
    }
    return true;
  });
  EXPECT_TRUE(done);
  ASSERT_GE(chunks.size(), 3U);
  std::string id(chunks[0].at("id").as_string());
  for (const auto& c : chunks) {
    EXPECT_EQ(c.at("id").as_string(), id);
    EXPECT_EQ(c.at("object").as_string(), "chat.completion.chunk");
    EXPECT_EQ(c.at("model").as_string(), "gpt-4o-2024-08-06");
    EXPECT_FALSE(c.as_object().contains("usage"));  // the client did not ask
  }
  EXPECT_EQ(chunks[0].at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  const auto& start = chunks[1].at("choices").at(0).at("delta").at("tool_calls").at(0);
  EXPECT_EQ(start.at("index").as_int64(), 0);
  EXPECT_EQ(start.at("id").as_string(), "call_JMW1whyEaYG438VE1OIflxA2");
  EXPECT_EQ(start.at("function").at("arguments").as_string(), "");
  EXPECT_EQ(chunks.back().at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
}

TEST(OpenAiCodecStream, UsageChunkOnlyWhenAsked) {
  StreamEvents events = DecodeWhole(Fixture("deepseek_text_cached_512.sse"));
  std::string with = Encode(events, true);
  std::string without = Encode(events, false);
  EXPECT_NE(with.find(R"("choices":[],"usage":{)"), std::string::npos);
  EXPECT_NE(with.find(R"("prompt_tokens_details":{"cached_tokens":512})"), std::string::npos);
  EXPECT_EQ(without.find("usage"), std::string::npos);
}

TEST(OpenAiCodecStream, OllamaWholeCallInOneChunkAndNoDone) {
  std::string body =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"","tool_calls":[{"id":"call_a","index":0,"type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":null}]})"
      "\n\n"
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3.2","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]})"
      "\n\n";
  StreamEvents events = DecodeWhole(body);
  Summary s = Summarize(events);
  ASSERT_EQ(s.call_ids.size(), 1U);
  EXPECT_EQ(s.call_names[0], "get_weather");
  EXPECT_EQ(s.call_args[0], R"({"city":"Paris"})");
  EXPECT_EQ(s.finish, FinishReason::kToolCalls);  // "stop" with tool calls
  EXPECT_EQ(s.ends, 1);                           // finish seen, no [DONE]: complete
  EXPECT_EQ(s.errors, 0);
}

TEST(OpenAiCodecStream, AzurePromptFilterChunkAndReasoning) {
  std::string body =
      R"(data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]})"
      "\n\n"
      R"(data: {"id":"x1","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"hmm"},"finish_reason":null,"content_filter_results":{}}]})"
      "\n\n"
      R"(data: {"id":"x1","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]})"
      "\n\ndata: [DONE]\n\n";
  StreamEvents events = DecodeWhole(body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, Type::kStart);
  EXPECT_EQ(events[0].id, "x1");
  Summary s = Summarize(events);
  EXPECT_EQ(s.thinking, "hmm");
  EXPECT_EQ(s.text, "ok");
  EXPECT_EQ(s.ends, 1);
  std::string out = Encode(events, false);
  EXPECT_NE(out.find(R"("reasoning_content":"hmm")"), std::string::npos);
}

TEST(OpenAiCodecStream, CutStreamIsAnError) {
  std::string body = Fixture("text_weather_sf.sse");
  body.resize(body.size() / 2);
  Summary s = Summarize(DecodeWhole(body));
  EXPECT_EQ(s.errors, 1);
  EXPECT_EQ(s.ends, 0);
}

TEST(OpenAiCodecStream, MidStreamErrorChunk) {
  std::string body =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})"
      "\n\n"
      R"(data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})"
      "\n\n";
  StreamEvents events = DecodeWhole(body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, Type::kError);
  EXPECT_EQ(events.back().error.message, "The server had an error");
  std::string out = Encode(events, false);
  EXPECT_NE(out.find(R"(data: {"error":{"message":"The server had an error","type":)"),
            std::string::npos);
  EXPECT_TRUE(out.ends_with("data: [DONE]\n\n"));
}

TEST(OpenAiCodecStream, EndWithoutFinishSendsStop) {
  StreamEvents events(3);
  events[0].type = Type::kStart;
  events[0].id = "msg_1";
  events[0].name = "claude";
  events[1].type = Type::kTextDelta;
  events[1].text = "Hello";
  events[2].type = Type::kEnd;
  std::string out = Encode(events, true);
  EXPECT_NE(out.find(R"("finish_reason":"stop")"), std::string::npos);
  EXPECT_EQ(out.find("usage"), std::string::npos);  // no usage known: no usage chunk
  EXPECT_EQ(out.find("msg_1"), std::string::npos);  // not a chatcmpl- id: a fresh one
}

TEST(OpenAiCodecStream, LastEventWithoutBlankLine) {
  std::string chunk =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})";
  Summary done = Summarize(DecodeWhole(chunk + "\n\ndata: [DONE]"));
  EXPECT_EQ(done.ends, 1);
  EXPECT_EQ(done.errors, 0);
  Summary cut = Summarize(DecodeWhole(chunk.substr(0, chunk.size() - 5)));
  EXPECT_EQ(cut.ends, 0);
  ASSERT_EQ(cut.errors, 1);
  StreamEvents events = DecodeWhole(chunk.substr(0, chunk.size() - 5));
  EXPECT_EQ(events.back().error.message, "the upstream ended the stream before it was complete");
}

TEST(OpenAiCodecResponse, ParsesFixtures) {
  auto r = ParseOpenAiChatResponse(Fixture("json_tool_get_weather_args.json"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "chatcmpl-ABfvx6Z4dchiW2nya1N8KMsHFrQRE");
  EXPECT_EQ(r->created, 1727346165);
  ASSERT_EQ(r->content.size(), 1U);
  EXPECT_EQ(r->content[0].type, Part::Type::kToolCall);
  EXPECT_EQ(r->content[0].name, "GetWeatherArgs");
  EXPECT_EQ(r->content[0].arguments, R"({"city":"Edinburgh","country":"UK","units":"c"})");
  EXPECT_EQ(r->finish, FinishReason::kToolCalls);
  EXPECT_EQ(r->usage.input_tokens, 76);
  EXPECT_EQ(r->usage.output_tokens, 24);

  auto len = ParseOpenAiChatResponse(Fixture("json_max_tokens_length.json"));
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->finish, FinishReason::kLength);
  EXPECT_EQ(JoinText(len->content), "{\"");

  auto mistral = ParseOpenAiChatResponse(Fixture("mistral_json_parallel_tools.json"));
  ASSERT_TRUE(mistral.ok());
  ASSERT_EQ(mistral->content.size(), 2U);  // content "" adds no text part
  EXPECT_EQ(mistral->content[1].arguments, "{}");
  EXPECT_EQ(mistral->content[0].id, "wyFNfgjhN");

  auto pretty = ParseOpenAiChatResponse(Fixture("tidyllm_gpt4o_hello.json"));
  ASSERT_TRUE(pretty.ok());
  EXPECT_EQ(JoinText(pretty->content), "Hello! How can I assist you today?");
  EXPECT_EQ(pretty->usage.input_tokens, 21);
}

TEST(OpenAiCodecResponse, RenderRoundTrip) {
  for (const char* name : {"json_text_weather_sf.json", "json_tool_get_weather_args.json",
                           "json_max_tokens_length.json", "mistral_json_parallel_tools.json",
                           "tidyllm_gpt4o_hello.json"}) {
    SCOPED_TRACE(name);
    auto a = ParseOpenAiChatResponse(Fixture(name));
    ASSERT_TRUE(a.ok());
    Request req;
    req.model = "m";
    std::string rendered = RenderOpenAiChatResponse(*a, req);
    json::value v = json::parse(rendered);
    EXPECT_EQ(v.at("object").as_string(), "chat.completion");
    EXPECT_TRUE(v.at("id").as_string().starts_with("chatcmpl-"));
    EXPECT_TRUE(v.at("choices").at(0).at("message").at("refusal").is_null());
    auto b = ParseOpenAiChatResponse(rendered);
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(a->content.size(), b->content.size());
    for (std::size_t i = 0; i < a->content.size(); ++i) {
      EXPECT_EQ(a->content[i].type, b->content[i].type);
      EXPECT_EQ(a->content[i].text, b->content[i].text);
      EXPECT_EQ(a->content[i].id, b->content[i].id);
      EXPECT_EQ(a->content[i].arguments, b->content[i].arguments);
    }
    EXPECT_EQ(a->finish, b->finish);
    EXPECT_EQ(a->usage.input_tokens, b->usage.input_tokens);
    EXPECT_EQ(a->usage.output_tokens, b->usage.output_tokens);
  }
}

TEST(OpenAiCodecResponse, ToolOnlyContentIsNullAndThinkingIsReasoningContent) {
  Response r;
  r.model = "claude-x";
  r.created = 7;
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "let me think";
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "toolu_1";
  call.name = "f";
  call.arguments = R"({"a":1})";
  r.content = {thinking, call};
  r.finish = FinishReason::kStop;
  r.usage.present = true;
  r.usage.input_tokens = 10;
  r.usage.output_tokens = 5;
  r.usage.cache_read_tokens = 4;
  r.usage.reasoning_tokens = 2;
  json::value v = json::parse(RenderOpenAiChatResponse(r, Request{}));
  const auto& m = v.at("choices").at(0).at("message");
  EXPECT_TRUE(m.at("content").is_null());
  EXPECT_EQ(m.at("reasoning_content").as_string(), "let me think");
  EXPECT_EQ(m.at("tool_calls").at(0).at("function").at("arguments").as_string(), R"({"a":1})");
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason").as_string(), "tool_calls");
  EXPECT_EQ(v.at("usage").at("total_tokens").as_int64(), 15);
  EXPECT_EQ(v.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64(), 4);
  EXPECT_EQ(v.at("usage").at("completion_tokens_details").at("reasoning_tokens").as_int64(), 2);
  EXPECT_EQ(v.at("created").as_int64(), 7);
}

TEST(OpenAiCodecRequest, ParsesEverything) {
  auto r = ParseOpenAiChatRequest(R"({
    "model":"gpt-4o",
    "messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":[{"type":"text","text":"What is this?"},
        {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
        {"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
        {"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"sunny"},
      {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"noon"}]},
      {"role":"user","content":"thanks"},
      {"role":"developer","content":"Answer in French."}
    ],
    "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}],
    "tool_choice":{"type":"function","function":{"name":"get_weather"}},
    "parallel_tool_calls":false,
    "max_completion_tokens":100, "max_tokens":50,
    "temperature":0.5, "top_p":0.9, "presence_penalty":0.1, "frequency_penalty":0.2, "seed":42,
    "stop":"END", "stream":true, "stream_options":{"include_usage":true},
    "reasoning_effort":"low",
    "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"}}},
    "user":"u-1", "n":1
  })");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "gpt-4o");
  ASSERT_EQ(r->system.size(), 2U);
  EXPECT_EQ(r->system[1].text, "Answer in French.");
  ASSERT_EQ(r->messages.size(), 3U);
  const auto& u = r->messages[0];
  ASSERT_EQ(u.parts.size(), 3U);
  EXPECT_EQ(u.parts[1].type, Part::Type::kImage);
  EXPECT_EQ(u.parts[1].media_type, "image/png");
  EXPECT_EQ(u.parts[1].data, "iVBORw0KGgo=");
  EXPECT_EQ(u.parts[2].url, "https://example.com/cat.jpg");
  const auto& a = r->messages[1];
  EXPECT_EQ(a.role, Role::kAssistant);
  ASSERT_EQ(a.parts.size(), 2U);
  EXPECT_EQ(a.parts[0].arguments, R"({"city":"Paris"})");
  const auto& t = r->messages[2];  // both tool results and the next user message in one turn
  ASSERT_EQ(t.parts.size(), 3U);
  EXPECT_EQ(t.parts[0].type, Part::Type::kToolResult);
  EXPECT_EQ(t.parts[0].id, "call_1");
  EXPECT_EQ(t.parts[0].name, "get_weather");
  EXPECT_EQ(t.parts[0].content[0].text, "sunny");
  EXPECT_EQ(t.parts[1].content[0].text, "noon");
  EXPECT_EQ(t.parts[2].text, "thanks");
  ASSERT_EQ(r->tools.size(), 1U);
  EXPECT_EQ(r->tools[0].strict, true);
  EXPECT_EQ(json::parse(r->tools[0].parameters).at("type").as_string(), "object");
  EXPECT_EQ(r->tool_choice.mode, ToolChoice::Mode::kTool);
  EXPECT_EQ(r->tool_choice.name, "get_weather");
  EXPECT_EQ(r->parallel_tool_calls, false);
  EXPECT_EQ(r->max_tokens, 100);
  EXPECT_EQ(r->temperature, 0.5);
  EXPECT_EQ(r->seed, 42);
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_EQ(r->reasoning_effort, "low");
  EXPECT_EQ(r->response_format, Request::Format::kJsonSchema);
  EXPECT_EQ(r->response_schema_name, "answer");
  EXPECT_EQ(r->user, "u-1");
}

TEST(OpenAiCodecRequest, RenderRoundTrip) {
  std::string body = R"({"model":"gpt-4o","messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":[{"type":"text","text":"Look"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA"}}]},
      {"role":"assistant","content":"Calling.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"42"},
      {"role":"user","content":"ok?"}],
    "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
    "tool_choice":"required","parallel_tool_calls":true,"max_tokens":10,"temperature":3,
    "stop":["a","b"],"stream":true,"response_format":{"type":"json_object"},"seed":1})";
  auto r = ParseOpenAiChatRequest(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  json::value v = json::parse(RenderOpenAiChatRequest(*r, "upstream-model"));
  EXPECT_EQ(v.at("model").as_string(), "upstream-model");
  const auto& msgs = v.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 5U);
  EXPECT_EQ(msgs[0].at("role").as_string(), "system");
  EXPECT_EQ(msgs[1].at("content").at(1).at("image_url").at("url").as_string(),
            "data:image/jpeg;base64,AAAA");
  EXPECT_EQ(msgs[2].at("content").as_string(), "Calling.");
  EXPECT_EQ(msgs[2].at("tool_calls").at(0).at("function").at("arguments").as_string(),
            R"({"x":1})");
  EXPECT_EQ(msgs[3].at("role").as_string(), "tool");
  EXPECT_EQ(msgs[3].at("tool_call_id").as_string(), "call_1");
  EXPECT_EQ(msgs[3].at("content").as_string(), "42");
  EXPECT_EQ(msgs[4].at("content").as_string(), "ok?");
  EXPECT_EQ(v.at("tool_choice").as_string(), "required");
  EXPECT_EQ(v.at("parallel_tool_calls").as_bool(), true);
  EXPECT_EQ(v.at("max_tokens").as_int64(), 10);
  EXPECT_EQ(v.at("temperature").to_number<double>(), 2.0);  // clamped
  EXPECT_EQ(v.at("stop").as_array().size(), 2U);
  EXPECT_EQ(v.at("stream").as_bool(), true);
  EXPECT_EQ(v.at("stream_options").at("include_usage").as_bool(), true);  // always, streaming
  EXPECT_EQ(v.at("response_format").at("type").as_string(), "json_object");
  // Parsing the rendered body gives the same canonical request.
  auto again = ParseOpenAiChatRequest(RenderOpenAiChatRequest(*r, "gpt-4o"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->messages.size(), r->messages.size());
  EXPECT_EQ(again->messages[2].parts.size(), 2U);
  EXPECT_TRUE(again->include_usage);
}

TEST(OpenAiCodecRequest, RenderFromCanonical) {
  Request r;
  r.model = "x";
  r.system = {Part::Text("A"), Part::Text("B")};
  Message assistant{Role::kAssistant, {}};
  Part thinking;
  thinking.type = Part::Type::kThinking;
  thinking.text = "secret";
  Part call;
  call.type = Part::Type::kToolCall;
  call.id = "toolu_1";
  call.name = "shot";
  call.arguments = "{}";
  assistant.parts = {thinking, call};
  Part result;
  result.type = Part::Type::kToolResult;
  result.id = "toolu_1";
  Part img;
  img.type = Part::Type::kImage;
  img.media_type = "image/png";
  img.data = "QUJD";
  result.content = {Part::Text("here"), img};
  r.messages = {{Role::kUser, {Part::Text("take a shot")}}, assistant, {Role::kUser, {result}}};
  r.thinking_budget = 2000;
  r.tool_choice.mode = ToolChoice::Mode::kTool;
  r.tool_choice.name = "shot";
  r.parallel_tool_calls = false;  // no tools: not sent
  json::value v = json::parse(RenderOpenAiChatRequest(r, "gpt"));
  const auto& msgs = v.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 5U);
  EXPECT_EQ(msgs[0].at("content").as_string(), "A\n\nB");
  EXPECT_TRUE(msgs[2].at("content").is_null());
  EXPECT_FALSE(msgs[2].as_object().contains("reasoning_content"));  // thinking dropped
  EXPECT_EQ(msgs[3].at("content").as_string(), "here");
  EXPECT_EQ(msgs[4].at("role").as_string(), "user");
  EXPECT_EQ(msgs[4].at("content").at(0).at("image_url").at("url").as_string(),
            "data:image/png;base64,QUJD");
  EXPECT_EQ(v.at("reasoning_effort").as_string(), "medium");
  EXPECT_FALSE(v.as_object().contains("tool_choice"));  // no tools: OpenAI would refuse it
  EXPECT_FALSE(v.as_object().contains("parallel_tool_calls"));
  EXPECT_FALSE(v.as_object().contains("stream"));
}

TEST(OpenAiCodecRequest, BadRequests) {
  struct Case {
    const char* body;
    const char* param;
  };
  const std::vector<Case> cases = {
      {"{", ""},
      {"[]", ""},
      {R"({"messages":[]})", "model"},
      {R"({"model":"m"})", "messages"},
      {R"({"model":"m","messages":[]})", "messages"},
      {R"({"model":"m","messages":{}})", "messages"},
      {R"({"model":"m","messages":[{"content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"user"}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].tool_call_id"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
       "temperature"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"maybe"})",
       "tool_choice"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]})",
       "tools[0].type"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"input_audio"}]}]})",
       "messages[0].content[0].type"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = ParseOpenAiChatRequest(c.body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest);
    EXPECT_EQ(r.error().param, c.param);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(OpenAiCodecRequest, LegacyFunctions) {
  auto r = ParseOpenAiChatRequest(R"({"model":"m","messages":[
      {"role":"user","content":"hi"},
      {"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},
      {"role":"function","name":"f","content":"done"}],
    "functions":[{"name":"f","parameters":{"type":"object"}}],"function_call":{"name":"f"}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->messages.size(), 3U);
  EXPECT_EQ(r->messages[1].parts[0].type, Part::Type::kToolCall);
  EXPECT_EQ(r->messages[2].parts[0].id, r->messages[1].parts[0].id);
  EXPECT_EQ(r->tools.size(), 1U);
  EXPECT_EQ(r->tool_choice.mode, ToolChoice::Mode::kTool);
}

TEST(OpenAiCodecError, ParsesShapes) {
  Error e = ParseOpenAiChatError(
      429,
      R"({"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}})");
  EXPECT_EQ(e.kind, ErrorKind::kRateLimited);
  EXPECT_EQ(e.message, "Rate limit reached");
  EXPECT_EQ(e.code, "rate_limit_exceeded");
  EXPECT_EQ(e.upstream_status, 429);
  Error o = ParseOpenAiChatError(404, R"({"error":"model 'x' not found"})");
  EXPECT_EQ(o.kind, ErrorKind::kNotFound);
  EXPECT_EQ(o.message, "model 'x' not found");
  Error h = ParseOpenAiChatError(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(h.kind, ErrorKind::kUpstreamError);
  EXPECT_FALSE(h.message.empty());
  json::value v = json::parse(RenderOpenAiChatError(e));
  EXPECT_EQ(v.at("error").at("code").as_string(), "rate_limit_exceeded");
  EXPECT_EQ(OpenAiChatErrorStatus(e), 429);
}

}  // namespace
}  // namespace baton::canon
