#include "admin/spend_api.hpp"

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "money/money.hpp"
#include "pipeline/keys.hpp"
#include "store/sqlite_test_fixture.hpp"

namespace baton {
namespace {

namespace json = boost::json;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kJune2 = 1'748'822'400'000;  // 2025-06-02T00:00:00Z in ms

class SpendApiTest : public SqliteStoreTest {
 protected:
  static SpendRecord Rec(const std::string& id, int64_t time, const std::string& key,
                         const std::string& team, double usd) {
    SpendRecord r;
    r.request_id = id;
    r.time = time;
    r.key_hash = key;
    r.team_id = team;
    r.zone = "eu";
    r.session = "s1";
    r.model_asked = "smart";
    r.deployment = "openai/gpt-4o";
    r.prompt_tokens = 100;
    r.completion_tokens = 20;
    r.cached_tokens = 5;
    r.cost = FromUsd(usd);
    r.latency_ms = 1500;
    r.status = 200;
    return r;
  }

  AdminResponse Get(std::string_view path, std::string_view query) {
    return HandleSpendApi(*store_, "GET", path, query);
  }
};

TEST_F(SpendApiTest, LogsAreLiteLlmRowsNewestFirst) {
  const std::string key = "sk-test-key-for-spend-logs-0001";
  const std::string hash = HashKey(key);
  std::vector<SpendRecord> recs = {Rec("r1", kJune2 + 1000, hash, "core", 0.5),
                                   Rec("r2", kJune2 + 2000, hash, "core", 0.25),
                                   Rec("r3", kJune2 + 3000, "other", "", 1)};
  ASSERT_TRUE(store_->AppendSpend(recs));

  AdminResponse r = Get("/spend/logs", "api_key=" + key);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.headers.empty());  // one page
  const json::array rows = json::parse(r.body).as_array();
  ASSERT_EQ(rows.size(), 2u);
  const json::object& row = rows[0].as_object();
  EXPECT_EQ(row.at("request_id").as_string(), "r2");
  EXPECT_EQ(row.at("api_key").as_string(), hash);
  EXPECT_EQ(row.at("spend").to_number<double>(), 0.25);
  EXPECT_EQ(row.at("total_tokens").as_int64(), 120);
  EXPECT_EQ(row.at("prompt_tokens").as_int64(), 100);
  EXPECT_EQ(row.at("completion_tokens").as_int64(), 20);
  EXPECT_EQ(row.at("startTime").as_string(), "2025-06-02T00:00:00.500Z");
  EXPECT_EQ(row.at("endTime").as_string(), "2025-06-02T00:00:02.000Z");
  EXPECT_EQ(row.at("model").as_string(), "gpt-4o");
  EXPECT_EQ(row.at("model_group").as_string(), "smart");
  EXPECT_EQ(row.at("custom_llm_provider").as_string(), "openai");
  EXPECT_EQ(row.at("team_id").as_string(), "core");
  const json::object& meta = row.at("metadata").as_object();
  EXPECT_EQ(meta.at("zone").as_string(), "eu");
  EXPECT_EQ(meta.at("session").as_string(), "s1");
  EXPECT_EQ(meta.at("status").as_int64(), 200);
  EXPECT_EQ(meta.at("latency_ms").as_int64(), 1500);
  EXPECT_EQ(meta.at("deployment").as_string(), "openai/gpt-4o");
  EXPECT_EQ(meta.at("cached_tokens").as_int64(), 5);

  // The hash works as well as the key; key= as well as api_key=.
  EXPECT_EQ(json::parse(Get("/spend/logs", "key=" + hash).body).as_array().size(), 2u);
  // No filter: everything; team filter.
  EXPECT_EQ(json::parse(Get("/spend/logs", "").body).as_array().size(), 3u);
  EXPECT_EQ(json::parse(Get("/spend/logs", "team_id=core").body).as_array().size(), 2u);
}

TEST_F(SpendApiTest, LogsPageByCursorHeaderAndByPage) {
  std::vector<SpendRecord> recs;
  for (int i = 0; i < 5; ++i) {
    recs.push_back(Rec("r" + std::to_string(i), kJune2 + i * 1000, "k", "", 0.01));
  }
  ASSERT_TRUE(store_->AppendSpend(recs));
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    AdminResponse r =
        Get("/spend/logs", "page_size=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value parsed = json::parse(r.body);
    for (const auto& row : parsed.as_array()) {
      seen.emplace_back(row.at("request_id").as_string());
    }
    cursor.clear();
    for (const auto& h : r.headers) {
      if (h.name == "x-next-cursor") {
        cursor = h.value;
      }
    }
    if (cursor.empty()) {
      break;
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"r4", "r3", "r2", "r1", "r0"}));

  AdminResponse page2 = Get("/spend/logs", "page_size=2&page=2");
  const json::array rows = json::parse(page2.body).as_array();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("request_id").as_string(), "r2");

  EXPECT_EQ(Get("/spend/logs", "page_size=0").status, 400);
  EXPECT_EQ(Get("/spend/logs", "page_size=1001").status, 400);
  EXPECT_EQ(Get("/spend/logs", "cursor=garbage").status, 400);
}

TEST_F(SpendApiTest, DateRanges) {
  std::vector<SpendRecord> recs = {Rec("d1", kJune2 - 1, "k", "", 1), Rec("d2", kJune2, "k", "", 1),
                                   Rec("d3", kJune2 + kDay - 1, "k", "", 1),
                                   Rec("d4", kJune2 + kDay, "k", "", 1)};
  ASSERT_TRUE(store_->AppendSpend(recs));
  auto ids = [&](const std::string& query) {
    AdminResponse r = Get("/spend/logs", query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const json::value parsed = json::parse(r.body);
    for (const auto& row : parsed.as_array()) {
      out.emplace_back(row.at("request_id").as_string());
    }
    return out;
  };
  // A bare end_date covers that whole day.
  EXPECT_EQ(ids("start_date=2025-06-02&end_date=2025-06-02"),
            (std::vector<std::string>{"d3", "d2"}));
  EXPECT_EQ(ids("start_date=2025-06-03"), (std::vector<std::string>{"d4"}));
  // Datetimes: exact, end exclusive; offsets and the space form.
  EXPECT_EQ(ids("end_date=2025-06-02T00:00:00Z"), (std::vector<std::string>{"d1"}));
  EXPECT_EQ(ids("start_date=2025-06-02T02:00:00%2B02:00&end_date=2025-06-02%2000:00:00.001"),
            (std::vector<std::string>{"d2"}));

  for (const char* bad : {"start_date=2025-6-2", "end_date=yesterday", "start_date=2025-02-30",
                          "start_date=2025-06-02T25:00"}) {
    AdminResponse r = Get("/spend/logs", bad);
    EXPECT_EQ(r.status, 400) << bad;
  }
}

TEST_F(SpendApiTest, ParseSpendDateForms) {
  EXPECT_EQ(ParseSpendDate("2025-06-02", false, "d").value(), kJune2);
  EXPECT_EQ(ParseSpendDate("2025-06-02", true, "d").value(), kJune2 + kDay);
  EXPECT_EQ(ParseSpendDate("2025-06-02T00:00:01.25Z", true, "d").value(), kJune2 + 1250);
  EXPECT_EQ(ParseSpendDate("2025-06-02T01:00-0100", false, "d").value(), kJune2 + 2 * 3'600'000);
  EXPECT_FALSE(ParseSpendDate("", false, "d"));
  EXPECT_FALSE(ParseSpendDate("2025-06-02T", false, "d"));
}

TEST_F(SpendApiTest, KeysAndTeamsTotals) {
  TeamRecord team;
  team.team_id = "core";
  team.alias = "Core";
  ASSERT_TRUE(store_->CreateTeam(team));
  KeyRecord key;
  key.key_hash = HashKey("sk-spend-keys-total-000000001");
  key.key_prefix = "sk-...0001";
  key.alias = "bot";
  key.team_id = "core";
  ASSERT_TRUE(store_->CreateKey(key));
  std::vector<SpendRecord> recs = {Rec("a", kJune2, key.key_hash, "core", 0.5),
                                   Rec("b", kJune2 + 1, key.key_hash, "core", 0.25),
                                   Rec("c", kJune2 + kDay, "gone", "", 2)};
  ASSERT_TRUE(store_->AppendSpend(recs));

  AdminResponse r = Get("/spend/keys", "");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array keys = json::parse(r.body).as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("api_key").as_string(), "gone");
  EXPECT_TRUE(keys[0].at("key_alias").is_null());
  EXPECT_EQ(keys[0].at("spend").to_number<double>(), 2.0);
  EXPECT_EQ(keys[1].at("key_alias").as_string(), "bot");
  EXPECT_EQ(keys[1].at("spend").to_number<double>(), 0.75);
  EXPECT_EQ(keys[1].at("requests").as_int64(), 2);
  EXPECT_EQ(keys[1].at("total_tokens").as_int64(), 240);

  keys = json::parse(Get("/spend/keys", "end_date=2025-06-02").body).as_array();
  ASSERT_EQ(keys.size(), 1u);
  keys = json::parse(Get("/spend/keys", "team_id=core&limit=1").body).as_array();
  ASSERT_EQ(keys.size(), 1u);

  r = Get("/spend/teams", "start_date=2025-06-01");
  ASSERT_EQ(r.status, 200) << r.body;
  json::array teams = json::parse(r.body).as_array();
  ASSERT_EQ(teams.size(), 1u);
  EXPECT_EQ(teams[0].at("team_id").as_string(), "core");
  EXPECT_EQ(teams[0].at("team_alias").as_string(), "Core");
  EXPECT_EQ(teams[0].at("spend").to_number<double>(), 0.75);
}

TEST_F(SpendApiTest, EmptyStoreAndMethods) {
  for (const char* path : {"/spend/logs", "/spend/keys", "/spend/teams"}) {
    AdminResponse r = Get(path, "");
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "[]");
    AdminResponse post = HandleSpendApi(*store_, "POST", path, "");
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.allow, "GET");
  }
  EXPECT_EQ(Get("/spend/users", "").status, 404);
}

}  // namespace
}  // namespace baton
