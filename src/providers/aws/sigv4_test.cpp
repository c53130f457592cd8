// SigV4: AWS's published test-suite vectors (tests/fixtures/sigv4) and Bedrock-shaped requests.
#include "providers/aws/sigv4.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "providers/aws/bedrock_request.hpp"

namespace baton::aws {
namespace {

namespace fs = std::filesystem;

// 2015-08-30T12:36:00Z, the suite's time.
const std::chrono::system_clock::time_point kSuiteTime{std::chrono::seconds(1440938160)};

Credentials SuiteCredentials() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ParsedReq {
  std::string method;
  std::string path;
  std::string query;
  std::vector<Header> headers;
  std::string body;
};

// The suite's .req: "METHOD TARGET HTTP/1.1" (the target may hold spaces), "Name:value" lines, a
// blank line, the body.
ParsedReq ParseReq(const std::string& text) {
  ParsedReq r;
  std::size_t eol = text.find('\n');
  std::string first = text.substr(0, eol);
  std::size_t sp = first.find(' ');
  std::size_t proto = first.rfind(" HTTP/");
  r.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, proto - sp - 1);
  std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    r.query = target.substr(q + 1);
  }
  std::size_t pos = eol == std::string::npos ? text.size() : eol + 1;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      r.body = pos < text.size() ? text.substr(pos) : "";
      break;
    }
    std::size_t colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return r;
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4Suite, MatchesPublishedVector) {
  const std::string& name = GetParam();
  fs::path dir = fs::path(BATON_SOURCE_DIR) / "tests" / "fixtures" / "sigv4" / name;
  ParsedReq req = ParseReq(ReadFile(dir / (name + ".req")));
  Credentials creds = SuiteCredentials();
  for (const auto& [k, v] : req.headers) {
    if (k == "X-Amz-Security-Token") {
      creds.session_token = v;
    }
  }
  SigningRequest sr{req.method, req.path, req.query, req.headers, req.body};
  SigningParams params{"us-east-1", "service", &creds, kSuiteTime};
  Signature sig = Sign(sr, params);
  EXPECT_EQ(sig.canonical_request, ReadFile(dir / (name + ".creq")));
  EXPECT_EQ(sig.string_to_sign, ReadFile(dir / (name + ".sts")));
  EXPECT_EQ(sig.authorization, ReadFile(dir / (name + ".authz")));
  EXPECT_EQ(sig.amz_date, "20150830T123600Z");
  EXPECT_TRUE(sig.add_headers.empty()) << "every header the suite signs is in its .req";
}

std::vector<std::string> SuiteCases() {
  std::vector<std::string> names;
  fs::path root = fs::path(BATON_SOURCE_DIR) / "tests" / "fixtures" / "sigv4";
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) {
      names.push_back(e.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Vectors, SigV4Suite, ::testing::ValuesIn(SuiteCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) {
                               c = '_';
                             }
                           }
                           return n;
                         });

TEST(SigV4Suite, HasTheVectors) {
  EXPECT_GE(SuiteCases().size(), 8U);
}

TEST(SigV4, AddsDateAndTokenHeadersWhenMissing) {
  Credentials creds = SuiteCredentials();
  creds.session_token = "TOKEN";
  SigningRequest sr{"GET", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
  SigningParams params{"us-east-1", "service", &creds, kSuiteTime};
  params.add_content_sha256 = true;
  Signature sig = Sign(sr, params);
  ASSERT_EQ(sig.add_headers.size(), 3U);
  EXPECT_EQ(sig.add_headers[0], Header("x-amz-date", "20150830T123600Z"));
  EXPECT_EQ(sig.add_headers[1], Header("x-amz-security-token", "TOKEN"));
  EXPECT_EQ(sig.add_headers[2], Header("x-amz-content-sha256", Sha256Hex("")));
  EXPECT_NE(sig.authorization.find(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
            std::string::npos)
      << sig.authorization;
  EXPECT_EQ(sig.authorization.find(creds.secret_access_key), std::string::npos);
}

TEST(SigV4, EncodesPieces) {
  EXPECT_EQ(UriEncode("a b/c:d~e", false), "a%20b%2Fc%3Ad~e");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", false), "%E1%88%B4");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(CanonicalQuery("k=%E1%88%B4&x=a%20b"), "k=%E1%88%B4&x=a%20b");  // pre-encoded: same
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/a/./b/../c//"), "/a/c/");
  EXPECT_EQ(CanonicalUri("//a//b", true), "//a//b");
  EXPECT_EQ(AmzDate(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Bedrock: the model id is one path segment, sent encoded once (':' → %3A) and signed encoded
// twice (%253A), as the AWS SDKs do for every service but S3.
TEST(SigV4Bedrock, ConverseModelIdIsDoubleEncodedInTheCanonicalUri) {
  std::string path =
      "/model/" + EncodePathSegment("anthropic.claude-3-5-sonnet-20240620-v1:0") + "/converse";
  EXPECT_EQ(path, "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
  Credentials creds = SuiteCredentials();
  std::string body = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
  SigningRequest sr{
      "POST",
      path,
      "",
      {{"Host", "bedrock-runtime.us-east-1.amazonaws.com"}, {"Content-Type", "application/json"}},
      body};
  SigningParams params{"us-east-1", "bedrock", &creds,
                       std::chrono::system_clock::time_point{std::chrono::seconds(1704067200)}};
  Signature sig = Sign(sr, params);
  EXPECT_EQ(sig.canonical_request,
            "POST\n"
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n"
            "\n"
            "content-type:application/json\n"
            "host:bedrock-runtime.us-east-1.amazonaws.com\n"
            "x-amz-date:20240101T000000Z\n"
            "\n"
            "content-type;host;x-amz-date\n" +
                Sha256Hex(body));
  EXPECT_EQ(sig.string_to_sign.substr(0, sig.string_to_sign.rfind('\n')),
            "AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/us-east-1/bedrock/aws4_request");
  // Signature computed separately with Python's hashlib/hmac from the canonical request above.
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=689207085c0c1ed3176321c91700ee27e7a17ccb0075a077240dcaa4c8210dd5");
  ASSERT_EQ(sig.add_headers.size(), 1U);
  EXPECT_EQ(sig.add_headers[0], Header("x-amz-date", "20240101T000000Z"));
}

TEST(SigV4Bedrock, ArnModelIdStaysOneSegment) {
  std::string arn =
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
      "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
  std::string path = "/model/" + EncodePathSegment(arn) + "/converse-stream";
  EXPECT_EQ(path,
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2F"
            "us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream");
  EXPECT_EQ(CanonicalUri(path),
            "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-profile"
            "%252Fus.anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse-stream");
}

}  // namespace
}  // namespace baton::aws

namespace baton::aws {
namespace {

TEST(SigV4Bedrock, SignConverseGivesTheHeadersToAdd) {
  EXPECT_EQ(BedrockRuntimeHost("us-east-1"), "bedrock-runtime.us-east-1.amazonaws.com");
  EXPECT_EQ(ConversePath("amazon.nova-pro-v1:0", true),
            "/model/amazon.nova-pro-v1%3A0/converse-stream");
  Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  std::string body = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
  auto headers = SignConverse(
      BedrockRuntimeHost("us-east-1"),
      ConversePath("anthropic.claude-3-5-sonnet-20240620-v1:0", false), body, creds, "us-east-1",
      std::chrono::system_clock::time_point{std::chrono::seconds(1704067200)});
  ASSERT_EQ(headers.size(), 2U);
  // Same request as ConverseModelIdIsDoubleEncodedInTheCanonicalUri above.
  EXPECT_EQ(headers[0],
            Header("authorization",
                   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/bedrock/"
                   "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
                   "Signature=689207085c0c1ed3176321c91700ee27e7a17ccb0075a077240dcaa4c8210dd5"));
  EXPECT_EQ(headers[1], Header("x-amz-date", "20240101T000000Z"));
  creds.session_token = "FwoGZXIvYXdzEXAMPLE";
  auto temp = SignConverse("h", "/", "", creds, "eu-west-1", {});
  ASSERT_EQ(temp.size(), 3U);
  EXPECT_EQ(temp[2], Header("x-amz-security-token", "FwoGZXIvYXdzEXAMPLE"));
  EXPECT_NE(temp[0].second.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            std::string::npos);
}

}  // namespace
}  // namespace baton::aws
