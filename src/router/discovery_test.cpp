#include "router/discovery.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace baton {
namespace {

using ::testing::Test;
using Names = std::vector<std::string>;

Names Parse(std::string_view dialect, std::string_view body) {
  auto parsed = ParseModelList(dialect, body);
  EXPECT_TRUE(parsed.ok()) << dialect << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? parsed.value() : Names{};
}

TEST(ParseModelListTest, OpenAiDataIds) {
  EXPECT_EQ(Parse("openai", R"({"object":"list","data":[
      {"id":"gpt-4o","object":"model","owned_by":"system"},
      {"id":"gpt-4o-mini","object":"model"},{"id":"gpt-4o"},{"object":"model"},{"id":7},{"id":""}]})"),
            (Names{"gpt-4o", "gpt-4o-mini"}));
}

TEST(ParseModelListTest, AnthropicDataIds) {
  EXPECT_EQ(Parse("anthropic", R"({"data":[{"type":"model","id":"claude-sonnet-4-5",
      "display_name":"Claude Sonnet 4.5"},{"type":"model","id":"claude-haiku-4-5"}],
      "has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-haiku-4-5"})"),
            (Names{"claude-sonnet-4-5", "claude-haiku-4-5"}));
}

TEST(ParseModelListTest, GeminiNamesLoseTheModelsPrefix) {
  EXPECT_EQ(Parse("gemini", R"({"models":[{"name":"models/gemini-2.5-flash","version":"001"},
      {"name":"models/gemini-2.5-pro"},{"name":"tunedModels/mine"}],"nextPageToken":"x"})"),
            (Names{"gemini-2.5-flash", "gemini-2.5-pro", "tunedModels/mine"}));
}

TEST(ParseModelListTest, OllamaTagNames) {
  EXPECT_EQ(Parse("ollama", R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest",
      "size":2019393189},{"name":"qwen2.5-coder:14b"}]})"),
            (Names{"llama3.2:latest", "qwen2.5-coder:14b"}));
}

TEST(ParseModelListTest, EmptyListsAreLists) {
  EXPECT_TRUE(Parse("openai", R"({"object":"list","data":[]})").empty());
  EXPECT_TRUE(Parse("ollama", R"({"models":[]})").empty());
}

TEST(ParseModelListTest, RejectsWhatIsNotAList) {
  for (auto [dialect, body] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"openai", "not json"},
           {"openai", R"({"models":[{"id":"x"}]})"},
           {"anthropic", R"({"data":{"id":"x"}})"},
           {"gemini", R"({"data":[{"name":"models/x"}]})"},
           {"ollama", "[]"},
           {"bedrock", R"({"data":[]})"},
       }) {
    auto parsed = ParseModelList(dialect, body);
    ASSERT_FALSE(parsed.ok()) << dialect << " " << body;
    EXPECT_FALSE(parsed.error().message.empty());
  }
}

TEST(DiscoversModelsTest, ByDialectAndAvailability) {
  Config config = LoadConfigString(R"toml(
[providers.oai]
kind = "openai-compatible"
base_url = "http://127.0.0.1:9/v1"
[providers.ant]
kind = "anthropic"
api_key = "literal-test-key"
[providers.gem]
kind = "gemini"
api_key = "literal-test-key"
[providers.local]
kind = "ollama"
api = "native"
[providers.echo]
kind = "echo"
[providers.nokey]
kind = "openai"
api_key = "os.environ/BATON_TEST_SURELY_UNSET_VAR"
)toml",
                                   "test.toml");
  std::map<std::string, bool> want{{"oai", true},   {"ant", true},   {"gem", true},
                                   {"local", true}, {"echo", false}, {"nokey", false}};
  for (const auto& p : config.providers) {
    EXPECT_EQ(DiscoversModels(p), want.at(p.name)) << p.name;
  }
}

class ModelCatalogTest : public Test {
 protected:
  void SetUp() override {
    snapshot_ = Snapshot::Build(LoadConfigString(R"toml(
[providers.up]
kind = "openai-compatible"
base_url = "http://127.0.0.1:9/v1"
[providers.echo]
kind = "echo"
models = ["e1"]
[providers.other]
kind = "ollama"
api = "native"
)toml",
                                                 "test.toml"));
  }
  const ProviderConfig& Provider(const std::string& name) const {
    return *snapshot_->config().FindProvider(name);
  }

  ManualClock clock_;
  std::shared_ptr<const Snapshot> snapshot_;
};

TEST_F(ModelCatalogTest, StaleUntilFetchedThenAfterTheTtl) {
  ModelCatalog catalog(clock_);
  EXPECT_TRUE(catalog.NeedsRefresh(*snapshot_));
  catalog.Store(Provider("up"), Names{"m1", "m2"});
  EXPECT_TRUE(catalog.NeedsRefresh(*snapshot_));  // "other" never fetched
  catalog.Store(Provider("other"), Names{"llama3.2:latest"});
  EXPECT_FALSE(catalog.NeedsRefresh(*snapshot_));
  clock_.Advance(snapshot_->config().router.discovery_ttl - std::chrono::milliseconds(1));
  EXPECT_FALSE(catalog.NeedsRefresh(*snapshot_));
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(catalog.NeedsRefresh(*snapshot_));
}

TEST_F(ModelCatalogTest, DiscoveredIdsInProviderOrderWithPrefix) {
  ModelCatalog catalog(clock_);
  catalog.Store(Provider("other"), Names{"llama3.2:latest"});
  catalog.Store(Provider("up"), Names{"m1", "m2"});
  EXPECT_EQ(catalog.DiscoveredIds(*snapshot_), (Names{"up/m1", "up/m2", "other/llama3.2:latest"}));
}

TEST_F(ModelCatalogTest, FailureKeepsTheLastGoodListAndIsRetriedSooner) {
  ModelCatalog catalog(clock_);
  catalog.Store(Provider("up"), Names{"m1"});
  catalog.Store(Provider("other"), Names{"o1"});
  clock_.Advance(snapshot_->config().router.discovery_ttl);
  catalog.Store(Provider("up"), Error(ErrorKind::kUpstreamError, "connection refused"));
  catalog.Store(Provider("other"), Names{"o1"});
  EXPECT_EQ(catalog.DiscoveredIds(*snapshot_), (Names{"up/m1", "other/o1"}));
  auto status = catalog.Status(*snapshot_);
  ASSERT_EQ(status.size(), 3U);
  EXPECT_EQ(status[0].provider, "up");
  EXPECT_TRUE(status[0].discovers);
  EXPECT_EQ(status[0].models, Names{"m1"});
  EXPECT_EQ(status[0].error, "connection refused");
  EXPECT_TRUE(status[0].fetched_at.has_value());
  EXPECT_FALSE(catalog.NeedsRefresh(*snapshot_));
  clock_.Advance(ModelCatalog::kRetryFailedAfter);
  EXPECT_TRUE(catalog.NeedsRefresh(*snapshot_));  // the failed one, well before the TTL
  catalog.Store(Provider("up"), Names{"m3"});
  status = catalog.Status(*snapshot_);
  EXPECT_EQ(status[0].models, Names{"m3"});
  EXPECT_TRUE(status[0].error.empty());
}

TEST_F(ModelCatalogTest, EchoIsNotFetchedAndShowsItsConfiguredModels) {
  ModelCatalog catalog(clock_);
  auto status = catalog.Status(*snapshot_);
  ASSERT_EQ(status.size(), 3U);
  EXPECT_EQ(status[1].provider, "echo");
  EXPECT_FALSE(status[1].discovers);
  EXPECT_EQ(status[1].models, Names{"e1"});
  EXPECT_FALSE(status[2].fetched_at.has_value());
}

TEST_F(ModelCatalogTest, AProviderChangedByAReloadStartsOver) {
  ModelCatalog catalog(clock_);
  catalog.Store(Provider("up"), Names{"m1"});
  catalog.Store(Provider("other"), Names{"o1"});
  auto reloaded = Snapshot::Build(LoadConfigString(R"toml(
[providers.up]
kind = "openai-compatible"
base_url = "http://127.0.0.1:10/v1"
[providers.other]
kind = "ollama"
api = "native"
)toml",
                                                   "test.toml"));
  EXPECT_EQ(catalog.DiscoveredIds(*reloaded), Names{"other/o1"});
  EXPECT_TRUE(catalog.NeedsRefresh(*reloaded));
  catalog.Store(*reloaded->config().FindProvider("up"), Names{"new"});
  EXPECT_EQ(catalog.DiscoveredIds(*reloaded), (Names{"up/new", "other/o1"}));
  // The old snapshot's "up" is another provider now: its list is gone.
  EXPECT_EQ(catalog.DiscoveredIds(*snapshot_), Names{"other/o1"});
}

}  // namespace
}  // namespace baton
