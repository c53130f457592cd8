#include "admin/key_api.hpp"

#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "money/money.hpp"
#include "pipeline/keys.hpp"
#include "store/sqlite_test_fixture.hpp"

namespace baton {
namespace {

namespace json = boost::json;

constexpr int64_t kNow = 1'750'000'000;  // 2025-06-15T15:06:40Z

class KeyApiTest : public SqliteStoreTest {
 protected:
  KeyApiResponse Post(std::string_view path, std::string_view body) {
    return HandleKeyApi(*store_, "POST", path, "", body, kNow);
  }
  KeyApiResponse Get(std::string_view path, std::string_view query) {
    return HandleKeyApi(*store_, "GET", path, query, "", kNow);
  }
  static json::object Body(const KeyApiResponse& r) { return json::parse(r.body).as_object(); }
  // Generates a key; returns the answer's object.
  json::object Generate(std::string_view body) {
    KeyApiResponse r = Post("/key/generate", body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.changed);
    return Body(r);
  }
};

TEST_F(KeyApiTest, GenerateShowsTheKeyOnceAndStoresOnlyItsHash) {
  json::object g = Generate(R"({"key_alias":"ci-bot","models":["local-coding","openai/*"],
      "max_budget":10.5,"budget_duration":"30d","rpm_limit":60,"tpm_limit":1000,
      "duration":"30d","metadata":{"app":"ci"},"zone":"clinic"})");
  const std::string key(g.at("key").as_string());
  EXPECT_TRUE(key.starts_with("sk-"));
  EXPECT_GE(key.size(), 3u + 43u);  // 256 random bits
  EXPECT_EQ(g.at("token").as_string(), HashKey(key));
  EXPECT_EQ(g.at("token_id").as_string(), HashKey(key));
  EXPECT_EQ(g.at("key_name").as_string(), DisplayPrefix(key));
  EXPECT_EQ(g.at("key_alias").as_string(), "ci-bot");
  EXPECT_EQ(g.at("models").as_array().size(), 2u);
  EXPECT_EQ(g.at("max_budget").as_double(), 10.5);
  EXPECT_EQ(g.at("budget_duration").as_string(), "30d");
  EXPECT_EQ(g.at("rpm_limit").as_int64(), 60);
  EXPECT_EQ(g.at("tpm_limit").as_int64(), 1000);
  EXPECT_EQ(g.at("zone").as_string(), "clinic");
  EXPECT_EQ(g.at("metadata").as_object().at("app").as_string(), "ci");
  EXPECT_TRUE(g.at("team_id").is_null());
  EXPECT_FALSE(g.at("blocked").as_bool());
  // Expiry: now + 30 days, ISO-8601 UTC.
  EXPECT_EQ(g.at("expires").as_string(), IsoTime(kNow + 30 * 86400));
  EXPECT_EQ(IsoTime(kNow), "2025-06-15T15:06:40Z");

  // The store holds the hash and the money exactly; never the key.
  auto stored = store_->GetKey(HashKey(key));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->max_budget, 10'500'000'000'000);
  EXPECT_EQ(stored->expires_at, kNow + 30 * 86400);
  EXPECT_EQ(stored->key_prefix, DisplayPrefix(key));

  // Nothing but /key/generate shows the key.
  KeyApiResponse info = Get("/key/info", "key=" + HashKey(key));
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.body.find(key), std::string::npos);
  KeyApiResponse list = Get("/key/list", "return_full_object=true");
  EXPECT_EQ(list.body.find(key), std::string::npos);
}

TEST_F(KeyApiTest, GenerateDefaultsAndErrors) {
  json::object g = Generate("{}");
  EXPECT_TRUE(g.at("expires").is_null());
  EXPECT_TRUE(g.at("max_budget").is_null());
  EXPECT_TRUE(g.at("models").as_array().empty());
  EXPECT_TRUE(g.at("rpm_limit").is_null());
  Generate("");  // an empty body is an empty object

  auto expect_400 = [this](std::string_view body, std::string_view param) {
    SCOPED_TRACE(body);
    KeyApiResponse r = Post("/key/generate", body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_FALSE(r.changed);
    if (!param.empty()) {
      EXPECT_EQ(Body(r).at("error").at("param").as_string(), param) << r.body;
    }
  };
  expect_400("[1]", "");
  expect_400(R"({"max_budget":-1})", "max_budget");
  expect_400(R"({"max_budget":"10"})", "max_budget");
  expect_400(R"({"duration":"30"})", "duration");  // a bare number is rejected
  expect_400(R"({"duration":"-1"})", "duration");  // "never" only on update
  expect_400(R"({"rpm_limit":-5})", "rpm_limit");
  expect_400(R"({"models":"gpt-4o"})", "models");
  expect_400(R"({"models":[""]})", "models");
  expect_400(R"({"metadata":[]})", "metadata");
  expect_400(R"({"blocked":"yes"})", "blocked");
  expect_400(R"({"key":"mine"})", "key");
  expect_400(R"({"budget_duration":"soon"})", "");
  // A duplicate alias and an unknown team are refused by the store.
  Generate(R"({"key_alias":"dup"})");
  expect_400(R"({"key_alias":"dup"})", "");
  expect_400(R"({"team_id":"no-such-team"})", "");
  EXPECT_EQ(store_->ListKeys({})->total, 3);
}

TEST_F(KeyApiTest, ACustomKeyIsAccepted) {
  json::object g = Generate(R"({"key":"sk-my-own-long-key-0123456789"})");
  EXPECT_EQ(g.at("key").as_string(), "sk-my-own-long-key-0123456789");
  EXPECT_TRUE(store_->GetKey(HashKey("sk-my-own-long-key-0123456789")));
}

TEST_F(KeyApiTest, InfoByKeyOrHash) {
  json::object g = Generate(R"({"key_alias":"a"})");
  const std::string key(g.at("key").as_string());
  for (const std::string& q : {key, HashKey(key)}) {
    KeyApiResponse r = Get("/key/info", "key=" + q);
    ASSERT_EQ(r.status, 200) << r.body;
    json::object o = Body(r);
    EXPECT_EQ(o.at("key").as_string(), q);  // as passed
    EXPECT_EQ(o.at("info").at("key_alias").as_string(), "a");
  }
  KeyApiResponse missing = Get("/key/info", "key=sk-unknown-0000000000000000");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing).at("error").at("code").as_string(), "key_not_found");
  EXPECT_EQ(Get("/key/info", "").status, 400);
}

TEST_F(KeyApiTest, ListIsPaginated) {
  std::vector<std::string> hashes;
  for (int i = 0; i < 5; ++i) {
    hashes.emplace_back(Generate("{}").at("token").as_string());
  }
  KeyApiResponse first = Get("/key/list", "page=1&size=2");
  ASSERT_EQ(first.status, 200) << first.body;
  json::object o = Body(first);
  EXPECT_EQ(o.at("total_count").as_int64(), 5);
  EXPECT_EQ(o.at("current_page").as_int64(), 1);
  EXPECT_EQ(o.at("total_pages").as_int64(), 3);
  ASSERT_EQ(o.at("keys").as_array().size(), 2u);
  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    json::object p = Body(Get("/key/list", "page=" + std::to_string(page) + "&size=2"));
    for (const auto& k : p.at("keys").as_array()) {
      seen.insert(std::string(k.as_string()));
    }
  }
  EXPECT_EQ(seen, std::set<std::string>(hashes.begin(), hashes.end()));
  json::object full = Body(Get("/key/list", "return_full_object=true"));
  EXPECT_TRUE(full.at("keys").as_array()[0].as_object().contains("token"));
  EXPECT_EQ(Get("/key/list", "size=101").status, 400);
  EXPECT_EQ(Get("/key/list", "page=0").status, 400);
  EXPECT_EQ(Get("/key/list", "page=x").status, 400);
}

TEST_F(KeyApiTest, UpdateChangesOnlyWhatIsSet) {
  json::object g = Generate(R"({"key_alias":"a","models":["m1"],"max_budget":5,
      "duration":"1h","rpm_limit":10})");
  const std::string key(g.at("key").as_string());
  KeyApiResponse r =
      Post("/key/update",
           R"({"key":")" + key + R"(","models":["m2"],"max_budget":null,"blocked":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  auto stored = store_->GetKey(HashKey(key));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->models, std::vector<std::string>{"m2"});
  EXPECT_EQ(stored->max_budget, 5 * kPicoPerUsd);  // null = unchanged
  EXPECT_TRUE(stored->blocked);
  EXPECT_EQ(stored->alias, "a");
  EXPECT_EQ(stored->rpm, 10);
  ASSERT_TRUE(stored->expires_at);
  // By hash; "-1" removes the expiry.
  r = Post("/key/update", R"({"key":")" + HashKey(key) + R"(","duration":"-1","blocked":false})");
  ASSERT_EQ(r.status, 200) << r.body;
  stored = store_->GetKey(HashKey(key));
  EXPECT_FALSE(stored->expires_at);
  EXPECT_FALSE(stored->blocked);
  EXPECT_EQ(Post("/key/update", R"({"key":"sk-nope-000000000000000000"})").status, 404);
  EXPECT_EQ(Post("/key/update", R"({"models":["x"]})").status, 400);
  EXPECT_EQ(Post("/key/update", R"({"key":")" + key + R"(","rpm_limit":"x"})").status, 400);
}

TEST_F(KeyApiTest, DeleteByKeyHashOrAlias) {
  const std::string a(Generate(R"({"key_alias":"a"})").at("key").as_string());
  const std::string b(Generate(R"({"key_alias":"b"})").at("key").as_string());
  Generate(R"({"key_alias":"c"})");
  KeyApiResponse r = Post(
      "/key/delete", R"({"keys":[")" + a + R"(",")" + HashKey(b) + R"(","sk-gone-0000000000"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  auto deleted = Body(r).at("deleted_keys").as_array();
  ASSERT_EQ(deleted.size(), 2u);  // the unknown one is left out
  EXPECT_EQ(deleted[0].as_string(), a);
  EXPECT_FALSE(store_->GetKey(HashKey(a)));
  EXPECT_FALSE(store_->GetKey(HashKey(b)));
  r = Post("/key/delete", R"({"key_aliases":["c"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->ListKeys({})->total, 0);
  EXPECT_EQ(Post("/key/delete", R"({"keys":[")" + a + R"("]})").status, 404);
  EXPECT_EQ(Post("/key/delete", R"({})").status, 422);
}

TEST_F(KeyApiTest, MethodsAndUnknownPaths) {
  KeyApiResponse r = HandleKeyApi(*store_, "GET", "/key/generate", "", "", kNow);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  r = HandleKeyApi(*store_, "POST", "/key/list", "", "", kNow);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET");
  EXPECT_EQ(Post("/key/regenerate", "{}").status, 404);
  EXPECT_TRUE(IsKeyApiPath("/key/generate"));
  EXPECT_FALSE(IsKeyApiPath("/keys"));
}

}  // namespace
}  // namespace baton
