#include "mock/openai_mock.hpp"

#include <bit>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mock/mock_service.hpp"

namespace baton::mock {
namespace {

namespace json = boost::json;

json::object ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.get_object() : json::object();
}

ChatRequest Parse(std::string_view body) {
  ChatRequest r;
  std::optional<ApiError> error = ParseChatRequest(body, &r);
  EXPECT_FALSE(error.has_value()) << (error ? error->message : "");
  return r;
}

constexpr std::string_view kSimple =
    R"({"model":"gpt-x","messages":[{"role":"system","content":"be brief"},)"
    R"({"role":"user","content":"What's the weather like in SF?"}]})";

// The JSON payloads of a stream's events; the last one must be [DONE].
std::vector<json::object> StreamPayloads(const SseStream& s, bool* saw_done) {
  std::vector<json::object> out;
  *saw_done = false;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string_view e = s.EventAt(i);
    EXPECT_EQ(begin + e.size(), s.events[i].end);
    begin = s.events[i].end;
    EXPECT_TRUE(e.starts_with("data: ")) << e;
    EXPECT_TRUE(e.ends_with("\n\n")) << e;
    std::string_view payload = e.substr(6, e.size() - 8);
    EXPECT_EQ(payload.find('\n'), std::string_view::npos);
    if (payload == "[DONE]") {
      EXPECT_EQ(i, s.size() - 1) << "[DONE] must be last";
      *saw_done = true;
      continue;
    }
    out.push_back(ParseObject(payload));
  }
  EXPECT_EQ(begin, s.bytes.size());
  return out;
}

std::string Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '+') {
      return 62;
    }
    if (c == '/') {
      return 63;
    }
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      break;
    }
    int v = value(c);
    EXPECT_GE(v, 0);
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// ---- Chat: non-streaming ----

TEST(OpenAiMockChat, NonStreamShapeMatchesWireFormat) {
  ChatRequest r = Parse(kSimple);
  ChatReply reply = PlanChatReply(r, 8);
  json::object o = ParseObject(ChatCompletionBody(r, reply, ChatIds{7, 1727346161}));
  EXPECT_EQ(o.at("id"), "chatcmpl-mock7");
  EXPECT_EQ(o.at("object"), "chat.completion");
  EXPECT_EQ(o.at("created").as_int64(), 1727346161);
  EXPECT_EQ(o.at("model"), "gpt-x");
  EXPECT_EQ(o.at("system_fingerprint"), "fp_mock");
  const json::array& choices = o.at("choices").as_array();
  ASSERT_EQ(choices.size(), 1u);
  const json::object& c = choices[0].as_object();
  EXPECT_EQ(c.at("index").as_int64(), 0);
  EXPECT_TRUE(c.at("logprobs").is_null());
  EXPECT_EQ(c.at("finish_reason"), "stop");
  const json::object& m = c.at("message").as_object();
  EXPECT_EQ(m.at("role"), "assistant");
  EXPECT_TRUE(m.at("refusal").is_null());
  EXPECT_FALSE(m.contains("tool_calls"));
  std::string content(m.at("content").as_string());
  EXPECT_EQ(content, ReplyText(reply));
  EXPECT_TRUE(content.starts_with("Mock "));
  const json::object& u = o.at("usage").as_object();
  // 1 + (8 + 30) / 4 = 10
  EXPECT_EQ(u.at("prompt_tokens").as_int64(), 10);
  EXPECT_EQ(u.at("completion_tokens").as_int64(), 8);
  EXPECT_EQ(u.at("total_tokens").as_int64(), 18);
  EXPECT_EQ(u.at("completion_tokens_details").at("reasoning_tokens").as_int64(), 0);
}

TEST(OpenAiMockChat, ContentIsDeterministicAndDependsOnLastUserMessage) {
  ChatRequest a = Parse(kSimple);
  ChatRequest b = Parse(kSimple);
  EXPECT_EQ(ReplyText(PlanChatReply(a, 8)), ReplyText(PlanChatReply(b, 8)));
  ChatReply reply = PlanChatReply(a, 5);
  ASSERT_EQ(reply.words.size(), 5u);
  EXPECT_EQ(reply.words[0], "Mock");
  EXPECT_EQ(reply.completion_tokens, 5);

  // Different last user texts give different word sequences (at least for most of them).
  int distinct = 0;
  std::string first = ReplyText(PlanChatReply(a, 8));
  for (int i = 0; i < 10; ++i) {
    ChatRequest other = Parse(R"({"model":"m","messages":[{"role":"user","content":"question )" +
                              std::to_string(i) + R"("}]})");
    distinct += ReplyText(PlanChatReply(other, 8)) != first;
  }
  EXPECT_GE(distinct, 9);
}

TEST(OpenAiMockChat, PromptTokensCountTextPartsOfAllMessages) {
  ChatRequest r =
      Parse(R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"abcd"},)"
            R"({"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"efgh"}]},)"
            R"({"role":"assistant","content":null},{"role":"user","content":"1234"}]})");
  EXPECT_EQ(r.prompt_tokens, 1 + 12 / 4);
  EXPECT_EQ(r.text_hash, Fnv1a("1234"));
}

TEST(OpenAiMockChat, MaxTokensTruncatesWithFinishLength) {
  ChatRequest r =
      Parse(R"({"model":"m","max_tokens":3,"messages":[{"role":"user","content":"hi"}]})");
  ChatReply reply = PlanChatReply(r, 8);
  EXPECT_EQ(reply.words.size(), 3u);
  EXPECT_EQ(reply.finish_reason, "length");
  json::object o = ParseObject(ChatCompletionBody(r, reply, ChatIds{1, 1}));
  EXPECT_EQ(o.at("choices").at(0).at("finish_reason"), "length");
  EXPECT_EQ(o.at("usage").at("completion_tokens").as_int64(), 3);

  // max_completion_tokens wins over max_tokens; a limit above the word count changes nothing.
  ChatRequest r2 =
      Parse(R"({"model":"m","max_tokens":2,"max_completion_tokens":100,"messages":[]})");
  ChatReply reply2 = PlanChatReply(r2, 8);
  EXPECT_EQ(reply2.words.size(), 8u);
  EXPECT_EQ(reply2.finish_reason, "stop");

  ChatRequest r3 = Parse(R"({"model":"m","max_tokens":8,"messages":[]})");
  EXPECT_EQ(PlanChatReply(r3, 8).finish_reason, "stop");
}

TEST(OpenAiMockChat, BadRequestsGet400InOpenAiShape) {
  ChatRequest r;
  std::optional<ApiError> e = ParseChatRequest("{not json", &r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(e->type, "invalid_request_error");

  e = ParseChatRequest(R"({"model":"m"})", &r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->param, "messages");
  json::object body = ParseObject(ErrorBody(*e));
  const json::object& err = body.at("error").as_object();
  EXPECT_EQ(err.at("type"), "invalid_request_error");
  EXPECT_EQ(err.at("param"), "messages");
  EXPECT_EQ(err.at("code"), "missing_required_parameter");
  EXPECT_TRUE(err.at("message").is_string());

  EXPECT_TRUE(ParseChatRequest(R"({"messages":[]})", &r));  // no model
  EXPECT_TRUE(ParseChatRequest(R"([1,2])", &r));
  EXPECT_TRUE(ParseChatRequest(R"({"model":"m","messages":[],"max_tokens":0})", &r));
  EXPECT_TRUE(ParseChatRequest(R"({"model":"m","messages":[],"max_tokens":"5"})", &r));
}

// ---- Chat: streaming ----

TEST(OpenAiMockChat, StreamShapeMatchesWireFormat) {
  ChatRequest r =
      Parse(R"({"model":"gpt-x","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.stream);
  ChatReply reply = PlanChatReply(r, 8);
  SseStream s = ChatCompletionStream(r, reply, ChatIds{42, 1727346182});
  bool done = false;
  std::vector<json::object> p = StreamPayloads(s, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(p.size(), 1u + 8u + 1u);  // role, words, finish; no usage chunk
  std::string text;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const json::object& o = p[i];
    EXPECT_EQ(o.at("id"), "chatcmpl-mock42");
    EXPECT_EQ(o.at("object"), "chat.completion.chunk");
    EXPECT_EQ(o.at("created").as_int64(), 1727346182);
    EXPECT_EQ(o.at("model"), "gpt-x");
    EXPECT_EQ(o.at("system_fingerprint"), "fp_mock");
    EXPECT_FALSE(o.contains("usage"));
    const json::array& choices = o.at("choices").as_array();
    ASSERT_EQ(choices.size(), 1u);
    const json::object& c = choices[0].as_object();
    EXPECT_EQ(c.at("index").as_int64(), 0);
    EXPECT_TRUE(c.at("logprobs").is_null());
    const json::object& delta = c.at("delta").as_object();
    if (i == 0) {
      EXPECT_EQ(json::serialize(delta), R"({"role":"assistant","content":"","refusal":null})");
      EXPECT_TRUE(c.at("finish_reason").is_null());
      EXPECT_FALSE(s.events[i].content);
    } else if (i + 1 < p.size()) {
      EXPECT_EQ(delta.size(), 1u);
      text += delta.at("content").as_string();
      EXPECT_TRUE(c.at("finish_reason").is_null());
      EXPECT_TRUE(s.events[i].content);
    } else {
      EXPECT_TRUE(delta.empty());
      EXPECT_EQ(c.at("finish_reason"), "stop");
      EXPECT_FALSE(s.events[i].content);
    }
  }
  EXPECT_EQ(text, ReplyText(reply));
  EXPECT_TRUE(s.bytes.ends_with("data: [DONE]\n\n"));
}

TEST(OpenAiMockChat, StreamUsageChunkOnlyWithIncludeUsage) {
  ChatRequest r =
      Parse(R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":2,)"
            R"("messages":[{"role":"user","content":"12345678"}]})");
  ASSERT_TRUE(r.include_usage);
  ChatReply reply = PlanChatReply(r, 8);
  SseStream s = ChatCompletionStream(r, reply, ChatIds{1, 2});
  bool done = false;
  std::vector<json::object> p = StreamPayloads(s, &done);
  EXPECT_TRUE(done);
  ASSERT_EQ(p.size(), 1u + 2u + 1u + 1u);
  EXPECT_EQ(p[3].at("choices").at(0).at("finish_reason"), "length");
  const json::object& usage_chunk = p.back();
  EXPECT_TRUE(usage_chunk.at("choices").as_array().empty());
  EXPECT_EQ(usage_chunk.at("id"), "chatcmpl-mock1");
  const json::object& u = usage_chunk.at("usage").as_object();
  EXPECT_EQ(u.at("prompt_tokens").as_int64(), 3);
  EXPECT_EQ(u.at("completion_tokens").as_int64(), 2);
  EXPECT_EQ(u.at("total_tokens").as_int64(), 5);
  EXPECT_EQ(u.at("completion_tokens_details").at("reasoning_tokens").as_int64(), 0);

  ChatRequest off = Parse(
      R"({"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[]})");
  SseStream s2 = ChatCompletionStream(off, PlanChatReply(off, 3), ChatIds{1, 2});
  EXPECT_EQ(s2.bytes.find("\"usage\""), std::string::npos);
}

TEST(OpenAiMockChat, StreamPrefixAndEventsCoverTheBytes) {
  ChatRequest r = Parse(R"({"model":"m","stream":true,"messages":[]})");
  SseStream s = ChatCompletionStream(r, PlanChatReply(r, 4), ChatIds{1, 2});
  EXPECT_EQ(s.Prefix(0), "");
  EXPECT_EQ(s.Prefix(s.size()), s.bytes);
  EXPECT_EQ(s.Prefix(100), s.bytes);
  EXPECT_EQ(s.Prefix(2), std::string(s.EventAt(0)) + std::string(s.EventAt(1)));
}

TEST(OpenAiMockChat, ModelNameIsEscaped) {
  ChatRequest r = Parse(R"({"model":"we\"ird\\mo\ndel","stream":true,"messages":[]})");
  json::object o = ParseObject(ChatCompletionBody(r, PlanChatReply(r, 2), ChatIds{1, 2}));
  EXPECT_EQ(o.at("model"), "we\"ird\\mo\ndel");
  bool done = false;
  std::vector<json::object> p =
      StreamPayloads(ChatCompletionStream(r, PlanChatReply(r, 2), ChatIds{1, 2}), &done);
  EXPECT_EQ(p[0].at("model"), "we\"ird\\mo\ndel");
}

// ---- Chat: tools ----

constexpr std::string_view kToolsRequest =
    R"({"model":"m","messages":[{"role":"user","content":"weather?"}],"tools":[)"
    R"({"type":"function","function":{"name":"get_weather","parameters":{"type":"object",)"
    R"("properties":{"city":{"type":"string"},"days":{"type":"integer"},"temp":{"type":"number"},)"
    R"("metric":{"type":"boolean"},"extra":{"type":"object"},"state":{"type":["string","null"]},)"
    R"("ünïcode":{"type":"string"}}}}},)"
    R"({"type":"function","function":{"name":"get_time","parameters":{"type":"object",)"
    R"("properties":{"tz":{"type":"string"}}}}}])";

std::string WithTail(std::string_view tail) {
  std::string s(kToolsRequest);
  s += tail;
  return s;
}

TEST(OpenAiMockTools, NonStreamToolCall) {
  ChatRequest r = Parse(WithTail("}"));
  ASSERT_TRUE(r.tool);
  EXPECT_EQ(r.tool->name, "get_weather");
  ChatReply reply = PlanChatReply(r, 8);
  EXPECT_EQ(reply.finish_reason, "tool_calls");
  json::object o = ParseObject(ChatCompletionBody(r, reply, ChatIds{9, 1}));
  const json::object& c = o.at("choices").at(0).as_object();
  EXPECT_EQ(c.at("finish_reason"), "tool_calls");
  const json::object& m = c.at("message").as_object();
  EXPECT_TRUE(m.at("content").is_null());
  EXPECT_TRUE(m.at("refusal").is_null());
  const json::array& calls = m.at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].at("id"), "call_mock9");
  EXPECT_EQ(calls[0].at("type"), "function");
  EXPECT_EQ(calls[0].at("function").at("name"), "get_weather");
  std::string args(calls[0].at("function").at("arguments").as_string());
  EXPECT_EQ(args, R"({"city":"mock","days":1,"temp":1,"metric":true,"extra":null,"state":"mock",)"
                  R"("ünïcode":"mock"})");
  ParseObject(args);
  EXPECT_GT(o.at("usage").at("completion_tokens").as_int64(), 0);
}

TEST(OpenAiMockTools, StreamedArgumentsConcatenateToValidJson) {
  ChatRequest r = Parse(WithTail(R"(,"stream":true,"stream_options":{"include_usage":true}})"));
  ChatReply reply = PlanChatReply(r, 8);
  SseStream s = ChatCompletionStream(r, reply, ChatIds{3, 5});
  bool done = false;
  std::vector<json::object> p = StreamPayloads(s, &done);
  EXPECT_TRUE(done);
  ASSERT_GE(p.size(), 4u);
  // First chunk: role + the call's id, type, name and empty arguments.
  const json::object& d0 = p[0].at("choices").at(0).at("delta").as_object();
  EXPECT_EQ(d0.at("role"), "assistant");
  EXPECT_TRUE(d0.at("content").is_null());
  EXPECT_TRUE(d0.at("refusal").is_null());
  const json::object& call0 = d0.at("tool_calls").at(0).as_object();
  EXPECT_EQ(call0.at("index").as_int64(), 0);
  EXPECT_EQ(call0.at("id"), "call_mock3");
  EXPECT_EQ(call0.at("type"), "function");
  EXPECT_EQ(call0.at("function").at("name"), "get_weather");
  EXPECT_EQ(call0.at("function").at("arguments"), "");
  // Fragments, then the finish chunk, then usage.
  std::string args;
  std::size_t fragments = 0;
  for (std::size_t i = 1; i + 2 < p.size(); ++i) {
    const json::object& d = p[i].at("choices").at(0).at("delta").as_object();
    const json::object& call = d.at("tool_calls").at(0).as_object();
    EXPECT_EQ(call.at("index").as_int64(), 0);
    EXPECT_FALSE(call.contains("id"));
    const json::string& fragment = call.at("function").at("arguments").as_string();
    EXPECT_LE(fragment.size(), 8u);
    args += fragment;
    ++fragments;
  }
  EXPECT_GT(fragments, 5u);
  EXPECT_EQ(args, r.tool->arguments);
  ParseObject(args);
  const json::object& finish = p[p.size() - 2];
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason"), "tool_calls");
  EXPECT_TRUE(finish.at("choices").at(0).at("delta").as_object().empty());
  EXPECT_EQ(p.back().at("usage").at("completion_tokens").as_int64(),
            static_cast<int64_t>(fragments));
}

TEST(OpenAiMockTools, ToolChoiceNoneAndNamed) {
  ChatRequest none = Parse(WithTail(R"(,"tool_choice":"none"})"));
  EXPECT_FALSE(none.tool);
  EXPECT_EQ(PlanChatReply(none, 8).finish_reason, "stop");

  ChatRequest named =
      Parse(WithTail(R"(,"tool_choice":{"type":"function","function":{"name":"get_time"}}})"));
  ASSERT_TRUE(named.tool);
  EXPECT_EQ(named.tool->name, "get_time");
  EXPECT_EQ(named.tool->arguments, R"({"tz":"mock"})");

  ChatRequest required = Parse(WithTail(R"(,"tool_choice":"required"})"));
  ASSERT_TRUE(required.tool);
  EXPECT_EQ(required.tool->name, "get_weather");

  ChatRequest no_params = Parse(
      R"({"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"ping"}}]})");
  ASSERT_TRUE(no_params.tool);
  EXPECT_EQ(no_params.tool->arguments, "{}");
}

TEST(OpenAiMockTools, TwoParallelCalls) {
  ChatRequest r = Parse(WithTail("}"));
  ASSERT_TRUE(r.next_tool);
  EXPECT_EQ(r.next_tool->name, "get_time");
  ChatReply reply = PlanChatReply(r, 8, 2);
  ASSERT_TRUE(reply.tool2);
  json::object o = ParseObject(ChatCompletionBody(r, reply, ChatIds{5, 1}));
  const json::array& calls = o.at("choices").at(0).at("message").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].at("id"), "call_mock5");
  EXPECT_EQ(calls[1].at("id"), "call_mock5_1");
  EXPECT_EQ(calls[1].at("function").at("name"), "get_time");
  EXPECT_EQ(calls[1].at("function").at("arguments"), R"({"tz":"mock"})");

  bool done = false;
  std::vector<json::object> p =
      StreamPayloads(ChatCompletionStream(r, reply, ChatIds{5, 1}), &done);
  std::string args[2];
  int starts = 0;
  for (const json::object& chunk : p) {
    const json::object& d = chunk.at("choices").at(0).at("delta").as_object();
    if (!d.contains("tool_calls")) {
      continue;
    }
    const json::object& call = d.at("tool_calls").at(0).as_object();
    int64_t index = call.at("index").as_int64();
    if (call.contains("id")) {
      EXPECT_EQ(index, starts);
      ++starts;
    }
    args[index] += call.at("function").at("arguments").as_string();
  }
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(args[0], r.tool->arguments);
  EXPECT_EQ(args[1], R"({"tz":"mock"})");
  // Only one tool: the second call repeats it.
  ChatRequest one = Parse(
      R"({"model":"m","messages":[],"tools":[{"type":"function","function":{"name":"ping"}}]})");
  EXPECT_EQ(PlanChatReply(one, 8, 2).tool2->name, "ping");
  EXPECT_FALSE(PlanChatReply(one, 8).tool2);
}

TEST(OpenAiMockTools, ArgumentsFromSchema) {
  EXPECT_EQ(ToolArgumentsFromSchema(R"({"type":"object","properties":{"a":{"type":"string"},)"
                                    R"("b":{"type":"integer"},"c":{"type":"array"},"d":{}}})"),
            R"({"a":"mock","b":1,"c":null,"d":null})");
  EXPECT_EQ(ToolArgumentsFromSchema("not json"), "{}");
}

TEST(OpenAiMockTools, FragmentsKeepUtf8Whole) {
  std::string text = "{\"ünï\":\"€€\"}";
  std::string joined;
  for (std::string_view f : Fragments(text, 3)) {
    EXPECT_FALSE(f.empty());
    EXPECT_NE(static_cast<unsigned char>(f[0]) & 0xC0, 0x80) << "fragment starts mid-character";
    joined += f;
  }
  EXPECT_EQ(joined, text);
  EXPECT_TRUE(Fragments("", 4).empty());
}

// ---- Embeddings ----

EmbeddingsRequest ParseEmb(std::string_view body) {
  EmbeddingsRequest r;
  std::optional<ApiError> e = ParseEmbeddingsRequest(body, &r);
  EXPECT_FALSE(e) << (e ? e->message : "");
  return r;
}

TEST(OpenAiMockEmbeddings, FloatShapeAndDeterminism) {
  EmbeddingsRequest r =
      ParseEmb(R"({"model":"text-embedding-3-small","input":["hello","world!!"]})");
  json::object o = ParseObject(EmbeddingsBody(r));
  EXPECT_EQ(o.at("object"), "list");
  EXPECT_EQ(o.at("model"), "text-embedding-3-small");
  const json::array& data = o.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(data[i].at("object"), "embedding");
    EXPECT_EQ(data[i].at("index").as_int64(), static_cast<int64_t>(i));
    const json::array& e = data[i].at("embedding").as_array();
    ASSERT_EQ(e.size(), 8u);
    double norm = 0;
    for (const json::value& x : e) {
      norm += x.to_number<double>() * x.to_number<double>();
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
  EXPECT_NE(json::serialize(data[0].at("embedding")), json::serialize(data[1].at("embedding")));
  // 2 + 2 tokens
  EXPECT_EQ(o.at("usage").at("prompt_tokens").as_int64(), 4);
  EXPECT_EQ(o.at("usage").at("total_tokens").as_int64(), 4);
  EXPECT_EQ(EmbeddingsBody(r),
            EmbeddingsBody(
                ParseEmb(R"({"model":"text-embedding-3-small","input":["hello","world!!"]})")));
  // The same text gives the same vector wherever it appears.
  EmbeddingsRequest single = ParseEmb(R"({"model":"x","input":"world!!"})");
  json::object o2 = ParseObject(EmbeddingsBody(single));
  EXPECT_EQ(json::serialize(o2.at("data").at(0).at("embedding")),
            json::serialize(data[1].at("embedding")));
}

TEST(OpenAiMockEmbeddings, Base64DecodesToTheFloatValues) {
  EmbeddingsRequest f = ParseEmb(R"({"model":"x","input":"abc","dimensions":5})");
  EmbeddingsRequest b =
      ParseEmb(R"({"model":"x","input":"abc","dimensions":5,"encoding_format":"base64"})");
  ASSERT_TRUE(b.base64);
  json::object of = ParseObject(EmbeddingsBody(f));
  json::object ob = ParseObject(EmbeddingsBody(b));
  const json::array& floats = of.at("data").at(0).at("embedding").as_array();
  ASSERT_EQ(floats.size(), 5u);
  std::string raw = Base64Decode(ob.at("data").at(0).at("embedding").as_string());
  ASSERT_EQ(raw.size(), 20u);
  std::vector<float> expected = EmbeddingVector(Fnv1a("abc"), 5);
  for (std::size_t i = 0; i < 5; ++i) {
    uint32_t u = static_cast<uint32_t>(static_cast<unsigned char>(raw[i * 4])) |
                 static_cast<uint32_t>(static_cast<unsigned char>(raw[i * 4 + 1])) << 8 |
                 static_cast<uint32_t>(static_cast<unsigned char>(raw[i * 4 + 2])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(raw[i * 4 + 3])) << 24;
    float decoded = std::bit_cast<float>(u);
    EXPECT_EQ(decoded, static_cast<float>(floats[i].to_number<double>()));
    EXPECT_EQ(decoded, expected[i]);
  }
}

TEST(OpenAiMockEmbeddings, TokenInputsAndErrors) {
  EmbeddingsRequest one = ParseEmb(R"({"model":"x","input":[1,2,3]})");
  EXPECT_EQ(one.seeds.size(), 1u);
  EXPECT_EQ(one.prompt_tokens, 3);
  EmbeddingsRequest many = ParseEmb(R"({"model":"x","input":[[1,2],[3,4,5]],"dimensions":3})");
  EXPECT_EQ(many.seeds.size(), 2u);
  EXPECT_EQ(many.prompt_tokens, 5);
  EXPECT_EQ(many.dimensions, 3);
  EXPECT_NE(many.seeds[0], many.seeds[1]);

  EmbeddingsRequest r;
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x"})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x","input":[]})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x","input":""})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x","input":["a",1]})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x","input":"a","dimensions":0})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"model":"x","input":"a","encoding_format":"hex"})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest(R"({"input":"a"})", &r));
  EXPECT_TRUE(ParseEmbeddingsRequest("nope", &r));
}

TEST(OpenAiMockEmbeddings, Base64Encode) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

// ---- Models, errors, hooks ----

TEST(OpenAiMockModels, ListShape) {
  json::object o = ParseObject(ModelsBody());
  EXPECT_EQ(o.at("object"), "list");
  const json::array& data = o.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(data[0].at("id"), "mock-gpt");
  EXPECT_EQ(data[0].at("object"), "model");
  EXPECT_EQ(data[0].at("created").as_int64(), 1700000000);
  EXPECT_EQ(data[0].at("owned_by"), "baton-mock");
  EXPECT_EQ(data[2].at("id"), "mock-embed");
}

TEST(OpenAiMockErrors, StatusShapes) {
  json::object rl = ParseObject(ErrorBody(ErrorForStatus(429)));
  EXPECT_EQ(rl.at("error").at("type"), "requests");
  EXPECT_EQ(rl.at("error").at("code"), "rate_limit_exceeded");
  EXPECT_TRUE(rl.at("error").at("param").is_null());
  json::object se = ParseObject(ErrorBody(ErrorForStatus(503)));
  EXPECT_EQ(se.at("error").at("type"), "server_error");
  EXPECT_TRUE(se.at("error").at("code").is_null());
  EXPECT_EQ(ErrorForStatus(500).status, 500);
  EXPECT_EQ(ErrorForStatus(401).code, "invalid_api_key");
  EXPECT_EQ(ErrorForStatus(404).code, "model_not_found");

  ApiError missing = InvalidKeyError("");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.code, "invalid_api_key");
  ApiError wrong = InvalidKeyError("sk-abcdefghijkl");
  EXPECT_NE(wrong.message.find("sk-*****ijkl"), std::string::npos) << wrong.message;
  EXPECT_EQ(wrong.message.find("abcdefgh"), std::string::npos);
}

TEST(OpenAiMockHooks, ParseModelHook) {
  using K = ModelHook::Kind;
  EXPECT_EQ(ParseModelHook("gpt-4o").kind, K::kNone);
  EXPECT_EQ(ParseModelHook("mock-gpt").kind, K::kNone);
  ModelHook f = ParseModelHook("mock-fail-429");
  EXPECT_EQ(f.kind, K::kFail);
  EXPECT_EQ(f.value, 429);
  EXPECT_EQ(ParseModelHook("mock-fail-42").kind, K::kNone);
  EXPECT_EQ(ParseModelHook("mock-fail-").kind, K::kNone);
  EXPECT_EQ(ParseModelHook("mock-hang").kind, K::kHang);
  ModelHook d = ParseModelHook("mock-drop-3");
  EXPECT_EQ(d.kind, K::kDrop);
  EXPECT_EQ(d.value, 3);
  EXPECT_EQ(ParseModelHook("mock-drop-0").kind, K::kDrop);
  EXPECT_EQ(ParseModelHook("mock-drop-3x").kind, K::kNone);
  ModelHook s = ParseModelHook("mock-slow-50");
  EXPECT_EQ(s.kind, K::kSlow);
  EXPECT_EQ(s.value, 50);
}

int Failures(double rate, uint64_t n) {
  int count = 0;
  for (uint64_t i = 1; i <= n; ++i) {
    count += ShouldFail(i, rate);
  }
  return count;
}

TEST(OpenAiMockHooks, FailRateIsDeterministicCounter) {
  EXPECT_EQ(Failures(1.0, 50), 50);
  EXPECT_EQ(Failures(0.0, 50), 0);
  EXPECT_FALSE(ShouldFail(1, 0.5));
  EXPECT_TRUE(ShouldFail(2, 0.5));
  EXPECT_FALSE(ShouldFail(3, 0.5));
  EXPECT_TRUE(ShouldFail(4, 0.5));
  EXPECT_EQ(Failures(0.25, 100), 25);
  EXPECT_TRUE(ShouldFail(4, 0.25));
  EXPECT_FALSE(ShouldFail(5, 0.25));
  EXPECT_EQ(Failures(0.7, 10), 7);
  EXPECT_EQ(Failures(0.3, 10), 3);
  EXPECT_EQ(Failures(0.1, 1000), 100);
  EXPECT_TRUE(ShouldFail(10, 0.1));
  EXPECT_FALSE(ShouldFail(9, 0.1));
}

// ---- Fixtures ----

TEST(OpenAiMockFixtures, SplitSseKeepsBytes) {
  SseStream s = SplitSse("data: a\n\ndata: b\n\n: ping\n\ndata: [DONE]");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.EventAt(0), "data: a\n\n");
  EXPECT_EQ(s.EventAt(2), ": ping\n\n");
  EXPECT_EQ(s.EventAt(3), "data: [DONE]");
  SseStream crlf = SplitSse("data: a\r\n\r\ndata: b\r\n\r\n");
  ASSERT_EQ(crlf.size(), 2u);
  EXPECT_EQ(crlf.EventAt(1), "data: b\r\n\r\n");
  EXPECT_EQ(SplitSse("").size(), 0u);
}

TEST(OpenAiMockFixtures, RecordedOpenAiStreamSplits) {
  std::ifstream in("/work/shared/fixtures/openai/text_weather_sf.sse", std::ios::binary);
  if (!in) {
    GTEST_SKIP() << "fixtures not present";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  SseStream s = SplitSse(bytes);
  EXPECT_EQ(s.bytes, bytes);
  EXPECT_GT(s.size(), 10u);
  EXPECT_EQ(s.EventAt(s.size() - 1).substr(0, 12), "data: [DONE]");
}

// ---- Request log ----

TEST(MockRequestLog, RecordsLowercasedHeadersCappedBodiesAndLast100) {
  RequestLog log(3);
  for (int i = 0; i < 5; ++i) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/v1/chat/completions?x=" + std::to_string(i);
    r.path = std::string_view(r.target).substr(0, 20);
    r.query = std::string_view(r.target).substr(21);
    r.headers = {{"Authorization", "Bearer k"}, {"X-Dup", "a"}, {"x-dup", "b"}};
    r.body = i == 4 ? std::string(RequestLog::kMaxBodyBytes + 10, 'z')
                    : "{\"i\":" + std::to_string(i) + "}";
    log.Record(r);
  }
  json::object o = ParseObject(log.Json());
  const json::array& reqs = o.at("requests").as_array();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].at("body"), "{\"i\":2}");
  EXPECT_EQ(reqs[0].at("method"), "POST");
  EXPECT_EQ(reqs[0].at("path"), "/v1/chat/completions");
  EXPECT_EQ(reqs[0].at("query"), "x=2");
  EXPECT_EQ(reqs[0].at("headers").at("authorization"), "Bearer k");
  EXPECT_EQ(reqs[0].at("headers").at("x-dup"), "a, b");
  EXPECT_EQ(reqs[2].at("body").as_string().size(), RequestLog::kMaxBodyBytes);
  EXPECT_TRUE(reqs[2].at("body_truncated").as_bool());
  log.Clear();
  EXPECT_EQ(log.Json(), "{\"requests\":[]}");
}

}  // namespace
}  // namespace baton::mock
