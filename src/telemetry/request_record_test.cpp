#include "telemetry/request_record.hpp"

#include <gtest/gtest.h>

#include "telemetry/test_support.hpp"

namespace baton {
namespace {

TEST(RequestRecordTest, JsonLineRoundTrip) {
  RequestRecord r = testing::SampleRecord(7);
  r.error = "upstream_timeout";
  r.stream = true;
  r.ttft_ms = 42;
  r.cached_tokens = 3;
  r.fallbacks = 2;
  r.content = "line1\n\"quoted\" \xc3\xa9 \x01";
  std::string line = ToJsonLine(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_TRUE(line.starts_with(R"({"time_ms":1780000000007,"request_id":"req-7")")) << line;
  EXPECT_NE(line.find(R"("cost_pico":8000000,"cost_usd":0.000008)"), std::string::npos) << line;
  auto back = ParseJsonLine(line);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
  // Defaults survive too, and "content" is left out when empty.
  RequestRecord empty;
  std::string empty_line = ToJsonLine(empty);
  EXPECT_EQ(empty_line.find("content"), std::string::npos);
  EXPECT_EQ(ParseJsonLine(empty_line).value(), empty);
}

TEST(RequestRecordTest, ParseAcceptsPrevAndUnknownMembers) {
  std::string prev;
  auto r = ParseJsonLine(R"({"prev":"abc","request_id":"x","status":503,"new_field":[1]})", &prev);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(prev, "abc");
  EXPECT_EQ(r->request_id, "x");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->ttft_ms, -1);
}

TEST(RequestRecordTest, ParseRejectsBadLines) {
  for (const char* bad :
       {"", "not json", "[1,2]", R"({"status":"200"})", R"({"stream":1})", R"({"request_id":5})"}) {
    auto r = ParseJsonLine(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_log_line");
  }
}

TEST(RequestRecordTest, SpendRecordCarriesTheAccountingFields) {
  RequestRecord r = testing::SampleRecord(3);
  r.status = 429;
  r.cost = 0;
  SpendRecord s = ToSpendRecord(r);
  EXPECT_EQ(s.request_id, "req-3");
  EXPECT_EQ(s.time, r.time_ms);
  EXPECT_EQ(s.key_hash, r.key_hash);
  EXPECT_EQ(s.team_id, "team-1");
  EXPECT_EQ(s.zone, "eu");
  EXPECT_EQ(s.session, "s1");
  EXPECT_EQ(s.model_asked, "gpt-4o");
  EXPECT_EQ(s.deployment, "openai/gpt-4o");
  EXPECT_EQ(s.prompt_tokens, 13);
  EXPECT_EQ(s.completion_tokens, 5);
  EXPECT_EQ(s.latency_ms, 123);
  EXPECT_EQ(s.status, 429);
  EXPECT_EQ(s.cost, 0);
}

TEST(RedactTest, MasksCredentialsAndAddresses) {
  EXPECT_EQ(Redact("my key is sk-proj-abcdefghijklmnop1234 ok"), "my key is sk-[REDACTED] ok");
  EXPECT_EQ(Redact("sk-ant-api03-AAAAAAAAAAAAAAAAAAAA!"), "sk-[REDACTED]!");
  EXPECT_EQ(Redact("Authorization: Bearer eyJhbGciOi.J9xyz_abc-def"),
            "Authorization: Bearer [REDACTED]");
  EXPECT_EQ(Redact("basic dXNlcjpwYXNzd29yZA=="), "basic [REDACTED]");
  EXPECT_EQ(Redact("id AKIAIOSFODNN7EXAMPLE here"), "id [REDACTED] here");
  EXPECT_EQ(Redact("mail bob.smith+x@example.co.uk."), "mail [EMAIL].");
  EXPECT_EQ(Redact("token 0123456789abcdef0123456789abcdef!"), "token [REDACTED]!");
  // Ordinary text stays as it is.
  const std::string plain =
      "Write a haiku about the sea, in 3 lines. Use @mentions and sk-short words; "
      "bearer of news; internationalization-considerations-everywhere.";
  EXPECT_EQ(Redact(plain), plain);
  EXPECT_EQ(Redact(""), "");
  EXPECT_EQ(Redact("caf\xc3\xa9 @ home"), "caf\xc3\xa9 @ home");
}

}  // namespace
}  // namespace baton
