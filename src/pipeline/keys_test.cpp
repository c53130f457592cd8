#include "pipeline/keys.hpp"

#include <set>

#include <gtest/gtest.h>

namespace baton {
namespace {

TEST(VirtualKeysTest, GeneratedKeysAreLongRandomAndStoredOnlyAsTheirHash) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    GeneratedKey g = GenerateKey();
    ASSERT_TRUE(g.key.starts_with("sk-"));
    EXPECT_EQ(g.key.size(), 3U + 43U);  // 256 bits in base64url
    EXPECT_EQ(g.key.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 3),
              std::string::npos);
    EXPECT_EQ(g.hash, HashKey(g.key));
    EXPECT_EQ(g.hash.size(), 64U);
    EXPECT_EQ(g.hash.find(g.key.substr(3, 8)), std::string::npos);
    EXPECT_EQ(g.prefix, "sk-..." + g.key.substr(g.key.size() - 4));
    EXPECT_TRUE(seen.insert(g.key).second);
  }
}

TEST(VirtualKeysTest, HashIsSha256Hex) {
  // echo -n abc | sha256sum
  EXPECT_EQ(HashKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(VirtualKeysTest, ModelListsAllowExactNamesWildcardsAndProviderWildcards) {
  EXPECT_TRUE(ModelAllowed({}, "anything"));
  EXPECT_TRUE(ModelAllowed({"smart", "openai/gpt-4o"}, "smart"));
  EXPECT_FALSE(ModelAllowed({"smart"}, "smarter"));
  EXPECT_TRUE(ModelAllowed({"*"}, "x"));
  EXPECT_TRUE(ModelAllowed({"openai/*"}, "openai/gpt-4o"));
  EXPECT_FALSE(ModelAllowed({"openai/*"}, "openai-eu/gpt-4o"));
  EXPECT_FALSE(ModelAllowed({"openai/*"}, "groq/llama"));
}

class KeyTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = GenerateKey();
    expired_ = GenerateKey();
    blocked_ = GenerateKey();
    teamed_ = GenerateKey();
    orphan_ = GenerateKey();
    std::vector<KeyRecord> keys(5);
    keys[0].key_hash = good_.hash;
    keys[0].key_prefix = good_.prefix;
    keys[0].models = {"smart"};
    keys[1].key_hash = expired_.hash;
    keys[1].key_prefix = expired_.prefix;
    keys[1].expires_at = 1000;
    keys[2].key_hash = blocked_.hash;
    keys[2].key_prefix = blocked_.prefix;
    keys[2].blocked = true;
    keys[3].key_hash = teamed_.hash;
    keys[3].key_prefix = teamed_.prefix;
    keys[3].team_id = "research";
    keys[4].key_hash = orphan_.hash;
    keys[4].key_prefix = orphan_.prefix;
    keys[4].team_id = "gone";
    std::vector<TeamRecord> teams(1);
    teams[0].team_id = "research";
    teams[0].models = {"cheap", "openai/*"};
    table_ = KeyTable::Build(std::move(keys), std::move(teams));
  }

  GeneratedKey good_, expired_, blocked_, teamed_, orphan_;
  std::shared_ptr<const KeyTable> table_;
};

TEST_F(KeyTableTest, AValidKeyPassesForAnAllowedModel) {
  auto r = table_->Check(good_.key, "smart", 500);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->key->key_hash, good_.hash);
  EXPECT_EQ(r->team, nullptr);
}

TEST_F(KeyTableTest, UnknownKeysAreRefusedWithoutEchoingThem) {
  const std::string wrong = "sk-thisisnotarealkeybutlongenough1234";
  auto r = table_->Check(wrong, "smart", 500);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized);
  EXPECT_EQ(r.error().code, "invalid_api_key");
  EXPECT_EQ(r.error().message.find("thisisnotarealkey"), std::string::npos);
  EXPECT_EQ(table_->Check("", "smart", 500).error().kind, ErrorKind::kUnauthorized);
}

TEST_F(KeyTableTest, ExpiredAndBlockedKeysAreRefused) {
  EXPECT_TRUE(table_->Check(expired_.key, "", 999).ok());
  auto expired = table_->Check(expired_.key, "", 1000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "key_expired");
  auto blocked = table_->Check(blocked_.key, "", 0);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, "key_blocked");
  EXPECT_EQ(blocked.error().message.find(blocked_.key), std::string::npos);
}

TEST_F(KeyTableTest, ModelsOutsideTheKeysOrTeamsListAreForbidden) {
  auto r = table_->Check(good_.key, "other", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(r.error().code, "model_not_allowed");
  EXPECT_EQ(r.error().param, "model");
  EXPECT_TRUE(table_->Check(teamed_.key, "openai/gpt-4o", 0).ok());
  EXPECT_EQ(table_->Check(teamed_.key, "smart", 0).error().kind, ErrorKind::kForbidden);
  ASSERT_NE(table_->Check(teamed_.key, "cheap", 0)->team, nullptr);
}

TEST_F(KeyTableTest, AKeyWhoseTeamIsGoneIsRefused) {
  auto r = table_->Check(orphan_.key, "", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "team_blocked");
}

}  // namespace
}  // namespace baton
