#include "admin/admin_api.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "config/config.hpp"

namespace baton {
namespace {

namespace json = boost::json;

constexpr const char* kConfig = R"toml(
[providers.one]
kind = "echo"
models = ["listed"]

[providers.two]
kind = "echo"

[models.smart]
deployments = ["one/a", "two/b"]

[models.fast]
deployments = ["two/b"]
)toml";

const json::object* FindDeployment(const json::value& root, std::string_view id) {
  for (const auto& d : root.at("deployments").as_array()) {
    if (d.at("id").as_string() == id) {
      return &d.as_object();
    }
  }
  return nullptr;
}

TEST(IsAdminPathTest, Paths) {
  EXPECT_TRUE(IsAdminPath("/health/deployments"));
  EXPECT_TRUE(IsAdminPath("/api/admin/config/reload"));
  EXPECT_TRUE(IsAdminPath("/api/admin/priorities/openai/gpt-4o"));
  EXPECT_TRUE(IsAdminPath("/api/admin"));
  EXPECT_TRUE(IsAdminPath("/key/generate"));
  EXPECT_TRUE(IsAdminPath("/team/new"));
  EXPECT_TRUE(IsAdminPath("/spend/logs"));
  EXPECT_TRUE(IsAdminPath("/budget/stats"));
  EXPECT_FALSE(IsAdminPath("/teams"));
  EXPECT_FALSE(IsAdminPath("/spend"));
  EXPECT_FALSE(IsAdminPath("/health"));
  EXPECT_FALSE(IsAdminPath("/api/administrator"));
  EXPECT_FALSE(IsAdminPath("/v1/models"));
}

TEST(DeploymentsHealthJsonTest, ShapeRoutesAndCounters) {
  auto snapshot = Snapshot::Build(LoadConfigString(kConfig, "test.toml"),
                                  RouterServices{nullptr, std::vector<std::string>{"two/b"}});
  const RouterConfig& router = snapshot->config().router;
  HealthRegistry& health = snapshot->health();
  SteadyTime now = health.clock().Now();
  bool probe = false;
  DeploymentHealth& b = health.For("two/b");
  ASSERT_TRUE(b.TryAcquire(now, 0, probe));
  b.OnSuccess(std::chrono::microseconds(12'500), probe);
  b.Release(false);
  for (int i = 0; i <= router.allowed_fails; ++i) {
    ASSERT_TRUE(b.TryAcquire(now, 0, probe));
    b.OnFailure(now, router, "upstream answered 500", probe);
    b.Release(false);
  }
  b.CountRetry();
  b.CountFallback();
  DeploymentHealth& a_health = health.For("one/a");
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(a_health.TryAcquire(now, 0, probe));
    a_health.OnFailure(now, router, "connection refused", probe);
    a_health.Release(false);
  }
  // An id no route uses: shown only once it has attempts.
  DeploymentHealth& gone = health.For("two/gone");
  ASSERT_TRUE(gone.TryAcquire(now, 0, probe));
  gone.Release(false);

  json::value root = json::parse(DeploymentsHealthJson(*snapshot));
  const json::object& r = root.at("router").as_object();
  EXPECT_EQ(r.at("allowed_fails").as_int64(), router.allowed_fails);
  EXPECT_EQ(r.at("fail_window_ms").as_int64(), router.fail_window.count());
  EXPECT_EQ(r.at("cooldown_ms").as_int64(), router.cooldown.count());

  const json::object* a = FindDeployment(root, "one/a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->at("provider").as_string(), "one");
  EXPECT_EQ(a->at("model").as_string(), "a");
  EXPECT_EQ(json::serialize(a->at("routes")), R"(["smart"])");
  EXPECT_EQ(a->at("state").as_string(), "healthy");  // 2 failures: under allowed_fails
  EXPECT_EQ(a->at("recent_failures").as_int64(), 2);
  EXPECT_EQ(a->at("attempts").as_int64(), 2);
  EXPECT_EQ(a->at("successes").as_int64(), 0);
  EXPECT_EQ(a->at("ttft_ms").to_number<double>(), 0.0);  // no sample yet
  EXPECT_EQ(a->at("cooldown_remaining_ms").as_int64(), 0);
  EXPECT_EQ(a->at("last_error").as_string(), "connection refused");

  const json::object* bj = FindDeployment(root, "two/b");
  ASSERT_NE(bj, nullptr);
  EXPECT_EQ(json::serialize(bj->at("routes")), R"(["smart","fast","auto"])");
  EXPECT_EQ(bj->at("state").as_string(), "cooldown");
  EXPECT_GT(bj->at("cooldown_remaining_ms").as_int64(), 0);
  EXPECT_DOUBLE_EQ(bj->at("ttft_ms").to_number<double>(), 12.5);
  EXPECT_EQ(bj->at("recent_failures").as_int64(), 0);  // the window restarts with the cooldown
  EXPECT_EQ(bj->at("last_error").as_string(), "upstream answered 500");
  EXPECT_EQ(bj->at("attempts").as_int64(), router.allowed_fails + 2);
  EXPECT_EQ(bj->at("successes").as_int64(), 1);
  EXPECT_EQ(bj->at("failures").as_int64(), router.allowed_fails + 1);
  EXPECT_EQ(bj->at("retries").as_int64(), 1);
  EXPECT_EQ(bj->at("fallbacks").as_int64(), 1);
  EXPECT_EQ(bj->at("cooldowns").as_int64(), 1);
  EXPECT_EQ(bj->at("in_flight").as_int64(), 0);
  EXPECT_GE(bj->at("rpm_used").as_int64(), 1);
  EXPECT_EQ(bj->at("tpm_used").as_int64(), 0);

  const json::object* listed = FindDeployment(root, "one/listed");
  ASSERT_NE(listed, nullptr);  // a configured model: a direct route of its own
  EXPECT_EQ(json::serialize(listed->at("routes")), "[]");

  const json::object* g = FindDeployment(root, "two/gone");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(json::serialize(g->at("routes")), "[]");
  EXPECT_EQ(FindDeployment(root, "one/*"), nullptr);  // idle unlisted-direct state
}

}  // namespace
}  // namespace baton
