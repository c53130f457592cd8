#include "dialects/openai_chat/openai_chat.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "dialects/sse.hpp"

namespace baton::openai {
namespace {

namespace json = boost::json;

std::string ReadFixture(const std::string& name) {
  std::filesystem::path path =
      std::filesystem::path(BATON_SOURCE_DIR) / "tests" / "fixtures" / "openai" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The data payloads of a fixture's events, [DONE] excluded.
std::vector<std::string> FixtureChunks(const std::string& name) {
  std::vector<std::string> chunks;
  SseSplitter splitter;
  splitter.Feed(ReadFixture(name), [&](const SseEvent& e) {
    if (e.data != "[DONE]") {
      chunks.emplace_back(e.data);
    }
    return true;
  });
  return chunks;
}

// Inspects a body expected to be rejected; returns the error.
Error Rejected(std::string_view body) {
  auto r = InspectChatRequest(body);
  if (r.ok()) {
    ADD_FAILURE() << "accepted: " << body;
    return Error();
  }
  return r.error();
}

// --- InspectChatRequest --------------------------------------------------------------------

TEST(InspectChatRequestTest, MinimalValidRequest) {
  auto r = InspectChatRequest(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "gpt-4o");
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->include_usage);
  EXPECT_EQ(r->max_tokens, std::nullopt);
}

TEST(InspectChatRequestTest, EmptyMessagesArrayIsAccepted) {
  auto r = InspectChatRequest(R"({"messages":[],"model":"m"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "m");
}

TEST(InspectChatRequestTest, ModelWithEscapes) {
  auto r = InspectChatRequest(R"({"model":"a\"b\\c\u00e9/d","messages":[]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "a\"b\\c\xc3\xa9/d");
}

TEST(InspectChatRequestTest, StreamFlag) {
  auto on = InspectChatRequest(R"({"model":"m","messages":[],"stream":true})");
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->stream);
  auto off = InspectChatRequest(R"({"model":"m","messages":[],"stream":false})");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->stream);
  auto null = InspectChatRequest(R"({"model":"m","messages":[],"stream":null})");
  ASSERT_TRUE(null.ok());
  EXPECT_FALSE(null->stream);
}

TEST(InspectChatRequestTest, BigBodyBeyondTheStackArena) {
  std::string content(100'000, 'x');
  std::string body = R"({"model":"m","messages":[{"role":"user","content":")" + content +
                     R"("}],"stream":true,"max_tokens":5})";
  auto r = InspectChatRequest(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "m");
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->max_tokens, 5);
}

TEST(InspectChatRequestTest, BadJson) {
  for (std::string_view body : {"", "{", R"({"model":"m",})", "not json", R"({"model":"m"} x)"}) {
    SCOPED_TRACE(body);
    Error e = Rejected(body);
    EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
    EXPECT_EQ(e.code, "invalid_json");
    EXPECT_EQ(e.param, "");
    EXPECT_NE(e.message.find("could not parse the JSON body"), std::string::npos) << e.message;
  }
}

TEST(InspectChatRequestTest, NotAnObject) {
  for (std::string_view body : {"[]", R"("model")", "42", "null", "true"}) {
    SCOPED_TRACE(body);
    Error e = Rejected(body);
    EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
    EXPECT_EQ(e.code, "invalid_request");
    EXPECT_EQ(e.param, "");
    EXPECT_EQ(e.message, "The request body must be a JSON object.");
  }
}

TEST(InspectChatRequestTest, MissingModel) {
  Error e = Rejected(R"({"messages":[]})");
  EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
  EXPECT_EQ(e.code, "missing_model");
  EXPECT_EQ(e.param, "model");
  EXPECT_EQ(e.message, "you must provide a model parameter");
}

TEST(InspectChatRequestTest, ModelNotAString) {
  for (std::string_view body :
       {R"({"model":4,"messages":[]})", R"({"model":null,"messages":[]})",
        R"({"model":["m"],"messages":[]})", R"({"model":{"id":"m"},"messages":[]})"}) {
    SCOPED_TRACE(body);
    Error e = Rejected(body);
    EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
    EXPECT_EQ(e.code, "invalid_type");
    EXPECT_EQ(e.param, "model");
    EXPECT_EQ(e.message, "Invalid type for 'model': expected a non-empty string.");
  }
}

TEST(InspectChatRequestTest, EmptyModel) {
  Error e = Rejected(R"({"model":"","messages":[]})");
  EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
  EXPECT_EQ(e.code, "invalid_type");
  EXPECT_EQ(e.param, "model");
}

TEST(InspectChatRequestTest, MissingMessages) {
  Error e = Rejected(R"({"model":"m"})");
  EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
  EXPECT_EQ(e.code, "missing_required_parameter");
  EXPECT_EQ(e.param, "messages");
  EXPECT_EQ(e.message, "Missing required parameter: 'messages'.");
}

TEST(InspectChatRequestTest, MessagesNotAnArray) {
  for (std::string_view body :
       {R"({"model":"m","messages":{}})", R"({"model":"m","messages":"hi"})",
        R"({"model":"m","messages":null})"}) {
    SCOPED_TRACE(body);
    Error e = Rejected(body);
    EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
    EXPECT_EQ(e.code, "invalid_type");
    EXPECT_EQ(e.param, "messages");
    EXPECT_EQ(e.message, "Invalid type for 'messages': expected an array.");
  }
}

TEST(InspectChatRequestTest, ModelIsCheckedBeforeMessages) {
  EXPECT_EQ(Rejected(R"({"model":1})").param, "model");
}

TEST(InspectChatRequestTest, StreamNotABool) {
  for (std::string_view body : {R"({"model":"m","messages":[],"stream":"true"})",
                                R"({"model":"m","messages":[],"stream":1})",
                                R"({"model":"m","messages":[],"stream":{}})"}) {
    SCOPED_TRACE(body);
    Error e = Rejected(body);
    EXPECT_EQ(e.kind, ErrorKind::kBadRequest);
    EXPECT_EQ(e.code, "invalid_type");
    EXPECT_EQ(e.param, "stream");
    EXPECT_EQ(e.message, "Invalid type for 'stream': expected a boolean.");
  }
}

TEST(InspectChatRequestTest, IncludeUsage) {
  auto yes = InspectChatRequest(
      R"({"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_TRUE(yes.ok());
  EXPECT_TRUE(yes->include_usage);
  auto no = InspectChatRequest(
      R"({"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":false}})");
  ASSERT_TRUE(no.ok());
  EXPECT_FALSE(no->include_usage);
  auto absent =
      InspectChatRequest(R"({"model":"m","messages":[],"stream":true,"stream_options":{}})");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->include_usage);
  auto wrong_type = InspectChatRequest(
      R"({"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":"yes"}})");
  ASSERT_TRUE(wrong_type.ok());
  EXPECT_FALSE(wrong_type->include_usage);
  auto null_options =
      InspectChatRequest(R"({"model":"m","messages":[],"stream":true,"stream_options":null})");
  ASSERT_TRUE(null_options.ok());
  EXPECT_FALSE(null_options->include_usage);
}

TEST(InspectChatRequestTest, MaxTokens) {
  auto legacy = InspectChatRequest(R"({"model":"m","messages":[],"max_tokens":100})");
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->max_tokens, 100);
  auto modern = InspectChatRequest(R"({"model":"m","messages":[],"max_completion_tokens":7})");
  ASSERT_TRUE(modern.ok());
  EXPECT_EQ(modern->max_tokens, 7);
  // max_completion_tokens wins over max_tokens, whatever the order.
  auto both = InspectChatRequest(
      R"({"model":"m","max_tokens":100,"messages":[],"max_completion_tokens":7})");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->max_tokens, 7);
  auto both_reversed = InspectChatRequest(
      R"({"model":"m","max_completion_tokens":8,"messages":[],"max_tokens":100})");
  ASSERT_TRUE(both_reversed.ok());
  EXPECT_EQ(both_reversed->max_tokens, 8);
  // A null max_completion_tokens falls back to max_tokens.
  auto null_modern = InspectChatRequest(
      R"({"model":"m","messages":[],"max_completion_tokens":null,"max_tokens":9})");
  ASSERT_TRUE(null_modern.ok());
  EXPECT_EQ(null_modern->max_tokens, 9);
  auto as_double = InspectChatRequest(R"({"model":"m","messages":[],"max_tokens":12.0})");
  ASSERT_TRUE(as_double.ok());
  EXPECT_EQ(as_double->max_tokens, 12);
  auto as_string = InspectChatRequest(R"({"model":"m","messages":[],"max_tokens":"12"})");
  ASSERT_TRUE(as_string.ok());
  EXPECT_EQ(as_string->max_tokens, std::nullopt);
}

// --- RewriteChatRequest ------------------------------------------------------------------------

TEST(RewriteChatRequestTest, KeepsEveryOtherByte) {
  std::string body =
      "{ \"messages\" : [ {\"role\":\"user\",\"content\":\"use \\\"model\\\": x\", "
      "\"model\":\"nested\"} ],\n  \"model\"  :  \"my-alias\" ,\n  \"temperature\": 0.70,"
      " \"unknown_field\": {\"z\": [1, 2e3]}\n}\n";
  std::string expected = body;
  std::string_view old_model = "\"my-alias\"";
  expected.replace(expected.find(old_model), old_model.size(), "\"gpt-4o-2024-08-06\"");
  EXPECT_EQ(RewriteChatRequest(body, "gpt-4o-2024-08-06", false), expected);
}

TEST(RewriteChatRequestTest, NonStreamingAddsNothingElse) {
  std::string body = R"({"model":"a","messages":[],"stream":false})";
  EXPECT_EQ(RewriteChatRequest(body, "b", false), R"({"model":"b","messages":[],"stream":false})");
}

TEST(RewriteChatRequestTest, ModelNeedingEscapes) {
  std::string body = R"({"model":"x","messages":[]})";
  std::string out = RewriteChatRequest(body, "we\"ird\\model\n", false);
  EXPECT_EQ(out, R"({"model":"we\"ird\\model\n","messages":[]})");
  json::value v = json::parse(out);
  EXPECT_EQ(v.as_object().at("model").as_string(), "we\"ird\\model\n");
}

TEST(RewriteChatRequestTest, DuplicateModelKeyRewritesTheOneThatCounts) {
  // JSON parsers keep the last duplicate, so that is the one that must change.
  std::string body = R"({"model":"first","messages":[],"model":"second"})";
  EXPECT_EQ(RewriteChatRequest(body, "up", false),
            R"({"model":"first","messages":[],"model":"up"})");
}

TEST(RewriteChatRequestTest, MissingModelIsAppended) {
  EXPECT_EQ(RewriteChatRequest(R"({"messages":[]})", "m", false), R"({"messages":[],"model":"m"})");
}

TEST(RewriteChatRequestTest, StreamingAddsStreamOptionsWhenAbsent) {
  std::string body = "{\"model\":\"a\",\"messages\":[],\"stream\":true\n}";
  EXPECT_EQ(RewriteChatRequest(body, "b", true),
            "{\"model\":\"b\",\"messages\":[],\"stream\":true,"
            "\"stream_options\":{\"include_usage\":true}\n}");
}

TEST(RewriteChatRequestTest, StreamingSetsIncludeUsageInExistingOptions) {
  std::string body = R"({"model":"a","stream":true,"stream_options":{"x":1},"messages":[]})";
  EXPECT_EQ(RewriteChatRequest(body, "b", true),
            R"({"model":"b","stream":true,"stream_options":{"x":1,"include_usage":true},)"
            R"("messages":[]})");
}

TEST(RewriteChatRequestTest, StreamingSetsIncludeUsageInEmptyOptions) {
  std::string body = R"({"model":"a","stream":true,"stream_options":{ },"messages":[]})";
  EXPECT_EQ(RewriteChatRequest(body, "b", true),
            R"({"model":"b","stream":true,"stream_options":{"include_usage":true },)"
            R"("messages":[]})");
}

TEST(RewriteChatRequestTest, StreamingFlipsIncludeUsageFalseToTrue) {
  std::string body =
      R"({"model":"a","stream":true,"stream_options":{ "include_usage" : false },"messages":[]})";
  EXPECT_EQ(
      RewriteChatRequest(body, "b", true),
      R"({"model":"b","stream":true,"stream_options":{ "include_usage" : true },"messages":[]})");
}

TEST(RewriteChatRequestTest, StreamingKeepsIncludeUsageTrue) {
  std::string body =
      R"({"model":"a","stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  EXPECT_EQ(RewriteChatRequest(body, "b", true),
            R"({"model":"b","stream":true,"stream_options":{"include_usage":true},)"
            R"("messages":[]})");
}

TEST(RewriteChatRequestTest, StreamingReplacesNonObjectStreamOptions) {
  for (std::string_view value : {"null", "true", "\"yes\"", "[1]", "3"}) {
    SCOPED_TRACE(value);
    std::string body =
        R"({"model":"a","stream":true,"stream_options":)" + std::string(value) + R"(,"n":1})";
    EXPECT_EQ(RewriteChatRequest(body, "b", true),
              R"({"model":"b","stream":true,"stream_options":{"include_usage":true},"n":1})");
  }
}

TEST(RewriteChatRequestTest, StreamingIgnoresNestedStreamOptions) {
  std::string body =
      R"({"model":"a","metadata":{"stream_options":{"include_usage":false}},"messages":[]})";
  EXPECT_EQ(RewriteChatRequest(body, "b", true),
            R"({"model":"b","metadata":{"stream_options":{"include_usage":false}},)"
            R"("messages":[],"stream_options":{"include_usage":true}})");
}

TEST(RewriteChatRequestTest, OutputParsesAndInspects) {
  std::string body =
      R"({"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true,)"
      R"("stream_options":{"include_usage":false}})";
  std::string out = RewriteChatRequest(body, "upstream/model", true);
  auto info = InspectChatRequest(out);
  ASSERT_TRUE(info.ok()) << out;
  EXPECT_EQ(info->model, "upstream/model");
  EXPECT_TRUE(info->stream);
  EXPECT_TRUE(info->include_usage);
}

// --- Stream chunks -----------------------------------------------------------------------------

TEST(ChunkTest, RealUsageOnlyChunk) {
  std::vector<std::string> chunks = FixtureChunks("text_weather_sf.sse");
  ASSERT_EQ(chunks.size(), 33u);
  const std::string& last = chunks.back();
  EXPECT_TRUE(ChunkHasUsage(last));
  EXPECT_TRUE(IsUsageOnlyChunk(last));
  EXPECT_FALSE(IsErrorChunk(last));
  Usage u = ParseUsage(last);
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.prompt_tokens, 14);
  EXPECT_EQ(u.completion_tokens, 30);
  EXPECT_EQ(u.total_tokens, 44);
  EXPECT_EQ(u.cached_tokens, 0);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    SCOPED_TRACE(chunks[i]);
    EXPECT_FALSE(ChunkHasUsage(chunks[i]));
    EXPECT_FALSE(IsUsageOnlyChunk(chunks[i]));
    EXPECT_FALSE(ParseUsage(chunks[i]).present);
  }
}

TEST(ChunkTest, RealToolCallStreamUsage) {
  std::vector<std::string> chunks = FixtureChunks("parallel_tools_weather_stock.sse");
  ASSERT_EQ(chunks.size(), 25u);
  EXPECT_TRUE(IsUsageOnlyChunk(chunks.back()));
  Usage u = ParseUsage(chunks.back());
  EXPECT_EQ(u.prompt_tokens, 149);
  EXPECT_EQ(u.completion_tokens, 60);
  EXPECT_EQ(u.total_tokens, 209);
  int with_usage = 0;
  for (const auto& c : chunks) {
    with_usage += ChunkHasUsage(c) ? 1 : 0;
  }
  EXPECT_EQ(with_usage, 1);
}

TEST(ChunkTest, DeepSeekUsageNullAndCachedTokens) {
  std::vector<std::string> chunks = FixtureChunks("deepseek_text_cached_512.sse");
  ASSERT_EQ(chunks.size(), 29u);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    SCOPED_TRACE(chunks[i]);
    ASSERT_NE(chunks[i].find("\"usage\":null"), std::string::npos);
    EXPECT_FALSE(ChunkHasUsage(chunks[i]));
    EXPECT_FALSE(IsUsageOnlyChunk(chunks[i]));
    EXPECT_FALSE(ParseUsage(chunks[i]).present);
  }
  // DeepSeek sends usage on the finishing chunk, which still has a choice: not usage-only.
  const std::string& last = chunks.back();
  EXPECT_TRUE(ChunkHasUsage(last));
  EXPECT_FALSE(IsUsageOnlyChunk(last));
  Usage u = ParseUsage(last);
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.prompt_tokens, 598);
  EXPECT_EQ(u.completion_tokens, 27);
  EXPECT_EQ(u.total_tokens, 625);
  EXPECT_EQ(u.cached_tokens, 512);
}

TEST(ChunkTest, SyntheticShapes) {
  EXPECT_TRUE(ChunkHasUsage(R"({"usage" : {"prompt_tokens":1}})"));
  EXPECT_TRUE(ChunkHasUsage("{\"usage\":\n{}}"));
  EXPECT_FALSE(ChunkHasUsage(R"({"usage":null})"));
  EXPECT_FALSE(ChunkHasUsage(R"({"choices":[{"delta":{"content":"\"usage\":{"}}]})"));
  EXPECT_FALSE(ChunkHasUsage(R"({"choices":[]})"));
  EXPECT_FALSE(ChunkHasUsage(""));
  EXPECT_FALSE(ChunkHasUsage(R"({"usage")"));

  EXPECT_TRUE(IsUsageOnlyChunk(R"({"choices":[],"usage":{"total_tokens":3}})"));
  EXPECT_TRUE(IsUsageOnlyChunk(R"({"choices":[ ],"usage":{"total_tokens":3}})"));
  EXPECT_TRUE(IsUsageOnlyChunk(R"({"usage":{"total_tokens":3}})"));
  EXPECT_FALSE(IsUsageOnlyChunk(R"({"choices":[],"usage":null})"));
  EXPECT_FALSE(IsUsageOnlyChunk(R"({"choices":[{"index":0}],"usage":{"total_tokens":3}})"));
  EXPECT_FALSE(IsUsageOnlyChunk(R"({"choices":null,"usage":{"total_tokens":3}})"));
}

TEST(ChunkTest, AnyJsonWhitespaceAfterTheUsageColon) {
  EXPECT_TRUE(ChunkHasUsage("{\"choices\":[],\"usage\":\t{\"total_tokens\":1}}"));
  EXPECT_TRUE(ChunkHasUsage("{\"choices\":[],\"usage\":\r\n{\"total_tokens\":1}}"));
  EXPECT_TRUE(IsUsageOnlyChunk("{\"choices\":[],\"usage\":\t{\"total_tokens\":1}}"));
}

TEST(ChunkTest, ErrorChunk) {
  EXPECT_TRUE(IsErrorChunk(R"({"error":{"message":"overloaded","type":"server_error"}})"));
  EXPECT_TRUE(IsErrorChunk(R"({"id":"x", "error" : "boom"})"));
  EXPECT_FALSE(IsErrorChunk(R"({"choices":[{"delta":{"content":"an \"error\" here"}}]})"));
  EXPECT_FALSE(IsErrorChunk(R"({"choices":[{"error":{"message":"nested"}}]})"));
  EXPECT_FALSE(IsErrorChunk(R"({"choices":[]})"));
}

// --- ParseUsage --------------------------------------------------------------------------------

TEST(ParseUsageTest, FullResponseWithCachedTokens) {
  Usage u = ParseUsage(
      R"({"id":"x","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,)"
      R"("total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},)"
      R"("completion_tokens_details":{"reasoning_tokens":0}}})");
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.prompt_tokens, 2006);
  EXPECT_EQ(u.completion_tokens, 300);
  EXPECT_EQ(u.total_tokens, 2306);
  EXPECT_EQ(u.cached_tokens, 1920);
}

TEST(ParseUsageTest, MissingTotalIsTheSum) {
  Usage u = ParseUsage(R"({"usage":{"prompt_tokens":5,"completion_tokens":6}})");
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.total_tokens, 11);
  EXPECT_EQ(u.cached_tokens, 0);
}

TEST(ParseUsageTest, EmptyUsageObjectIsPresentWithZeros) {
  Usage u = ParseUsage(R"({"usage":{}})");
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.prompt_tokens, 0);
  EXPECT_EQ(u.completion_tokens, 0);
  EXPECT_EQ(u.total_tokens, 0);
}

TEST(ParseUsageTest, Absent) {
  EXPECT_FALSE(ParseUsage(R"({"usage":null})").present);
  EXPECT_FALSE(ParseUsage(R"({"choices":[]})").present);
  EXPECT_FALSE(ParseUsage(R"({"usage":[1]})").present);
  EXPECT_FALSE(ParseUsage("not json").present);
  EXPECT_FALSE(ParseUsage(R"([{"usage":{"prompt_tokens":1}}])").present);
  EXPECT_FALSE(ParseUsage(R"({"choices":[{"usage":{"prompt_tokens":1}}]})").present);
}

TEST(ParseUsageTest, NullCachedTokens) {
  Usage u = ParseUsage(R"({"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,)"
                       R"("prompt_tokens_details":{"cached_tokens":null}}})");
  EXPECT_TRUE(u.present);
  EXPECT_EQ(u.cached_tokens, 0);
  EXPECT_EQ(u.total_tokens, 3);
}

// --- Errors ------------------------------------------------------------------------------------

TEST(RenderErrorTest, ShapeWithCodeAndParam) {
  Error e(ErrorKind::kNotFound, "The model `x` does not exist", "model_not_found", "model");
  std::string body = RenderError(e);
  json::value v = json::parse(body);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.as_object().size(), 1u);
  const json::object& err = v.as_object().at("error").as_object();
  EXPECT_EQ(err.size(), 4u);
  EXPECT_EQ(err.at("message").as_string(), "The model `x` does not exist");
  EXPECT_EQ(err.at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(err.at("param").as_string(), "model");
  EXPECT_EQ(err.at("code").as_string(), "model_not_found");
  EXPECT_EQ(body,
            R"({"error":{"message":"The model `x` does not exist","type":"invalid_request_error",)"
            R"("param":"model","code":"model_not_found"}})");
}

TEST(RenderErrorTest, EmptyCodeAndParamAreNull) {
  json::value v = json::parse(RenderError(Error(ErrorKind::kInternal, "oops")));
  const json::object& err = v.as_object().at("error").as_object();
  EXPECT_EQ(err.at("message").as_string(), "oops");
  EXPECT_EQ(err.at("type").as_string(), "server_error");
  EXPECT_TRUE(err.at("param").is_null());
  EXPECT_TRUE(err.at("code").is_null());
}

TEST(RenderErrorTest, MessageIsEscaped) {
  std::string message = "bad \"model\"\n\\ \x01 é";
  json::value v = json::parse(RenderError(Error(ErrorKind::kBadRequest, message, "c\"", "p\\")));
  const json::object& err = v.as_object().at("error").as_object();
  EXPECT_EQ(err.at("message").as_string(), message);
  EXPECT_EQ(err.at("code").as_string(), "c\"");
  EXPECT_EQ(err.at("param").as_string(), "p\\");
}

TEST(ErrorStatusTest, PerKind) {
  struct Case {
    ErrorKind kind;
    int status;
    const char* type;
  };
  const Case cases[] = {
      {ErrorKind::kBadRequest, 400, "invalid_request_error"},
      {ErrorKind::kUnauthorized, 401, "invalid_request_error"},
      {ErrorKind::kForbidden, 403, "permission_error"},
      {ErrorKind::kNotFound, 404, "invalid_request_error"},
      {ErrorKind::kPayloadTooLarge, 413, "invalid_request_error"},
      {ErrorKind::kRateLimited, 429, "rate_limit_error"},
      {ErrorKind::kUpstreamError, 502, "upstream_error"},
      {ErrorKind::kUpstreamTimeout, 504, "timeout_error"},
      {ErrorKind::kUnavailable, 503, "server_error"},
      {ErrorKind::kInternal, 500, "server_error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(ErrorKindName(c.kind));
    Error e(c.kind, "m");
    EXPECT_EQ(ErrorStatus(e), c.status);
    EXPECT_STREQ(ErrorType(c.kind), c.type);
    json::value v = json::parse(RenderError(e));
    EXPECT_EQ(v.as_object().at("error").as_object().at("type").as_string(), c.type);
  }
}

TEST(UpstreamErrorMessageTest, OpenAiShape) {
  EXPECT_EQ(UpstreamErrorMessage(
                R"({"error":{"message":"Rate limit reached for gpt-4o","type":"requests",)"
                R"("param":null,"code":"rate_limit_exceeded"}})"),
            "Rate limit reached for gpt-4o");
}

TEST(UpstreamErrorMessageTest, StringError) {
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":"model not loaded"})"), "model not loaded");
}

TEST(UpstreamErrorMessageTest, NothingUsable) {
  EXPECT_EQ(UpstreamErrorMessage(""), "");
  EXPECT_EQ(UpstreamErrorMessage("<html>502 Bad Gateway</html>"), "");
  EXPECT_EQ(UpstreamErrorMessage(R"({"message":"top-level only"})"), "");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"code":5}})"), "");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"message":42}})"), "");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":null})"), "");
  EXPECT_EQ(UpstreamErrorMessage(R"([{"error":{"message":"array"}}])"), "");
}

TEST(UpstreamErrorMessageTest, EscapesAreDecoded) {
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"message":"bad \"x\"\nline \u00e9"}})"),
            "bad \"x\"\nline \xc3\xa9");
}

}  // namespace
}  // namespace baton::openai

namespace baton::openai {
namespace {

TEST(InspectChatRequestScanTest, NestedKeysDoNotCount) {
  // "model", "stream" and "include_usage" inside messages or other members are not the request's.
  auto info = InspectChatRequest(
      R"({"messages":[{"role":"user","content":"x","model":"inner","stream":true,)"
      R"("stream_options":{"include_usage":true}}],"metadata":{"model":"m2","max_tokens":7},)"
      R"("model":"outer"})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->model, "outer");
  EXPECT_FALSE(info->stream);
  EXPECT_FALSE(info->include_usage);
  EXPECT_FALSE(info->max_tokens.has_value());
}

TEST(InspectChatRequestScanTest, DuplicateKeysLastWins) {
  auto info = InspectChatRequest(
      R"({"model":"first","messages":[],"stream":true,"model":"second","stream":null})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->model, "second");
  EXPECT_FALSE(info->stream);
  auto bad = InspectChatRequest(R"({"model":"ok","messages":[],"model":5})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "model");
}

TEST(InspectChatRequestScanTest, IncludeUsageOnlyDirectlyInStreamOptions) {
  auto deep = InspectChatRequest(
      R"({"model":"m","messages":[],"stream_options":{"x":{"include_usage":true}}})");
  ASSERT_TRUE(deep.ok());
  EXPECT_FALSE(deep->include_usage);
  auto direct = InspectChatRequest(
      R"({"model":"m","messages":[],"stream_options":{"x":{"y":1},"include_usage":true}})");
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(direct->include_usage);
}

TEST(InspectChatRequestScanTest, TrailingDataIsInvalidJsonButWhitespaceIsFine) {
  EXPECT_FALSE(InspectChatRequest(R"({"model":"m","messages":[]} x)").ok());
  EXPECT_FALSE(InspectChatRequest(R"({"model":"m","messages":[]}{})").ok());
  EXPECT_TRUE(InspectChatRequest("{\"model\":\"m\",\"messages\":[]} \r\n\t").ok());
}

}  // namespace
}  // namespace baton::openai

namespace baton::openai {
namespace {

TEST(OpenAiChatFuzzRegressions, HugeNumbersSaturateInsteadOfOverflowing) {
  auto info = InspectChatRequest(R"({"model":"m","messages":[],"max_tokens":1e300})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->max_tokens, int64_t{1} << 53);  // JSON's safe-integer range
  auto neg = InspectChatRequest(R"({"model":"m","messages":[],"max_tokens":-1e300})");
  ASSERT_TRUE(neg.ok());
  EXPECT_EQ(neg->max_tokens, -(int64_t{1} << 53));
}

TEST(OpenAiChatFuzzRegressions, EscapedModelKeyIsRewrittenToo) {
  std::string_view body = R"({"model":"a","messages":[],"mod\u0065l":"b"})";
  auto info = InspectChatRequest(body);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->model, "b");
  std::string out = RewriteChatRequest(body, "upstream", false);
  auto v = boost::json::parse(out);
  EXPECT_EQ(v.at("model"), "upstream") << out;
}

}  // namespace
}  // namespace baton::openai
