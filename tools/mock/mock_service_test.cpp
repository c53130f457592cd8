// MockService end to end without sockets: a recording ResponseWriter, requests run on an
// io_context. Checks routing, each dialect's auth and header checks, hooks and content types.
#include "mock/mock_service.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mock/dialect_mock.hpp"
#include "mock/sigv4.hpp"

namespace baton::mock {
namespace {

namespace json = boost::json;

class RecordingWriter : public ResponseWriter {
 public:
  Awaitable<bool> Send(int status, HttpHeaders headers, std::string body) override {
    status_ = status;
    headers_ = std::move(headers);
    body_ = std::move(body);
    started_ = true;
    ended_ = true;
    co_return true;
  }
  Awaitable<bool> Begin(int status, HttpHeaders headers) override {
    status_ = status;
    headers_ = std::move(headers);
    started_ = true;
    co_return true;
  }
  Awaitable<bool> Write(std::string_view data) override {
    body_ += data;
    co_return true;
  }
  Awaitable<bool> End() override {
    ended_ = true;
    co_return true;
  }
  Awaitable<bool> WriteAndEnd(std::string_view data) override {
    body_ += data;
    ended_ = true;
    co_return true;
  }
  void Abort() override { aborted_ = true; }
  bool started() const override { return started_; }
  bool client_gone() const override { return gone_; }

  int status_ = 0;
  HttpHeaders headers_;
  std::string body_;
  bool started_ = false;
  bool ended_ = false;
  bool aborted_ = false;
  bool gone_ = false;  // the client went away (ends hangs at once)
};

struct Result {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  bool aborted = false;
  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
  json::value Json() const {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    EXPECT_FALSE(ec) << body;
    return v;
  }
};

Awaitable<void> RunOne(MockService& service, HttpRequest& request, RecordingWriter& writer) {
  co_await service.Handle(request, writer);
}

Result Call(MockService& service, std::string method, std::string target, std::string body = {},
            HttpHeaders headers = {}, bool client_gone = false) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  std::string_view t = request.target;
  std::size_t q = t.find('?');
  request.path = t.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
  request.headers = std::move(headers);
  request.body = std::move(body);
  RecordingWriter writer;
  writer.gone_ = client_gone;
  boost::asio::io_context ioc;
  boost::asio::co_spawn(ioc, RunOne(service, request, writer), boost::asio::detached);
  ioc.run();
  return Result{writer.status_, writer.headers_, writer.body_, writer.aborted_};
}

MockOptions Options(int chunks = 3) {
  MockOptions o;
  o.chunks = chunks;
  return o;
}

const HttpHeaders kAnthropicHeaders = {{"anthropic-version", "2023-06-01"}};

TEST(MockService, AnthropicRoutesAndVersionHeader) {
  MockService service(Options());
  Result r =
      Call(service, "POST", "/v1/messages",
           R"({"model":"claude-x","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})",
           kAnthropicHeaders);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("request-id"), "req_mock1");
  EXPECT_EQ(r.Json().at("type"), "message");

  Result missing = Call(service, "POST", "/v1/messages",
                        R"({"model":"claude-x","max_tokens":10,"messages":[]})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.Json().at("error").at("message"), "anthropic-version: header is required");
  EXPECT_EQ(missing.Json().at("type"), "error");

  Result stream = Call(service, "POST", "/v1/messages",
                       R"({"model":"claude-x","max_tokens":10,"stream":true,"messages":[]})",
                       kAnthropicHeaders);
  EXPECT_EQ(stream.Header("content-type"), "text/event-stream");
  EXPECT_TRUE(stream.body.starts_with("event: message_start\n"));
  EXPECT_TRUE(stream.body.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));

  Result count =
      Call(service, "POST", "/v1/messages/count_tokens",
           R"({"model":"c","messages":[{"role":"user","content":"a b c d"}]})", kAnthropicHeaders);
  EXPECT_EQ(count.body, R"({"input_tokens":4})");

  Result models = Call(service, "GET", "/v1/models", {}, kAnthropicHeaders);
  EXPECT_TRUE(models.Json().as_object().contains("has_more"));
  Result openai_models = Call(service, "GET", "/v1/models");
  EXPECT_EQ(openai_models.Json().at("object"), "list");

  Result overloaded =
      Call(service, "POST", "/v1/messages",
           R"({"model":"mock-fail-529","max_tokens":10,"messages":[]})", kAnthropicHeaders);
  EXPECT_EQ(overloaded.status, 529);
  EXPECT_EQ(overloaded.Json().at("error").at("type"), "overloaded_error");
  EXPECT_EQ(std::string_view(overloaded.Json().at("request_id").as_string()),
            overloaded.Header("request-id"));
}

TEST(MockService, AnthropicAuth) {
  MockOptions o = Options();
  o.require_key = "sk-ant";
  MockService service(o);
  const std::string body = R"({"model":"c","max_tokens":10,"messages":[]})";
  Result none = Call(service, "POST", "/v1/messages", body, kAnthropicHeaders);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Json().at("error").at("type"), "authentication_error");
  HttpHeaders x = kAnthropicHeaders;
  x.push_back({"x-api-key", "sk-ant"});
  EXPECT_EQ(Call(service, "POST", "/v1/messages", body, x).status, 200);
  HttpHeaders bearer = kAnthropicHeaders;
  bearer.push_back({"Authorization", "Bearer sk-ant"});
  EXPECT_EQ(Call(service, "POST", "/v1/messages", body, bearer).status, 200);
}

constexpr std::string_view kGeminiBody = R"({"contents":[{"parts":[{"text":"hello there"}]}]})";

TEST(MockService, GeminiRoutesAndAuth) {
  MockOptions o = Options();
  o.require_key = "gk";
  MockService service(o);
  Result r = Call(service, "POST", "/v1beta/models/gemini-x:generateContent?key=gk",
                  std::string(kGeminiBody));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("modelVersion"), "gemini-x");
  Result sse = Call(service, "POST", "/v1beta/models/gemini-x:streamGenerateContent?alt=sse",
                    std::string(kGeminiBody), {{"x-goog-api-key", "gk"}});
  EXPECT_EQ(sse.Header("content-type"), "text/event-stream");
  EXPECT_TRUE(sse.body.starts_with("data: {\"candidates\""));
  EXPECT_TRUE(sse.body.ends_with("\r\n\r\n"));
  Result arr = Call(service, "POST", "/v1beta/models/gemini-x:streamGenerateContent",
                    std::string(kGeminiBody), {{"x-goog-api-key", "gk"}});
  EXPECT_TRUE(arr.Json().is_array());
  Result bad = Call(service, "POST", "/v1beta/models/gemini-x:generateContent?key=nope",
                    std::string(kGeminiBody));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json().at("error").at("status"), "INVALID_ARGUMENT");
  Result missing =
      Call(service, "POST", "/v1beta/models/gemini-x:generateContent", std::string(kGeminiBody));
  EXPECT_EQ(missing.status, 403);
  Result count =
      Call(service, "POST", "/v1beta/models/gemini-x:countTokens?key=gk", std::string(kGeminiBody));
  EXPECT_EQ(count.Json().at("totalTokens").as_int64(), 2);
  Result list = Call(service, "GET", "/v1beta/models?key=gk");
  EXPECT_EQ(list.Json().at("models").at(0).at("name"), "models/gemini-mock-flash");
  Result fail = Call(service, "POST", "/v1beta/models/mock-fail-429:generateContent?key=gk",
                     std::string(kGeminiBody));
  EXPECT_EQ(fail.status, 429);
  EXPECT_EQ(fail.Json().at("error").at("status"), "RESOURCE_EXHAUSTED");
  Result mid =
      Call(service, "POST", "/v1beta/models/mock-error-mid:streamGenerateContent?alt=sse&key=gk",
           std::string(kGeminiBody));
  EXPECT_EQ(mid.status, 200);
  EXPECT_NE(mid.body.find("\"UNAVAILABLE\""), std::string::npos);
}

TEST(MockService, OllamaNative) {
  MockService service(Options());
  Result s = Call(service, "POST", "/api/chat",
                  R"({"model":"llama3","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(s.Header("content-type"), "application/x-ndjson");
  EXPECT_EQ(std::count(s.body.begin(), s.body.end(), '\n'), 4);
  Result one =
      Call(service, "POST", "/api/chat", R"({"model":"llama3","stream":false,"messages":[]})");
  EXPECT_TRUE(one.Json().at("done").as_bool());
  Result nf = Call(service, "POST", "/api/chat", R"({"model":"mock-fail-404","messages":[]})");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, R"({"error":"model 'mock-fail-404' not found"})");
  Result tags = Call(service, "GET", "/api/tags");
  EXPECT_TRUE(tags.Json().at("models").is_array());
  Result mid = Call(service, "POST", "/api/chat", R"({"model":"mock-error-mid","messages":[]})");
  EXPECT_TRUE(mid.body.ends_with("(baton-mock)\"}\n"));
  Result drop = Call(service, "POST", "/api/chat", R"({"model":"mock-drop-1","messages":[]})");
  EXPECT_TRUE(drop.aborted);
  EXPECT_EQ(std::count(drop.body.begin(), drop.body.end(), '\n'), 1);
}

TEST(MockService, AzurePathsApiVersionAndKey) {
  MockOptions o = Options();
  o.require_key = "az";
  MockService service(o);
  const std::string body = R"({"messages":[{"role":"user","content":"hi"}]})";
  Result ok =
      Call(service, "POST", "/openai/deployments/my-dep/chat/completions?api-version=2024-10-21",
           body, {{"api-key", "az"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Json().at("model"), "my-dep");
  EXPECT_TRUE(ok.Json().as_object().contains("prompt_filter_results"));
  Result no_version = Call(service, "POST", "/openai/deployments/my-dep/chat/completions", body,
                           {{"api-key", "az"}});
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(no_version.Json().at("error").at("code"), "MissingApiVersionParameter");
  Result bad_key =
      Call(service, "POST", "/openai/deployments/my-dep/chat/completions?api-version=1", body,
           {{"api-key", "wrong"}});
  EXPECT_EQ(bad_key.status, 401);
  EXPECT_EQ(bad_key.Json().at("error").at("code"), "401");
  Result stream = Call(service, "POST", "/openai/deployments/my-dep/chat/completions?api-version=1",
                       R"({"stream":true,"messages":[]})", {{"api-key", "az"}});
  EXPECT_TRUE(stream.body.starts_with("data: {\"choices\":[],\"created\":0,\"id\":\"\""));
  EXPECT_TRUE(stream.body.ends_with("data: [DONE]\n\n"));
  Result emb = Call(service, "POST", "/openai/deployments/emb/embeddings?api-version=1",
                    R"({"input":"hello"})", {{"api-key", "az"}});
  EXPECT_EQ(emb.Json().at("model"), "emb");
}

TEST(MockService, ResponsesEndpoint) {
  MockService service(Options());
  Result r = Call(service, "POST", "/v1/responses", R"({"model":"gpt-x","input":"hi"})");
  EXPECT_EQ(r.Json().at("object"), "response");
  EXPECT_EQ(r.Header("x-request-id"), "req_mock1");
  Result s =
      Call(service, "POST", "/v1/responses", R"({"model":"gpt-x","input":"hi","stream":true})");
  EXPECT_TRUE(s.body.starts_with("event: response.created\n"));
  EXPECT_NE(s.body.find("event: response.completed\n"), std::string::npos);
  Result f = Call(service, "POST", "/v1/responses", R"({"model":"mock-fail-429","input":"hi"})");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.Json().at("error").at("code"), "rate_limit_exceeded");
}

std::string SignedAuthorization(const HttpRequest& request, std::string_view access_key,
                                std::string_view secret, std::string_view amz_date) {
  SigV4Authorization auth;
  auth.access_key = std::string(access_key);
  auth.date = std::string(amz_date.substr(0, 8));
  auth.region = "us-east-1";
  auth.service = "bedrock";
  auth.signed_headers = "host;x-amz-date";
  SigV4Request sr{request.method, request.path, request.query, &request.headers, request.body};
  std::string sig = SigV4Signature(sr, auth, amz_date, secret);
  return "AWS4-HMAC-SHA256 Credential=" + auth.access_key + "/" + auth.date +
         "/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig;
}

TEST(MockService, BedrockAuthAndStream) {
  MockOptions o = Options();
  o.aws_secret = "secret";
  MockService service(o);
  const std::string path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream";
  const std::string body = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})";
  Result unsigned_ = Call(service, "POST", path, body);
  EXPECT_EQ(unsigned_.status, 403);
  EXPECT_TRUE(unsigned_.Header("x-amzn-ErrorType").starts_with("MissingAuthenticationToken"));

  HttpRequest sign;
  sign.method = "POST";
  sign.target = path;
  sign.path = sign.target;
  sign.body = body;
  sign.headers = {{"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
                  {"X-Amz-Date", "20250101T000000Z"}};
  std::string authz = SignedAuthorization(sign, "AKIDMOCK", "secret", "20250101T000000Z");
  HttpHeaders headers = sign.headers;
  headers.push_back({"Authorization", authz});
  Result ok = Call(service, "POST", path, body, headers);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Header("content-type"), "application/vnd.amazon.eventstream");
  std::size_t used = 0;
  std::optional<EventStreamMessage> first = DecodeEventStreamFrame(ok.body, &used);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->headers[0].second, "messageStart");

  HttpHeaders wrong = sign.headers;
  wrong.push_back(
      {"Authorization", SignedAuthorization(sign, "AKIDMOCK", "other", "20250101T000000Z")});
  Result bad = Call(service, "POST", path, body, wrong);
  EXPECT_EQ(bad.status, 403);
  EXPECT_TRUE(bad.Header("x-amzn-ErrorType").starts_with("InvalidSignatureException"));
  EXPECT_TRUE(bad.Json().as_object().contains("message"));

  // Tampered body: the payload hash no longer matches.
  Result tampered = Call(service, "POST", path, body + " ", headers);
  EXPECT_EQ(tampered.status, 403);

  // The model id in the path is decoded; hooks apply to it.
  HttpRequest hook;
  hook.method = "POST";
  hook.target = "/model/mock-fail-429/converse";
  hook.path = hook.target;
  hook.body = body;
  hook.headers = sign.headers;
  HttpHeaders hh = hook.headers;
  hh.push_back({"Authorization", SignedAuthorization(hook, "AK", "secret", "20250101T000000Z")});
  Result throttled = Call(service, "POST", hook.target, body, hh);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_TRUE(throttled.Header("x-amzn-ErrorType").starts_with("ThrottlingException"));
}

TEST(MockService, BedrockPresenceCheckWithoutSecret) {
  MockService service(Options());
  const std::string body = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})";
  Result ok = Call(service, "POST", "/model/m/converse", body,
                   {{"Authorization",
                     "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/bedrock/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=abc"},
                    {"X-Amz-Date", "20250101T000000Z"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json().at("stopReason"), "end_turn");
  Result no_date = Call(service, "POST", "/model/m/converse", body,
                        {{"Authorization",
                          "AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1/bedrock/aws4_request, "
                          "SignedHeaders=host, Signature=abc"}});
  EXPECT_EQ(no_date.status, 400);
}

TEST(MockService, OpenAiChatMidStreamErrorAndUnknownPaths) {
  MockService service(Options());
  Result mid = Call(service, "POST", "/v1/chat/completions",
                    R"({"model":"mock-error-mid","stream":true,"messages":[]})");
  EXPECT_NE(mid.body.find("data: {\"error\":"), std::string::npos);
  EXPECT_EQ(mid.body.find("[DONE]"), std::string::npos);
  Result nf = Call(service, "GET", "/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.Json().at("error").at("message"), "Invalid URL (GET /nope)");
}

// ---- Injected faults: flags and /mock/fault ----

constexpr std::string_view kChatBody =
    R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
constexpr std::string_view kChatStreamBody =
    R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";

Result PostFault(MockService& service, std::string body) {
  return Call(service, "POST", "/mock/fault", std::move(body));
}

// One generation request of every dialect plus embeddings: {name, method, target, body, headers}.
struct Endpoint {
  std::string name;
  std::string target;
  std::string body;
  HttpHeaders headers;
};

std::vector<Endpoint> GenerationEndpoints() {
  const std::string msgs = R"("messages":[{"role":"user","content":"hi"}])";
  return {
      {"chat", "/v1/chat/completions", std::string(kChatBody), {}},
      {"azure",
       "/openai/deployments/d/chat/completions?api-version=2024-10-21",
       "{" + msgs + "}",
       {}},
      {"embeddings", "/v1/embeddings", R"({"model":"e","input":"hi"})", {}},
      {"messages", "/v1/messages", R"({"model":"c","max_tokens":5,)" + msgs + "}",
       kAnthropicHeaders},
      {"gemini",
       "/v1beta/models/g:generateContent",
       R"({"contents":[{"parts":[{"text":"hi"}]}]})",
       {}},
      {"ollama", "/api/chat", R"({"model":"o","stream":false,)" + msgs + "}", {}},
      {"converse",
       "/model/b/converse",
       R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})",
       {{"Authorization", "Bearer bedrock-key"}}},
      {"responses", "/v1/responses", R"({"model":"r","input":"hi"})", {}},
  };
}

TEST(MockServiceFault, RetryAfterFlagOnInjectedErrors) {
  MockOptions o = Options();
  o.fail_status = 429;
  o.retry_after_s = 3;
  MockService service(o);
  Result chat = Call(service, "POST", "/v1/chat/completions", std::string(kChatBody));
  EXPECT_EQ(chat.status, 429);
  EXPECT_EQ(chat.Header("retry-after"), "3");
  EXPECT_EQ(chat.Json().at("error").at("code"), "rate_limit_exceeded");
  EXPECT_EQ(chat.Header("x-request-id"), "req_mock1");
  // One header, not the default "1" next to ours.
  int count = 0;
  for (const HttpHeader& h : chat.headers) {
    count += EqualsIgnoreCase(h.name, "retry-after") ? 1 : 0;
  }
  EXPECT_EQ(count, 1);
  Result anthropic = Call(service, "POST", "/v1/messages",
                          R"({"model":"c","max_tokens":5,"messages":[]})", kAnthropicHeaders);
  EXPECT_EQ(anthropic.status, 429);
  EXPECT_EQ(anthropic.Header("retry-after"), "3");
  EXPECT_EQ(anthropic.Json().at("error").at("type"), "rate_limit_error");
  // The per-request hook keeps its own retry-after: 1.
  Result hook =
      Call(service, "POST", "/v1/chat/completions", R"({"model":"mock-fail-429","messages":[]})");
  EXPECT_EQ(hook.Header("retry-after"), "1");

  MockOptions o503 = Options();
  o503.fail_status = 503;
  o503.retry_after_s = 2;
  o503.retry_after_ms = 1500;
  MockService unavailable(o503);
  Result gemini = Call(unavailable, "POST", "/v1beta/models/g:generateContent",
                       R"({"contents":[{"parts":[{"text":"hi"}]}]})");
  EXPECT_EQ(gemini.status, 503);
  EXPECT_EQ(gemini.Header("retry-after"), "2");
  EXPECT_EQ(gemini.Header("retry-after-ms"), "1500");
  EXPECT_EQ(gemini.Json().at("error").at("status"), "UNAVAILABLE");

  // Without --retry-after a 503 has none, a 429 the usual 1.
  MockOptions plain = Options();
  plain.fail_status = 503;
  MockService no_retry(plain);
  EXPECT_EQ(
      Call(no_retry, "POST", "/v1/chat/completions", std::string(kChatBody)).Header("retry-after"),
      "");
}

TEST(MockServiceFault, ResetFlagCutsGenerationRequestsOnly) {
  MockOptions o = Options();
  o.reset = true;
  MockService service(o);
  for (const Endpoint& e : GenerationEndpoints()) {
    Result r = Call(service, "POST", e.target, e.body, e.headers);
    EXPECT_TRUE(r.aborted) << e.name;
    EXPECT_EQ(r.status, 0) << e.name;  // nothing was sent
    EXPECT_EQ(r.body, "") << e.name;
  }
  Result models = Call(service, "GET", "/v1/models");
  EXPECT_EQ(models.status, 200);
  EXPECT_FALSE(models.aborted);
  Result stats = Call(service, "GET", "/mock/stats");
  EXPECT_EQ(stats.Json().at("connections_reset"), GenerationEndpoints().size());
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, R"({"reset":true})");
}

TEST(MockServiceFault, RunTimeFaultEveryDialectAndClear) {
  MockService service(Options());
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, "{}");
  Result set = PostFault(service, R"({"status":503})");
  EXPECT_EQ(set.status, 200);
  EXPECT_EQ(set.body, R"({"status":503})");
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, R"({"status":503})");
  for (const Endpoint& e : GenerationEndpoints()) {
    Result r = Call(service, "POST", e.target, e.body, e.headers);
    EXPECT_EQ(r.status, 503) << e.name << ": " << r.body;
  }
  EXPECT_EQ(Call(service, "GET", "/v1/models").status, 200);  // not a generation request

  Result cleared = Call(service, "DELETE", "/mock/fault");
  EXPECT_EQ(cleared.status, 200);
  EXPECT_EQ(cleared.body, "{}");
  for (const Endpoint& e : GenerationEndpoints()) {
    EXPECT_EQ(Call(service, "POST", e.target, e.body, e.headers).status, 200) << e.name;
  }
  PostFault(service, R"({"reset":true})");
  EXPECT_TRUE(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).aborted);
  EXPECT_EQ(PostFault(service, "{}").body, "{}");
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 200);
}

TEST(MockServiceFault, RunTimeFaultReplacesTheFlags) {
  MockOptions o = Options();
  o.fail_status = 500;
  MockService service(o);
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, R"({"status":500})");
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 500);
  PostFault(service, R"({"status":429,"retry_after":1})");
  Result r = Call(service, "POST", "/v1/chat/completions", std::string(kChatBody));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("retry-after"), "1");
  PostFault(service, "");
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 200);
}

TEST(MockServiceFault, CountedFault) {
  MockService service(Options());
  Result set = PostFault(service, R"({"status":500,"count":2})");
  EXPECT_EQ(set.body, R"({"status":500,"count":2})");
  EXPECT_EQ(Call(service, "GET", "/v1/models").status, 200);  // does not use the count
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 500);
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, R"({"status":500,"count":1})");
  EXPECT_EQ(Call(service, "POST", "/api/chat",
                 R"({"model":"o","stream":false,"messages":[{"role":"user","content":"hi"}]})")
                .status,
            500);
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, "{}");
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 200);

  PostFault(service, R"({"reset":true,"count":1})");
  EXPECT_TRUE(Call(service, "POST", "/v1/embeddings", R"({"model":"e","input":"x"})").aborted);
  EXPECT_EQ(Call(service, "POST", "/v1/embeddings", R"({"model":"e","input":"x"})").status, 200);
}

TEST(MockServiceFault, RefusedRequestsDoNotUseTheCount) {
  MockOptions o = Options();
  o.require_key = "sk-test";
  MockService service(o);
  PostFault(service, R"({"status":500,"count":1})");  // /mock/* needs no key
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 401);
  const HttpHeaders auth = {{"Authorization", "Bearer sk-test"}};
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody), auth).status,
            500);
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody), auth).status,
            200);
}

TEST(MockServiceFault, BadFaultBodies) {
  MockService service(Options());
  PostFault(service, R"({"status":500})");
  for (std::string body :
       {"{", "[]", R"({"status":"x"})", R"({"nope":1})", R"({"retry_after":1})"}) {
    Result r = PostFault(service, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.Json().at("error").at("type"), "invalid_request_error") << body;
    EXPECT_TRUE(std::string_view(r.Json().at("error").at("message").as_string())
                    .starts_with("POST /mock/fault: "))
        << r.body;
  }
  // A rejected body leaves the fault as it was.
  EXPECT_EQ(Call(service, "GET", "/mock/fault").body, R"({"status":500})");
  EXPECT_EQ(Call(service, "PUT", "/mock/fault").status, 404);
}

TEST(MockServiceFault, RunTimeDropsDelaysLatencyAndHang) {
  MockService service(Options(4));
  PostFault(service, R"({"drop_after_chunks":1})");
  Result dropped = Call(service, "POST", "/v1/chat/completions", std::string(kChatStreamBody));
  EXPECT_EQ(dropped.status, 200);
  EXPECT_TRUE(dropped.aborted);
  EXPECT_EQ(dropped.body.find("Mock"), std::string::npos) << dropped.body;  // only the role chunk
  EXPECT_NE(dropped.body.find("\"role\":\"assistant\""), std::string::npos);
  EXPECT_TRUE(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).aborted);

  PostFault(service, R"({"drop_after_chunks":3})");
  Result after_content =
      Call(service, "POST", "/v1/chat/completions", std::string(kChatStreamBody));
  EXPECT_TRUE(after_content.aborted);
  EXPECT_NE(after_content.body.find("Mock"), std::string::npos);
  EXPECT_EQ(after_content.body.find("[DONE]"), std::string::npos);

  PostFault(service, R"({"chunk_delay_ms":30})");
  auto start = std::chrono::steady_clock::now();
  Result slow = Call(service, "POST", "/v1/chat/completions", std::string(kChatStreamBody));
  auto slow_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - start)
                     .count();
  EXPECT_FALSE(slow.aborted);
  EXPECT_NE(slow.body.find("[DONE]"), std::string::npos);
  EXPECT_GE(slow_ms, 4 * 30);  // four words

  PostFault(service, R"({"latency_ms":120,"count":1})");
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(Call(service, "POST", "/v1/chat/completions", std::string(kChatBody)).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(120));

  PostFault(service, R"({"hang":true})");
  // The client is gone at once, so the hang ends; nothing was answered.
  Result hung =
      Call(service, "POST", "/v1/messages", R"({"model":"c","max_tokens":5,"messages":[]})",
           kAnthropicHeaders, /*client_gone=*/true);
  EXPECT_TRUE(hung.aborted);
  EXPECT_EQ(hung.status, 0);
  EXPECT_EQ(Call(service, "GET", "/mock/fault").status, 200);  // /mock/* never hangs
}

}  // namespace
}  // namespace baton::mock

namespace baton::mock {
namespace {

// A vector produced by botocore 1.43 (SigV4Auth(creds, "bedrock", "us-east-1").add_auth) for
// POST
// https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse?b=2&a=x%20y
// with body {"messages":[]} and the AWS documentation's example secret.
TEST(MockSigV4, MatchesBotocoreVector) {
  const std::string header =
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261130/us-east-1/bedrock/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=34df1a9748225175211b0e9697eec009414a35885d31660c80bf9c672808d8c4";
  std::optional<SigV4Authorization> auth = ParseSigV4Authorization(header);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->access_key, "AKIDEXAMPLE");
  EXPECT_EQ(auth->date, "20261130");
  EXPECT_EQ(auth->region, "us-east-1");
  EXPECT_EQ(auth->service, "bedrock");
  EXPECT_EQ(auth->signed_headers, "host;x-amz-date");
  HttpHeaders headers = {{"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
                         {"X-Amz-Date", "20261130T125155Z"}};
  SigV4Request request{"POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                       "b=2&a=x%20y", &headers, R"({"messages":[]})"};
  EXPECT_EQ(SigV4Signature(request, *auth, "20261130T125155Z",
                           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            auth->signature);
  EXPECT_NE(SigV4Signature(request, *auth, "20261130T125155Z", "other"), auth->signature);
  EXPECT_FALSE(ParseSigV4Authorization("Bearer x"));
  EXPECT_FALSE(ParseSigV4Authorization("AWS4-HMAC-SHA256 Credential=AK/20250101/us-east-1"));
  EXPECT_EQ(SigV4UriEncode("a b/c:d~", true), "a%20b/c%3Ad~");
  EXPECT_EQ(PercentDecode("v1%3A0%2"), "v1:0%2");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace baton::mock
