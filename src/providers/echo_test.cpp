#include "providers/echo.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "dialects/openai_chat/openai_chat.hpp"
#include "dialects/sse.hpp"

namespace baton {
namespace {

namespace json = boost::json;

// 14 + 17 + 2 + 19 = 52 characters of content in all; the last user message has 4 words.
constexpr const char* kConversation = R"({"model":"demo-model","messages":[
  {"role":"system","content":"You are terse."},
  {"role":"user","content":"hello there world"},
  {"role":"assistant","content":"ok"},
  {"role":"user","content":"say it again please"}
]})";
constexpr int64_t kPromptTokens = (52 + 3) / 4 + 1;  // 14

json::object ParseObject(std::string_view text) {
  json::value v = json::parse(text);
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.as_object() : json::object();
}

std::string Str(const json::value& v) {
  return std::string(v.as_string());
}

void ExpectUsage(const json::value& usage, int64_t prompt, int64_t completion) {
  const json::object& u = usage.as_object();
  EXPECT_EQ(u.at("prompt_tokens").as_int64(), prompt);
  EXPECT_EQ(u.at("completion_tokens").as_int64(), completion);
  EXPECT_EQ(u.at("total_tokens").as_int64(), prompt + completion);
}

struct Chunk {
  std::string data;
  json::object obj;  // empty for [DONE]
};

std::vector<Chunk> StreamChunks(const std::string& body) {
  std::vector<Chunk> chunks;
  SseSplitter splitter;
  std::string joined;
  splitter.Feed(body, [&](const SseEvent& e) {
    joined.append(e.raw);
    EXPECT_TRUE(e.has_data);
    EXPECT_EQ(e.event, "");
    Chunk c{std::string(e.data), {}};
    if (e.data != "[DONE]") {
      c.obj = ParseObject(e.data);
    }
    chunks.push_back(std::move(c));
    return true;
  });
  EXPECT_EQ(splitter.pending(), "");
  EXPECT_EQ(joined, body);
  return chunks;
}

// --- non-streaming -----------------------------------------------------------------------------

TEST(EchoChatTest, NonStreamBodyShape) {
  EchoAnswer a = EchoChat(kConversation, false);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "application/json");
  json::object o = ParseObject(a.body);
  EXPECT_EQ(Str(o.at("object")), "chat.completion");
  EXPECT_EQ(Str(o.at("id")).rfind("chatcmpl-echo", 0), 0u) << o.at("id");
  EXPECT_TRUE(o.at("created").is_int64());
  EXPECT_GT(o.at("created").as_int64(), 1'700'000'000);
  EXPECT_EQ(Str(o.at("model")), "demo-model");
  EXPECT_EQ(Str(o.at("system_fingerprint")), "fp_baton_echo");
  const json::array& choices = o.at("choices").as_array();
  ASSERT_EQ(choices.size(), 1u);
  const json::object& choice = choices[0].as_object();
  EXPECT_EQ(choice.at("index").as_int64(), 0);
  EXPECT_TRUE(choice.at("logprobs").is_null());
  EXPECT_EQ(Str(choice.at("finish_reason")), "stop");
  const json::object& message = choice.at("message").as_object();
  EXPECT_EQ(Str(message.at("role")), "assistant");
  EXPECT_EQ(Str(message.at("content")), "say it again please");
  EXPECT_TRUE(message.at("refusal").is_null());
  ExpectUsage(o.at("usage"), kPromptTokens, 4);
  openai::Usage u = openai::ParseUsage(a.body);
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.prompt_tokens, kPromptTokens);
  EXPECT_EQ(u.completion_tokens, 4);
  EXPECT_EQ(u.total_tokens, kPromptTokens + 4);
}

TEST(EchoChatTest, IdsDifferBetweenCalls) {
  json::object a = ParseObject(EchoChat(kConversation, false).body);
  json::object b = ParseObject(EchoChat(kConversation, false).body);
  EXPECT_NE(Str(a.at("id")), Str(b.at("id")));
}

TEST(EchoChatTest, LastUserMessageIsEchoedNotTheLastMessage) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":"first question"},)"
                     R"({"role":"user","content":"second question"},)"
                     R"({"role":"assistant","content":"an answer"}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")), "second question");
}

TEST(EchoChatTest, ContentPartsJoinedWithSpaces) {
  std::string body =
      R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"look at"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},)"
      R"({"type":"text","text":"this"}]}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")), "look at this");
  // "look at this" is 12 characters: (12 + 3) / 4 + 1 = 4 prompt tokens; 3 words.
  ExpectUsage(o.at("usage"), 4, 3);
}

TEST(EchoChatTest, NoUserMessage) {
  std::string body = R"({"model":"m","messages":[{"role":"system","content":"sys"}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")),
            "(echo: no user message)");
  ExpectUsage(o.at("usage"), 2, 4);
}

TEST(EchoChatTest, EmptyMessages) {
  json::object o = ParseObject(EchoChat(R"({"model":"m","messages":[]})", false).body);
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")),
            "(echo: no user message)");
  ExpectUsage(o.at("usage"), 1, 4);
}

TEST(EchoChatTest, MissingModelIsDemo) {
  json::object o = ParseObject(EchoChat(R"({"messages":[]})", false).body);
  EXPECT_EQ(Str(o.at("model")), "demo");
}

TEST(EchoChatTest, ContentNeedingEscapesRoundTrips) {
  std::string text = "quote \" backslash \\ newline \n tab \t ctl \x01 utf8 °C 東京";
  std::string body = R"({"model":"we\"ird","messages":[{"role":"user","content":)" +
                     json::serialize(json::value(text)) + "}]}";
  EchoAnswer a = EchoChat(body, false);
  json::object o = ParseObject(a.body);
  EXPECT_EQ(Str(o.at("model")), "we\"ird");
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")), text);
}

TEST(EchoChatTest, MaxTokensTruncatesWithFinishReasonLength) {
  std::string body = R"({"model":"m","max_tokens":2,"messages":[{"role":"user",)"
                     R"("content":"one two three four five"}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  const json::object& choice = o.at("choices").as_array()[0].as_object();
  EXPECT_EQ(Str(choice.at("message").at("content")), "one two ");
  EXPECT_EQ(Str(choice.at("finish_reason")), "length");
  // 23 characters: (23 + 3) / 4 + 1 = 7.
  ExpectUsage(o.at("usage"), 7, 2);
}

TEST(EchoChatTest, MaxTokensNotReachedIsStop) {
  for (int limit : {5, 6, 100}) {
    SCOPED_TRACE(limit);
    std::string body = R"({"model":"m","max_tokens":)" + std::to_string(limit) +
                       R"(,"messages":[{"role":"user","content":"one two three four five"}]})";
    json::object o = ParseObject(EchoChat(body, false).body);
    const json::object& choice = o.at("choices").as_array()[0].as_object();
    EXPECT_EQ(Str(choice.at("message").at("content")), "one two three four five");
    EXPECT_EQ(Str(choice.at("finish_reason")), "stop");
    ExpectUsage(o.at("usage"), 7, 5);
  }
}

TEST(EchoChatTest, MaxCompletionTokensWinsOverMaxTokens) {
  std::string body = R"({"model":"m","max_tokens":4,"max_completion_tokens":1,)"
                     R"("messages":[{"role":"user","content":"one two three four five"}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  const json::object& choice = o.at("choices").as_array()[0].as_object();
  EXPECT_EQ(Str(choice.at("message").at("content")), "one ");
  EXPECT_EQ(Str(choice.at("finish_reason")), "length");
}

TEST(EchoChatTest, MaxTokensZero) {
  std::string body = R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"a b"}]})";
  json::object o = ParseObject(EchoChat(body, false).body);
  const json::object& choice = o.at("choices").as_array()[0].as_object();
  EXPECT_EQ(Str(choice.at("message").at("content")), "");
  EXPECT_EQ(Str(choice.at("finish_reason")), "length");
  ExpectUsage(o.at("usage"), 2, 0);
}

TEST(EchoChatTest, InvalidJsonIs400InOpenAiShape) {
  for (std::string_view body : {"{", "[1,2]", "\"text\""}) {
    SCOPED_TRACE(body);
    EchoAnswer a = EchoChat(body, false);
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.content_type, "application/json");
    json::object o = ParseObject(a.body);
    const json::object& err = o.at("error").as_object();
    EXPECT_EQ(Str(err.at("message")), "invalid JSON body");
    EXPECT_EQ(Str(err.at("type")), "invalid_request_error");
  }
}

// --- streaming ---------------------------------------------------------------------------------

TEST(EchoChatTest, StreamEventsParseAsSseAndJson) {
  EchoAnswer a = EchoChat(kConversation, true);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/event-stream");
  std::vector<Chunk> chunks = StreamChunks(a.body);
  // role, 4 words, finish, usage, [DONE]
  ASSERT_EQ(chunks.size(), 8u);
  EXPECT_EQ(chunks.back().data, "[DONE]");
  std::string id = Str(chunks[0].obj.at("id"));
  EXPECT_EQ(id.rfind("chatcmpl-echo", 0), 0u);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    SCOPED_TRACE(chunks[i].data);
    const json::object& c = chunks[i].obj;
    EXPECT_EQ(Str(c.at("object")), "chat.completion.chunk");
    EXPECT_EQ(Str(c.at("id")), id);
    EXPECT_EQ(Str(c.at("model")), "demo-model");
    EXPECT_EQ(Str(c.at("system_fingerprint")), "fp_baton_echo");
    EXPECT_TRUE(c.at("created").is_int64());
  }
  // First chunk: the role.
  const json::object& first = chunks[0].obj.at("choices").as_array()[0].as_object();
  EXPECT_EQ(Str(first.at("delta").at("role")), "assistant");
  EXPECT_EQ(Str(first.at("delta").at("content")), "");
  EXPECT_TRUE(first.at("finish_reason").is_null());
  // Content chunks concatenate to the answer.
  std::string content;
  for (std::size_t i = 1; i <= 4; ++i) {
    const json::object& choice = chunks[i].obj.at("choices").as_array()[0].as_object();
    EXPECT_TRUE(choice.at("finish_reason").is_null());
    content += Str(choice.at("delta").at("content"));
    EXPECT_FALSE(openai::ChunkHasUsage(chunks[i].data));
  }
  EXPECT_EQ(content, "say it again please");
  // Finish chunk: empty delta, finish_reason stop.
  const json::object& finish = chunks[5].obj.at("choices").as_array()[0].as_object();
  EXPECT_TRUE(finish.at("delta").as_object().empty());
  EXPECT_EQ(Str(finish.at("finish_reason")), "stop");
  // Usage chunk: no choices.
  EXPECT_TRUE(chunks[6].obj.at("choices").as_array().empty());
  ExpectUsage(chunks[6].obj.at("usage"), kPromptTokens, 4);
  EXPECT_TRUE(openai::ChunkHasUsage(chunks[6].data));
  EXPECT_TRUE(openai::IsUsageOnlyChunk(chunks[6].data));
}

TEST(EchoChatTest, StreamTruncatedByMaxTokens) {
  std::string body = R"({"model":"m","stream":true,"max_completion_tokens":3,)"
                     R"("messages":[{"role":"user","content":"one two three four five"}]})";
  std::vector<Chunk> chunks = StreamChunks(EchoChat(body, true).body);
  ASSERT_EQ(chunks.size(), 7u);  // role, 3 words, finish, usage, [DONE]
  std::string content;
  for (std::size_t i = 1; i <= 3; ++i) {
    content += Str(chunks[i].obj.at("choices").as_array()[0].at("delta").at("content"));
  }
  EXPECT_EQ(content, "one two three ");
  EXPECT_EQ(Str(chunks[4].obj.at("choices").as_array()[0].at("finish_reason")), "length");
  ExpectUsage(chunks[5].obj.at("usage"), 7, 3);
}

TEST(EchoChatTest, StreamWithNothingToSay) {
  std::string body = R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})";
  std::vector<Chunk> chunks = StreamChunks(EchoChat(body, true).body);
  ASSERT_EQ(chunks.size(), 4u);  // role, finish, usage, [DONE]
  EXPECT_EQ(Str(chunks[1].obj.at("choices").as_array()[0].at("finish_reason")), "length");
  ExpectUsage(chunks[2].obj.at("usage"), 2, 0);
}

TEST(EchoChatTest, StreamAndNonStreamAgree) {
  json::object whole = ParseObject(EchoChat(kConversation, false).body);
  std::vector<Chunk> chunks = StreamChunks(EchoChat(kConversation, true).body);
  std::string content;
  for (const Chunk& c : chunks) {
    if (c.obj.empty() || c.obj.at("choices").as_array().empty()) {
      continue;
    }
    const json::object& delta = c.obj.at("choices").as_array()[0].at("delta").as_object();
    if (const json::value* v = delta.if_contains("content")) {
      content += Str(*v);
    }
  }
  EXPECT_EQ(content, Str(whole.at("choices").as_array()[0].at("message").at("content")));
  EXPECT_EQ(json::serialize(chunks[chunks.size() - 2].obj.at("usage")),
            json::serialize(whole.at("usage")));
}

// --- EchoProvider::Send ------------------------------------------------------------------------

struct Sent {
  int status = 0;
  std::string content_type;
  std::string body;
  bool ok = false;
};

Awaitable<void> SendAndRead(EchoProvider& provider, ProviderCall call, Sent& out) {
  auto r = co_await provider.Send(std::move(call));
  if (!r) {
    co_return;
  }
  out.status = (*r)->status();
  out.content_type = std::string(FindHeader((*r)->headers(), "content-type"));
  auto all = co_await (*r)->ReadAll();
  if (all) {
    out.body = std::move(*all);
    out.ok = true;
  }
}

Sent RunSend(Operation op, std::string body, bool stream) {
  ProviderConfig config;
  config.name = "echo";
  config.kind = "echo";
  config.dialect = "echo";
  EchoProvider provider(config);
  ProviderCall call;
  call.operation = op;
  call.body = std::move(body);
  call.stream = stream;
  Sent sent;
  boost::asio::io_context ioc;
  boost::asio::co_spawn(ioc, SendAndRead(provider, std::move(call), sent), boost::asio::detached);
  ioc.run();
  return sent;
}

TEST(EchoProviderTest, SendAnswersChat) {
  Sent s = RunSend(Operation::kChatCompletions, kConversation, false);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "application/json");
  json::object o = ParseObject(s.body);
  EXPECT_EQ(Str(o.at("choices").as_array()[0].at("message").at("content")), "say it again please");
}

TEST(EchoProviderTest, SendStreams) {
  Sent s = RunSend(Operation::kChatCompletions, kConversation, true);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "text/event-stream");
  EXPECT_EQ(StreamChunks(s.body).size(), 8u);
}

TEST(EchoProviderTest, OtherOperationsAre404) {
  Sent s = RunSend(Operation::kEmbeddings, R"({"input":"x"})", false);
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.status, 404);
  json::object o = ParseObject(s.body);
  EXPECT_EQ(Str(o.at("error").at("code")), "unsupported_operation");
}

}  // namespace
}  // namespace baton
