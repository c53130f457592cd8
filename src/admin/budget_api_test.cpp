#include "admin/budget_api.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "money/money.hpp"
#include "pipeline/keys.hpp"
#include "store/sqlite_store.hpp"

namespace baton {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Records the budget calls; budgets "on" for zone "eu" and global, like a Runtime with
// [budgets] configured.
class FakeControl final : public AdminControl {
 public:
  Result<ReloadReport> Reload(std::string_view) override { return ReloadReport{}; }
  PrioritiesView Priorities() const override { return PrioritiesView{}; }
  Result<PrioritiesView> SetPriority(const std::string&, int64_t) override {
    return PrioritiesView{};
  }
  Result<PrioritiesView> RemovePriority(const std::string&) override { return PrioritiesView{}; }
  ModelCatalog& catalog() override { return catalog_; }

  Result<std::string> BudgetStatsJson() override {
    return std::string(R"({"budgets":[{"scope":"zone","id":"eu","spend":1.5}]})");
  }
  Status ResetBudget(std::string_view kind, std::string_view id) override {
    resets.emplace_back(kind, id);
    if (kind == "zone" && id != "eu") {
      return Error(ErrorKind::kNotFound, "no budget for zone", "budget_not_found");
    }
    if (kind == "key" || kind == "team") {
      return Error(ErrorKind::kNotFound, "no live account", "budget_not_found");
    }
    return OkStatus();
  }

  std::vector<std::pair<std::string, std::string>> resets;

 private:
  ModelCatalog catalog_;
};

// Only the defaults of AdminControl's budget hooks.
class DefaultControl final : public AdminControl {
 public:
  Result<ReloadReport> Reload(std::string_view) override { return ReloadReport{}; }
  PrioritiesView Priorities() const override { return PrioritiesView{}; }
  Result<PrioritiesView> SetPriority(const std::string&, int64_t) override {
    return PrioritiesView{};
  }
  Result<PrioritiesView> RemovePriority(const std::string&) override { return PrioritiesView{}; }
  ModelCatalog& catalog() override { return catalog_; }

 private:
  ModelCatalog catalog_;
};

class BudgetApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "baton-budget-api-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    auto opened = SqliteStore::Open((dir_ / "keys.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(opened).value();

    TeamRecord team;
    team.team_id = "core";
    ASSERT_TRUE(store_->CreateTeam(team));
    KeyRecord key;
    key.key_hash = HashKey(kKey);
    key.key_prefix = DisplayPrefix(kKey);
    key.team_id = "core";
    ASSERT_TRUE(store_->CreateKey(key));
    SpendRecord rec;
    rec.request_id = "r1";
    rec.time = 1000;
    rec.key_hash = key.key_hash;
    rec.team_id = "core";
    rec.cost = FromUsd(2.5);
    ASSERT_TRUE(store_->AppendSpend(std::span(&rec, 1)));
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  AdminResponse Reset(std::string_view body) {
    return HandleBudgetApi(control_, store_.get(), "POST", "/budget/reset", body);
  }

  static constexpr const char* kKey = "sk-budget-reset-test-key-000001";
  fs::path dir_;
  std::unique_ptr<SqliteStore> store_;
  FakeControl control_;
};

TEST_F(BudgetApiTest, StatsAnswerTheControlsJson) {
  AdminResponse r = HandleBudgetApi(control_, store_.get(), "GET", "/budget/stats", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("budgets").as_array().size(), 1u);

  DefaultControl off;
  r = HandleBudgetApi(off, nullptr, "GET", "/budget/stats", "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"budgets":[]})");
}

TEST_F(BudgetApiTest, KeyResetZeroesStoredSpendThenTheLiveAccount) {
  ASSERT_EQ(store_->GetKey(HashKey(kKey))->spend, FromUsd(2.5));
  AdminResponse r = Reset(std::string(R"({"key":")") + kKey + R"("})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.changed);
  json::object body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("scope").as_string(), "key");
  EXPECT_EQ(body.at("id").as_string(), HashKey(kKey));
  EXPECT_EQ(r.body.find(kKey), std::string::npos);  // never the raw key
  EXPECT_EQ(store_->GetKey(HashKey(kKey))->spend, 0);
  EXPECT_EQ(store_->GetTeam("core")->spend, FromUsd(2.5));  // untouched
  ASSERT_EQ(control_.resets.size(), 1u);
  EXPECT_EQ(control_.resets[0], (std::pair<std::string, std::string>("key", HashKey(kKey))));
}

TEST_F(BudgetApiTest, TeamResetByIdAndUnknowns) {
  AdminResponse r = Reset(R"({"team_id":"core"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_->GetTeam("core")->spend, 0);
  EXPECT_EQ(control_.resets.back().first, "team");

  EXPECT_EQ(Reset(R"({"team_id":"ghost"})").status, 404);
  EXPECT_EQ(Reset(R"({"key":"sk-not-a-key-we-know-000000"})").status, 404);
  EXPECT_EQ(control_.resets.size(), 1u);  // no live reset after a store miss
}

TEST_F(BudgetApiTest, ZoneAndGlobalOnlyTouchTheLiveAccounts) {
  AdminResponse r = Reset(R"({"zone":"eu"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.changed);
  r = Reset(R"({"global":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("id").is_null());
  EXPECT_EQ(control_.resets.back(), (std::pair<std::string, std::string>("global", "")));
  EXPECT_EQ(Reset(R"({"zone":"us"})").status, 404);
  // Store totals untouched.
  EXPECT_EQ(store_->GetKey(HashKey(kKey))->spend, FromUsd(2.5));

  DefaultControl off;
  r = HandleBudgetApi(off, store_.get(), "POST", "/budget/reset", R"({"global":true})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("budgets are off"), std::string::npos);
  // A key reset works without live budgets: the store total is what counts.
  r = HandleBudgetApi(off, store_.get(), "POST", "/budget/reset", R"({"team_id":"core"})");
  EXPECT_EQ(r.status, 200) << r.body;
  r = HandleBudgetApi(off, nullptr, "POST", "/budget/reset", R"({"team_id":"core"})");
  EXPECT_EQ(r.status, 404);
}

TEST_F(BudgetApiTest, ExactlyOneScope) {
  for (const char* body : {"{}", R"({"key":"a","zone":"b"})", R"({"global":false})",
                           R"({"global":"yes"})", R"({"zone":""})", R"({"team_id":5})", "[]"}) {
    AdminResponse r = Reset(body);
    EXPECT_EQ(r.status, 400) << body << " → " << r.body;
  }
  EXPECT_TRUE(control_.resets.empty());
  AdminResponse r = HandleBudgetApi(control_, store_.get(), "GET", "/budget/reset", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(HandleBudgetApi(control_, store_.get(), "GET", "/budget/nope", "").status, 404);
}

}  // namespace
}  // namespace baton
