#include "api/signing.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr std::string_view kSecret = "test-signing-secret-0123456789";
constexpr std::string_view kRid = "req_0123abcd";

TEST(HmacSha256HexTest, Rfc4231Vectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1: key = 20 bytes of 0x0b.
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(SignJsonBodyTest, AppendsRequestIdThenSignatureAsLastMembers) {
  SignedBody s = SignJsonBody(kSecret, kRid, R"({"id":"x","n":1})");
  std::string unsigned_body = R"({"id":"x","n":1,"baton_request_id":"req_0123abcd"})";
  std::string sig = HmacSha256Hex(kSecret, unsigned_body);
  EXPECT_EQ(s.header, sig);
  EXPECT_EQ(s.body,
            R"({"id":"x","n":1,"baton_request_id":"req_0123abcd","signature":")" + sig + "\"}");
  VerifyReport r = VerifySignedJson(kSecret, s.body);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.request_id, kRid);
  EXPECT_EQ(r.message, "ok (1 events)");
}

TEST(SignJsonBodyTest, KeepsTrailingNewlineAndHandlesEmptyObject) {
  SignedBody s = SignJsonBody(kSecret, kRid, "{ }\n");
  EXPECT_EQ(s.body.substr(0, 39), R"({ "baton_request_id":"req_0123abcd","si)");
  EXPECT_EQ(s.body.back(), '\n');
  EXPECT_EQ(s.body[s.body.size() - 2], '}');
  EXPECT_TRUE(VerifySignedJson(kSecret, s.body).ok);
}

TEST(SignJsonBodyTest, NonObjectsAreLeftAlone) {
  SignedBody s = SignJsonBody(kSecret, kRid, "[1,2]");
  EXPECT_EQ(s.body, "[1,2]");
  EXPECT_TRUE(s.header.empty());
}

TEST(SignJsonBodyTest, TamperingWrongSecretAndUnsignedAreDetected) {
  SignedBody s = SignJsonBody(kSecret, kRid, R"({"text":"hello"})");
  std::string edited = s.body;
  edited.replace(edited.find("hello"), 5, "hellO");
  EXPECT_FALSE(VerifySignedJson(kSecret, edited).ok);
  EXPECT_FALSE(VerifySignedJson("another-secret-0123456789", s.body).ok);
  VerifyReport r = VerifySignedJson(kSecret, R"({"text":"hello"})");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("not signed"), std::string::npos);
  // The request id is bound too.
  EXPECT_FALSE(VerifySigned(kSecret, s.body, "req_other").ok);
  EXPECT_TRUE(VerifySigned(kSecret, s.body, kRid).ok);
}

// Signs a whole stream fed in pieces of `step` bytes.
std::string SignStream(std::string_view stream, std::size_t step) {
  StreamSigner signer(kSecret, std::string(kRid));
  std::string out;
  for (std::size_t i = 0; i < stream.size(); i += step) {
    signer.Feed(stream.substr(i, step), out);
  }
  signer.Finish(out);
  return out;
}

constexpr std::string_view kOpenAiStream =
    "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    ": keep-alive\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n"
    "data: {\"id\":\"c\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

TEST(StreamSignerTest, KnownChainForOpenAiStream) {
  std::string signed_stream = SignStream(kOpenAiStream, 7);
  // Recompute the documented chain by hand.
  std::string prev = HmacSha256Hex(kSecret, kRid);
  std::vector<std::string> data = {R"({"id":"c","choices":[{"delta":{"content":"Hel"}}]})",
                                   R"({"id":"c","choices":[{"delta":{"content":"lo"}}]})",
                                   R"({"id":"c","choices":[{"delta":{},"finish_reason":"stop"}]})"};
  std::string expected;
  for (std::size_t i = 0; i < data.size(); ++i) {
    prev = HmacSha256Hex(
        kSecret, prev + "\n" + std::string(kRid) + "\n" + std::to_string(i + 1) + "\n" + data[i]);
    std::string d = data[i];
    d.insert(d.size() - 1, ",\"x_signature\":\"" + prev + "\"");
    expected += "data: " + d + "\n\n";
    if (i == 0) {
      expected += ": keep-alive\n\n";
    }
  }
  std::string end = R"({"baton_request_id":"req_0123abcd","events":3})";
  std::string end_sig = HmacSha256Hex(kSecret, prev + "\n" + std::string(kRid) + "\n4\n" + end);
  end.insert(end.size() - 1, ",\"x_signature\":\"" + end_sig + "\"");
  expected += ": x_signature_end " + end + "\n\n";
  expected += "data: [DONE]\n\n";
  EXPECT_EQ(signed_stream, expected);
  VerifyReport r = VerifySignedStream(kSecret, signed_stream);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.events, 3);
  EXPECT_EQ(r.message, "ok (3 events)");
  EXPECT_EQ(r.request_id, kRid);
  // Same bytes whatever the piece size.
  EXPECT_EQ(SignStream(kOpenAiStream, 1), signed_stream);
  EXPECT_EQ(SignStream(kOpenAiStream, 1000), signed_stream);
}

TEST(StreamSignerTest, AnthropicAndGeminiFramingArePreserved) {
  std::string anthropic =
      "event: message_start\ndata: {\"type\":\"message_start\"}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  std::string a = SignStream(anthropic, 5);
  EXPECT_NE(a.find("event: message_stop\ndata: {\"type\":\"message_stop\",\"x_signature\":\""),
            std::string::npos);
  EXPECT_TRUE(a.ends_with("\"}\n\n"));
  EXPECT_NE(a.find(": x_signature_end {\"baton_request_id\""), std::string::npos);
  EXPECT_TRUE(VerifySigned(kSecret, a).ok) << VerifySigned(kSecret, a).message;

  std::string gemini = "data: {\"candidates\": [1]}\r\n\r\ndata: {\"candidates\": [2]}\r\n\r\n";
  std::string g = SignStream(gemini, 3);
  EXPECT_TRUE(g.starts_with("data: {\"candidates\": [1],\"x_signature\":\""));
  EXPECT_NE(g.find("\"}\r\n\r\ndata: "), std::string::npos);
  VerifyReport r = VerifySigned(kSecret, g);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.events, 2);
}

TEST(StreamSignerTest, MultiLineDataIsSignedAsJoined) {
  std::string s = SignStream("data: {\"a\":\ndata: 1}\n\n", 4);
  EXPECT_TRUE(s.starts_with("data: {\"a\":\ndata: 1,\"x_signature\":\""));
  EXPECT_TRUE(VerifySigned(kSecret, s).ok);
}

// Splits a signed stream into its events (blocks ending in a blank line).
std::vector<std::string> Blocks(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t end = s.find("\n\n", i);
    out.push_back(s.substr(i, end + 2 - i));
    i = end + 2;
  }
  return out;
}

std::string Join(const std::vector<std::string>& blocks) {
  std::string out;
  for (const auto& b : blocks) {
    out += b;
  }
  return out;
}

TEST(VerifyStreamTest, TamperDropReorderTruncateAreDetected) {
  const std::string good = SignStream(kOpenAiStream, 16);
  auto blocks = Blocks(good);
  ASSERT_EQ(blocks.size(), 6U);  // 3 data, keep-alive, terminal, [DONE]

  std::string edited = good;
  edited.replace(edited.find("Hel"), 3, "HeL");
  VerifyReport r = VerifySigned(kSecret, edited);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("event 1: bad signature"), std::string::npos) << r.message;

  auto dropped = blocks;
  dropped.erase(dropped.begin() + 2);  // the second data event
  r = VerifySigned(kSecret, Join(dropped));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("event 2: bad signature"), std::string::npos) << r.message;

  auto reordered = blocks;
  std::swap(reordered[2], reordered[3]);
  r = VerifySigned(kSecret, Join(reordered));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("event 2"), std::string::npos) << r.message;

  auto truncated = blocks;
  truncated.resize(3);  // the terminal event and [DONE] are gone
  r = VerifySigned(kSecret, Join(truncated));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("missing terminal"), std::string::npos) << r.message;
  // With the request id given, the events received are checked and the cut is named.
  r = VerifySigned(kSecret, Join(truncated), kRid);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("missing terminal signature event after event 2"), std::string::npos)
      << r.message;

  auto last_dropped = blocks;
  last_dropped.erase(last_dropped.begin() + 3);  // the last data event: the terminal tells
  r = VerifySigned(kSecret, Join(last_dropped));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("terminal signature event"), std::string::npos) << r.message;

  auto keepalive_dropped = blocks;
  keepalive_dropped.erase(keepalive_dropped.begin() + 1);  // comments are not signed
  EXPECT_TRUE(VerifySigned(kSecret, Join(keepalive_dropped)).ok);

  auto appended = blocks;
  appended.push_back(blocks[0]);
  r = VerifySigned(kSecret, Join(appended));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("after the terminal"), std::string::npos) << r.message;

  EXPECT_FALSE(VerifySigned("another-secret-0123456789", good).ok);
  EXPECT_FALSE(VerifySigned(kSecret, std::string(kOpenAiStream)).ok);
}

}  // namespace
}  // namespace baton
