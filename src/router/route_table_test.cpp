#include "router/route_table.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace baton {
namespace {

constexpr const char* kConfig = R"toml(
[providers.primary]
kind = "echo"
models = ["m1", "m2"]

[providers.backup]
kind = "openai-compatible"
base_url = "http://127.0.0.1:9/v1"
api_key = "literal-test-key"
models = ["b1"]

[providers.spare]
kind = "echo"

[models.smart]
deployments = ["primary/big", "backup/b1"]

[models.fast]
deployments = ["backup/small", "primary/m1", "spare/tiny"]

[models.solo]
deployments = ["spare/only"]
)toml";

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override { snapshot_ = Snapshot::Build(LoadConfigString(kConfig, "test.toml")); }

  Provider* ProviderNamed(const std::string& name) const {
    for (const auto& p : snapshot_->providers()) {
      if (p->name() == name) {
        return p.get();
      }
    }
    ADD_FAILURE() << "no provider " << name;
    return nullptr;
  }

  void ExpectDeployment(const Deployment& d, const std::string& provider, const std::string& model,
                        const std::string& id) const {
    EXPECT_EQ(d.provider, ProviderNamed(provider)) << id;
    EXPECT_EQ(d.model, model);
    EXPECT_EQ(d.id, id);
  }

  std::shared_ptr<const Snapshot> snapshot_;
};

void ExpectModelNotFound(const Result<const Route*>& r, const std::string& model) {
  ASSERT_FALSE(r.ok()) << model;
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().code, "model_not_found");
  EXPECT_EQ(r.error().param, "model");
  EXPECT_EQ(r.error().message,
            "The model `" + model + "` does not exist or you do not have access to it.");
}

TEST_F(RouteTableTest, ProvidersBuiltInFileOrder) {
  ASSERT_EQ(snapshot_->providers().size(), 3u);
  EXPECT_EQ(snapshot_->providers()[0]->name(), "primary");
  EXPECT_EQ(snapshot_->providers()[1]->name(), "backup");
  EXPECT_EQ(snapshot_->providers()[2]->name(), "spare");
  EXPECT_EQ(snapshot_->providers()[0]->dialect(), canon::Dialect::kOpenAiChat);
  EXPECT_EQ(snapshot_->config().source, "test.toml");
}

TEST_F(RouteTableTest, AliasesResolveInPriorityOrder) {
  auto smart = snapshot_->routes().Resolve("smart");
  ASSERT_TRUE(smart.ok());
  EXPECT_EQ((*smart)->name, "smart");
  ASSERT_EQ((*smart)->deployments.size(), 2u);
  ExpectDeployment((*smart)->deployments[0], "primary", "big", "primary/big");
  ExpectDeployment((*smart)->deployments[1], "backup", "b1", "backup/b1");

  auto fast = snapshot_->routes().Resolve("fast");
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ((*fast)->name, "fast");
  ASSERT_EQ((*fast)->deployments.size(), 3u);
  ExpectDeployment((*fast)->deployments[0], "backup", "small", "backup/small");
  ExpectDeployment((*fast)->deployments[1], "primary", "m1", "primary/m1");
  ExpectDeployment((*fast)->deployments[2], "spare", "tiny", "spare/tiny");
}

TEST_F(RouteTableTest, SnapshotResolvesAliasesToo) {
  Route scratch;
  auto r = snapshot_->Resolve("solo", scratch);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(*r, &scratch);
  ASSERT_EQ((*r)->deployments.size(), 1u);
  ExpectDeployment((*r)->deployments[0], "spare", "only", "spare/only");
}

TEST_F(RouteTableTest, ListedProviderModelIdsResolve) {
  for (const char* id : {"primary/m1", "primary/m2", "backup/b1", "primary/big", "backup/small",
                         "spare/tiny", "spare/only"}) {
    SCOPED_TRACE(id);
    auto r = snapshot_->routes().Resolve(id);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->name, id);
    ASSERT_EQ((*r)->deployments.size(), 1u);
    std::string s(id);
    auto slash = s.find('/');
    ExpectDeployment((*r)->deployments[0], s.substr(0, slash), s.substr(slash + 1), s);
  }
}

TEST_F(RouteTableTest, UnlistedProviderModelIdResolvesThroughSnapshotOnly) {
  ExpectModelNotFound(snapshot_->routes().Resolve("backup/gpt-4o-mini"), "backup/gpt-4o-mini");
  Route scratch;
  auto r = snapshot_->Resolve("backup/gpt-4o-mini", scratch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, &scratch);
  EXPECT_EQ(scratch.name, "backup/gpt-4o-mini");
  ASSERT_EQ(scratch.deployments.size(), 1u);
  ExpectDeployment(scratch.deployments[0], "backup", "gpt-4o-mini", "backup/gpt-4o-mini");
}

TEST_F(RouteTableTest, UnlistedModelNameMayContainSlashes) {
  Route scratch;
  auto r = snapshot_->Resolve("primary/meta-llama/Llama-3.1-8B", scratch);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(scratch.deployments.size(), 1u);
  ExpectDeployment(scratch.deployments[0], "primary", "meta-llama/Llama-3.1-8B",
                   "primary/meta-llama/Llama-3.1-8B");
}

TEST_F(RouteTableTest, UnknownModels) {
  Route scratch;
  for (const char* model :
       {"gpt-4o", "nope/x", "primary/", "/m1", "", "SMART", "smart/", "Primary/m1"}) {
    SCOPED_TRACE(model);
    ExpectModelNotFound(snapshot_->routes().Resolve(model), model);
    ExpectModelNotFound(snapshot_->Resolve(model, scratch), model);
  }
}

TEST_F(RouteTableTest, ModelIdsAliasesFirstThenProviderModelIdsUnique) {
  std::vector<std::string> expected = {
      "smart",        "fast",       "solo",       "primary/big", "backup/b1",
      "backup/small", "primary/m1", "spare/tiny", "spare/only",  "primary/m2",
  };
  EXPECT_EQ(snapshot_->routes().model_ids(), expected);
}

TEST(RouteTableBuildTest, EmptyConfig) {
  auto snapshot = Snapshot::Build(LoadConfigString("", "empty.toml"));
  EXPECT_TRUE(snapshot->providers().empty());
  EXPECT_TRUE(snapshot->routes().model_ids().empty());
  Route scratch;
  ExpectModelNotFound(snapshot->Resolve("echo/demo", scratch), "echo/demo");
}

TEST(RouteTableBuildTest, DefaultConfigServesDemo) {
  auto snapshot = Snapshot::Build(LoadConfigString(DefaultConfigToml(), "<built-in default>"));
  auto demo = snapshot->routes().Resolve("demo");
  ASSERT_TRUE(demo.ok());
  ASSERT_EQ((*demo)->deployments.size(), 1u);
  EXPECT_EQ((*demo)->deployments[0].id, "echo/demo");
  EXPECT_EQ((*demo)->deployments[0].model, "demo");
  EXPECT_EQ((*demo)->deployments[0].provider->name(), "echo");
  EXPECT_EQ(snapshot->routes().model_ids(), (std::vector<std::string>{"demo", "echo/demo"}));
}

TEST(RouteTableBuildTest, EveryBaseUrlTheConfigAcceptsBuilds) {
  // The config loader checks base_url case-insensitively ("HTTPS://..." passes `config check`).
  Config config = LoadConfigString(R"toml(
[providers.up]
kind = "openai-compatible"
base_url = "HTTPS://api.example.com/v1"
api_key = "k"
)toml",
                                   "test.toml");
  ASSERT_EQ(config.providers.size(), 1u);
  EXPECT_NO_THROW(Snapshot::Build(config));
}

TEST(RouteTableBuildTest, BuildFromProvidersDirectly) {
  Config config = LoadConfigString(kConfig, "test.toml");
  std::vector<std::unique_ptr<Provider>> providers;
  for (const auto& p : config.providers) {
    providers.push_back(MakeProvider(p));
  }
  HealthRegistry health;
  RouteTable table = RouteTable::Build(config, providers, config.router.priorities, health);
  auto r = table.Resolve("smart");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->deployments.size(), 2u);
  EXPECT_EQ((*r)->deployments[0].provider, providers[0].get());
  EXPECT_EQ((*r)->deployments[1].provider, providers[1].get());
  EXPECT_EQ(table.model_ids().size(), 10u);
}

}  // namespace
}  // namespace baton
