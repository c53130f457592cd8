#include "admin/team_api.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "admin/key_api.hpp"
#include "money/money.hpp"
#include "store/sqlite_test_fixture.hpp"

namespace baton {
namespace {

namespace json = boost::json;

constexpr int64_t kNow = 1'750'000'000;  // 2025-06-15T15:06:40Z

class TeamApiTest : public SqliteStoreTest {
 protected:
  AdminResponse Post(std::string_view path, std::string_view body) {
    return HandleTeamApi(*store_, "POST", path, "", body, kNow);
  }
  AdminResponse Get(std::string_view path, std::string_view query) {
    return HandleTeamApi(*store_, "GET", path, query, "", kNow);
  }
  static json::value Body(const AdminResponse& r) { return json::parse(r.body); }
  json::object New(std::string_view body) {
    AdminResponse r = Post("/team/new", body);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.changed);
    return Body(r).as_object();
  }
};

TEST_F(TeamApiTest, NewStoresEveryFieldInLiteLlmShape) {
  json::object t = New(R"({"team_alias":"intenx-dev","team_id":"core","models":["local-coding"],
      "max_budget":50,"budget_duration":"30d","rpm_limit":100,"tpm_limit":5000,
      "metadata":{"owner":"ops"}})");
  EXPECT_EQ(t.at("team_id").as_string(), "core");
  EXPECT_EQ(t.at("team_alias").as_string(), "intenx-dev");
  EXPECT_EQ(t.at("models").as_array().size(), 1u);
  EXPECT_EQ(t.at("max_budget").to_number<double>(), 50.0);
  EXPECT_EQ(t.at("spend").to_number<double>(), 0.0);
  EXPECT_EQ(t.at("budget_duration").as_string(), "30d");
  EXPECT_EQ(t.at("budget_reset_at").as_string(), IsoTime(kNow + 30 * 86400));
  EXPECT_EQ(t.at("rpm_limit").as_int64(), 100);
  EXPECT_EQ(t.at("tpm_limit").as_int64(), 5000);
  EXPECT_FALSE(t.at("blocked").as_bool());
  EXPECT_EQ(t.at("metadata").as_object().at("owner").as_string(), "ops");
  EXPECT_TRUE(t.at("members_with_roles").as_array().empty());

  auto stored = store_->GetTeam("core");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->max_budget, FromUsd(50.0));
  EXPECT_EQ(stored->rpm, 100);
}

TEST_F(TeamApiTest, NewGeneratesAUuidAndRefusesDuplicates) {
  json::object a = New(R"({"team_alias":"a"})");
  const std::string id(a.at("team_id").as_string());
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');  // version 4
  json::object b = New(R"({"team_alias":"b"})");
  EXPECT_NE(b.at("team_id").as_string(), id);

  AdminResponse dup = Post("/team/new", R"({"team_id":")" + id + R"("})");
  EXPECT_EQ(dup.status, 400) << dup.body;
  EXPECT_FALSE(dup.changed);
  AdminResponse alias = Post("/team/new", R"({"team_alias":"a"})");
  EXPECT_EQ(alias.status, 400) << alias.body;
}

TEST_F(TeamApiTest, NewRejectsBadFields) {
  for (const char* body :
       {R"({"max_budget":-1})", R"({"max_budget":"10"})", R"({"rpm_limit":1.5})",
        R"({"models":"gpt-4"})", R"({"budget_duration":"30"})", R"({"metadata":[1]})",
        R"({"blocked":"yes"})", R"({"team_id":""})", "[]", "{not json"}) {
    AdminResponse r = Post("/team/new", body);
    EXPECT_EQ(r.status, 400) << body << " → " << r.body;
    EXPECT_FALSE(r.changed);
  }
  auto listed = store_->ListTeams({});
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->total, 0);
}

TEST_F(TeamApiTest, UpdateChangesOnlyGivenFields) {
  New(R"({"team_id":"core","team_alias":"c","max_budget":5,"rpm_limit":10,"models":["m"]})");
  AdminResponse r = Post("/team/update", R"({"team_id":"core","max_budget":7.25,"rpm_limit":null,
      "blocked":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  json::object body = Body(r).as_object();
  EXPECT_EQ(body.at("team_id").as_string(), "core");
  const json::object& data = body.at("data").as_object();
  EXPECT_EQ(data.at("max_budget").to_number<double>(), 7.25);
  EXPECT_EQ(data.at("rpm_limit").as_int64(), 10);  // null = unchanged
  EXPECT_TRUE(data.at("blocked").as_bool());
  EXPECT_EQ(data.at("models").as_array().size(), 1u);

  AdminResponse missing = Post("/team/update", R"({"team_id":"nope","max_budget":1})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("Team not found, passed team_id=nope"), std::string::npos);
  EXPECT_EQ(Post("/team/update", R"({"max_budget":1})").status, 400);
}

TEST_F(TeamApiTest, InfoListsTheTeamsKeys) {
  New(R"({"team_id":"core","team_alias":"c"})");
  AdminResponse k = HandleKeyApi(*store_, "POST", "/key/generate", "",
                                 R"({"team_id":"core","key_alias":"bot"})", kNow);
  ASSERT_EQ(k.status, 200) << k.body;
  const std::string key(json::parse(k.body).at("key").as_string());

  AdminResponse r = Get("/team/info", "team_id=core");
  ASSERT_EQ(r.status, 200) << r.body;
  json::object info = Body(r).as_object();
  EXPECT_EQ(info.at("team_info").at("team_alias").as_string(), "c");
  const json::array& keys = info.at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].at("key_alias").as_string(), "bot");
  EXPECT_EQ(r.body.find(key), std::string::npos);  // never the raw key

  EXPECT_EQ(Get("/team/info", "team_id=nope").status, 404);
  EXPECT_EQ(Get("/team/info", "").status, 422);
}

TEST_F(TeamApiTest, ListIsOrderedByAlias) {
  New(R"({"team_id":"t1","team_alias":"zeta"})");
  New(R"({"team_id":"t2","team_alias":"alpha"})");
  AdminResponse r = Get("/team/list", "");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value parsed = Body(r);
  const json::array& teams = parsed.as_array();
  ASSERT_EQ(teams.size(), 2u);
  EXPECT_EQ(teams[0].at("team_alias").as_string(), "alpha");
  EXPECT_EQ(teams[1].at("team_alias").as_string(), "zeta");
}

TEST_F(TeamApiTest, DeleteRemovesTeamsAndTheirKeys) {
  New(R"({"team_id":"core"})");
  New(R"({"team_id":"other"})");
  AdminResponse k =
      HandleKeyApi(*store_, "POST", "/key/generate", "", R"({"team_id":"core"})", kNow);
  const std::string hash(json::parse(k.body).at("token").as_string());

  AdminResponse r = Post("/team/delete", R"({"team_ids":["core","ghost"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  const json::value parsed = Body(r);
  const json::array& deleted = parsed.at("deleted_teams").as_array();
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].as_string(), "core");
  EXPECT_FALSE(store_->GetTeam("core"));
  EXPECT_FALSE(store_->GetKey(hash));
  EXPECT_TRUE(store_->GetTeam("other"));

  EXPECT_EQ(Post("/team/delete", R"({"team_ids":["ghost"]})").status, 404);
  EXPECT_EQ(Post("/team/delete", R"({})").status, 422);
}

TEST_F(TeamApiTest, MethodsAndUnknownPaths) {
  AdminResponse r = Get("/team/new", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "POST");
  r = Post("/team/list", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.allow, "GET");
  EXPECT_EQ(Get("/team/nope", "").status, 404);
  EXPECT_TRUE(IsTeamApiPath("/team/new"));
  EXPECT_FALSE(IsTeamApiPath("/teams"));
}

}  // namespace
}  // namespace baton
