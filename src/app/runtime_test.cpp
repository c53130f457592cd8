#include "app/runtime.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "admin/router_state.hpp"
#include "core/scoped_env_test_support.hpp"

namespace baton {
namespace {

namespace fs = std::filesystem;
using Names = std::vector<std::string>;

constexpr const char* kConfigA = R"toml(
[server]
port = 4000
master_key = "test-master-key"

[store]
path = "baton.db"

[providers.one]
kind = "echo"

[providers.two]
kind = "echo"

[models.smart]
deployments = ["one/a"]
)toml";

constexpr const char* kConfigB = R"toml(
[server]
port = 4000
master_key = "test-master-key-2"

[store]
path = "baton.db"

[providers.one]
kind = "echo"

[providers.two]
kind = "echo"

[models.smart]
deployments = ["two/b", "one/a"]

[models.fresh]
deployments = ["two/c"]
)toml";

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "baton-runtime-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    config_path_ = (dir_ / "baton.toml").string();
    state_path_ = (dir_ / "state" / "router.json").string();
    WriteConfig(kConfigA);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void WriteConfig(const std::string& text) const { std::ofstream(config_path_) << text; }
  std::unique_ptr<Runtime> Start() const {
    RuntimeOptions options;
    options.config_path = config_path_;
    options.state_file = state_path_;
    return std::make_unique<Runtime>(LoadConfigFile(config_path_), options);
  }
  static Names DeploymentIds(const Snapshot& snapshot, std::string_view model) {
    Names ids;
    auto route = snapshot.routes().Resolve(model);
    if (route) {
      for (const auto& d : (*route)->deployments) {
        ids.push_back(d.id);
      }
    }
    return ids;
  }

  fs::path dir_;
  std::string config_path_;
  std::string state_path_;
};

TEST_F(RuntimeTest, ReloadSwapsTheSnapshotAndKeepsTheHealthRegistry) {
  auto runtime = Start();
  auto before = runtime->Current();
  EXPECT_EQ(DeploymentIds(*before, "smart"), Names{"one/a"});
  before->health().For("one/a").CountRetry();
  WriteConfig(kConfigB);
  auto reloaded = runtime->Reload("test");
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(reloaded->config, config_path_);
  EXPECT_EQ(reloaded->providers, 2U);
  EXPECT_EQ(reloaded->models, runtime->Current()->routes().model_ids().size());
  EXPECT_TRUE(reloaded->ignored.empty());
  auto after = runtime->Current();
  EXPECT_NE(after, before);
  EXPECT_EQ(DeploymentIds(*after, "smart"), (Names{"two/b", "one/a"}));
  EXPECT_EQ(DeploymentIds(*after, "fresh"), Names{"two/c"});
  EXPECT_EQ(after->config().server.master_key, "test-master-key-2");
  EXPECT_EQ(&after->health(), &before->health());
  EXPECT_EQ(
      after->health().For("one/a").View(SteadyTime{}, after->config().router).counters.retries, 1U);
  // A request that started before the reload still holds a complete old snapshot.
  EXPECT_EQ(DeploymentIds(*before, "smart"), Names{"one/a"});
}

TEST_F(RuntimeTest, ABadConfigIsRefusedAndTheOldOneStays) {
  auto runtime = Start();
  auto before = runtime->Current();
  WriteConfig("[providers.one]\nkind = \"echo\"\n\n[models.smart]\ndeployments = [\"nope/x\"]\n");
  auto reloaded = runtime->Reload("test");
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(reloaded.error().code, "invalid_config");
  // FILE:LINE: KEY: MESSAGE
  EXPECT_EQ(reloaded.error().message.rfind(config_path_ + ":5: models.smart", 0), 0U)
      << reloaded.error().message;
  EXPECT_EQ(runtime->Current(), before);

  WriteConfig("this is [not toml");
  reloaded = runtime->Reload("test");
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(runtime->Current(), before);

  fs::remove(config_path_);
  reloaded = runtime->Reload("test");
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(runtime->Current(), before);
}

TEST_F(RuntimeTest, AMasterKeyFromAnUnsetVariableIsRefused) {
  auto runtime = Start();
  auto before = runtime->Current();
  ::unsetenv("BATON_RUNTIME_TEST_UNSET_KEY");
  WriteConfig(
      "[server]\nmaster_key = \"os.environ/BATON_RUNTIME_TEST_UNSET_KEY\"\n"
      "[providers.one]\nkind = \"echo\"\n");
  auto reloaded = runtime->Reload("test");
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message.find("BATON_RUNTIME_TEST_UNSET_KEY"), std::string::npos);
  EXPECT_EQ(runtime->Current(), before);
}

TEST_F(RuntimeTest, ListenerSettingsAreReportedAndKept) {
  auto runtime = Start();
  std::string changed = kConfigB;
  changed.replace(changed.find("port = 4000"), 11, "port = 4001\nthreads = 3\nhost = \"0.0.0.0\"");
  WriteConfig(changed);
  auto reloaded = runtime->Reload("test");
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(reloaded->ignored, (Names{"server.host", "server.port", "server.threads"}));
  const ServerConfig& server = runtime->Current()->config().server;
  EXPECT_EQ(server.port, 4000);
  EXPECT_EQ(server.host, "127.0.0.1");
  EXPECT_EQ(server.threads, 0);
  EXPECT_EQ(server.master_key, "test-master-key-2");  // this one does change live
}

TEST_F(RuntimeTest, CommandLineOverridesSurviveAReload) {
  RuntimeOptions options;
  options.config_path = config_path_;
  options.state_file = state_path_;
  options.port = 0;
  Config config = LoadConfigFile(config_path_);
  config.server.port = 0;
  Runtime runtime(std::move(config), options);
  auto reloaded = runtime.Reload("test");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE(reloaded->ignored.empty());
  EXPECT_EQ(runtime.Current()->config().server.port, 0);
}

TEST_F(RuntimeTest, TheBuiltInDefaultCannotBeReloaded) {
  RuntimeOptions options;
  options.state_file = state_path_;
  Runtime runtime(LoadConfigString(DefaultConfigToml(), "<built-in default>"), options);
  auto before = runtime.Current();
  auto reloaded = runtime.Reload("test");
  ASSERT_FALSE(reloaded.ok());
  EXPECT_EQ(reloaded.error().code, "no_config_file");
  EXPECT_NE(reloaded.error().message.find("built-in default"), std::string::npos);
  EXPECT_EQ(runtime.Current(), before);
}

TEST_F(RuntimeTest, PrioritiesAreAppliedPersistedAndSurviveARestart) {
  auto runtime = Start();
  EXPECT_FALSE(runtime->Priorities().runtime);
  EXPECT_TRUE(DeploymentIds(*runtime->Current(), "auto").empty());

  ASSERT_TRUE(runtime->SetPriority("one/a", 0).ok());
  ASSERT_TRUE(runtime->SetPriority("two/b", 0).ok());
  auto view = runtime->SetPriority("two/c", 1);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->runtime);
  EXPECT_EQ(view->priorities, (Names{"two/b", "two/c", "one/a"}));
  EXPECT_EQ(DeploymentIds(*runtime->Current(), "auto"), (Names{"two/b", "two/c", "one/a"}));
  EXPECT_EQ(DeploymentIds(*runtime->Current(), "router-maestro"),
            (Names{"two/b", "two/c", "one/a"}));
  auto stored = LoadPriorities(state_path_);
  ASSERT_TRUE(stored.ok() && stored.value().has_value());
  EXPECT_EQ(*stored.value(), (Names{"two/b", "two/c", "one/a"}));

  // Move, then remove.
  ASSERT_TRUE(runtime->SetPriority("one/a", 0).ok());
  auto removed = runtime->RemovePriority("two/c");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->priorities, (Names{"one/a", "two/b"}));
  auto absent = runtime->RemovePriority("two/c");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::kNotFound);
  auto unknown = runtime->SetPriority("nope/x", 0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kBadRequest);
  EXPECT_EQ(runtime->Priorities().priorities, (Names{"one/a", "two/b"}));

  // A reload keeps the run-time list.
  WriteConfig(kConfigB);
  ASSERT_TRUE(runtime->Reload("test").ok());
  EXPECT_EQ(DeploymentIds(*runtime->Current(), "auto"), (Names{"one/a", "two/b"}));

  // So does a restart.
  runtime.reset();
  auto restarted = Start();
  EXPECT_TRUE(restarted->Priorities().runtime);
  EXPECT_EQ(restarted->Priorities().priorities, (Names{"one/a", "two/b"}));
  EXPECT_EQ(DeploymentIds(*restarted->Current(), "auto"), (Names{"one/a", "two/b"}));
}

TEST_F(RuntimeTest, ACorruptStateFileFallsBackToTheConfigList) {
  fs::create_directories(fs::path(state_path_).parent_path());
  std::ofstream(state_path_) << "{\"priorities\": [1, 2";
  testing::internal::CaptureStderr();
  auto runtime = Start();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("baton: warning: state file"), std::string::npos) << err;
  EXPECT_FALSE(runtime->Priorities().runtime);
  // The next change replaces the corrupt file.
  ASSERT_TRUE(runtime->SetPriority("one/a", 0).ok());
  auto stored = LoadPriorities(state_path_);
  ASSERT_TRUE(stored.ok() && stored.value().has_value());
  EXPECT_EQ(*stored.value(), Names{"one/a"});
}

TEST_F(RuntimeTest, AChangeThatCannotBePersistedIsNotMade) {
  std::ofstream((dir_ / "blocker").string()) << "x";
  RuntimeOptions options;
  options.config_path = config_path_;
  options.state_file = (dir_ / "blocker" / "router.json").string();
  Runtime runtime(LoadConfigFile(config_path_), options);
  auto before = runtime.Current();
  auto set = runtime.SetPriority("one/a", 0);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(runtime.Current(), before);
  EXPECT_FALSE(runtime.Priorities().runtime);
}

}  // namespace
TEST_F(RuntimeTest, WithAMasterKeyTheStoreIsOpenedAndTheKeyTableFollowsIt) {
  auto runtime = Start();
  ASSERT_NE(runtime->store(), nullptr);
  EXPECT_TRUE(fs::exists(dir_ / "baton.db"));  // [store] path, relative to the config file
  ASSERT_NE(runtime->Keys(), nullptr);
  EXPECT_EQ(runtime->Keys()->size(), 0u);
  GeneratedKey g = GenerateKey();
  KeyRecord record;
  record.key_hash = g.hash;
  record.key_prefix = g.prefix;
  ASSERT_TRUE(runtime->store()->CreateKey(record));
  auto before = runtime->Keys();
  EXPECT_EQ(before->FindByHash(g.hash), nullptr);  // not until the rebuild
  ASSERT_TRUE(runtime->ReloadKeys());
  EXPECT_NE(runtime->Keys()->FindByHash(g.hash), nullptr);
  EXPECT_EQ(before->size(), 0u);  // a table in use is never changed under its readers
  // A restart loads the keys from the store.
  runtime.reset();
  auto again = Start();
  EXPECT_NE(again->Keys()->FindByHash(g.hash), nullptr);
}

TEST_F(RuntimeTest, WithoutAMasterKeyNoStoreIsOpened) {
  WriteConfig("[store]\npath = \"nokeys.db\"\n[providers.one]\nkind = \"echo\"\n");
  auto runtime = Start();
  EXPECT_EQ(runtime->store(), nullptr);
  EXPECT_EQ(runtime->Keys(), nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "nokeys.db"));
}

TEST_F(RuntimeTest, TheDefaultStoreFolderIsPrivate) {
  ScopedEnv xdg("XDG_DATA_HOME", (dir_ / "data").string().c_str());
  auto store = OpenConfiguredStore(StoreConfig{});
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(dir_ / "data" / "baton" / "baton.db"));
  auto perms = fs::status(dir_ / "data" / "baton").permissions();
  EXPECT_EQ(perms & fs::perms::all, fs::perms::owner_all);
}

TEST_F(RuntimeTest, AnUnsetStoreUrlIsAStartupError) {
  StoreConfig config;
  config.url_configured = true;
  config.url_unset_reason = "BATON_TEST_DB_URL is not set";
  try {
    OpenConfiguredStore(config);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("BATON_TEST_DB_URL is not set"), std::string::npos);
  }
}

}  // namespace baton
