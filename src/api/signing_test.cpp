#include "api/signing.hpp"

#include <cctype>
#include <string>
#include <utility>
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
  // RFC 4231 test case 6: a 131-byte key (longer than the block: hashed first).
  EXPECT_EQ(HmacSha256Hex(std::string(131, '\xaa'),
                          "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Exactly one block (64 bytes): used as is.
  EXPECT_EQ(HmacSha256Hex(std::string(64, 'k'), "m"),
            "3b7a8d453e76edb519238a515105a57508d0f169f480ebeee120a9e7803289fa");  // openssl dgst
  // The keyed form gives the same as the one-shot, message after message.
  HmacSha256Key key("Jefe");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(key.Hex("what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
  HmacSha256Key moved = std::move(key);
  EXPECT_EQ(moved.Hex("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
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
  // Blanks around the object are not signed.
  EXPECT_EQ(s.header, HmacSha256Hex(kSecret, R"({ "baton_request_id":"req_0123abcd"})"));
  EXPECT_TRUE(VerifySignedJson(kSecret, s.body).ok);
  EXPECT_TRUE(VerifySignedJson(kSecret, s.body.substr(0, s.body.size() - 1)).ok);
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

// --- Failure paths of verification: malformed input and wrong secrets name what is wrong. ---

std::string MessageOf(std::string_view text, std::string_view request_id = {},
                      std::string_view secret = kSecret) {
  VerifyReport r = VerifySigned(secret, text, request_id);
  EXPECT_FALSE(r.ok) << text;
  return r.message;
}

bool Has(const std::string& message, std::string_view what) {
  return message.find(what) != std::string::npos;
}

TEST(VerifyFailureTest, MalformedJsonBodies) {
  const std::string good = SignJsonBody(kSecret, kRid, R"({"text":"hi"})").body;
  const std::string sig = good.substr(good.size() - 66, 64);
  // Cut off, not an object, signature not the last member, not 64 lowercase hex digits.
  EXPECT_TRUE(Has(MessageOf(good.substr(0, good.size() - 1)), "not signed"));
  EXPECT_TRUE(Has(MessageOf(good.substr(0, good.size() / 2)), "not signed"));
  EXPECT_TRUE(Has(MessageOf("{"), "not signed"));
  EXPECT_TRUE(Has(MessageOf("{}"), "not signed"));
  EXPECT_TRUE(Has(MessageOf(R"({"signature":")" + sig + R"(","text":"hi"})"), "not signed"));
  std::string upper = good;
  for (std::size_t i = good.size() - 66; i < good.size() - 2; ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  if (upper != good) {
    EXPECT_TRUE(Has(MessageOf(upper), "not signed"));
  }
  std::string short_sig = good;
  short_sig.erase(good.size() - 3, 1);  // 63 hex digits
  EXPECT_TRUE(Has(MessageOf(short_sig), "not signed"));
  std::string no_comma = good;
  no_comma.erase(no_comma.rfind(",\"signature\""), 1);  // `..."req_0123abcd""signature":...`
  EXPECT_TRUE(Has(MessageOf(no_comma), "not signed"));
  // A signature member of the right shape over other bytes: bad signature.
  std::string other =
      R"({"text":"ho","baton_request_id":"req_0123abcd","signature":")" + sig + "\"}";
  EXPECT_TRUE(Has(MessageOf(other), "bad signature"));
  // Blanks around the object are not signed (a saved file's added final newline).
  EXPECT_TRUE(VerifySigned(kSecret, "\n  " + good + "\r\n").ok);
}

TEST(VerifyFailureTest, WrongSecretOrRequestIdForJson) {
  const std::string good = SignJsonBody(kSecret, kRid, R"({"text":"hi"})").body;
  VerifyReport r = VerifySigned("another-secret-0123456789", good);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Has(r.message, "bad signature"));
  EXPECT_TRUE(Has(r.message, "another secret"));
  EXPECT_EQ(r.request_id, kRid);                   // still read, for the message
  EXPECT_FALSE(Has(r.message, "another-secret"));  // the secret is never echoed
  EXPECT_TRUE(Has(MessageOf(good, "req_other"), "signed for request req_0123abcd, not req_other"));
}

TEST(VerifyFailureTest, EmptyAndGarbageInput) {
  EXPECT_TRUE(Has(MessageOf(""), "missing terminal signature event"));
  EXPECT_TRUE(Has(MessageOf(" \n\n"), "missing terminal signature event"));
  EXPECT_TRUE(Has(MessageOf("hello world"), "missing terminal signature event"));
  EXPECT_TRUE(Has(MessageOf("[1,2,3]"), "missing terminal signature event"));
  EXPECT_TRUE(Has(MessageOf(std::string("\x00\xff\xfe binary", 10), kRid),
                  "missing terminal signature event"));
  // With a request id: the first data event that is not signed is named.
  EXPECT_TRUE(Has(MessageOf("data: hello\n\n", kRid), "event 1: no x_signature"));
  EXPECT_TRUE(Has(MessageOf("data: {\"a\":1}\n\n", kRid), "event 1: no x_signature"));
  EXPECT_TRUE(Has(MessageOf("data: [DONE]\n\n", kRid), "[DONE] before the terminal"));
}

TEST(VerifyFailureTest, StreamWrongSecretOrRequestId) {
  const std::string good = SignStream(kOpenAiStream, 16);
  EXPECT_TRUE(Has(MessageOf(good, {}, "another-secret-0123456789"), "event 1: bad signature"));
  EXPECT_TRUE(Has(MessageOf(good, "req_other"), "event 1: bad signature"));
}

TEST(VerifyFailureTest, MalformedTerminalEvents) {
  const std::string good = SignStream(kOpenAiStream, 16);
  const std::size_t at = good.find(": x_signature_end ");
  ASSERT_NE(at, std::string::npos);
  const std::size_t end = good.find("\n\n", at) + 2;
  const std::string terminal = good.substr(at, end - at);
  auto with_terminal = [&](const std::string& t) {
    return good.substr(0, at) + t + good.substr(end);
  };
  // Events count edited: does not match.
  std::string count = terminal;
  count.replace(count.find("\"events\":3"), 10, "\"events\":2");
  EXPECT_TRUE(Has(MessageOf(with_terminal(count)), "does not match the 3 events"));
  // Signature edited.
  std::string sig = terminal;
  const std::size_t hex = sig.find("\"x_signature\":\"") + 15;
  sig[hex] = sig[hex] == '0' ? '1' : '0';
  EXPECT_TRUE(Has(MessageOf(with_terminal(sig)), "terminal signature event: bad signature"));
  // Unsigned terminal payload, empty payload, not JSON.
  EXPECT_TRUE(
      Has(MessageOf(with_terminal(
              ": x_signature_end {\"baton_request_id\":\"req_0123abcd\",\"events\":3}\n\n")),
          "does not match"));
  EXPECT_TRUE(Has(MessageOf(with_terminal(": x_signature_end garbage\n\n"), kRid),
                  "terminal signature event"));
  // Two terminal events.
  EXPECT_TRUE(Has(MessageOf(with_terminal(terminal + terminal)), "a second terminal"));
  // An incomplete event after the terminal one.
  EXPECT_TRUE(Has(MessageOf(good + "data: {\"x\""), "incomplete event after the terminal"));
}

TEST(VerifyFailureTest, EventWithoutSignatureInTheMiddle) {
  const std::string good = SignStream(kOpenAiStream, 16);
  const std::size_t second = good.find("data: ", good.find("\n\n") + 2);
  const std::string inserted =
      good.substr(0, second) + "data: {\"unsigned\":true}\n\n" + good.substr(second);
  EXPECT_TRUE(Has(MessageOf(inserted), "event 2: no x_signature"));
}

// The worked example of docs/signing.md, byte for byte (the page's openssl commands give these).
TEST(SigningDocsExampleTest, MatchesTheDocumentedBytes) {
  constexpr std::string_view kDocSecret = "baton-docs-example-secret-0001";
  SignedBody body = SignJsonBody(
      kDocSecret, "req_example1",
      R"({"id":"chatcmpl-1","choices":[{"message":{"role":"assistant","content":"Hi"}}]})");
  EXPECT_EQ(body.header, "95e16357132e0d16116e69dfb77167828c406d409355c8db9a97ba4c070709eb");
  EXPECT_EQ(body.body,
            R"({"id":"chatcmpl-1","choices":[{"message":{"role":"assistant","content":"Hi"}}],)"
            R"("baton_request_id":"req_example1",)"
            R"("signature":"95e16357132e0d16116e69dfb77167828c406d409355c8db9a97ba4c070709eb"})");
  StreamSigner signer(kDocSecret, "req_example1");
  std::string out;
  signer.Feed(
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
      out);
  signer.Finish(out);
  EXPECT_EQ(out,
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}],\"x_signature\":"
            "\"0dc3a75fcffd497e49ad50eafb5b283b5273b7f04c888cd27758f92e848a6a65\"}\n\n"
            "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"x_signature\":"
            "\"f4a166cd52de54f371e1859a5af5ef2336460035a84772bdc1633fe72b8cbdca\"}\n\n"
            ": x_signature_end {\"baton_request_id\":\"req_example1\",\"events\":2,"
            "\"x_signature\":\"8d93dcf1d6950c37832c031c108de0a88d1204907fb0564604b4eb88fef5eae7\"}"
            "\n\n"
            "data: [DONE]\n\n");
  EXPECT_EQ(HmacSha256Hex(kDocSecret, "req_example1"),
            "44842b6ece46dc8f6b65ca0e20496f62501104ee5c3390e751ed24c1ddad11f1");
}

}  // namespace
}  // namespace baton
