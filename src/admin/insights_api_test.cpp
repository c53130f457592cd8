#include "admin/insights_api.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "store/sqlite_store.hpp"

namespace baton {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNow = 1'748'822'400'000 + (10 * 3'600'000);  // 2025-06-02T10:00:00Z

class InsightsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "baton-insights-api-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    auto opened = SqliteStore::Open((dir_ / "baton.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened).value();
    std::vector<SpendRecord> recs;
    auto add = [&recs](const std::string& id, int64_t time, const std::string& model, int status) {
      SpendRecord r;
      r.request_id = id;
      r.time = time;
      r.model_asked = model;
      r.deployment = "openai/" + model;
      r.key_hash = std::string(64, 'a');
      r.prompt_tokens = 10;
      r.completion_tokens = 4;
      r.cost = 2'000'000;  // 2 µ$
      r.latency_ms = 100;
      r.status = status;
      recs.push_back(r);
    };
    add("r1", kNow - 1000, "gpt", 200);
    add("r2", kNow - 2000, "gpt", 500);
    add("r3", kNow - (2 * kDay), "mini", 200);
    ASSERT_TRUE(store_->AppendSpend(recs).ok());
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  json::value Get(std::string_view path, std::string_view query, int expect = 200,
                  bool content = true) {
    AdminResponse r = HandleInsightsApi(*store_, "GET", path, query, content, kNow);
    EXPECT_EQ(r.status, expect) << r.body;
    return json::parse(r.body);
  }

  fs::path dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(InsightsApiTest, StatsCoverTheLastHours) {
  json::value v = Get("/insights/stats", "hours=24");
  const auto& models = v.at("models").as_array();
  ASSERT_EQ(models.size(), 1U);
  EXPECT_EQ(models[0].at("model").as_string(), "gpt");
  EXPECT_EQ(models[0].at("requests").as_int64(), 2);
  EXPECT_EQ(models[0].at("errors").as_int64(), 1);
  EXPECT_DOUBLE_EQ(models[0].at("error_rate").to_number<double>(), 0.5);
  EXPECT_DOUBLE_EQ(models[0].at("cost_usd").to_number<double>(), 0.000004);
  EXPECT_EQ(models[0].at("hourly").as_array().size(), 1U);
  EXPECT_EQ(v.at("totals").at("total_tokens").as_int64(), 28);
  v = Get("/insights/stats", "hours=72");
  EXPECT_EQ(v.at("models").as_array().size(), 2U);
  Get("/insights/stats", "hours=0", 400);
}

TEST_F(InsightsApiTest, TrendsListEveryDay) {
  json::value v = Get("/insights/trends", "days=3");
  const auto& daily = v.at("daily").as_array();
  ASSERT_EQ(daily.size(), 3U);
  EXPECT_EQ(daily[0].at("date").as_string(), "2025-05-31");
  EXPECT_EQ(daily[0].at("requests").as_int64(), 1);
  EXPECT_EQ(daily[1].at("requests").as_int64(), 0);
  EXPECT_EQ(daily[2].at("date").as_string(), "2025-06-02");
  EXPECT_EQ(daily[2].at("requests").as_int64(), 2);
}

TEST_F(InsightsApiTest, SummaryNeverShowsTheFullHash) {
  AdminResponse r = HandleInsightsApi(*store_, "GET", "/insights/summary", "days=7", true, kNow);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find(std::string(64, 'a')), std::string::npos);
  json::value v = json::parse(r.body);
  EXPECT_EQ(v.at("by_key").at(0).at("key").as_string(), "hash:aaaaaaaaaaaa");
  EXPECT_EQ(v.at("by_provider").at(0).at("provider").as_string(), "openai");
}

TEST_F(InsightsApiTest, SimilarNeedsContentLoggingAndAQuery) {
  json::value v = Get("/insights/similar", "query=hello", 400, false);
  EXPECT_EQ(v.at("error").at("code").as_string(), "content_logging_off");
  v = Get("/insights/similar", "query=", 400);
  EXPECT_EQ(v.at("error").at("code").as_string(), "bad_query");
  std::vector<ContentRecord> texts = {{"r1", kNow - 1000, "gpt", "tell me about tide pools"}};
  ASSERT_TRUE(store_->AppendContent(texts).ok());
  v = Get("/insights/similar", "query=tide%20pools&limit=5");
  ASSERT_EQ(v.at("results").as_array().size(), 1U);
  EXPECT_EQ(v.at("results").at(0).at("request_id").as_string(), "r1");
}

TEST_F(InsightsApiTest, JudgeSaysWhenThereAreNoVerdicts) {
  json::value v = Get("/insights/judge", "by=query_type");
  EXPECT_EQ(v.at("verdicts").as_int64(), 0);
  EXPECT_EQ(v.at("message").as_string(), "no judge verdicts yet (fan-out judge not configured)");
  JudgeVerdict verdict;
  verdict.request_id = "j1";
  verdict.time = kNow - 10;
  verdict.query_type = "code";
  verdict.winner = "openai/gpt";
  ASSERT_TRUE(store_->AddJudgeVerdict(verdict).ok());
  v = Get("/insights/judge", "by=winner");
  EXPECT_EQ(v.at("winners").at(0).at("model").as_string(), "openai/gpt");
  EXPECT_EQ(v.at("winners").at(0).at("wins").as_int64(), 1);
  Get("/insights/judge", "by=nope", 400);
}

TEST_F(InsightsApiTest, UnknownPathsAndMethods) {
  EXPECT_EQ(HandleInsightsApi(*store_, "GET", "/insights/nope", "", true, kNow).status, 404);
  EXPECT_EQ(HandleInsightsApi(*store_, "POST", "/insights/stats", "", true, kNow).status, 405);
}

}  // namespace
}  // namespace baton
