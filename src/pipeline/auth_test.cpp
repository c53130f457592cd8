#include "pipeline/auth.hpp"

#include <string>

#include <gtest/gtest.h>

namespace baton {
namespace {

constexpr const char* kMaster = "sk-master-0123456789abcdef";

ServerConfig Locked(std::string key = kMaster) {
  ServerConfig server;
  server.master_key = std::move(key);
  server.master_key_configured = true;
  return server;
}

HttpHeaders With(std::string name, std::string value) {
  return HttpHeaders{{"content-type", "application/json"}, {std::move(name), std::move(value)}};
}

// --- PresentedKey ------------------------------------------------------------------------------

TEST(PresentedKeyTest, AuthorizationBearer) {
  EXPECT_EQ(PresentedKey(With("Authorization", "Bearer sk-abc")), "sk-abc");
  EXPECT_EQ(PresentedKey(With("authorization", "bearer sk-abc")), "sk-abc");
  EXPECT_EQ(PresentedKey(With("AUTHORIZATION", "BEARER sk-abc")), "sk-abc");
  EXPECT_EQ(PresentedKey(With("Authorization", "Bearer    sk-abc")), "sk-abc");
}

TEST(PresentedKeyTest, XApiKey) {
  EXPECT_EQ(PresentedKey(With("x-api-key", "sk-ant-1")), "sk-ant-1");
  EXPECT_EQ(PresentedKey(With("X-Api-Key", "sk-ant-1")), "sk-ant-1");
}

TEST(PresentedKeyTest, AzureApiKey) {
  EXPECT_EQ(PresentedKey(With("api-key", "azure-1")), "azure-1");
  EXPECT_EQ(PresentedKey(With("Api-Key", "azure-1")), "azure-1");
}

TEST(PresentedKeyTest, GoogleApiKey) {
  EXPECT_EQ(PresentedKey(With("x-goog-api-key", "AIza-1")), "AIza-1");
  EXPECT_EQ(PresentedKey(With("X-Goog-Api-Key", "AIza-1")), "AIza-1");
}

TEST(PresentedKeyTest, NoneOrUnusable) {
  EXPECT_EQ(PresentedKey({}), "");
  EXPECT_EQ(PresentedKey(With("x-other-key", "k")), "");
  EXPECT_EQ(PresentedKey(With("Authorization", "Basic dXNlcjpwYXNz")), "");
  EXPECT_EQ(PresentedKey(With("Authorization", "Bearer")), "");
  EXPECT_EQ(PresentedKey(With("Authorization", "Bearer ")), "");
  EXPECT_EQ(PresentedKey(With("Authorization", "Bearersk-abc")), "");
}

TEST(PresentedKeyTest, BearerTakesPrecedence) {
  HttpHeaders headers = {{"x-api-key", "from-x-api-key"},
                         {"api-key", "from-api-key"},
                         {"Authorization", "Bearer from-bearer"}};
  EXPECT_EQ(PresentedKey(headers), "from-bearer");
}

TEST(PresentedKeyTest, NonBearerAuthorizationFallsBackToOtherHeaders) {
  HttpHeaders headers = {{"Authorization", "Basic abc"}, {"x-api-key", "from-x-api-key"}};
  EXPECT_EQ(PresentedKey(headers), "from-x-api-key");
}

TEST(PresentedKeyTest, HeaderOrderAmongTheOthers) {
  HttpHeaders headers = {{"x-goog-api-key", "goog"}, {"api-key", "azure"}, {"x-api-key", "ant"}};
  EXPECT_EQ(PresentedKey(headers), "ant");
  HttpHeaders two = {{"x-goog-api-key", "goog"}, {"api-key", "azure"}};
  EXPECT_EQ(PresentedKey(two), "azure");
}

// --- Authenticate ------------------------------------------------------------------------------

TEST(AuthenticateTest, OpenServerAcceptsAnything) {
  ServerConfig open;
  EXPECT_TRUE(Authenticate(open, {}).ok());
  EXPECT_TRUE(Authenticate(open, With("Authorization", "Bearer whatever")).ok());
}

TEST(AuthenticateTest, RightKeyInEveryHeader) {
  ServerConfig server = Locked();
  EXPECT_TRUE(Authenticate(server, With("Authorization", std::string("Bearer ") + kMaster)).ok());
  EXPECT_TRUE(Authenticate(server, With("x-api-key", kMaster)).ok());
  EXPECT_TRUE(Authenticate(server, With("api-key", kMaster)).ok());
  EXPECT_TRUE(Authenticate(server, With("x-goog-api-key", kMaster)).ok());
}

void ExpectUnauthorized(const Status& s, const std::string& presented) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(s.error().code, "invalid_api_key");
  if (!presented.empty()) {
    EXPECT_EQ(s.error().message.find(presented), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().code.find(presented), std::string::npos);
    EXPECT_EQ(s.error().param.find(presented), std::string::npos);
  }
  EXPECT_EQ(s.error().message.find(kMaster), std::string::npos) << s.error().message;
}

TEST(AuthenticateTest, WrongKey) {
  ServerConfig server = Locked();
  std::string wrong = "sk-master-0123456789abcdeX";  // same length, last byte differs
  ASSERT_EQ(wrong.size(), std::string(kMaster).size());
  Status s = Authenticate(server, With("Authorization", "Bearer " + wrong));
  ExpectUnauthorized(s, wrong);
  EXPECT_EQ(s.error().message, "Incorrect API key provided.");
}

TEST(AuthenticateTest, MissingKey) {
  ServerConfig server = Locked();
  Status s = Authenticate(server, {});
  ExpectUnauthorized(s, "");
  EXPECT_NE(s.error().message.find("You didn't provide an API key"), std::string::npos);
  ExpectUnauthorized(Authenticate(server, With("Authorization", "Bearer ")), "");
}

TEST(AuthenticateTest, KeyOfDifferentLength) {
  ServerConfig server = Locked();
  std::string prefix = std::string(kMaster).substr(0, 10);
  ExpectUnauthorized(Authenticate(server, With("x-api-key", prefix)), prefix);
  std::string longer = std::string(kMaster) + "0";
  ExpectUnauthorized(Authenticate(server, With("x-api-key", longer)), longer);
  std::string with_nul = std::string(kMaster) + std::string(1, '\0');
  ExpectUnauthorized(Authenticate(server, With("x-api-key", with_nul)), "");
}

TEST(AuthenticateTest, KeyComparisonIsCaseSensitive) {
  ServerConfig server = Locked("sk-ABC");
  ExpectUnauthorized(Authenticate(server, With("x-api-key", "sk-abc")), "sk-abc");
  EXPECT_TRUE(Authenticate(server, With("x-api-key", "sk-ABC")).ok());
}

TEST(AuthenticateTest, ConfiguredButUnsetKeyAcceptsNothing) {
  // master_key = "os.environ/X" with X unset: the app refuses to start, but the filter must still
  // not treat an empty master key as a match.
  ServerConfig server = Locked("");
  ExpectUnauthorized(Authenticate(server, {}), "");
  ExpectUnauthorized(Authenticate(server, With("x-api-key", "anything")), "anything");
  ExpectUnauthorized(Authenticate(server, With("Authorization", "Bearer ")), "");
}

TEST(AuthenticateTest, ErrorNeverEchoesThePresentedKey) {
  ServerConfig server = Locked();
  for (const char* header : {"Authorization", "x-api-key", "api-key", "x-goog-api-key"}) {
    SCOPED_TRACE(header);
    std::string key = "sk-presented-secret-value";
    std::string value = std::string(header) == "Authorization" ? "Bearer " + key : key;
    ExpectUnauthorized(Authenticate(server, With(header, value)), key);
  }
}

}  // namespace
}  // namespace baton
