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

// --- AuthenticateCaller, CheckCallerModel, CallerZone ------------------------------------------

struct TableWithKeys {
  GeneratedKey plain = GenerateKey();
  GeneratedKey limited = GenerateKey();
  GeneratedKey zoned = GenerateKey();
  GeneratedKey expired = GenerateKey();
  GeneratedKey blocked = GenerateKey();
  GeneratedKey teamed = GenerateKey();
  std::shared_ptr<const KeyTable> table;

  TableWithKeys() {
    auto record = [](const GeneratedKey& g) {
      KeyRecord k;
      k.key_hash = g.hash;
      k.key_prefix = g.prefix;
      return k;
    };
    std::vector<KeyRecord> keys;
    keys.push_back(record(plain));
    keys.push_back(record(limited));
    keys.back().models = {"smart", "openai/*"};
    keys.push_back(record(zoned));
    keys.back().zone = "clinic";
    keys.push_back(record(expired));
    keys.back().expires_at = 999;
    keys.push_back(record(blocked));
    keys.back().blocked = true;
    keys.push_back(record(teamed));
    keys.back().team_id = "t";
    TeamRecord team;
    team.team_id = "t";
    team.models = {"smart"};
    table = KeyTable::Build(std::move(keys), {team});
  }
};

constexpr int64_t kNow = 1000;

TEST(AuthenticateCallerTest, MasterKeyAndOpenServerHaveNoKey) {
  TableWithKeys t;
  auto master = AuthenticateCaller(
      Locked(), t.table, With("Authorization", "Bearer sk-master-0123456789abcdef"), kNow);
  ASSERT_TRUE(master);
  EXPECT_FALSE(master->IsVirtualKey());
  auto open = AuthenticateCaller(ServerConfig{}, t.table, {}, kNow);
  ASSERT_TRUE(open);
  EXPECT_FALSE(open->IsVirtualKey());
  // Open server: virtual keys are not even looked at (LiteLLM: no master key = no auth).
  auto open_with_key =
      AuthenticateCaller(ServerConfig{}, t.table, With("x-api-key", t.plain.key), kNow);
  ASSERT_TRUE(open_with_key);
  EXPECT_FALSE(open_with_key->IsVirtualKey());
}

TEST(AuthenticateCallerTest, VirtualKeys) {
  TableWithKeys t;
  auto ok =
      AuthenticateCaller(Locked(), t.table, With("Authorization", "Bearer " + t.plain.key), kNow);
  ASSERT_TRUE(ok);
  ASSERT_TRUE(ok->IsVirtualKey());
  EXPECT_EQ(ok->key.key->key_hash, t.plain.hash);
  EXPECT_EQ(ok->table, t.table);  // keeps the table alive

  auto code_of = [&](const std::string& key) {
    auto r = AuthenticateCaller(Locked(), t.table, With("x-api-key", key), kNow);
    EXPECT_FALSE(r);
    if (r) {
      return std::string();
    }
    EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
    EXPECT_EQ(r.error().message.find(key), std::string::npos) << r.error().message;
    return r.error().code;
  };
  EXPECT_EQ(code_of("sk-wrong-key-that-is-not-stored-anywhere"), "invalid_api_key");
  EXPECT_EQ(code_of(t.expired.key), "key_expired");
  EXPECT_EQ(code_of(t.blocked.key), "key_blocked");
  // No table (keys off): any non-master key is simply wrong.
  auto off = AuthenticateCaller(Locked(), nullptr, With("x-api-key", t.plain.key), kNow);
  ASSERT_FALSE(off);
  EXPECT_EQ(off.error().code, "invalid_api_key");
  auto none = AuthenticateCaller(Locked(), t.table, {}, kNow);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::kUnauthorized);
}

TEST(CheckCallerModelTest, KeyAndTeamLists) {
  TableWithKeys t;
  auto caller = [&](const GeneratedKey& g) {
    return AuthenticateCaller(Locked(), t.table, With("x-api-key", g.key), kNow).value();
  };
  EXPECT_TRUE(CheckCallerModel(Caller{}, "anything"));
  EXPECT_TRUE(CheckCallerModel(caller(t.plain), "anything"));
  Caller limited = caller(t.limited);
  EXPECT_TRUE(CheckCallerModel(limited, "smart"));
  EXPECT_TRUE(CheckCallerModel(limited, "openai/gpt-4o"));
  Status denied = CheckCallerModel(limited, "claude/opus");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(denied.error().code, "model_not_allowed");
  EXPECT_EQ(denied.error().param, "model");
  Caller teamed = caller(t.teamed);  // the key allows all, its team only "smart"
  EXPECT_TRUE(CheckCallerModel(teamed, "smart"));
  EXPECT_FALSE(CheckCallerModel(teamed, "openai/gpt-4o"));
}

TEST(CallerZoneTest, BoundKeysStayInTheirZone) {
  TableWithKeys t;
  auto caller = [&](const GeneratedKey& g) {
    return AuthenticateCaller(Locked(), t.table, With("x-api-key", g.key), kNow).value();
  };
  EXPECT_EQ(CallerZone(Caller{}, "lab").value(), "lab");
  EXPECT_EQ(CallerZone(caller(t.plain), "").value(), "");
  EXPECT_EQ(CallerZone(caller(t.plain), "lab").value(), "lab");
  Caller zoned = caller(t.zoned);
  EXPECT_EQ(CallerZone(zoned, "").value(), "clinic");
  EXPECT_EQ(CallerZone(zoned, "clinic").value(), "clinic");
  auto other = CallerZone(zoned, "lab");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(other.error().code, "zone_not_allowed");
}

}  // namespace
}  // namespace baton
